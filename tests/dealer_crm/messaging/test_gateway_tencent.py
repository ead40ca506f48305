"""The Tencent gateway through the real SDK (tencentcloud-sdk-python-sms), pointed at a local server
standing in for sms.tencentcloudapi.com: how a batch becomes SendSms calls, what the SDK sends, and
what each answer means."""

import json
import socket
import time

import pytest
from werkzeug import Request, Response

from dealer_crm.messaging import reasons
from dealer_crm.messaging.gateways import get_gateway
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Outgoing
from dealer_crm.messaging.gateways.tencent import TencentGateway
from dealer_crm.messaging.models import Purpose, SmsTemplate

CODE = "1234567:name,date"  # what template_code gives: the id, then the order of {1}, {2}


def _response(body: dict, status: int = 200) -> Response:
    # Tencent answers application/json exactly; the SDK reads its Error only then.
    return Response(json.dumps({"Response": body}), status=status, content_type="application/json")


def _status(phone: str, code: str = "Ok", message: str = "send success") -> dict:
    return {"SerialNo": f"2019:{phone[-4:]}", "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
            "Code": code, "Message": message, "IsoCode": "CN"}


def _all_ok(request: Request) -> Response:
    sent = json.loads(request.get_data())
    return _response({"SendStatusSet": [_status(phone) for phone in sent["PhoneNumberSet"]], "RequestId": "r-1"})


def _gateway(endpoint: str, **kwargs) -> TencentGateway:
    kwargs.setdefault("timeout", 2)
    return TencentGateway(secret_id="AKIDtest", secret_key="test-key", sdk_app_id="1400006666", sign_name="蚌埠雷诺4S店",
                          endpoint=endpoint, protocol="http", **kwargs)


@pytest.fixture
def gateway(httpserver):
    return _gateway(f"{httpserver.host}:{httpserver.port}", parallel=4)


def _message(id_: int, phone: str, name: str = "张三", date: str = "12月6日", code: str = CODE) -> Outgoing:
    return Outgoing(id=id_, phone=phone, text=f"{name}您好，{date}店庆。", template_code=code,
                    params={"date": date, "name": name})


def _calls(httpserver) -> list[dict]:
    return [json.loads(request.get_data()) for request, _response in httpserver.log]


