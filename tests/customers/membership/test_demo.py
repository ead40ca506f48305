"""Membership's demo: a small seeded store's members, their ledgers and the rules they show — members
earning once from their own paid repair orders, redemptions within the balance, expiries only after
18 months without a paid visit, tiers by cumulative points, statements that add up. The store is seeded
once for the module (a transaction rolled back at its end); each test reads it inside its savepoint."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.membership.demo import demo_seed
from customers.membership.models import Member, PointsEntry, Reward
from customers.membership.selectors import member_statement
from customers.membership.services import earning_rates, expiry_cutoff, points_earn, points_expire, tier_for
from customers.models import Customer, ServiceVisit, TimelineEntry
from dealer_crm.accounts.roles import Role
from tests.factories import UserFactory

from .conftest import membership_defaults

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)
CUSTOMERS = 300


@pytest.fixture(scope="module")
def store(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), timezone.override(SHANGHAI), time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            membership_defaults()
            for username, display, role in (("interviewer", "吴静", Role.INTERVIEWER), ("lounge", "郑丽", Role.LOUNGE_HOST),
                                            ("supervisor", "刘芳", Role.DCRC_SUPERVISOR)):
                UserFactory(username=username, display_name=display, roles=[role])
            first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
            seed_customers(count=CUSTOMERS, seed=5, today=TODAY, messages=False)
            ids = range(first, first + CUSTOMERS)
            counts = demo_seed(seed=5, customer_ids=ids, now=NOW)
            yield {"ids": ids, "counts": counts}
            transaction.set_rollback(True)


@pytest.fixture
def demo(store, db):
    with timezone.override(SHANGHAI):
        yield store


def test_about_a_third_of_the_customers_with_a_paid_visit_are_members(demo):
    rates = earning_rates()
    paying = set(ServiceVisit.objects.filter(kind__in=list(rates), closed_on__isnull=False, total_amount__gt=0,
                                             customer_id__in=demo["ids"]).values_list("customer_id", flat=True))
    members = set(Member.objects.filter(customer_id__in=demo["ids"]).values_list("customer_id", flat=True))
    assert members <= paying
    assert 0.22 * len(paying) < len(members) < 0.45 * len(paying)
    assert demo["counts"]["member"] == len(members)


def test_every_paid_visit_of_a_member_since_joining_earned_once_at_its_rate(demo):
    rates = earning_rates()
    for member in Member.objects.filter(customer_id__in=demo["ids"]):
        visits = ServiceVisit.objects.filter(customer=member.customer, kind__in=list(rates), total_amount__gt=0,
                                             closed_on__gte=member.joined_on, closed_on__lte=TODAY)
        earned = dict(PointsEntry.objects.filter(member=member, kind="earn").values_list("visit_id", "points"))
        expected = {v.pk: int(v.total_amount * rates[v.kind]) for v in visits if int(v.total_amount * rates[v.kind])}
        assert earned == expected


def test_the_jobs_run_again_today_make_nothing(demo):
    with time_machine.travel(NOW, tick=False):
        assert points_earn(on=TODAY)["created"] == 0
        assert points_expire(on=TODAY)["created"] == 0


def test_every_statement_adds_up_and_no_balance_is_negative(demo):
    members = list(Member.objects.filter(customer_id__in=demo["ids"]).select_related("tier"))
    for member in members:
        statement = member_statement(member=member)
        assert statement.adds_up, member
        running = 0
        for line in reversed(list(statement.entries)):
            running += line.points
            assert line.usable_after == running >= 0
        assert member.tier == tier_for(cumulative=member.cumulative)


def test_there_are_redemptions_corrections_expiries_and_higher_tiers(demo):
    lines = PointsEntry.objects.filter(member__customer_id__in=demo["ids"])
    assert lines.filter(kind="redeem").count() >= 3
    assert lines.filter(kind="expire").exists()
    assert lines.filter(kind="adjust", note="原会员卡积分转入").exists()
    assert Member.objects.filter(customer_id__in=demo["ids"], tier__threshold__gte=10_000).exists()
    redeemed = lines.filter(kind="redeem").select_related("reward", "by").first()
    assert redeemed.reward.name and redeemed.by.username in {"interviewer", "lounge"}


def test_expiries_come_only_after_18_months_without_a_paid_visit(demo):
    for line in PointsEntry.objects.filter(member__customer_id__in=demo["ids"], kind="expire").select_related("member"):
        on = timezone.localdate(line.at)
        paid_before = PointsEntry.objects.filter(member=line.member, kind="earn", at__lt=line.at) \
            .aggregate(last=Max("visit__closed_on"))["last"]
        assert paid_before is None or paid_before <= expiry_cutoff(on=on)


def test_no_accessory_went_below_its_stock_and_the_timeline_tells_the_story(demo):
    assert not Reward.objects.filter(stock__lt=0).exists()
    variants = set(TimelineEntry.objects.filter(customer_id__in=demo["ids"], kind="points")
                   .values_list("params__variant", flat=True))
    assert {"enrolled", "redeemed", "expired", "tier", "adjusted"} <= variants


def test_a_second_seed_of_the_same_customers_adds_nothing(demo):
    with time_machine.travel(NOW, tick=False):
        assert demo_seed(seed=5, customer_ids=demo["ids"], now=NOW) == {"member": 0, "pointsentry": 0}
