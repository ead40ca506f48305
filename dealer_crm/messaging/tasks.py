"""Celery tasks of the SMS platform: thin wrappers around the dispatcher.

No task is queued with an ETA or a countdown: with Redis, a task waiting for its time is
delivered again after the visibility timeout. What must wait (quiet hours, a retry's back-off)
waits in the outbox, and the minutely task picks it up when it is due.
"""

from celery import shared_task
from django.db import OperationalError

from . import services

DISPATCH_TASK = services.DISPATCH_TASK


@shared_task(name=DISPATCH_TASK, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def dispatch_task() -> dict:
    """Send what is due for a while; if some is still due, queue the next round at once."""
    outcome = services.dispatch()
    if outcome.more:
        dispatch_task.delay()
    return dict(outcome.outcomes)


@shared_task(name="dealer_crm.messaging.tasks.dispatch_minutely_task")
def dispatch_minutely_task() -> dict:
    """Beat, every minute: settle the claims of stopped senders, then send what has come due
    (the end of the quiet hours, a retry's back-off, a message whose first task was lost)."""
    swept = services.sweep_in_doubt()
    outcome = services.dispatch()
    if outcome.more:
        dispatch_task.delay()
    return {"in_doubt": swept, **outcome.outcomes}
