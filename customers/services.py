"""Every change to the archive. Views, imports, commands and later features call these."""

from collections.abc import Iterable
from datetime import date, datetime
from itertools import combinations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, Max
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .edits import EditOutcome, edit_plan, meanwhile_changes
from .normalize import mask_phone
from .timeline import service_visit_params
from .models import (
    ContactPreference,
    Customer,
    CustomerMerge,
    DeliveryFile,
    DuplicateCandidate,
    FamilyMember,
    ServiceVisit,
    TimelineEntry,
    Vehicle,
    VehicleRole,
)


class ArchiveError(Exception):
    """A change that the archive's rules refuse; the message is for staff."""


def _save(instance: models.Model, *, by, **fields) -> models.Model:
    """Set fields, validate everything the database would refuse, save, and name the author in history.

    An existing row is saved with only the fields given (and the keys derived from them), so a
    change never writes back columns another transaction may have changed meanwhile.
    """
    if instance.pk is not None and fields:
        _history_baseline(instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    if hasattr(instance, "derive_search_keys"):
        instance.derive_search_keys()
    instance.full_clean()
    if by is not None:
        instance._history_user = by
    if instance.pk is None or not fields:
        instance.save()
    else:
        derived = {"name": ["name_pinyin", "name_initials", "name_pinyin_given_initials",
                            "name_pinyin_surname_initial"], "mobile": ["mobile_rev"], "phone2": ["phone2_rev"],
                   "plate": ["plate_key"], "vin": ["vin_rev"]}
        concrete = {f.name for f in instance._meta.concrete_fields}
        columns = set(fields) | {extra for name in fields for extra in derived.get(name, []) if extra in concrete}
        columns |= {f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)}
        instance.save(update_fields=sorted(columns))
    return instance


def _history_baseline(instance: models.Model) -> None:
    """Rows written in bulk (the demo store, imports) have no history yet. Before their first change,
    record them as they are stored, so the first change shows as old → new, not as a creation."""
    history = getattr(instance, "history", None)
    if history is None or history.exists():
        return
    stored = type(instance)._base_manager.get(pk=instance.pk)
    created = getattr(stored, "created_at", None) or timezone.now()
    type(instance).history.bulk_history_create([stored], default_date=created, default_change_reason="baseline")


class CustomerMerged(ArchiveError):
    """The customer was merged into another; an edit of the merged record is not written."""

    def __init__(self, survivor: Customer):
        self.survivor = survivor
        super().__init__(_("This customer was merged into #%(id)s %(name)s.") % {"id": survivor.pk,
                                                                                "name": survivor.name})


def _edit(current: models.Model, *, by, base: dict[str, str] | None, fields: dict, stored: dict | None = None,
          also: dict | None = None) -> EditOutcome:
    """Apply `edit_plan` to a locked, freshly read record: write the user's changes (and `also`), or
    nothing when one of them collides with a change made meanwhile."""
    stored = {name: getattr(current, name) for name in fields} if stored is None else stored
    plan = edit_plan(stored=stored, submitted=fields, base=base)
    changes = meanwhile_changes(current, plan.conflicts + plan.kept, stored)
    outcome = EditOutcome(record=current, written=tuple(plan.write),
                          conflicts=tuple(changes[name] for name in plan.conflicts),
                          kept=tuple(changes[name] for name in plan.kept))
    if outcome.saved and plan.write:
        _save(current, by=by, **plan.write, **(also or {}))
    return outcome


# --- the timeline: the one extension point for every feature that contacts a customer ----------
def timeline_add(
    *,
    customer: Customer,
    kind: str,
    params: dict | None = None,
    occurred_at: datetime | None = None,
    title: str = "",
    body: str = "",
    vehicle: Vehicle | None = None,
    source: models.Model | None = None,
    by=None,
) -> TimelineEntry:
    """An entry of `kind` (its message in `customers.timeline.MESSAGES`), with the message's
    parameters: codes, numbers and names, which the page formats in the reader's language.

    `title` and `body` are for text a person wrote (a note), shown as written in every language.
    """
    return TimelineEntry.objects.create(
        customer=customer,
        kind=kind,
        params=params or {},
        title=title[:200],
        body=body,
        occurred_at=occurred_at or timezone.now(),
        vehicle=vehicle,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=str(source.pk) if source is not None else "",
        created_by=by,
    )


# --- customers ---------------------------------------------------------------------------------
@transaction.atomic
def customer_create(*, by, **fields) -> Customer:
    return _save(Customer(), by=by, **fields)


