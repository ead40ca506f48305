"""A task really travels through the Redis broker and runs in a real worker process."""

import time
from datetime import date

import pytest

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.tasks import run_daily_jobs_task


@pytest.mark.broker
def test_the_daily_jobs_task_runs_in_a_worker_through_redis(celery_worker):
    run_daily_jobs_task.delay("2026-04-01")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and celery_worker.poll() is None:
        if JobRun.objects.filter(run_date=date(2026, 4, 1), status=JobRun.Status.SUCCEEDED).exists():
            break
        time.sleep(0.25)
    celery_worker.terminate()
    output, _ = celery_worker.communicate(timeout=30)
    run = JobRun.objects.filter(run_date=date(2026, 4, 1)).first()
    assert run is not None, f"the worker did not run the task; its output:\n{output}"
    assert run.status == JobRun.Status.SUCCEEDED
    assert "redis://" in output  # it really was the Redis broker
    assert "run_daily_jobs_task" in output and "succeeded" in output
