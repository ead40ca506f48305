"""What events start with: the invitation call's rule on the callback queue and the invitation text.

- SMS text (marketing purpose; the store has it approved at its gateway and enters the codes):
  活动邀约 ``event_invitation``, with the event's {date} and {time}. The opt-out line (回T退订) is added
  by the platform to every marketing text.
- The callback rule of the invitation calls (events makes them, not the daily build): priority 3
  (an event has a date), due when made, open until the event starts (the rule's 14 days are its
  upper bound), 3 attempts over 3 days; a customer who takes no calls gets no call (they are texted
  with the invitation SMS, or not at all: `skip`).
"""

from django.db import migrations
from django.db.models import ProtectedError

TEMPLATE = ("event_invitation", "活动邀约",
            "{name}{title}您好，{store}诚邀您于{date} {time}到店参加车主活动，现场有精美礼品，期待您的光临，"
            "回复或来电确认出席人数。")


def create(apps, schema_editor):
    """Idempotent (get-or-create): also what the tests call after a transactional test emptied the tables."""
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    key, name, text = TEMPLATE
    SmsTemplate.objects.get_or_create(key=key, defaults={"name": name, "purpose": "marketing", "text": text})
    CallbackRule.objects.get_or_create(kind="invitation", visit_kind="", defaults={
        "due_days": [0], "expires_after_days": 14, "priority": 3, "max_attempts": 3, "attempt_days": 3,
        "no_calls": "skip"})


def remove(apps, schema_editor):
    apps.get_model("callbacks", "CallbackRule").objects.filter(kind="invitation", visit_kind="").delete()
    for template in apps.get_model("messaging", "SmsTemplate").objects.filter(key=TEMPLATE[0]):
        try:
            template.delete()
        except ProtectedError:  # the outbox protects a template it sent: keep it
            pass


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_outcome_and_cancel"),
        ("callbacks", "0008_care_kinds"),
        ("messaging", "0005_staff_alert"),
    ]

    operations = [migrations.RunPython(create, remove)]
