"""Reads of membership: a customer's membership, the member list, a member's statement, the reward
catalogue and the tiers. Each runs a fixed number of queries whatever the number of rows (related rows
come with select_related; the statement's totals are one aggregate query)."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, QuerySet, Sum

from customers.models import Customer

from .models import Member, PointsEntry, Reward, Tier

MEMBER_NUMBER = re.compile(r"^HY0*(\d+)$", re.IGNORECASE)


def member_of(customer: Customer) -> Member | None:
    """The customer's membership (active or left), with its tier; None for a non-member."""
    return Member.objects.select_related("tier").filter(customer=customer).first()


def members_list(*, query: str = "", tier: Tier | int | str | None = None, status: str = "") -> QuerySet[Member]:
    """Members, the newest first, with their customer and tier. `query`: a member number (HY000012),
    a name (its beginning), the mobile's last digits; `tier`: a tier (or its id, "none" for no tier);
    `status`: active or left."""
    rows = Member.objects.select_related("customer", "tier")
    text = re.sub(r"\s+", "", query or "")
    if text:
        number = MEMBER_NUMBER.match(text)
        if number:
            rows = rows.filter(pk=int(number.group(1)))
        elif text.isdigit():
            rows = rows.filter(customer__mobile_rev__startswith=text[::-1]) if len(text) < 11 else \
                rows.filter(customer__mobile=text)
        else:
            rows = rows.filter(Q(customer__name__startswith=text) | Q(customer__name_pinyin__startswith=text.lower()))
    if tier == "none":
        rows = rows.filter(tier__isnull=True)
    elif tier not in (None, ""):
        rows = rows.filter(tier=tier)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


@dataclass(frozen=True)
class Statement:
    """A member's statement: the lines (newest first, each with the usable balance after it), the
    totals by kind, and the balances. earned + redeemed + expired + adjusted == usable (redeemed and
    expired are negative), and `adds_up` says the ledger and the member's row agree."""

    member: Member
    entries: QuerySet[PointsEntry]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def usable(self) -> int:
        return self.member.usable

    @property
    def cumulative(self) -> int:
        return self.member.cumulative

    @property
    def adds_up(self) -> bool:
        t = self.totals
        return (t["earned"] + t["redeemed"] + t["expired"] + t["adjusted"] == self.member.usable
                and t["last_balance"] == self.member.usable
                and t["earned"] + t["adjusted"] == self.member.cumulative)


def member_statement(*, member: Member) -> Statement:
    """The member's statement (two queries, and the lines' query when they are read)."""
    entries = (PointsEntry.objects.filter(member=member).select_related("visit", "reward", "by")
               .order_by("-at", "-id"))
    K = PointsEntry.Kind
    sums = PointsEntry.objects.filter(member=member).aggregate(
        earned=Sum("points", filter=Q(kind=K.EARN), default=0),
        redeemed=Sum("points", filter=Q(kind=K.REDEEM), default=0),
        expired=Sum("points", filter=Q(kind=K.EXPIRE), default=0),
        adjusted=Sum("points", filter=Q(kind=K.ADJUST), default=0),
        lines=Count("id"))
    last = PointsEntry.objects.filter(member=member).order_by("-at", "-id").values_list("usable_after", flat=True).first()
    sums["last_balance"] = last or 0
    return Statement(member=member, entries=entries, totals=sums)


def rewards_offered() -> QuerySet[Reward]:
    """The rewards a member can redeem now: in use, and in stock for an accessory."""
    return Reward.objects.filter(active=True).filter(Q(stock__isnull=True) | Q(stock__gt=0)).order_by(
        "kind", "points", "name")


def tiers_with_members() -> QuerySet[Tier]:
    """The tiers by threshold, each with how many active members it has (`member_count`)."""
    return Tier.objects.annotate(member_count=Count("members", filter=Q(members__status=Member.Status.ACTIVE))) \
        .order_by("threshold")


def tier_next(member: Member) -> tuple[Tier | None, int]:
    """The next tier above the member's and how many cumulative points are still missing (None, 0 at the top)."""
    upper = Tier.objects.filter(threshold__gt=member.cumulative).order_by("threshold").first()
    return (upper, upper.threshold - member.cumulative) if upper else (None, 0)


def earnings_corrected(*, member: Member | None = None) -> QuerySet[PointsEntry]:
    """The earning lines whose repair order was re-imported with another amount since it earned (it
    never earns twice: the supervisor decides whether to correct the difference with points_adjust),
    the newest first, with the repair order and the member's customer."""
    rows = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN, amount__isnull=False) \
        .exclude(amount=F("visit__total_amount")).select_related("visit", "member__customer")
    if member is not None:
        rows = rows.filter(member=member)
    return rows.order_by("-at", "-id")


@dataclass(frozen=True)
class Expiry:
    """When the member's next points expire unless a paid visit comes first, and how many."""

    on: date | None
    points: int


def points_expiry(*, member: Member) -> Expiry:
    """The next expiry as the daily job will make it (services.points_expire): the points credited up to
    the last paid visit expire POINTS_EXPIRY_MONTHS months after it, what is left of them (the points
    taken consume the oldest first); a later credit expires that long after it was credited. No query
    when nothing was credited since the last paid visit; else one (the member's lines)."""
    from django.utils import timezone

    from .services import expiry_cutoff, expiry_day

    if member.usable <= 0:
        return Expiry(None, 0)
    paid = member.last_paid_visit_on
    if paid is not None and (member.last_credit_on is None or member.last_credit_on <= paid):
        return Expiry(expiry_day(since=paid), member.usable)
    # Lots: each credit's day and what is left of it, the oldest consumed first by what was taken.
    lines = list(PointsEntry.objects.filter(member=member).order_by("at", "id")
                 .values_list("at", "points", "kind", "visit__closed_on"))
    taken = -sum(line[1] for line in lines if line[1] < 0)
    # An earning is credited on its repair order's day, a correction on its own day.
    credits = sorted(((closed_on if kind == PointsEntry.Kind.EARN and closed_on else timezone.localdate(at)), points)
                     for at, points, kind, closed_on in lines if points > 0)
    lots: list[list] = []
    for day, points in credits:
        used = min(points, taken)
        taken -= used
        if points - used:
            lots.append([day, points - used])
    if not lots:
        return Expiry(None, 0)
    on = expiry_day(since=max(lots[0][0], paid) if paid else lots[0][0])
    cutoff = expiry_cutoff(on=on)
    return Expiry(on, min(member.usable, sum(left for day, left in lots if day <= cutoff)))
