"""Enrolling, earning one repair order, redeeming and correcting: the rules of customers.membership.services,
each line of the ledger with its balance after it, and the customer's timeline."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from customers.membership.models import Member, PointsEntry, Reward, Tier
from customers.membership.selectors import member_of, member_statement
from customers.membership.services import (PointsError, member_enrol, points_adjust, points_earn_visit,
                                           points_redeem, tier_for)
from customers.models import TimelineEntry

from .conftest import at, customer_with_car, member_with_points, paid_visit

pytestmark = pytest.mark.django_db
DAY = date(2026, 5, 12)


def points_timeline(customer) -> list[str]:
    return [entry.text.title for entry in TimelineEntry.objects.filter(customer=customer, kind="points")
            .order_by("occurred_at", "id")]


def test_the_shipped_tiers_start_at_0_10000_30000_and_60000_points():
    assert list(Tier.objects.values_list("name", "threshold")) == [
        ("普卡", 0), ("银卡", 10_000), ("金卡", 30_000), ("白金卡", 60_000)]
    assert tier_for(cumulative=9_999).name == "普卡"
    assert tier_for(cumulative=10_000).name == "银卡"
    assert tier_for(cumulative=59_999).name == "金卡"
    assert tier_for(cumulative=1_000_000).name == "白金卡"


def test_enrolling_makes_a_member_at_the_first_tier_with_a_timeline_entry(interviewer):
    customer, _vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=interviewer, on=DAY, now=at(DAY))
    assert (member.status, member.joined_on, member.tier.name, member.usable, member.cumulative) == (
        "active", DAY, "普卡", 0, 0)
    assert member.joined_by == interviewer
    assert member_of(customer) == member
    assert points_timeline(customer) == [f"成为会员（{member.number}）"]


def test_a_member_cannot_be_enrolled_twice(interviewer):
    customer, _vehicle = customer_with_car()
    member_enrol(customer=customer, by=interviewer, on=DAY)
    with pytest.raises(PointsError, match="已是会员"):
        member_enrol(customer=customer, by=interviewer, on=DAY)
    assert Member.objects.filter(customer=customer).count() == 1


def test_enrolling_needs_the_right(colleague, agent):
    customer, _vehicle = customer_with_car()
    with pytest.raises(PermissionDenied):
        member_enrol(customer=customer, by=agent, on=DAY)
    assert member_of(customer) is None


def test_a_paid_visit_earns_its_points_once(interviewer):
    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=interviewer, on=DAY)
    visit = paid_visit(vehicle, on=DAY, total="1234.56")
    entry = points_earn_visit(visit=visit, now=at(DAY, 18))
    assert (entry.kind, entry.points, entry.usable_after, entry.amount) == ("earn", 1234, 1234, visit.total_amount)
    assert points_earn_visit(visit=visit, now=at(DAY, 19)) is None
    member.refresh_from_db()
    assert (member.usable, member.cumulative, member.last_paid_visit_on) == (1234, 1234, DAY)
    assert PointsEntry.objects.filter(member=member).count() == 1


def test_an_accident_repair_earns_half_a_point_a_yuan_and_warranty_and_internal_orders_nothing(interviewer):
    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=interviewer, on=DAY)
    assert points_earn_visit(visit=paid_visit(vehicle, on=DAY, total="3001", kind="accident"),
                             now=at(DAY, 18)).points == 1500
    assert points_earn_visit(visit=paid_visit(vehicle, on=DAY, total="5000", kind="warranty"), now=at(DAY, 18)) is None
    assert points_earn_visit(visit=paid_visit(vehicle, on=DAY, total="5000", kind="internal"), now=at(DAY, 18)) is None
    member.refresh_from_db()
    assert member.usable == 1500


def test_a_visit_before_joining_or_not_finished_earns_nothing(interviewer):
    customer, vehicle = customer_with_car()
    member_enrol(customer=customer, by=interviewer, on=DAY)
    assert points_earn_visit(visit=paid_visit(vehicle, on=date(2026, 5, 11)), now=at(DAY, 18)) is None
    assert points_earn_visit(visit=paid_visit(vehicle, on=DAY, closed=False), now=at(DAY, 18)) is None


def test_redeeming_an_accessory_takes_its_points_and_one_from_stock(interviewer, reward_factory):
    member = member_with_points(5000)
    reward = reward_factory("全包围脚垫", points=2000, stock=3)
    entry = points_redeem(member=member, reward=reward, quantity=2, by=interviewer, note="到店领取", now=at(DAY))
    assert (entry.kind, entry.points, entry.usable_after, entry.quantity) == ("redeem", -4000, 1000, 2)
    member.refresh_from_db()
    reward.refresh_from_db()
    assert (member.usable, member.cumulative, reward.stock) == (1000, 5000, 1)
    assert points_timeline(member.customer)[-1] == "兑换全包围脚垫 × 2，使用4,000积分"


def test_redeeming_more_than_the_usable_points_is_refused_and_changes_nothing(interviewer, reward_factory):
    member = member_with_points(1999)
    reward = reward_factory(points=2000, stock=3)
    with pytest.raises(PointsError, match="积分不足"):
        points_redeem(member=member, reward=reward, by=interviewer)
    member.refresh_from_db()
    reward.refresh_from_db()
    assert (member.usable, reward.stock) == (1999, 3)
    assert not PointsEntry.objects.filter(member=member, kind="redeem").exists()


def test_an_accessory_out_of_stock_is_refused_and_labour_hours_have_no_stock(interviewer, reward_factory):
    member = member_with_points(20_000)
    gone = reward_factory("行车记录仪", points=1000, stock=0)
    with pytest.raises(PointsError, match="库存不足"):
        points_redeem(member=member, reward=gone, by=interviewer)
    hours = reward_factory("保养工时1小时", points=5000, stock=None, kind=Reward.Kind.LABOUR)
    points_redeem(member=member, reward=hours, quantity=3, by=interviewer)
    member.refresh_from_db()
    assert member.usable == 5000


def test_a_reward_no_longer_offered_or_a_member_who_left_cannot_redeem(interviewer, reward_factory):
    member = member_with_points(5000)
    with pytest.raises(PointsError, match="不再提供"):
        points_redeem(member=member, reward=reward_factory(active=False), by=interviewer)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    with pytest.raises(PointsError, match="已不是会员"):
        points_redeem(member=member, reward=reward_factory("洗车券", points=100), by=interviewer)


@pytest.mark.parametrize("quantity", [0, -1, 100])
def test_a_quantity_outside_1_to_99_is_refused(interviewer, reward_factory, quantity):
    member = member_with_points(5000)
    with pytest.raises(PointsError, match="数量"):
        points_redeem(member=member, reward=reward_factory(points=10), quantity=quantity, by=interviewer)


def test_redeeming_needs_the_right(agent, reward_factory):
    member = member_with_points(5000)
    with pytest.raises(PermissionDenied):
        points_redeem(member=member, reward=reward_factory(), by=agent)


def test_the_supervisor_corrects_both_balances_and_a_higher_tier_is_reached(supervisor):
    member = member_with_points(9_500)
    entry = points_adjust(member=member, points=600, by=supervisor, note="补录2025年12月工单", now=at(DAY))
    assert (entry.kind, entry.points, entry.usable_after, entry.note) == ("adjust", 600, 10_100, "补录2025年12月工单")
    member.refresh_from_db()
    assert (member.usable, member.cumulative, member.tier.name, member.last_credit_on) == (10_100, 10_100, "银卡", DAY)
    assert points_timeline(member.customer)[-2:] == ["积分调整：+600", "升级为银卡"]


def test_a_correction_cannot_take_more_than_the_usable_points(supervisor):
    member = member_with_points(300)
    with pytest.raises(PointsError, match="最多只能扣除"):
        points_adjust(member=member, points=-301, by=supervisor, note="多计积分")
    points_adjust(member=member, points=-300, by=supervisor, note="多计积分")
    member.refresh_from_db()
    assert (member.usable, member.cumulative) == (0, 0)


def test_a_correction_needs_a_note_a_number_and_the_supervisors_right(supervisor, interviewer):
    member = member_with_points(300)
    with pytest.raises(PointsError, match="原因"):
        points_adjust(member=member, points=10, by=supervisor, note="  ")
    with pytest.raises(PointsError, match="不能为零"):
        points_adjust(member=member, points=0, by=supervisor, note="测试")
    with pytest.raises(PermissionDenied):
        points_adjust(member=member, points=10, by=interviewer, note="测试")


def test_the_statement_lists_each_line_and_its_totals_add_up_to_both_balances(supervisor, interviewer,
                                                                              reward_factory):
    member = member_with_points(8000)
    points_redeem(member=member, reward=reward_factory(points=2000), by=interviewer, now=at(DAY))
    points_adjust(member=member, points=-500, by=supervisor, note="多计积分", now=at(DAY, 11))
    member.refresh_from_db()
    statement = member_statement(member=member)
    lines = [(e.kind, e.points, e.usable_after) for e in statement.entries]
    assert lines == [("adjust", -500, 5500), ("redeem", -2000, 6000), ("earn", 8000, 8000)]
    assert statement.totals["earned"] == 8000 and statement.totals["redeemed"] == -2000
    assert statement.totals["adjusted"] == -500 and statement.totals["expired"] == 0
    assert (statement.usable, statement.cumulative) == (5500, 7500)
    assert statement.adds_up


def test_enrolling_in_bulk_skips_members_and_writes_the_same_rows_and_timeline(interviewer):
    from customers.membership.services import members_enrol_bulk

    first, vehicle = customer_with_car("甲")
    paid_visit(vehicle, on=date(2026, 3, 1), total="800")
    second, _car = customer_with_car("乙")
    already = member_enrol(customer=second, by=interviewer, on=DAY)
    assert members_enrol_bulk(customer_ids=[first.pk, second.pk], on=DAY, by=interviewer, now=at(DAY)) == 1
    member = member_of(first)
    assert (member.joined_on, member.tier.name, member.last_paid_visit_on, member.joined_by) == (
        DAY, "普卡", date(2026, 3, 1), interviewer)
    assert member_of(second) == already
    assert points_timeline(first) == [f"成为会员（{member.number}）"]
    # The same timeline entry as one enrolment makes (member_enrol's is the oracle).
    def entry(customer, member):
        found = TimelineEntry.objects.get(customer=customer, kind="points")
        assert found.source_id == str(member.pk)
        return found.created_by, found.source_type, found.params, found.occurred_at
    in_bulk, alone = entry(first, member), entry(second, already)
    assert in_bulk[:2] == alone[:2]  # who enrolled them, the member as the entry's source
    assert in_bulk[0] == interviewer and in_bulk[1] is not None
    assert in_bulk[2] == {"variant": "enrolled", "member": member.number, "tier": "普卡"}
    assert alone[2] == {"variant": "enrolled", "member": already.number, "tier": "普卡"}


def test_enrolling_in_bulk_in_a_store_without_tiers_names_no_tier(interviewer):
    from customers.membership.services import members_enrol_bulk

    Tier.objects.all().delete()
    customer, _car = customer_with_car("丁")
    assert members_enrol_bulk(customer_ids=[customer.pk], on=DAY, by=interviewer, now=at(DAY)) == 1
    member = member_of(customer)
    assert member.tier is None
    entry = TimelineEntry.objects.get(customer=customer, kind="points")
    assert entry.params == {"variant": "enrolled", "member": member.number, "tier": ""}


def test_enrolling_in_bulk_goes_chunk_by_chunk_and_reads_the_last_paid_visit_up_to_the_day(interviewer, monkeypatch):
    from customers.membership import services as membership_services

    monkeypatch.setattr(membership_services, "CHUNK", 1)
    already, _car = customer_with_car("丙")
    member_enrol(customer=already, by=interviewer, on=DAY)
    first, vehicle = customer_with_car("甲")
    paid_visit(vehicle, on=DAY - timedelta(days=30), total="500")
    paid_visit(vehicle, on=DAY + timedelta(days=1), total="600")  # after the joining day: not the last paid visit yet
    second, _car = customer_with_car("乙")
    # The first chunk holds only a member already: the next chunks are still enrolled, and counted.
    made = membership_services.members_enrol_bulk(customer_ids=[already.pk, first.pk, second.pk], on=DAY,
                                                  by=interviewer, now=at(DAY))
    assert made == 2
    assert member_of(first).last_paid_visit_on == DAY - timedelta(days=30)
    assert member_of(second).last_paid_visit_on is None


def test_a_member_who_left_is_enrolled_again_with_the_points_they_had(interviewer):
    member = member_with_points(700)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    again = member_enrol(customer=member.customer, by=interviewer, on=DAY)
    assert (again.pk, again.status, again.usable, again.joined_on) == (member.pk, "active", 700, DAY)


def test_retiering_moves_members_out_of_and_back_into_a_tier_and_touches_no_one_else(supervisor):
    from customers.membership.services import members_retier, tier_save

    low, high = member_with_points(50, name="甲"), member_with_points(500, name="乙")
    assert members_retier() == 0  # everyone is in the tier their points reach already
    card = Tier.objects.get(threshold=0)
    card.threshold = 100  # the first tier from 100 points: 50 reach no tier now
    tier_save(tier=card, by=supervisor)
    low.refresh_from_db()
    high.refresh_from_db()
    assert low.tier is None and high.tier.name == "普卡"
    assert members_retier() == 0
    card.threshold = 0
    tier_save(tier=card, by=supervisor)
    low.refresh_from_db()
    assert low.tier.name == "普卡"
    assert members_retier() == 0

