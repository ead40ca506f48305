"""Appointments' rules (预约): the slots made from the capacities, the quiet slots suggested first,
booking without ever going over a slot's places, moving, cancelling, checking in, the repair orders
that show who came, the no-shows' follow-up calls and the day-before texts.

The one rule that must hold even when two agents book the last place at the same moment is kept by
the database: a place is taken by one conditional UPDATE (`booked = booked + 1 WHERE booked <
places`, under the `slot_not_over_capacity` check), so of two bookings one gets the place and the
other finds no row to update and is told the slot is full, with the next free slots to offer.

The texts go through the SMS platform (`dealer_crm.messaging.services.message_queue`), whose
idempotency keys (`appointment-booked:<id>`, `appointment-tomorrow:<id>`) make each one go once,
and which keeps the customer's preferences and the quiet hours.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from customers.models import ContactPreference, Customer, ServiceVisit, TimelineEntry, VehicleRole
from customers.services import timeline_add
from followups.callbacks.models import Callback, CallbackKind, CallbackRule
from followups.callbacks.services.building import CloseReason, callback_window

from .calendar import day_type, day_types
from .models import Appointment, Capacity, DayType, ServiceResource, Slot

logger = logging.getLogger(__name__)

BOOKED_TEMPLATE = "appointment_booked"
MOVED_TEMPLATE = "appointment_moved"
TOMORROW_TEMPLATE = "appointment_tomorrow"
SUGGEST_DAYS = 7  # how far SlotFull looks for the next free slots
SUGGEST_LIMIT = 6
JOBS_MAX, JOB_MAX_LENGTH = 20, 100
# A repair order imported late still shows who came: the daily job links the last days' orders.
LINK_DAYS_BACK = 3
# No-show calls when the supervisor has no rule for them (migration 0002 ships one).
NO_SHOW_PRIORITY, NO_SHOW_EXPIRES_DAYS = 15, 7


class CallbackCloseReason:
    """Why this app closes a call nobody completed (`Callback.close_reason`), worded for the callback
    centre's pages (added to its `CloseReason.LABELS` in AppointmentsConfig.ready())."""

    BOOKED = "booked"  # a reminder's call, once the customer booked another way
    CAME = "came"  # a no-show call, once the repair order shows the customer came that day

    LABELS = {
        BOOKED: _("The customer has booked an appointment"),
        CAME: _("The customer came after all: the repair order shows it"),
    }


class AppointmentError(Exception):
    """A booking, move, cancel or check-in refused; the message says why, in the user's language."""


class SlotFull(AppointmentError):
    """The slot has no place left (someone took the last one first): `suggestions` are the next free
    slots, quietest first, to offer instead."""

    def __init__(self, slot: Slot, suggestions: list[Slot]):
        self.slot = slot
        self.suggestions = suggestions
        if suggestions:
            message = gettext("This time is fully booked. Free: %(slots)s") % {
                "slots": pgettext("list separator", ", ").join(slot_label(other) for other in suggestions)}
        else:
            message = gettext("This time is fully booked, and nothing is free in the next %(days)d days.") % {
                "days": SUGGEST_DAYS}
        super().__init__(message)


def slot_label(slot: Slot) -> str:
    """ "10月10日 14:00" (the reader's language for the day)."""
    local = timezone.localtime(slot.starts_at)
    return f"{date_format(local.date(), 'MONTH_DAY_FORMAT')} {local:%H:%M}"


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _starts_at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


