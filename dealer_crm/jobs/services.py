"""Running the daily jobs: one entry point for `manage.py run_daily_jobs`, beat and the admin page."""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import JobRun
from .registry import DailyJob, registered_jobs

logger = logging.getLogger(__name__)

# A run still marked as running after this long died with its worker; it may be run again.
STALE_AFTER = timedelta(hours=1)

# The time of day (Asia/Shanghai) the beat entry of migration 0002 runs the jobs; a date is due
# once it has passed. Beat's tick may reach a worker whose clock is a little behind: a few minutes'
# grace, so that the 05:30 tick never finds today not yet due.
DAILY_RUN_AT = time(5, 30)
TICK_GRACE = timedelta(minutes=5)

_BUSY = "already running"


def run_daily_jobs(*, on: date, catching_up: bool = False) -> dict:
    """Run every registered daily job for `on`, each in its own transaction.

    A job already running for that date (beat and a click at the same time, or a redelivered
    task) is skipped; a failing job is recorded and does not stop the others. Returns a
    JSON-ready summary: {"date", "ok", "jobs": {name: {"status", counts..., "error"?}}}.

    Catching up, a job that already succeeded for `on` is left alone, and a job another run is
    at ends this run there (summary["stopped"]): that run goes on in order, job by job and date
    by date, so two catch-ups started together run each job once, the dates in order.
    """
    summary: dict = {"date": on.isoformat(), "ok": True, "jobs": {}}
    for job in registered_jobs():
        result = _run_one(job, on=on, rerun_succeeded=not catching_up)
        summary["jobs"][job.name] = result
        summary["ok"] &= result["status"] != JobRun.Status.FAILED
        if catching_up and result.get("reason") == _BUSY:
            summary["stopped"] = f"{job.name} is already running for {on.isoformat()}"
            break
    return summary


def latest_due_date(*, now: datetime) -> date:
    """The last date whose daily run time has passed: today from 05:30 (Asia/Shanghai), else yesterday."""
    local = timezone.localtime(now) + TICK_GRACE
    return local.date() if local.time() >= DAILY_RUN_AT else local.date() - timedelta(days=1)


def run_missed_daily_jobs(*, today: date, window_days: int) -> dict:
    """Run the daily jobs of each date from `today - window_days` through `today` that are not done.

    A date is done when every registered job has a succeeded run for it; of a date not done, only
    the jobs without one run (a failed job is tried again). The dates run in order, each through
    `run_daily_jobs`, so a second catch-up runs nothing, and one started while another is at work
    stops where it meets it. Returns {"through", "window_days", "ok", "runs": [date summaries],
    "stopped"?}.
    """
    first = today - timedelta(days=max(window_days, 0))
    names = {job.name for job in registered_jobs()}
    succeeded: dict[date, set[str]] = {}
    for run_date, job_name in JobRun.objects.filter(
        run_date__range=(first, today), status=JobRun.Status.SUCCEEDED
    ).values_list("run_date", "job_name"):
        succeeded.setdefault(run_date, set()).add(job_name)

    summary: dict = {"through": today.isoformat(), "window_days": window_days, "ok": True, "runs": []}
    day = first
    while day <= today:
        if not names <= succeeded.get(day, set()):
            result = run_daily_jobs(on=day, catching_up=True)
            summary["runs"].append(result)
            summary["ok"] &= result["ok"]
            if "stopped" in result:
                summary["stopped"] = result["stopped"]
                break
        day += timedelta(days=1)
    return summary


def catch_up_daily_jobs(*, now: datetime) -> dict:
    """What beat runs every morning and when it starts: the dates due at `now` within the window."""
    return run_missed_daily_jobs(today=latest_due_date(now=now), window_days=settings.DAILY_JOBS_CATCH_UP_DAYS)


def _claim(job: DailyJob, *, on: date, rerun_succeeded: bool) -> tuple[JobRun | None, str]:
    """Mark the job as running for `on`, unless another run is at it (or, not re-running, it already
    succeeded): (the run, "") or (None, why not). Committed before the job starts."""
    now = timezone.now()
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            job_name=job.name, run_date=on, defaults={"status": JobRun.Status.RUNNING, "started_at": now, "runs": 1}
        )
        if created:
            return run, ""
        if run.status == JobRun.Status.RUNNING and now - run.started_at < STALE_AFTER:
            return None, _BUSY
        if run.status == JobRun.Status.SUCCEEDED and not rerun_succeeded:
            return None, "already done"
        run.status, run.started_at, run.finished_at, run.error = JobRun.Status.RUNNING, now, None, ""
        run.runs += 1
        run.save()
        return run, ""


def _run_one(job: DailyJob, *, on: date, rerun_succeeded: bool) -> dict:
    run, why_not = _claim(job, on=on, rerun_succeeded=rerun_succeeded)
    if run is None:
        return {"status": "skipped", "reason": why_not}
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
