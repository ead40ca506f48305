"""The request list (/gifts/): who sees which requests, the tabs with their counts, the filters by
reason, month and customer or number, the pages, the empty states, a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse

from .conftest import NOW, ask, html, shown

pytestmark = pytest.mark.django_db
LIST = reverse("gifts:request_list")


def test_the_dcrc_and_the_general_manager_see_every_request(login, supervisor, general_manager, store):
    assert shown(html(login(supervisor).get(LIST)), store) == set(store)
    assert shown(html(login(general_manager).get(LIST)), store) == set(store)


def test_the_interviewer_sees_the_requests_they_asked_for(login, interviewer, store):
    page = html(login(interviewer).get(LIST))
    assert shown(page, store) == {"waiting", "approved", "rejected", "cancelled"}
    assert "您申请的礼品" in page


def test_a_colleague_without_the_right_is_refused(login, colleague, store):
    assert login(colleague).get(LIST).status_code == 403


def test_the_tabs_count_and_filter_by_state(login, supervisor, store):
    client = login(supervisor)
    page = html(client.get(LIST))
    assert 'id="tab-requested"' in page and "待审批 <span" in page
    assert shown(html(client.get(LIST, {"tab": "approved"})), store) == {"approved"}
    assert shown(html(client.get(LIST, {"tab": "sent"})), store) == {"sent", "handed"}
    tabs = client.get(LIST).context["tabs"]
    assert {tab["key"]: tab["count"] for tab in tabs} == {"requested": 1, "approved": 1, "sent": 2, "rejected": 1,
                                                          "cancelled": 1, "all": 6}


def test_the_filters_by_reason_month_name_and_number(login, supervisor, store):
    client = login(supervisor)
    assert shown(html(client.get(LIST, {"reason": "child_birthday"})), store) == {"approved"}
    assert shown(html(client.get(LIST, {"month": "2026-12"})), store) == set(store)
    assert shown(html(client.get(LIST, {"month": "2026-11"})), store) == set()
    assert shown(html(client.get(LIST, {"q": "王建华"})), store) == {"waiting", "approved"}
    assert shown(html(client.get(LIST, {"q": store["sent"].number})), store) == {"sent"}
    page = html(client.get(LIST, {"month": "2026-11"}))
    assert 'id="request-empty"' in page and "没有符合筛选条件的礼品申请" in page
    assert client.get(LIST, {"month": "2026-99", "reason": "bogus"}).status_code == 200  # an old link: ignored


def test_a_row_shows_the_customer_the_gift_the_cost_and_the_state(login, supervisor, store):
    page = html(login(supervisor).get(LIST))
    row = page.split(f'id="request-{store["approved"].pk}"')[1].split("</tr>")[0]
    assert "王建华" in row and "儿童绘本套装" in row and "¥59.00" in row and "孩子生日" in row
    assert "送给王小宝" in row and "已批准" in row and "陈建国" in row


def test_the_empty_list_says_where_gifts_are_asked_for(login, supervisor):
    page = html(login(supervisor).get(LIST))
    assert 'id="request-empty"' in page and "礼品在客户档案中申请" in page


def test_pages_of_thirty_and_a_fixed_number_of_queries(login, supervisor, interviewer, customer, cup, clock,
                                                       django_assert_num_queries):
    client = login(supervisor)
    for minutes in range(3):
        ask(by=interviewer, customer=customer, gift=cup, now=NOW - timedelta(minutes=minutes))
    client.get(LIST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for minutes in range(3, 33):
        ask(by=interviewer, customer=customer, gift=cup, now=NOW - timedelta(minutes=minutes))
    with django_assert_num_queries(len(few.captured_queries)):
        page = html(client.get(LIST))
    assert page.count('class="gift-row"') == 30 and "1 / 2" in page
    second = html(client.get(LIST, {"page": 2}))
    assert second.count('class="gift-row"') == 3
