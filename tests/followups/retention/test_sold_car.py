"""A sold car (车已卖): the owner's role ends in the archive, its reminders stop and those pending
are cancelled with their calls; the other cars of the customer are still reminded. Recorded as a
lapse reason from a call, it names the car; a customer left with no car is no longer lapsed."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import TimelineEntry, VehicleRole
from followups.callbacks.models import Callback
from followups.retention.models import Lapse, LapseReason, Reminder, ServiceDue
from followups.retention.services import (lapse_of_callback, lapse_reason_record, lapses_build, reminder_of_callback,
                                          reminders_build, service_due_refresh, vehicle_sold)
from tests.followups.factories import CustomerFactory, make_vehicle, refuse, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SOLICIT_ON = date(2026, 3, 16)  # cars delivered 15 January are solicited on day 60
SERIALS = iter(range(860_000, 870_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def run_day(day: date) -> dict:
    with time_machine.travel(at(day), tick=False):
        service_due_refresh()
        return reminders_build(on=day)


def new_car(customer, plate: str):
    with time_machine.travel(at(date(2026, 1, 15), 10), tick=False):
        return make_vehicle(customer, serial=next(SERIALS), plate=plate, delivered=date(2026, 1, 15))


@pytest.fixture
def customer():
    customer = CustomerFactory(name="王磊")
    refuse(customer, channel="sms", purpose="service")  # reminders by call, so one is pending
    return customer


def test_a_sold_car_ends_the_owner_role_and_cancels_its_pending_reminder_and_call(customer, agent):
    car = new_car(customer, "皖C10001")
    run_day(SOLICIT_ON)
    reminder = Reminder.objects.get(vehicle=car)
    assert reminder.status == "pending" and reminder.callback.status == "open"
    with time_machine.travel(at(date(2026, 3, 17), 10), tick=False):
        vehicle_sold(vehicle=car, by=agent, note="卖给了朋友")
    role = VehicleRole.objects.get(vehicle=car)
    assert role.ended_on == date(2026, 3, 17)
    assert role.history.first().history_change_reason == "卖给了朋友"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason) == ("cancelled", "vehicle_sold")
    callback = Callback.objects.get(pk=reminder.callback_id)
    assert (callback.status, callback.close_reason, callback.closed_by) == ("cancelled", "vehicle_sold", agent)
    assert ServiceDue.objects.get(vehicle=car).customer is None
    assert TimelineEntry.objects.get(customer=customer, kind="ownership").text.title == "不再是 皖C10001 科雷傲 的车主"


def test_a_sold_car_is_not_reminded_again_and_the_other_car_still_is(customer, agent):
    sold, kept = new_car(customer, "皖C10002"), new_car(customer, "皖C10003")
    run_day(date(2026, 3, 1))
    with time_machine.travel(at(date(2026, 3, 10), 10), tick=False):
        vehicle_sold(vehicle=sold, by=agent)
    run_day(SOLICIT_ON)
    assert list(Reminder.objects.values_list("vehicle", flat=True)) == [kept.pk]
    assert run_day(date(2026, 4, 5))["first_chase"] == 1  # the kept car only
    assert not Reminder.objects.filter(vehicle=sold).exists()


def test_a_sold_car_is_recorded_from_a_call_with_the_car(customer, agent):
    car = new_car(customer, "皖C10004")
    run_day(SOLICIT_ON)
    callback = Reminder.objects.get(vehicle=car).callback
    Callback.objects.filter(pk=callback.pk).update(status="in_progress")  # the agent is on it
    assert reminder_of_callback(callback=callback).vehicle == car
    with time_machine.travel(at(date(2026, 3, 16), 11), tick=False):
        record = lapse_reason_record(customer=customer, reason="sold", by=agent, vehicle=car, note="去年卖了")
    assert (record.reason, record.vehicle, record.recorded_by, record.note) == ("sold", car, agent, "去年卖了")
    assert VehicleRole.objects.get(vehicle=car).ended_on == date(2026, 3, 16)
    assert Callback.objects.get(pk=callback.pk).status == "in_progress"  # the agent finishes the call
    assert Reminder.objects.get(vehicle=car).status == "cancelled"
    entry = TimelineEntry.objects.get(customer=customer, kind="reminder")
    assert (entry.text.title, entry.text.body) == ("流失原因：车已卖", "去年卖了")


def test_a_sale_without_its_car_or_of_someone_elses_car_is_refused(customer, agent):
    mine, theirs = new_car(customer, "皖C10005"), new_car(CustomerFactory(), "皖C10006")
    with pytest.raises(ValidationError) as without:
        lapse_reason_record(customer=customer, reason="sold", by=agent)
    assert "vehicle" in without.value.message_dict
    with pytest.raises(ValidationError):
        lapse_reason_record(customer=customer, reason="scrapped", by=agent, vehicle=theirs)
    with pytest.raises(ValidationError):
        lapse_reason_record(customer=customer, reason="unknown", by=agent, vehicle=mine)
    assert not LapseReason.objects.exists()
    assert VehicleRole.objects.filter(ended_on__isnull=True).count() == 2


def test_a_customer_left_without_a_car_is_no_longer_lapsed(agent):
    customer = CustomerFactory()
    with time_machine.travel(at(date(2024, 1, 5), 10), tick=False):
        car = make_vehicle(customer, serial=next(SERIALS), delivered=date(2024, 1, 5))
    with time_machine.travel(at(date(2025, 3, 10), 10), tick=False):
        service_visit(car, on=date(2025, 3, 10), kind="repair", mileage=20000)
    with time_machine.travel(at(date(2025, 9, 10)), tick=False):
        lapses_build(on=date(2025, 9, 10))
    lapse = Lapse.objects.get(customer=customer)
    assert lapse_of_callback(callback=lapse.callback) == lapse
    with time_machine.travel(at(date(2025, 9, 11), 10), tick=False):
        lapse_reason_record(customer=customer, reason="sold", by=agent, vehicle=car)
    lapse.refresh_from_db()
    assert lapse.status == "lost"
    assert Callback.objects.get(pk=lapse.callback_id).status == "cancelled"
    with time_machine.travel(at(date(2026, 3, 10)), tick=False):
        assert lapses_build(on=date(2026, 3, 10))["created"] == 0
