"""Never over capacity, even when agents book the last places at the same moment: 20 agents, each on
their own database connection, book a slot with 5 places left — exactly 5 get a place, the other 15
are told the slot is full with the next free slots to offer, and the slot holds as many bookings as
it has places."""

import threading
from datetime import timedelta

from django.db import connection, connections

from dealer_crm.messaging.models import OutboundMessage
from followups.appointments.models import Appointment, Slot
from followups.appointments.services import SlotFull, appointment_book, slots_ensure

from .services_support import WEDNESDAY, at, customer_with_car, one_advisor, slot_of

AGENTS = 20
PLACES = 8
BOOKED_BEFORE = 3  # 5 places left


def test_twenty_agents_booking_the_last_five_places_get_five_bookings_and_fifteen_full(transactional_db):
    advisor = one_advisor(hours=(9, 14), places=PLACES)
    slots_ensure(start=WEDNESDAY, days=1)
    slot = slot_of(advisor, WEDNESDAY, 9)
    Slot.objects.filter(pk=slot.pk).update(booked=BOOKED_BEFORE)
    customers = [customer_with_car(name=f"客户{n}") for n in range(AGENTS)]
    # The moment of the bookings, given to each (the clock is the process's, not a thread's).
    now = at(WEDNESDAY - timedelta(days=1), 10, 30)

    start = threading.Barrier(AGENTS)
    booked, full, errors = [], [], []
    lock = threading.Lock()

    def agent(customer, vehicle):
        try:
            seen = Slot.objects.get(pk=slot.pk)  # every agent saw 5 places left
            start.wait(timeout=30)
            try:
                appointment = appointment_book(customer=customer, vehicle=vehicle, slot=seen, by=None,
                                               source="phone", jobs=["常规保养"], now=now)
            except SlotFull as refused:
                with lock:
                    full.append(refused)
            else:
                with lock:
                    booked.append(appointment.pk)
        except Exception as error:  # noqa: BLE001 - reported below, not lost in the thread
            with lock:
                errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=agent, args=pair) for pair in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(booked) == 5 and len(full) == 15
    slot.refresh_from_db()
    assert slot.booked == slot.places == PLACES
    assert Appointment.objects.filter(slot=slot, status=Appointment.Status.BOOKED).count() == 5
    assert OutboundMessage.objects.filter(idempotency_key__startswith="appointment-booked:").count() == 5
    for refused in full:
        assert str(refused).startswith("该时段已约满，可选：")
        assert refused.suggestions and {s.starts_at for s in refused.suggestions} == {at(WEDNESDAY, 14)}
    connections.close_all()
