"""Maintenance reminders (保养提醒): due by time or by mileage, whichever first; none when booked or
come; one per vehicle and cycle; by the customer's channel; a call that asks about a recent
problem or complaint first.

The cars are of a model the catalogue does not know, so the settings' interval applies: every
6 months or 5,000 km. Delivered 1 January 2026, first maintenance 11 February at 4,100 km (41 days:
100 km a day): the next is due at 9,100 km, 50 days on, 2 April — by mileage, long before 11 August
(6 months). The reminder's window opens 14 days before: 19 March."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import Customer, TimelineEntry
from customers.services import customer_merge
from dealer_crm.messaging.models import OutboundMessage
from dealer_crm.messaging.services import dispatch
from followups.callbacks.models import Callback, CallbackRule, Problem
from followups.complaints.models import Complaint, Severity
from followups.retention.models import Reminder, ServiceDue
from followups.retention.services import letters_mark_printed, reminders_build, service_due_refresh
from tests.followups.factories import CustomerFactory, book, make_vehicle, raise_problem, refuse, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 1, 1)
FIRST_DONE = date(2026, 2, 11)
DUE = date(2026, 4, 2)
OPENS = date(2026, 3, 19)
MODEL = "试驾车"  # not in the catalogue: the settings' 6 months or 5,000 km
SERIALS = iter(range(820_000, 830_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def run_day(day: date, hour: int = 5, minute: int = 30) -> dict:
    with time_machine.travel(at(day, hour, minute), tick=False):
        service_due_refresh()
        return reminders_build(on=day)


def fast_car(customer=None, *, plate: str = "皖C88888", mileage: int = 4100):
    customer = customer or CustomerFactory(name="李娜", gender="F")
    with time_machine.travel(at(DELIVERED, 10), tick=False):
        vehicle = make_vehicle(customer, serial=next(SERIALS), plate=plate, model_name=MODEL, delivered=DELIVERED)
    with time_machine.travel(at(FIRST_DONE, 10), tick=False):
        service_visit(vehicle, on=FIRST_DONE, kind="first", mileage=mileage, advisor="胡军")
    return vehicle


def test_a_car_driving_100_km_a_day_is_reminded_by_mileage_14_days_before_5000_km():
    car = fast_car()
    assert run_day(date(2026, 3, 18))["created"] == 0  # the window opens tomorrow
    due = ServiceDue.objects.get(vehicle=car)
    assert (due.due_on, due.due_by, due.km_per_day, due.last_maintenance_km) == (DUE, "km", 100, 4100)
    counts = run_day(OPENS)
    assert counts["maintenance"] == 1 and counts["sms"] == 1
    reminder = Reminder.objects.get(vehicle=car)
    assert (reminder.kind, reminder.channel, reminder.status, reminder.due_on) == ("maintenance", "sms", "done", DUE)
    assert reminder.window_end == DUE + timedelta(days=30)
    assert reminder.advisor == "胡军"
    text = OutboundMessage.objects.get(pk=reminder.message_id).text
    assert "李娜女士您好" in text and "皖C88888" in text and "4月2日" in text and "胡军" in text


def test_a_car_at_a_normal_pace_is_reminded_14_days_before_six_months():
    car = fast_car(mileage=410)  # 10 km a day: 5,000 km would take 500 days
    assert run_day(date(2026, 7, 27))["created"] == 0
    assert run_day(date(2026, 7, 28))["maintenance"] == 1  # 11 August − 14 days
    assert Reminder.objects.get(vehicle=car).due_on == date(2026, 8, 11)


def test_one_reminder_per_vehicle_and_cycle_a_second_run_makes_none():
    car = fast_car()
    assert run_day(OPENS)["created"] == 1
    assert run_day(OPENS) == {"first": 0, "first_chase": 0, "maintenance": 0, "sms": 0, "call": 0, "letter": 0,
                              "skipped": 0, "created": 0, "settled": 0}
    assert run_day(OPENS + timedelta(days=1))["created"] == 0
    assert Reminder.objects.filter(vehicle=car).count() == 1


def test_a_car_booked_ahead_gets_no_reminder_and_a_cancelled_booking_does_not_count():
    car = fast_car()
    booked = book(car, at=at(date(2026, 3, 25), 9, 0))
    assert run_day(OPENS)["created"] == 0
    booked.status = "cancelled"
    booked.save(update_fields=["status"])
    assert run_day(OPENS + timedelta(days=1))["created"] == 1


def test_a_booking_in_the_past_does_not_stop_the_reminder():
    car = fast_car()
    book(car, at=at(date(2026, 3, 10), 9, 0))
    assert run_day(OPENS)["created"] == 1


def test_a_car_that_came_for_its_maintenance_starts_a_new_cycle_and_gets_no_reminder_for_the_old():
    car = fast_car()
    with time_machine.travel(at(date(2026, 3, 17), 10), tick=False):
        visit = service_visit(car, on=date(2026, 3, 17), kind="scheduled", mileage=7700)
    assert run_day(OPENS)["created"] == 0
    due = ServiceDue.objects.get(vehicle=car)
    # The new cycle: 7,700 + 5,000 km at (7,700 km / 75 days = 102.7 a day) → ceil(48.7) = 49 days on.
    assert (due.cycle, due.due_on) == (f"after:{visit.pk}", date(2026, 5, 5))


def test_a_car_that_came_for_a_repair_since_the_window_opened_gets_no_reminder():
    car = fast_car()
    run_day(date(2026, 3, 1))  # retention began before: the 19 March window is caught up on the 20th
    with time_machine.travel(at(OPENS, 15), tick=False):
        service_visit(car, on=OPENS, kind="repair", mileage=None)
    assert run_day(OPENS + timedelta(days=1))["created"] == 0
    assert not Reminder.objects.filter(vehicle=car).exists()


def test_a_customer_who_refuses_sms_gets_a_call():
    car = fast_car()
    refuse(car.roles.get().customer, channel="sms", purpose="service")
    counts = run_day(OPENS)
    assert counts["call"] == 1 and counts["sms"] == 0
    reminder = Reminder.objects.get(vehicle=car)
    assert (reminder.channel, reminder.status, reminder.concern) == ("call", "pending", "")
    callback = reminder.callback
    assert (callback.kind, callback.source_key, callback.vehicle_id) == ("reminder", f"reminder:{reminder.pk}", car.pk)
    assert callback.rule == CallbackRule.objects.get(kind="reminder", visit_kind="")
    assert not OutboundMessage.objects.exists()


def test_a_customer_with_an_open_complaint_gets_a_call_that_asks_about_it_first(supervisor):
    car = fast_car()
    customer = car.roles.get().customer
    complaint = Complaint.objects.create(
        customer=customer, vehicle=car, channel="phone", category="repair", severity=Severity.objects.first(),
        description="上次保养后发动机异响", department="service", registered_at=at(date(2026, 3, 1), 10),
        contact_due_at=at(date(2026, 3, 2), 10), solve_due_at=at(date(2026, 3, 9), 10))
    run_day(OPENS)
    reminder = Reminder.objects.get(vehicle=car)
    assert reminder.channel == "call"
    assert complaint.number in reminder.concern and "上次保养后发动机异响" in reminder.concern
    assert reminder.callback.priority == 10  # the rule's 0 and the concern's boost


def test_a_problem_from_the_last_visit_makes_the_reminder_a_call_with_the_concern(supervisor):
    car = fast_car()
    with time_machine.travel(at(date(2026, 2, 14), 10), tick=False):
        raise_problem(by=supervisor, customer=car.roles.get().customer, vehicle=car, category="repair",
                      description="保养后车里有机油味")
    run_day(OPENS)
    reminder = Reminder.objects.get(vehicle=car)
    assert reminder.channel == "call"
    assert reminder.concern == "维修质量：保养后车里有机油味（待部门处理）"


def test_a_problem_closed_long_ago_no_longer_changes_the_channel(supervisor):
    car = fast_car()
    with time_machine.travel(at(date(2025, 11, 1), 10), tick=False):
        problem = raise_problem(by=supervisor, customer=car.roles.get().customer, description="等待时间太长")
    Problem.objects.filter(pk=problem.pk).update(status="satisfied", closed_at=at(date(2025, 12, 1), 10))
    run_day(OPENS)  # 108 days after it closed: more than RETENTION_RECENT_CASE_DAYS (90)
    assert Reminder.objects.get(vehicle=car).channel == "sms"


def test_a_customer_without_a_mobile_but_with_an_address_gets_a_letter_until_printed(supervisor):
    customer = CustomerFactory(name="赵强", mobile="", phone2="05521234567", address="蚌埠市蚌山区胜利路8号")
    car = fast_car(customer)
    assert run_day(OPENS)["letter"] == 1
    reminder = Reminder.objects.get(vehicle=car)
    assert (reminder.channel, reminder.status) == ("letter", "pending")
    with time_machine.travel(at(OPENS, 14), tick=False):
        assert letters_mark_printed(reminder_ids=[reminder.pk], by=supervisor) == 1
        assert letters_mark_printed(reminder_ids=[reminder.pk], by=supervisor) == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.letter_printed_at) == ("done", at(OPENS, 14))
    entry = TimelineEntry.objects.get(customer=customer, kind="reminder")
    assert entry.text.title == "保养提醒信件已打印"


def test_a_customer_who_takes_letters_and_no_sms_gets_a_letter():
    customer = CustomerFactory(address="蚌埠市禹会区涂山路2号")
    car = fast_car(customer)
    refuse(customer, channel="sms", purpose="all")
    refuse(customer, channel="letter", purpose="service", allowed=True)
    run_day(OPENS)
    assert Reminder.objects.get(vehicle=car).channel == "letter"


def test_a_customer_who_refuses_every_channel_has_a_skipped_reminder_with_the_reason():
    car = fast_car()
    refuse(car.roles.get().customer, channel="any", purpose="all")
    counts = run_day(OPENS)
    assert counts["skipped"] == 1 and counts["created"] == 1
    reminder = Reminder.objects.get(vehicle=car)
    assert (reminder.status, reminder.skip_reason) == ("skipped", "refuses_contact")
    assert not Callback.objects.exists() and not OutboundMessage.objects.exists()


def test_two_cars_of_a_customer_due_the_same_day_get_one_text_and_the_second_says_why():
    customer = CustomerFactory()
    first, second = fast_car(customer, plate="皖C00001"), fast_car(customer, plate="皖C00002")
    counts = run_day(OPENS)
    assert (counts["created"], counts["sms"], counts["skipped"]) == (2, 1, 1)
    reasons = sorted(Reminder.objects.filter(vehicle__in=[first, second]).values_list("status", "skip_reason"))
    assert reasons == [("done", ""), ("skipped", "duplicate_mobile")]


def test_the_sms_reminder_is_on_the_customers_timeline_once_sent():
    car = fast_car()
    run_day(OPENS)
    customer = car.roles.get().customer
    assert not TimelineEntry.objects.filter(customer=customer, kind__in=["sms", "reminder"]).exists()
    with time_machine.travel(at(OPENS, 8, 0), tick=False):
        dispatch()
    entry = TimelineEntry.objects.get(customer=customer, kind="sms")
    assert entry.text.body == OutboundMessage.objects.get().text


def test_a_merged_customers_car_is_reminded_to_the_kept_customer(supervisor):
    duplicate = CustomerFactory(name="张三")
    car = fast_car(duplicate)
    kept = CustomerFactory(name="张三")
    run_day(date(2026, 3, 1))  # the mark is set before the merge
    with time_machine.travel(at(date(2026, 3, 10), 10), tick=False):
        customer_merge(survivor=kept, duplicate=duplicate, by=supervisor)
    run_day(OPENS)
    assert Reminder.objects.get(vehicle=car).customer == kept
    assert Customer.all_objects.get(pk=duplicate.pk).merged_into == kept


def test_a_call_reminder_is_done_when_its_call_is_completed(agent):
    car = fast_car()
    refuse(car.roles.get().customer, channel="sms", purpose="service")
    run_day(OPENS)
    reminder = Reminder.objects.get(vehicle=car)
    Callback.objects.filter(pk=reminder.callback_id).update(status="completed", closed_at=at(OPENS, 11))
    assert run_day(OPENS + timedelta(days=1))["settled"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.done_at) == ("done", at(OPENS, 11))


def test_a_switched_off_reminder_call_rule_sends_the_customer_who_refuses_sms_a_letter():
    customer = CustomerFactory(address="蚌埠市禹会区涂山路2号")
    car = fast_car(customer)
    refuse(customer, channel="sms", purpose="service")
    CallbackRule.objects.filter(kind="reminder").update(enabled=False)
    run_day(OPENS)
    assert Reminder.objects.get(vehicle=car).channel == "letter"
    assert not Callback.objects.exists()
