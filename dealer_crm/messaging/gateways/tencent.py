"""Tencent Cloud SMS (腾讯云短信, sms 2021-01-11) through its official SDK.

SendSms takes up to 200 numbers but one set of template parameters for all of them, so the batch
is grouped by template and identical parameters (a store notice with no variables goes in one
call; a greeting with each customer's name goes one call per message), ≤ 200 numbers a call and
no number twice in one call (the answer is matched to our messages by number). The calls go side
by side (SMS_TENCENT_PARALLEL at once). SessionContext carries our outbox id when a call holds one
message (Tencent echoes it in the send answer and the pull API, not in the pushed receipt).

Tencent's pushed receipts carry only its SerialNo (`sid`), which we keep as the message's
gateway_ref: receipts are matched by it. A message whose send call timed out has no SerialNo: its
receipt is matched by the number it names instead, when exactly one such message to that number
is in doubt (services.receipts_record).

What the answers mean: SendStatus Code "Ok" is accepted (SerialNo kept); LimitExceeded.* is
temporary; other codes are rejected with Tencent's code and message. For the call as a whole:
a connection that could not be made, an HTTP error or a request limit is temporary; a read
timeout, a connection dropped during the call, Tencent's own timeouts and unknown errors are
unknown (never sent again blindly); errors of our request (auth, signature, template, parameters)
are rejected. The SDK's retryer is not used: a retry after a timeout could send twice.
"""

import hashlib
import json
from itertools import groupby

from django.conf import settings

from .. import reasons
from . import base
from .base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, BadPush, Gateway, Outgoing, Receipt, Reply, Result
from .sdk import ClientPool, network_outcome, side_by_side

MAX_NUMBERS = 200
# Tencent's own failures during the call: it may have sent the messages.
IN_DOUBT = {"InternalError.Timeout", "InternalError.SendAndRecvFail", "InternalError.UnknownError",
            "InternalError.OtherError"}
# Errors of our request: sending it again will not help.
OUR_REQUEST = ("AuthFailure", "FailedOperation", "InvalidParameter", "MissingParameter", "UnauthorizedOperation",
               "UnsupportedOperation", "UnknownParameter", "ResourceNotFound", "ResourceUnavailable", "InvalidAction",
               "InternalError.Sig", "InternalError.RequestTime", "InternalError.RestApiInterfaceNotExist")


def split_code(code: str) -> tuple[str, list[str]]:
    """(template id, parameter names in the order of {1}, {2}, …) of what `template_code` gave."""
    template_id, _sep, names = code.partition(":")
    return template_id, [name for name in names.split(",") if name]


