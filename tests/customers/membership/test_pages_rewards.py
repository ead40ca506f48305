"""The rewards catalogue: who reads it and who keeps it, adding accessories (with their stock) and
labour hours (none), editing, switching off and back on (never deleting), the checks in Chinese with
what was typed, an empty catalogue said, and a fixed number of queries."""

import pytest
from django.urls import reverse

from customers.membership.models import Reward

from .test_pages_support import (cells_of, element, html, marketing_user, queries_of, reward, row_of, service_manager,
                                 supervisor_user, text_of)

pytestmark = pytest.mark.django_db
LIST = reverse("membership:reward_list")
NEW = reverse("membership:reward_create")


def test_the_desk_reads_the_catalogue_and_only_the_supervisor_keeps_it(client, login, general_manager):
    mats = reward("原厂脚垫一套")
    assert client.get(LIST).status_code == 302
    assert login(marketing_user()).get(LIST).status_code == 403
    assert login(general_manager).get(LIST).status_code == 403  # the GM reads members and tiers, not the catalogue
    desk = login(service_manager())
    page = html(desk.get(LIST))
    assert 'id="reward-add"' not in page and "编辑" not in text_of(row_of(page, f"reward-{mats.pk}"))
    assert desk.get(NEW).status_code == 403
    assert desk.post(reverse("membership:reward_switch", args=[mats.pk]), {"active": "0"}).status_code == 403
    assert Reward.objects.get(pk=mats.pk).active


def test_the_list_shows_each_reward_with_its_points_stock_and_state(login):
    mats, hours = reward("原厂脚垫一套", points=1_000, stock=3), reward("两个工时", points=2_000, kind="labour")
    gone = reward("行车记录仪", points=800, stock=0)
    old = reward("旧款香水", points=300, stock=9, active=False)
    page = html(login(supervisor_user()).get(LIST))
    assert cells_of(row_of(page, f"reward-{mats.pk}"))[:5] == ["原厂脚垫一套", "精品", "1000", "3", "是"]
    assert cells_of(row_of(page, f"reward-{hours.pk}"))[:5] == ["两个工时", "工时", "2000", "—", "是"]
    assert cells_of(row_of(page, f"reward-{gone.pk}"))[3] == "无库存"
    assert cells_of(row_of(page, f"reward-{old.pk}"))[4:] == ["否", "编辑 重新启用"]
    assert page.index(f'id="reward-{old.pk}"') > page.index(f'id="reward-{gone.pk}"')  # switched off: last
    assert text_of(element(page, "reward-count", "span")) == "3 项可兑换"


def test_an_accessory_and_labour_hours_are_added(login):
    client = login(supervisor_user())
    response = client.post(NEW, {"kind": "accessory", "name": "原厂脚垫一套", "points": "1000", "stock": "12",
                                 "active": "on"}, follow=True)
    assert "兑换品“原厂脚垫一套”已保存。" in html(response)
    client.post(NEW, {"kind": "labour", "name": "两个工时", "points": "2000", "stock": "", "active": "on"})
    assert list(Reward.objects.order_by("name").values_list("name", "kind", "points", "stock", "active")) == [
        ("两个工时", "labour", 2000, None, True), ("原厂脚垫一套", "accessory", 1000, 12, True)]


def test_a_reward_is_edited(login):
    mats = reward("原厂脚垫一套", points=1_000, stock=3)
    client = login(supervisor_user())
    edit = reverse("membership:reward_edit", args=[mats.pk])
    assert 'value="原厂脚垫一套"' in html(client.get(edit))
    client.post(edit, {"kind": "accessory", "name": "原厂脚垫一套（新款）", "points": "1200", "stock": "20", "active": "on",
                       "stock_shown": "3"})
    mats.refresh_from_db()
    assert (mats.name, mats.points, mats.stock) == ("原厂脚垫一套（新款）", 1200, 20)


