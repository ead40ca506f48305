"""Texts to staff (`staff_alert_queue`, `staff_alerts_dispatch`): one per key, sent once through the
configured gateway (console, or the http gateway against a local server), retried on a temporary
error, failed with the reason where the gateway sends only approved templates, never mistaken for a
customer's message by a receipt, and shared out between two senders without overlap."""

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from werkzeug import Response

from dealer_crm.messaging import reasons, services
from dealer_crm.messaging.gateways.base import ACCEPTED, Gateway, Outgoing, Result
from dealer_crm.messaging.gateways.http import HttpGateway
from dealer_crm.messaging.models import OutboundMessage, Purpose, StaffAlert
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
Status = StaffAlert.Status
TEXT = "投诉 TS000012：首次联系期限已过（到期 12-01 11:00）。"

pytestmark = pytest.mark.django_db


class FakeGateway(Gateway):
    name = "fake"
    batch_size = 10

    def __init__(self):
        self.sent: list[Outgoing] = []
        self.lock = threading.Lock()

    def send(self, messages):
        with self.lock:
            self.sent.extend(messages)
        return [Result(id=m.id, outcome=ACCEPTED, ref=f"ref{m.id}") for m in messages]


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    settings.SMS_RATE_LIMIT = 0
    settings.SMS_MAX_ATTEMPTS = 2
    settings.SMS_RETRY_BACKOFF_SECONDS = 10
    settings.SMS_CLAIM_LEASE_SECONDS = 300
    return settings


def console_lines(settings) -> list[dict]:
    try:
        with open(settings.SMS_CONSOLE_FILE, encoding="utf-8") as log:
            return [json.loads(line) for line in log]
    except FileNotFoundError:
        return []


def test_an_alert_is_queued_once_per_key():
    manager = UserFactory(mobile="13900001111")
    first, created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1",
                                                user_id=manager.pk, now=NOON)
    again, created_again = services.staff_alert_queue(mobile="13900001111", text="另一条", idempotency_key="k:1",
                                                      user_id=manager.pk, now=NOON)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.text == TEXT
    assert StaffAlert.objects.count() == 1
    assert (first.user, first.phone, first.status) == (manager, "13900001111", Status.QUEUED)


@pytest.mark.parametrize("mobile", ["", "1390000111", "23900001111", "139 0000 1111x"])
def test_an_alert_needs_a_mobile_number(mobile):
    with pytest.raises(services.MessagingError):
        services.staff_alert_queue(mobile=mobile, text=TEXT, idempotency_key="k:1", now=NOON)
    assert not StaffAlert.objects.exists()


def test_the_console_gateway_sends_it_once_even_at_night(settings):
    night = NOON.replace(hour=23)  # no quiet hours for staff: the caller chose the hour
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=night)
    assert services.staff_alerts_dispatch(now=night) == {ACCEPTED: 1}
    assert services.staff_alerts_dispatch(now=night) == {}
    alert.refresh_from_db()
    assert (alert.status, alert.sent_at, alert.gateway, alert.attempts) == (Status.SENT, night, "console", 1)
    assert [(line["phone"], line["text"], line["id"]) for line in console_lines(settings)] == [
        ("13900001111", TEXT, -alert.pk)]


def test_the_http_gateway_gets_the_alert_under_its_id_negated(settings, httpserver):
    settings.SMS_GATEWAY, settings.SMS_HTTP_URL = "http", httpserver.url_for("/send")
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=NOON)

    def answer(request):
        messages = json.loads(request.get_data())["messages"]
        return Response(json.dumps({"results": [{"id": m["id"], "status": "accepted", "ref": "gw-9"} for m in messages]}),
                        content_type="application/json")

    httpserver.expect_request("/send", method="POST").respond_with_handler(answer)
    services.staff_alerts_dispatch(now=NOON)

    (request, _response), = httpserver.log
    assert request.json == {"messages": [{"id": str(-alert.pk), "phone": "13900001111", "text": TEXT}]}
    alert.refresh_from_db()
    assert (alert.status, alert.gateway_ref) == (Status.SENT, "gw-9")


