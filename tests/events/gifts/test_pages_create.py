"""Asking for a gift (/gifts/new/): the form pre-filled from the link that opened it (the customer's
page, a child's birthday, an event, an interview's gift choice), the gift menu beside it, the errors
in Chinese with nothing typed lost, and the request made waiting for the general manager."""

import pytest
from django.urls import reverse

from events.gifts.models import Gift, GiftRequest
from events.models import Event

from .conftest import NOW, html

pytestmark = pytest.mark.django_db
CREATE = reverse("gifts:request_create")


def test_from_the_customer_page_the_form_has_their_address_and_the_menu(login, interviewer, customer, cup,
                                                                         picture_books):
    Gift.objects.create(name="旧款台历", unit_cost=20, stock=3, active=False)
    Gift.objects.create(name="纪念雨伞", unit_cost=35, stock=0)
    page = html(login(interviewer).get(CREATE, {"customer": customer.pk}))
    assert "为王建华申请礼品" in page
    assert 'value="浦东新区张江路100号"' in page
    assert "品牌保温杯（¥68.00，库存10）" in page and "儿童绘本套装（¥59.00，库存5，儿童礼品）" in page
    assert "旧款台历" not in page and "纪念雨伞" not in page  # retired, out of stock
    assert 'id="menu-gift-%d"' % cup.pk in page
    assert 'name="family_member"' not in page  # no child on file


def test_a_child_birthday_link_chooses_the_child_the_reason_and_a_gift_for_children(login, interviewer, customer,
                                                                                    child, cup, picture_books):
    page = html(login(interviewer).get(CREATE, {"customer": customer.pk, "reason": "child_birthday",
                                                "family_member": child.pk}))
    form = login(interviewer).get(CREATE, {"customer": customer.pk, "reason": "child_birthday",
                                           "family_member": child.pk}).context["form"]
    assert form.initial["reason"] == "child_birthday" and form.initial["family_member"] == child.pk
    assert form.initial["gift"] == picture_books.pk
    assert '<option value="%d" selected>王小宝' % child.pk in page


def test_an_event_link_names_the_event_and_the_reason(login, interviewer, customer, cup, marketing):
    event = Event.objects.create(title="科雷傲车主日", kind="owners_day", starts_at=NOW, venue="展厅", organiser=marketing)
    response = login(interviewer).get(CREATE, {"customer": customer.pk, "event": event.pk, "gift": cup.pk})
    assert "用于活动“科雷傲车主日”" in html(response)
    assert response.context["form"].initial["reason"] == "event" and response.context["form"].initial["gift"] == cup.pk


def test_a_link_naming_nobody_on_file_says_so(login, interviewer, customer, child):
    client = login(interviewer)
    for params in ({}, {"customer": "abc"}, {"customer": customer.pk, "family_member": 999999},
                   {"customer": customer.pk, "gift": 999999}, {"customer": customer.pk, "event": 999999}):
        response = client.get(CREATE, params)
        assert response.status_code == 400 and 'id="broken-link"' in html(response)
    assert client.get(CREATE, {"customer": 999999}).status_code == 404


def test_who_cannot_ask_is_refused(login, colleague, customer):
    assert login(colleague).get(CREATE, {"customer": customer.pk}).status_code == 403


def test_the_request_is_made_and_waits(login, interviewer, customer, cup, clock):
    response = login(interviewer).post(f"{CREATE}?customer={customer.pk}", {
        "gift": cup.pk, "quantity": 2, "reason": "interview", "delivery": "post", "address": "浦东新区张江路100号",
        "note": "面访时选的"}, follow=True)
    request = GiftRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("gifts:request_detail", args=[request.pk])
    assert f"礼品申请 {request.number} 已提交，等待总经理审批。" in html(response)
    assert request.quantity == 2 and request.reason == "interview" and request.requested_by == interviewer


def test_errors_come_back_in_chinese_with_what_was_typed(login, interviewer, cup):
    from tests.customers.factories import CustomerFactory

    nowhere = CustomerFactory(name="赵六", address="")
    client = login(interviewer)
    response = client.post(f"{CREATE}?customer={nowhere.pk}", {"gift": "", "quantity": 0, "reason": "",
                                                               "delivery": "post", "note": "记得包装"})
    page = html(response)
    assert response.status_code == 400
    assert "请选择礼品。" in page and "请选择送礼原因。" in page and "数量为1到20。" in page and "记得包装" in page
    response = client.post(f"{CREATE}?customer={nowhere.pk}", {"gift": cup.pk, "quantity": 1, "reason": "birthday",
                                                               "delivery": "post", "address": "", "note": "记得包装"})
    assert response.status_code == 400 and "请填写寄送地址（客户档案中没有地址）。" in html(response)
    assert "记得包装" in html(response) and not GiftRequest.objects.exists()
