"""How the gifts' steps read on the customer's timeline, in Chinese and in English: the request's
number, the gift and its quantity, the reason and the child, the cost, who decided, the courier and
the number, and the words people wrote."""

import pytest
from django.utils import translation

from customers.models import TimelineEntry
from customers.timeline import entry_text
from events.gifts import services

from .conftest import ask

pytestmark = pytest.mark.django_db


def texts(customer, language="zh-hans") -> list[tuple[str, str]]:
    with translation.override(language):
        return [tuple(entry_text(kind=e.kind, params=e.params, title=e.title, body=e.body))
                for e in TimelineEntry.objects.filter(customer=customer, kind="gift").order_by("id")]


def test_a_child_gift_handed_over_reads_with_the_child(clock, interviewer, general_manager, supervisor, customer,
                                                       child, picture_books, budget):
    request = ask(by=interviewer, customer=customer, gift=picture_books, reason="child_birthday", family_member=child,
                  delivery="in_store")
    services.gift_request_approve(request=request, by=general_manager)
    services.gift_request_send(request=request, by=supervisor)
    number = request.number
    assert [title for title, _ in texts(customer)] == [
        f"礼品 {number} 已申请：儿童绘本套装（孩子生日 · 王小宝），¥59.00",
        f"礼品 {number} 已由陈建国批准：儿童绘本套装，¥59.00",
        f"礼品 {number} 已在店内交给客户：儿童绘本套装",
    ]
    assert texts(customer, "en")[2][0] == f"Gift {number} handed over in the store: 儿童绘本套装"


def test_a_rejection_and_a_cancellation_read_with_their_words(clock, interviewer, general_manager, customer, cup,
                                                              budget):
    rejected = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_reject(request=rejected, by=general_manager, comment="本月已送过")
    cancelled = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_cancel(request=cancelled, by=interviewer, reason="客户婉拒")
    shown = texts(customer)
    assert shown[1] == (f"礼品 {rejected.number} 被陈建国驳回：品牌保温杯", "本月已送过")
    assert shown[3] == (f"礼品 {cancelled.number} 已取消：品牌保温杯", "客户婉拒")
