"""The gateways' pushes: delivery receipts at /sms/receipts/<gateway>/<token>/, customers' replies
at /sms/replies/<gateway>/<token>/. The views read and parse the push; matching receipts to our
messages and settling them is services.receipts_record's, for every caller alike.

Aliyun and Tencent do not sign their pushes, so the URL carries a secret (SMS_CALLBACK_TOKEN): a
wrong token, or none configured, is a plain 404 that tells nothing. The gateway must hear back
within its deadline (Aliyun: about 700 ms) in its own format, or it pushes again: the body is read
once, at most SMS_CALLBACK_MAX_BYTES (larger: 413, unread), and the receipts are stored with a few
set-based queries whatever their number. A receipt for no message of ours (another system on the
same account, a message since deleted) is counted and answered like the others — refusing it would
only make the gateway push it again for a day. A body that is not the gateway's format is a 400
and changes nothing. The token never reaches the log: dealer_crm.logs.CallbackTokenHidden hides
it in Django's request and runserver logs, and these views never log a path.

`console` pushes nothing itself; its endpoints take the generic `http` format, so that a developer
can play a gateway with curl against `make run`.
"""

import hmac
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from .. import services
from ..gateways import gateway_class
from ..gateways.base import BadPush, Gateway
from ..gateways.http import HttpGateway

logger = logging.getLogger(__name__)

PUSHING = ("http", "aliyun", "tencent", "console")


def _gateway_for(name: str, token: str) -> Gateway:
    """The gateway whose push this is, once the token is right; 404 for anything else."""
    expected = settings.SMS_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()) or name not in PUSHING:
        raise Http404()
    if name == "console":
        return HttpGateway(url="")
    return gateway_class(name).from_settings()


def _body(request: HttpRequest) -> bytes | None:
    """The request's body, or None when it is larger than SMS_CALLBACK_MAX_BYTES (never read whole)."""
    limit = settings.SMS_CALLBACK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _answer(answer: tuple[str, str], **counts: int) -> HttpResponse:
    response = HttpResponse(answer[0], content_type=answer[1])
    response["X-SMS-Counts"] = "; ".join(f"{key}={value}" for key, value in counts.items())
    return response


def _refused(status: int, error: str) -> JsonResponse:
    return JsonResponse({"error": error}, status=status)


def _read_push(request: HttpRequest, gateway: str, token: str, parse: str):
    """(gateway, what it pushed) of an acceptable push, read by the gateway's `parse` method
    (parse_receipts, parse_replies); else the response that refuses it, having changed nothing."""
    gateway_obj = _gateway_for(gateway, token)
    if request.method != "POST":
        return None, HttpResponseNotAllowed(["POST"])
    body = _body(request)
    if body is None:
        return None, _refused(413, "The body is too large.")
    try:
        return (gateway_obj, getattr(gateway_obj, parse)(body)), None
    except BadPush as error:
        return None, _refused(400, str(error))


@csrf_exempt
@login_not_required
def receipts_push(request: HttpRequest, gateway: str, token: str) -> HttpResponse:
    accepted, refusal = _read_push(request, gateway, token, "parse_receipts")
    if refusal is not None:
        return refusal
    gateway_obj, receipts = accepted
    counts = services.receipts_record(gateway_name=gateway, receipts=receipts)
    logger.info("SMS receipts from %s: %d received, %d settled, %d for no message of ours",
                gateway, counts["receipts"], counts["settled"], counts["unmatched"])
    return _answer(gateway_obj.receipt_answer, received=counts["receipts"], settled=counts["settled"],
                   unknown=counts["unmatched"])


@csrf_exempt
@login_not_required
def replies_push(request: HttpRequest, gateway: str, token: str) -> HttpResponse:
    accepted, refusal = _read_push(request, gateway, token, "parse_replies")
    if refusal is not None:
        return refusal
    gateway_obj, replies = accepted
    stored = [services.reply_record(gateway_name=gateway, reply=reply) for reply in replies]
    opt_outs = sum(1 for record in stored if record.opt_out)
    logger.info("SMS replies from %s: %d received, %d opt-outs", gateway, len(stored), opt_outs)
    return _answer(gateway_obj.reply_answer, received=len(stored), opt_outs=opt_outs)


urlpatterns = [
    path("receipts/<str:gateway>/<str:token>/", receipts_push, name="receipts_push"),
    path("replies/<str:gateway>/<str:token>/", replies_push, name="replies_push"),
]
