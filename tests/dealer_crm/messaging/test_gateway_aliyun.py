"""The Aliyun gateway through the real SDK (alibabacloud-dysmsapi20170525), pointed at a local server
standing in for dysmsapi: what the SDK sends for each message, and what each answer means."""

import json
import socket
import time

import pytest
from werkzeug import Request, Response

from dealer_crm.messaging import reasons
from dealer_crm.messaging.gateways import get_gateway
from dealer_crm.messaging.gateways.aliyun import AliyunGateway
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Outgoing
from dealer_crm.messaging.models import Purpose, SmsTemplate


def _answer(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json;charset=utf-8")


def _ok(request: Request) -> Response:
    return _answer({"Code": "OK", "Message": "OK", "BizId": f"biz-{request.args['OutId']}", "RequestId": "r-1"})


def _gateway(endpoint: str, **kwargs) -> AliyunGateway:
    kwargs.setdefault("timeout", 2.0)
    return AliyunGateway(access_key_id="LTAI5tTestKey", access_key_secret="test-secret", sign_name="蚌埠雷诺4S店",
                         endpoint=endpoint, protocol="http", **kwargs)


@pytest.fixture
def gateway(httpserver):
    return _gateway(f"{httpserver.host}:{httpserver.port}", parallel=4)


def _message(id_: int = 41, phone: str = "13812345678", **params) -> Outgoing:
    return Outgoing(id=id_, phone=phone, text="张三先生您好，您的科雷傲保养到期。", template_code="SMS_123456789",
                    params=params or {"name": "张三", "title": "先生", "model": "科雷傲"})


def _wait_for_answers(httpserver, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_each_message_goes_as_send_sms_with_our_id_as_out_id(httpserver, gateway):
    httpserver.expect_request("/", method="POST").respond_with_handler(_ok)

    results = gateway.send([_message(41, "13812345678", name="张三"), _message(42, "13987654321", name="李四")])

    assert {(r.id, r.outcome, r.ref) for r in results} == {(41, ACCEPTED, "biz-41"), (42, ACCEPTED, "biz-42")}
    sent = {request.args["OutId"]: request for request, _response in httpserver.log}
    assert set(sent) == {"41", "42"}
    first = sent["41"]
    assert first.headers["x-acs-action"] == "SendSms"
    assert first.headers["x-acs-version"] == "2017-05-25"
    assert first.args["PhoneNumbers"] == "13812345678"
    assert first.args["SignName"] == "蚌埠雷诺4S店"
    assert first.args["TemplateCode"] == "SMS_123456789"
    assert json.loads(first.args["TemplateParam"]) == {"name": "张三"}
    assert json.loads(sent["42"].args["TemplateParam"]) == {"name": "李四"}
    assert first.headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI5tTestKey")


def test_the_settings_choose_the_endpoint_keys_and_signature(httpserver, settings):
    settings.SMS_GATEWAY = "aliyun"
    settings.SMS_ALIYUN_ENDPOINT = f"{httpserver.host}:{httpserver.port}"
    settings.SMS_ALIYUN_PROTOCOL = "http"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI5tFromSettings"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "secret-from-settings"
    settings.SMS_SIGN_NAME = "合肥雷诺4S店"
    httpserver.expect_request("/", method="POST").respond_with_handler(_ok)

    gateway = get_gateway()
    (result,) = gateway.send([_message()])

    assert (gateway.name, gateway.batch_size, gateway.free_text) == ("aliyun", 100, False)
    assert result.outcome == ACCEPTED
    (request, _response), = httpserver.log
    assert request.args["SignName"] == "合肥雷诺4S店"
    assert "Credential=LTAI5tFromSettings" in request.headers["Authorization"]


@pytest.mark.django_db
def test_the_template_code_is_the_templates_aliyun_code():
    approved = SmsTemplate(key="k", name="提醒", purpose=Purpose.SERVICE, text="{name}您好", aliyun_code="SMS_465912345")
    waiting = SmsTemplate(key="w", name="待审", purpose=Purpose.SERVICE, text="{name}您好")

    assert _gateway("dysmsapi.aliyuncs.com").template_code(approved) == "SMS_465912345"
    assert _gateway("dysmsapi.aliyuncs.com").template_code(waiting) == ""


@pytest.mark.parametrize(("code", "message", "outcome"), [
    ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", REJECTED),
    ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", REJECTED),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10", TEMPORARY),
])
def test_a_business_answer_is_rejected_or_retried_with_alibabas_code(httpserver, gateway, code, message, outcome):
    httpserver.expect_request("/").respond_with_json({"Code": code, "Message": message, "RequestId": "r-2"})

    (result,) = gateway.send([_message()])

    assert result.outcome == outcome
    assert result.reason == f"{code}: {message}"


def test_a_server_error_is_temporary(httpserver, gateway):
    httpserver.expect_request("/").respond_with_response(
        _answer({"Code": "ServiceUnavailable", "Message": "The request has failed due to a temporary failure."}, 503))

    (result,) = gateway.send([_message()])

    assert result.outcome == TEMPORARY
    assert "503" in result.reason


def test_a_client_error_is_rejected_with_the_code(httpserver, gateway):
    httpserver.expect_request("/").respond_with_response(
        _answer({"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}, 404))

    (result,) = gateway.send([_message()])

    assert result.outcome == REJECTED
    assert result.reason.startswith("InvalidAccessKeyId.NotFound")


def test_a_refused_connection_is_temporary():
    (result,) = _gateway(f"127.0.0.1:{_closed_port()}").send([_message()])

    assert (result.outcome, result.code, result.reason) == (TEMPORARY, reasons.NO_CONNECTION, "ConnectionError")


def test_a_read_timeout_is_unknown_and_the_sdk_does_not_send_again(httpserver):
    def slow(request):
        time.sleep(1.0)
        return _ok(request)

    httpserver.expect_request("/").respond_with_handler(slow)

    (result,) = _gateway(f"{httpserver.host}:{httpserver.port}", timeout=0.3).send([_message()])
    _wait_for_answers(httpserver, 1)  # the late answer, and anything the SDK sent again

    assert result.outcome == UNKNOWN
    assert len(httpserver.log) == 1


def test_a_message_without_template_code_is_rejected_without_a_call(httpserver, gateway):
    message = Outgoing(id=7, phone="13812345678", text="您好", template_code="", params={})

    (result,) = gateway.send([message])

    assert result.outcome == REJECTED
    assert httpserver.log == []
