"""The rules of membership and points (会员 / 积分).

Every change of a member's points is a new line of the append-only ledger (`PointsEntry`), written
under the member's row lock together with the member's two balances: the usable balance (what can
be redeemed) and the cumulative balance (everything earned, corrections included; it sets the tier).
The database has the last word: a repair order earns once (a unique index on the earning lines), and
neither the member's usable balance nor a line's balance after it can go below zero (check
constraints), so a rerun, a re-import or twenty redemptions at the same moment cannot break them.

- Enrolling (`member_enrol`): an active customer of the archive becomes a member, at the lowest tier.
- Earning (`points_earn`, the daily job `membership.earn`; `points_earn_visit` for one repair order):
  a finished repair order of a member, finished on or after the day they joined, whose type has a
  points rule (points a yuan > 0; internal orders and warranty work have none), earns
  floor(total × points a yuan) points, once. A repair order re-imported with corrected amounts does not
  earn again: its line keeps the amount it earned on (`amount`), and a supervisor corrects the
  difference with `points_adjust` if the store wants. Such a repair order is a *paid visit*: it moves
  the member's last paid visit.
- Redeeming (`points_redeem`): a reward of the catalogue — an accessory (its stock taken by one
  conditional UPDATE, never below zero) or labour hours — for its points, never more than the usable
  balance.
- Correcting (`points_adjust`): the supervisor adds or takes points with a note (both balances).
- Expiry (`points_expire`, the daily job `membership.expire`): once a member has had no paid visit for
  settings.POINTS_EXPIRY_MONTHS months, the points credited up to that cut-off expire — what is
  left of them. An earning counts as credited on its repair order's day (however late it was
  imported), a correction on the day it was made. Redemptions, expiries and corrections taking points consume the oldest points first
  (first in, first out), so what is left of the points credited up to the cut-off is
  max(0, credited up to the cut-off − everything taken so far); points credited since (a late import,
  a correction) stay until they too are that old. A second run the same day expires nothing.
- Tiers: the tier is the highest whose threshold the cumulative balance reaches (`tier_for`); reaching
  a higher one is on the customer's timeline.

On the customer's timeline (kind "points"): enrolled, a tier reached, a redemption, a correction,
an expiry. Not each earning: the repair order is on the timeline already, and the statement lists it.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, ServiceVisit, TimelineEntry
from customers.services import timeline_add

from .models import Member, PointsEntry, PointsRule, Reward, Tier

ENROL, REDEEM, ADJUST = "membership.add_member", "membership.redeem_points", "membership.adjust_points"
CHUNK = 2000  # members locked and written per transaction by the daily jobs
MAX_QUANTITY = 99
K = PointsEntry.Kind


class PointsError(ValidationError):
    """A step the member's points, the reward or the input do not allow (the message says why)."""


# --- helpers -------------------------------------------------------------------------------------
def _check_perm(by, perm: str) -> None:
    """`by` None is the system (the daily jobs, a command); a person needs the right."""
    if by is not None and not by.has_perm(perm):
        raise PermissionDenied(_("You may not do this."))


def _tiers() -> list[Tier]:
    return list(Tier.objects.order_by("threshold"))


def _tier_in(tiers: Sequence[Tier], cumulative: int) -> Tier | None:
    reached = None
    for tier in tiers:  # ordered by threshold
        if tier.threshold <= cumulative:
            reached = tier
    return reached


def tier_for(*, cumulative: int) -> Tier | None:
    """The highest tier whose threshold `cumulative` reaches (None without tiers)."""
    return Tier.objects.filter(threshold__lte=cumulative).order_by("-threshold").first()


def earning_rates() -> dict[str, Decimal]:
    """Points a yuan by visit type, for the types that earn (an internal order never does)."""
    return {rule.visit_kind: rule.points_per_yuan
            for rule in PointsRule.objects.filter(points_per_yuan__gt=0).exclude(visit_kind=ServiceVisit.Kind.INTERNAL)}


def points_for(*, amount: Decimal, rate: Decimal) -> int:
    """Whole points: floor(amount × rate)."""
    return int((Decimal(amount) * Decimal(rate)).to_integral_value(rounding=ROUND_FLOOR))


