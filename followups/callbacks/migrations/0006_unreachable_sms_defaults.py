"""Every rule sends the shipped text 回访·未联系上短信 (``callback_unreachable_sms``, "多次致电未能联系上您…")
after the last failed call: until now the lost-contact SMS reused the rule's no-calls text, so an SSI
or CSI customer got the survey text. The no-calls route keeps ``sms_template``.

Then the outcome rules keep what the calls do: no answer and busy always have a delay (an empty one
falls back to the shipped 240 and 30 minutes, which is what the calls already used), wrong number,
refused, completed and "call back at…" never have one (a stored value did nothing); the database
holds that from now on.

Backwards: the rules lose the unreachable text (the constraint goes first); the outcome delays stay.
"""

import importlib

from django.db import migrations, models

DEFAULTS = importlib.import_module("followups.callbacks.migrations.0002_default_rules")
UNREACHABLE_KEY = "callback_unreachable_sms"
DELAYED_OUTCOMES = ("no_answer", "busy")


def unreachable_text_set(apps, schema_editor):
    """Idempotent: also used by the tests' factory after the 0002 defaults in an emptied database."""
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    OutcomeRule = apps.get_model("callbacks", "OutcomeRule")
    _key, name, text = next(entry for entry in DEFAULTS.TEMPLATES if entry[0] == UNREACHABLE_KEY)
    template, _created = SmsTemplate.objects.get_or_create(
        key=UNREACHABLE_KEY, defaults={"name": name, "purpose": "service", "text": text})
    CallbackRule.objects.filter(unreachable_sms_template__isnull=True).update(unreachable_sms_template=template)
    for outcome, minutes in DEFAULTS.OUTCOMES:
        if outcome in DELAYED_OUTCOMES:
            OutcomeRule.objects.filter(outcome=outcome, retry_after_minutes__isnull=True).update(
                retry_after_minutes=minutes)
    OutcomeRule.objects.exclude(outcome__in=DELAYED_OUTCOMES).exclude(retry_after_minutes__isnull=True).update(
        retry_after_minutes=None)


def unreachable_text_unset(apps, schema_editor):
    apps.get_model("callbacks", "CallbackRule").objects.update(unreachable_sms_template=None)


class Migration(migrations.Migration):

    dependencies = [
        ("callbacks", "0005_unreachable_sms_template"),
    ]

    operations = [
        migrations.RunPython(unreachable_text_set, unreachable_text_unset),
        migrations.AddConstraint(
            model_name="outcomerule",
            constraint=models.CheckConstraint(
                condition=(models.Q(outcome__in=DELAYED_OUTCOMES, retry_after_minutes__isnull=False)
                           | (~models.Q(outcome__in=DELAYED_OUTCOMES) & models.Q(retry_after_minutes__isnull=True))),
                name="outcome_rule_delay_only_failed"),
        ),
    ]
