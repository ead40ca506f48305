"""Queueing one message: one row per idempotency key whatever happens twice, the recipient's refusals,
and what the gateway can send."""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection

from customers.models import ContactPreference
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.gateways.base import Gateway
from dealer_crm.messaging.models import OutboundMessage, Purpose, SmsTemplate
from dealer_crm.messaging.services import MessagingError
from tests.customers.factories import CustomerFactory, make_vehicle

NOON = "2026-12-01 12:00 +08:00"


class TemplateOnlyGateway(Gateway):
    """A gateway like Aliyun's: approved templates only, by their code."""

    name = "aliyun"
    free_text = False

    def template_code(self, template) -> str:
        return template.aliyun_code


@pytest.fixture(autouse=True)
def _console(settings, tmp_path):
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_STORE_NAME = "蚌埠雷诺4S店"
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def customer(db):
    customer = CustomerFactory(name="张三", gender="M", mobile="13812345678")
    make_vehicle(customer, serial=1, plate="皖C12345", model_name="科雷傲")
    return customer


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}{title}您好，您的{model}（{plate}）保养到期，{store}恭候。",
                                      aliyun_code="SMS_123456789")


def queue(customer, **kwargs):
    kwargs.setdefault("purpose", Purpose.SERVICE)
    kwargs.setdefault("idempotency_key", f"maintenance:{customer.pk}:2026-12-01")
    return services.message_queue(customer_id=customer.pk, **kwargs)


def test_it_queues_the_text_filled_in_for_the_customer(customer, reminder):
    outcome = queue(customer, template=reminder)
    assert outcome.created and outcome.excluded == ""
    message = OutboundMessage.objects.get()
    assert message.text == "张三先生您好，您的科雷傲（皖C12345）保养到期，蚌埠雷诺4S店恭候。"
    assert message.phone == "13812345678"
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.variables == {"name": "张三", "title": "先生", "model": "科雷傲", "plate": "皖C12345",
                                 "store": "蚌埠雷诺4S店"}


def test_a_second_call_with_the_same_key_makes_no_row(customer, reminder):
    first = queue(customer, template=reminder)
    second = queue(customer, template=reminder)
    assert OutboundMessage.objects.count() == 1
    assert not second.created
    assert second.excluded == Exclusion.ALREADY_QUEUED
    assert second.message.pk == first.message.pk


def test_another_key_is_another_message(customer, reminder):
    queue(customer, template=reminder, idempotency_key="a")
    queue(customer, text="您的车已修好，可以来取车了。", idempotency_key="b")
    assert OutboundMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_queueings_at_once_make_one_row():
    customer = CustomerFactory(name="张三", mobile="13812345678")
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def queue_it():
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE,
                                                   text="您的车已修好，可以来取车了。", idempotency_key="pickup:1"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=queue_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert OutboundMessage.objects.filter(idempotency_key="pickup:1").count() == 1
    assert sorted(outcome.created for outcome in outcomes) == [False, True]
    assert len({outcome.message.pk for outcome in outcomes}) == 1


def test_a_customer_without_a_mobile_gets_nothing(db, reminder):
    customer = CustomerFactory(mobile="")
    outcome = queue(customer, template=reminder)
    assert (outcome.message, outcome.created, outcome.excluded) == (None, False, Exclusion.NO_MOBILE)
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(("channel", "purpose", "reason"), [
    ("sms", "service", Exclusion.OPTED_OUT),
    ("sms", "all", Exclusion.REFUSES_SMS),
    ("any", "all", Exclusion.REFUSES_ALL),
])
def test_a_customer_who_refuses_gets_nothing_and_the_reason_is_told(customer, reminder, channel, purpose, reason):
    ContactPreference.objects.create(customer=customer, channel=channel, purpose=purpose, allowed=False,
                                     recorded_on=date(2026, 11, 1))
    outcome = queue(customer, template=reminder)
    assert outcome.excluded == reason
    assert not outcome.created
    assert not OutboundMessage.objects.exists()


def test_an_unknown_customer_gets_nothing(db, reminder):
    outcome = services.message_queue(customer_id=999_999, purpose=Purpose.SERVICE, template=reminder,
                                     idempotency_key="x")
    assert outcome.message is None and not outcome.created
    assert not OutboundMessage.objects.exists()


def test_marketing_text_gets_the_opt_out_line(customer):
    queue(customer, purpose=Purpose.MARKETING, text="本周六新车品鉴会，欢迎{name}{title}到店。")
    assert OutboundMessage.objects.get().text == "本周六新车品鉴会，欢迎张三先生到店。 回T退订"


# --- what the gateway can send ------------------------------------------------------------------
def test_free_text_is_refused_on_a_gateway_that_sends_only_templates(customer, reminder):
    with pytest.raises(MessagingError, match="aliyun"):
        services.template_check(template=None, text="您的车已修好。", gateway=TemplateOnlyGateway())
    services.template_check(template=reminder, text="", gateway=TemplateOnlyGateway())  # the template goes


def test_a_template_without_an_approved_code_is_refused_on_that_gateway(db):
    unapproved = SmsTemplate.objects.create(key="event", name="活动邀请", purpose=Purpose.MARKETING, text="本周六试驾会")
    with pytest.raises(MessagingError, match="活动邀请"):
        services.template_check(template=unapproved, text="", gateway=TemplateOnlyGateway())
    services.template_check(template=unapproved, text="")  # the console sends any text


def test_an_inactive_template_is_refused(customer, reminder):
    reminder.active = False
    reminder.save()
    with pytest.raises(MessagingError, match="保养到期提醒"):
        queue(customer, template=reminder)
    assert not OutboundMessage.objects.exists()


def test_no_template_and_no_text_is_refused(customer):
    with pytest.raises(MessagingError):
        queue(customer, text="  ")


def test_free_text_with_an_unknown_variable_or_a_typed_signature_is_refused(customer):
    from django.core.exceptions import ValidationError

    for text in ("您的积分{points}即将过期", "【雷诺4S店】您的车已修好"):
        with pytest.raises(ValidationError):
            queue(customer, text=text, idempotency_key=text)
    assert not OutboundMessage.objects.exists()
