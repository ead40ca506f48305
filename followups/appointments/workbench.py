"""Booking from a retention call, on the callback workbench (followups/callbacks/extras.py),
registered from AppointmentsConfig.ready().

The "appointments" panel shows, on a solicitation, reminder, win-back or no-show call:
- the appointment a no-show call is about (when it was, the jobs, what the customer said);
- the customer's bookings ahead, so nobody books twice;
- the booking made in this call, once made;
- otherwise, for the agent calling, a booking form: the quietest free slots first (`slots_suggest`,
  peak avoidance is the point), another day and hour if the customer wants, the jobs (one a line,
  started from what the call is for), the customer's own words and the parts to check. It posts to
  the workbench (`book`), which books through `appointment_book` with the call and its reminder;
  a slot taken meanwhile brings the form back as it was, with the next free slots.

One query for the appointments, and the suggestion's own when the form shows.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from followups.callbacks.extras import ExtraRefused, workbench_extra_register
from followups.callbacks.models import CallbackKind

from .models import Appointment, Slot

BOOK = "appointments.book_appointment"
KINDS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK, CallbackKind.NO_SHOW)
SUGGESTED_DAYS = 7
SUGGESTED_SLOTS = 6
WORDS_MAX = 2000


def _first_jobs(kind: str, missed: Appointment | None) -> str:
    """What the jobs start from: the missed appointment's, or what the call is for."""
    if missed is not None and missed.jobs:
        return "\n".join(missed.jobs)
    return {CallbackKind.SOLICIT: _("First maintenance"), CallbackKind.REMINDER: _("Regular maintenance")}.get(kind, "")


def _source_id(callback) -> int | None:
    head, _sep, tail = (callback.source_key or "").partition(":")
    return int(tail) if head == "appointment" and tail.isdigit() else None


def _appointments(callback, now: datetime) -> list[Appointment]:
    """This call's bookings, the appointment it follows up (a no-show), and the customer's other
    bookings ahead: one query."""
    match = (Q(callback_id=callback.pk) | Q(no_show_callback_id=callback.pk)
             | Q(customer_id=callback.customer_id, status=Appointment.Status.BOOKED, starts_at__gte=now))
    if (missed_id := _source_id(callback)) is not None:
        match |= Q(pk=missed_id)
    return list(Appointment.objects.filter(match).select_related("slot__resource", "vehicle")
                .order_by("starts_at", "id"))


def booking_context(*, bench, user, may_record: bool, now: datetime, kept: dict | None) -> dict | None:
    from .services import slots_suggest

    callback = bench.callback
    rows = _appointments(callback, now)
    missed_id = _source_id(callback)
    missed = next((row for row in rows if row.no_show_callback_id == callback.pk or row.pk == missed_id), None)
    booked_here = [row for row in rows if row.callback_id == callback.pk and row.status in (
        Appointment.Status.BOOKED, Appointment.Status.ARRIVED)]
    ahead = [row for row in rows if row not in booked_here and row is not missed
             and row.status == Appointment.Status.BOOKED and row.starts_at >= now]
    vehicles = [role.vehicle for role in bench.vehicle_roles]
    # The agent books once per call; a customer already booked for this car is moved on the appointment's page.
    already = booked_here or [row for row in ahead if row.vehicle_id == callback.vehicle_id]
    may_book = may_record and user.has_perm(BOOK) and not already
    kept = kept or {}
    suggestions = []
    if may_book:
        suggestions = kept.get("suggestions") or slots_suggest(start=timezone.localdate(now), days=SUGGESTED_DAYS,
                                                               limit=SUGGESTED_SLOTS, now=now)
    if not (missed or booked_here or ahead or may_book):
        return None
    today = timezone.localdate(now)
    return {
        "missed": missed, "booked_here": booked_here, "ahead": ahead, "may_book": may_book,
        "suggestions": suggestions, "kept": kept, "today": today,
        "vehicles": vehicles, "vehicle_id": kept.get("vehicle") or str(callback.vehicle_id or ""),
        "jobs": kept["jobs"] if "jobs" in kept else _first_jobs(callback.kind, missed),
        "words": kept.get("words", missed.customer_words if missed else ""),
        "parts": kept.get("parts", missed.parts_note if missed else ""),
        "chosen": kept.get("slot", str(suggestions[0].pk) if suggestions else "other"),
        "hours": range(7, 20),
    }


