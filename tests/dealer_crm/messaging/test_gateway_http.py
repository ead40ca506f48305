"""The generic HTTP gateway, exactly as its contract says, against a local server: batches of at most
SMS_HTTP_BATCH, the 2xx answer's results, 5xx / connection refused temporary, 4xx rejected with the
body, a timeout unknown — and "500 then 200" through the real dispatcher and database: one message."""

import json
import socket
import time

import pytest
import time_machine
from werkzeug import Request, Response

from dealer_crm.messaging import reasons, services
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Outgoing
from dealer_crm.messaging.gateways.http import HttpGateway
from dealer_crm.messaging.models import OutboundMessage, Purpose
from tests.customers.factories import CustomerFactory

NOON = "2026-12-01 12:00 +08:00"
Status = OutboundMessage.Status


def _accept_all(request: Request) -> Response:
    messages = json.loads(request.get_data())["messages"]
    return Response(json.dumps({"results": [{"id": m["id"], "status": "accepted", "ref": f"r{m['id']}"} for m in messages]}),
                    content_type="application/json")


def _outgoing(n: int) -> Outgoing:
    return Outgoing(id=n, phone=f"1380000000{n}", text=f"第{n}条：本店已迁至新址。")


def _wait_for_answers(httpserver, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # and anything sent again would have arrived by now


@pytest.fixture
def gateway(httpserver):
    return HttpGateway(httpserver.url_for("/send"), timeout=2.0)


@pytest.fixture
def http_settings(settings, httpserver, tmp_path):
    settings.SMS_GATEWAY = "http"
    settings.SMS_HTTP_URL = httpserver.url_for("/send")
    settings.SMS_HTTP_TIMEOUT = 2.0
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    settings.SMS_RATE_LIMIT = 0
    return settings


def _queue(count: int) -> list[OutboundMessage]:
    rows = []
    for n in range(count):
        customer = CustomerFactory(name=f"客户{n}", mobile=f"1391234{n:04d}")
        outcome = services.message_queue(customer_id=customer.pk, purpose=Purpose.NOTICE, text="本店已迁至新址，欢迎光临。",
                                         idempotency_key=f"notice-move:{customer.pk}")
        rows.append(outcome.message)
    return rows


def test_it_posts_the_contracts_json_and_reads_each_result(httpserver, gateway):
    def answer(request):
        return Response(json.dumps({"results": [
            {"id": "1", "status": "accepted", "ref": "gw-1"},
            {"id": "2", "status": "rejected", "reason": "空号"},
        ]}), content_type="application/json")

    httpserver.expect_request("/send", method="POST").respond_with_handler(answer)

    results = {r.id: r for r in gateway.send([_outgoing(1), _outgoing(2), _outgoing(3)])}

    (request, _response), = httpserver.log
    assert request.json == {"messages": [{"id": str(n), "phone": f"1380000000{n}", "text": f"第{n}条：本店已迁至新址。"}
                                         for n in (1, 2, 3)]}
    assert (results[1].outcome, results[1].ref) == (ACCEPTED, "gw-1")
    assert (results[2].outcome, results[2].reason) == (REJECTED, "空号")
    assert results[3].outcome == UNKNOWN  # not in the answer: it may have gone


@pytest.mark.django_db
def test_the_dispatcher_sends_batches_of_at_most_sms_http_batch(httpserver, http_settings):
    http_settings.SMS_HTTP_BATCH = 2
    httpserver.expect_request("/send", method="POST").respond_with_handler(_accept_all)
    with time_machine.travel(NOON, tick=False):
        rows = _queue(5)

        outcome = services.dispatch(budget_seconds=10)

    assert outcome.outcomes == {ACCEPTED: 5}
    assert [len(request.json["messages"]) for request, _response in httpserver.log] == [2, 2, 1]
    sent_ids = [m["id"] for request, _response in httpserver.log for m in request.json["messages"]]
    assert sorted(sent_ids) == sorted(str(row.pk) for row in rows)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_server_error_is_temporary(httpserver, gateway):
    httpserver.expect_request("/send").respond_with_data("upstream down", status=503)

    assert {r.outcome for r in gateway.send([_outgoing(1), _outgoing(2)])} == {TEMPORARY}


def test_a_client_error_is_rejected_with_the_body_as_reason(httpserver, gateway):
    httpserver.expect_request("/send").respond_with_data('{"error": "余额不足"}', status=402)

    (result,) = gateway.send([_outgoing(1)])

    assert result.outcome == REJECTED
    assert result.reason == 'HTTP 402: {"error": "余额不足"}'


def test_a_refused_connection_is_temporary():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    (result,) = HttpGateway(f"http://127.0.0.1:{port}/send", timeout=2.0).send([_outgoing(1)])

    assert result.outcome == TEMPORARY


def test_a_timeout_is_unknown(httpserver, settings):
    settings.SMS_HTTP_URL = httpserver.url_for("/send")
    settings.SMS_HTTP_TIMEOUT = 0.3

    def slow(request):
        time.sleep(1.0)
        return _accept_all(request)

    httpserver.expect_request("/send").respond_with_handler(slow)

    (result,) = HttpGateway.from_settings().send([_outgoing(1)])
    _wait_for_answers(httpserver, 1)  # the late answer belongs to this test, not to the next one

    assert result.outcome == UNKNOWN
    assert (result.code, result.reason) == (reasons.TIMEOUT, "")
    assert len(httpserver.log) == 1


@pytest.mark.django_db
def test_500_then_200_sends_one_message_after_the_back_off(httpserver, http_settings):
    http_settings.SMS_RETRY_BACKOFF_SECONDS = 30
    answers = iter([Response("busy", status=500), None])

    def first_500_then_accept(request):
        return next(answers) or _accept_all(request)

    httpserver.expect_request("/send").respond_with_handler(first_500_then_accept)
    with time_machine.travel(NOON, tick=False) as clock:
        (message,) = _queue(1)

        services.dispatch(budget_seconds=10)
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.QUEUED, 1)

        services.dispatch(budget_seconds=10)  # before the back-off: nothing is due
        assert len(httpserver.log) == 1

        clock.shift(31)
        services.dispatch(budget_seconds=10)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.gateway_ref) == (Status.SENT, 2, f"r{message.pk}")
    assert [response.status_code for _request, response in httpserver.log] == [500, 200]
    assert OutboundMessage.objects.count() == 1
    assert message.customer.timeline.filter(source_id=str(message.pk)).count() == 1
