"""The gateways' receipt and reply pushes (/sms/receipts|replies/<gateway>/<token>/): each gateway's
format settles the right message once, a receipt may come before the send call returned, a reply
that says stop opts the customer out at once, and bad requests change nothing and log no token."""

import io
import json
import logging

import pytest
import time_machine
from django.db import connection
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

from customers.models import ContactPreference, TimelineEntry
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion, audience
from dealer_crm.messaging.gateways.base import ACCEPTED, Result
from dealer_crm.messaging.models import DeliveryReceipt, InboundReply, OutboundMessage, Purpose
from dealer_crm.messaging.views.callbacks import receipts_push
from dealer_crm.settings import base as base_settings
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
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", gender="M", mobile=MOBILE)


def _sent(customer, *, gateway: str = "aliyun", ref: str = "", status: str = Status.SENT, n: int = 1) -> OutboundMessage:
    now = timezone.now()
    return OutboundMessage.objects.create(
        customer=customer, phone=customer.mobile, text="张三先生您好，您的爱车保养到期。", purpose=Purpose.SERVICE,
        idempotency_key=f"test:{customer.pk}:{n}", not_before=now, status=status, gateway=gateway, gateway_ref=ref,
        attempts=1, claimed_at=now, sent_at=now if status == Status.SENT else None)


def _push(client, kind: str, gateway: str, body, token: str = TOKEN):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return client.post(f"/sms/{kind}/{gateway}/{token}/", data=data, content_type="application/json")


def _aliyun_receipt(message, *, success: bool = True) -> dict:
    return {"phone_number": message.phone, "send_time": "2026-12-01 12:00:00", "report_time": "2026-12-01 12:00:05",
            "success": success, "err_code": "DELIVERED" if success else "MK:0005", "err_msg": "用户接收成功" if success else "空号",
            "sms_size": "1", "biz_id": "900619746936498440^0", "out_id": str(message.pk)}


def _tencent_receipt(message, *, sid: str, success: bool = True) -> dict:
    return {"user_receive_time": "2026-12-01 12:00:05", "nationcode": "86", "mobile": message.phone,
            "report_status": "SUCCESS" if success else "FAIL", "errmsg": "DELIVRD" if success else "MK:0001",
            "description": "用户短信送达成功" if success else "用户短信接收失败", "sid": sid}


# --- receipts ------------------------------------------------------------------------------
def test_an_http_receipt_delivers_the_message(client, customer):
    message = _sent(customer, gateway="http")

    response = _push(client, "receipts", "http", [{"id": str(message.pk), "status": "delivered", "reason": ""}])

    assert response.status_code == 200
    assert response.json() == {"code": 0}
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert list(DeliveryReceipt.objects.values_list("message_id", "delivered", "gateway")) == [(message.pk, True, "http")]


def test_an_aliyun_receipt_is_matched_by_our_out_id(client, customer):
    delivered, failed = _sent(customer, n=1), _sent(customer, n=2)

    response = _push(client, "receipts", "aliyun", [_aliyun_receipt(delivered), _aliyun_receipt(failed, success=False)])

    assert response.status_code == 200
    assert response.json()["code"] == 0
    assert response["X-SMS-Counts"] == "received=2; settled=2; unknown=0"
    delivered.refresh_from_db(), failed.refresh_from_db()
    assert delivered.status == Status.DELIVERED
    assert (failed.status, failed.reason) == (Status.FAILED, "MK:0005: 空号")


def test_a_tencent_receipt_is_matched_by_the_serial_number_kept_on_the_message(client, customer):
    message = _sent(customer, gateway="tencent", ref="2019:6921356798")

    response = _push(client, "receipts", "tencent", [_tencent_receipt(message, sid="2019:6921356798", success=False)])

    assert response.status_code == 200
    assert response.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.FAILED, "MK:0001: 用户短信接收失败")


def test_the_console_gateway_takes_receipts_in_the_http_format(client, customer):
    message = _sent(customer, gateway="console")

    response = _push(client, "receipts", "console", [{"id": message.pk, "status": "failed", "reason": "停机"}])

    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.FAILED, "停机")


def test_a_duplicate_push_is_stored_once(client, customer):
    message = _sent(customer)
    push = [_aliyun_receipt(message)]
    _push(client, "receipts", "aliyun", push)
    message.refresh_from_db()
    settled_at = message.settled_at

    with time_machine.travel("2026-12-01 12:05 +08:00", tick=False):  # Aliyun pushes again after 5 minutes
        again = _push(client, "receipts", "aliyun", push + push)

    assert again.status_code == 200
    assert again["X-SMS-Counts"] == "received=2; settled=0; unknown=0"
    message.refresh_from_db()
    assert (message.status, message.settled_at) == (Status.DELIVERED, settled_at)
    assert DeliveryReceipt.objects.filter(message=message).count() == 1


