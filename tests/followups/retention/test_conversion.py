"""Conversion: a reminder counts as converted when its vehicle visits within its window, whoever
entered or imported the repair order; a vehicle that came cancels what was still to be done for it;
a lapsed customer who came is back.

The maintenance reminder is made on 19 March 2026 for a car due on 2 April (by mileage, see
test_reminders_build.py); a visit by 2 May (due + 30 days) counts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import ServiceVisit
from followups.callbacks.models import Callback
from followups.retention.models import Lapse, Reminder
from followups.retention.services import lapses_build, reminders_build, service_due_refresh
from tests.followups.factories import CustomerFactory, make_vehicle, refuse, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENS, DUE, WINDOW_END = date(2026, 3, 19), date(2026, 4, 2), date(2026, 5, 2)
SERIALS = iter(range(850_000, 860_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def refresh(day: date) -> dict:
    with time_machine.travel(at(day), tick=False):
        return service_due_refresh()


def reminded(customer=None, **fields) -> Reminder:
    customer = customer or CustomerFactory(**fields)
    with time_machine.travel(at(date(2026, 1, 1), 10), tick=False):
        car = make_vehicle(customer, serial=next(SERIALS), model_name="试驾车", delivered=date(2026, 1, 1))
    with time_machine.travel(at(date(2026, 2, 11), 10), tick=False):
        service_visit(car, on=date(2026, 2, 11), kind="first", mileage=4100)
    with time_machine.travel(at(OPENS), tick=False):
        service_due_refresh()
        reminders_build(on=OPENS)
    return Reminder.objects.get(vehicle=car)


def visit_on(reminder: Reminder, day: date, kind: str = "scheduled") -> ServiceVisit:
    with time_machine.travel(at(day, 10), tick=False):
        return service_visit(reminder.vehicle, on=day, kind=kind, mileage=9000)


@pytest.mark.parametrize(("day", "converted"), [(DUE, True), (WINDOW_END, True), (WINDOW_END + timedelta(days=1), False)])
def test_a_visit_within_the_window_converts_the_reminder_with_the_visit(day, converted):
    reminder = reminded()
    visit = visit_on(reminder, day)
    counts = refresh(day + timedelta(days=1))
    reminder.refresh_from_db()
    if converted:
        assert counts["converted"] == 1
        assert (reminder.converted_visit, reminder.converted_on) == (visit, day)
    else:
        assert counts["converted"] == 0 and reminder.converted_visit is None


def test_a_repair_order_imported_in_bulk_converts_it_too():
    reminder = reminded()
    # As an import writes them: rows straight into the table, no service, no timeline.
    visit = ServiceVisit.objects.create(vehicle=reminder.vehicle, customer=reminder.customer, ro_number="DMS-0042",
                                        opened_on=date(2026, 4, 8), closed_on=date(2026, 4, 8), kind="repair",
                                        mileage=9600)
    refresh(date(2026, 4, 9))
    reminder.refresh_from_db()
    assert reminder.converted_visit == visit


def test_the_earliest_of_the_new_visits_converts_it():
    reminder = reminded()
    later, earlier = visit_on(reminder, date(2026, 4, 20), "repair"), visit_on(reminder, date(2026, 4, 1))
    refresh(date(2026, 4, 21))
    reminder.refresh_from_db()
    assert reminder.converted_visit == earlier != later


def test_a_visit_before_the_reminder_was_made_or_an_internal_order_does_not_convert_it():
    reminder = reminded()
    visit_on(reminder, date(2026, 3, 18), "repair")  # entered late: the day before the reminder
    visit_on(reminder, date(2026, 3, 25), "internal")
    refresh(date(2026, 3, 26))
    reminder.refresh_from_db()
    assert reminder.converted_visit is None


def test_a_conversion_is_not_matched_twice():
    reminder = reminded()
    visit_on(reminder, date(2026, 4, 1))
    assert refresh(date(2026, 4, 2))["converted"] == 1
    assert refresh(date(2026, 4, 2))["converted"] == 0
    visit_on(reminder, date(2026, 4, 10), "repair")
    assert refresh(date(2026, 4, 11))["converted"] == 0
    reminder.refresh_from_db()
    assert reminder.converted_on == date(2026, 4, 1)


def test_a_vehicle_that_came_cancels_its_pending_call_and_the_call_is_converted():
    customer = CustomerFactory()
    refuse(customer, channel="sms", purpose="service")
    reminder = reminded(customer)
    assert (reminder.channel, reminder.status, reminder.callback.status) == ("call", "pending", "open")
    visit = visit_on(reminder, date(2026, 3, 20))
    assert refresh(date(2026, 3, 21))["cancelled"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason, reminder.converted_visit) == ("cancelled", "came", visit)
    callback = Callback.objects.get(pk=reminder.callback_id)
    assert (callback.status, callback.close_reason) == ("cancelled", "came")


def test_a_call_an_agent_is_on_is_left_to_the_agent():
    customer = CustomerFactory()
    refuse(customer, channel="sms", purpose="service")
    reminder = reminded(customer)
    Callback.objects.filter(pk=reminder.callback_id).update(status="in_progress")
    visit_on(reminder, date(2026, 3, 20))
    refresh(date(2026, 3, 21))
    assert Callback.objects.get(pk=reminder.callback_id).status == "in_progress"


def test_a_lapsed_customer_who_comes_is_back_and_the_win_back_call_is_cancelled():
    customer = CustomerFactory()
    with time_machine.travel(at(date(2024, 1, 5), 10), tick=False):
        car = make_vehicle(customer, serial=next(SERIALS), delivered=date(2024, 1, 5))
    with time_machine.travel(at(date(2025, 3, 10), 10), tick=False):
        service_visit(car, on=date(2025, 3, 10), kind="repair", mileage=20000)
    refresh(date(2025, 9, 9))
    with time_machine.travel(at(date(2025, 9, 10)), tick=False):
        lapses_build(on=date(2025, 9, 10))
    with time_machine.travel(at(date(2025, 9, 20), 10), tick=False):
        visit = service_visit(car, on=date(2025, 9, 20), kind="scheduled", mileage=26000)
    assert refresh(date(2025, 9, 21))["returned"] == 1
    lapse = Lapse.objects.get(customer=customer)
    assert (lapse.status, lapse.returned_visit, lapse.returned_on) == ("returned", visit, date(2025, 9, 20))
    assert lapse.callback.status == "cancelled"
