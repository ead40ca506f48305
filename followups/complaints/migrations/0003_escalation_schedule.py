"""The complaints' escalations on beat: every five minutes (created once here, editable in the admin,
like the SMS dispatcher's entry). The daily job complaints.escalate runs the same escalation."""

from django.db import migrations

TASK = "followups.complaints.tasks.escalate_task"
NAME = "complaints-escalate"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _created = interval_model.objects.get_or_create(every=5, period="minutes")
    task_model.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_five_minutes, "enabled": True,
                             "description": "Complaints: record the deadlines near and past; text the escalations due"})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_default_severities"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
