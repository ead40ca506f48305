"""Membership in the demo store (会员 / 积分): members earning from their real repair orders, some
redemptions, a few expiries, tiers reached.

`manage.py seed_demo` calls `demo_seed` after the archive's demo (INSTALLED_APPS order), for the
customers it has just made. About a third of those with a paid repair order become members, enrolled
on the first of the month of their first paid visit. Then the history is played month by month
through the services, as the daily jobs would have run it: at 05:30 on each first of the month
`points_earn` for the month gone by (each paid visit of a member earns once) and `points_expire`;
during the month a few members redeem an accessory or labour hours they can afford (`points_redeem`
by the interviewer or the lounge host; an accessory out of stock is refused and skipped), and a
few new members have their old club card's points carried over by the supervisor (`points_adjust`,
原会员卡积分转入: what lifts some to 银卡 and 金卡). Members without a paid visit for 18 months see
their points expire. Finally today's jobs (at 05:30, or yesterday's before). The rewards are the
demo's own catalogue (accessories with their stock, labour hours).

The same seed, customers and `now` give the same members and ledgers; nothing is made for customers
who are members already (a second run adds nothing).
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Min
from django.utils import timezone

from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role

from .models import Member, PointsEntry, Reward
from .services import (PointsError, _paid_visits, earning_rates, members_enrol_bulk, points_adjust, points_earn,
                       points_expire, points_redeem)

MEMBER_SHARE = 1 / 3  # of the customers with a paid repair order
REDEEMER_SHARE = 0.2  # of the members, redeem once (or twice) over their history
MAX_REDEMPTIONS = 2000
CARRIED_SHARE = 0.05  # of the members, old card points carried over when they joined
MAX_CARRIED = 300
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
    joining: dict[date, list[int]] = defaultdict(list)
    for pk in chosen:
        joining[first_paid[pk].replace(day=1)].append(pk)
    months = _month_starts(min(joining), jobs_on)
    rewards = rewards_ensure()
    clerks = [user for user in (_staff(Role.INTERVIEWER), _staff(Role.LOUNGE_HOST)) if user] or [None]
    supervisor = _staff(Role.DCRC_SUPERVISOR)
    # Who redeems, in which month (from six months after joining), and whose old points are carried over.
    redeeming: dict[date, list[int]] = defaultdict(list)
    carried: dict[date, list[int]] = defaultdict(list)
    redeemers = [pk for pk in chosen if rng.random() < REDEEMER_SHARE][:MAX_REDEMPTIONS]
    for pk in redeemers:
        joined = first_paid[pk].replace(day=1)
        later = [month for month in months if month >= joined + timedelta(days=180)]
        for month in rng.sample(later, k=min(len(later), rng.choice([1, 1, 2]))):
            redeeming[month].append(pk)
    if supervisor is not None:
        for pk in [pk for pk in chosen if rng.random() < CARRIED_SHARE][:MAX_CARRIED]:
            carried[first_paid[pk].replace(day=1)].append(pk)

    for month in months:
        # The month's jobs at 05:30 on its first: the month gone by earns, then expiry.
        points_earn(on=month - timedelta(days=1), now=_at(month, 5, 30))
        points_expire(on=month, now=_at(month, 5, 31))
        if joining.get(month):
            counts["member"] += members_enrol_bulk(customer_ids=joining[month], on=month, by=clerks[0],
                                                   now=_at(month, 9))
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
    # Today's (or, before 05:30, yesterday's) jobs.
    points_earn(on=jobs_on, now=jobs_now)
    points_expire(on=jobs_on, now=jobs_now)
    counts["pointsentry"] = PointsEntry.objects.count() - entries_before
    return counts