# --- slots -------------------------------------------------------------------------------------------
def slots_ensure(*, start: date, days: int) -> int:
    """Make the slots of the resources in use from `start` for `days` days, from their capacities on
    each day's type (none on a closed day); a slot already made keeps its places (see
    `capacity_apply`). INSERT … ON CONFLICT DO NOTHING on (resource, hour), so two runs at once make
    each slot once. Returns how many were made."""
    if days <= 0:
        return 0
    types = day_types(start=start, days=days)
    by_type: dict[str, list[tuple[int, int, int]]] = {}
    for resource_id, kind, hour, places in (Capacity.objects.filter(resource__active=True, places__gt=0)
                                            .values_list("resource_id", "day_type", "hour", "places")):
        by_type.setdefault(kind, []).append((resource_id, hour, places))
    made = set(Slot.objects.filter(day__gte=start, day__lt=start + timedelta(days=days))
               .values_list("resource_id", "day", "hour"))
    rows = [Slot(resource_id=resource_id, day=day, hour=hour, starts_at=_starts_at(day, hour), places=places)
            for day, kind in types.items() if kind is not None
            for resource_id, hour, places in by_type.get(kind, ()) if (resource_id, day, hour) not in made]
    Slot.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _share(booked: int, places: int) -> Fraction:
    return Fraction(booked, places) if places else Fraction(1)


def slots_suggest(*, start: date, days: int = 7, limit: int = 6, resource: ServiceResource | None = None,
                  now: datetime | None = None) -> list[Slot]:
    """Free slots from now on within `days` days from `start`, the quietest first — peak avoidance is
    the point: a car booked into a quiet hour waits less and spares the morning rush.

    Quiet is the share of places booked over the whole workshop (every resource in use), of the slot's
    hour and of its day, counted equally; then the slot's own share (spread the cars over the
    advisors), then the earliest. Without `resource` a time is offered once, with the resource that
    has the most room then; closed days (a store day closed after the slots were made) are left out.
    Reads the slots made (`slots_ensure`): two queries whatever their number.
    """
    now = now or timezone.now()
    start = max(start, timezone.localdate(now))
    end = start + timedelta(days=days)
    open_days = {day for day, kind in day_types(start=start, days=days).items() if kind is not None}
    slots = list(Slot.objects.filter(day__gte=start, day__lt=end, resource__active=True).select_related("resource"))
    day_load: dict[date, list[int]] = {}
    hour_load: dict[tuple[date, int], list[int]] = {}
    for slot in slots:
        for load in (day_load.setdefault(slot.day, [0, 0]), hour_load.setdefault((slot.day, slot.hour), [0, 0])):
            load[0] += slot.booked
            load[1] += slot.places
    free = [slot for slot in slots if slot.day in open_days and slot.starts_at > now and slot.booked < slot.places
            and (resource is None or slot.resource_id == resource.pk)]

    def quiet(slot: Slot):
        busy = (_share(*hour_load[slot.day, slot.hour]) + _share(*day_load[slot.day])) / 2
        return busy, _share(slot.booked, slot.places), slot.starts_at, slot.resource.position, slot.resource.name

    free.sort(key=quiet)
    chosen, times = [], set()
    for slot in free:
        if resource is None and slot.starts_at in times:
            continue
        times.add(slot.starts_at)
        chosen.append(slot)
        if len(chosen) >= limit:
            break
    return chosen


def _place_take(slot: Slot) -> bool:
    """Take one place of the slot, if one is left: the one conditional UPDATE (module docstring)."""
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=F("places")).update(booked=F("booked") + 1)
    slot.refresh_from_db(fields=["booked", "places"])
    return bool(taken)


