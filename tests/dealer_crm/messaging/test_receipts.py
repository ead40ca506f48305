"""Receipts settle a message once, whatever arrives twice, early or after a timeout."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import TimelineEntry
from dealer_crm.messaging import services
from dealer_crm.messaging.gateways.base import ACCEPTED, Receipt, Result
from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, OutboundMessage, Purpose
from tests.customers.factories import CustomerFactory

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def clock(settings):
    settings.SMS_QUIET_HOURS = ""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", mobile="13812345678")


def message(customer, *, status=Status.SENT, bulk=None) -> OutboundMessage:
    return OutboundMessage.objects.create(
        customer=customer, phone=customer.mobile, text="您的爱车保养到期。", purpose=Purpose.SERVICE, bulk=bulk,
        idempotency_key=str(uuid.uuid4()), status=status, not_before=NOON, sent_at=NOON if status == Status.SENT else None,
        claimed_at=NOON)


def record(*receipts: Receipt) -> dict:
    return services.receipts_record(gateway_name="http", receipts=list(receipts))


def reload(m) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=m.pk)


def test_a_delivered_receipt_settles_a_sent_message(customer):
    sent = message(customer)
    later = NOON + timedelta(seconds=8)
    with time_machine.travel(later, tick=False):
        assert record(Receipt(id=sent.pk, delivered=True)) == {"receipts": 1, "settled": 1, "unmatched": 0}
    sent = reload(sent)
    assert (sent.status, sent.settled_at, sent.sent_at, sent.reason) == (Status.DELIVERED, later, NOON, "")
    assert DeliveryReceipt.objects.get().delivered


def test_a_failed_receipt_fails_the_message_with_the_gateways_reason(customer):
    sent = message(customer)
    record(Receipt(id=sent.pk, delivered=False, reason="MK:0001 空号"))
    sent = reload(sent)
    assert (sent.status, sent.reason) == (Status.FAILED, "MK:0001 空号")


def test_a_duplicate_push_is_stored_once_and_settles_nothing_more(customer):
    sent = message(customer)
    record(Receipt(id=sent.pk, delivered=True))
    settled_at = reload(sent).settled_at
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        assert record(Receipt(id=sent.pk, delivered=True), Receipt(id=sent.pk, delivered=True))["settled"] == 0
    assert DeliveryReceipt.objects.count() == 1
    assert reload(sent).settled_at == settled_at


def test_a_failed_receipt_after_delivered_does_not_undo_it(customer):
    sent = message(customer)
    record(Receipt(id=sent.pk, delivered=True))
    record(Receipt(id=sent.pk, delivered=False, reason="late"))
    assert reload(sent).status == Status.DELIVERED
    assert DeliveryReceipt.objects.count() == 2  # both outcomes are kept as the gateway said them


def test_a_receipt_before_the_send_returned_is_kept_when_the_answer_comes(customer, settings):
    settings.SMS_GATEWAY = "console"
    queued = services.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, text="您的车已修好。",
                                    idempotency_key="pickup").message
    claimed = services.claim(batch_size=10, gateway_name="http")
    assert reload(queued).status == Status.SENDING
    record(Receipt(id=queued.pk, delivered=True))  # the gateway pushed before its answer arrived
    assert reload(queued).status == Status.DELIVERED
    services.results_record(messages=claimed, results=[Result(id=queued.pk, outcome=ACCEPTED, ref="gw-1")])
    queued = reload(queued)
    assert queued.status == Status.DELIVERED
    assert TimelineEntry.objects.filter(customer=customer).count() == 1  # on the timeline once


def test_an_unknown_message_is_settled_by_its_receipt_and_goes_on_the_timeline(customer):
    doubtful = message(customer, status=Status.UNKNOWN)
    record(Receipt(id=doubtful.pk, delivered=True))
    doubtful = reload(doubtful)
    assert doubtful.status == Status.DELIVERED and doubtful.sent_at == NOON
    entry = TimelineEntry.objects.get(customer=customer)
    assert entry.params["variant"] == "sent" and entry.source_id == str(doubtful.pk)
    assert list(services.unknown_overdue(now=NOON + timedelta(days=2))) == []


def test_an_unknown_message_that_failed_is_failed_and_not_on_the_timeline(customer):
    doubtful = message(customer, status=Status.UNKNOWN)
    record(Receipt(id=doubtful.pk, delivered=False, reason="停机"))
    assert (reload(doubtful).status, reload(doubtful).reason) == (Status.FAILED, "停机")
    assert not TimelineEntry.objects.exists()


def test_a_sent_message_delivered_is_not_put_on_the_timeline_again(customer):
    sent = message(customer)  # its entry was made when the gateway accepted it
    record(Receipt(id=sent.pk, delivered=True))
    assert not TimelineEntry.objects.exists()


@pytest.mark.parametrize("status", [Status.QUEUED, Status.CANCELLED, Status.FAILED])
def test_a_receipt_for_a_message_not_out_changes_nothing(customer, status):
    other = message(customer, status=status)
    record(Receipt(id=other.pk, delivered=True))
    assert reload(other).status == status


def test_receipts_of_unknown_ids_are_ignored(customer):
    sent = message(customer)
    outcome = record(Receipt(id=sent.pk + 1000, delivered=True), Receipt(id=None, delivered=True),
                     Receipt(id=sent.pk, delivered=True))
    assert outcome == {"receipts": 3, "settled": 1, "unmatched": 2}
    assert list(DeliveryReceipt.objects.values_list("message_id", flat=True)) == [sent.pk]


def test_the_last_receipt_of_a_bulk_send_finishes_it(customer, supervisor):
    bulk = BulkSend.objects.create(purpose=Purpose.NOTICE, text="本店已迁址", created_by=supervisor,
                                   status=BulkSend.Status.QUEUED, recipients=2)
    first = message(customer, status=Status.SENDING, bulk=bulk)
    second = message(CustomerFactory(mobile="13900000000"), status=Status.UNKNOWN, bulk=bulk)
    record(Receipt(id=first.pk, delivered=True))
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.DONE and bulk.finished_at == NOON
    record(Receipt(id=second.pk, delivered=True))
    assert reload(second).status == Status.DELIVERED