def test_an_edit_never_undoes_the_redemptions_made_while_it_was_open(login):
    """The supervisor opens the mats (3 in stock) to rename them; two are redeemed meanwhile; the save
    keeps the 1 left, and a new figure typed against the stale 3 is refused with the stock as it is."""
    mats = reward("原厂脚垫一套", points=1_000, stock=3)
    client = login(supervisor_user())
    edit = reverse("membership:reward_edit", args=[mats.pk])
    assert 'name="stock_shown" value="3"' in html(client.get(edit))
    Reward.objects.filter(pk=mats.pk).update(stock=1)  # redeemed meanwhile
    client.post(edit, {"kind": "accessory", "name": "原厂脚垫（黑色）", "points": "1000", "stock": "3", "active": "on",
                       "stock_shown": "3"})
    mats.refresh_from_db()
    assert (mats.name, mats.stock) == ("原厂脚垫（黑色）", 1)
    refused = client.post(edit, {"kind": "accessory", "name": "原厂脚垫（黑色）", "points": "1000", "stock": "10",
                                 "active": "on", "stock_shown": "3"})
    page = html(refused)
    assert refused.status_code == 400 and "库存在表单打开期间已变动" in page and 'name="stock_shown" value="1"' in page
    assert Reward.objects.get(pk=mats.pk).stock == 1
    client.post(edit, {"kind": "accessory", "name": "原厂脚垫（黑色）", "points": "1000", "stock": "10", "active": "on",
                       "stock_shown": "1"})
    assert Reward.objects.get(pk=mats.pk).stock == 10


def test_a_reward_is_switched_off_and_back_on(login):
    mats = reward("原厂脚垫一套")
    client = login(supervisor_user())
    switch = reverse("membership:reward_switch", args=[mats.pk])
    response = client.post(switch, {"active": "0"}, follow=True)
    assert "“原厂脚垫一套”已停用，不再提供兑换；已有的兑换记录保留。" in html(response)
    assert not Reward.objects.get(pk=mats.pk).active
    assert client.get(switch).status_code == 405  # a change is a POST
    client.post(switch, {"active": "1"})
    assert Reward.objects.get(pk=mats.pk).active


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "accessory", "name": "原厂脚垫一套", "points": "500", "stock": "1"}, "已有同名兑换品。"),
    ({"kind": "accessory", "name": "香水", "points": "0", "stock": "1"}, "至少 1 积分。"),
    ({"kind": "accessory", "name": "香水", "points": "", "stock": "1"}, "请填写所需积分。"),
    ({"kind": "accessory", "name": "香水", "points": "300", "stock": ""}, "请填写库存数量（没有则填 0）。"),
    ({"kind": "labour", "name": "一个工时", "points": "1000", "stock": "5"}, "工时没有库存，请留空。"),
    ({"kind": "", "name": "香水", "points": "300", "stock": "1"}, "请选择精品或工时。"),
    ({"kind": "accessory", "name": "", "points": "300", "stock": "1"}, "请填写兑换品名称。"),
])
def test_a_reward_that_does_not_hold_is_refused_in_chinese_with_what_was_typed(login, fields, message):
    reward("原厂脚垫一套")
    response = login(supervisor_user()).post(NEW, fields)
    page = html(response)
    assert response.status_code == 400 and message in page and "is-invalid" in page
    if fields["name"]:
        assert f'value="{fields["name"]}"' in page
    assert Reward.objects.count() == 1


def test_an_empty_catalogue_is_said(login):
    assert "暂无兑换品" in text_of(element(html(login(supervisor_user()).get(LIST)), "reward-empty", "td"))


def test_the_list_runs_the_same_queries_for_few_rewards_and_many(login):
    client = login(supervisor_user())
    reward("原厂脚垫一套")
    few = queries_of(client, LIST)
    for n in range(10):
        reward(f"精品{n}", points=100 + n)
    assert queries_of(client, LIST) == few