@transaction.atomic
def customer_update(*, customer: Customer, by, base: dict[str, str] | None = None, **fields) -> EditOutcome:
    """Write what the user changed since the form showed `base` (see `edit_plan`), so history shows
    exactly that, and a merge or another edit that finished meanwhile is not undone.

    The row is locked and read again; a merged record is refused (`CustomerMerged`).
    """
    current = Customer.all_objects.select_for_update().get(pk=customer.pk)
    if current.merged_into_id:
        raise CustomerMerged(current.merged_into)
    return _edit(current, by=by, base=base, fields=fields)


def customer_phones_reveal(*, customer: Customer, by, via: str = "reveal") -> list[str]:
    """The full numbers, for a user whose work needs them; every reveal is in the audit log.

    `via` says where they were shown: the reveal button, or the edit form (which shows them too).
    """
    if not by.has_perm("customers.reveal_phone"):
        raise ArchiveError(_("Your role does not allow seeing full phone numbers."))
    detail = {"phones": len(customer.phones)} | ({"via": via} if via != "reveal" else {})
    audit_record(actor=by, action=AuditEvent.Action.PHONE_REVEAL, target=customer, detail=detail)
    return customer.phones


@transaction.atomic
def contact_preference_set(*, customer: Customer, channel: str, purpose: str, allowed: bool, reason: str, by,
                           on: date | None = None, base: dict[str, str] | None = None) -> EditOutcome:
    """Record what the customer said for one channel and purpose. With `base` (the answer the form
    knew for them when it was opened), an answer recorded meanwhile by someone else is not replaced
    unseen; without an answer on file when the form was opened, that base is the empty answer."""
    current = Customer.all_objects.select_for_update().get(pk=customer.pk)  # one answer at a time per customer
    if current.merged_into_id:
        raise CustomerMerged(current.merged_into)
    lifted = _refusals_lifted(customer=current, channel=channel, purpose=purpose) if allowed else []
    if lifted and not reason.strip():
        raise OptInWithoutReason(_("The customer refused this (%(refusals)s): only the customer can agree again. "
                                   "Write when and how they asked, e.g. “客户来电要求恢复接收短信”.")
                                 % {"refusals": "；".join(_refusal_words(p) for p in lifted)})
    preference = ContactPreference.objects.filter(customer=current, channel=channel, purpose=purpose).first()
    stored = ({"allowed": preference.allowed, "reason": preference.reason} if preference
              else {"allowed": None, "reason": None})
    record = preference or ContactPreference(customer=current, channel=channel, purpose=purpose)
    outcome = _edit(record, by=by, base=base, fields={"allowed": allowed, "reason": reason}, stored=stored,
                    also={"recorded_on": on or timezone.localdate(), "recorded_by": by})
    if outcome.saved and not outcome.written:  # the same answer again: it is confirmed today
        _save(record, by=by, recorded_on=on or timezone.localdate(), recorded_by=by)
    if lifted and outcome.saved:
        _opt_in_record(customer=current, channel=channel, purpose=purpose, reason=reason, lifted=lifted, by=by)
    return outcome


class OptInWithoutReason(ArchiveError):
    """Staff lift a refusal without saying that (and how) the customer asked for it."""


def _refusals_lifted(*, customer: Customer, channel: str, purpose: str) -> list[ContactPreference]:
    """The refusals on file that an agreement for this channel and purpose overrides: the same
    answer, or a refusal of any channel or any purpose that covers it (the SMS platform reads the
    most specific answer first, so "SMS marketing: agrees" lifts "any channel: refuses" for it)."""
    Channel, Purpose = ContactPreference.Channel, ContactPreference.Purpose
    channels = {channel} if channel == Channel.ANY else {channel, Channel.ANY}
    purposes = {purpose} if purpose == Purpose.ALL else {purpose, Purpose.ALL}
    return list(ContactPreference.objects.filter(customer=customer, allowed=False, channel__in=channels,
                                                 purpose__in=purposes).order_by("channel", "purpose"))


def _refusal_words(preference: ContactPreference) -> str:
    said = f"{preference.get_channel_display()} · {preference.get_purpose_display()}"
    return f"{said}：{preference.reason}" if preference.reason else said


