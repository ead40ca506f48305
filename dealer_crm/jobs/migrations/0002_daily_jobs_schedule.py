"""The beat schedule of the daily jobs: every day at 05:30 Asia/Shanghai.

Created once here rather than in settings, because django-celery-beat rewrites entries named in
settings at every start, which would undo a change made in the admin.
"""

from django.db import migrations

TASK = "dealer_crm.jobs.tasks.run_daily_jobs_task"
NAME = "run-daily-jobs"


def create_schedule(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _created = crontab_model.objects.get_or_create(
        minute="30", hour="5", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    task_model.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": schedule, "enabled": True,
                             "description": "run_daily_jobs: every job registered with @daily_job, for today"}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