def test_a_temporary_error_waits_and_is_tried_again_then_given_up(settings, httpserver):
    settings.SMS_GATEWAY, settings.SMS_HTTP_URL = "http", httpserver.url_for("/send")
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=NOON)
    httpserver.expect_request("/send").respond_with_data("busy", status=503)

    services.staff_alerts_dispatch(now=NOON)
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, alert.not_before) == (Status.QUEUED, 1, NOON + timedelta(seconds=10))
    services.staff_alerts_dispatch(now=NOON + timedelta(seconds=5))  # not due yet
    assert len(httpserver.log) == 1

    services.staff_alerts_dispatch(now=NOON + timedelta(seconds=10))
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, alert.reason_code) == (Status.FAILED, 2, reasons.TEMPORARY_GAVE_UP)
    assert len(httpserver.log) == 2


def test_a_rejection_fails_with_the_gateways_words(settings, httpserver):
    settings.SMS_GATEWAY, settings.SMS_HTTP_URL = "http", httpserver.url_for("/send")
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=NOON)
    httpserver.expect_request("/send").respond_with_json(
        {"results": [{"id": str(-alert.pk), "status": "rejected", "reason": "空号"}]})
    services.staff_alerts_dispatch(now=NOON)
    alert.refresh_from_db()
    assert (alert.status, alert.reason_text) == (Status.FAILED, "空号")


def test_a_gateway_of_approved_templates_only_is_not_called_and_the_alert_fails_with_why(settings):
    class TemplatesOnly(FakeGateway):
        name = "aliyun"
        free_text = False

    gateway = TemplatesOnly()
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=NOON)
    services.staff_alerts_dispatch(gateway=gateway, now=NOON)
    alert.refresh_from_db()
    assert gateway.sent == []
    assert (alert.status, alert.reason_code) == (Status.FAILED, reasons.NO_TEMPLATE_ID)
    assert alert.reason_text == "该模板在网关 阿里云 没有审核通过的模板ID。"


def test_a_claim_whose_sender_stopped_is_in_doubt_and_not_sent_again():
    gateway = FakeGateway()
    alert, _created = services.staff_alert_queue(mobile="13900001111", text=TEXT, idempotency_key="k:1", now=NOON)
    StaffAlert.objects.filter(pk=alert.pk).update(status=Status.SENDING, claimed_at=NOON, attempts=1)
    services.staff_alerts_dispatch(gateway=gateway, now=NOON + timedelta(seconds=301))
    alert.refresh_from_db()
    assert (alert.status, alert.reason_code) == (Status.UNKNOWN, reasons.SENDER_STOPPED)
    assert gateway.sent == []


def test_a_receipt_for_a_staff_alert_never_settles_a_customers_message():
    customer = CustomerFactory(mobile="13812345678")
    message = OutboundMessage.objects.create(customer=customer, phone=customer.mobile, text="您的车已修好。",
                                             purpose=Purpose.SERVICE, idempotency_key="m", not_before=NOON,
                                             status=OutboundMessage.Status.SENT)
    StaffAlert.objects.create(pk=message.pk, phone="13900001111", text=TEXT, idempotency_key="k:1",
                              not_before=NOON, created_at=NOON)
    services.staff_alerts_dispatch(gateway=FakeGateway(), now=NOON)

    receipts = HttpGateway("http://unused").parse_receipts(
        json.dumps([{"id": str(-message.pk), "status": "failed", "reason": "关机"}]).encode())
    outcome = services.receipts_record(gateway_name="http", receipts=receipts)

    assert outcome == {"receipts": 1, "settled": 0, "unmatched": 1}
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_alert_once():
    for n in range(30):
        services.staff_alert_queue(mobile=f"1390000{n:04d}", text=TEXT, idempotency_key=f"k:{n}", now=NOON)
    gateway = FakeGateway()
    start = threading.Barrier(2)

    def sender():
        try:
            start.wait(timeout=10)
            services.staff_alerts_dispatch(gateway=gateway, now=NOON)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(m.phone for m in gateway.sent) == [f"1390000{n:04d}" for n in range(30)]
    assert StaffAlert.objects.filter(status=Status.SENT).count() == 30
