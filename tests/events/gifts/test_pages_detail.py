"""One request's page (/gifts/<pk>/): its story, and the step its reader may take now — the general
manager decides (not their own; a rejection needs a comment), the DCRC sends (courier and number for a
gift posted), who asked cancels; a refused step comes back with the form as typed."""

import pytest
from django.urls import reverse

from events.gifts.models import GiftBudget

from .conftest import ask, html

pytestmark = pytest.mark.django_db


def url(request, step=""):
    return reverse(f"gifts:request_{step or 'detail'}", args=[request.pk])


def test_the_general_manager_sees_the_budget_left_and_the_customer_year_then_approves(login, general_manager, store):
    client = login(general_manager)
    waiting = store["waiting"]
    page = html(client.get(url(waiting)))
    assert 'id="decide-form"' in page
    assert "¥805.00" in page  # 1,000 less the approved 59 (still to post) and the posted and handed-over 68s
    assert "客户今年已批准" in page and "¥59.00" in page
    response = client.post(url(waiting, "decide"), {"decision": "approve", "comment": "同意"}, follow=True)
    assert f"礼品申请 {waiting.number} 已批准：由客服部寄出。" in html(response)
    waiting.refresh_from_db()
    assert waiting.status == "approved" and waiting.decision_comment == "同意"


def test_a_rejection_without_a_comment_comes_back_in_chinese(login, general_manager, store):
    client = login(general_manager)
    response = client.post(url(store["waiting"], "decide"), {"decision": "reject", "comment": ""})
    assert response.status_code == 400 and "请填写驳回原因。" in html(response)
    store["waiting"].refresh_from_db()
    assert store["waiting"].status == "requested"


def test_the_general_manager_does_not_decide_their_own_request(login, general_manager, customer, cup, budget, clock):
    own = ask(by=general_manager, customer=customer, gift=cup)
    client = login(general_manager)
    page = html(client.get(url(own)))
    assert 'id="decide-form"' not in page and "这是您提交的申请：由另一位总经理审批。" in page
    response = client.post(url(own, "decide"), {"decision": "approve"})
    assert response.status_code == 400 and "不能审批自己提交的申请" in html(response)


def test_a_budget_too_small_refuses_with_the_amount_left(login, general_manager, store):
    GiftBudget.objects.filter(pk=store["waiting"].budget_id or GiftBudget.objects.get().pk).update(
        committed=GiftBudget.objects.get().amount - 10)
    response = login(general_manager).post(url(store["waiting"], "decide"), {"decision": "approve"})
    assert response.status_code == 400 and "2026年12月的预算只剩¥10.00：该礼品需要¥68.00。" in html(response)


def test_the_story_of_a_posted_gift(login, supervisor, store):
    page = html(login(supervisor).get(url(store["sent"])))
    assert "刘芳提交申请" in page and "陈建国批准，计入2026年12月的预算" in page
    assert "刘芳寄出：顺丰速运，单号 SF1234567890" in page and 'id="send-form"' not in page


def test_the_dcrc_posts_an_approved_gift_with_the_courier_and_the_number(login, supervisor, store):
    client = login(supervisor)
    approved = store["approved"]
    page = html(client.get(url(approved)))
    assert 'id="send-form"' in page and 'value="浦东新区张江路100号"' in page and "顺丰速运" in page
    response = client.post(url(approved, "send"), {"send-courier": "", "send-tracking_number": "",
                                                   "send-address": "浦东新区张江路100号"})
    assert response.status_code == 400 and "请填写快递公司。" in html(response) and "请填写快递单号。" in html(response)
    response = client.post(url(approved, "send"), {"send-courier": "中通快递", "send-tracking_number": "ZT998877",
                                                   "send-address": "浦东新区张江路100号"}, follow=True)
    assert f"礼品 {approved.number} 已登记寄出。" in html(response)
    approved.refresh_from_db()
    assert approved.status == "sent" and approved.tracking_number == "ZT998877"


def test_who_asked_cancels_and_an_approved_one_gives_back(login, interviewer, store):
    client = login(interviewer)
    approved = store["approved"]
    page = html(client.get(url(approved)))
    assert 'id="cancel-form"' in page and "费用退回预算，礼品退回库存" in page
    assert client.post(url(approved, "cancel"), {"cancel-reason": ""}).status_code == 400
    client.post(url(approved, "cancel"), {"cancel-reason": "客户婉拒"})
    approved.refresh_from_db()
    assert approved.status == "cancelled"
    approved.gift.refresh_from_db()
    assert approved.gift.stock == 5


def test_who_may_not_act_is_refused(login, interviewer, agent, store):
    client = login(interviewer)
    assert client.post(url(store["waiting"], "decide"), {"decision": "approve"}).status_code == 403
    assert client.post(url(store["approved"], "send"), {"send-courier": "x"}).status_code == 403
    assert login(agent).get(url(store["waiting"])).status_code == 404  # not theirs: not even that it exists
    assert client.get(reverse("gifts:request_detail", args=[999999])).status_code == 404


def test_the_page_runs_a_fixed_number_of_queries(login, general_manager, store, django_assert_max_num_queries):
    client = login(general_manager)
    client.get(url(store["waiting"]))
    with django_assert_max_num_queries(12):
        client.get(url(store["waiting"]))
    with django_assert_max_num_queries(12):
        client.get(url(store["sent"]))


def test_the_general_manager_rejects_a_waiting_request_rather_than_cancel_it(login, general_manager, store):
    client = login(general_manager)
    assert 'id="cancel-form"' not in html(client.get(url(store["waiting"])))
    assert 'id="cancel-form"' in html(client.get(url(store["approved"])))
    assert client.post(url(store["waiting"], "cancel"), {"cancel-reason": "不要"}).status_code == 403
