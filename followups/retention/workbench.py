"""Retention's panels on the callback workbench (followups/callbacks/extras.py), registered from
RetentionConfig.ready():

- "retention": on a solicitation, reminder or win-back call, why the store calls — the reminder (its
  kind, when the vehicle is due and whether by time or by mileage, its km a day, the last
  maintenance, until when a visit counts) or the lapse (since when, which band) — and, when the
  reminder carries one, the concern to ask about first (the last visit's problem or complaint);
- "retention-reasons": on every retention call, the reasons the store learnt why the customer stays
  away, and the forms to record one (车已卖, 已搬迁, 其他原因) through `lapse_reason_record`, which
  ends a sold car's owner role and stops its reminders.

Each reads its rows in one or two queries, only for these kinds.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.callbacks.extras import ExtraRefused, workbench_extra_register
from followups.callbacks.models import CallbackKind

from .models import Lapse, LapseReason, Reminder, ServiceDue

REASON_ROWS = 5
ADD_REASON = "retention.add_lapsereason"
PURPOSE_KINDS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK)
REASON_KINDS = (*PURPOSE_KINDS, CallbackKind.NO_SHOW)
# The reasons the third form offers: the first two have their own buttons.
OTHER_REASONS = [choice for choice in LapseReason.Reason.choices
                 if choice[0] not in (LapseReason.Reason.SOLD, LapseReason.Reason.MOVED)]


def _source_id(callback, prefix: str) -> int | None:
    """The record a retention call was made for, as its source key names it (`reminder:<id>`)."""
    head, _sep, tail = (callback.source_key or "").partition(":")
    return int(tail) if head == prefix and tail.isdigit() else None


def _reminder(callback) -> Reminder | None:
    match = Q(callback_id=callback.pk)
    if (reminder_id := _source_id(callback, "reminder")) is not None:
        match |= Q(pk=reminder_id)
    return (Reminder.objects.filter(match).select_related("vehicle", "vehicle__service_due")
            .order_by("-created_on", "-id").first())


def _lapse(callback) -> Lapse | None:
    match = Q(callback_id=callback.pk)
    if (lapse_id := _source_id(callback, "lapse")) is not None:
        match |= Q(pk=lapse_id)
    return Lapse.objects.filter(match).select_related("band").order_by("-created_on", "-id").first()


def _due_of(reminder: Reminder | None, callback) -> ServiceDue | None:
    """The vehicle's maintenance state: the reminder's vehicle's, or the call's vehicle's when the
    call names no reminder (one asked for by hand)."""
    if reminder is not None:
        return getattr(reminder.vehicle, "service_due", None)
    if callback.vehicle_id is None:
        return None
    return ServiceDue.objects.filter(vehicle_id=callback.vehicle_id).first()


def purpose_context(*, bench, user, may_record: bool, now: datetime, kept: dict | None) -> dict | None:
    callback = bench.callback
    if callback.kind == CallbackKind.WIN_BACK:
        lapse = _lapse(callback)
        return {"lapse": lapse, "kind": callback.kind}
    reminder = _reminder(callback)
    due = _due_of(reminder, callback)
    # The due state names its own cycle: once the vehicle has come, it is the next cycle's, not the reminder's.
    due_matches = due is not None and (reminder is None or due.cycle == reminder.cycle)
    return {"reminder": reminder, "due": due, "due_matches": due_matches, "kind": callback.kind,
            "concern": reminder.concern if reminder else "", "estimated_km": _estimated_km(due, now)}


def _estimated_km(due: ServiceDue | None, now: datetime) -> int | None:
    """The odometer today as the vehicle's own pace guesses it: what the agent asks the customer to confirm."""
    if due is None or due.last_mileage is None or due.km_per_day is None or due.last_mileage_on is None:
        return None
    days = max((timezone.localdate(now) - due.last_mileage_on).days, 0)
    return int(due.last_mileage + float(due.km_per_day) * days)


def reasons_context(*, bench, user, may_record: bool, now: datetime, kept: dict | None) -> dict | None:
    reasons = list(LapseReason.objects.filter(customer_id=bench.customer.pk)
                   .select_related("vehicle", "recorded_by").order_by("-recorded_at", "-id")[:REASON_ROWS])
    may_add = may_record and user.has_perm(ADD_REASON)
    if not reasons and not may_add:
        return None
    owned = [role.vehicle for role in bench.vehicle_roles if role.kind == role.Kind.OWNER]
    return {"reasons": reasons, "may_add": may_add, "vehicles": owned, "other_reasons": OTHER_REASONS,
            "kept": kept or {}, "vehicle_id": (kept or {}).get("vehicle") or str(bench.callback.vehicle_id or "")}


def _message_of(error: ValidationError) -> str:
    return "；".join(str(message) for message in error.messages)


def reason_record(*, callback, user, data, now: datetime) -> str:
    """Record why the customer stays away; a sold (or scrapped) car names which of theirs it is."""
    if not user.has_perm(ADD_REASON):
        raise PermissionDenied
    reason = data.get("reason", "")
    note = data.get("note", "").strip()[:200]
    kept = {"reason": reason, "note": note, "vehicle": data.get("vehicle", "")}
    if reason not in LapseReason.Reason.values:
        raise ExtraRefused(_("Choose the reason."), kept=kept)
    vehicle = None
    if data.get("vehicle"):
        from customers.models import VehicleRole

        role = (VehicleRole.objects.filter(customer_id=callback.customer_id, vehicle_id=data["vehicle"],
                                           kind=VehicleRole.Kind.OWNER, ended_on__isnull=True)
                .select_related("vehicle").first() if data["vehicle"].isdigit() else None)
        if role is None:
            raise ExtraRefused(_("Choose one of the customer's own vehicles."), kept=kept)
        vehicle = role.vehicle
    if reason in (LapseReason.Reason.SOLD, LapseReason.Reason.SCRAPPED) and vehicle is None:
        raise ExtraRefused(_("Choose which vehicle was sold or scrapped."), kept=kept)
    from . import services

    lapse = services.lapse_of_callback(callback=callback)
    try:
        services.lapse_reason_record(customer=callback.customer, reason=reason, by=user, note=note, vehicle=vehicle,
                                     lapse=lapse, now=now)
    except ValidationError as error:
        raise ExtraRefused(_message_of(error), kept=kept) from error
    label = LapseReason.Reason(reason).label
    if reason in (LapseReason.Reason.SOLD, LapseReason.Reason.SCRAPPED):
        return _("Recorded: %(reason)s (%(vehicle)s). The vehicle's reminders and retention calls have stopped.") % {
            "reason": label, "vehicle": vehicle.plate or vehicle.vin}
    return _("Recorded: %(reason)s.") % {"reason": label}


def register() -> None:
    workbench_extra_register("retention", kinds=PURPOSE_KINDS, template="callbacks/partials/extra_retention.html",
                             context=purpose_context, order=10)
    workbench_extra_register("retention-reasons", kinds=REASON_KINDS,
                             template="callbacks/partials/extra_lapse_reasons.html", context=reasons_context,
                             actions={"record": reason_record}, order=30)