def expiry_cutoff(*, on: date) -> date:
    """The last day whose paid visits and credits are old enough to expire on `on`: the latest day X
    with X + POINTS_EXPIRY_MONTHS months (the same day, or the month's last day when it has none) on
    or before `on`. So a visit of 31 August 2024 lets the points expire on 28 February 2026."""
    cutoff = on - relativedelta(months=settings.POINTS_EXPIRY_MONTHS)
    if (on + timedelta(days=1)).day == 1:  # the month's last day: the later days of that month count too
        cutoff = (cutoff.replace(day=1) + relativedelta(months=1)) - timedelta(days=1)
    return cutoff


def expiry_day(*, since: date) -> date:
    """The day points expire when `since` is the last paid visit (or the credit) that keeps them."""
    return since + relativedelta(months=settings.POINTS_EXPIRY_MONTHS)


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _credited_by(day: date) -> Q:
    """Lines credited on or before `day`: an earning on its repair order's day, a correction on its own."""
    return (Q(kind=K.EARN, visit__closed_on__lte=day)
            | (~Q(kind=K.EARN) & Q(at__lt=_day_end(day))))


def _entry_type() -> ContentType:
    return ContentType.objects.get_for_model(PointsEntry)


def _timeline_entry(member: Member, *, variant: str, at: datetime, by=None, source: PointsEntry | None = None,
                    **params) -> TimelineEntry:
    """An unsaved timeline entry of kind points (for bulk_create), worded by membership.timeline."""
    return TimelineEntry(customer_id=member.customer_id, kind=TimelineEntry.Kind.POINTS, occurred_at=at,
                         params={"variant": variant, "member": member.number, **params}, created_by=by,
                         source_type=_entry_type() if source is not None else None,
                         source_id=str(source.pk) if source is not None else "")


def _tier_change(member: Member, tiers: Sequence[Tier], at: datetime, by=None) -> TimelineEntry | None:
    """Set the member's tier from the cumulative balance; a timeline entry if a higher tier is reached."""
    tier = _tier_in(tiers, member.cumulative)
    if tier == member.tier:
        return None
    before = member.tier
    member.tier = tier
    if tier is not None and (before is None or tier.threshold > before.threshold):
        return _timeline_entry(member, variant="tier", at=at, by=by, tier=tier.name, cumulative=member.cumulative)
    return None


_COLUMN_TYPES = {"usable": "integer", "cumulative": "integer", "tier_id": "bigint", "last_paid_visit_on": "date",
                 "last_credit_on": "date"}


def _members_write(members: list[Member], fields: list[str]) -> None:
    """Save these fields of many members: one UPDATE … FROM (VALUES …) on PostgreSQL (Django's
    bulk_update builds a CASE per field and row, seconds of Python for a few thousand), else bulk_update."""
    if not members:
        return
    if connection.vendor != "postgresql":
        Member.objects.bulk_update(members, fields, batch_size=200)
        return
    from psycopg2.extras import execute_values

    columns = [Member._meta.get_field(name).column for name in fields]
    template = "(%s::bigint, " + ", ".join(f"%s::{_COLUMN_TYPES[column]}" for column in columns) + ")"
    sql = (f"UPDATE membership_member SET {', '.join(f'{column} = v.{column}' for column in columns)} "
           f"FROM (VALUES %s) AS v(id, {', '.join(columns)}) WHERE membership_member.id = v.id")
    rows = [(member.pk, *(getattr(member, column) for column in columns)) for member in members]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, template=template, page_size=1000)


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update(of=("self",)).select_related("tier").get(pk=member.pk)


def _paid_visits(rates: dict[str, Decimal]):
    """Repair orders that count as paid visits: finished, of a type that earns, with an amount."""
    return ServiceVisit.objects.filter(kind__in=list(rates), closed_on__isnull=False, total_amount__gt=0)


