"""One member's page: the customer, the tier with its benefits and how far the next one is, both
balances, the statement newest first with the usable balance after each line (a redemption, a
correction, an expiry), its totals, pages of twenty, the points that will expire and when; who may
read it and who sees the redeem and correct buttons; a fixed number of queries."""

from datetime import date

import pytest
from django.urls import reverse

from customers.membership.services import points_adjust, points_earn_visit, points_expire, points_redeem

from .test_pages_support import (NOW, at, cells_of, clock, element, html, marketing_user, member, paid_visit,
                                 queries_of, reward, service_manager, supervisor_user, text_of)

__all__ = ["clock"]
pytestmark = pytest.mark.django_db


def url(found) -> str:
    return reverse("membership:member_detail", args=[found.pk])


@pytest.fixture
def story(clock):
    """王建华 joined on 1 July 2025 and earned 12,000 points on a ¥12,000 maintenance that day; redeemed
    2 sets of mats (1,000 points each) on 1 August 2025; the supervisor took 500 off on 1 September 2025."""
    found = member("王建华", points=12_000, joined=date(2025, 7, 1), mobile="13800001234")
    mats = reward("原厂脚垫一套", points=1_000, stock=5)
    boss = supervisor_user()
    points_redeem(member=found, reward=mats, quantity=2, by=boss, note="随RO安装", now=at(date(2025, 8, 1)))
    points_adjust(member=found, points=-500, by=boss, note="重复计分", now=at(date(2025, 9, 1)))
    found.refresh_from_db()
    return found


def test_the_page_asks_for_the_right_to_read_members(client, login, story):
    assert client.get(url(story)).status_code == 302
    assert login(marketing_user()).get(url(story)).status_code == 403
    assert login(supervisor_user()).get(reverse("membership:member_detail", args=[story.pk + 999])).status_code == 404


def test_the_page_shows_the_tier_its_benefits_and_the_way_to_the_next(login, general_manager, story):
    page = html(login(general_manager).get(url(story)))
    assert text_of(element(page, "member-number", "span")) == story.number
    assert text_of(element(page, "member-customer", "a")) == "王建华" and "138****1234" in page
    assert text_of(element(page, "usable")) == "9500" and text_of(element(page, "cumulative")) == "11500"
    assert text_of(element(page, "tier-heading", "h2")) == "会员等级：银卡"
    assert text_of(element(page, "to-next", "p")) == "再累计 18500 积分升至金卡（30000 起）。"
    assert [text_of(line) for line in element(page, "benefits", "ul").split("</li>")[:-1]] == [
        "普卡权益", "每次保养免费洗车", "工时费9.5折"]
    assert '<progress class="tier-progress w-100" max="100" value="7"' in page  # (11,500 − 10,000) / 20,000


def test_the_statement_lists_each_line_with_the_balance_after_it_and_totals_that_add_up(login, general_manager,
                                                                                        story):
    page = html(login(general_manager).get(url(story)))
    rows = [cells_of(row) for row in element(page, "statement", "table").split("<tr id=")[1:]]
    assert [row[1:5] for row in rows] == [
        ["调整", "重复计分", "-500", "9500"],
        ["兑换", "2 × 原厂脚垫一套 · 随RO安装", "-2000", "10000"],
        ["累积", rows[2][2], "+12000", "12000"],
    ]
    assert rows[2][2].startswith("定保 · 工单 RO") and rows[2][2].endswith("· ¥12000.00")
    assert rows[0][0] == "2025-09-01 10:00" and rows[0][5] == "孙丽"
    assert text_of(element(page, "statement-totals", "span")) == "累积 12000 · 兑换 -2000 · 过期 0 · 调整 -500"


def test_the_points_that_will_expire_and_when_are_said(login, general_manager, story):
    page = html(login(general_manager).get(url(story)))
    # the last paid visit was on 1 July 2025: 18 months later, 29 days from 3 December 2026
    assert text_of(element(page, "expiry", "p")) == "9500 积分将于 2027-01-01 过期"
    assert 'class="card h-100 border-danger" aria-labelledby="expiry-heading"' in page  # within 60 days: in red


def test_an_expiry_is_a_line_of_the_statement_and_leaves_nothing_to_expire(login, general_manager, story):
    points_expire(on=date(2027, 1, 2), now=at(date(2027, 1, 2), 3))
    page = html(login(general_manager).get(url(story)))
    first = cells_of(element(page, "statement", "table").split("<tr id=")[1])
    assert first[1] == "已过期"
    assert first[3:5] == ["-9500", "0"]
    assert text_of(element(page, "expiry", "p")) == "无可用积分，无积分过期。"


def test_later_credits_expire_later_only_the_old_points_are_said(login, general_manager, story):
    points_adjust(member=story, points=300, by=supervisor_user(), note="活动奖励", now=NOW)
    page = html(login(general_manager).get(url(story)))
    # 9,500 were credited up to the last paid visit; the 300 of today stay 18 months from today
    assert text_of(element(page, "expiry", "p")) == "9500 积分将于 2027-01-01 过期"
    assert "其余 300 积分入账较晚，过期也较晚。" in page


def test_the_statement_pages_by_twenty_newest_first(login, general_manager, clock):
    found = member("王建华", points=100, joined=date(2026, 1, 5))
    boss = supervisor_user()
    for n in range(24):
        points_adjust(member=found, points=10, by=boss, note=f"补录{n:02d}", now=at(date(2026, 2, 1 + n)))
    client = login(general_manager)
    first = html(client.get(url(found)))
    assert first.count("<tr id=\"entry-") == 20 and "补录23" in first and "补录03" not in first
    second = html(client.get(url(found), {"page": 2}))
    assert second.count("<tr id=\"entry-") == 5 and "补录03" in second and "+100" in second


def test_no_points_yet_is_said(login, general_manager, clock):
    page = html(login(general_manager).get(url(member("张伟"))))
    assert "暂无积分" in text_of(element(page, "statement-empty", "div"))


def test_the_buttons_follow_the_readers_rights(login, general_manager, story):
    assert "redeem-link" not in html(login(general_manager).get(url(story)))
    desk = html(login(service_manager()).get(url(story)))
    assert 'id="redeem-link"' in desk and 'id="adjust-link"' not in desk
    boss = html(login(supervisor_user()).get(url(story)))
    assert 'id="redeem-link"' in boss and 'id="adjust-link"' in boss


def test_the_page_runs_the_same_queries_for_a_short_statement_and_a_long_one(login, general_manager, clock):
    found = member("王建华", points=100, joined=date(2026, 1, 5))
    client = login(general_manager)
    few = queries_of(client, url(found))
    mats = reward("原厂脚垫一套", points=10, stock=50)
    boss = supervisor_user()
    for n in range(25):
        day = date(2026, 3, 1 + n)
        points_earn_visit(visit=paid_visit(found.vehicle, on=day, total="100.00"), now=at(day))
        points_redeem(member=found, reward=mats, by=boss, now=at(date(2026, 3, 1 + n), 12))
    assert queries_of(client, url(found)) == few
    assert queries_of(client, url(found) + "?page=3") == few
