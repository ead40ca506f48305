"""Receipts are matched to our messages in one place (services.receipts_record), whoever calls it:
by our own id, else by the gateway's id kept from the send answer (Tencent's SerialNo), else — for
a Tencent send call that timed out, so that no SerialNo was kept — by the number, when exactly one
message to it is in doubt within SMS_RECEIPT_MATCH_HOURS. Pushed in Tencent's real format."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from customers.models import TimelineEntry
from dealer_crm.messaging import reasons, services
from dealer_crm.messaging.gateways.base import Receipt
from dealer_crm.messaging.models import DeliveryReceipt, OutboundMessage, Purpose
from tests.customers.factories import CustomerFactory

TOKEN = "cb-7f3a9e21d4c85b60"
NOON = "2026-12-01 12:00 +08:00"
MOBILE = "13812345678"
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.SMS_CALLBACK_TOKEN = TOKEN
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_RECEIPT_MATCH_HOURS = 72
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", gender="M", mobile=MOBILE)


def _message(customer, *, n: int = 1, gateway: str = "tencent", status: str = Status.UNKNOWN, ref: str = "",
             claimed_ago: timedelta = timedelta(minutes=5), phone: str = "") -> OutboundMessage:
    """A message as the dispatcher leaves it; UNKNOWN without a SerialNo is a send call that timed out."""
    claimed = timezone.now() - claimed_ago
    return OutboundMessage.objects.create(
        customer=customer, phone=phone or customer.mobile, text="张三先生您好，您的爱车保养到期。",
        purpose=Purpose.SERVICE, idempotency_key=f"test:{customer.pk}:{n}", not_before=claimed, status=status,
        gateway=gateway, gateway_ref=ref, attempts=1, claimed_at=claimed,
        sent_at=claimed if status == Status.SENT else None,
        reason_code=reasons.TIMEOUT if status == Status.UNKNOWN else "")


def _tencent_receipt(*, sid: str, mobile: str = MOBILE, success: bool = True, nationcode: str = "86") -> dict:
    """A receipt as Tencent Cloud SMS pushes it (短信下发状态回调): a JSON array of these."""
    return {"user_receive_time": "2026-12-01 12:00:05", "nationcode": nationcode, "mobile": mobile,
            "report_status": "SUCCESS" if success else "FAIL", "errmsg": "DELIVRD" if success else "MK:0001",
            "description": "用户短信送达成功" if success else "用户短信接收失败", "sid": sid}


def _push(client, receipts: list[dict]):
    return client.post(f"/sms/receipts/tencent/{TOKEN}/", data=json.dumps(receipts, ensure_ascii=False),
                       content_type="application/json")


def reload(message: OutboundMessage) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=message.pk)


# --- matching by the gateway's id, in the service ---------------------------------------------
def test_the_service_matches_a_receipt_by_the_gateways_id_of_the_message(customer):
    sent = _message(customer, status=Status.SENT, ref="2019:6921356798")

    counts = services.receipts_record(gateway_name="tencent", receipts=[
        Receipt(id=None, delivered=True, ref="2019:6921356798")])

    assert counts == {"receipts": 1, "settled": 1, "unmatched": 0}
    assert reload(sent).status == Status.DELIVERED
    assert DeliveryReceipt.objects.filter(message=sent, delivered=True).count() == 1


def test_the_gateways_id_of_another_gateway_matches_nothing(customer):
    sent = _message(customer, gateway="aliyun", status=Status.SENT, ref="2019:6921356798")

    counts = services.receipts_record(gateway_name="tencent", receipts=[
        Receipt(id=None, delivered=True, ref="2019:6921356798")])

    assert counts == {"receipts": 1, "settled": 0, "unmatched": 1}
    assert reload(sent).status == Status.SENT


# --- the timed-out Tencent message, matched by its number ------------------------------------
def test_a_receipt_settles_the_timed_out_tencent_message_to_its_number(client, customer):
    timed_out = _message(customer)

    response = _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    assert response["X-SMS-Counts"] == "received=1; settled=1; unknown=0"
    settled = reload(timed_out)
    assert (settled.status, settled.gateway_ref, settled.reason_code) == (Status.DELIVERED, "2019:6921356798", "")
    assert TimelineEntry.objects.filter(customer=customer, kind="sms").count() == 1


def test_a_failed_receipt_fails_the_timed_out_message_with_tencents_words(client, customer):
    timed_out = _message(customer)

    _push(client, [_tencent_receipt(sid="2019:6921356798", success=False)])

    failed = reload(timed_out)
    assert (failed.status, failed.reason_code, failed.reason) == (Status.FAILED, reasons.UNDELIVERED,
                                                                  "MK:0001: 用户短信接收失败")


def test_a_repeated_push_is_then_matched_by_the_serial_no_and_changes_nothing(client, customer):
    timed_out = _message(customer)
    _push(client, [_tencent_receipt(sid="2019:6921356798")])
    _message(customer, n=2)  # a later timeout to the same number: not what the repeated push is about

    again = _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert again["X-SMS-Counts"] == "received=1; settled=0; unknown=0"
    assert reload(timed_out).status == Status.DELIVERED
    assert OutboundMessage.objects.filter(status=Status.UNKNOWN).count() == 1
    assert DeliveryReceipt.objects.filter(message=timed_out).count() == 1


def test_two_messages_in_doubt_to_the_number_leave_the_receipt_unmatched(client, customer):
    first, second = _message(customer, n=1), _message(customer, n=2, claimed_ago=timedelta(hours=2))

    response = _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert response["X-SMS-Counts"] == "received=1; settled=0; unknown=1"
    assert {reload(first).status, reload(second).status} == {Status.UNKNOWN}
    assert not DeliveryReceipt.objects.exists()


def test_two_unknown_serial_nos_for_the_number_in_one_push_match_neither(client, customer):
    timed_out = _message(customer)

    response = _push(client, [_tencent_receipt(sid="2019:1"), _tencent_receipt(sid="2019:2", success=False)])

    assert response["X-SMS-Counts"] == "received=2; settled=0; unknown=2"
    assert reload(timed_out).status == Status.UNKNOWN


def test_the_same_receipt_twice_in_one_push_settles_the_message_once(client, customer):
    timed_out = _message(customer)

    response = _push(client, [_tencent_receipt(sid="2019:1"), _tencent_receipt(sid="2019:1")])

    assert response["X-SMS-Counts"] == "received=2; settled=1; unknown=0"
    assert reload(timed_out).status == Status.DELIVERED
    assert DeliveryReceipt.objects.filter(message=timed_out).count() == 1


def test_a_message_in_doubt_for_longer_than_the_window_is_not_matched(client, customer):
    old = _message(customer, claimed_ago=timedelta(hours=72, minutes=1))

    response = _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert response["X-SMS-Counts"] == "received=1; settled=0; unknown=1"
    assert reload(old).status == Status.UNKNOWN


def test_a_message_in_doubt_just_inside_the_window_is_matched(client, customer):
    recent = _message(customer, claimed_ago=timedelta(hours=71, minutes=59))

    _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert reload(recent).status == Status.DELIVERED


@pytest.mark.parametrize(("status", "ref", "gateway"), [
    (Status.UNKNOWN, "2019:other", "tencent"),  # its SerialNo is known, and it is another one
    (Status.SENT, "", "tencent"),  # not in doubt
    (Status.SENDING, "", "tencent"),  # the call has not returned: its answer brings the SerialNo
    (Status.UNKNOWN, "", "aliyun"),  # another gateway's
])
def test_only_a_tencent_message_in_doubt_without_a_serial_no_is_matched_by_number(client, customer, status, ref, gateway):
    other = _message(customer, status=status, ref=ref, gateway=gateway)

    response = _push(client, [_tencent_receipt(sid="2019:6921356798")])

    assert response["X-SMS-Counts"] == "received=1; settled=0; unknown=1"
    assert reload(other).status == status


def test_a_receipt_for_another_number_or_country_matches_nothing(client, customer):
    timed_out = _message(customer)

    response = _push(client, [_tencent_receipt(sid="2019:1", mobile="13900000000"),
                              _tencent_receipt(sid="2019:2", nationcode="852")])

    assert response["X-SMS-Counts"] == "received=2; settled=0; unknown=2"
    assert reload(timed_out).status == Status.UNKNOWN


def test_numbers_are_matched_for_a_whole_push_in_a_few_queries(db, client, django_assert_max_num_queries):
    timed_out = [_message(CustomerFactory(mobile=f"1391234{n:04d}"), n=n) for n in range(30)]
    receipts = [_tencent_receipt(sid=f"2019:{n}", mobile=message.phone) for n, message in enumerate(timed_out)]

    with django_assert_max_num_queries(20):
        response = _push(client, receipts)

    assert response["X-SMS-Counts"] == "received=30; settled=30; unknown=0"
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert sorted(OutboundMessage.objects.values_list("gateway_ref", flat=True)) == sorted(r["sid"] for r in receipts)
