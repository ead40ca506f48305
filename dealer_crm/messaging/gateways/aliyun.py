"""Aliyun SMS (阿里云短信服务, dysmsapi 2017-05-25) through its official SDK.

One SendSms call per message, with OutId = our outbox id — not SendBatchSms. SendBatchSms sends up
to 100 numbers with their own parameters, but takes one OutId (and answers one BizId) for the whole
call, so its receipts would not say which of our messages they are for. That matters most exactly
when it must work: a receipt that arrives before the send call has returned (we have no BizId yet),
and the receipt that settles a timed-out call (we never got one). With SendSms every receipt
carries our own id. The calls of a batch go side by side (SMS_ALIYUN_PARALLEL at once), over the
SDK's kept-alive connections.

The SDK never retries here (no retry options are set): a retry after a timeout could send twice.
What the answers mean:
- Code "OK": accepted, BizId kept as the gateway's reference;
- throttling (isv.BUSINESS_LIMIT_CONTROL, Throttling*), isp.SYSTEM_ERROR, HTTP 5xx, a connection
  that could not be made: temporary (nothing was sent; retried with back-off);
- other codes (isv.*: a bad number, an unapproved template or signature, …) and HTTP 4xx: rejected,
  with Aliyun's code and message as the reason;
- a read timeout, a connection dropped during the call, an answer that cannot be read: unknown.

Receipts (回执消息, SmsReport) and replies (上行消息, SmsUp) come as HTTP batch pushes of JSON arrays.
"""

import json

from django.conf import settings

from .. import reasons
from .base import (
    ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, BadPush, Gateway, Outgoing, Receipt, Reply, Result, read_out_id,
)
from .sdk import ClientPool, network_outcome, side_by_side

THROTTLED = {"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR"}


def _temporary_code(code: str) -> bool:
    return code in THROTTLED or code.startswith("Throttling")


class AliyunGateway(Gateway):
    name = "aliyun"
    batch_size = 100
    free_text = False
    receipt_answer = ('{"code": 0, "msg": "OK"}', "application/json")
    reply_answer = ('{"code": 0, "msg": "OK"}', "application/json")

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 endpoint: str = "dysmsapi.aliyuncs.com", protocol: str = "https", timeout: float = 10.0,
                 parallel: int = 8):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.protocol = protocol
        self.timeout = timeout
        self.parallel = parallel
        self._clients = ClientPool(self._client)

    @classmethod
    def from_settings(cls) -> "AliyunGateway":
        return cls(access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID, access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                   sign_name=settings.SMS_SIGN_NAME, endpoint=settings.SMS_ALIYUN_ENDPOINT,
                   protocol=settings.SMS_ALIYUN_PROTOCOL, timeout=settings.SMS_ALIYUN_TIMEOUT,
                   parallel=settings.SMS_ALIYUN_PARALLEL)

    def template_code(self, template) -> str:
        return (template.aliyun_code or "") if template is not None else ""

    # --- sending ---------------------------------------------------------------------------
    def _client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        milliseconds = int(self.timeout * 1000)
        return Client(Config(access_key_id=self.access_key_id, access_key_secret=self.access_key_secret,
                             endpoint=self.endpoint, protocol=self.protocol, read_timeout=milliseconds,
                             connect_timeout=min(milliseconds, 5000)))

    def send(self, messages: list[Outgoing]) -> list[Result]:
        return side_by_side(messages, self._send_one, parallel=self.parallel)

    def _send_one(self, message: Outgoing) -> Result:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        if not message.template_code:
            return Result(id=message.id, outcome=REJECTED, code=reasons.NO_TEMPLATE_ID, reason=self.name)
        request = SendSmsRequest(phone_numbers=message.phone, sign_name=self.sign_name,
                                 template_code=message.template_code, out_id=str(message.id),
                                 template_param=json.dumps(message.params or {}, ensure_ascii=False))
        try:
            with self._clients.client() as client:
                body = client.send_sms(request).body
        except Exception as error:  # the SDK's exceptions, and whatever it let through
            outcome, code, reason = self._failure(error)
            return Result(id=message.id, outcome=outcome, code=code, reason=reason[:500])
        code = str(getattr(body, "code", "") or "")
        if code == "OK":
            return Result(id=message.id, outcome=ACCEPTED, ref=str(body.biz_id or "")[:100])
        reason = f"{code}: {getattr(body, 'message', '') or ''}"[:500]
        if not code:
            return Result(id=message.id, outcome=UNKNOWN, code=reasons.UNREADABLE_ANSWER)
        return Result(id=message.id, outcome=TEMPORARY if _temporary_code(code) else REJECTED, reason=reason)

    @staticmethod
    def _failure(error: Exception) -> tuple[str, str, str]:
        """(outcome, reason code — "" for Aliyun's own words —, detail) of an exception of the call."""
        from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException

        if isinstance(error, ThrottlingException):
            return TEMPORARY, "", f"{error.code}: {error.message}"
        if isinstance(error, ServerException):
            return TEMPORARY, reasons.HTTP_ERROR, f"HTTP {error.status_code}: {error.code}"
        if isinstance(error, ClientException):
            code = str(error.code or "")
            return (TEMPORARY if _temporary_code(code) else REJECTED), "", f"{code}: {error.message}"
        network = network_outcome(error)
        if network is not None:
            return network
        return UNKNOWN, reasons.UNREADABLE_ANSWER, type(error).__name__

    # --- pushes ----------------------------------------------------------------------------
    @staticmethod
    def _items(body: bytes) -> list[dict]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadPush("The body is not JSON.") from error
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise BadPush("Aliyun pushes a JSON array of objects.")
        return data

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        receipts = []
        for item in self._items(body):
            success = item.get("success")
            if isinstance(success, str) and success.lower() in ("true", "false"):
                success = success.lower() == "true"
            if not isinstance(success, bool):
                raise BadPush("Each receipt has success: true or false.")
            reason = "" if success else f"{item.get('err_code') or ''}: {item.get('err_msg') or ''}".strip(": ")
            receipts.append(Receipt(id=read_out_id(item.get("out_id")), delivered=success, reason=reason[:500],
                                    ref=str(item.get("biz_id") or "")[:100]))
        return receipts

    def parse_replies(self, body: bytes) -> list[Reply]:
        replies = []
        for item in self._items(body):
            if not isinstance(item.get("phone_number"), str) or not isinstance(item.get("content"), str):
                raise BadPush("Each reply has a phone_number and a content.")
            sequence = item.get("sequence_id")
            replies.append(Reply(phone=item["phone_number"], text=item["content"][:500],
                                 ref=str(sequence)[:100] if sequence not in (None, "") else ""))
        return replies
