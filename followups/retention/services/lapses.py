"""Lapsed customers (流失客户), their win-back calls, the reasons the store learns, and the sold car.

`lapses_build(on=…)` gives each customer who crosses an active band that day (no visit for the
band's months: `Customer.last_visit_on` on or before `on` less the months) one lapse of that band
for that last visit (`lapse_one_per_band`: a second run, or two at once, add nothing), with a
win-back call when the band says so and the customer has no win-back call waiting already. A day
missed is caught up (DAILY_JOBS_CATCH_UP_DAYS, from the day the archive was first filled on, as the
reminders). Not lapsed: customers without a
current vehicle (all sold or ended), customers with an appointment booked, and those the store
has given up on for that last visit (a lapse lost: moved away).

A customer's lapses of one last visit are one story told by band: crossing 12 months adds the
12-month lapse beside the 6-month one, and a visit returns them all (`refresh`). The lapse list
shows a customer under the highest band they crossed.

The win-back call is routed as the callback centre routes its calls: no phone → skipped; a customer
who refuses calls gets the rule's text instead (or is skipped, as the rule says).
"""

import logging
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, TimelineEntry, Vehicle, VehicleRole
from customers.services import ArchiveError, timeline_add, vehicle_owner_end
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.models import Purpose
from dealer_crm.messaging.services import MessagingError, QueueItem, messages_queue_many
from followups.callbacks.models import Callback, CallbackKind, CallbackRule
from followups.callbacks.services.building import CloseReason

from ..due import add_months
from ..models import Lapse, LapseBand, LapseReason, Reminder
from .common import (RETENTION_CALL_KINDS, Reason, callbacks_insert, catch_up_days, catch_up_from, chunks, day_start,
                     insert_returning, jit_off, preferences_of, update_values)
from .refresh import calls_cancel, service_due_recompute
from .reminders import call_fields, call_rules

logger = logging.getLogger(__name__)
S = Callback.Status


def lapse_window(*, on: date, months: int, first: date | None = None) -> tuple[date, date]:
    """The last visits that cross a band of `months` on a day from `first` (default: the catch-up
    days before `on`) to `on`: after the first date returned, up to and including the second.
    Consecutive days' windows meet without a gap or an overlap, also across months of different
    lengths."""
    first = first or on - timedelta(days=catch_up_days())
    return add_months(first - timedelta(days=1), -months), add_months(on, -months)


