"""The default rules that build the callback queues, the outcome rules (recycle codes), and the three
service texts of the SMS route.

Callback rules (days counted from the delivery, the repair order's close, the fix or the request):
- thank-you: due day 1, open until day 7;
- SSI: waves on day 3 and day 7, each its own callback, both open until day 14 (a wave is due on its
  own day and expires `expires_after_days` after the delivery, like every other rule);
- CSI: one rule per visit type except internal orders, due day 3, open until day 15;
- second callback (created when a problem's fix is recorded): due day 1, open until day 7;
- requested (the customer names the time): due day 0, open until day 7.
Priorities: second 30, SSI and CSI 10, thank-you and requested 0. Every rule tries 3 times over 3 days;
customers who take no calls get the SMS route.

Outcome rules: no answer reappears after 240 minutes (another time of day), busy after 30 minutes;
"call back at…" has no fixed delay — the agent gives the time the customer asked for; wrong number,
refused and completed end the callback.
"""

from django.db import migrations
from django.db.models import ProtectedError

TEMPLATES = [
    ("callback_thank_you_sms", "回访·感谢短信",
     "{name}{title}您好，感谢您选择{store}，祝您用车愉快！如有任何问题请随时联系我们。"),
    ("callback_survey_sms", "回访·满意度短信",
     "{name}{title}您好，感谢您光临{store}。请您对本次服务打分：回复1至5（5为非常满意），"
     "或致电我们的客服中心，您的意见对我们很重要。"),
    ("callback_unreachable_sms", "回访·未联系上短信",
     "{name}{title}您好，我们是{store}客服中心，多次致电未能联系上您。如您对我们的服务有任何意见或建议，"
     "欢迎随时致电我们，感谢您的支持！"),
]

CSI_VISIT_KINDS = ["first", "scheduled", "repair", "bodywork", "warranty", "accident"]

# (kind, visit_kind, due_days, expires_after_days, priority, sms template key)
RULES = [
    ("thank_you", "", [1], 7, 0, "callback_thank_you_sms"),
    ("ssi", "", [3, 7], 14, 10, "callback_survey_sms"),
    *[("csi", visit_kind, [3], 15, 10, "callback_survey_sms") for visit_kind in CSI_VISIT_KINDS],
    ("second", "", [1], 7, 30, "callback_survey_sms"),
    ("requested", "", [0], 7, 0, "callback_thank_you_sms"),
]

OUTCOMES = [
    ("no_answer", 240),
    ("busy", 30),
    ("call_back", None),
    ("wrong_number", None),
    ("refused", None),
    ("completed", None),
]


def create_defaults(apps, schema_editor):
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    OutcomeRule = apps.get_model("callbacks", "OutcomeRule")
    templates = {}
    for key, name, text in TEMPLATES:
        templates[key], _created = SmsTemplate.objects.get_or_create(
            key=key, defaults={"name": name, "purpose": "service", "text": text})
    for kind, visit_kind, due_days, expires, priority, template_key in RULES:
        CallbackRule.objects.get_or_create(kind=kind, visit_kind=visit_kind, defaults={
            "due_days": due_days, "expires_after_days": expires, "priority": priority,
            "max_attempts": 3, "attempt_days": 3, "no_calls": "sms", "sms_template": templates[template_key]})
    for outcome, minutes in OUTCOMES:
        OutcomeRule.objects.get_or_create(outcome=outcome, defaults={"retry_after_minutes": minutes})


def remove_defaults(apps, schema_editor):
    apps.get_model("callbacks", "CallbackRule").objects.filter(
        kind__in={kind for kind, *_rest in RULES}).delete()
    apps.get_model("callbacks", "OutcomeRule").objects.filter(outcome__in=[o for o, _m in OUTCOMES]).delete()
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    # A template already used by a message stays (the outbox protects it); the unused ones go.
    for template in SmsTemplate.objects.filter(key__in=[key for key, *_rest in TEMPLATES]):
        try:
            template.delete()
        except ProtectedError:  # the outbox protects a template it sent: keep it
            pass


class Migration(migrations.Migration):

    dependencies = [
        ("callbacks", "0001_initial"),
        ("messaging", "0003_gateway_ref_index"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
