"""What retention starts with: the lapse bands, the texts of the reminders, and the callback rules
of the retention calls.

- Lapse bands (流失分级): 6, 12 and 18 months without a visit, each with a win-back call.
- SMS texts (service purpose; the store has them approved at its gateway and enters the codes):
  首保招揽 ``retention_first``, 保养提醒 ``retention_reminder``, 流失关怀 ``retention_win_back`` (the text
  a win-back call's customer who takes no calls gets instead). The demo's ``first_maintenance`` and
  ``maintenance_due`` are the demo outbox's, not these.
- Callback rules of the calls retention makes (the daily build does not): first-maintenance calls
  (priority 5: the free first maintenance has a deadline), maintenance reminder and win-back calls
  (priority 0); each due on its day, open 14 days, 3 attempts over 3 days, customers who take no
  calls get the rule's text, and the lost-contact text after the last failed call.
"""

from django.db import migrations
from django.db.models import ProtectedError

BANDS = [(6, "流失6个月"), (12, "流失12个月"), (18, "流失18个月")]

TEMPLATES = [
    ("retention_first", "首保招揽",
     "{name}{title}您好，您的{model}（{plate}）请于{date}前回店做首次保养，首保免工时费，欢迎提前预约。{store}恭候您。"),
    ("retention_reminder", "保养提醒",
     "{name}{title}您好，您的爱车{plate}预计{date}前后到保养周期，为保障行车安全，请近期预约回店保养。"
     "服务顾问{advisor}恭候。"),
    ("retention_win_back", "流失关怀",
     "{name}{title}您好，{store}好久没见到您和爱车了！车辆保养、检测欢迎随时预约，我们将竭诚为您服务。"),
]

# (kind, priority, the text for customers who take no calls)
RULES = [
    ("solicit", 5, "retention_first"),
    ("reminder", 0, "retention_reminder"),
    ("win_back", 0, "retention_win_back"),
]
UNREACHABLE_KEY = "callback_unreachable_sms"


def create(apps, schema_editor):
    """Idempotent (get-or-create): also what the tests call after a transactional test emptied the tables."""
    LapseBand = apps.get_model("retention", "LapseBand")
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    for months, name in BANDS:
        LapseBand.objects.get_or_create(months=months, defaults={"name": name, "win_back_call": True, "active": True})
    templates = {}
    for key, name, text in TEMPLATES:
        templates[key], _created = SmsTemplate.objects.get_or_create(
            key=key, defaults={"name": name, "purpose": "service", "text": text})
    unreachable = SmsTemplate.objects.filter(key=UNREACHABLE_KEY).first()
    for kind, priority, template_key in RULES:
        CallbackRule.objects.get_or_create(kind=kind, visit_kind="", defaults={
            "due_days": [0], "expires_after_days": 14, "priority": priority, "max_attempts": 3, "attempt_days": 3,
            "no_calls": "sms", "sms_template": templates[template_key], "unreachable_sms_template": unreachable})


def remove(apps, schema_editor):
    apps.get_model("callbacks", "CallbackRule").objects.filter(kind__in=[kind for kind, *_rest in RULES],
                                                               visit_kind="").delete()
    LapseBand = apps.get_model("retention", "LapseBand")
    for band in LapseBand.objects.filter(months__in=[months for months, _name in BANDS]):
        try:
            band.delete()
        except ProtectedError:  # lapses were recorded in it: it stays
            pass
    for template in apps.get_model("messaging", "SmsTemplate").objects.filter(key__in=[key for key, *_r in TEMPLATES]):
        try:
            template.delete()
        except ProtectedError:  # the outbox protects a template it sent: keep it
            pass


class Migration(migrations.Migration):

    dependencies = [
        ("retention", "0001_retention"),
        ("callbacks", "0007_retention_kinds"),
        ("messaging", "0005_staff_alert"),
    ]

    operations = [migrations.RunPython(create, remove)]
