"""The day-before text (预约提醒): for each of tomorrow's bookings, once however often the job runs,
going at APPOINTMENT_REMINDER_AT (10:00) rather than when the morning job runs; none for a booking
cancelled, moved or of another day.

The clock: Friday 9 October 2026, 05:30 in Shanghai (the daily jobs' hour); the bookings of the
make-up working Saturday, 10 October."""

from datetime import timedelta

import pytest
import time_machine

from dealer_crm.messaging.models import OutboundMessage
from followups.appointments.services import (appointment_book, appointment_cancel, appointment_reminders_send,
                                             appointment_reschedule, slots_ensure)

from .services_support import FRIDAY, MAKE_UP_SATURDAY, SUNDAY, at, customer_with_car, one_advisor, slot_of

MORNING = at(FRIDAY, 5, 30)


@pytest.fixture
def advisor(db):
    resource = one_advisor(hours=(9, 14), places=5)
    slots_ensure(start=FRIDAY, days=3)
    return resource


def _booked(advisor, day=MAKE_UP_SATURDAY, hour: int = 9, **customer_fields):
    customer, vehicle = customer_with_car(**customer_fields)
    return appointment_book(customer=customer, vehicle=vehicle, slot=slot_of(advisor, day, hour), by=None,
                            source="phone", jobs=["常规保养"], now=at(FRIDAY - timedelta(days=3), 10))


def _tomorrow_texts():
    return list(OutboundMessage.objects.filter(idempotency_key__startswith="appointment-tomorrow:").order_by("id"))


def test_tomorrows_booking_gets_one_reminder_at_ten_even_if_the_job_runs_twice(advisor):
    booking = _booked(advisor, hour=14, plate="皖C88888")
    with time_machine.travel(MORNING, tick=False):
        assert appointment_reminders_send(on=FRIDAY) == 1
        assert appointment_reminders_send(on=FRIDAY) == 0
    (text,) = _tomorrow_texts()
    assert text.idempotency_key == f"appointment-tomorrow:{booking.pk}"
    assert text.customer_id == booking.customer_id and text.template.key == "appointment_tomorrow"
    assert "明天（10月10日）14:00" in text.text and "皖C88888" in text.text
    assert text.not_before == at(FRIDAY, 10)


def test_a_job_run_after_ten_sends_at_once(advisor):
    _booked(advisor)
    late = at(FRIDAY, 15, 20)
    with time_machine.travel(late, tick=False):
        assert appointment_reminders_send(on=FRIDAY) == 1
    assert _tomorrow_texts()[0].not_before == late


def test_cancelled_moved_and_other_days_bookings_get_no_reminder(advisor):
    cancelled, moved, sunday = _booked(advisor), _booked(advisor), _booked(advisor, day=SUNDAY)
    kept = _booked(advisor, hour=14)
    now = at(FRIDAY - timedelta(days=2), 11)
    appointment_cancel(appointment=cancelled, by=None, reason="客户出差", now=now)
    moved_to = appointment_reschedule(appointment=moved, slot=slot_of(advisor, SUNDAY, 14), by=None,
                                      reason="改周日", now=now)
    with time_machine.travel(MORNING, tick=False):
        assert appointment_reminders_send(on=FRIDAY) == 1
    assert [text.idempotency_key for text in _tomorrow_texts()] == [f"appointment-tomorrow:{kept.pk}"]
    assert sunday.pk != moved_to.pk


def test_the_daily_job_sends_the_reminders_once(advisor):
    booking = _booked(advisor)
    from dealer_crm.jobs.services import run_daily_jobs

    with time_machine.travel(MORNING, tick=False):
        first = run_daily_jobs(on=FRIDAY)
        second = run_daily_jobs(on=FRIDAY)
    assert first["jobs"]["appointments.reminders"] == {"status": "succeeded", "created": 1}
    assert second["jobs"]["appointments.reminders"] == {"status": "succeeded", "created": 0}
    assert [text.idempotency_key for text in _tomorrow_texts()] == [f"appointment-tomorrow:{booking.pk}"]
