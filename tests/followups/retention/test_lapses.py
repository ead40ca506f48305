"""Lapsed customers (流失客户) by band: 6, 12 and 18 months without a visit (the shipped bands), one
lapse per band and last visit, a win-back call when none is waiting. The customer last came on
10 March 2025: six months later is 10 September 2025, twelve 10 March 2026, eighteen 10 September 2026."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import TimelineEntry, VehicleRole
from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.models import Callback
from followups.retention.models import Lapse, LapseBand
from followups.retention.services import lapse_reason_record, lapse_window, lapses_build
from tests.followups.factories import CustomerFactory, book, make_vehicle, refuse, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_VISIT = date(2025, 3, 10)
SIX, TWELVE, EIGHTEEN = date(2025, 9, 10), date(2026, 3, 10), date(2026, 9, 10)
SERIALS = iter(range(840_000, 850_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def run_day(day: date) -> dict:
    with time_machine.travel(at(day), tick=False):
        return lapses_build(on=day)


def customer_last_seen(day: date = LAST_VISIT, **fields):
    customer = CustomerFactory(**fields)
    with time_machine.travel(at(date(2024, 1, 5), 10), tick=False):
        car = make_vehicle(customer, serial=next(SERIALS), delivered=date(2024, 1, 5))
    with time_machine.travel(at(day, 10), tick=False):
        service_visit(car, on=day, kind="repair", mileage=20000)
    return customer, car


def test_a_customer_is_lapsed_six_months_to_the_day_after_the_last_visit_with_a_win_back_call():
    customer, car = customer_last_seen()
    assert run_day(SIX - timedelta(days=1))["created"] == 0
    counts = run_day(SIX)
    assert (counts["created"], counts["call"]) == (1, 1)
    lapse = Lapse.objects.get(customer=customer)
    assert (lapse.band.months, lapse.band.name, lapse.since, lapse.created_on, lapse.status) == (
        6, "流失6个月", LAST_VISIT, SIX, "open")
    callback = lapse.callback
    assert (callback.kind, callback.source_key, callback.vehicle, callback.status) == (
        "win_back", f"lapse:{lapse.pk}", car, "open")
    assert callback.due_at == at(SIX, 8, 30)


def test_a_second_run_and_the_next_days_add_nothing():
    customer_last_seen()
    assert run_day(SIX)["created"] == 1
    assert run_day(SIX)["created"] == 0
    assert run_day(SIX + timedelta(days=1))["created"] == 0
    assert Lapse.objects.count() == 1 and Callback.objects.count() == 1


def test_a_customer_crossing_12_months_gets_the_12_month_lapse_once():
    customer, _car = customer_last_seen()
    run_day(SIX)
    Callback.objects.update(status="expired")  # the 6-month call went unanswered
    assert run_day(TWELVE - timedelta(days=1))["created"] == 0
    assert run_day(TWELVE)["created"] == 1
    assert run_day(TWELVE)["created"] == 0
    assert run_day(TWELVE + timedelta(days=2))["created"] == 0
    assert sorted(Lapse.objects.filter(customer=customer).values_list("band__months", flat=True)) == [6, 12]
    twelve = Lapse.objects.get(band__months=12)
    assert twelve.callback.kind == "win_back" and twelve.callback.status == "open"
    assert run_day(EIGHTEEN)["created"] == 1


def test_no_second_win_back_call_while_one_is_waiting():
    customer, _car = customer_last_seen()
    run_day(SIX)
    counts = run_day(TWELVE)  # the 6-month call still in the queue
    assert (counts["created"], counts["call"]) == (1, 0)
    assert Lapse.objects.get(band__months=12).callback is None
    assert Callback.objects.filter(customer=customer, kind="win_back").count() == 1


def test_a_missed_day_is_caught_up_but_not_beyond_the_catch_up_days():
    customer_last_seen()
    assert run_day(SIX + timedelta(days=3))["created"] == 1
    later, _car = customer_last_seen(date(2025, 3, 11))
    assert run_day(date(2025, 9, 15))["created"] == 0  # 11 September's crossing, 4 days ago
    assert not Lapse.objects.filter(customer=later).exists()


def test_the_windows_of_consecutive_days_meet_at_a_short_months_end():
    # Last visit 31 August 2025: six months later has no 31st; the crossing is on 1 March 2026.
    assert lapse_window(on=date(2026, 2, 28), months=6) == (date(2025, 8, 24), date(2025, 8, 28))
    assert lapse_window(on=date(2026, 3, 1), months=6) == (date(2025, 8, 25), date(2025, 9, 1))
    customer_last_seen(date(2025, 8, 31))
    assert run_day(date(2026, 2, 28))["created"] == 0
    assert run_day(date(2026, 3, 1))["created"] == 1


def test_a_customer_whose_cars_are_all_sold_is_not_lapsed():
    customer, car = customer_last_seen()
    VehicleRole.objects.filter(vehicle=car).update(ended_on=date(2025, 6, 1))
    assert run_day(SIX)["created"] == 0


def test_a_customer_with_an_appointment_booked_is_not_lapsed():
    customer, car = customer_last_seen()
    book(car, at=at(SIX + timedelta(days=3), 9, 0))
    assert run_day(SIX)["created"] == 0


def test_a_band_switched_off_or_without_calls_says_so():
    customer_last_seen()
    LapseBand.objects.filter(months=6).update(win_back_call=False)
    counts = run_day(SIX)
    assert (counts["created"], counts["call"]) == (1, 0)
    LapseBand.objects.filter(months=12).update(active=False)
    assert run_day(TWELVE)["created"] == 0


def test_a_customer_who_takes_no_calls_gets_the_win_back_text_instead():
    customer, _car = customer_last_seen(name="王磊", gender="M")
    refuse(customer, channel="phone", purpose="service")
    counts = run_day(SIX)
    assert (counts["call"], counts["sms"]) == (0, 1)
    callback = Lapse.objects.get().callback
    assert (callback.status, callback.close_reason) == ("sms_sent", "no_calls")
    message = OutboundMessage.objects.get()
    assert message.idempotency_key == f"callback-sms:{callback.pk}"
    assert message.template.key == "retention_win_back" and message.text.startswith("王磊先生您好")
    entry = TimelineEntry.objects.get(customer=customer, kind="callback")
    assert entry.text.title == "流失挽回电话：客户不接受来电，已改发短信"


def test_a_customer_who_refuses_all_contact_gets_a_skipped_call():
    customer, _car = customer_last_seen()
    refuse(customer, channel="any", purpose="all")
    counts = run_day(SIX)
    assert (counts["created"], counts["skipped"]) == (1, 1)
    assert Lapse.objects.get().callback.close_reason == "refuses_contact"


def test_a_customer_who_moved_away_is_lost_for_good_and_not_lapsed_again(supervisor):
    customer, _car = customer_last_seen()
    run_day(SIX)
    lapse = Lapse.objects.get()
    with time_machine.travel(at(date(2025, 9, 12), 10), tick=False):
        reason = lapse_reason_record(customer=customer, reason="moved", by=supervisor, note="搬去合肥了")
    lapse.refresh_from_db()
    assert (reason.lapse, lapse.status, lapse.closed_at) == (lapse, "lost", at(date(2025, 9, 12), 10))
    assert Callback.objects.get().status == "cancelled"
    entry = TimelineEntry.objects.get(customer=customer, kind="reminder")
    assert (entry.text.title, entry.text.body) == ("流失原因：已搬迁", "搬去合肥了")
    assert run_day(TWELVE)["created"] == 0