@transaction.atomic
def lapses_build(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """Record the customers who lapsed into a band on `on` and queue their win-back calls (see the
    module's docstring). Returns the counts: "created" lapses, and of their win-back calls "call"
    (queued), "sms" (took the text instead), "skipped". A second run creates 0."""
    now = now or timezone.now()
    jit_off()
    Appointment = apps.get_model("appointments", "Appointment")
    counts = {"created": 0, "call": 0, "sms": 0, "skipped": 0}
    calling = []
    first = catch_up_from(on)
    for band in LapseBand.objects.filter(active=True).order_by("months"):
        after, until = lapse_window(on=on, months=band.months, first=first)
        customers = (Customer.objects.filter(last_visit_on__gt=after, last_visit_on__lte=until)
                     .filter(Exists(VehicleRole.objects.filter(customer_id=OuterRef("pk"), ended_on__isnull=True)))
                     .exclude(Exists(Lapse.objects.filter(customer_id=OuterRef("pk"), band=band,
                                                          since=OuterRef("last_visit_on"))))
                     .exclude(Exists(Lapse.objects.filter(customer_id=OuterRef("pk"), since=OuterRef("last_visit_on"),
                                                          status=Lapse.Status.LOST)))
                     .exclude(Exists(Appointment.objects.filter(customer_id=OuterRef("pk"),
                                                                status=Appointment.Status.BOOKED,
                                                                starts_at__gte=day_start(on))))
                     .order_by("id").values_list("id", "last_visit_on"))
        rows = [(customer_id, band.pk, since, on, Lapse.Status.OPEN) for customer_id, since in customers]
        made = insert_returning(Lapse._meta.db_table, ("customer_id", "band_id", "since", "created_on", "status"), rows,
                                ("id", "customer_id"))
        counts["created"] += len(made)
        if band.win_back_call:
            calling += made
    counts |= _win_back_calls(calling, on=on, now=now)
    logger.info("Retention lapses for %s: %s", on, counts)
    return counts


def _main_vehicles(customer_ids: list[int]) -> dict[int, int]:
    """customer → the vehicle a win-back call is about: the newest they own (else drive) now."""
    vehicles: dict[int, int] = {}
    for chunk in chunks(customer_ids):
        for customer_id, vehicle_id in (VehicleRole.objects.filter(customer_id__in=chunk, ended_on__isnull=True)
                                        .order_by("customer_id", "-kind", "-started_on", "-id")
                                        .values_list("customer_id", "vehicle_id")):
            vehicles.setdefault(customer_id, vehicle_id)  # "owner" sorts after "driver": -kind puts it first
    return vehicles


def _win_back_calls(made: list[tuple[int, int]], *, on: date, now: datetime) -> dict[str, int]:
    """A win-back call for each new lapse (id, customer) whose customer has none waiting, routed as
    the module's docstring says, linked to its lapse."""
    counts = {"call": 0, "sms": 0, "skipped": 0}
    rule = call_rules().get(CallbackKind.WIN_BACK)
    if not made or (rule is not None and not rule.enabled):
        return counts
    customer_ids = sorted({customer_id for _pk, customer_id in made})
    waiting = set()
    for chunk in chunks(customer_ids):
        waiting |= set(Callback.objects.filter(customer_id__in=chunk, kind=CallbackKind.WIN_BACK,
                                               status__in=Callback.OPEN_STATUSES).values_list("customer_id", flat=True))
    people = {pk: (mobile, phone2, importance) for pk, mobile, phone2, importance in
              Customer.objects.filter(pk__in=customer_ids).values_list("id", "mobile", "phone2", "importance")}
    preferences = preferences_of(customer_ids)
    vehicles = _main_vehicles(customer_ids)
    sms_route = rule is not None and rule.no_calls == CallbackRule.NoCalls.SMS and rule.sms_template_id is not None
    calls = []
    for lapse_id, customer_id in made:
        if customer_id in waiting:
            continue
        waiting.add(customer_id)  # one call for a customer who crossed two bands in one run
        mobile, phone2, importance = people[customer_id]
        said = preferences[customer_id]
        status, reason = _route(mobile=mobile, phone2=phone2, takes_calls=said["phone"], takes_sms=said["sms"],
                                sms_route=sms_route)
        calls.append({"customer_id": customer_id, "vehicle_id": vehicles.get(customer_id), "source_key": f"lapse:{lapse_id}",
                      "status": str(status), "close_reason": reason, "closed_at": None if status == S.OPEN else now,
                      **call_fields(CallbackKind.WIN_BACK, rule, on=on, now=now, importance=importance)})
    ids = callbacks_insert(calls, now=now)
    update_values(Lapse, ["callback_id"], [(int(call["source_key"].split(":")[1]), ids[call["source_key"]])
                                           for call in calls if call["source_key"] in ids])
    made_calls = [call for call in calls if call["source_key"] in ids]
    routed = [_Routed(ids[call["source_key"]], call["customer_id"], call["vehicle_id"]) for call in made_calls
              if call["status"] == S.SMS_SENT]
    failed = _sms_route(routed, rule=rule, now=now)
    counts["call"] = sum(1 for call in made_calls if call["status"] == S.OPEN)
    counts["sms"] = len(routed) - failed
    counts["skipped"] = sum(1 for call in made_calls if call["status"] == S.SKIPPED) + failed
    return counts


class _Routed(NamedTuple):
    pk: int
    customer_id: int
    vehicle_id: int | None


def _route(*, mobile: str, phone2: str, takes_calls, takes_sms, sms_route: bool) -> tuple[str, str]:
    if not mobile and not phone2:
        return S.SKIPPED, CloseReason.NO_PHONE
    if takes_calls is not False:
        return S.OPEN, ""
    if takes_sms is False:
        return S.SKIPPED, CloseReason.REFUSES_CONTACT
    if not sms_route:
        return S.SKIPPED, CloseReason.NO_CALLS
    if not mobile:
        return S.SKIPPED, CloseReason.NO_MOBILE
    return S.SMS_SENT, CloseReason.NO_CALLS


def _sms_route(routed: list[_Routed], *, rule: CallbackRule, now: datetime) -> int:
    """The rule's text for the win-back calls of customers who take no calls, under the callback
    build's key (`callback-sms:<callback>`), with the timeline entry the build writes; a text the
    platform refuses turns its call into a skipped one. Returns how many were turned."""
    if not routed:
        return 0
    template = rule.sms_template
    items = [QueueItem(customer_id=call.customer_id, idempotency_key=f"callback-sms:{call.pk}", source_id=str(call.pk))
             for call in routed]
    try:
        outcome = messages_queue_many(items=items, purpose=Purpose.SERVICE, template=template, now=now,
                                      source_model=Callback)
    except MessagingError as error:
        logger.warning("Win-back calls: the SMS route's text was not queued: %s", error)
        outcome = None
    failed, entries = [], []
    source_type = ContentType.objects.get_for_model(Callback)
    for call, item in zip(routed, items, strict=True):
        if outcome is not None and item.idempotency_key in outcome.queued:
            entries.append(TimelineEntry(customer_id=call.customer_id, vehicle_id=call.vehicle_id,
                                         kind=TimelineEntry.Kind.CALLBACK, occurred_at=now, source_type=source_type,
                                         source_id=str(call.pk),
                                         params={"variant": "sms_route", "callback_kind": CallbackKind.WIN_BACK.value,
                                                 "template": template.name}))
            continue
        why = outcome.refused.get(item.idempotency_key) if outcome is not None else None
        refused = why in (Exclusion.REFUSES_ALL, Exclusion.REFUSES_SMS, Exclusion.OPTED_OUT)
        failed.append((call.pk, S.SKIPPED.value, CloseReason.REFUSES_CONTACT if refused else CloseReason.SMS_NOT_SENT))
    update_values(Callback, ["status", "close_reason"], failed)
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    return len(failed)


# --- what the store learns ---------------------------------------------------------------------------
def _lapses_lose(*, customer_id: int, now: datetime) -> int:
    """The customer's open lapses are lost for good (no more win-back), their calls waiting cancelled."""
    lapses = list(Lapse.objects.select_for_update().filter(customer_id=customer_id, status=Lapse.Status.OPEN)
                  .values_list("id", "callback_id"))
    if not lapses:
        return 0
    Lapse.objects.filter(pk__in=[pk for pk, _c in lapses]).update(status=Lapse.Status.LOST, closed_at=now)
    calls_cancel([callback_id for _pk, callback_id in lapses if callback_id], reason=Reason.MOVED, now=now)
    return len(lapses)


@transaction.atomic
def vehicle_sold(*, vehicle: Vehicle, by, on: date | None = None, note: str = "") -> None:
    """The vehicle was sold (or scrapped): its owner's role ends in the archive, its pending
    reminders are cancelled and its retention calls waiting in the queue too, and its due state
    has no owner any more, so nothing reminds anyone of it. A former owner left with no vehicle is
    no longer lapsed: their open lapses are lost. Raises ValidationError when the archive refuses
    the date (before the owner's start)."""
    now = timezone.now()
    on = on or timezone.localdate(now)
    try:
        role = vehicle_owner_end(vehicle=vehicle, on=on, by=by, reason=note or _("Sold the car"))
    except ArchiveError as error:
        raise ValidationError({"vehicle": str(error)}) from error
    pending = list(Reminder.objects.select_for_update().filter(vehicle=vehicle, status=Reminder.Status.PENDING)
                   .values_list("id", "callback_id"))
    Reminder.objects.filter(pk__in=[pk for pk, _c in pending]).update(
        status=Reminder.Status.CANCELLED, skip_reason=Reason.SOLD, done_at=now)
    calls = set(Callback.objects.filter(vehicle=vehicle, kind__in=RETENTION_CALL_KINDS, status=S.OPEN)
                .values_list("id", flat=True))
    calls_cancel(sorted(calls | {callback_id for _pk, callback_id in pending if callback_id}), reason=Reason.SOLD,
                 now=now, by=by)
    service_due_recompute(vehicle_ids=[vehicle.pk])
    if role is not None and not VehicleRole.objects.filter(customer_id=role.customer_id, ended_on__isnull=True).exists():
        _lapses_lose(customer_id=role.customer_id, now=now)


@transaction.atomic
def lapse_reason_record(*, customer: Customer, reason: str, by, note: str = "", vehicle: Vehicle | None = None,
                        lapse: Lapse | None = None, now: datetime | None = None) -> LapseReason:
    """Record why the customer stays away, with their open lapse (the newest, unless one is given).
    A sold or scrapped car names the vehicle and ends its owner role (`vehicle_sold`); moving away
    closes the customer's open lapses as lost. Raises ValidationError (by field) for what is refused."""
    now = now or timezone.now()
    Reasons = LapseReason.Reason
    if customer.merged_into_id is not None:
        raise ValidationError(_("This customer was merged into another record: record it on the kept one."))
    if reason not in Reasons.values:
        raise ValidationError({"reason": _("Choose the reason.")})
    ends_vehicle = reason in (Reasons.SOLD, Reasons.SCRAPPED)
    if ends_vehicle and vehicle is None:
        raise ValidationError({"vehicle": _("Choose which vehicle was sold or scrapped.")})
    if vehicle is not None:
        roles = VehicleRole.objects.filter(vehicle=vehicle, customer=customer)
        if ends_vehicle:
            roles = roles.filter(kind=VehicleRole.Kind.OWNER, ended_on__isnull=True)
        if not roles.exists():
            raise ValidationError({"vehicle": _("The customer does not own this vehicle (any more).") if ends_vehicle
                                   else _("The vehicle is not one of this customer's.")})
    if lapse is not None and lapse.customer_id != customer.pk:
        raise ValidationError({"lapse": _("This lapse is another customer's.")})
    if lapse is None:
        lapse = Lapse.objects.filter(customer=customer, status=Lapse.Status.OPEN).order_by("-band__months", "-id").first()
    record = LapseReason(customer=customer, vehicle=vehicle, lapse=lapse, reason=reason, note=(note or "").strip()[:200],
                         recorded_by=by, recorded_at=now)
    record.full_clean()
    record.save()
    if ends_vehicle:
        vehicle_sold(vehicle=vehicle, by=by, on=timezone.localdate(now), note=record.note or record.get_reason_display())
    elif reason == Reasons.MOVED:
        _lapses_lose(customer_id=customer.pk, now=now)
    timeline_add(customer=customer, kind=TimelineEntry.Kind.REMINDER, vehicle=vehicle, source=record, by=by,
                 occurred_at=now, params={"variant": "reason", "reason": reason, "note": record.note})
    return record


def lapse_of_callback(*, callback) -> Lapse | None:
    """The lapse a win-back call was made for (its source key `lapse:<id>`)."""
    if callback is None or callback.pk is None:
        return None
    lapse = Lapse.objects.filter(callback_id=callback.pk).first()
    head, _sep, tail = (callback.source_key or "").partition(":")
    if lapse is None and head == "lapse" and tail.isdigit():
        lapse = Lapse.objects.filter(pk=int(tail), customer_id=callback.customer_id).first()
    return lapse
