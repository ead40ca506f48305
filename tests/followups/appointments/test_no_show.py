"""The no-shows: a booking of yesterday nobody checked in and no repair order of which came becomes
NO_SHOW with one follow-up call (kind no_show), once; a repair order of that day shows the customer
came after all, even one imported after the no-show was recorded.

The clock: Thursday 1 October 2026, 05:30 in Shanghai (the daily jobs' hour), the appointments of
Wednesday 30 September."""

from datetime import timedelta

import pytest
import time_machine

from customers.models import TimelineEntry
from customers.timeline import entry_text
from dealer_crm.jobs.services import run_daily_jobs
from followups.appointments.models import Appointment
from followups.appointments.services import (appointment_book, appointment_check_in, appointments_link_visits,
                                             appointments_no_show, slots_ensure)
from followups.callbacks.models import Callback, CallbackRule
from tests.followups.factories import refuse, repair_order

from .services_support import WEDNESDAY, at, customer_with_car, one_advisor, slot_of

TODAY = WEDNESDAY + timedelta(days=1)
MORNING = at(TODAY, 5, 30)


@pytest.fixture
def advisor(db):
    resource = one_advisor(hours=(9, 14), places=5)
    slots_ensure(start=WEDNESDAY, days=1)
    return resource


def _booked(advisor, hour: int = 9, **customer_fields):
    customer, vehicle = customer_with_car(**customer_fields)
    return appointment_book(customer=customer, vehicle=vehicle, slot=slot_of(advisor, WEDNESDAY, hour), by=None,
                            source="phone", jobs=["常规保养"], now=at(WEDNESDAY - timedelta(days=3), 10))


def _no_show_calls(appointment):
    return list(Callback.objects.filter(kind="no_show", source_key=f"appointment:{appointment.pk}"))


def test_a_booking_of_yesterday_nobody_came_to_becomes_a_no_show_with_one_call(advisor):
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        counts = appointments_no_show(on=TODAY)
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW
    (call,) = _no_show_calls(missed)
    assert missed.no_show_callback == call
    assert (call.customer, call.vehicle, call.status) == (missed.customer, missed.vehicle, Callback.Status.OPEN)
    rule = CallbackRule.objects.get(kind="no_show")
    assert call.rule == rule and call.priority == 15
    assert call.due_at == at(TODAY, 8, 30) and call.expires_at == at(TODAY + timedelta(days=8), 0)
    assert counts == {"found": 1, "arrived": 0, "no_show": 1, "created": 1}


def test_a_second_run_makes_no_second_call(advisor):
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        appointments_no_show(on=TODAY)
        again = appointments_no_show(on=TODAY)
    assert again == {"found": 0, "arrived": 0, "no_show": 0, "created": 0}
    assert len(_no_show_calls(missed)) == 1
    assert Callback.objects.filter(kind="no_show").count() == 1


def test_the_no_show_is_on_the_timeline(advisor):
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        appointments_no_show(on=TODAY)
    entry = TimelineEntry.objects.filter(customer=missed.customer, params__variant="no_show").get()
    assert "未到" in entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body).title


def test_today_and_later_bookings_are_not_no_shows(advisor):
    later = _booked(advisor, hour=14)
    with time_machine.travel(at(WEDNESDAY, 15), tick=False):
        appointments_no_show(on=WEDNESDAY)  # run on the day itself: the booking is that day's
    later.refresh_from_db()
    assert later.status == Appointment.Status.BOOKED and not _no_show_calls(later)


def test_a_checked_in_customer_is_no_no_show(advisor):
    came = _booked(advisor)
    with time_machine.travel(at(WEDNESDAY, 9, 5), tick=False):
        appointment_check_in(appointment=came, by=None)
    with time_machine.travel(MORNING, tick=False):
        appointments_no_show(on=TODAY)
    came.refresh_from_db()
    assert came.status == Appointment.Status.ARRIVED and not _no_show_calls(came)


def test_a_repair_order_of_that_day_counts_as_arrival_without_check_in(advisor):
    came = _booked(advisor)
    visit = repair_order(came.vehicle, closed_on=WEDNESDAY, kind="scheduled")
    with time_machine.travel(MORNING, tick=False):
        counts = appointments_no_show(on=TODAY)
    came.refresh_from_db()
    assert (came.status, came.visit) == (Appointment.Status.ARRIVED, visit)
    assert not _no_show_calls(came)
    assert counts["arrived"] == 1 and counts["no_show"] == 0


def test_a_repair_order_imported_after_the_no_show_undoes_it_and_cancels_the_call(advisor):
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        appointments_no_show(on=TODAY)
    visit = repair_order(missed.vehicle, closed_on=WEDNESDAY)  # the DMS export of Wednesday, imported late
    with time_machine.travel(at(TODAY, 9), tick=False):
        assert appointments_link_visits(on=WEDNESDAY) == 1
    missed.refresh_from_db()
    (call,) = _no_show_calls(missed)
    assert (missed.status, missed.visit, missed.closed_at) == (Appointment.Status.ARRIVED, visit, None)
    assert (call.status, call.close_reason) == (Callback.Status.CANCELLED, "came")


def test_a_customer_who_takes_no_calls_gets_the_call_closed_with_the_reason(advisor):
    missed = _booked(advisor)
    refuse(missed.customer, channel="phone", purpose="service")
    with time_machine.travel(MORNING, tick=False):
        counts = appointments_no_show(on=TODAY)
    (call,) = _no_show_calls(missed)
    assert (call.status, call.close_reason) == (Callback.Status.SKIPPED, "no_calls")
    assert counts["no_show"] == 1 and counts["created"] == 0


def test_the_rule_switched_off_records_the_no_show_without_a_call(advisor):
    CallbackRule.objects.filter(kind="no_show").update(enabled=False)
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        appointments_no_show(on=TODAY)
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW and not _no_show_calls(missed)


def test_the_daily_jobs_record_the_no_show_once(advisor):
    missed = _booked(advisor)
    with time_machine.travel(MORNING, tick=False):
        first = run_daily_jobs(on=TODAY)
        second = run_daily_jobs(on=TODAY)
    assert first["jobs"]["appointments.no_shows"]["no_show"] == 1
    assert second["jobs"]["appointments.no_shows"]["no_show"] == 0
    assert first["jobs"]["appointments.slots"]["created"] > 0 and second["jobs"]["appointments.slots"]["created"] == 0
    assert len(_no_show_calls(missed)) == 1
