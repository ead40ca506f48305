"""Rules of the outbox the other tests leave open: what the sweep of stopped senders says and
finishes, when an UNKNOWN message is listed for a person, and how replies are told apart."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.messaging import services
from dealer_crm.messaging.gateways.base import Reply
from dealer_crm.messaging.models import BulkSend, InboundReply, OutboundMessage, Purpose
from tests.customers.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    settings.SMS_RATE_LIMIT = 0
    settings.SMS_CLAIM_LEASE_SECONDS = 300
    settings.SMS_UNKNOWN_AFTER_HOURS = 24
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def queue(customer, key, **extra):
    return services.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, text="您的车已修好。",
                                  idempotency_key=key, **extra).message


# --- the sweep ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_sweep_with_nothing_stale_changes_nothing_and_says_zero(clock):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.claim(batch_size=10, gateway_name="fake")
    assert services.sweep_in_doubt() == 0
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENDING


@pytest.mark.django_db
def test_a_swept_message_says_why_in_the_readers_language(clock):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.claim(batch_size=10, gateway_name="fake")
    clock.move_to(NOON + timedelta(seconds=301))
    services.sweep_in_doubt()
    assert OutboundMessage.objects.get(pk=message.pk).reason == "发送过程中发送程序停止：网关可能已收到此短信。"


@pytest.mark.django_db
def test_a_sweep_finishes_the_bulk_send_whose_last_message_it_settles(clock, supervisor):
    customer = CustomerFactory(mobile="13812345678")
    bulk = BulkSend.objects.create(purpose=Purpose.SERVICE, text="您的车已修好。", created_by=supervisor,
                                   status=BulkSend.Status.QUEUED)
    other = BulkSend.objects.create(purpose=Purpose.SERVICE, text="您的车已修好。", created_by=supervisor,
                                    status=BulkSend.Status.QUEUED)
    services._insert([OutboundMessage(customer_id=customer.pk, phone=customer.mobile, purpose=Purpose.SERVICE,
                                      text="您的车已修好。", idempotency_key=f"bulk:{b.pk}", bulk=b, not_before=NOON)
                      for b in (bulk, other)])
    services.claim(batch_size=1, gateway_name="fake")  # the first bulk's message; the other's still waits
    clock.move_to(NOON + timedelta(seconds=301))
    assert services.sweep_in_doubt() == 1
    bulk.refresh_from_db()
    other.refresh_from_db()
    assert (bulk.status, bulk.finished_at) == (BulkSend.Status.DONE, NOON + timedelta(seconds=301))
    assert (other.status, other.finished_at) == (BulkSend.Status.QUEUED, None)


@pytest.mark.django_db
def test_an_unknown_message_is_listed_for_a_person_only_after_the_hours(clock):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.claim(batch_size=10, gateway_name="fake")
    clock.move_to(NOON + timedelta(seconds=301))
    services.sweep_in_doubt()
    assert list(services.unknown_overdue(now=NOON + timedelta(hours=23))) == []
    assert list(services.unknown_overdue(now=NOON + timedelta(hours=24, seconds=1))) == [
        OutboundMessage.objects.get(pk=message.pk)]


# --- replies -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_same_ref_at_two_gateways_is_two_replies(clock):
    first = services.reply_record(gateway_name="aliyun", reply=Reply(phone="13812345678", text="好的", ref="77"))
    second = services.reply_record(gateway_name="tencent", reply=Reply(phone="13812345678", text="谢谢", ref="77"))
    assert first.pk != second.pk
    assert sorted(InboundReply.objects.values_list("gateway", "text")) == [("aliyun", "好的"), ("tencent", "谢谢")]


@pytest.mark.django_db
def test_a_repeated_push_with_a_long_ref_is_stored_once(clock):
    ref = "x" * 120
    first = services.reply_record(gateway_name="http", reply=Reply(phone="13812345678", text="好的", ref=ref))
    again = services.reply_record(gateway_name="http", reply=Reply(phone="13812345678", text="好的", ref=ref))
    assert again.pk == first.pk
    assert InboundReply.objects.get().gateway_ref == "x" * 100


@pytest.mark.django_db
def test_a_number_starting_with_86_that_is_not_a_country_code_is_kept(clock):
    stored = services.reply_record(gateway_name="http", reply=Reply(phone="8613812345", text="好的", ref=""))
    assert stored.phone == "8613812345"
    stored = services.reply_record(gateway_name="http", reply=Reply(phone="1381234567812", text="好的", ref=""))
    assert stored.phone == "1381234567812"


@pytest.mark.django_db
def test_a_long_reply_is_stored_cut_to_500_characters(clock):
    CustomerFactory(mobile="13812345678")
    text = "退订" + "字" * 600
    stored = services.reply_record(gateway_name="http", reply=Reply(phone="13812345678", text=text, ref="1"))
    stored.refresh_from_db()
    assert (stored.text, stored.customers) == (text[:500], 1)
