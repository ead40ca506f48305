"""A message's reason becomes a code, shown in the reader's language, and its detail.

Until now the reason was stored as display text: English for the gateways' own outcomes ("The
gateway did not answer in time."), and in the language of the worker that wrote it for the
dispatcher's ("排队后客户已拒收。"). The texts we wrote are recognised here — in English and in
Chinese — and become their code with the detail they carried (an HTTP status, an error's class, a
user name). A failure reason that repeats the message's failed receipt is the gateway's verdict
(`undelivered`); any other text is the gateway's own words, kept verbatim (`gateway`). Going back
writes the English texts again.
"""

import re

from django.db import migrations, models
from django.db.models import Exists, OuterRef

# (pattern, code, the group that is the detail — or a fixed detail —, the English text going back)
KNOWN = [
    (r"The gateway did not answer in time\.", "timeout", "", "The gateway did not answer in time."),
    (r"No connection to the gateway: (.+)", "no_connection", 1, "No connection to the gateway: {}"),
    (r"The connection to the gateway broke during the call: (.+)", "connection_broken", 1,
     "The connection to the gateway broke during the call: {}"),
    (r"The gateway's answer could not be read\.", "unreadable_answer", "", "The gateway's answer could not be read."),
    (r"The gateway's answer could not be read: (.+)", "unreadable_answer", 1, "The gateway's answer could not be read: {}"),
    (r"Not in the gateway's answer\.", "not_in_answer", "", "Not in the gateway's answer."),
    (r"(HTTP \d{3}(?:: .*)?)", "http_error", 1, "{}"),
    (r"The template has no Aliyun template code\.", "no_template_id", "aliyun", "The template has no Aliyun template code."),
    (r"The template has no Tencent template ID\.", "no_template_id", "tencent", "The template has no Tencent template ID."),
    (r"The send failed unexpectedly\.", "send_crashed", "", "The send failed unexpectedly."),
    (r"The customer refused it after it was queued\.|排队后客户已拒收。", "refused_at_send", "",
     "The customer refused it after it was queued."),
    (r"The sender stopped during the send: the gateway may have it\.|发送过程中发送程序停止：网关可能已收到此短信。",
     "sender_stopped", "", "The sender stopped during the send: the gateway may have it."),
    (r"Gave up after \d+ attempts: (.*)|尝试 \d+ 次后放弃：(.*)", "temporary_gave_up", 1, "Gave up after {n} attempts: {}"),
    (r"Sent again by (.+): it had not arrived\.|(.+) 确认未送达，已重新发送。", "resent_by_person", 1,
     "Sent again by {}: it had not arrived."),
    (r"Marked as failed by (.+)\.|已由 (.+) 标记为失败。", "failed_by_person", 1, "Marked as failed by {}."),
    (r"rejected", "gateway", "", "rejected"),  # the http gateway's word for a rejection without a reason
]
BACK = {code: english for _pattern, code, _detail, english in KNOWN if code != "no_template_id"}
BACK.update({"gateway": "{}", "undelivered": "{}"})


def code_of(text: str) -> tuple[str, str]:
    """(code, detail) of a reason text we wrote; ("gateway", text) for the gateway's own words."""
    for pattern, code, detail, _english in KNOWN:
        match = re.fullmatch(pattern, text, flags=re.DOTALL)
        if match is None:
            continue
        if isinstance(detail, str):
            return code, detail
        found = next((group for group in match.groups() if group is not None), "")
        if code == "temporary_gave_up":  # the last answer's own reason: keep its detail only
            inner_code, inner_detail = code_of(found)
            found = inner_detail if inner_code != "gateway" and inner_detail else found
        return code, found
    return "gateway", text


def forwards(apps, schema_editor):
    Message = apps.get_model("messaging", "OutboundMessage")
    Receipt = apps.get_model("messaging", "DeliveryReceipt")
    untouched = Message.objects.filter(reason_code="").exclude(reason="")
    # The failure a receipt reported: the gateway's verdict on delivery, its words kept.
    untouched.filter(status="failed").filter(Exists(Receipt.objects.filter(
        message=OuterRef("pk"), delivered=False, reason=OuterRef("reason")))).update(reason_code="undelivered")
    texts = untouched.values_list("reason", flat=True).distinct()
    for text in list(texts.iterator()):
        code, detail = code_of(text)
        Message.objects.filter(reason_code="", reason=text).update(reason_code=code, reason=detail[:500])


def backwards(apps, schema_editor):
    Message = apps.get_model("messaging", "OutboundMessage")
    pairs = Message.objects.exclude(reason_code="").values_list("reason_code", "reason", "attempts").distinct()
    for code, detail, attempts in list(pairs.iterator()):
        if code == "no_template_id":
            text = f"The template has no {'Tencent template ID' if detail == 'tencent' else 'Aliyun template code'}."
        else:
            text = BACK.get(code, "{}").replace("{n}", str(attempts)).replace("{}", detail)
        Message.objects.filter(reason_code=code, reason=detail, attempts=attempts).update(reason_code="", reason=text[:500])


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0003_gateway_ref_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="reason_code",
            field=models.CharField(blank=True, max_length=30, verbose_name="reason code"),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="reason",
            field=models.CharField(blank=True, max_length=500, verbose_name="reason detail"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