def _wait_for_answers(httpserver, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_messages_with_the_same_parameters_go_in_one_call_others_alone(httpserver, gateway):
    httpserver.expect_request("/", method="POST").respond_with_handler(_all_ok)

    results = gateway.send([_message(1, "13800000001", "张三"), _message(2, "13800000002", "李四"),
                            _message(3, "13800000003", "张三")])

    assert {(r.id, r.outcome, r.ref) for r in results} == {
        (1, ACCEPTED, "2019:0001"), (2, ACCEPTED, "2019:0002"), (3, ACCEPTED, "2019:0003")}
    calls = sorted(_calls(httpserver), key=lambda call: len(call["PhoneNumberSet"]))
    assert [call["PhoneNumberSet"] for call in calls] == [["+8613800000002"], ["+8613800000001", "+8613800000003"]]
    alone, together = calls
    assert alone["TemplateParamSet"] == ["李四", "12月6日"]  # in the template's order, not the text's
    assert together["TemplateParamSet"] == ["张三", "12月6日"]
    assert alone["SessionContext"] == "2"  # our id, where the call holds one message
    assert "SessionContext" not in together
    assert {(call["TemplateId"], call["SmsSdkAppId"], call["SignName"]) for call in calls} == {
        ("1234567", "1400006666", "蚌埠雷诺4S店")}
    request, _response_ = httpserver.log[0]
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["X-TC-Version"] == "2021-01-11"
    assert request.headers["X-TC-Region"] == "ap-guangzhou"


def test_a_call_holds_at_most_200_numbers_and_each_number_once(httpserver, gateway):
    httpserver.expect_request("/").respond_with_handler(_all_ok)
    messages = [_message(n, f"139{n:08d}", "各位车主") for n in range(1, 451)]
    messages.append(_message(451, "13900000001", "各位车主"))  # the same number again

    results = gateway.send(messages)

    calls = [call["PhoneNumberSet"] for call in _calls(httpserver)]
    assert sorted(len(numbers) for numbers in calls) == [51, 200, 200]
    assert all(len(set(numbers)) == len(numbers) for numbers in calls)
    assert sum(numbers.count("+8613900000001") for numbers in calls) == 2  # in two calls
    assert sorted(r.id for r in results if r.outcome == ACCEPTED) == list(range(1, 452))


def test_the_settings_choose_the_endpoint_application_and_region(httpserver, settings):
    settings.SMS_GATEWAY = "tencent"
    settings.SMS_TENCENT_ENDPOINT = f"{httpserver.host}:{httpserver.port}"
    settings.SMS_TENCENT_PROTOCOL = "http"
    settings.SMS_TENCENT_SECRET_ID = "AKIDfromSettings"
    settings.SMS_TENCENT_SECRET_KEY = "key-from-settings"
    settings.SMS_TENCENT_SDK_APP_ID = "1400009999"
    settings.SMS_TENCENT_REGION = "ap-nanjing"
    httpserver.expect_request("/").respond_with_handler(_all_ok)

    gateway = get_gateway()
    (result,) = gateway.send([_message(5, "13800000005")])

    assert (gateway.name, gateway.batch_size, gateway.free_text) == ("tencent", 200, False)
    assert result.outcome == ACCEPTED
    (request, _response_), = httpserver.log
    assert json.loads(request.get_data())["SmsSdkAppId"] == "1400009999"
    assert request.headers["X-TC-Region"] == "ap-nanjing"
    assert "Credential=AKIDfromSettings/" in request.headers["Authorization"]


@pytest.mark.django_db
def test_the_template_code_carries_the_id_and_the_parameter_order():
    gateway = _gateway("sms.tencentcloudapi.com")
    ordered = SmsTemplate(key="a", name="店庆", purpose=Purpose.MARKETING, text="{name}您好，{date}店庆",
                          tencent_id="1234567", tencent_params="date, name")
    unordered = SmsTemplate(key="b", name="提醒", purpose=Purpose.SERVICE, text="{name}您好，{plate}保养到期",
                            tencent_id="7654321")
    waiting = SmsTemplate(key="c", name="待审", purpose=Purpose.SERVICE, text="{name}您好")

    assert gateway.template_code(ordered) == "1234567:date,name"
    assert gateway.template_code(unordered) == "7654321:name,plate"  # the text's order
    assert gateway.template_code(waiting) == ""


def test_each_numbers_status_decides_its_message(httpserver, gateway):
    def mixed(request):
        return _response({"SendStatusSet": [
            _status("+8613800000001"),
            _status("+8613800000002", "LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限"),
            _status("+8613800000003", "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
        ], "RequestId": "r-3"})

    httpserver.expect_request("/").respond_with_handler(mixed)

    results = {r.id: r for r in gateway.send([_message(n, f"1380000000{n}", "各位") for n in (1, 2, 3, 4)])}

    assert results[1].outcome == ACCEPTED
    assert results[2].outcome == TEMPORARY
    assert results[2].reason.startswith("LimitExceeded.PhoneNumberThirtySecondLimit")
    assert results[3].outcome == REJECTED
    assert results[3].reason == "InvalidParameterValue.IncorrectPhoneNumber: 手机号格式错误"
    assert results[4].outcome == UNKNOWN  # not in the answer: it may have gone


@pytest.mark.parametrize(("code", "outcome"), [
    ("AuthFailure.SecretIdNotFound", REJECTED),
    ("FailedOperation.TemplateIncorrectOrUnapproved", REJECTED),
    ("RequestLimitExceeded", TEMPORARY),
    ("LimitExceeded.AppDailyLimit", TEMPORARY),
    ("InternalError.Timeout", UNKNOWN),
])
def test_an_error_of_the_whole_call_decides_every_message(httpserver, gateway, code, outcome):
    httpserver.expect_request("/").respond_with_response(
        _response({"Error": {"Code": code, "Message": "说明"}, "RequestId": "r-4"}))

    results = gateway.send([_message(1, "13800000001", "各位"), _message(2, "13800000002", "各位")])

    assert [r.outcome for r in results] == [outcome, outcome]
    assert results[0].reason == f"{code}: 说明"


def test_an_http_error_is_temporary(httpserver, gateway):
    httpserver.expect_request("/").respond_with_data("Bad Gateway", status=502)

    (result,) = gateway.send([_message(1, "13800000001")])

    assert result.outcome == TEMPORARY


def test_a_refused_connection_is_temporary():
    (result,) = _gateway(f"127.0.0.1:{_closed_port()}").send([_message(1, "13800000001")])

    assert (result.outcome, result.code, result.reason) == (TEMPORARY, reasons.NO_CONNECTION, "ConnectionError")


def test_a_read_timeout_is_unknown_and_the_sdk_does_not_send_again(httpserver):
    def slow(request):
        time.sleep(1.0)
        return _all_ok(request)

    httpserver.expect_request("/").respond_with_handler(slow)

    (result,) = _gateway(f"{httpserver.host}:{httpserver.port}", timeout=0.3).send([_message(1, "13800000001")])
    _wait_for_answers(httpserver, 1)  # the late answer, and anything the SDK sent again

    assert result.outcome == UNKNOWN
    assert len(httpserver.log) == 1


def test_a_message_without_template_id_is_rejected_without_a_call(httpserver, gateway):
    (result,) = gateway.send([_message(1, "13800000001", code="")])

    assert result.outcome == REJECTED
    assert httpserver.log == []