def test_a_receipt_before_the_send_call_returned_is_kept_when_the_send_answers(client, customer):
    queued = services.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, text="您的爱车保养到期。",
                                    idempotency_key=f"reminder:{customer.pk}").message
    (claimed,) = services.claim(batch_size=10, gateway_name="aliyun")  # SENDING: the gateway call is under way

    _push(client, "receipts", "aliyun", [_aliyun_receipt(queued)])
    services.results_record(messages=[claimed], results=[Result(id=claimed.pk, outcome=ACCEPTED, ref="biz-1")])

    queued.refresh_from_db()
    assert queued.status == Status.DELIVERED
    assert TimelineEntry.objects.filter(customer=customer, source_id=str(queued.pk)).count() == 1


def test_receipts_for_no_message_of_ours_change_nothing_and_are_answered(client, customer):
    message = _sent(customer, gateway="tencent", ref="2019:1111")

    http = _push(client, "receipts", "http", [{"id": "999999", "status": "delivered"}])
    tencent = _push(client, "receipts", "tencent", [_tencent_receipt(message, sid="2019:other")])

    assert (http.status_code, tencent.status_code) == (200, 200)
    assert http["X-SMS-Counts"] == "received=1; settled=0; unknown=1"
    assert tencent["X-SMS-Counts"] == "received=1; settled=0; unknown=1"
    assert tencent.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert not DeliveryReceipt.objects.exists()


def test_a_push_of_many_receipts_takes_as_many_queries_as_a_push_of_few(client, customer):
    def queries_for(count: int, start: int) -> int:
        messages = [_sent(customer, gateway="http", n=start + i) for i in range(count)]
        body = json.dumps([{"id": m.pk, "status": "delivered"} for m in messages])
        with CaptureQueriesContext(connection) as queries:
            assert _push(client, "receipts", "http", body).status_code == 200
        return len(queries)

    assert queries_for(100, start=1000) == queries_for(5, start=1)
    assert OutboundMessage.objects.filter(status=Status.DELIVERED).count() == 105


# --- replies -------------------------------------------------------------------------------
REPLIES = {
    "aliyun": ([{"phone_number": MOBILE, "send_time": "2026-12-01 12:01:00", "content": "退订", "sign_name": "【蚌埠雷诺4S店】",
                 "dest_code": "106901234", "sequence_id": 1234567890}], {"code": 0, "msg": "OK"}, "退订"),
    "tencent": ({"extend": "", "mobile": MOBILE, "nationcode": "86", "sign": "蚌埠雷诺4S店", "text": "R", "time": 1764561660},
                {"result": 0, "errmsg": "OK"}, "R"),
    "http": ({"phone": MOBILE, "text": "T"}, {"code": 0}, "T"),
    "console": ({"phone": MOBILE, "text": "STOP"}, {"code": 0}, "STOP"),
}


@pytest.mark.parametrize("gateway", list(REPLIES))
def test_a_reply_that_says_stop_opts_the_customer_out_of_marketing(client, customer, gateway):
    body, answer, text = REPLIES[gateway]

    response = _push(client, "replies", gateway, body)

    assert response.status_code == 200
    assert response.json() == answer
    preference = ContactPreference.objects.get(customer=customer, channel="sms", purpose="marketing")
    assert preference.allowed is False
    assert text in preference.reason
    entry = TimelineEntry.objects.get(customer=customer, kind=TimelineEntry.Kind.SMS)
    assert entry.params["variant"] == "opt_out"
    assert list(InboundReply.objects.values_list("phone", "text", "gateway", "opt_out", "customers")) == [
        (MOBILE, text, gateway, True, 1)]
    screened = services.recipients_screen(audience().of([customer.pk]), purpose=Purpose.MARKETING)
    assert (screened.count, dict(screened.excluded)) == (0, {Exclusion.OPTED_OUT: 1})


def test_the_opt_out_shows_on_the_customers_page(client, customer, supervisor):
    _push(client, "replies", "aliyun", REPLIES["aliyun"][0])
    client.force_login(supervisor)

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    assert "回复“退订”退订营销短信" in page


def test_a_repeated_reply_push_is_stored_once(client, customer):
    body = REPLIES["aliyun"][0]

    _push(client, "replies", "aliyun", body)
    _push(client, "replies", "aliyun", body)

    assert InboundReply.objects.count() == 1
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.SMS).count() == 1


def test_a_reply_that_is_not_a_refusal_changes_no_preference(client, customer):
    response = _push(client, "replies", "tencent", {**REPLIES["tencent"][0], "text": "好的，周六上午到店"})

    assert response.status_code == 200
    assert InboundReply.objects.get().opt_out is False
    assert not ContactPreference.objects.filter(customer=customer).exists()