# --- enrolling ---------------------------------------------------------------------------------
@transaction.atomic
def member_enrol(*, customer: Customer, by, on: date | None = None, now: datetime | None = None) -> Member:
    """Make the customer a member from `on` (today), at the tier of no points. A customer who left is
    a member again with what they had; a member already is refused."""
    _check_perm(by, ENROL)
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    customer = Customer.all_objects.select_for_update().get(pk=customer.pk)
    if customer.merged_into_id is not None:
        raise PointsError(_("This customer was merged into another: enrol the customer kept."))
    member = Member.objects.filter(customer=customer).select_related("tier").first()
    if member is not None and member.status == Member.Status.ACTIVE:
        raise PointsError(_("This customer is a member already (%(number)s).") % {"number": member.number})
    last_paid = (_paid_visits(earning_rates()).filter(customer=customer, closed_on__lte=on)
                 .order_by("-closed_on").values_list("closed_on", flat=True).first())
    if member is None:
        member = Member.objects.create(customer=customer, joined_on=on, joined_by=by, tier=tier_for(cumulative=0),
                                       last_paid_visit_on=last_paid)
    else:
        member.status = Member.Status.ACTIVE
        member.joined_on, member.joined_by = on, by
        member.last_paid_visit_on = max(filter(None, [member.last_paid_visit_on, last_paid]), default=None)
        member.save(update_fields=["status", "joined_on", "joined_by", "last_paid_visit_on"])
    timeline_add(customer=customer, kind=TimelineEntry.Kind.POINTS, occurred_at=now, by=by, source=member,
                 params={"variant": "enrolled", "member": member.number,
                         "tier": member.tier.name if member.tier else ""})
    return member


def members_enrol_bulk(*, customer_ids: Iterable[int], on: date, by=None, now: datetime | None = None) -> int:
    """Enrol many customers at once (the demo store, a bench): the same rows and timeline entries as
    `member_enrol`, written in bulk; customers already members (or merged) are skipped. Returns how many."""
    now = now or timezone.now()
    tier = tier_for(cumulative=0)
    rates = earning_rates()
    ids = list(customer_ids)
    made = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with transaction.atomic():
            wanted = set(Customer.objects.filter(pk__in=chunk).exclude(Exists(Member.objects.filter(
                customer=OuterRef("pk")))).values_list("pk", flat=True))
            if not wanted:
                continue
            last_paid = dict(_paid_visits(rates).filter(customer__in=wanted, closed_on__lte=on).values("customer")
                             .annotate(last=Max("closed_on")).values_list("customer", "last"))
            members = Member.objects.bulk_create([
                Member(customer_id=pk, joined_on=on, joined_by=by, tier=tier, last_paid_visit_on=last_paid.get(pk))
                for pk in sorted(wanted)])
            member_type = ContentType.objects.get_for_model(Member)
            TimelineEntry.objects.bulk_create([
                TimelineEntry(customer_id=m.customer_id, kind=TimelineEntry.Kind.POINTS, occurred_at=now,
                              created_by=by, source_type=member_type, source_id=str(m.pk),
                              params={"variant": "enrolled", "member": m.number, "tier": tier.name if tier else ""})
                for m in members])
            made += len(members)
    return made


# --- earning -----------------------------------------------------------------------------------
def _pending_visits(rates: dict[str, Decimal], *, until: date):
    """Paid visits of active members, finished from their joining day until `until`, not earned yet."""
    return (_paid_visits(rates)
            .filter(closed_on__lte=until, customer__membership__status=Member.Status.ACTIVE,
                    closed_on__gte=F("customer__membership__joined_on"))
            .exclude(Exists(PointsEntry.objects.filter(kind=K.EARN, visit=OuterRef("pk")))))


def _earn_members(member_ids: Sequence[int], *, rates, tiers, until: date, now: datetime,
                  visit_ids: Sequence[int] | None = None) -> list[PointsEntry]:
    """Under the members' row locks (in id order), the lines of their pending visits, the balances,
    the tiers and the tier timeline entries. Read after the locks: what another run earned meanwhile
    is not pending any more."""
    members = {m.pk: m for m in Member.objects.select_for_update(of=("self",)).select_related("tier")
               .filter(pk__in=member_ids).order_by("pk")}
    pending = _pending_visits(rates, until=until).filter(customer__membership__in=list(members))
    if visit_ids is not None:
        pending = pending.filter(pk__in=visit_ids)
    rows = pending.order_by("customer__membership", "closed_on", "pk").values_list(
        "pk", "customer__membership", "kind", "total_amount", "closed_on")
    entries, changed = [], {}
    for visit_id, member_id, kind, total, closed_on in rows:
        points = points_for(amount=total, rate=rates[kind])
        if points <= 0:
            continue
        member = members[member_id]
        member.usable += points
        member.cumulative += points
        member.last_paid_visit_on = max(filter(None, [member.last_paid_visit_on, closed_on]))
        # An earning counts from its repair order's day (a late import is no younger for it).
        member.last_credit_on = max(filter(None, [member.last_credit_on, closed_on]))
        entries.append(PointsEntry(member=member, kind=K.EARN, points=points, usable_after=member.usable, at=now,
                                   visit_id=visit_id, amount=total))
        changed[member_id] = member
    if not entries:
        return []
    PointsEntry.objects.bulk_create(entries)
    reached = [entry for m in changed.values() if (entry := _tier_change(m, tiers, now))]
    _members_write(list(changed.values()), ["usable", "cumulative", "tier", "last_paid_visit_on", "last_credit_on"])
    TimelineEntry.objects.bulk_create(reached)
    return entries


