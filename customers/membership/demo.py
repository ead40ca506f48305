"""Membership in the demo store (会员 / 积分): members earning from their real repair orders, some
redemptions, a few expiries, tiers reached.

`manage.py seed_demo` calls `demo_seed` after the archive's demo (INSTALLED_APPS order), for the
customers it has just made. About a third of those with a paid repair order become members, enrolled
on the first of the month of their first paid visit (by the interviewer).

- Most members only earn and, after 18 months without a paid visit, see their points expire: their
  ledgers are made in memory exactly as the daily jobs make them — each paid visit earning at its
  type's rate at 05:30 the morning after it finished, a higher tier reached on the timeline, the
  expiry at 05:30 on the day 18 months have passed (`expiry_day`) unless a paid visit came first —
  and written at once (COPY on PostgreSQL), a few thousand members at a time.
- The members with a story (a fifth redeem once or twice, at most `MAX_REDEMPTIONS`; a few, at most
  `MAX_CARRIED`, have their old club card's points carried over by the supervisor when they join,
  原会员卡积分转入, which lifts some to 银卡 and 金卡) are played month by month through the services:
  on each first of the month at 05:30 their earning and expiry (the jobs' own functions, for them),
  during the month `points_redeem` of an accessory or labour hours they can afford (by the
  interviewer or the lounge host; an accessory out of stock is refused and skipped) and
  `points_adjust`.
- Then today's jobs for everyone (at 05:30, or yesterday's before), which find nothing left to do
  for the members made in memory.
The rewards are the demo's own catalogue (accessories with their stock, labour hours). The same seed,
customers and `now` give the same members and ledgers; nothing is made for customers who are members
already (a second run adds nothing).
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from customers.demo import Batch, Ids, _copy, _insert
from customers.models import ServiceVisit, TimelineEntry
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role

from .models import Member, PointsEntry, Reward
from .services import (CHUNK, PointsError, _earn_members, _expire_members, _paid_visits, _tier_in, _tiers,
                       earning_rates, expiry_cutoff, expiry_day, members_enrol_bulk, points_adjust, points_earn,
                       points_expire, points_for, points_redeem)

MEMBER_SHARE = 1 / 3  # of the customers with a paid repair order
REDEEMER_SHARE = 0.2  # of the members, redeem once (or twice) over their history
MAX_REDEMPTIONS = 2000
CARRIED_SHARE = 0.05  # of the members, old card points carried over when they joined
MAX_CARRIED = 300
LEDGER_CHUNK = 5000  # members made in memory and written at once
JOBS_AT = time(5, 30)
REWARDS = [
    # (kind, name, points, stock)
    (Reward.Kind.ACCESSORY, "车载香薰", 2_000, 200),
    (Reward.Kind.ACCESSORY, "原厂雨刮片", 3_000, 150),
    (Reward.Kind.ACCESSORY, "全包围脚垫", 8_000, 60),
    (Reward.Kind.ACCESSORY, "行车记录仪", 20_000, 10),
    (Reward.Kind.LABOUR, "精致洗车一次", 800, None),
    (Reward.Kind.LABOUR, "空调清洗工时", 3_000, None),
    (Reward.Kind.LABOUR, "保养工时1小时", 5_000, None),
]
NOTES = ["到店领取", "保养时兑换", "客户电话预约兑换", ""]


def _month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _staff(role: Role) -> User | None:
    return User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first()


def rewards_ensure() -> list[Reward]:
    rewards = []
    for kind, name, points, stock in REWARDS:
        reward, _created = Reward.objects.get_or_create(name=name, defaults={"kind": kind, "points": points,
                                                                             "stock": stock})
        rewards.append(reward)
    return rewards


class _Ledgers:
    """The members without a story, made in memory as the daily jobs make them, written in chunks."""

    def __init__(self, *, rates, tiers, jobs_on: date, by: User | None):
        self.rates, self.tiers, self.jobs_on, self.by = rates, tiers, jobs_on, by
        self.ids = Ids({model: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
                        for model in (Member, PointsEntry, TimelineEntry)})
        self.types = {model: ContentType.objects.get_for_model(model).pk for model in (Member, PointsEntry)}
        self.first_tier = _tier_in(tiers, 0)

    def _timeline(self, batch: Batch, *, customer_id: int, at: datetime, source_type: int, source_id: int,
                  params: dict) -> None:
        batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=None,
                  occurred_at=at, kind=TimelineEntry.Kind.POINTS, params=params, title="", body="",
                  source_type_id=source_type, source_id=str(source_id), created_by_id=None)

    def _entry(self, batch: Batch, **values) -> int:
        pk = self.ids.take(PointsEntry)
        batch.add(PointsEntry, **{"id": pk, "visit_id": None, "reward_id": None, "quantity": None, "by_id": None,
                                  "note": "", "amount": None, **values})
        return pk

    def member(self, batch: Batch, *, customer_id: int, joined: date, visits: list[tuple]) -> None:
        """One member joined on `joined` and their paid visits [(id, kind, total, closed_on)], in order."""
        pk = self.ids.take(Member)
        number = f"HY{pk:06d}"
        self._timeline(batch, customer_id=customer_id, at=_at(joined, 9), source_type=self.types[Member],
                       source_id=pk, params={"variant": "enrolled", "member": number,
                                             "tier": self.first_tier.name if self.first_tier else ""})
        usable = cumulative = 0
        tier, last_paid = self.first_tier, None
        earned = [(visit_id, kind, total, closed, points_for(amount=total, rate=self.rates[kind]))
                  for visit_id, kind, total, closed in visits if closed >= joined and closed < self.jobs_on]
        earned = [row for row in earned if row[4] > 0]
        for n, (visit_id, _kind, total, closed, points) in enumerate(earned):
            at = _at(closed + timedelta(days=1), JOBS_AT.hour, JOBS_AT.minute)
            usable += points
            cumulative += points
            last_paid = closed
            self._entry(batch, member_id=pk, kind=PointsEntry.Kind.EARN, points=points, usable_after=usable, at=at,
                        visit_id=visit_id, amount=total)
            reached = _tier_in(self.tiers, cumulative)
            if reached != tier:
                tier = reached
                self._timeline(batch, customer_id=customer_id, at=at, source_type=None, source_id="",
                               params={"variant": "tier", "member": number, "tier": tier.name,
                                       "cumulative": cumulative})
            # Expiry at 05:30 on its day, after that morning's earning, unless a paid visit earned first.
            due = expiry_day(since=closed)
            following = earned[n + 1][3] if n + 1 < len(earned) else None
            if usable and due <= self.jobs_on and (following is None or following >= due):
                entry = self._entry(batch, member_id=pk, kind=PointsEntry.Kind.EXPIRE, points=-usable,
                                    usable_after=0, at=_at(due, JOBS_AT.hour, JOBS_AT.minute + 1))
                self._timeline(batch, customer_id=customer_id, at=_at(due, JOBS_AT.hour, JOBS_AT.minute + 1),
                               source_type=self.types[PointsEntry], source_id=entry,
                               params={"variant": "expired", "member": number, "points": usable, "usable": 0})
                usable = 0
        batch.rows.setdefault(Member, []).append(dict(
            id=pk, customer_id=customer_id, status=Member.Status.ACTIVE, joined_on=joined, tier_id=tier.pk if tier else None,
            usable=usable, cumulative=cumulative, last_paid_visit_on=last_paid, last_credit_on=last_paid,
            joined_by_id=self.by.pk if self.by else None))

    def make(self, members: list[tuple[int, date]]) -> int:
        """Make and write these (customer, joined) members, a chunk at a time. Returns the lines written."""
        lines = 0
        kinds = list(self.rates)
        for start in range(0, len(members), LEDGER_CHUNK):
            chunk = members[start:start + LEDGER_CHUNK]
            visits: dict[int, list[tuple]] = defaultdict(list)
            rows = (ServiceVisit.objects.filter(customer_id__in=[pk for pk, _joined in chunk], kind__in=kinds,
                                                closed_on__isnull=False, total_amount__gt=0)
                    .order_by("customer_id", "closed_on", "id")
                    .values_list("customer_id", "id", "kind", "total_amount", "closed_on"))
            for customer_id, *visit in rows:
                visits[customer_id].append(tuple(visit))
            batch = Batch()
            for customer_id, joined in chunk:
                self.member(batch, customer_id=customer_id, joined=joined, visits=visits[customer_id])
            lines += len(batch.rows.get(PointsEntry, []))
            _write(batch)
        return lines


def _write(batch: Batch) -> None:
    write = _copy if connection.vendor == "postgresql" else _insert
    with transaction.atomic(), connection.cursor() as cursor:
        target = cursor.cursor if write is _copy else cursor
        for model in (Member, PointsEntry, TimelineEntry):
            if batch.rows.get(model):
                write(target, model, batch.rows[model])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Member, PointsEntry, TimelineEntry):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT MAX(id) FROM {table}), 1))")


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The members of these customers and their ledgers up to `now` (see the module's docstring).
    Returns the rows added per kind."""
    now = now or timezone.now()
    counts = {"member": 0, "pointsentry": 0}
    rates = earning_rates()
    if not customer_ids or not rates:
        return counts
    within = {"customer_id__gte": customer_ids.start, "customer_id__lt": customer_ids.stop}
    if Member.objects.filter(**within).exists():
        return counts
    entries_before = PointsEntry.objects.count()
    members_before = Member.objects.count()
    today = timezone.localdate(now)
    jobs_on = today if timezone.localtime(now).time() >= JOBS_AT else today - timedelta(days=1)
    jobs_now = _at(jobs_on, JOBS_AT.hour, JOBS_AT.minute)
    rng = random.Random(f"membership-{seed}")
    first_paid = dict(_paid_visits(rates).filter(**within, closed_on__lte=jobs_on).values("customer_id")
                      .annotate(first=Min("closed_on")).order_by("customer_id").values_list("customer_id", "first"))
    chosen = [pk for pk in first_paid if rng.random() < MEMBER_SHARE]
    if not chosen and first_paid:
        chosen = [min(first_paid)]
    if not chosen:
        return counts
    joined_of = {pk: first_paid[pk].replace(day=1) for pk in chosen}
    months = _month_starts(min(joined_of.values()), jobs_on)
    rewards = rewards_ensure()
    clerks = [user for user in (_staff(Role.INTERVIEWER), _staff(Role.LOUNGE_HOST)) if user] or [None]
    supervisor = _staff(Role.DCRC_SUPERVISOR)
    # The members with a story: who redeems, in which months (from six months after joining), and
    # whose old points are carried over when they join.
    redeeming: dict[date, list[int]] = defaultdict(list)
    carried: dict[date, list[int]] = defaultdict(list)
    redeemers = [pk for pk in chosen if rng.random() < REDEEMER_SHARE][:MAX_REDEMPTIONS]
    for pk in redeemers:
        later = [month for month in months if month >= joined_of[pk] + timedelta(days=180)]
        for month in rng.sample(later, k=min(len(later), rng.choice([1, 1, 2]))):
            redeeming[month].append(pk)
    carried_ids = [pk for pk in chosen if rng.random() < CARRIED_SHARE][:MAX_CARRIED] if supervisor else []
    for pk in carried_ids:
        carried[joined_of[pk]].append(pk)
    played = set(redeemers) | set(carried_ids)

    ledgers = _Ledgers(rates=rates, tiers=_tiers(), jobs_on=jobs_on, by=clerks[0])
    ledgers.make([(pk, joined_of[pk]) for pk in chosen if pk not in played])

    joining: dict[date, list[int]] = defaultdict(list)
    for pk in sorted(played):
        joining[joined_of[pk]].append(pk)
    tiers = _tiers()
    member_ids: list[int] = []
    for month in months:
        # The month's jobs at 05:30 on its first, for these members: the month gone by earns, then expiry.
        for start in range(0, len(member_ids), CHUNK):
            with transaction.atomic():
                _earn_members(member_ids[start:start + CHUNK], rates=rates, tiers=tiers,
                              until=month - timedelta(days=1), now=_at(month, 5, 30))
                _expire_members(member_ids[start:start + CHUNK], cutoff=expiry_cutoff(on=month), now=_at(month, 5, 31))
        if joining.get(month):
            members_enrol_bulk(customer_ids=joining[month], on=month, by=clerks[0], now=_at(month, 9))
            member_ids = sorted(Member.objects.filter(customer_id__in=played).values_list("pk", flat=True))
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        last_moment = min(_at(next_month, 5), jobs_now - timedelta(minutes=1))
        span_days = (last_moment.date() - month).days
        for pk in carried.get(month, []):
            member = Member.objects.get(customer_id=pk)
            points_adjust(member=member, points=rng.choice([6_000, 12_000, 18_000, 25_000, 32_000]), by=supervisor,
                          note="原会员卡积分转入", now=_at(month, 10, rng.randrange(60)))
        if span_days < 2:
            continue
        for pk in redeeming.get(month, []):
            member = Member.objects.get(customer_id=pk)
            affordable = [reward for reward in rewards if reward.points <= member.usable]
            if not affordable:
                continue
            reward = rng.choice(affordable)
            quantity = 2 if reward.points * 2 <= member.usable and rng.random() < 0.2 else 1
            moment = _at(month + timedelta(days=rng.randrange(1, span_days)), rng.randrange(9, 17), rng.randrange(60))
            try:
                points_redeem(member=member, reward=reward, quantity=quantity, by=rng.choice(clerks),
                              note=rng.choice(NOTES), now=moment)
            except PointsError:  # an accessory gone: the customer chose nothing this time
                continue
    # Today's (or, before 05:30, yesterday's) jobs, for everyone.
    points_earn(on=jobs_on, now=jobs_now)
    points_expire(on=jobs_on, now=jobs_now)
    counts["member"] = Member.objects.count() - members_before
    counts["pointsentry"] = PointsEntry.objects.count() - entries_before
    return counts
