"""The reads the membership pages are built on: finding members, what a customer's membership is,
the next tier and what is missing to it, the rewards on offer, the tiers with their members."""

import pytest

from customers.membership.models import Member, Reward
from customers.membership.selectors import (member_of, members_list, rewards_offered, tier_next,
                                            tiers_with_members)
from customers.membership.services import points_adjust

from .conftest import customer_with_car, member_with_points

pytestmark = pytest.mark.django_db


def test_members_are_found_by_number_name_and_the_mobiles_last_digits():
    wang = member_with_points(100, name="王建华")
    li = member_with_points(200, name="李卫东")
    assert list(members_list(query=wang.number)) == [wang]
    assert list(members_list(query=f"hy{wang.pk}")) == [wang]
    assert list(members_list(query="李卫")) == [li]
    assert list(members_list(query=li.customer.mobile[-4:])) == [li]
    assert list(members_list(query=li.customer.mobile)) == [li]
    assert list(members_list()) == [li, wang]  # the newest first


def test_members_are_filtered_by_tier_and_status(supervisor):
    silver = member_with_points(12_000, name="张银")
    plain = member_with_points(100, name="赵普")
    Member.objects.filter(pk=plain.pk).update(status=Member.Status.LEFT)
    assert list(members_list(tier=silver.tier_id)) == [silver]
    assert list(members_list(tier=str(silver.tier_id))) == [silver]
    assert list(members_list(status="left")) == [plain]
    assert list(members_list(tier="none")) == []


def test_a_non_member_has_no_membership_and_a_member_theirs():
    customer, _vehicle = customer_with_car()
    assert member_of(customer) is None
    member = member_with_points(10)
    assert member_of(member.customer) == member


def test_the_next_tier_says_how_many_points_are_missing(supervisor):
    member = member_with_points(9_000)
    tier, missing = tier_next(member)
    assert (tier.name, missing) == ("银卡", 1_000)
    points_adjust(member=member, points=60_000, by=supervisor, note="原会员卡积分转入")
    member.refresh_from_db()
    assert member.tier.name == "白金卡" and tier_next(member) == (None, 0)


def test_the_rewards_on_offer_are_in_use_and_in_stock():
    Reward.objects.create(kind="accessory", name="车载香薰", points=2000, stock=3)
    Reward.objects.create(kind="accessory", name="行车记录仪", points=20000, stock=0)
    Reward.objects.create(kind="labour", name="保养工时1小时", points=5000)
    Reward.objects.create(kind="labour", name="旧工时券", points=5000, active=False)
    assert [reward.name for reward in rewards_offered()] == ["车载香薰", "保养工时1小时"]


def test_the_tiers_count_their_active_members():
    member_with_points(100, name="甲")
    member_with_points(15_000, name="乙")
    left = member_with_points(200, name="丙")
    Member.objects.filter(pk=left.pk).update(status=Member.Status.LEFT)
    assert [(tier.name, tier.member_count) for tier in tiers_with_members()] == [
        ("普卡", 1), ("银卡", 1), ("金卡", 0), ("白金卡", 0)]


def test_the_statement_runs_a_fixed_number_of_queries(django_assert_max_num_queries, interviewer):
    from customers.membership.selectors import member_statement
    from customers.membership.services import points_redeem

    member = member_with_points(9_000)
    reward = Reward.objects.create(kind="labour", name="保养工时1小时", points=1000)
    for _ in range(5):
        points_redeem(member=member, reward=reward, by=interviewer)
    with django_assert_max_num_queries(3):
        statement = member_statement(member=member)
        lines = [(line.kind, line.reward.name if line.reward else line.visit.ro_number, line.by)
                 for line in statement.entries]
    assert len(lines) == 6