def _place_free(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


@dataclass(frozen=True)
class CapacityOutcome:
    resource: ServiceResource
    updated: int  # slots already made that now have the new places
    kept: int  # slots booked beyond their new places, which keep theirs
    created: int  # slots made for hours that had none


@transaction.atomic
def capacity_apply(*, resource: ServiceResource, places: dict[str, dict[int, int]], by,
                   now: datetime | None = None) -> CapacityOutcome:
    """Give `resource` these places per day type and hour (0 or missing: none) and apply them to its
    slots already made from today on, except those booked beyond their new places, which keep theirs
    (the customers booked stay booked); then make the slots of hours that had none. Each slot is
    changed by a conditional UPDATE, so a booking made meanwhile is never pushed over its places."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted: dict[tuple[str, int], int] = {}
    for kind, by_hour in places.items():
        if kind not in DayType.values:
            raise ValidationError(_("Unknown day type: %(kind)s.") % {"kind": kind})
        for hour, number in by_hour.items():
            if not 0 <= int(hour) <= 23 or not 0 <= int(number or 0) <= 50:
                raise ValidationError(_("Places are 0 to 50 an hour, hours 0 to 23."))
            if number:
                wanted[kind, int(hour)] = int(number)
    Capacity.objects.filter(resource=resource).delete()
    Capacity.objects.bulk_create([Capacity(resource=resource, day_type=kind, hour=hour, places=number)
                                  for (kind, hour), number in sorted(wanted.items())])
    made = Slot.objects.filter(resource=resource, day__gte=today)
    last = made.order_by("-day").values_list("day", flat=True).first()
    updated = kept = 0
    if last is not None:
        types = day_types(start=today, days=(last - today).days + 1)
        days_of: dict[str | None, list[date]] = {}
        for day, kind in types.items():
            days_of.setdefault(kind, []).append(day)
        for kind, days in days_of.items():
            if kind is None:
                continue  # a closed day's slots are not offered (slots_suggest); reopened, they have their places
            for hour in set(made.filter(day__in=days).values_list("hour", flat=True)):
                number = wanted.get((kind, hour), 0)
                these = made.filter(day__in=days, hour=hour).exclude(places=number)
                updated += these.filter(booked__lte=number).update(places=number)
                kept += these.filter(booked__gt=number).count()
    created = slots_ensure(start=today, days=settings.APPOINTMENT_DAYS_AHEAD) if resource.active else 0
    logger.info("Capacity of %s changed by %s: %s slots follow, %s keep theirs, %s made",
                resource, getattr(by, "pk", None), updated, kept, created)
    return CapacityOutcome(resource=resource, updated=updated, kept=kept, created=created)


# --- booking -----------------------------------------------------------------------------------------
def _clean_jobs(jobs: list[str]) -> list[str]:
    cleaned = [str(job).strip() for job in jobs or [] if str(job).strip()]
    if not cleaned:
        raise AppointmentError(_("Write at least one job, e.g. 首保 or 更换刹车片."))
    if len(cleaned) > JOBS_MAX or any(len(job) > JOB_MAX_LENGTH for job in cleaned):
        raise AppointmentError(_("At most %(n)d jobs of %(length)d characters each.")
                               % {"n": JOBS_MAX, "length": JOB_MAX_LENGTH})
    return cleaned


def _slot_check(slot: Slot, *, now: datetime) -> None:
    """A slot one may book: in the future, of a resource in use, on a day the workshop is open."""
    if slot.starts_at <= now:
        raise AppointmentError(_("This time has passed: choose a time from now on."))
    if not ServiceResource.objects.filter(pk=slot.resource_id, active=True).exists():
        raise AppointmentError(_("%(resource)s takes no bookings any more: choose another time.")
                               % {"resource": slot.resource.name})
    if day_type(slot.day) is None:
        raise AppointmentError(_("The workshop is closed on %(day)s: choose another day.")
                               % {"day": date_format(slot.day, "MONTH_DAY_FORMAT")})


def _other_booking(*, customer: Customer, vehicle, now: datetime, exclude: int | None = None) -> Appointment | None:
    """The customer's booking still ahead for the same vehicle (or, without one, with no vehicle)."""
    rows = Appointment.objects.filter(customer=customer, vehicle=vehicle, status=Appointment.Status.BOOKED,
                                      starts_at__gt=now)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.order_by("starts_at").first()


def _full(slot: Slot, *, now: datetime) -> SlotFull:
    return SlotFull(slot, slots_suggest(start=timezone.localtime(slot.starts_at).date(), days=SUGGEST_DAYS,
                                        limit=SUGGEST_LIMIT, now=now))


def _sms_date(at: datetime) -> dict[str, str]:
    # The texts are Chinese whatever the booking agent's language: the date in Chinese words.
    local = timezone.localtime(at)
    return {"date": f"{local.month}月{local.day}日", "time": f"{local:%H:%M}"}


def _text_queue(appointment: Appointment, *, template_key: str, key: str, now: datetime,
                not_before: datetime | None = None) -> bool:
    """Queue one of the appointment's texts under `key` (once: the platform's idempotency key).
    A text the platform cannot take (switched off, no approved id at this gateway) is logged: the
    booking stands. Returns whether a message was queued now."""
    from dealer_crm.messaging.models import OutboundMessage, SmsTemplate
    from dealer_crm.messaging.services import MessagingError, message_queue

    template = SmsTemplate.objects.filter(key=template_key).first()
    if template is None:
        logger.warning("Appointment %s: no SMS template %r, no text sent", appointment.pk, template_key)
        return False
    vehicle = appointment.vehicle
    variables = {**_sms_date(appointment.starts_at), "plate": vehicle.plate if vehicle else "",
                 "model": vehicle.model_name if vehicle else ""}
    if appointment.slot.resource.kind == ServiceResource.Kind.ADVISOR:
        variables["advisor"] = appointment.slot.resource.name
    try:
        outcome = message_queue(customer_id=appointment.customer_id, purpose="service", idempotency_key=key,
                                template=template, variables=variables, source=appointment, now=now)
    except MessagingError as error:
        logger.warning("Appointment %s: the text %r was not queued: %s", appointment.pk, template_key, error)
        return False
    if outcome.created and not_before is not None:
        # The day-before text goes at the hour the store chose, not when the morning job ran.
        OutboundMessage.objects.filter(pk=outcome.message.pk, not_before__lt=not_before).update(not_before=not_before)
    return outcome.created


def _timeline(appointment: Appointment, variant: str, *, by, at: datetime, **params) -> None:
    timeline_add(customer=appointment.customer, kind=TimelineEntry.Kind.APPOINTMENT, vehicle=appointment.vehicle,
                 occurred_at=at, source=appointment, by=by,
                 params={"variant": variant, "appointment": appointment.pk, "at": appointment.starts_at.isoformat(),
                         "resource": appointment.slot.resource.name, **params})


def _reminder_mark(appointment: Appointment, *, reminder, callback, now: datetime) -> None:
    """The reminder the booking answers: the one given (booked in its call: done), else the vehicle's
    pending one, which is no longer needed (cancelled, with its call still in the queue). Whether the
    reminder converted is the visit's to say (retention's refresh), not the booking's."""
    from followups.retention.models import Reminder

    if reminder is None and callback is not None:
        reminder = Reminder.objects.filter(callback=callback).first()
    if reminder is not None:
        Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.DONE, done_at=now)
    elif appointment.vehicle_id is not None:
        reminder = (Reminder.objects.filter(vehicle_id=appointment.vehicle_id, status=Reminder.Status.PENDING)
                    .order_by("-created_on", "-id").first())
        if reminder is None:
            return
        Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, skip_reason="booked", done_at=now)
        if reminder.callback_id is not None:
            Callback.objects.filter(pk=reminder.callback_id, status=Callback.Status.OPEN).update(
                status=Callback.Status.CANCELLED, closed_at=now, close_reason=CallbackCloseReason.BOOKED)
    else:
        return
    appointment.reminder = reminder
    appointment.save(update_fields=["reminder"])


