"""Running the daily jobs: one entry point for `manage.py run_daily_jobs`, beat and the admin page."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from .models import JobRun
from .registry import registered_jobs

logger = logging.getLogger(__name__)


def run_daily_jobs(*, on: date) -> dict:
    """Run every registered daily job for `on`, each in its own transaction.

    A failing job is recorded and does not stop the others. Returns a JSON-ready summary:
    {"date": "YYYY-MM-DD", "ok": bool, "jobs": {name: {"status": ..., counts..., "error": ...}}}.
    """
    summary: dict = {"date": on.isoformat(), "ok": True, "jobs": {}}
    for job in registered_jobs():
        started = timezone.now()
        try:
            with transaction.atomic():
                counts = job.func(on=on)
            status, error = JobRun.Status.SUCCEEDED, ""
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            logger.exception("Daily job %s failed for %s", job.name, on)
            counts, status, error = {}, JobRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
            summary["ok"] = False
        _record_run(job_name=job.name, on=on, started=started, status=status, counts=counts, error=error)
        summary["jobs"][job.name] = {"status": status.value, **counts, **({"error": error} if error else {})}
    return summary


def _record_run(*, job_name: str, on: date, started, status, counts: dict, error: str) -> None:
    with transaction.atomic():
        run, _created = JobRun.objects.select_for_update().get_or_create(
            job_name=job_name, run_date=on, defaults={"status": status, "started_at": started}
        )
        run.status = status
        run.started_at = started
        run.finished_at = timezone.now()
        run.runs += 1
        run.summary = counts
        run.error = error
        run.save()