def _e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentGateway(Gateway):
    name = "tencent"
    batch_size = 200
    free_text = False
    receipt_answer = ('{"result": 0, "errmsg": "OK"}', "application/json")
    reply_answer = ('{"result": 0, "errmsg": "OK"}', "application/json")

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 region: str = "ap-guangzhou", endpoint: str = "sms.tencentcloudapi.com", protocol: str = "https",
                 timeout: float = 10.0, parallel: int = 8):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.region = region
        self.endpoint = endpoint
        self.protocol = protocol
        self.timeout = timeout
        self.parallel = parallel
        self._clients = ClientPool(self._client)

    @classmethod
    def from_settings(cls) -> "TencentGateway":
        return cls(secret_id=settings.SMS_TENCENT_SECRET_ID, secret_key=settings.SMS_TENCENT_SECRET_KEY,
                   sdk_app_id=settings.SMS_TENCENT_SDK_APP_ID, sign_name=settings.SMS_SIGN_NAME,
                   region=settings.SMS_TENCENT_REGION, endpoint=settings.SMS_TENCENT_ENDPOINT,
                   protocol=settings.SMS_TENCENT_PROTOCOL, timeout=settings.SMS_TENCENT_TIMEOUT,
                   parallel=settings.SMS_TENCENT_PARALLEL)

    def template_code(self, template) -> str:
        """The approved template id and the order of its positional parameters, as "1234567:name,date"
        (Outgoing carries one code; the order comes from the template's tencent_params, else the
        order the variables appear in its text)."""
        if template is None or not template.tencent_id:
            return ""
        from ..texts import variables_used

        names = [name.strip() for name in (template.tencent_params or "").split(",") if name.strip()]
        return f"{template.tencent_id}:{','.join(names or variables_used(template.text))}"

    # --- sending ---------------------------------------------------------------------------
    def _client(self):
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        http = HttpProfile(protocol=self.protocol, endpoint=self.endpoint, reqTimeout=self.timeout, keepAlive=True)
        return SmsClient(Credential(self.secret_id, self.secret_key), self.region, ClientProfile(httpProfile=http))

    def _calls(self, messages: list[Outgoing]) -> list[tuple[str, list[str], list[Outgoing]]]:
        """(template id, parameter values, messages) of each SendSms call."""
        def parameters(message: Outgoing) -> tuple[str, tuple[str, ...]]:
            template_id, names = split_code(message.template_code)
            return template_id, tuple(str((message.params or {}).get(name) or "") for name in names)

        calls = []
        for (template_id, values), same in groupby(sorted(messages, key=parameters), key=parameters):
            pending = list(same)
            while pending:  # ≤ 200 numbers, each number once
                call, phones, rest = [], set(), []
                for message in pending:
                    if len(call) < MAX_NUMBERS and message.phone not in phones:
                        call.append(message)
                        phones.add(message.phone)
                    else:
                        rest.append(message)
                calls.append((template_id, list(values), call))
                pending = rest
        return calls

    def send(self, messages: list[Outgoing]) -> list[Result]:
        sendable = [m for m in messages if split_code(m.template_code)[0]]
        results = [Result(id=m.id, outcome=REJECTED, code=reasons.NO_TEMPLATE_ID, reason=self.name)
                   for m in messages if not split_code(m.template_code)[0]]
        for answered in side_by_side(self._calls(sendable), self._send_call, parallel=self.parallel):
            results += answered
        return results

    def _send_call(self, call: tuple[str, list[str], list[Outgoing]]) -> list[Result]:
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        template_id, values, messages = call
        request = SendSmsRequest()
        params = {"PhoneNumberSet": [_e164(m.phone) for m in messages], "SmsSdkAppId": self.sdk_app_id,
                  "SignName": self.sign_name, "TemplateId": template_id, "TemplateParamSet": values}
        if len(messages) == 1:
            params["SessionContext"] = str(messages[0].id)
        request.from_json_string(json.dumps(params, ensure_ascii=False))
        try:
            with self._clients.client() as client:
                answer = client.SendSms(request)
        except Exception as error:  # the SDK's exceptions, and whatever it let through
            outcome, code, reason = self._failure(error)
            return base.all_results(messages, outcome, reason[:500], code=code)
        statuses = {}
        for status in answer.SendStatusSet or []:
            statuses[str(status.PhoneNumber or "")] = status
        results = []
        for message in messages:
            status = statuses.get(_e164(message.phone))
            if status is None:
                results.append(Result(id=message.id, outcome=UNKNOWN, code=reasons.NOT_IN_ANSWER))
                continue
            code = str(status.Code or "")
            if code == "Ok":
                results.append(Result(id=message.id, outcome=ACCEPTED, ref=str(status.SerialNo or "")[:100]))
            else:
                outcome = TEMPORARY if code.startswith("LimitExceeded") else REJECTED
                results.append(Result(id=message.id, outcome=outcome, reason=f"{code}: {status.Message or ''}"[:500]))
        return results

    @staticmethod
    def _failure(error: Exception) -> tuple[str, str, str]:
        """(outcome, reason code — "" for Tencent's own words —, detail) of an exception of the call."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        if not isinstance(error, TencentCloudSDKException):
            return network_outcome(error) or (UNKNOWN, reasons.UNREADABLE_ANSWER, type(error).__name__)
        code = str(error.code or "")
        reason = f"{code}: {error.message or ''}"
        if code == "ClientNetworkError":
            return network_outcome(error) or (UNKNOWN, "", reason)
        if code == "ServerNetworkError":  # an HTTP status other than 200
            return TEMPORARY, "", code
        if code.startswith(("LimitExceeded", "RequestLimitExceeded")):
            return TEMPORARY, "", reason
        if code in IN_DOUBT:
            return UNKNOWN, "", reason
        if code.startswith(OUR_REQUEST):
            return REJECTED, "", reason
        # The SDK wraps what it did not expect under the exception's class name (a body cut off,
        # an answer that is not JSON): the request was sent, so the messages may be on their way.
        return network_outcome(error) or (UNKNOWN, "", reason)

    # --- pushes ----------------------------------------------------------------------------
    @staticmethod
    def _load(body: bytes):
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadPush("The body is not JSON.") from error

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        data = self._load(body)
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise BadPush("Tencent pushes receipts as a JSON array.")
        receipts = []
        for item in data:
            if not isinstance(item, dict) or item.get("report_status") not in ("SUCCESS", "FAIL") or not item.get("sid"):
                raise BadPush("Each receipt has a sid and a report_status of SUCCESS or FAIL.")
            delivered = item["report_status"] == "SUCCESS"
            reason = "" if delivered else f"{item.get('errmsg') or ''}: {item.get('description') or ''}".strip(": ")
            # The number, for the message whose send call timed out (no SerialNo kept): mainland only,
            # as the outbox holds 11-digit mobiles.
            phone = str(item.get("mobile") or "") if str(item.get("nationcode") or "86") == "86" else ""
            receipts.append(Receipt(id=None, delivered=delivered, reason=reason[:500], ref=str(item["sid"])[:100],
                                    phone=phone[:20]))
        return receipts

    def parse_replies(self, body: bytes) -> list[Reply]:
        data = self._load(body)
        items = data if isinstance(data, list) else [data]
        replies = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("mobile"), str) or not isinstance(item.get("text"), str):
                raise BadPush("A reply has a mobile and a text.")
            # The push has no id of its own; a repeated push has the same number, second and text.
            digest = hashlib.sha1(item["text"].encode()).hexdigest()[:12]
            ref = f"{item.get('nationcode') or ''}{item['mobile']}:{item.get('time') or ''}:{digest}"
            replies.append(Reply(phone=item["mobile"], text=item["text"][:500], ref=ref[:100]))
        return replies
