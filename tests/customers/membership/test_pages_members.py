"""The members list (会员): who may read it, each member's balances, tier, last paid visit and when their
points expire (18 months after the last paid visit), the filters (tier, name, HY number, whole mobile,
a mobile's ending only for who may reveal numbers, audited; expiring soon), sorting, pages, empty
states, and a fixed number of queries."""

from datetime import date

import pytest
from django.urls import reverse

from dealer_crm.audit.models import AuditEvent

from .test_pages_support import (cells_of, clock, element, html, marketing_user, member, queries_of, row_of,
                                 service_manager, text_of)

__all__ = ["clock"]  # the fixture, used by the tests below

pytestmark = pytest.mark.django_db
MEMBERS = reverse("membership:member_list")


@pytest.fixture
def three(clock):
    """Three members on 3 December 2026: 王建华 (12,000 points, last paid visit 1 July 2025: they expire
    on 1 January 2027, in 29 days), 李秀英 (800 points, last paid visit 1 October 2026) and 张伟 (none)."""
    return {
        "wang": member("王建华", points=12_000, joined=date(2025, 7, 1), mobile="13800001234"),
        "li": member("李秀英", points=800, joined=date(2026, 10, 1), mobile="13900005678"),
        "zhang": member("张伟", joined=date(2026, 11, 20), mobile="13700009999"),
    }


def test_the_list_asks_for_a_login(client):
    response = client.get(MEMBERS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_who_has_no_right_to_members_is_refused(login, agent):
    for user in (marketing_user(), agent):  # the callback agents do not keep the club
        assert login(user).get(MEMBERS).status_code == 403


def test_each_member_shows_their_number_tier_balances_last_paid_visit_and_expiry(login, general_manager, three):
    page = html(login(general_manager).get(MEMBERS))
    wang = three["wang"]
    row = row_of(page, f"member-{wang.pk}")
    # (the Chinese locale writes numbers without a thousands separator)
    assert cells_of(row) == [wang.number, "王建华 138****1234", "银卡", "12000", "12000", "2025-07-01",
                             "2027-01-01 即将过期"]
    assert "member-expiring" in row and f'href="/members/{wang.pk}/"' in row
    assert "13800001234" not in page  # masked
    assert cells_of(row_of(page, f"member-{three['li'].pk}"))[2:] == ["普卡", "800", "800", "2026-10-01", "2028-04-01"]
    assert cells_of(row_of(page, f"member-{three['zhang'].pk}"))[2:] == ["普卡", "0", "0", "—", "—"]
    assert text_of(element(page, "member-count")) == "3 位会员"


def test_the_tier_filter_shows_that_tiers_members(login, supervisor, three):
    silver = three["wang"].tier
    page = html(login(supervisor).get(MEMBERS, {"tier": silver.pk}))
    assert f'id="member-{three["wang"].pk}"' in page and f'id="member-{three["li"].pk}"' not in page
    assert f'<option value="{silver.pk}" selected>银卡</option>' in page


@pytest.mark.parametrize(("query", "found"), [("王建", "wang"), ("wangjianhua", "wang"), ("13900005678", "li")])
def test_a_member_is_found_by_name_pinyin_or_whole_mobile(login, general_manager, three, query, found):
    page = html(login(general_manager).get(MEMBERS, {"q": query}))
    rows = [key for key, one in three.items() if f'id="member-{one.pk}"' in page]
    assert rows == [found]


def test_a_member_is_found_by_the_number_on_their_card(login, general_manager, three):
    number = three["li"].number.lower()  # typed as read out, hy000012
    page = html(login(general_manager).get(MEMBERS, {"q": number}))
    assert [key for key, one in three.items() if f'id="member-{one.pk}"' in page] == ["li"]


def test_a_mobile_ending_is_searched_only_by_who_may_reveal_numbers_and_audited(login, general_manager, supervisor,
                                                                                three):
    page = html(login(general_manager).get(MEMBERS, {"q": "5678"}))
    assert "按手机尾号查找需要查看完整号码的权限" in page and 'id="member-empty"' in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_SEARCH).exists()
    page = html(login(supervisor).get(MEMBERS, {"q": "5678"}))
    assert f'id="member-{three["li"].pk}"' in page and f'id="member-{three["wang"].pk}"' not in page
    audited = AuditEvent.objects.get(action=AuditEvent.Action.PHONE_SEARCH)
    assert audited.actor == supervisor and audited.detail["via"] == "member_list" and audited.detail["digits"] == 4


@pytest.mark.parametrize("digits", ["8", "78", "123456789012"])
def test_any_other_digits_count_as_an_ending(login, general_manager, three, digits):
    page = html(login(general_manager).get(MEMBERS, {"q": digits}))
    assert "按手机尾号查找需要查看完整号码的权限" in page and 'id="member-empty"' in page


def test_expiring_soon_lists_the_members_whose_points_expire_within_sixty_days(login, supervisor, three):
    page = html(login(supervisor).get(MEMBERS, {"expiring": "on"}))
    assert f'id="member-{three["wang"].pk}"' in page
    assert f'id="member-{three["li"].pk}"' not in page and f'id="member-{three["zhang"].pk}"' not in page


def test_the_list_sorts_by_usable_points_both_ways(login, supervisor, three):
    client = login(supervisor)
    ids = [three[key].pk for key in ("wang", "li", "zhang")]

    def order(page):
        return sorted(ids, key=lambda pk: page.index(f'id="member-{pk}"'))

    assert order(html(client.get(MEMBERS, {"order": "-usable"}))) == ids
    assert order(html(client.get(MEMBERS, {"order": "usable"}))) == ids[::-1]
    assert order(html(client.get(MEMBERS))) == ids[::-1]  # the newest first
    header = html(client.get(MEMBERS, {"order": "-usable"}))
    assert 'aria-sort="descending"' in header and "order=usable" in header


def test_the_list_pages_by_thirty(login, supervisor, clock):
    made = [member(f"会员{n:02d}") for n in range(31)]
    client = login(supervisor)
    first = html(client.get(MEMBERS))
    assert f'id="member-{made[-1].pk}"' in first and f'id="member-{made[0].pk}"' not in first
    assert "第 1–30 条，共 31 条" in text_of(first)
    second = html(client.get(MEMBERS, {"page": 2}))
    assert f'id="member-{made[0].pk}"' in second and second.count('<tr id="member-') == 1


def test_no_member_yet_and_no_match_are_said(login, supervisor, clock):
    client = login(supervisor)
    assert "还没有会员" in text_of(element(html(client.get(MEMBERS)), "member-empty"))
    member("王建华")
    assert "没有符合筛选条件的会员" in text_of(element(html(client.get(MEMBERS, {"q": "赵"})), "member-empty"))


def test_the_list_runs_the_same_queries_for_few_members_and_many(login, service_manager_user, clock):
    client = login(service_manager_user)
    member("王建华", points=500)
    few = queries_of(client, MEMBERS)
    for n in range(12):
        member(f"会员{n:02d}", points=100 * n + 100)
    assert queries_of(client, MEMBERS) == few
    assert queries_of(client, f"{MEMBERS}?tier={member('李秀英', points=12_000).tier_id}&order=-visit") == few


@pytest.fixture
def service_manager_user(db):
    return service_manager()
