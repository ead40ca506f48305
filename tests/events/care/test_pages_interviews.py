"""The interview pages: the form opened from the customer's page (the file as stored, the family with
two empty rows, the gift menu of gifts in stock), a saved interview and what it brought, an error that
keeps everything typed, the interview's page, the list with its filters, pages, empty state and a fixed
number of queries; who may open what."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from customers import services as archive
from events.care import services
from events.care.models import Interview
from events.gifts.models import GiftRequest
from followups.callbacks.models import Problem
from followups.leads.models import Lead

from .conftest import AT_10, html

pytestmark = pytest.mark.django_db
LIST = reverse("care:interview_list")
NEW = reverse("care:interview_create")


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def blank_post(page_data: dict | None = None, **values) -> dict:
    """What the browser sends for an untouched form of a customer with one child (two empty rows)."""
    data = {
        "place": "store", "summary": "", "occupation": "", "social_level": "", "interests": "钓鱼",
        "expectations": "", "birthday": "", "importance": "normal", "gift": "", "gift_quantity": "1",
        "gift_for": "", "gift_delivery": "post", "gift_address": "",
        "family-TOTAL_FORMS": "3", "family-INITIAL_FORMS": "3", "family-MIN_NUM_FORMS": "0", "family-MAX_NUM_FORMS": "1000",
        "suggestion-TOTAL_FORMS": "3", "suggestion-INITIAL_FORMS": "0", "suggestion-MIN_NUM_FORMS": "0",
        "suggestion-MAX_NUM_FORMS": "10",
        "referral-TOTAL_FORMS": "2", "referral-INITIAL_FORMS": "0", "referral-MIN_NUM_FORMS": "0",
        "referral-MAX_NUM_FORMS": "10",
    }
    for index in range(3):
        data.update({f"suggestion-{index}-text": "", f"suggestion-{index}-department": "",
                     f"suggestion-{index}-category": "other"})
    for index in range(2):
        data.update({f"referral-{index}-name": "", f"referral-{index}-mobile": "", f"referral-{index}-timing": "unknown"})
    data.update(page_data or {})
    data.update(values)
    return data


def opened(client, customer) -> dict:
    """The hidden fields of the form as the page serves it (the base and the family's rows)."""
    import re

    page = html(client.get(NEW, {"customer": customer.pk}))
    token = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    child = customer.family.get()
    return {"opened": token, "family-0-member": str(child.pk), "family-0-relation": "child",
            "family-0-name": child.name, "family-0-birthday": child.birthday.isoformat()}


def test_the_form_shows_the_file_the_family_and_the_gift_menu(login, interviewer, customer, gifts):
    page = html(login(interviewer).get(NEW, {"customer": customer.pk}))
    assert "与王建华的面访" in page and "钓鱼" in page and "王小雨" in page
    assert 'id="menu-gift-%d"' % gifts["tea"].pk in page and 'id="menu-gift-%d"' % gifts["toy"].pk in page
    assert "保温杯" not in page and "后备箱收纳箱" not in page  # none in stock; not on the menu
    assert 'id="family-row-2"' in page and 'id="referral-row-1"' in page and "重要客户面访表" in page


def test_an_interview_saved_fills_the_file_and_hands_everything_on(login, interviewer, customer, gifts):
    client = login(interviewer)
    data = blank_post(opened(client, customer), occupation="中学教师", interests="钓鱼、摄影", summary="聊了很多", **{
        "family-1-relation": "spouse", "family-1-name": "李芳", "family-1-birthday": "1986-05-20",
        "suggestion-0-text": "保养等待太久", "suggestion-0-department": "service", "suggestion-0-category": "waiting",
        "referral-0-name": "赵强", "referral-0-mobile": "13955550202", "referral-0-model_interest": "科雷嘉",
        "gift": str(gifts["toy"].pk), "gift_for": str(customer.family.get().pk),
        "important-company": "奇瑞配套", "important-position": "经理"})
    response = client.post(f"{NEW}?customer={customer.pk}", data)
    interview = Interview.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("care:interview_detail", args=[interview.pk])
    customer.refresh_from_db()
    assert (customer.occupation, customer.interests) == ("中学教师", "钓鱼、摄影")
    assert customer.family.filter(name="李芳", relation="spouse").exists()
    assert Problem.objects.get().department == "service"
    assert Lead.objects.get().referred_by == customer
    assert GiftRequest.objects.get().reason == "interview"
    page = html(client.get(response["Location"]))
    for words in ("保养等待太久", "赵强", "雷诺车模", "奇瑞配套", "中学教师", "聊了很多"):
        assert words in page


def test_a_refused_interview_keeps_everything_typed(login, interviewer, customer, gifts):
    client = login(interviewer)
    data = blank_post(opened(client, customer), occupation="中学教师", summary="长谈", **{
        "suggestion-0-text": "洗车要快", "referral-0-name": "赵强", "referral-0-mobile": "12345",
        "important-company": "奇瑞配套"})
    response = client.post(f"{NEW}?customer={customer.pk}", data)
    page = html(response)
    assert response.status_code == 400 and not Interview.objects.exists()
    for typed in ("中学教师", "长谈", "洗车要快", "赵强", "12345", "奇瑞配套"):
        assert typed in page
    assert "alert-danger" in page


def test_a_row_half_filled_is_told_at_its_field(login, interviewer, customer):
    client = login(interviewer)
    data = blank_post(opened(client, customer), **{"referral-0-name": "赵强", "family-1-name": "李芳"})
    page = html(client.post(f"{NEW}?customer={customer.pk}", data))
    assert "请输入其手机号" in page or "Enter their mobile" in page
    assert "李芳" in page and not Interview.objects.exists()


def test_a_colleague_s_change_meanwhile_comes_back_and_a_second_save_writes(login, interviewer, supervisor, customer):
    client = login(interviewer)
    data = blank_post(opened(client, customer), occupation="医生")
    archive.customer_update(customer=customer, by=supervisor, occupation="律师")
    response = client.post(f"{NEW}?customer={customer.pk}", data)
    assert response.status_code == 400 and "律师" in html(response)
    import re

    data["opened"] = re.search(r'name="opened" value="([^"]+)"', html(response)).group(1)
    assert client.post(f"{NEW}?customer={customer.pk}", data).status_code == 302
    customer.refresh_from_db()
    assert customer.occupation == "医生"


def test_a_link_without_a_customer_says_so(login, interviewer):
    response = login(interviewer).get(NEW)
    assert response.status_code == 400 and 'id="interview-broken-link"' in html(response)


def test_who_may_not_interview_is_refused(login, marketing, customer):
    client = login(marketing)
    assert client.get(NEW, {"customer": customer.pk}).status_code == 403
    assert client.get(LIST).status_code == 403


def test_the_lounge_host_sees_no_gift_menu_and_no_department(login, host, customer, gifts):
    page = html(login(host).get(NEW, {"customer": customer.pk}))
    assert 'id="interview-gift"' not in page and "suggestion-0-department" not in page
    assert 'id="interview-referrals"' in page


# --- the list ----------------------------------------------------------------------------------------
@pytest.fixture
def held(interviewer, supervisor, customer, gifts):
    other = archive.customer_create(by=None, name="李静", mobile="13955550404")
    with time_machine.travel(AT_10 - timedelta(days=3), tick=False):
        old = services.interview_record(customer=other, by=supervisor, place="home")
    plain = services.interview_record(customer=customer, by=interviewer, summary="日常")
    rich = services.interview_record(customer=customer, by=interviewer, gift=gifts["tea"],
                                     suggestions=[{"text": "好", "department": "sales", "category": "staff"}],
                                     referrals=[{"name": "赵强", "mobile": "13955550202"}],
                                     important={"company": "奇瑞"})
    return {"old": old, "plain": plain, "rich": rich}


def shown(page, held):
    return {key for key, interview in held.items() if f'id="interview-{interview.pk}"' in page}


def test_the_list_shows_every_interview_with_what_it_brought(login, interviewer, held):
    page = html(login(interviewer).get(LIST))
    assert shown(page, held) == set(held)
    assert "黄山毛峰礼盒" in page and "重要客户面访表" in page


@pytest.mark.parametrize("query, expected", [
    ({"q": "李"}, {"old"}),
    ({"place": "home"}, {"old"}),
    ({"having": "gift"}, {"rich"}),
    ({"having": "referrals"}, {"rich"}),
    ({"having": "problems"}, {"rich"}),
    ({"having": "important"}, {"rich"}),
    ({"held_from": "2026-12-03"}, {"plain", "rich"}),
    ({"held_until": "2026-11-30"}, {"old"}),
    ({"held_from": "不是日期"}, {"old", "plain", "rich"}),
])
def test_the_filters(login, interviewer, held, query, expected):
    assert shown(html(login(interviewer).get(LIST, query)), held) == expected


def test_the_interviewer_filter(login, interviewer, supervisor, held):
    assert shown(html(login(interviewer).get(LIST, {"interviewer": supervisor.pk})), held) == {"old"}


def test_an_empty_list_says_where_to_start(login, interviewer):
    page = html(login(interviewer).get(LIST))
    assert 'id="interview-empty"' in page


def test_the_list_pages_by_thirty(login, interviewer, customer):
    for _ in range(31):
        services.interview_record(customer=customer, by=interviewer)
    client = login(interviewer)
    assert html(client.get(LIST)).count('id="interview-') - html(client.get(LIST)).count('id="interview-count') \
        - html(client.get(LIST)).count('id="interview-filters') >= 30
    second = html(client.get(LIST, {"page": 2}))
    assert second.count('<tr id="interview-') == 1 and "2 / 2" in second


def test_the_list_runs_the_same_queries_for_few_and_many(login, interviewer, customer, gifts, django_assert_max_num_queries):
    client = login(interviewer)
    services.interview_record(customer=customer, by=interviewer, gift=gifts["tea"])
    client.get(LIST)
    with django_assert_max_num_queries(12) as few:
        assert client.get(LIST).status_code == 200
    for number in range(8):
        other = archive.customer_create(by=None, name=f"客户{number}", mobile=f"1395555{number:04d}")
        services.interview_record(customer=other, by=interviewer, suggestions=[{"text": "好"}],
                                  referrals=[{"name": f"朋友{number}", "mobile": f"1396666{number:04d}"}],
                                  important={"company": "某公司"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200


def test_the_interview_page_runs_the_same_queries_for_few_and_many(login, interviewer, customer,
                                                                   django_assert_max_num_queries):
    client = login(interviewer)
    one = services.interview_record(customer=customer, by=interviewer, suggestions=[{"text": "好"}])
    client.get(reverse("care:interview_detail", args=[one.pk]))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("care:interview_detail", args=[one.pk]))
    many = services.interview_record(
        customer=customer, by=interviewer,
        suggestions=[{"text": f"建议{n}", "department": "service", "category": "other"} for n in range(4)],
        referrals=[{"name": f"朋友{n}", "mobile": f"1396666{n:04d}"} for n in range(4)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(reverse("care:interview_detail", args=[many.pk])))
    assert "建议3" in page and "朋友3" in page


def test_the_general_manager_reads_interviews_but_starts_none(login, general_manager, held):
    client = login(general_manager)
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("care:interview_detail", args=[held["rich"].pk])).status_code == 200
    assert client.get(NEW, {"customer": held["rich"].customer_id}).status_code == 403


def test_a_referral_s_mistyped_mobile_is_told_at_its_field(login, interviewer, customer):
    client = login(interviewer)
    data = blank_post(opened(client, customer), summary="长谈", **{"referral-0-name": "赵强", "referral-0-mobile": "12345"})
    page = html(client.post(f"{NEW}?customer={customer.pk}", data))
    row = page.split('id="referral-row-0"')[1].split('id="referral-row-1"')[0]
    assert 'id="interview-invalid"' in page and "invalid-feedback" in row and "不是有效的电话号码" in row
    assert not Interview.objects.exists()


def test_the_form_runs_the_same_queries_for_a_small_and_a_big_family(login, interviewer, customer, gifts,
                                                                     django_assert_max_num_queries):
    client = login(interviewer)
    client.get(NEW, {"customer": customer.pk})
    with django_assert_max_num_queries(12) as few:
        assert client.get(NEW, {"customer": customer.pk}).status_code == 200
    for number in range(5):
        archive.family_member_save(customer=customer, by=None, relation="child", name=f"孩子{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(NEW, {"customer": customer.pk}))
    assert "孩子4" in page
