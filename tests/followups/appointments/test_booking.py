"""Booking, moving and cancelling an appointment, the quiet slots suggested first, the confirmation
text and the reminder a booking answers; the workshop's capacity changed on slots already made.

The clock: Monday 28 September 2026, 10:00 in Shanghai, unless a test says otherwise."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import TimelineEntry
from customers.timeline import entry_text
from dealer_crm.messaging.models import OutboundMessage
from followups.appointments.models import Appointment, Slot
from followups.appointments.services import (AppointmentError, SlotFull, appointment_book, appointment_cancel,
                                             appointment_reschedule, capacity_apply, slots_ensure, slots_suggest)
from followups.callbacks.models import Callback
from followups.complaints.models import StoreDay
from followups.retention.models import Reminder
from tests.followups.factories import make_callback

from .services_support import THURSDAY, WEDNESDAY, at, customer_with_car, one_advisor, shipped_workshop, slot_of

NOW = at(WEDNESDAY - timedelta(days=2), 10)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def advisor(db, clock):
    resource = one_advisor(hours=(9, 10, 14), places=5)
    slots_ensure(start=WEDNESDAY, days=1)
    slots_ensure(start=THURSDAY, days=1)  # the next working day, after the National Day holiday
    return resource


def _book(slot, *, customer=None, vehicle=None, by=None, **fields):
    if customer is None:
        customer, vehicle = customer_with_car()
    return appointment_book(customer=customer, vehicle=vehicle, slot=slot, by=by, source=fields.pop("source", "phone"),
                            jobs=fields.pop("jobs", ["5000公里保养", "检查刹车异响"]), **fields)


def _texts(key: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(idempotency_key=key))


def _fill(slot, booked: int) -> None:
    Slot.objects.filter(pk=slot.pk).update(booked=booked)


# --- booking -------------------------------------------------------------------------------------------
def test_a_booking_takes_one_place_and_keeps_the_jobs_and_the_customers_words(advisor, agent):
    customer, vehicle = customer_with_car(name="周涛")
    slot = slot_of(advisor, WEDNESDAY, 9)
    appointment = _book(slot, customer=customer, vehicle=vehicle, by=agent, source="customer",
                        customer_words="  刹车时有吱吱声，早上冷车明显  ", parts_note="前刹车片")
    slot.refresh_from_db()
    assert (slot.places, slot.booked) == (5, 1)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.starts_at == at(WEDNESDAY, 9)
    assert appointment.jobs == ["5000公里保养", "检查刹车异响"]
    assert appointment.customer_words == "刹车时有吱吱声，早上冷车明显"
    assert appointment.parts_note == "前刹车片"
    assert (appointment.booked_by, appointment.booked_at, appointment.source) == (agent, NOW, "customer")


def test_the_booking_is_on_the_customers_timeline_in_chinese(advisor, agent):
    customer, vehicle = customer_with_car()
    _book(slot_of(advisor, WEDNESDAY, 14), customer=customer, vehicle=vehicle, by=agent)
    entry = TimelineEntry.objects.get(customer=customer, kind=TimelineEntry.Kind.APPOINTMENT)
    text = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body)
    assert "预约" in text.title and "14:00" in text.title and "王顾问" in text.title and "来电" in text.title
    assert text.body == "5000公里保养、检查刹车异响"
    assert entry.vehicle == vehicle and entry.created_by == agent


def test_the_confirmation_text_is_queued_once_with_the_day_and_time(advisor):
    customer, vehicle = customer_with_car(name="周涛", plate="皖C12345")
    appointment = _book(slot_of(advisor, WEDNESDAY, 14), customer=customer, vehicle=vehicle)
    (text,) = _texts(f"appointment-booked:{appointment.pk}")
    assert text.customer_id == customer.pk and text.purpose == "service"
    assert "9月30日 14:00" in text.text and "皖C12345" in text.text
    assert text.template.key == "appointment_booked"


def test_a_double_submit_books_once_and_texts_once(advisor, agent):
    customer, vehicle = customer_with_car()
    slot = slot_of(advisor, WEDNESDAY, 9)
    first = _book(slot, customer=customer, vehicle=vehicle, by=agent)
    with pytest.raises(AppointmentError, match="已预约"):
        _book(slot, customer=customer, vehicle=vehicle, by=agent)
    assert Appointment.objects.filter(customer=customer).count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1
    assert OutboundMessage.objects.filter(customer=customer).count() == 1
    assert _texts(f"appointment-booked:{first.pk}")


def test_the_same_car_cannot_hold_two_bookings_ahead(advisor):
    customer, vehicle = customer_with_car()
    _book(slot_of(advisor, WEDNESDAY, 9), customer=customer, vehicle=vehicle)
    with pytest.raises(AppointmentError, match="9月30日 09:00"):
        _book(slot_of(advisor, THURSDAY, 9), customer=customer, vehicle=vehicle)


def test_a_time_past_is_refused(advisor):
    customer, vehicle = customer_with_car()
    slots_ensure(start=NOW.date(), days=1)
    slot = slot_of(advisor, NOW.date(), 9)  # 9:00 today, an hour ago
    with pytest.raises(AppointmentError, match="已过"):
        _book(slot, customer=customer, vehicle=vehicle)
    slot.refresh_from_db()
    assert slot.booked == 0 and not Appointment.objects.exists()


def test_a_day_the_store_closed_since_the_slots_were_made_is_refused(advisor):
    StoreDay.objects.create(day=WEDNESDAY, is_workday=False, note="临时停业")
    with pytest.raises(AppointmentError, match="不营业|休息|关闭"):
        _book(slot_of(advisor, WEDNESDAY, 9))
    assert not Appointment.objects.exists()


def test_a_car_that_is_not_the_customers_is_refused(advisor):
    customer, _own = customer_with_car()
    _other, vehicle = customer_with_car(name="李四")
    with pytest.raises(AppointmentError):
        _book(slot_of(advisor, WEDNESDAY, 9), customer=customer, vehicle=vehicle)


def test_a_booking_needs_a_job(advisor):
    with pytest.raises(AppointmentError):
        _book(slot_of(advisor, WEDNESDAY, 9), jobs=["  ", ""])


def test_a_full_slot_says_so_with_the_next_free_slots_and_changes_nothing(advisor):
    slot = slot_of(advisor, WEDNESDAY, 9)
    _fill(slot, 5)
    customer, vehicle = customer_with_car()
    with pytest.raises(SlotFull) as refused:
        _book(slot, customer=customer, vehicle=vehicle)
    assert str(refused.value).startswith("该时段已约满，可选：")
    assert "9月30日 14:00" in str(refused.value)
    assert refused.value.suggestions and all(s.booked < s.places for s in refused.value.suggestions)
    assert slot not in refused.value.suggestions
    slot.refresh_from_db()
    assert slot.booked == 5
    assert not Appointment.objects.filter(customer=customer).exists()
    assert not OutboundMessage.objects.filter(customer=customer).exists()


# --- suggestions ----------------------------------------------------------------------------------------
def test_the_quiet_afternoon_comes_before_the_busy_morning(advisor):
    _fill(slot_of(advisor, WEDNESDAY, 9), 4)  # 9:00 nearly full
    _fill(slot_of(advisor, WEDNESDAY, 10), 2)
    suggested = slots_suggest(start=WEDNESDAY, days=1)
    assert [slot.hour for slot in suggested] == [14, 10, 9]


def test_a_quiet_day_comes_before_a_busy_one_at_the_same_hour(advisor):
    thursday = THURSDAY
    for hour in (9, 10, 14):
        _fill(slot_of(advisor, WEDNESDAY, hour), 3)
    suggested = slots_suggest(start=WEDNESDAY, days=9)
    assert [(slot.day, slot.hour) for slot in suggested[:3]] == [(thursday, 9), (thursday, 10), (thursday, 14)]


def test_a_time_is_offered_once_with_the_advisor_who_has_most_room(db, clock):
    advisors = shipped_workshop()
    slots_ensure(start=WEDNESDAY, days=1)
    _fill(slot_of(advisors[0], WEDNESDAY, 8), 1)
    suggested = slots_suggest(start=WEDNESDAY, days=1, limit=20)
    assert len({slot.starts_at for slot in suggested}) == len(suggested) == 8
    eight = next(slot for slot in suggested if slot.hour == 8)
    assert eight.resource != advisors[0]
    # Asked for one advisor, their own slots.
    assert {slot.resource for slot in slots_suggest(start=WEDNESDAY, days=1, resource=advisors[2])} == {advisors[2]}


def test_no_full_or_past_slot_is_suggested(advisor):
    _fill(slot_of(advisor, WEDNESDAY, 14), 5)
    slots_ensure(start=NOW.date(), days=1)  # today: 9:00 and 10:00 are past or starting, 14:00 ahead
    suggested = slots_suggest(start=NOW.date(), days=3, limit=20)
    assert at(NOW.date(), 14) in {slot.starts_at for slot in suggested}
    assert not {at(NOW.date(), 9), at(NOW.date(), 10), at(WEDNESDAY, 14)} & {slot.starts_at for slot in suggested}


def test_the_suggestions_read_the_slots_in_a_fixed_number_of_queries(db, clock, django_assert_num_queries):
    shipped_workshop()
    slots_ensure(start=WEDNESDAY, days=14)
    with django_assert_num_queries(2):  # the store's days, the slots with their resources
        assert len(slots_suggest(start=WEDNESDAY, days=14, limit=6)) == 6


# --- moving and cancelling -------------------------------------------------------------------------------
def test_moving_an_appointment_moves_its_place(advisor, agent):
    customer, vehicle = customer_with_car()
    old_slot, new_slot = slot_of(advisor, WEDNESDAY, 9), slot_of(advisor, WEDNESDAY, 14)
    booked = _book(old_slot, customer=customer, vehicle=vehicle, by=agent, customer_words="异响")
    moved = appointment_reschedule(appointment=booked, slot=new_slot, by=agent, reason="客户下午有空")
    old_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert (old_slot.booked, new_slot.booked) == (0, 1)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.RESCHEDULED and booked.rescheduled_to == moved
    assert booked.close_reason == "客户下午有空" and booked.closed_by == agent
    assert moved.status == Appointment.Status.BOOKED and moved.starts_at == at(WEDNESDAY, 14)
    assert (moved.jobs, moved.customer_words) == (booked.jobs, "异响")
    (text,) = _texts(f"appointment-booked:{moved.pk}")
    assert "改至9月30日 14:00" in text.text


def test_moving_into_a_full_slot_moves_nothing(advisor, agent):
    booked = _book(slot_of(advisor, WEDNESDAY, 9), by=agent)
    full = slot_of(advisor, WEDNESDAY, 14)
    _fill(full, 5)
    with pytest.raises(SlotFull) as refused:
        appointment_reschedule(appointment=booked, slot=full, by=agent, reason="客户要求")
    assert refused.value.suggestions
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED
    assert slot_of(advisor, WEDNESDAY, 9).booked == 1 and slot_of(advisor, WEDNESDAY, 14).booked == 5


def test_a_move_needs_a_reason(advisor, agent):
    booked = _book(slot_of(advisor, WEDNESDAY, 9), by=agent)
    with pytest.raises(AppointmentError):
        appointment_reschedule(appointment=booked, slot=slot_of(advisor, WEDNESDAY, 14), by=agent, reason="  ")
    assert slot_of(advisor, WEDNESDAY, 14).booked == 0


def test_cancelling_frees_the_place_for_the_next_customer(advisor, agent):
    slot = slot_of(advisor, WEDNESDAY, 9)
    booked = _book(slot, by=agent)
    _fill(slot, 5)  # the last place was this one
    appointment_cancel(appointment=booked, by=agent, reason="客户出差")
    slot.refresh_from_db()
    assert slot.booked == 4
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED and booked.close_reason == "客户出差"
    assert _book(slot).slot == slot  # the freed place is bookable
    with pytest.raises(AppointmentError):
        appointment_cancel(appointment=booked, by=agent, reason="再取消一次")


# --- the reminder a booking answers ---------------------------------------------------------------------
def _reminder(customer, vehicle, *, channel: str, callback=None) -> Reminder:
    return Reminder.objects.create(vehicle=vehicle, customer=customer, kind="maintenance", cycle="after:1",
                                   channel=channel, due_on=WEDNESDAY, window_end=WEDNESDAY + timedelta(days=30),
                                   created_on=NOW.date(), callback=callback)


def test_booking_in_a_reminder_call_marks_that_reminder_done(advisor, agent):
    customer, vehicle = customer_with_car()
    call = make_callback(customer=customer, vehicle=vehicle, kind="reminder", status="in_progress", agent=agent)
    reminder = _reminder(customer, vehicle, channel="call", callback=call)
    appointment = _book(slot_of(advisor, WEDNESDAY, 9), customer=customer, vehicle=vehicle, by=agent,
                        source="reminder", callback=call)
    reminder.refresh_from_db()
    assert appointment.reminder == reminder and appointment.callback == call
    assert reminder.status == Reminder.Status.DONE and reminder.done_at == NOW


def test_booking_otherwise_cancels_the_cars_pending_reminder_and_its_call(advisor, agent):
    customer, vehicle = customer_with_car()
    call = make_callback(customer=customer, vehicle=vehicle, kind="reminder")
    reminder = _reminder(customer, vehicle, channel="call", callback=call)
    appointment = _book(slot_of(advisor, WEDNESDAY, 9), customer=customer, vehicle=vehicle, by=agent)
    reminder.refresh_from_db()
    call.refresh_from_db()
    assert appointment.reminder == reminder
    assert (reminder.status, reminder.skip_reason) == (Reminder.Status.CANCELLED, "booked")
    assert (call.status, call.close_reason) == (Callback.Status.CANCELLED, "booked")


# --- the capacity changed -------------------------------------------------------------------------------
def test_a_capacity_change_follows_the_slots_made_except_those_booked_beyond_it(advisor, agent):
    thursday = THURSDAY
    _fill(slot_of(advisor, WEDNESDAY, 9), 4)
    places = {"workday": {9: 3, 10: 3, 11: 2}, "rest_day": {}}
    outcome = capacity_apply(resource=advisor, places=places, by=agent)
    assert slot_of(advisor, WEDNESDAY, 9).places == 5  # 4 booked: keeps its 5
    assert slot_of(advisor, thursday, 9).places == 3
    assert slot_of(advisor, WEDNESDAY, 14).places == 0  # no more cars at 14:00
    assert slot_of(advisor, WEDNESDAY, 11).places == 2  # a new hour, made
    assert outcome.kept == 1
    assert outcome.updated == 5  # 10:00 on both days, 14:00 on both days, Thursday 9:00
    assert outcome.created >= 2
    assert sorted(advisor.capacities.values_list("day_type", "hour", "places")) == [
        ("workday", 9, 3), ("workday", 10, 3), ("workday", 11, 2)]


def test_a_capacity_out_of_range_is_refused(advisor, agent):
    with pytest.raises(ValidationError):
        capacity_apply(resource=advisor, places={"workday": {9: 51}}, by=agent)


def test_moving_and_cancelling_are_on_the_timeline_with_their_reasons(advisor, agent):
    customer, vehicle = customer_with_car()
    booked = _book(slot_of(advisor, WEDNESDAY, 9), customer=customer, vehicle=vehicle, by=agent)
    moved = appointment_reschedule(appointment=booked, slot=slot_of(advisor, THURSDAY, 10), by=agent, reason="客户改期")
    appointment_cancel(appointment=moved, by=agent, reason="车已卖")
    entries = {entry.params["variant"]: entry_text(kind=entry.kind, params=entry.params, title=entry.title,
                                                  body=entry.body)
               for entry in TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.APPOINTMENT)}
    assert set(entries) == {"booked", "rescheduled", "cancelled"}
    assert "改期" in entries["rescheduled"].title and "09:00" in entries["rescheduled"].title
    assert "10:00" in entries["rescheduled"].title and entries["rescheduled"].body == "客户改期"
    assert "取消" in entries["cancelled"].title and entries["cancelled"].body == "车已卖"