def _opt_in_record(*, customer: Customer, channel: str, purpose: str, reason: str,
                   lifted: list[ContactPreference], by) -> None:
    """An agreement after a refusal: in the audit log and on the customer's timeline."""
    before = [{"channel": p.channel, "purpose": p.purpose, "reason": p.reason, "recorded_on": str(p.recorded_on)}
              for p in lifted]
    audit_record(actor=by, action=AuditEvent.Action.CONTACT_OPT_IN, target=customer,
                 detail={"channel": channel, "purpose": purpose, "reason": reason, "refused": before})
    timeline_add(customer=customer, kind=TimelineEntry.Kind.NOTE, by=by,
                 params={"variant": "opt_in", "channel": channel, "purpose": purpose, "reason": reason[:200]})


@transaction.atomic
def family_member_save(*, customer: Customer, by, member: FamilyMember | None = None, **fields) -> FamilyMember:
    if member is not None and member.customer_id != customer.pk:
        raise ArchiveError(_("This family member belongs to another customer."))
    if member is not None:
        return family_member_update(member=member, by=by, **fields).record
    return _save(FamilyMember(customer=customer), by=by, **fields)


@transaction.atomic
def family_member_update(*, member: FamilyMember, by, base: dict[str, str] | None = None, **fields) -> EditOutcome:
    """As `customer_update`, for one family member (who may have moved with a merge meanwhile)."""
    current = FamilyMember.objects.select_for_update().get(pk=member.pk)
    return _edit(current, by=by, base=base, fields=fields)


@transaction.atomic
def family_member_remove(*, member: FamilyMember, by) -> None:
    member._history_user = by
    member.delete()


# --- vehicles and roles ------------------------------------------------------------------------
@transaction.atomic
def vehicle_add(*, customer: Customer, by, kind: str = VehicleRole.Kind.OWNER, started_on: date | None = None,
                **fields) -> Vehicle:
    """A vehicle new to the archive, with the customer as owner (or driver) from its delivery date."""
    vehicle = _save(Vehicle(), by=by, **fields)
    DeliveryFile.objects.create(vehicle=vehicle)
    start = started_on or vehicle.delivery_date or timezone.localdate()
    _save(VehicleRole(vehicle=vehicle, customer=customer, kind=kind), by=by, started_on=start)
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, by, base: dict[str, str] | None = None, **fields) -> EditOutcome:
    """As `customer_update`, for the vehicle's own fields."""
    current = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    return _edit(current, by=by, base=base, fields=fields)


def _current_role(vehicle: Vehicle, kind: str) -> VehicleRole | None:
    """The vehicle's current role of this kind. The vehicle row is locked first, so two changes of
    the same vehicle (or a vehicle with no owner yet) wait for each other instead of colliding."""
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).exists()
    return (VehicleRole.objects.select_for_update(of=("self",))
            .filter(vehicle=vehicle, kind=kind, ended_on__isnull=True).select_related("customer").first())


@transaction.atomic
def vehicle_change_owner(*, vehicle: Vehicle, new_owner: Customer, on: date, by) -> VehicleRole:
    """The old owner's role ends on `on` and stays in the archive; the new owner's starts."""
    current = _current_role(vehicle, VehicleRole.Kind.OWNER)
    if current is not None:
        if current.customer_id == new_owner.pk:
            raise ArchiveError(_("%(name)s already owns this vehicle.") % {"name": new_owner})
        if on < current.started_on:
            raise ArchiveError(_("The change cannot be before the current owner's start (%(date)s).")
                               % {"date": current.started_on})
        _save(current, by=by, ended_on=on)
    role = _save(VehicleRole(vehicle=vehicle, customer=new_owner, kind=VehicleRole.Kind.OWNER), by=by,
                 started_on=on)
    timeline_add(customer=new_owner, kind=TimelineEntry.Kind.OWNERSHIP, params={"vehicle": str(vehicle)},
                 vehicle=vehicle, source=role, by=by)
    if current is not None:
        timeline_add(customer=current.customer, kind=TimelineEntry.Kind.OWNERSHIP, vehicle=vehicle, source=role,
                     by=by, params={"variant": "ended", "vehicle": str(vehicle)})
    return role


@transaction.atomic
def vehicle_owner_end(*, vehicle: Vehicle, on: date, by, reason: str = "") -> VehicleRole | None:
    """The current owner's role ends on `on` with no new owner in the archive (the car was sold to
    someone the store does not know, or scrapped): the role stays, ended, with `reason` in its
    history, and the owner's timeline says so. None when the vehicle has no current owner."""
    current = _current_role(vehicle, VehicleRole.Kind.OWNER)
    if current is None:
        return None
    if on < current.started_on:
        raise ArchiveError(_("The change cannot be before the current owner's start (%(date)s).")
                           % {"date": current.started_on})
    if reason:
        current._change_reason = reason[:100]
    _save(current, by=by, ended_on=on)
    timeline_add(customer=current.customer, kind=TimelineEntry.Kind.OWNERSHIP, vehicle=vehicle, source=current,
                 by=by, params={"variant": "ended", "vehicle": str(vehicle)})
    return current