def points_earn(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """The daily job: every paid visit of a member finished up to `on` that has not earned yet earns,
    in bulk (a few thousand members a transaction). Idempotent: a second run finds nothing pending."""
    now = now or timezone.now()
    rates = earning_rates()
    counts = {"created": 0, "points": 0, "members": 0}
    if not rates:
        return counts
    tiers = _tiers()
    member_ids = list(_pending_visits(rates, until=on).order_by().values_list("customer__membership", flat=True)
                      .distinct())
    member_ids.sort()
    for start in range(0, len(member_ids), CHUNK):
        with transaction.atomic():
            entries = _earn_members(member_ids[start:start + CHUNK], rates=rates, tiers=tiers, until=on, now=now)
        counts["created"] += len(entries)
        counts["points"] += sum(entry.points for entry in entries)
        counts["members"] += len({entry.member_id for entry in entries})
    return counts


@transaction.atomic
def points_earn_visit(*, visit: ServiceVisit, now: datetime | None = None) -> PointsEntry | None:
    """Earn the points of one repair order now (entered by hand, just imported): None when it does not
    earn (not a member's, not finished, internal, before joining) or earned already."""
    now = now or timezone.now()
    rates = earning_rates()
    member_id = Member.objects.filter(customer_id=visit.customer_id).values_list("pk", flat=True).first()
    if member_id is None or visit.kind not in rates:
        return None
    entries = _earn_members([member_id], rates=rates, tiers=_tiers(), until=timezone.localdate(now), now=now,
                            visit_ids=[visit.pk])
    return entries[0] if entries else None


# --- redeeming, correcting ---------------------------------------------------------------------
@transaction.atomic
def points_redeem(*, member: Member, reward: Reward, quantity: int = 1, by, note: str = "",
                  now: datetime | None = None) -> PointsEntry:
    """Exchange points for `quantity` of a reward. Under the member's row lock: never more than the
    usable balance; an accessory's stock is taken by a conditional UPDATE (never below zero)."""
    _check_perm(by, REDEEM)
    now = now or timezone.now()
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise PointsError(_("The quantity is a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY})
    member = _locked(member)
    if member.status != Member.Status.ACTIVE:
        raise PointsError(_("This customer is no longer a member."))
    reward = Reward.objects.get(pk=reward.pk)
    if not reward.active:
        raise PointsError(_("“%(reward)s” is no longer offered.") % {"reward": reward.name})
    cost = reward.points * quantity
    if cost > member.usable:
        raise PointsError(_("Not enough points: %(cost)s needed, %(usable)s usable.")
                          % {"cost": f"{cost:,}", "usable": f"{member.usable:,}"})
    if reward.stock is not None:
        taken = Reward.objects.filter(pk=reward.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            raise PointsError(_("“%(reward)s” is out of stock.") % {"reward": reward.name})
    member.usable -= cost
    member.save(update_fields=["usable"])
    entry = PointsEntry.objects.create(member=member, kind=K.REDEEM, points=-cost, usable_after=member.usable,
                                       at=now, reward=reward, quantity=quantity, by=by, note=note[:200])
    timeline_add(customer=member.customer, kind=TimelineEntry.Kind.POINTS, occurred_at=now, by=by, source=entry,
                 params={"variant": "redeemed", "member": member.number, "reward": reward.name,
                         "quantity": quantity, "points": cost, "usable": member.usable})
    return entry


@transaction.atomic
def points_adjust(*, member: Member, points: int, by, note: str, now: datetime | None = None) -> PointsEntry:
    """The supervisor's correction: add (positive) or take (negative) points, with why. Both balances
    move (the tier follows the cumulative balance); the usable balance never below zero."""
    if by is None:
        raise PermissionDenied(_("You may not do this."))
    _check_perm(by, ADJUST)
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise PointsError(_("Say why the points are corrected."))
    if not isinstance(points, int) or points == 0:
        raise PointsError(_("A correction is a whole number of points, not zero."))
    member = _locked(member)
    if member.usable + points < 0:
        raise PointsError(_("The member has %(usable)s usable points: at most that many can be taken.")
                          % {"usable": f"{member.usable:,}"})
    member.usable += points
    member.cumulative += points
    if points > 0:
        member.last_credit_on = max(filter(None, [member.last_credit_on, timezone.localdate(now)]))
    reached = _tier_change(member, _tiers(), now, by=by)
    member.save(update_fields=["usable", "cumulative", "tier", "last_credit_on"])
    entry = PointsEntry.objects.create(member=member, kind=K.ADJUST, points=points, usable_after=member.usable,
                                       at=now, by=by, note=note[:200])
    timeline_add(customer=member.customer, kind=TimelineEntry.Kind.POINTS, occurred_at=now, by=by, source=entry,
                 params={"variant": "adjusted", "member": member.number, "points": points, "usable": member.usable,
                         "note": note[:200]})
    if reached is not None:
        reached.save()
    return entry


# --- expiry ------------------------------------------------------------------------------------
def _expiring(cutoff: date):
    return Member.objects.filter(usable__gt=0).filter(Q(last_paid_visit_on__lte=cutoff)
                                                      | Q(last_paid_visit_on__isnull=True))


# On PostgreSQL the fast path is one statement per chunk: lock the members whose points are all older
# than the cut-off, write their expiry lines and timeline entries, set their balances to zero.
_EXPIRE_ALL_SQL = """
WITH gone AS (
    SELECT id, customer_id, usable FROM membership_member
    WHERE id = ANY(%(ids)s) AND usable > 0 AND (last_paid_visit_on <= %(cutoff)s OR last_paid_visit_on IS NULL)
      AND (last_credit_on <= %(cutoff)s OR last_credit_on IS NULL)
    ORDER BY id
    FOR UPDATE),
lines AS (
    INSERT INTO membership_pointsentry (member_id, kind, points, usable_after, at, note)
    SELECT id, 'expire', -usable, 0, %(now)s, '' FROM gone
    RETURNING id, member_id),
entries AS (
    INSERT INTO customers_timelineentry (customer_id, occurred_at, kind, params, title, body, source_type_id,
                                         source_id)
    SELECT gone.customer_id, %(now)s, 'points',
           jsonb_build_object('variant', 'expired',
                              'member', 'HY' || lpad(gone.id::text, greatest(6, length(gone.id::text)), '0'),
                              'points', gone.usable, 'usable', 0),
           '', '', %(entry_type)s, lines.id::text
    FROM gone JOIN lines ON lines.member_id = gone.id)
UPDATE membership_member SET usable = 0 FROM gone WHERE membership_member.id = gone.id
RETURNING gone.usable
"""


def _expire_all_left(member_ids: Sequence[int], *, cutoff: date, now: datetime) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE_ALL_SQL, {"ids": list(member_ids), "cutoff": cutoff, "now": now,
                                         "entry_type": _entry_type().pk})
        gone = [row[0] for row in cursor.fetchall()]
    return len(gone), sum(gone)


def _expire_members(member_ids: Sequence[int], *, cutoff: date, now: datetime) -> tuple[int, int]:
    """Expire what is left of the old points of these members, under their row locks. Returns the
    lines written and the points expired."""
    created = points = 0
    candidates = _expiring(cutoff).select_for_update().filter(pk__in=member_ids).order_by("pk")
    if connection.vendor == "postgresql":
        created, points = _expire_all_left(member_ids, cutoff=cutoff, now=now)
        candidates = candidates.filter(last_credit_on__gt=cutoff)  # the others are done
    members = list(candidates)
    if not members:
        return created, points
    # Nothing credited since the cut-off: everything left is old, and expires.
    amounts = {m.pk: m.usable for m in members if m.last_credit_on is None or m.last_credit_on <= cutoff}
    recent = [m.pk for m in members if m.pk not in amounts]
    if recent:
        # What is left (first in, first out) of the points credited up to the cut-off.
        sums = (PointsEntry.objects.filter(member__in=recent).values("member").order_by()
                .annotate(old=Sum("points", filter=Q(points__gt=0) & _credited_by(cutoff), default=0),
                          taken=Sum("points", filter=Q(points__lt=0), default=0)))
        for row in sums:
            amounts[row["member"]] = max(0, row["old"] + row["taken"])
    entries, timeline, whole, partial = [], [], [], []
    for member in members:
        amount = min(amounts.get(member.pk, 0), member.usable)
        if amount <= 0:
            continue
        member.usable -= amount
        (whole if member.usable == 0 else partial).append(member)
        entries.append(PointsEntry(member=member, kind=K.EXPIRE, points=-amount, usable_after=member.usable, at=now))
    PointsEntry.objects.bulk_create(entries)
    for entry in entries:
        timeline.append(_timeline_entry(entry.member, variant="expired", at=now, source=entry,
                                        points=-entry.points, usable=entry.usable_after))
    TimelineEntry.objects.bulk_create(timeline)
    if whole:
        Member.objects.filter(pk__in=[m.pk for m in whole]).update(usable=0)
    if partial:
        _members_write(partial, ["usable"])
    return created + len(entries), points - sum(entry.points for entry in entries)


def points_expire(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """The daily job: members without a paid visit for settings.POINTS_EXPIRY_MONTHS months lose what
    is left of the points credited before the cut-off (oldest first). Reads only members with usable
    points and no paid visit since the cut-off (a partial index); a second run expires nothing."""
    now = now or timezone.now()
    cutoff = expiry_cutoff(on=on)
    member_ids = list(_expiring(cutoff).order_by("pk").values_list("pk", flat=True))
    counts = {"created": 0, "points": 0}
    for start in range(0, len(member_ids), CHUNK):
        with transaction.atomic():
            created, points = _expire_members(member_ids[start:start + CHUNK], cutoff=cutoff, now=now)
        counts["created"] += created
        counts["points"] += points
    return counts


# --- the tiers ----------------------------------------------------------------------------------------
def members_retier() -> int:
    """Every member in the tier their cumulative points reach now (one UPDATE, of the members whose
    tier changes): a new threshold moves members up or down at once, not at their next points."""
    reached = Subquery(Tier.objects.filter(threshold__lte=OuterRef("cumulative")).order_by("-threshold")
                       .values("pk")[:1])
    return (Member.objects.annotate(reached=reached)
            .filter(Q(tier__isnull=True, reached__isnull=False) | Q(tier__isnull=False, reached__isnull=True)
                    # Both set and different (Django's negation alone also takes a member without a tier
                    # who reaches none, and rewrote them on every run).
                    | (Q(tier__isnull=False, reached__isnull=False) & ~Q(tier_id=F("reached"))))
            .update(tier_id=reached))


@transaction.atomic
def tier_save(*, tier: Tier, by) -> Tier:
    """A tier added or changed by the supervisor (its threshold unique, its benefits as written), and
    the members moved to the tier their points now reach."""
    if not by.has_perm("membership.change_tier" if tier.pk else "membership.add_tier"):
        raise PermissionDenied
    tier.full_clean()
    tier.save()
    members_retier()
    return tier


# --- the reward catalogue -------------------------------------------------------------------------------
@transaction.atomic
def reward_save(*, reward: Reward, by, stock_shown: int | None = None) -> Reward:
    """A reward added or changed by the supervisor. An existing reward's stock is never written from a
    form that may be stale (redemptions take from it meanwhile): the page sends the stock it showed
    (`stock_shown`, None for none), and a new figure is written only while the stock is still that;
    otherwise the save is refused with the stock as it is now. A stock left as shown is not written."""
    if not by.has_perm("membership.change_reward" if reward.pk else "membership.add_reward"):
        raise PermissionDenied
    reward.name = (reward.name or "").strip()
    reward.full_clean()
    if reward.pk is None:
        reward.save()
        return reward
    fields = [f.attname for f in Reward._meta.concrete_fields if not f.primary_key and f.attname != "stock"]
    reward.save(update_fields=fields)
    if reward.stock != stock_shown:
        still = Q(stock__isnull=True) if stock_shown is None else Q(stock=stock_shown)
        if not Reward.objects.filter(still, pk=reward.pk).update(stock=reward.stock):
            now = Reward.objects.values_list("stock", flat=True).get(pk=reward.pk)
            raise PointsError(_("The stock changed while the form was open (redeemed meanwhile): it is %(n)s now. "
                                "Check it and save again.") % {"n": "—" if now is None else now})
    reward.stock = Reward.objects.values_list("stock", flat=True).get(pk=reward.pk)
    return reward
