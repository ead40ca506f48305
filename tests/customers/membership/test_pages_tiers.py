"""The tiers and the points rules: who reads and who sets them, each tier with its range of cumulative
points, benefits and members, a tier added or edited (a new threshold moves the members at once), the
points a yuan earns by visit type (a type without a rule earns none), the checks in Chinese, and a
fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.membership.models import Member, PointsRule, Tier

from .test_pages_support import (cells_of, clock, html, marketing_user, member, queries_of, row_of, service_manager,
                                 supervisor_user)

__all__ = ["clock"]
pytestmark = pytest.mark.django_db
LIST = reverse("membership:tier_list")
NEW = reverse("membership:tier_create")


def tier(name: str) -> Tier:
    return Tier.objects.get(name=name)


def test_who_may_read_and_who_may_set_the_tiers(client, login, general_manager):
    assert client.get(LIST).status_code == 302
    assert login(marketing_user()).get(LIST).status_code == 403
    for user in (general_manager, service_manager()):
        client = login(user)
        page = html(client.get(LIST))
        assert 'id="tier-table"' in page and 'id="tier-add"' not in page and 'id="rule-table"' not in page
        assert client.get(NEW).status_code == 403
        assert client.post(reverse("membership:tier_edit", args=[tier("银卡").pk]),
                           {"name": "银卡", "threshold": "1", "benefits": ""}).status_code == 403
        assert client.get(reverse("membership:rule_edit", args=["repair"])).status_code == 403
    assert tier("银卡").threshold == 10_000


def test_the_tiers_show_their_ranges_benefits_and_members(login, clock):
    member("王建华", points=12_000)
    member("李秀英", points=800)
    page = html(login(supervisor_user()).get(LIST))
    silver, platinum = tier("银卡"), tier("白金卡")
    assert cells_of(row_of(page, f"tier-{silver.pk}")) == ["银卡", "10000–29999", "普卡权益 每次保养免费洗车 工时费9.5折", "1", "编辑"]
    assert cells_of(row_of(page, f"tier-{platinum.pk}"))[1] == "60000 及以上"
    assert f'href="/members/?tier={silver.pk}"' in row_of(page, f"tier-{silver.pk}")


def test_the_rules_show_the_points_a_yuan_by_visit_type(login):
    page = html(login(supervisor_user()).get(LIST))
    assert cells_of(row_of(page, "rule-scheduled"))[:2] == ["定保", "1"]
    assert cells_of(row_of(page, "rule-accident"))[:2] == ["事故车", "0.50"]
    assert cells_of(row_of(page, "rule-warranty"))[1] == "不计积分"
    assert 'id="rule-internal"' not in page  # an internal order never earns: no rule to set


def test_an_internal_order_has_no_rule_to_set(login):
    assert login(supervisor_user()).get(reverse("membership:rule_edit", args=["internal"])).status_code == 404


def test_a_tier_is_added_and_a_new_threshold_moves_the_members_at_once(login, clock):
    rich, poor = member("王建华", points=12_000), member("李秀英", points=8_000)
    client = login(supervisor_user())
    response = client.post(reverse("membership:tier_edit", args=[tier("银卡").pk]),
                           {"name": "银卡", "threshold": "8000", "benefits": "每次保养免费洗车"}, follow=True)
    assert "等级“银卡”已保存，会员按累计积分达到该等级。" in html(response)
    assert Member.objects.get(pk=poor.pk).tier.name == "银卡"
    client.post(NEW, {"name": "钻石卡", "threshold": "11000", "benefits": "专属管家"})
    assert Member.objects.get(pk=rich.pk).tier.name == "钻石卡"
    assert Member.objects.get(pk=poor.pk).tier.name == "银卡"


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "钻石卡", "threshold": "30000"}, "已有其他等级从此积分起。"),  # 金卡's
    ({"name": "银卡", "threshold": "90000"}, "已有同名等级。"),
    ({"name": "", "threshold": "90000"}, "请填写等级名称。"),
    ({"name": "钻石卡", "threshold": ""}, "请填写该等级的起点累计积分。"),
    ({"name": "钻石卡", "threshold": "-5"}, "积分不能小于 0。"),
])
def test_a_tier_that_does_not_hold_is_refused_in_chinese(login, fields, message):
    before = Tier.objects.count()
    response = login(supervisor_user()).post(NEW, {"benefits": "", **fields})
    page = html(response)
    assert response.status_code == 400 and message in page and "is-invalid" in page
    assert Tier.objects.count() == before


def test_the_points_a_yuan_are_set_for_a_visit_type(login):
    client = login(supervisor_user())
    edit = reverse("membership:rule_edit", args=["warranty"])
    assert "保修索赔积分规则" in html(client.get(edit))
    response = client.post(edit, {"points_per_yuan": "0.2"}, follow=True)
    assert "保修索赔：每元 0.2 积分，对之后计分的工单生效。" in html(response)
    assert PointsRule.objects.get(visit_kind="warranty").points_per_yuan == Decimal("0.20")
    client.post(reverse("membership:rule_edit", args=["repair"]), {"points_per_yuan": "1.5"})
    assert PointsRule.objects.get(visit_kind="repair").points_per_yuan == Decimal("1.50")
    assert client.get(reverse("membership:rule_edit", args=["painting"])).status_code == 404


@pytest.mark.parametrize(("value", "message"), [("-1", "每元所得积分不能小于 0。"), ("", "请填写每元所得积分（不计积分填 0）。"),
                                                ("一", "请填写数字，例如 1 或 0.5。"), ("0.125", "最多两位小数。")])
def test_a_rule_that_does_not_hold_is_refused_in_chinese(login, value, message):
    response = login(supervisor_user()).post(reverse("membership:rule_edit", args=["repair"]),
                                             {"points_per_yuan": value})
    assert response.status_code == 400 and message in html(response)
    assert PointsRule.objects.get(visit_kind="repair").points_per_yuan == Decimal("1.00")


def test_the_page_runs_the_same_queries_for_few_tiers_and_many(login, clock):
    client = login(supervisor_user())
    few = queries_of(client, LIST)
    for n in range(6):
        Tier.objects.create(name=f"等级{n}", threshold=100_000 + n * 10_000, benefits="甲；乙")
        member(f"会员{n}", points=500)
    assert queries_of(client, LIST) == few