@transaction.atomic
def vehicle_set_driver(*, vehicle: Vehicle, driver: Customer, on: date, by) -> VehicleRole:
    current = _current_role(vehicle, VehicleRole.Kind.DRIVER)
    if current is not None:
        if current.customer_id == driver.pk:
            return current
        _save(current, by=by, ended_on=max(on, current.started_on))
    return _save(VehicleRole(vehicle=vehicle, customer=driver, kind=VehicleRole.Kind.DRIVER), by=by, started_on=on)


@transaction.atomic
def delivery_file_update(*, vehicle: Vehicle, by, base: dict[str, str] | None = None, **fields) -> EditOutcome:
    """As `customer_update`: ticking one document does not untick one a colleague ticked meanwhile."""
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).exists()  # also when the file is not there yet
    delivery_file, _created = DeliveryFile.objects.get_or_create(vehicle=vehicle)
    return _edit(delivery_file, by=by, base=base, fields=fields)


# --- service visits ----------------------------------------------------------------------------
@transaction.atomic
def service_visit_record(*, vehicle: Vehicle, by=None, customer: Customer | None = None, **fields) -> ServiceVisit:
    """A repair order: the visit, its timeline entry, and the customer's last-visit date."""
    if customer is None:
        owner = VehicleRole.objects.filter(vehicle=vehicle, kind=VehicleRole.Kind.OWNER, ended_on__isnull=True).first()
        customer = owner.customer if owner else None
    visit = _save(ServiceVisit(vehicle=vehicle, customer=customer), by=None, **fields)
    if customer is not None:
        timeline_add(
            customer=customer, kind=TimelineEntry.Kind.SERVICE_VISIT, vehicle=vehicle, source=visit, by=by,
            occurred_at=timezone.make_aware(datetime.combine(visit.opened_on, datetime.min.time()).replace(hour=9)),
            params=service_visit_params(kind=visit.kind, ro_number=visit.ro_number, mileage=visit.mileage,
                                        total_amount=visit.total_amount, advisor=visit.advisor),
        )
        # Conditional in the database: an older visit imported later never moves the date back.
        Customer.all_objects.filter(pk=customer.pk).filter(
            models.Q(last_visit_on__lt=visit.opened_on) | models.Q(last_visit_on__isnull=True)
        ).update(last_visit_on=visit.opened_on)
    return visit


# --- duplicates and merge ----------------------------------------------------------------------
def _pairs(ids: Iterable[int]) -> list[tuple[int, int]]:
    return list(combinations(sorted(set(ids)), 2))


def _similar_numbers(a: str, b: str) -> bool:
    """One digit different, or two neighbouring digits swapped: the usual typing slips."""
    if not a or not b or len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(diffs) == 1:
        return True
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]


MAX_GROUP = 20  # a phone or name shared by more customers than this is a placeholder, not a person


