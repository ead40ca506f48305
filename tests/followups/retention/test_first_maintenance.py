"""The first-maintenance solicitation (首保招揽), its chase and its window, on a car delivered
15 January 2026: 3 calendar months later is 15 April, day 90 (16 + 28 + 31 + 15 days). The
solicitation's window opens 30 days before (16 March), the chase's 10 days before (5 April)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.models import Callback
from followups.retention.models import RefreshMark, Reminder, ServiceDue
from followups.retention.services import reminders_build, service_due_refresh
from tests.followups.factories import CustomerFactory, make_vehicle, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 1, 15)
DEADLINE = date(2026, 4, 15)  # day 90
SOLICIT_ON = date(2026, 3, 16)  # day 60
CHASE_ON = date(2026, 4, 5)  # day 80
SERIALS = iter(range(810_000, 820_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def run_day(day: date, hour: int = 5, minute: int = 30) -> dict:
    with time_machine.travel(at(day, hour, minute), tick=False):
        service_due_refresh()
        return reminders_build(on=day)


@pytest.fixture
def car():
    customer = CustomerFactory(name="王磊", gender="M", mobile="13912345678", address="蚌埠市龙子湖区东海大道1号")
    with time_machine.travel(at(DELIVERED, 10), tick=False):
        return make_vehicle(customer, serial=next(SERIALS), plate="皖C12345", delivered=DELIVERED)


def test_the_first_maintenance_is_due_on_day_90_and_solicited_by_sms_on_day_60(car):
    assert run_day(date(2026, 3, 15))["created"] == 0  # day 59: the window is not open yet
    counts = run_day(SOLICIT_ON)
    due = ServiceDue.objects.get(vehicle=car)
    assert (due.cycle, due.due_on, due.window_end, due.due_by) == ("first", DEADLINE, DEADLINE, "time")
    assert counts["first"] == 1 and counts["sms"] == 1
    reminder = Reminder.objects.get(vehicle=car)
    assert (reminder.kind, reminder.channel, reminder.status, reminder.cycle) == ("first", "sms", "done", "first")
    assert (reminder.due_on, reminder.window_end, reminder.created_on) == (DEADLINE, DEADLINE, SOLICIT_ON)
    message = OutboundMessage.objects.get(pk=reminder.message_id)
    assert message.template.key == "retention_first" and message.purpose == "service"
    assert "王磊先生您好" in message.text and "皖C12345" in message.text and "4月15日前" in message.text
    assert message.idempotency_key == f"retention-reminder:{reminder.pk}"


def test_a_second_run_of_the_day_and_the_next_days_make_no_second_solicitation(car):
    assert run_day(SOLICIT_ON)["created"] == 1
    assert run_day(SOLICIT_ON)["created"] == 0
    assert run_day(date(2026, 3, 17))["created"] == 0
    assert Reminder.objects.filter(vehicle=car, kind="first").count() == 1
    assert OutboundMessage.objects.count() == 1


def test_a_day_missed_is_caught_up_within_the_catch_up_days(car):
    run_day(date(2026, 3, 1))  # retention began before
    assert run_day(date(2026, 3, 19))["first"] == 1  # 3 days after the window opened


def test_a_window_opened_longer_ago_than_the_catch_up_is_not_made_late(car):
    run_day(date(2026, 3, 1))
    assert run_day(date(2026, 3, 20))["first"] == 0


def test_the_first_morning_catches_up_no_window_that_opened_before_retention_began(car):
    assert run_day(date(2026, 3, 17))["first"] == 0  # the archive is filled this morning
    assert RefreshMark.objects.get().filled_at == at(date(2026, 3, 17))


def test_a_sms_made_at_22_00_waits_for_the_end_of_the_quiet_hours(car):
    run_day(SOLICIT_ON, hour=22, minute=0)
    message = OutboundMessage.objects.get()
    assert message.not_before == at(date(2026, 3, 17), 8, 0)


@pytest.mark.parametrize(("day", "counts"), [(date(2026, 4, 14), True), (DEADLINE, True), (date(2026, 4, 16), False)])
def test_a_visit_by_day_90_counts_as_within_the_window_and_day_91_not(car, day, counts):
    run_day(SOLICIT_ON)
    with time_machine.travel(at(day, 10), tick=False):
        visit = service_visit(car, on=day, kind="first", mileage=3500)
    run_day(day + timedelta(days=1))
    reminder = Reminder.objects.get(vehicle=car, kind="first")
    due = ServiceDue.objects.get(vehicle=car)
    assert due.first_done_on == day
    assert due.cycle == f"after:{visit.pk}"
    if counts:
        assert (reminder.converted_visit_id, reminder.converted_on) == (visit.pk, day)
        assert due.first_done_on <= DEADLINE
    else:
        assert reminder.converted_visit_id is None and reminder.converted_on is None
        assert due.first_done_on > DEADLINE


def test_those_not_come_by_day_80_are_chased_by_a_call(car):
    run_day(SOLICIT_ON)
    counts = run_day(CHASE_ON)
    assert counts["first_chase"] == 1 and counts["call"] == 1
    chase = Reminder.objects.get(vehicle=car, kind="first_chase")
    assert (chase.channel, chase.status) == ("call", "pending")
    callback = chase.callback
    assert (callback.kind, callback.source_key, callback.status) == ("solicit", f"reminder:{chase.pk}", "open")
    assert callback.due_at == at(CHASE_ON, 8, 30)  # the shift's start
    assert callback.priority == 5  # the first-maintenance rule's
    assert callback.expires_at == at(date(2026, 4, 20), 0, 0)  # the end of day 14 after


def test_a_car_that_came_since_it_was_solicited_is_not_chased(car):
    run_day(SOLICIT_ON)
    with time_machine.travel(at(date(2026, 3, 25), 10), tick=False):
        service_visit(car, on=date(2026, 3, 25), kind="repair", mileage=1200)
    assert run_day(CHASE_ON)["first_chase"] == 0
    assert not Callback.objects.exists()


def test_a_car_that_had_its_first_maintenance_early_is_neither_solicited_nor_chased(car):
    with time_machine.travel(at(date(2026, 3, 1), 10), tick=False):
        service_visit(car, on=date(2026, 3, 1), kind="first", mileage=2000)
    assert run_day(SOLICIT_ON)["created"] == 0
    assert run_day(CHASE_ON)["created"] == 0
