"""Customers who take no calls: the SMS route, the skip route, and those who refuse everything."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from customers.models import TimelineEntry
from dealer_crm.messaging.models import OutboundMessage, SmsTemplate
from followups.callbacks.models import Callback, CallbackRule
from followups.callbacks.services.building import callbacks_build, close_reason_label
from tests.followups.factories import default_callback_rules, deliver, refuse, repair_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 6, 1)
ON = DELIVERED + timedelta(days=3)


def build(on: date = ON) -> dict[str, int]:
    now = datetime.combine(on, time(5, 30), tzinfo=SHANGHAI)
    with time_machine.travel(now, tick=False):
        return callbacks_build(on=on, now=now)


def ssi_of(vehicle) -> Callback:
    return Callback.objects.get(kind="ssi", vehicle=vehicle)


def test_a_customer_who_takes_no_service_calls_gets_the_survey_sms_instead():
    vehicle = deliver(on=DELIVERED, name="钱七", gender="M")
    customer = vehicle.roles.get().customer
    refuse(customer, channel="phone", purpose="service")

    counts = build()

    callback = ssi_of(vehicle)
    assert callback.status == Callback.Status.SMS_SENT
    assert callback.close_reason == "no_calls"
    assert callback.closed_at is not None
    assert counts["sms_sent"] == 2  # the thank-you and the SSI callback
    message = OutboundMessage.objects.get(idempotency_key=f"callback-sms:{callback.pk}")
    assert message.customer_id == customer.pk
    assert message.purpose == "service"
    assert message.template == SmsTemplate.objects.get(key="callback_survey_sms")
    assert message.text.startswith("钱七先生您好")
    assert "回复1至5" in message.text
    assert message.source_id == str(callback.pk)
    entry = TimelineEntry.objects.get(kind="callback", source_id=str(callback.pk))
    assert entry.text.title.endswith("：客户不接受来电，已改发短信")
    assert entry.text.body == "短信：回访·满意度短信"
    with translation.override("en"):
        entry = TimelineEntry.objects.get(pk=entry.pk)  # read again: an entry's text is kept once read
        assert entry.text.title == "SSI callback: takes no calls, sent an SMS instead"
        assert entry.text.body == "Text: 回访·满意度短信"


def test_the_sms_route_sends_once_however_often_the_build_runs():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="all")

    build()
    assert build() == {"thank_you": 0, "ssi": 0, "csi": 0, "sms_sent": 0, "skipped": 0}
    build(ON + timedelta(days=1))

    assert OutboundMessage.objects.filter(idempotency_key=f"callback-sms:{ssi_of(vehicle).pk}").count() == 1
    assert OutboundMessage.objects.count() == 2  # thank-you and SSI
    assert TimelineEntry.objects.filter(kind="callback").count() == 2


def test_the_thank_you_call_sends_the_thank_you_text():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="service")

    build()

    thanks = Callback.objects.get(kind="thank_you")
    assert OutboundMessage.objects.get(idempotency_key=f"callback-sms:{thanks.pk}").template.key == "callback_thank_you_sms"


def test_a_rule_set_to_skip_records_the_customer_as_skipped_without_a_message():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="service")
    CallbackRule.objects.filter(kind="ssi").update(no_calls=CallbackRule.NoCalls.SKIP)

    counts = build()

    callback = ssi_of(vehicle)
    assert (callback.status, callback.close_reason) == (Callback.Status.SKIPPED, "no_calls")
    assert counts["skipped"] == 1 and counts["sms_sent"] == 1  # the thank-you still goes by SMS
    assert not OutboundMessage.objects.filter(idempotency_key=f"callback-sms:{callback.pk}").exists()
    assert not TimelineEntry.objects.filter(kind="callback", source_id=str(callback.pk)).exists()


def test_a_customer_who_refuses_all_contact_is_skipped_with_that_reason():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="any", purpose="all")

    counts = build()

    callback = ssi_of(vehicle)
    assert (callback.status, callback.close_reason) == (Callback.Status.SKIPPED, "refuses_contact")
    assert counts == {"thank_you": 1, "ssi": 1, "csi": 0, "sms_sent": 0, "skipped": 2}
    assert not OutboundMessage.objects.exists()
    with translation.override("en"):
        assert close_reason_label(callback.close_reason) == "Refuses all contact"


def test_a_customer_refusing_calls_and_service_sms_is_skipped_as_refusing_contact():
    vehicle = deliver(on=DELIVERED)
    customer = vehicle.roles.get().customer
    refuse(customer, channel="phone", purpose="service")
    refuse(customer, channel="sms", purpose="service")

    build()

    assert ssi_of(vehicle).close_reason == "refuses_contact"
    assert not OutboundMessage.objects.exists()


def test_a_customer_refusing_only_marketing_calls_is_called():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="marketing")
    refuse(vehicle.roles.get().customer, channel="any", purpose="marketing")

    build()

    assert ssi_of(vehicle).status == Callback.Status.OPEN
    assert not OutboundMessage.objects.exists()


def test_the_most_specific_preference_decides():
    # refuses any channel for anything, but agreed to service calls
    vehicle = deliver(on=DELIVERED)
    customer = vehicle.roles.get().customer
    refuse(customer, channel="any", purpose="all")
    refuse(customer, channel="phone", purpose="service", allowed=True)

    build()

    assert ssi_of(vehicle).status == Callback.Status.OPEN


def test_refusing_calls_with_only_a_landline_skips_the_sms_for_want_of_a_mobile():
    vehicle = deliver(on=DELIVERED, mobile="", phone2="02887654321")
    refuse(vehicle.roles.get().customer, channel="phone", purpose="service")

    build()

    assert (ssi_of(vehicle).status, ssi_of(vehicle).close_reason) == (Callback.Status.SKIPPED, "no_mobile")
    assert not OutboundMessage.objects.exists()


def test_a_switched_off_text_turns_the_sms_route_into_a_skip():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="service")
    SmsTemplate.objects.filter(key="callback_survey_sms").update(active=False)

    counts = build()

    assert (ssi_of(vehicle).status, ssi_of(vehicle).close_reason) == (Callback.Status.SKIPPED, "sms_not_sent")
    assert counts["sms_sent"] == 1 and counts["skipped"] == 1  # the thank-you text is still in use
    assert not TimelineEntry.objects.filter(kind="callback", source_id=str(ssi_of(vehicle).pk)).exists()


def test_the_csi_sms_route_works_the_same():
    vehicle = deliver(on=DELIVERED)
    refuse(vehicle.roles.get().customer, channel="phone", purpose="service")
    closed = date(2026, 8, 1)
    repair_order(vehicle, closed_on=closed)

    counts = build(closed + timedelta(days=3))

    callback = Callback.objects.get(kind="csi")
    assert counts["csi"] == 1 and counts["sms_sent"] == 1
    assert callback.status == Callback.Status.SMS_SENT
    assert OutboundMessage.objects.filter(idempotency_key=f"callback-sms:{callback.pk}").exists()
