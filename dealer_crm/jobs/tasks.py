"""Celery tasks: thin wrappers that parse arguments and call the service."""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import catch_up_daily_jobs, run_daily_jobs


@shared_task(
    name="dealer_crm.jobs.tasks.run_daily_jobs_task",
    autoretry_for=(OperationalError,),  # the database restarting under us: try again, a few times
    retry_backoff=30,
    max_retries=5,
)
def run_daily_jobs_task(run_date: str | None = None) -> dict:
    """With a date (the admin's button), that date's jobs run again.

    Without one — beat every morning at 05:30, and once when beat starts (see dealer_crm/celery.py)
    — the dates due and not done run: today once 05:30 has passed, and the days missed within
    DAILY_JOBS_CATCH_UP_DAYS, in date order.
    """
    if run_date:
        return run_daily_jobs(on=date.fromisoformat(run_date))
    return catch_up_daily_jobs(now=timezone.now())
