"""The SMS dispatcher's beat entry: every minute (created once here, editable in the admin, like the
daily jobs' schedule). It sends what has come due — the end of the quiet hours, a retry's back-off —
and settles the claims of senders that stopped."""

from django.db import migrations

TASK = "dealer_crm.messaging.tasks.dispatch_minutely_task"
NAME = "sms-dispatch"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _created = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_minute, "enabled": True,
                             "description": "SMS: send the messages that have come due; settle stopped senders' claims"})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_sms_platform"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
