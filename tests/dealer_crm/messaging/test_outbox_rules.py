"""Rules of the outbox the other tests leave open: what the sweep of stopped senders says and
finishes, when an UNKNOWN message is listed for a person, and how replies are told apart."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django.utils import translation

from dealer_crm.messaging import reasons, services
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


def in_language(language: str, message: OutboundMessage) -> str:
    with translation.override(language):
        return message.reason_text


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
    swept = OutboundMessage.objects.get(pk=message.pk)
    assert (swept.reason_code, swept.reason) == (reasons.SENDER_STOPPED, "")
    assert in_language("zh-hans", swept) == "发送过程中发送程序停止：网关可能已收到此短信。"
    assert in_language("en", swept) == "The sender stopped during the send: the gateway may have it."


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


# --- the dispatcher ------------------------------------------------------------------------------------
from datetime import date  # noqa: E402

from customers.models import ContactPreference  # noqa: E402
from dealer_crm.messaging.models import DeliveryReceipt  # noqa: E402
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Gateway, Receipt, Result  # noqa: E402

LONG = "原因" * 300  # 600 characters; the outbox keeps 500


class Answers(Gateway):
    name = "fake"
    batch_size = 10

    def __init__(self, outcome=ACCEPTED, reason=""):
        self.outcome, self.reason, self.sent = outcome, reason, []

    def send(self, messages):
        self.sent.extend(messages)
        return [Result(id=m.id, outcome=self.outcome, reason=self.reason, ref=f"r{m.id}") for m in messages]


def reload(message):
    return OutboundMessage.objects.get(pk=message.pk)


@pytest.mark.django_db
def test_a_refusal_after_queueing_cancels_only_that_message_and_says_why(clock):
    refusing, other = CustomerFactory(mobile="13812345678"), CustomerFactory(mobile="13912345678")
    m_refusing, m_other = queue(refusing, "a"), queue(other, "b")
    ContactPreference.objects.create(customer=refusing, channel=ContactPreference.Channel.SMS,
                                     purpose=ContactPreference.Purpose.ALL, allowed=False,
                                     recorded_on=date(2026, 12, 1))
    gateway = Answers()
    services.dispatch(gateway=gateway)
    assert [m.phone for m in gateway.sent] == ["13912345678"]
    assert (reload(m_refusing).status, reload(m_refusing).reason_code) == (Status.CANCELLED, reasons.REFUSED_AT_SEND)
    assert in_language("zh-hans", reload(m_refusing)) == "排队后客户已拒收。"
    assert in_language("en", reload(m_refusing)) == "The customer refused it after it was queued."
    assert reload(m_other).status == Status.SENT


@pytest.mark.django_db
def test_our_own_failure_says_so_in_the_reason(clock):
    class Broken(Answers):
        def send(self, messages):
            raise RuntimeError("a bug")

    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.dispatch(gateway=Broken())
    assert (reload(message).status, reload(message).reason_code) == (Status.UNKNOWN, reasons.SEND_CRASHED)
    assert in_language("en", reload(message)) == "The send failed unexpectedly."


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [REJECTED, TEMPORARY, UNKNOWN])
def test_a_long_reason_of_the_gateway_is_kept_cut_to_500(clock, outcome):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.dispatch(gateway=Answers(outcome, reason=LONG), budget_seconds=1)
    assert reload(message).reason == LONG[:500]


@pytest.mark.django_db
def test_giving_up_says_how_many_attempts_in_the_readers_language(clock, settings):
    settings.SMS_MAX_ATTEMPTS = 1
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    services.dispatch(gateway=Answers(TEMPORARY, reason="忙"))
    given_up = reload(message)
    assert (given_up.status, given_up.reason_code, given_up.reason) == (Status.FAILED, reasons.TEMPORARY_GAVE_UP, "忙")
    assert in_language("zh-hans", given_up) == "尝试 1 次后放弃：忙"
    assert in_language("en", given_up) == "Given up at attempt 1: 忙"
    settings.SMS_MAX_ATTEMPTS = 1
    second = queue(CustomerFactory(mobile="13912345678"), "b")
    services.dispatch(gateway=Answers(TEMPORARY, reason=LONG))
    assert reload(second).reason == LONG[:500]


@pytest.mark.django_db
def test_a_dispatch_without_time_left_sends_nothing_and_says_more_is_due(clock):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    gateway = Answers()
    outcome = services.dispatch(gateway=gateway, budget_seconds=0)
    assert (outcome.outcomes, outcome.more) == ({}, True)
    assert gateway.sent == [] and reload(message).status == Status.QUEUED
    outcome = services.dispatch(gateway=gateway)
    assert (dict(outcome.outcomes), outcome.more) == ({ACCEPTED: 1}, False)
    assert outcome.more is False


@pytest.mark.django_db
def test_a_claim_at_night_holds_what_waits_whatever_the_clock_of_the_caller(clock):
    queue(CustomerFactory(mobile="13812345678"), "a")
    assert services.claim(batch_size=10, gateway_name="fake", now=datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI)) == []


@pytest.mark.django_db
def test_the_earliest_due_is_claimed_first_not_the_oldest_row(clock):
    customer = CustomerFactory(mobile="13812345678")
    services._insert([OutboundMessage(customer_id=customer.pk, phone=customer.mobile, purpose=Purpose.SERVICE,
                                      text="x", idempotency_key=key, not_before=due)
                      for key, due in (("later", NOON - timedelta(minutes=1)), ("earlier", NOON - timedelta(hours=1)))])
    (claimed,) = services.claim(batch_size=1, gateway_name="fake")
    assert claimed.idempotency_key == "earlier"


@pytest.mark.django_db
def test_the_late_answer_of_a_swept_sender_leaves_the_next_senders_claim_alone(clock, supervisor):
    message = queue(CustomerFactory(mobile="13812345678"), "a")
    old_claim = services.claim(batch_size=10, gateway_name="fake")
    clock.move_to(NOON + timedelta(seconds=301))
    services.sweep_in_doubt()
    services.message_decide_unknown(message=message, by=supervisor, resend=True)
    services.claim(batch_size=10, gateway_name="fake")  # another sender has it now
    services.results_record(messages=old_claim, results=[Result(id=message.pk, outcome=REJECTED, reason="late")])
    assert reload(message).status == Status.SENDING


@pytest.mark.django_db
def test_an_answer_for_a_message_not_held_does_not_stop_the_others_being_recorded(clock):
    first, second = queue(CustomerFactory(mobile="13812345678"), "a"), queue(CustomerFactory(mobile="13912345678"), "b")
    claimed = services.claim(batch_size=10, gateway_name="fake")
    OutboundMessage.objects.filter(pk=first.pk).update(status=Status.CANCELLED)
    services.results_record(messages=claimed, results=[Result(id=first.pk, outcome=ACCEPTED, ref="r1"),
                                                        Result(id=second.pk, outcome=ACCEPTED, ref="r2")])
    assert (reload(first).status, reload(second).status) == (Status.CANCELLED, Status.SENT)


# --- receipts ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_delivered_receipt_with_a_status_word_leaves_no_reason_and_a_failed_one_is_cut(clock):
    ok, bad = queue(CustomerFactory(mobile="13812345678"), "a"), queue(CustomerFactory(mobile="13912345678"), "b")
    services.dispatch(gateway=Answers())
    services.receipts_record(gateway_name="fake", receipts=[Receipt(id=ok.pk, delivered=True, reason="DELIVRD"),
                                                            Receipt(id=bad.pk, delivered=False, reason=LONG)])
    assert reload(ok).reason == ""
    assert reload(bad).reason == LONG[:500]
    assert DeliveryReceipt.objects.get(message_id=bad.pk).reason == LONG[:500]


@pytest.mark.django_db
def test_a_late_receipt_does_not_move_the_end_of_a_finished_bulk_send(clock, supervisor):
    customer = CustomerFactory(mobile="13812345678")
    bulk = BulkSend.objects.create(purpose=Purpose.SERVICE, text="x", created_by=supervisor, status=BulkSend.Status.DONE,
                                   finished_at=NOON - timedelta(days=1))
    services._insert([OutboundMessage(customer_id=customer.pk, phone=customer.mobile, purpose=Purpose.SERVICE,
                                      text="x", idempotency_key="k", bulk=bulk, not_before=NOON, status=Status.SENT)])
    message = OutboundMessage.objects.get()
    services.receipts_record(gateway_name="fake", receipts=[Receipt(id=message.pk, delivered=True, reason="")])
    bulk.refresh_from_db()
    assert bulk.finished_at == NOON - timedelta(days=1)


# --- who gets a bulk send --------------------------------------------------------------------------
from dealer_crm.messaging.audience import Exclusion  # noqa: E402
from dealer_crm.messaging.models import SmsTemplate  # noqa: E402


@pytest.mark.django_db
def test_an_uploaded_list_counts_each_empty_bad_and_unknown_number(clock):
    CustomerFactory(mobile="13812345678")
    recipients = services.recipients_from_mobiles(
        mobiles=["", "", "12345", "1381234567", "13700000001", "13700000002", "13812345678"], purpose=Purpose.SERVICE)
    assert recipients.count == 1
    assert dict(recipients.excluded) == {Exclusion.NO_MOBILE: 2, Exclusion.INVALID_MOBILE: 2, Exclusion.NOT_A_CUSTOMER: 2}


@pytest.mark.django_db
def test_an_uploaded_list_leaves_out_who_had_the_template_on_the_day_asked(clock):
    customer = CustomerFactory(mobile="13812345678")
    greeting = SmsTemplate.objects.create(key="hello", name="问候", purpose=Purpose.SERVICE, text="您好")
    services.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, template=greeting, idempotency_key="g")
    today = services.recipients_from_mobiles(mobiles=["13812345678"], purpose=Purpose.SERVICE, template=greeting)
    assert dict(today.excluded) == {Exclusion.SAME_TEMPLATE_TODAY: 1}
    tomorrow = services.recipients_from_mobiles(mobiles=["13812345678"], purpose=Purpose.SERVICE, template=greeting,
                                                now=NOON + timedelta(days=1))
    assert (tomorrow.count, dict(tomorrow.excluded)) == (1, {})
