"""Celery tasks of the complaints: thin wrappers around the escalations (escalation.py)."""

from celery import shared_task
from django.db import OperationalError

from . import escalation

ESCALATE_TASK = "followups.complaints.tasks.escalate_task"


@shared_task(name=ESCALATE_TASK, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def escalate_task() -> dict:
    """Beat, every five minutes: record the escalations reached, then text those that have come due.
    Both steps are idempotent: a second beat, a retry or a second worker records and sends nothing twice."""
    created = escalation.complaints_escalate()
    notified = escalation.escalations_notify()
    return {**created, **notified}