@transaction.atomic
def appointment_book(*, customer: Customer, vehicle, slot: Slot, by, source: str, jobs: list[str],
                     customer_words: str = "", parts_note: str = "", reminder=None, callback=None,
                     now: datetime | None = None) -> Appointment:
    """Book `slot` for the customer's vehicle, with the jobs and the customer's own words.

    In order: the customer's row is locked (two submits of one booking wait for each other, so the
    second finds the first and is refused); the slot must be ahead, open and of a resource in use;
    the same vehicle must have no other booking ahead (move that one instead); then the place is
    taken by the conditional UPDATE — none left raises SlotFull with the next free slots and leaves
    nothing behind. Then the appointment, the confirmation text (once, `appointment-booked:<id>`),
    the timeline entry and the reminder it answers (`_reminder_mark`).
    """
    now = now or timezone.now()
    customer = Customer.all_objects.select_for_update().get(pk=customer.pk)
    if customer.merged_into_id is not None:
        raise AppointmentError(_("This customer was merged into another record: book on the kept one."))
    if vehicle is not None and not VehicleRole.objects.filter(vehicle=vehicle, customer=customer,
                                                              ended_on__isnull=True).exists():
        raise AppointmentError(_("This vehicle is not the customer's."))
    if source not in Appointment.Source.values:
        raise AppointmentError(_("Say where the booking comes from."))
    jobs = _clean_jobs(jobs)
    _slot_check(slot, now=now)
    other = _other_booking(customer=customer, vehicle=vehicle, now=now)
    if other is not None:
        raise AppointmentError(_("This car is already booked for %(slot)s: move that appointment instead.")
                               % {"slot": slot_label(other.slot)})
    if not _place_take(slot):
        raise _full(slot, now=now)
    appointment = Appointment(
        customer=customer, vehicle=vehicle, slot=slot, starts_at=slot.starts_at, source=source, jobs=jobs,
        customer_words=(customer_words or "").strip(), parts_note=(parts_note or "").strip()[:200],
        reminder=reminder, callback=callback, booked_by=by, booked_at=now)
    appointment.full_clean(exclude=["booked_by"])  # may be empty: a booking the system makes (the demo)
    appointment.save()
    _reminder_mark(appointment, reminder=reminder, callback=callback, now=now)
    _timeline(appointment, "booked", by=by, at=now, source=source, jobs=jobs)
    _text_queue(appointment, template_key=BOOKED_TEMPLATE, key=f"appointment-booked:{appointment.pk}", now=now)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (Appointment.objects.select_for_update(of=("self",)).select_related("slot__resource", "customer", "vehicle")
            .get(pk=appointment.pk))


