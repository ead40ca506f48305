"""Redeeming points: the rewards offered (in use, in stock), a reward and a quantity, the balance after
shown before anything is taken, then the redemption (the points, the accessory's stock, the statement);
a balance or a stock too short refused in Chinese with the form as typed and nothing taken; back to
change the choice; who may redeem."""

from datetime import date

import pytest
from django.urls import reverse

from customers.membership.models import Member, PointsEntry, Reward

from .test_pages_support import (clock, element, html, marketing_user, member, reward, row_of, service_manager,
                                 text_of)

__all__ = ["clock"]
pytestmark = pytest.mark.django_db


def url(found) -> str:
    return reverse("membership:points_redeem", args=[found.pk])


@pytest.fixture
def setting(clock):
    """王建华 with 2,500 usable points; mats at 1,000 points (3 in stock), two labour hours at 2,000,
    a switched-off reward and an accessory out of stock."""
    return {
        "member": member("王建华", points=2_500, joined=date(2026, 6, 1)),
        "mats": reward("原厂脚垫一套", points=1_000, stock=3),
        "hours": reward("两个工时", points=2_000, kind="labour"),
        "old": reward("旧款香水", points=300, stock=9, active=False),
        "gone": reward("行车记录仪", points=800, stock=0),
    }


def test_the_form_offers_the_rewards_in_use_and_in_stock(login, setting):
    page = html(login(service_manager()).get(url(setting["member"])))
    select = element(page, "id_reward", "select")
    assert "原厂脚垫一套 · 1000 积分 · 库存 3" in select and "两个工时 · 2000 积分" in select
    assert "旧款香水" not in select and "行车记录仪" not in select
    assert "可用积分：<strong>2500</strong>。" in page


def test_the_balance_after_is_shown_before_anything_is_taken(login, setting):
    found, mats = setting["member"], setting["mats"]
    page = html(login(service_manager()).post(url(found), {"reward": mats.pk, "quantity": 2, "note": "随RO安装"}))
    assert text_of(element(page, "summary-reward", "td")).startswith("2 × 原厂脚垫一套")
    assert [text_of(element(page, key, "td")) for key in ("summary-usable", "summary-cost", "summary-after")] == [
        "2500", "−2000", "500"]
    assert 'name="confirmed" value="True"' in page
    found.refresh_from_db()
    mats.refresh_from_db()
    assert (found.usable, mats.stock, PointsEntry.objects.filter(kind="redeem").count()) == (2500, 3, 0)


def test_a_confirmed_redemption_takes_the_points_and_the_stock(login, setting):
    found, mats = setting["member"], setting["mats"]
    response = login(service_manager()).post(url(found), {"reward": mats.pk, "quantity": 2, "note": "随RO安装",
                                                          "confirmed": "True"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("membership:member_detail", args=[found.pk])
    page = html(response)
    assert "已兑换：原厂脚垫一套 × 2，扣除 2000 积分；剩余可用 500 积分。" in page
    found.refresh_from_db()
    mats.refresh_from_db()
    assert (found.usable, found.cumulative, mats.stock) == (500, 2500, 1)
    entry = PointsEntry.objects.get(kind="redeem")
    assert (entry.points, entry.usable_after, entry.quantity, entry.note, entry.by.username) == (
        -2000, 500, 2, "随RO安装", "service_zhao")
    assert "2 × 原厂脚垫一套 · 随RO安装" in text_of(row_of(page, f"entry-{entry.pk}"))


def test_labour_hours_are_redeemed_without_stock(login, setting):
    found = setting["member"]
    login(service_manager()).post(url(found), {"reward": setting["hours"].pk, "quantity": 1, "confirmed": "True"})
    found.refresh_from_db()
    assert found.usable == 500 and Reward.objects.get(pk=setting["hours"].pk).stock is None


@pytest.mark.parametrize("confirmed", ["", "True"])
def test_too_few_points_are_refused_in_chinese_and_nothing_is_lost(login, setting, confirmed):
    found, hours = setting["member"], setting["hours"]
    response = login(service_manager()).post(url(found), {"reward": hours.pk, "quantity": 2, "note": "保养工时",
                                                          "confirmed": confirmed})
    page = html(response)
    assert response.status_code == 400
    assert "积分不足：需要4000积分，可用2500积分。" in text_of(page)
    assert f'<option value="{hours.pk}" selected>' in page and 'value="2"' in page and 'value="保养工时"' in page
    found.refresh_from_db()
    assert found.usable == 2500 and not PointsEntry.objects.filter(kind="redeem").exists()


def test_more_than_the_stock_is_refused_with_what_is_left(login, setting):
    found, mats = setting["member"], setting["mats"]
    Member.objects.filter(pk=found.pk).update(usable=9_000, cumulative=9_000)  # enough points for four
    response = login(service_manager()).post(url(found), {"reward": mats.pk, "quantity": 4, "confirmed": "True"})
    assert response.status_code == 400 and "库存仅剩 3。" in html(response)
    mats.refresh_from_db()
    assert mats.stock == 3 and not PointsEntry.objects.filter(kind="redeem").exists()


def test_a_reward_switched_off_meanwhile_is_refused(login, setting):
    found, mats = setting["member"], setting["mats"]
    Reward.objects.filter(pk=mats.pk).update(active=False)
    response = login(service_manager()).post(url(found), {"reward": mats.pk, "quantity": 1, "confirmed": "True"})
    assert response.status_code == 400 and "该兑换品已不再提供，请另选。" in html(response)


@pytest.mark.parametrize(("quantity", "message"), [("0", "至少为 1。"), ("100", "每次最多 99。"), ("两", "请输入整数。"),
                                                   ("", "请填写数量。")])
def test_a_quantity_that_does_not_hold_is_refused(login, setting, quantity, message):
    response = login(service_manager()).post(url(setting["member"]),
                                             {"reward": setting["mats"].pk, "quantity": quantity})
    page = html(response)
    assert response.status_code == 400 and message in page and "is-invalid" in page


def test_back_from_the_confirmation_shows_the_form_as_typed(login, setting):
    mats = setting["mats"]
    page = html(login(service_manager()).post(url(setting["member"]), {"reward": mats.pk, "quantity": 2, "note": "备注",
                                                                       "back": "1"}))
    assert 'id="redeem-form"' in page and f'<option value="{mats.pk}" selected>' in page and 'value="备注"' in page
    assert "is-invalid" not in page


def test_who_may_not_redeem_is_refused(client, login, general_manager, agent, setting):
    found = setting["member"]
    assert client.get(url(found)).status_code == 302
    for user in (general_manager, agent, marketing_user()):
        assert login(user).post(url(found), {"reward": setting["mats"].pk, "quantity": 1,
                                             "confirmed": "True"}).status_code == 403
    Member.objects.filter(pk=found.pk).update(status=Member.Status.LEFT)
    assert login(service_manager()).get(url(found)).status_code == 403
    assert not PointsEntry.objects.filter(kind="redeem").exists()


def test_no_reward_offered_is_said(login, clock):
    page = html(login(service_manager()).get(url(member("王建华", points=100))))
    assert "暂无可兑换的项目" in text_of(element(page, "redeem-no-rewards", "p"))


def test_the_form_runs_the_same_queries_for_few_rewards_and_many(login, setting):
    from .test_pages_support import queries_of

    client = login(service_manager())
    few = queries_of(client, url(setting["member"]))
    for n in range(10):
        reward(f"精品{n}", points=100 + n, stock=n + 1)
    assert queries_of(client, url(setting["member"])) == few
