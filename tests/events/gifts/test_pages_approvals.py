"""The general manager's queue (/gifts/approvals/): each waiting request with the customer, the
reason, the cost, the budget left and the customer's year so far, warned when it would pass the cap,
the budget or the stock; approve or reject from the row (a rejection needs a comment); a fixed number
of queries; who asks gifts is taken to their own waiting requests."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.customers.factories import CustomerFactory

from .conftest import ask, html

pytestmark = pytest.mark.django_db
QUEUE = reverse("gifts:approval_list")


def test_the_queue_shows_each_request_with_the_budget_left_and_the_customer_year(login, general_manager, store):
    page = html(login(general_manager).get(QUEUE))
    waiting = store["waiting"]
    assert f'id="waiting-{waiting.pk}"' in page and f'id="waiting-{store["approved"].pk}"' not in page
    card = page.split(f'id="waiting-{waiting.pk}"')[1].split("</section>")[0]
    assert "王建华" in card and "品牌保温杯" in card and "¥68.00" in card and "生日" in card and "下周生日" in card
    assert "吴静申请" in card and "客户今年已批准 ¥59.00" in card and "¥500.00" in card
    assert "2026年12月" in page and 'id="queue-budget-left">剩余 ¥805.00' in page
    assert "1个申请待审批，共¥68.00" in page
    assert 'data-confirm="批准 %s？将从预算中扣除¥68.00，并从库存中出库。"' % waiting.number in card


@override_settings(GIFT_CAP_PER_CUSTOMER_YEAR=100)
def test_a_request_over_the_cap_is_marked(login, general_manager, store):
    page = html(login(general_manager).get(QUEUE))
    assert "gift-over-cap" in page  # 59 approved + 68 > 100


def test_approving_and_rejecting_from_the_queue(login, general_manager, interviewer, store, cup):
    other = ask(by=interviewer, customer=CustomerFactory(name="周强", address="某路9号"), gift=cup)
    client = login(general_manager)
    response = client.post(reverse("gifts:request_decide", args=[store["waiting"].pk]),
                           {"decision": "approve", "comment": "", "back": "queue"}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE and "已批准" in html(response)
    response = client.post(reverse("gifts:request_decide", args=[other.pk]),
                           {"decision": "reject", "comment": "", "back": "queue"}, follow=True)
    assert f"{other.number}：请填写驳回原因。" in html(response)
    client.post(reverse("gifts:request_decide", args=[other.pk]), {"decision": "reject", "comment": "重复", "back": "queue"})
    other.refresh_from_db()
    assert other.status == "rejected"
    assert 'id="queue-empty"' in html(client.get(QUEUE)) and "没有等待您审批的礼品申请。" in html(client.get(QUEUE))


def test_without_a_budget_for_today_the_queue_says_so(login, general_manager, interviewer, customer, cup, clock):
    ask(by=interviewer, customer=customer, gift=cup)
    page = html(login(general_manager).get(QUEUE))
    assert 'id="queue-no-budget"' in page and "设定预算" in page


def test_the_interviewer_is_taken_to_their_waiting_requests_and_a_colleague_refused(login, interviewer, colleague):
    response = login(interviewer).get(QUEUE)
    assert response.status_code == 302 and response["Location"] == reverse("gifts:request_list") + "?tab=requested"
    assert login(colleague).get(QUEUE).status_code == 403


def test_the_queue_runs_a_fixed_number_of_queries(login, general_manager, interviewer, store, cup,
                                                  django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(general_manager)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for n in range(8):
        ask(by=interviewer, customer=CustomerFactory(name=f"客户{n}", address="某路"), gift=cup)
    with django_assert_num_queries(len(few.captured_queries)):
        page = html(client.get(QUEUE))
    assert page.count('class="card mb-2 gift-waiting"') == 9