def duplicates_find(*, on: date) -> dict[str, int]:
    """Record every likely duplicate pair not yet recorded. Running it again adds nothing."""
    active = Customer.objects.all()
    pairs: dict[tuple[int, int], str] = {}

    shared_mobiles = (active.exclude(mobile="").values("mobile").annotate(n=Count("id"))
                      .filter(n__gt=1, n__lte=MAX_GROUP).values_list("mobile", flat=True))
    by_mobile: dict[str, list[int]] = {}
    for customer_id, mobile in active.filter(mobile__in=shared_mobiles).values_list("id", "mobile"):
        by_mobile.setdefault(mobile, []).append(customer_id)
    for ids in by_mobile.values():
        for pair in _pairs(ids):
            pairs.setdefault(pair, DuplicateCandidate.Reason.SAME_MOBILE)

    current = VehicleRole.objects.filter(ended_on__isnull=True, customer__merged_into__isnull=True)
    shared_vehicles = (current.values("vehicle").annotate(n=Count("customer", distinct=True))
                       .filter(n__gt=1).values_list("vehicle", flat=True))
    by_vehicle: dict[tuple[int, str], list[int]] = {}
    for vehicle_id, customer_id, name in current.filter(vehicle__in=shared_vehicles).values_list(
            "vehicle", "customer", "customer__name"):
        by_vehicle.setdefault((vehicle_id, name), []).append(customer_id)
    for ids in by_vehicle.values():
        for pair in _pairs(ids):
            pairs.setdefault(pair, DuplicateCandidate.Reason.SAME_VEHICLE)

    shared_names = (active.values("name").annotate(n=Count("id")).filter(n__gt=1, n__lte=MAX_GROUP)
                    .values_list("name", flat=True))
    by_name: dict[str, list[tuple[int, str]]] = {}
    for customer_id, name, mobile in active.filter(name__in=shared_names).exclude(mobile="").values_list(
            "id", "name", "mobile"):
        by_name.setdefault(name, []).append((customer_id, mobile))
    for members in by_name.values():
        for (id_a, mobile_a), (id_b, mobile_b) in combinations(members, 2):
            if _similar_numbers(mobile_a, mobile_b):
                pairs.setdefault(tuple(sorted((id_a, id_b))), DuplicateCandidate.Reason.SIMILAR)

    before = DuplicateCandidate.objects.count()
    DuplicateCandidate.objects.bulk_create(
        [DuplicateCandidate(first_id=a, second_id=b, reason=reason, found_on=on) for (a, b), reason in pairs.items()],
        ignore_conflicts=True, batch_size=1000,
    )
    return {"found": len(pairs), "created": DuplicateCandidate.objects.count() - before}


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, by) -> DuplicateCandidate:
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.resolved_by, candidate.resolved_at = by, timezone.now()
    candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
    return candidate


MERGE_FILLABLE = ("gender", "address", "birthday", "id_number", "occupation", "social_level", "interests",
                  "expectations", "referred_by", "quiet_from", "quiet_until", "lost_contact_since")


def _move(rows: Iterable[models.Model], *, to: Customer, by) -> int:
    """Re-point rows one by one, so that each move is in the change history with its author."""
    count = 0
    for row in rows:
        row.customer = to
        row._history_user = by
        row.save(update_fields=["customer"])
        count += 1
    return count


