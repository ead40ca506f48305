"""Celery tasks: thin wrappers around the batch services."""

from celery import shared_task
from django.db import OperationalError

from .batches import import_batch_check, import_batch_run


@shared_task(name="customers.imports.tasks.import_batch_check_task", autoretry_for=(OperationalError,),
             retry_backoff=10, max_retries=3)
def import_batch_check_task(batch_id: int) -> str:
    return import_batch_check(batch_id=batch_id).status


# No automatic retry: a second run after a partial one is safe (rows already written count as
# unchanged), but the admin decides, from the report, to upload the file again.
@shared_task(name="customers.imports.tasks.import_batch_run_task", acks_late=False)
def import_batch_run_task(batch_id: int) -> str:
    return import_batch_run(batch_id=batch_id).status
