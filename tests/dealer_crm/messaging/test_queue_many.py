"""messages_queue_many: a job's many messages, each about its own record, screened as a bulk send is
and inserted in a few queries; a key queued before is never queued twice."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.messaging.models import OutboundMessage, Purpose, SmsTemplate
from dealer_crm.messaging.services import MessagingError, QueueItem, messages_queue_many
from tests.customers.factories import CustomerFactory
from tests.followups.factories import refuse

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 5, 6, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def template():
    return SmsTemplate.objects.create(key="test_many", name="测试提醒", purpose=Purpose.SERVICE,
                                      text="{name}{title}您好，您的爱车{plate}将于{date}到期。")


def item(customer, key: str, plate: str = "皖C1", day: str = "5月20日") -> QueueItem:
    return QueueItem(customer_id=customer.pk, idempotency_key=key, variables={"plate": plate, "date": day},
                     source_id=key.rsplit(":", 1)[1])


def test_each_message_is_filled_in_with_its_own_values_and_its_record(template):
    wang, li = CustomerFactory(name="王磊", gender="M"), CustomerFactory(name="李娜", gender="F")
    with time_machine.travel(NOON, tick=False):
        outcome = messages_queue_many(items=[item(wang, "t:1", "皖C11111"), item(li, "t:2", "皖C22222", "6月1日")],
                                      purpose=Purpose.SERVICE, template=template)
    assert set(outcome.queued) == {"t:1", "t:2"} and outcome.refused == {}
    first, second = OutboundMessage.objects.get(pk=outcome.queued["t:1"]), OutboundMessage.objects.get(pk=outcome.queued["t:2"])
    assert first.text == "王磊先生您好，您的爱车皖C11111将于5月20日到期。"
    assert second.text == "李娜女士您好，您的爱车皖C22222将于6月1日到期。"
    assert (first.source_id, second.source_id, first.not_before) == ("1", "2", NOON)


def test_a_key_queued_before_keeps_its_message_and_nothing_is_added(template):
    customer = CustomerFactory()
    once = messages_queue_many(items=[item(customer, "t:7")], purpose=Purpose.SERVICE, template=template)
    again = messages_queue_many(items=[item(customer, "t:7")], purpose=Purpose.SERVICE, template=template)
    assert again.queued == once.queued and OutboundMessage.objects.count() == 1


def test_those_left_out_are_told_with_their_reasons(template):
    refusing, no_mobile, twice = CustomerFactory(), CustomerFactory(mobile=""), CustomerFactory()
    refuse(refusing, channel="sms", purpose="service")
    outcome = messages_queue_many(items=[item(refusing, "t:1"), item(no_mobile, "t:2"), item(twice, "t:3"),
                                         item(twice, "t:4")], purpose=Purpose.SERVICE, template=template)
    assert list(outcome.queued) == ["t:3"]
    assert outcome.refused == {"t:1": "opted_out", "t:2": "no_mobile", "t:4": "duplicate_mobile"}


def test_the_same_template_to_the_same_number_twice_a_day_is_left_out(template):
    customer = CustomerFactory()
    with time_machine.travel(NOON, tick=False):
        messages_queue_many(items=[item(customer, "t:1")], purpose=Purpose.SERVICE, template=template)
        later = messages_queue_many(items=[item(customer, "t:2")], purpose=Purpose.SERVICE, template=template)
    assert later.refused == {"t:2": "same_template"}


def test_a_text_not_in_use_is_refused_as_a_whole(template):
    template.active = False
    template.save()
    with pytest.raises(MessagingError):
        messages_queue_many(items=[item(CustomerFactory(), "t:1")], purpose=Purpose.SERVICE, template=template)


def test_a_job_of_many_messages_takes_a_fixed_number_of_queries(template, django_assert_max_num_queries):
    customers = [CustomerFactory() for _n in range(40)]
    with django_assert_max_num_queries(12):
        outcome = messages_queue_many(items=[item(c, f"t:{c.pk}") for c in customers], purpose=Purpose.SERVICE,
                                      template=template)
    assert len(outcome.queued) == 40
