"""What the birthdays start with: the greeting texts and the birthday call's rule.

- SMS texts (care purpose; the store has them approved at its gateway and enters the codes):
  生日祝福 ``birthday_greeting`` (the customer's own birthday) and 子女生日祝福 ``birthday_child``
  (to the parent, on a child's birthday: ``{date}`` is the day). The demo's ``birthday`` is the
  demo outbox's, not these.
- The birthday call of important and VIP customers (CallbackKind.BIRTHDAY): due on the day at the
  shift's start, priority 20 so it comes first in the queue (the norm: within 2 hours of the shift's
  start), open until the end of the next day, 2 attempts over 1 day; a customer who takes no calls
  is skipped (they have the greeting SMS).
"""

from django.db import migrations
from django.db.models import ProtectedError

TEMPLATES = [
    ("birthday_greeting", "生日祝福",
     "{name}{title}您好，今天是您的生日，{store}全体员工祝您生日快乐，身体健康，万事如意！"),
    ("birthday_child", "子女生日祝福",
     "{name}{title}您好，{date}是您孩子的生日，{store}祝宝贝生日快乐，健康快乐成长！"),
]
RULE = {"kind": "birthday", "visit_kind": ""}


def create(apps, schema_editor):
    """Idempotent (get-or-create): also what the tests call after a transactional test emptied the tables."""
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    for key, name, text in TEMPLATES:
        SmsTemplate.objects.get_or_create(key=key, defaults={"name": name, "purpose": "care", "text": text})
    CallbackRule.objects.get_or_create(**RULE, defaults={
        "due_days": [0], "expires_after_days": 1, "priority": 20, "max_attempts": 2, "attempt_days": 1,
        "no_calls": "skip"})


def remove(apps, schema_editor):
    apps.get_model("callbacks", "CallbackRule").objects.filter(**RULE).delete()
    for template in apps.get_model("messaging", "SmsTemplate").objects.filter(key__in=[key for key, *_r in TEMPLATES]):
        try:
            template.delete()
        except ProtectedError:  # the outbox protects a template it sent: keep it
            pass


class Migration(migrations.Migration):

    dependencies = [
        ("birthdays", "0001_greetings"),
    ]

    operations = [migrations.RunPython(create, remove)]