def _slot_at(day: date, hour: int) -> Slot | None:
    """The place at that day and hour with the most room (any resource), the slots made first."""
    from .services import slots_ensure

    slots_ensure(start=day, days=1)
    return (Slot.objects.filter(day=day, hour=hour, booked__lt=F("places"), resource__active=True)
            .select_related("resource").order_by("booked", "resource__position", "resource__name").first())


def _chosen_slot(data, *, now: datetime, kept: dict) -> Slot:
    from .services import slots_suggest

    choice = data.get("slot", "")
    if choice.isdigit():
        slot = Slot.objects.filter(pk=int(choice)).select_related("resource").first()
        if slot is None:
            raise ExtraRefused(_("That time is no longer offered: choose another."), kept=kept)
        return slot
    if choice != "other":
        raise ExtraRefused(_("Choose a time."), kept=kept)
    day, hour = parse_date(data.get("day", "") or ""), data.get("hour", "")
    if day is None or not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise ExtraRefused(_("Choose the day and the hour of the other time."), kept=kept)
    slot = _slot_at(day, int(hour))
    if slot is None:
        nearby = slots_suggest(start=max(day, timezone.localdate(now)), days=3, limit=SUGGESTED_SLOTS, now=now)
        raise ExtraRefused(_("No place is free on %(day)s at %(hour)s:00: choose one of these.")
                           % {"day": day.isoformat(), "hour": hour}, kept={**kept, "suggestions": nearby})
    return slot


def _vehicle(callback, data, *, kept: dict):
    from customers.models import VehicleRole

    raw = data.get("vehicle", "")
    if not raw:
        return callback.vehicle
    role = (VehicleRole.objects.filter(customer_id=callback.customer_id, vehicle_id=raw, ended_on__isnull=True)
            .select_related("vehicle").first() if raw.isdigit() else None)
    if role is None:
        raise ExtraRefused(_("Choose one of the customer's vehicles."), kept=kept)
    return role.vehicle


def book(*, callback, user, data, now: datetime) -> str:
    """Book the chosen slot for the call's customer, with the call and its reminder."""
    from followups.retention.services import reminder_of_callback

    from .services import AppointmentError, SlotFull, appointment_book

    if not user.has_perm(BOOK):
        raise PermissionDenied
    jobs_text = data.get("jobs", "")
    kept = {"slot": data.get("slot", ""), "day": data.get("day", ""), "hour": data.get("hour", ""),
            "jobs": jobs_text, "words": data.get("words", "").strip()[:WORDS_MAX],
            "parts": data.get("parts", "").strip()[:200], "vehicle": data.get("vehicle", "")}
    jobs = [line.strip() for line in jobs_text.splitlines() if line.strip()]  # the service says what it refuses
    slot = _chosen_slot(data, now=now, kept=kept)
    vehicle = _vehicle(callback, data, kept=kept)
    try:
        appointment = appointment_book(
            customer=callback.customer, vehicle=vehicle, slot=slot, by=user,
            source=Appointment.Source.REMINDER_CALL, jobs=jobs, customer_words=kept["words"],
            parts_note=kept["parts"], reminder=reminder_of_callback(callback=callback), callback=callback, now=now)
    except SlotFull as full:
        raise ExtraRefused(str(full), kept={**kept, "suggestions": full.suggestions}) from full
    except (AppointmentError, ValidationError) as refused:
        message = "；".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
        raise ExtraRefused(message, kept=kept) from refused
    starts = timezone.localtime(appointment.starts_at)
    return _("Booked for %(day)s %(time)s with %(resource)s.") % {
        "day": starts.date().isoformat(), "time": starts.strftime("%H:%M"), "resource": slot.resource.name}


def register() -> None:
    workbench_extra_register("appointments", kinds=KINDS, template="callbacks/partials/extra_booking.html",
                             context=booking_context, actions={"book": book}, order=20)
