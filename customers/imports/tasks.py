"""Celery tasks: thin wrappers around the batch services."""

from celery import shared_task
from django.db import OperationalError

from .batches import import_batch_check, import_batch_check_given_up, import_batch_run


@shared_task(bind=True, name="customers.imports.tasks.import_batch_check_task", autoretry_for=(OperationalError,),
             retry_backoff=10, max_retries=3)
def import_batch_check_task(self, batch_id: int) -> str:
    try:
        return import_batch_check(batch_id=batch_id).status
    except OperationalError:
        if self.request.retries >= self.max_retries:  # the last try: the file is not left "checking"
            import_batch_check_given_up(batch_id=batch_id)
        raise


# No automatic retry: a second run after a partial one is safe (rows already written count as
# unchanged), but the admin decides, from the report, to upload the file again.
@shared_task(name="customers.imports.tasks.import_batch_run_task", acks_late=False)
def import_batch_run_task(batch_id: int) -> str:
    return import_batch_run(batch_id=batch_id).status
