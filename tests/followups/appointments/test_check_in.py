"""Check-in at the service desk, and the repair order that links the appointment to the visit: the
DMS export imported the same evening (or the day's job the morning after) finds the order the car
opened that day, whoever imported it, and a car checked in after its order was imported is linked
at once.

The day: Thursday 8 October 2026, the first working day after the National Day holiday."""

from datetime import timedelta

import pytest
import time_machine

from customers.models import TimelineEntry
from customers.timeline import entry_text
from followups.appointments.models import Appointment
from followups.appointments.services import (AppointmentError, appointment_book, appointment_check_in,
                                             appointments_link_visits, slots_ensure)
from tests.followups.factories import repair_order

from .services_support import FRIDAY, THURSDAY, at, customer_with_car, one_advisor, slot_of


@pytest.fixture
def advisor(db):
    resource = one_advisor(hours=(9, 14), places=5)
    slots_ensure(start=THURSDAY, days=2)
    return resource


def _booked(advisor, day=THURSDAY, hour: int = 9):
    customer, vehicle = customer_with_car()
    return appointment_book(customer=customer, vehicle=vehicle, slot=slot_of(advisor, day, hour), by=None,
                            source="phone", jobs=["常规保养"], now=at(THURSDAY - timedelta(days=2), 10))


def test_check_in_then_the_days_repair_order_links_the_visit(advisor, service_manager):
    booking = _booked(advisor)
    with time_machine.travel(at(THURSDAY, 8, 50), tick=False):
        appointment_check_in(appointment=booking, by=service_manager)
    booking.refresh_from_db()
    assert booking.status == Appointment.Status.ARRIVED
    assert (booking.arrived_at, booking.visit) == (at(THURSDAY, 8, 50), None)
    visit = repair_order(booking.vehicle, closed_on=THURSDAY, kind="scheduled")  # imported that evening
    assert appointments_link_visits(on=THURSDAY) == 1
    booking.refresh_from_db()
    assert booking.visit == visit and booking.status == Appointment.Status.ARRIVED
    assert appointments_link_visits(on=THURSDAY) == 0  # linked once


def test_a_car_checked_in_after_its_order_was_imported_is_linked_at_once(advisor, service_manager):
    booking = _booked(advisor, hour=14)
    visit = repair_order(booking.vehicle, closed_on=THURSDAY)
    with time_machine.travel(at(THURSDAY, 14, 10), tick=False):
        appointment_check_in(appointment=booking, by=service_manager)
    booking.refresh_from_db()
    assert booking.visit == visit


def test_an_order_of_another_day_or_car_is_not_linked(advisor):
    booking = _booked(advisor)
    repair_order(booking.vehicle, closed_on=FRIDAY)
    _other_customer, other_car = customer_with_car(name="李四")
    repair_order(other_car, closed_on=THURSDAY)
    assert appointments_link_visits(on=THURSDAY) == 0
    booking.refresh_from_db()
    assert booking.visit is None and booking.status == Appointment.Status.BOOKED


def test_one_order_goes_to_one_appointment(advisor):
    first = _booked(advisor)
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.ARRIVED)
    # The same car booked again that afternoon (say, for the bodywork) with a single order that day.
    second = Appointment.objects.create(customer=first.customer, vehicle=first.vehicle,
                                        slot=slot_of(advisor, THURSDAY, 14), starts_at=at(THURSDAY, 14),
                                        source="phone", jobs=["钣喷"], booked_at=at(THURSDAY, 8))
    visit = repair_order(first.vehicle, closed_on=THURSDAY)
    assert appointments_link_visits(on=THURSDAY) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.visit, second.visit) == (visit, None)


def test_checking_in_twice_is_once_and_on_the_timeline_once(advisor, service_manager):
    booking = _booked(advisor)
    with time_machine.travel(at(THURSDAY, 9), tick=False):
        appointment_check_in(appointment=booking, by=service_manager)
        appointment_check_in(appointment=booking, by=service_manager)
    (entry,) = TimelineEntry.objects.filter(customer=booking.customer, params__variant="arrived")
    assert "到店" in entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body).title


def test_check_in_on_another_day_is_refused(advisor, service_manager):
    tomorrow = _booked(advisor, day=FRIDAY)
    with time_machine.travel(at(THURSDAY, 9), tick=False), pytest.raises(AppointmentError, match="10月9日"):
        appointment_check_in(appointment=tomorrow, by=service_manager)
    tomorrow.refresh_from_db()
    assert tomorrow.status == Appointment.Status.BOOKED


def test_a_cancelled_appointment_cannot_be_checked_in(advisor, service_manager):
    booking = _booked(advisor)
    Appointment.objects.filter(pk=booking.pk).update(status=Appointment.Status.CANCELLED)
    with time_machine.travel(at(THURSDAY, 9), tick=False), pytest.raises(AppointmentError):
        appointment_check_in(appointment=booking, by=service_manager)
