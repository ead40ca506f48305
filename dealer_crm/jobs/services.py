"""Running the daily jobs: one entry point for `manage.py run_daily_jobs`, beat and the admin page."""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from .models import JobRun
from .registry import DailyJob, registered_jobs

logger = logging.getLogger(__name__)

# A run still marked as running after this long died with its worker; it may be run again.
STALE_AFTER = timedelta(hours=1)


def run_daily_jobs(*, on: date) -> dict:
    """Run every registered daily job for `on`, each in its own transaction.

    A job already running for that date (beat and a click at the same time, or a redelivered
    task) is skipped; a failing job is recorded and does not stop the others. Returns a
    JSON-ready summary: {"date", "ok", "jobs": {name: {"status", counts..., "error"?}}}.
    """
    summary: dict = {"date": on.isoformat(), "ok": True, "jobs": {}}
    for job in registered_jobs():
        result = _run_one(job, on=on)
        summary["jobs"][job.name] = result
        summary["ok"] &= result["status"] != JobRun.Status.FAILED
    return summary


def _claim(job: DailyJob, *, on: date) -> JobRun | None:
    """Mark the job as running for `on`, unless another run is at it. Committed before the job starts."""
    now = timezone.now()
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            job_name=job.name, run_date=on, defaults={"status": JobRun.Status.RUNNING, "started_at": now, "runs": 1}
        )
        if created:
            return run
        if run.status == JobRun.Status.RUNNING and now - run.started_at < STALE_AFTER:
            return None
        run.status, run.started_at, run.finished_at, run.error = JobRun.Status.RUNNING, now, None, ""
        run.runs += 1
        run.save()
        return run


def _run_one(job: DailyJob, *, on: date) -> dict:
    run = _claim(job, on=on)
    if run is None:
        return {"status": "skipped", "reason": "already running"}
    try:
        with transaction.atomic():
            counts = job.func(on=on)
            if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
                raise TypeError(f"a daily job returns a dict of counts, not {counts!r}")
        run.status, run.summary, run.error = JobRun.Status.SUCCEEDED, counts, ""
    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
        logger.exception("Daily job %s failed for %s", job.name, on)
        run.status, run.summary, run.error = JobRun.Status.FAILED, {}, f"{type(exc).__name__}: {exc}"
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "summary", "error", "finished_at"])
    return {"status": str(run.status), **run.summary,
            **({"error": run.error} if run.error else {})}
