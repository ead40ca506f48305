"""Celery tasks: thin wrappers that parse arguments and call the service."""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import run_daily_jobs


@shared_task(
    name="dealer_crm.jobs.tasks.run_daily_jobs_task",
    autoretry_for=(OperationalError,),  # the database restarting under us: try again, a few times
    retry_backoff=30,
    max_retries=5,
)
def run_daily_jobs_task(run_date: str | None = None) -> dict:
    """Beat calls this once a day with no argument: the jobs run for today in Asia/Shanghai."""
    on = date.fromisoformat(run_date) if run_date else timezone.localdate()
    return run_daily_jobs(on=on)
