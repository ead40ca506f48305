"""A task really travels through the Redis broker and runs in a real worker process."""

import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.tasks import run_daily_jobs_task

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_the_daily_jobs_task_runs_in_a_worker_through_redis(redis_url):
    queue = f"test-{uuid.uuid4().hex[:12]}"  # a queue of its own: no other worker can take the task
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dealer_crm.settings.test",
        "DATABASE_URL": database_url_of_the_test_database(),
        "REDIS_URL": redis_url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dealer_crm", "worker", "--pool=solo", "-Q", queue,
         "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        run_daily_jobs_task.apply_async(args=["2026-04-01"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if JobRun.objects.filter(run_date=date(2026, 4, 1), status=JobRun.Status.SUCCEEDED).exists():
                break
            time.sleep(0.25)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    run = JobRun.objects.filter(run_date=date(2026, 4, 1)).first()
    assert run is not None, f"the worker did not run the task; its output:\n{output}"
    assert run.status == JobRun.Status.SUCCEEDED
    assert "redis://" in output  # it really was the Redis broker
    assert "run_daily_jobs_task" in output and "succeeded" in output
