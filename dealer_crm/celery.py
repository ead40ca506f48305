"""The Celery application. Workers and beat load settings from Django (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import beat_init

# Workers and beat run in production by default; `make run` and the tests name their settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.production")

app = Celery("dealer_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

CATCH_UP_TASK = "dealer_crm.jobs.tasks.run_daily_jobs_task"


@beat_init.connect
def catch_up_daily_jobs(sender=None, **kwargs) -> None:
    """When beat starts (alone in production, inside the worker in `make run`), queue the daily
    jobs' catch-up: the 05:30 runs it missed while it was down. Beat, not the worker: there is one
    beat and there may be several workers. Queued, so that a worker runs it; by name, so that this
    module imports no app code before Django is set up."""
    app.send_task(CATCH_UP_TASK)
