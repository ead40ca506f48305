"""A customer's reply is stored once; one that says stop opts them out of marketing at once,
recorded on their preferences and their timeline."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from customers.models import ContactPreference, TimelineEntry
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.gateways.base import Reply
from dealer_crm.messaging.models import InboundReply, OutboundMessage, Purpose
from tests.customers.factories import CustomerFactory

LATE = datetime(2026, 12, 2, 0, 40, tzinfo=ZoneInfo("Asia/Shanghai"))  # still 1 December in UTC


@pytest.fixture(autouse=True)
def clock(db):
    with time_machine.travel(LATE, tick=False) as traveller:
        yield traveller
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def customer():
    return CustomerFactory(name="张三", mobile="13812345678")


def reply(text: str, *, phone: str = "13812345678", ref: str = "") -> InboundReply:
    return services.reply_record(gateway_name="http", reply=Reply(phone=phone, text=text, ref=ref))


def test_a_reply_of_td_opts_the_customer_out_of_marketing_with_date_and_reason(customer):
    stored = reply("TD")
    assert (stored.opt_out, stored.customers, stored.phone) == (True, 1, "13812345678")
    preference = ContactPreference.objects.get(customer=customer)
    assert (preference.channel, preference.purpose, preference.allowed) == ("sms", "marketing", False)
    assert preference.recorded_on == date(2026, 12, 2)
    assert preference.reason == "短信回复“TD”"
    assert preference.recorded_by is None  # the customer did it, not a member of staff


def test_the_number_is_read_with_its_country_code(customer):
    assert reply("退订", phone="+86 138-1234-5678").customers == 1
    assert ContactPreference.objects.filter(customer=customer, allowed=False).exists()


def test_the_opt_out_is_on_the_timeline_in_chinese_and_english(customer, login, agent):
    reply("退订")
    entry = TimelineEntry.objects.get(customer=customer)
    assert (entry.kind, entry.occurred_at) == (TimelineEntry.Kind.SMS, LATE)
    client = login(agent)
    client.cookies["django_language"] = "zh-hans"
    assert "回复“退订”退订营销短信" in client.get(f"/customers/{customer.pk}/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Opted out of marketing SMS by replying “退订”" in client.get(f"/customers/{customer.pk}/").content.decode()


def test_the_next_marketing_send_leaves_them_out_and_service_still_goes(customer):
    reply("T")
    result = services.recipients_from_mobiles(mobiles=["13812345678"], purpose=Purpose.MARKETING)
    assert result.count == 0 and result.excluded == {Exclusion.OPTED_OUT: 1}
    assert services.recipients_from_mobiles(mobiles=["13812345678"], purpose=Purpose.SERVICE).count == 1


def test_a_queued_marketing_message_is_cancelled_by_the_opt_out(customer, settings):
    settings.SMS_GATEWAY, settings.SMS_QUIET_HOURS = "console", ""
    queued = services.message_queue(customer_id=customer.pk, purpose=Purpose.MARKETING, text="周六试驾会",
                                    idempotency_key="event").message
    reply("退订")
    claimed = services.claim(batch_size=10, gateway_name="console")
    services.send_claimed(gateway=_NoSend(), messages=claimed)
    assert OutboundMessage.objects.get(pk=queued.pk).status == OutboundMessage.Status.CANCELLED


class _NoSend:
    """A gateway that must not be called: the only message is cancelled before it."""

    name = "console"

    def template_code(self, template):
        return ""

    def send(self, messages):
        raise AssertionError(f"sent {messages}")


def test_a_duplicate_push_with_the_same_ref_is_stored_once(customer):
    first = reply("退订", ref="mo-42")
    second = reply("退订", ref="mo-42")
    assert first.pk == second.pk
    assert InboundReply.objects.count() == 1
    assert TimelineEntry.objects.filter(customer=customer).count() == 1
    assert ContactPreference.objects.filter(customer=customer).count() == 1


def test_replies_without_a_ref_are_each_stored(customer):
    reply("好的")
    reply("好的")
    assert InboundReply.objects.count() == 2


def test_a_reply_that_is_not_an_opt_out_is_stored_and_changes_nothing(customer):
    stored = reply("好的，谢谢，周六上午到店")
    assert (stored.opt_out, stored.customers, stored.text) == (False, 0, "好的，谢谢，周六上午到店")
    assert not ContactPreference.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_every_customer_with_the_number_is_opted_out(customer):
    other = CustomerFactory(name="张三", mobile="13812345678")  # the same person entered twice
    CustomerFactory(mobile="13900000000")
    assert reply("STOP").customers == 2
    assert set(ContactPreference.objects.values_list("customer_id", flat=True)) == {customer.pk, other.pk}


def test_an_opt_out_from_a_number_of_no_customer_is_stored(db):
    stored = reply("T", phone="13700000000")
    assert (stored.opt_out, stored.customers) == (True, 0)
    assert not ContactPreference.objects.exists()
