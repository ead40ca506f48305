"""What the membership services put on the customer's timeline (kind points): enrolling, a higher tier,
a redemption, a correction, an expiry — each read in the reader's language, with its numbers; an
earning is not there (the repair order's own entry is), and the customer page shows them."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import translation

from customers.membership.models import PointsEntry, Reward
from customers.membership.services import (member_enrol, points_adjust, points_earn, points_expire,
                                           points_redeem)
from customers.models import TimelineEntry

from .conftest import at, customer_with_car, paid_visit

pytestmark = pytest.mark.django_db
JOINED = date(2024, 2, 1)


@pytest.fixture
def history(interviewer, supervisor):
    customer, vehicle = customer_with_car("王建华")
    member = member_enrol(customer=customer, by=interviewer, on=JOINED, now=at(JOINED))
    paid_visit(vehicle, on=JOINED + timedelta(days=3), total="10500")
    points_earn(on=JOINED + timedelta(days=3), now=at(JOINED + timedelta(days=4), 5, 30))
    hours = Reward.objects.create(kind=Reward.Kind.LABOUR, name="保养工时1小时", points=5_000)
    points_redeem(member=member, reward=hours, by=interviewer, now=at(JOINED + timedelta(days=10)))
    points_adjust(member=member, points=-200, by=supervisor, note="多计积分", now=at(JOINED + timedelta(days=11)))
    points_expire(on=JOINED + timedelta(days=3) + relativedelta(months=18))
    return member


def titles(customer) -> list[tuple[str, str]]:
    return [(entry.text.title, entry.text.body)
            for entry in TimelineEntry.objects.filter(customer=customer, kind="points").order_by("occurred_at", "id")]


def test_the_points_timeline_reads_in_chinese(history):
    number = history.number
    assert titles(history.customer) == [
        (f"成为会员（{number}）", "会员等级：普卡"),
        ("升级为银卡", "累计积分10,500"),
        ("兑换保养工时1小时 × 1，使用5,000积分", "剩余可用积分5,500"),
        ("积分调整：-200", "多计积分（剩余可用积分5,300）"),
        ("5,300积分已过期", "长期未付费回厂；剩余可用积分0"),
    ]


def test_each_entry_names_who_did_it_and_points_at_its_ledger_line(supervisor):
    customer, vehicle = customer_with_car("李强")
    member = member_enrol(customer=customer, by=None, on=JOINED, now=at(JOINED))
    paid_visit(vehicle, on=JOINED, total="1000")
    points_earn(on=JOINED, now=at(JOINED, 20))
    points_adjust(member=member, points=9_500, by=supervisor, note="老客户回馈", now=at(JOINED + timedelta(days=1)))
    reached = TimelineEntry.objects.get(customer=customer, kind="points", params__variant="tier")  # 银卡 at 10,500
    assert (reached.created_by, reached.source_type, reached.source_id, reached.params["member"]) == (
        supervisor, None, "", member.number)
    # 18 months after the visit its 1,000 points expire; the correction's 9,500, a day younger, stay.
    points_expire(on=JOINED + relativedelta(months=18))
    line = PointsEntry.objects.get(member=member, kind="expire")
    gone = TimelineEntry.objects.get(customer=customer, kind="points", params__variant="expired")
    assert (gone.source_type.model, gone.source_id, gone.created_by) == ("pointsentry", str(line.pk), None)
    assert (gone.params["member"], gone.params["points"], gone.params["usable"]) == (member.number, 1_000, 9_500)
    assert gone.text.title == "1,000积分已过期"  # not "cleared": 9,500 are left


def test_the_points_timeline_reads_in_english(history):
    with translation.override("en"):
        assert [title for title, _body in titles(history.customer)] == [
            f"Became a member ({history.number})", "Reached the 银卡 tier", "Redeemed 5,000 points for 保养工时1小时 × 1",
            "Points corrected: -200", "5,300 points expired"]


def test_an_earning_is_not_on_the_timeline_but_its_repair_order_is(history):
    customer = history.customer
    variants = list(TimelineEntry.objects.filter(customer=customer, kind="points")
                    .values_list("params__variant", flat=True))
    assert "earned" not in variants and len(variants) == 5
    assert TimelineEntry.objects.filter(customer=customer, kind="visit").count() == 1


def test_the_customer_page_shows_the_points_entries(history, login, supervisor):
    page = login(supervisor).get(f"/customers/{history.customer.pk}/").content.decode()
    assert "兑换保养工时1小时 × 1，使用5,000积分" in page
    assert "5,300积分已过期" in page