def _reason(reason: str, *, message) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AppointmentError(message)
    return reason[:200]


def _still_booked(appointment: Appointment) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise AppointmentError(_("This appointment is “%(status)s”: it can no longer be changed.")
                               % {"status": appointment.get_status_display()})


@transaction.atomic
def appointment_reschedule(*, appointment: Appointment, slot: Slot, by, reason: str,
                           now: datetime | None = None) -> Appointment:
    """Move a booking to `slot`: a new appointment with the same jobs and words takes a place there
    (SlotFull if none is left, and nothing moves), the old one becomes RESCHEDULED pointing at it
    and gives its place back — in one transaction, so the car holds exactly one place throughout.
    The customer is told the new time (预约改期, the new appointment's `appointment-booked:<id>`)."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    _still_booked(appointment)
    reason = _reason(reason, message=_("Say why the appointment moves."))
    if slot.pk == appointment.slot_id:
        raise AppointmentError(_("This is the appointment's time already: choose another."))
    _slot_check(slot, now=now)
    if not _place_take(slot):
        raise _full(slot, now=now)
    moved = Appointment(
        customer=appointment.customer, vehicle=appointment.vehicle, slot=slot, starts_at=slot.starts_at,
        source=appointment.source, jobs=appointment.jobs, customer_words=appointment.customer_words,
        parts_note=appointment.parts_note, reminder=appointment.reminder, callback=appointment.callback,
        booked_by=by, booked_at=now)
    moved.full_clean(exclude=["booked_by"])
    moved.save()
    _place_free(appointment.slot_id)
    appointment.status, appointment.rescheduled_to = Appointment.Status.RESCHEDULED, moved
    appointment.closed_at, appointment.closed_by, appointment.close_reason = now, by, reason
    appointment.save(update_fields=["status", "rescheduled_to", "closed_at", "closed_by", "close_reason"])
    _timeline(moved, "rescheduled", by=by, at=now, previous=appointment.starts_at.isoformat(), reason=reason)
    _text_queue(moved, template_key=MOVED_TEMPLATE, key=f"appointment-booked:{moved.pk}", now=now)
    return moved


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by, reason: str, now: datetime | None = None) -> Appointment:
    """Cancel a booking with the reason; its place is free for others at once."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    _still_booked(appointment)
    reason = _reason(reason, message=_("Say why the appointment is cancelled."))
    appointment.status = Appointment.Status.CANCELLED
    appointment.closed_at, appointment.closed_by, appointment.close_reason = now, by, reason
    appointment.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    _place_free(appointment.slot_id)
    _timeline(appointment, "cancelled", by=by, at=now, reason=reason)
    return appointment


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, by, now: datetime | None = None) -> Appointment:
    """The customer is at the desk: ARRIVED, on the appointment's day (checking in twice is once).
    The repair order, if already imported, is linked at once; else the day's link does it."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    if appointment.status == Appointment.Status.ARRIVED:
        return appointment
    _still_booked(appointment)
    day = timezone.localtime(appointment.starts_at).date()
    if day != timezone.localdate(now):
        raise AppointmentError(_("This appointment is for %(day)s: check in on that day, or move it.")
                               % {"day": date_format(day, "MONTH_DAY_FORMAT")})
    appointment.status, appointment.arrived_at = Appointment.Status.ARRIVED, now
    appointment.save(update_fields=["status", "arrived_at"])
    _timeline(appointment, "arrived", by=by, at=now)
    appointments_link_visits(on=day, appointment_ids=[appointment.pk])
    return appointment


# --- the day's jobs ----------------------------------------------------------------------------------
def appointments_link_visits(*, on: date, appointment_ids: list[int] | None = None) -> int:
    """Link the appointments of `on` to the repair order their vehicle opened that day, whoever
    imported it (a form, the DMS import, the demo): a booked one counts as arrived, and a no-show
    after all as arrived, its follow-up call cancelled if nobody has taken it. Each repair order
    goes to one appointment, the earliest first. Returns how many were linked."""
    start, end = _day_bounds(on)
    rows = Appointment.objects.filter(
        starts_at__gte=start, starts_at__lt=end, visit__isnull=True, vehicle__isnull=False,
        status__in=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED, Appointment.Status.NO_SHOW])
    if appointment_ids is not None:
        rows = rows.filter(pk__in=appointment_ids)
    appointments = list(rows.order_by("starts_at", "id"))
    if not appointments:
        return 0
    visits: dict[int, list[int]] = {}
    for visit_id, vehicle_id in (ServiceVisit.objects.filter(
            opened_on=on, vehicle_id__in={a.vehicle_id for a in appointments}, appointment__isnull=True)
            .order_by("id").values_list("id", "vehicle_id")):
        visits.setdefault(vehicle_id, []).append(visit_id)
    now = timezone.now()
    linked = 0
    for appointment in appointments:
        if not visits.get(appointment.vehicle_id):
            continue
        visit_id = visits[appointment.vehicle_id].pop(0)
        fields = {"visit_id": visit_id, "status": Appointment.Status.ARRIVED}
        if appointment.status == Appointment.Status.NO_SHOW:
            fields["closed_at"] = None
        try:
            with transaction.atomic():
                changed = Appointment.objects.filter(pk=appointment.pk, visit__isnull=True).update(**fields)
        except IntegrityError:  # linked meanwhile to another appointment
            continue
        if not changed:
            continue
        linked += 1
        if appointment.status == Appointment.Status.NO_SHOW and appointment.no_show_callback_id is not None:
            Callback.objects.filter(pk=appointment.no_show_callback_id, status=Callback.Status.OPEN).update(
                status=Callback.Status.CANCELLED, closed_at=now, close_reason=CallbackCloseReason.CAME)
    return linked


def _takes_calls(customer_id: int) -> bool:
    """The customer's most specific word on service calls (phone or any channel; service or all
    purposes), as the callback build reads it; none said: yes."""
    said = sorted(ContactPreference.objects.filter(customer_id=customer_id, channel__in=["phone", "any"],
                                                   purpose__in=["service", "all"])
                  .values_list("channel", "purpose", "allowed"), key=lambda row: (row[0] == "any", row[1] == "all"))
    return said[0][2] if said else True


def _no_show_callback(appointment: Appointment, *, rule: CallbackRule | None, on: date, now: datetime) -> Callback:
    """The follow-up call of a missed appointment: one per appointment (`appointment:<id>`, the
    callbacks' one-per-source constraint), due on the rule's first day from `on`, at once if later."""
    due_day = min((int(day) for day in (rule.due_days if rule else []) or [] if int(day) >= 0), default=0)
    expires_day = max(rule.expires_after_days if rule else NO_SHOW_EXPIRES_DAYS, due_day)
    due_at, expires_at = callback_window(source_on=on, due_day=due_day, expires_day=expires_day)
    due_at = max(due_at, min(now, expires_at))
    defaults = {"rule": rule, "priority": rule.priority if rule else NO_SHOW_PRIORITY, "due_at": due_at,
                "expires_at": expires_at, "created_on": on}
    if not _takes_calls(appointment.customer_id):
        defaults.update(status=Callback.Status.SKIPPED, close_reason=CloseReason.NO_CALLS, closed_at=now)
    callback, _created = Callback.objects.get_or_create(
        customer_id=appointment.customer_id, vehicle_id=appointment.vehicle_id, kind=CallbackKind.NO_SHOW,
        source_key=f"appointment:{appointment.pk}", defaults=defaults)
    return callback


@transaction.atomic
def appointments_no_show(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """The bookings of the days before `on` still waiting — nobody checked them in and no repair
    order of theirs was found — become NO_SHOW, each with a follow-up call (kind no_show) unless the
    supervisor switched the rule off. A repair order of that day found now counts as arrival instead.
    Once: a second run finds no booking waiting (a conditional UPDATE) and the call is one per
    appointment. Returns {"found", "arrived", "no_show", "created" (calls)}."""
    now = now or timezone.now()
    start, _end = _day_bounds(on)
    waiting = list(Appointment.objects.filter(starts_at__lt=start, status=Appointment.Status.BOOKED)
                   .select_related("slot__resource", "customer", "vehicle").order_by("starts_at", "id"))
    counts = {"found": len(waiting), "arrived": 0, "no_show": 0, "created": 0}
    for day in sorted({timezone.localtime(a.starts_at).date() for a in waiting}):
        counts["arrived"] += appointments_link_visits(
            on=day, appointment_ids=[a.pk for a in waiting if timezone.localtime(a.starts_at).date() == day])
    rule = CallbackRule.objects.filter(kind=CallbackKind.NO_SHOW, visit_kind="").first()
    calls = rule is None or rule.enabled
    still = set(Appointment.objects.filter(pk__in=[a.pk for a in waiting], status=Appointment.Status.BOOKED)
                .values_list("pk", flat=True))
    for appointment in waiting:
        if appointment.pk not in still:
            continue
        callback = _no_show_callback(appointment, rule=rule, on=on, now=now) if calls else None
        changed = Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED).update(
            status=Appointment.Status.NO_SHOW, closed_at=now, no_show_callback=callback)
        if not changed:
            continue
        counts["no_show"] += 1
        counts["created"] += callback is not None and callback.status == Callback.Status.OPEN
        _timeline(appointment, "no_show", by=None, at=now, call=callback is not None)
    return counts


def appointment_reminders_send(*, on: date, now: datetime | None = None) -> int:
    """The day-before text (预约提醒) for the bookings of the day after `on`, going at
    APPOINTMENT_REMINDER_AT (or at once when the job runs later than that; never in quiet hours, the
    platform sees to it). Once per appointment (`appointment-tomorrow:<id>`), however often the job
    runs. Returns how many were queued now."""
    now = now or timezone.now()
    start, end = _day_bounds(on + timedelta(days=1))
    send_at = datetime.combine(on, time.fromisoformat(settings.APPOINTMENT_REMINDER_AT),
                               tzinfo=timezone.get_current_timezone())
    queued = 0
    for appointment in (Appointment.objects.filter(starts_at__gte=max(start, now), starts_at__lt=end,
                                                   status=Appointment.Status.BOOKED)
                        .select_related("slot__resource", "vehicle").order_by("starts_at", "id")):
        queued += _text_queue(appointment, template_key=TOMORROW_TEMPLATE, key=f"appointment-tomorrow:{appointment.pk}",
                              now=now, not_before=send_at)
    return queued