@transaction.atomic
def customer_merge(*, survivor: Customer, duplicate: Customer, by) -> CustomerMerge:
    """Move everything of `duplicate` to `survivor` in one transaction and keep a trace.

    Vehicle roles, family, timeline, service visits, contact preferences, referrals and earlier
    merges move; empty fields of the survivor are filled from the duplicate, notes are joined, a
    refusal to be contacted wins over a consent, and numbers beyond the two phone fields are
    noted masked (in full in the merge's snapshot). The duplicate stays in the database, marked
    as merged, so nothing is lost and old links lead to the survivor.
    """
    first, second = sorted([survivor.pk, duplicate.pk])
    locked = {c.pk: c for c in Customer.all_objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    if survivor.pk == duplicate.pk or len(locked) != 2:
        raise ArchiveError(_("Choose two different customers to merge."))
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise ArchiveError(_("One of these customers was already merged."))

    snapshot = {key: (str(value) if value is not None and not isinstance(value, (str, int, bool)) else value)
                for key, value in model_to_dict(duplicate).items()}
    snapshot["contact_preferences"] = list(duplicate.contact_preferences.values("channel", "purpose", "allowed",
                                                                               "reason", "recorded_on"))
    snapshot["contact_preferences"] = [{**p, "recorded_on": str(p["recorded_on"])}
                                       for p in snapshot["contact_preferences"]]
    today = timezone.localdate()
    # A role both hold now (e.g. both recorded as driver of the same car) ends on the duplicate's side;
    # a role of another kind (one owns, the other drives) simply moves.
    survivor_roles = set(VehicleRole.objects.filter(customer=survivor, ended_on__isnull=True)
                         .values_list("vehicle_id", "kind"))
    for role in VehicleRole.objects.filter(customer=duplicate, ended_on__isnull=True):
        if (role.vehicle_id, role.kind) in survivor_roles:
            _save(role, by=by, ended_on=max(today, role.started_on))

    preferences = {(p.channel, p.purpose): p for p in survivor.contact_preferences.all()}
    movable_preferences = []
    for preference in duplicate.contact_preferences.all():
        kept = preferences.get((preference.channel, preference.purpose))
        if kept is None:
            movable_preferences.append(preference)
        elif kept.allowed and not preference.allowed:  # the customer said no once: that stands
            _save(kept, by=by, allowed=False, reason=preference.reason, recorded_on=preference.recorded_on,
                  recorded_by=preference.recorded_by)
    moved = {
        "vehicle_roles": _move(VehicleRole.objects.filter(customer=duplicate), to=survivor, by=by),
        "family": _move(FamilyMember.objects.filter(customer=duplicate), to=survivor, by=by),
        "contact_preferences": _move(movable_preferences, to=survivor, by=by),
        "timeline": TimelineEntry.objects.filter(customer=duplicate).update(customer=survivor),
        "service_visits": ServiceVisit.objects.filter(customer=duplicate).update(customer=survivor),
        "referrals": Customer.all_objects.filter(referred_by=duplicate).exclude(pk=survivor.pk)
        .update(referred_by=survivor),
        "earlier_merges": CustomerMerge.objects.filter(survivor=duplicate).update(survivor=survivor),
        # The outbox: what was sent to the duplicate is the survivor's history (and counts against
        # the survivor's weekly cap of marketing messages).
        "sms_messages": duplicate.sms_messages.update(customer=survivor),
    }
    Customer.all_objects.filter(merged_into=duplicate).update(merged_into=survivor)
    ContactPreference.objects.filter(customer=duplicate).delete()  # kept in the snapshot above

    fills = {name: getattr(duplicate, name) for name in MERGE_FILLABLE
             if getattr(duplicate, name) not in ("", None) and getattr(survivor, name) in ("", None)}
    if fills.get("referred_by") == survivor:
        fills.pop("referred_by")
    if survivor.referred_by_id == duplicate.pk:  # referred by... itself, now
        fills["referred_by"] = duplicate.referred_by if duplicate.referred_by_id != survivor.pk else None
    numbers = [n for n in (survivor.mobile, survivor.phone2, duplicate.mobile, duplicate.phone2) if n]
    extra = [n for n in dict.fromkeys(numbers) if n not in (survivor.mobile, survivor.phone2)]
    if not survivor.mobile and extra and extra[0].startswith("1"):
        fills["mobile"] = extra.pop(0)
    if not survivor.phone2 and extra:
        fills["phone2"] = extra.pop(0)
    notes = [survivor.note, duplicate.note if duplicate.note != survivor.note else ""]
    if extra:  # more numbers than the record has fields: noted masked; in full in the merge's snapshot
        notes.append(_("Other numbers of the merged record #%(id)s: %(numbers)s")
                     % {"id": duplicate.pk, "numbers": ", ".join(mask_phone(n) for n in extra)})
    note = "\n".join(filter(None, notes))
    if note != survivor.note:
        fills["note"] = note
    importance_rank = list(Customer.Importance.values)
    if importance_rank.index(duplicate.importance) > importance_rank.index(survivor.importance):
        fills["importance"] = duplicate.importance
    last_visit = ServiceVisit.objects.filter(customer=survivor).aggregate(last=Max("opened_on"))["last"]
    if fills:
        _save(survivor, by=by, **fills)
    Customer.all_objects.filter(pk=survivor.pk).update(last_visit_on=last_visit)
    duplicate.merged_into = survivor
    duplicate._history_user = by
    duplicate.save(update_fields=["merged_into", "updated_at"])

    _repoint_candidates(survivor=survivor, duplicate=duplicate, by=by)
    merge = CustomerMerge.objects.create(survivor=survivor, merged=duplicate, merged_by=by, snapshot=snapshot,
                                         moved=moved)
    timeline_add(customer=survivor, kind=TimelineEntry.Kind.MERGE, source=merge, by=by,
                 params={"id": duplicate.pk, "name": duplicate.name})
    return merge


def _repoint_candidates(*, survivor: Customer, duplicate: Customer, by) -> None:
    """The pair itself is done; the duplicate's open pairs with third customers become the survivor's."""
    now = timezone.now()
    involving = DuplicateCandidate.objects.filter(models.Q(first=duplicate) | models.Q(second=duplicate),
                                                  status=DuplicateCandidate.Status.OPEN)
    for candidate in involving:
        other = candidate.second_id if candidate.first_id == duplicate.pk else candidate.first_id
        if other != survivor.pk:
            low, high = sorted([survivor.pk, other])
            DuplicateCandidate.objects.get_or_create(first_id=low, second_id=high, defaults={
                "reason": candidate.reason, "found_on": candidate.found_on})
    involving.update(status=DuplicateCandidate.Status.MERGED, resolved_by=by, resolved_at=now)