# --- bad requests ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["receipts", "replies"])
def test_a_wrong_token_is_not_found(client, customer, kind):
    message = _sent(customer, gateway="http")

    response = _push(client, kind, "http", [{"id": message.pk, "status": "delivered"}], token="cb-guess")

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_without_a_configured_token_the_endpoints_do_not_exist(client, customer, settings):
    settings.SMS_CALLBACK_TOKEN = ""

    assert _push(client, "receipts", "http", [], token="anything").status_code == 404
    assert _push(client, "replies", "http", {"phone": MOBILE, "text": "T"}, token="anything").status_code == 404
    assert not InboundReply.objects.exists()


def test_an_unknown_gateway_is_not_found(client, db):
    assert _push(client, "receipts", "smsbao", []).status_code == 404


def test_only_post_is_allowed(client, db):
    response = client.get(f"/sms/receipts/http/{TOKEN}/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(("gateway", "body"), [
    ("http", b"[{\"id\": 1, "),
    ("http", [{"id": 1, "status": "read"}]),
    ("http", {"not": "a list"}),
    ("aliyun", [{"out_id": "1"}]),
    ("tencent", [{"sid": "2019:1", "report_status": "MAYBE"}]),
    ("aliyun", b"\xff\xfe not utf-8"),
])
def test_a_malformed_receipt_push_is_a_400_and_changes_nothing(client, customer, gateway, body):
    message = _sent(customer, gateway=gateway, ref="2019:1")

    response = _push(client, "receipts", gateway, body)

    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert not DeliveryReceipt.objects.exists()


def test_a_malformed_reply_push_is_a_400_and_stores_nothing(client, customer):
    response = _push(client, "replies", "aliyun", [{"phone_number": MOBILE}])

    assert response.status_code == 400
    assert not InboundReply.objects.exists()


def test_a_10_mb_body_is_refused_with_413(client, customer):
    message = _sent(customer, gateway="http")
    body = json.dumps([{"id": message.pk, "status": "delivered", "reason": "x" * 100}] * 100_000)
    assert len(body) > 10_000_000

    response = _push(client, "receipts", "http", body)

    assert response.status_code == 413
    message.refresh_from_db()
    assert message.status == Status.SENT


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def _request_reading(stream: CountingStream, length: int) -> WSGIRequest:
    environ = RequestFactory()._base_environ(PATH_INFO=f"/sms/receipts/http/{TOKEN}/", REQUEST_METHOD="POST",
                                             CONTENT_TYPE="application/json", CONTENT_LENGTH=str(length))
    environ["wsgi.input"] = stream
    return WSGIRequest(environ)


def test_a_body_declared_too_large_is_not_read(db):
    stream = CountingStream(b"[" * (10 * 1024 * 1024))

    response = receipts_push(_request_reading(stream, 10 * 1024 * 1024), "http", TOKEN)

    assert response.status_code == 413
    assert stream.bytes_read == 0


def test_a_body_within_the_limit_is_read_once(db):
    body = b"[]"
    stream = CountingStream(body)

    response = receipts_push(_request_reading(stream, len(body)), "http", TOKEN)

    assert response.status_code == 200
    assert stream.bytes_read == len(body)


@pytest.fixture
def logging_as_configured():
    """The filters that settings.LOGGING puts on django.request and django.server (the test settings
    keep logging quiet and configure none)."""
    loggers = {name: logging.getLogger(name) for name in ("django.request", "django.server")}
    added = []
    for name, logger in loggers.items():
        for filter_name in base_settings.LOGGING["loggers"][name]["filters"]:
            log_filter = import_string(base_settings.LOGGING["filters"][filter_name]["()"])()
            logger.addFilter(log_filter)
            added.append((logger, log_filter))
    yield loggers
    for logger, log_filter in added:
        logger.removeFilter(log_filter)


def test_no_log_record_holds_the_token(client, customer, caplog, logging_as_configured):
    caplog.set_level(logging.INFO)
    server_logger = logging_as_configured["django.server"]
    server_logger.addHandler(caplog.handler)  # runserver's logger does not propagate
    try:
        _push(client, "receipts", "http", b"not json")  # 400
        _push(client, "receipts", "http", "x" * (2 * 1024 * 1024))  # 413
        client.get(f"/sms/receipts/http/{TOKEN}/")  # 405
        _push(client, "receipts", "http", [], token=f"{TOKEN}x")  # 404
        client.post(f"/sms/replies/http/{TOKEN}/extra/", data="{}", content_type="application/json")  # no route
        _push(client, "replies", "http", {"phone": MOBILE, "text": "退订"})  # 200
        server_logger.info('"%s" %s %s', f"POST /sms/replies/http/{TOKEN}/ HTTP/1.1", "200", "15")
    finally:
        server_logger.removeHandler(caplog.handler)

    formatter = logging.Formatter("%(message)s %(args)s")
    written = [formatter.format(record) + str(record.__dict__.get("exc_text") or "") for record in caplog.records]
    assert len([line for line in written if "/sms/receipts/http/[token]/" in line]) >= 4
    assert any("/sms/replies/http/[token]/" in line for line in written)
    assert not [line for line in written if TOKEN in line]
