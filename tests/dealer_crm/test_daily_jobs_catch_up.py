"""Catching up: the dates beat missed run once each, in order, through the same run_daily_jobs."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dealer_crm.jobs import registry
from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.services import catch_up_daily_jobs, latest_due_date, run_missed_daily_jobs
from tests.conftest import database_url_of_the_test_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 5)
MORNING = datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def calls(monkeypatch):
    """Two jobs of the test's own, and no others; each call is recorded as (job, date)."""
    made: list[tuple[str, date]] = []
    monkeypatch.setattr(registry, "_jobs", {})
    for order, name in enumerate(["tests.first", "tests.second"]):
        registry.daily_job(name, label=name, order=order)(
            lambda *, on, name=name: made.append((name, on)) or {"created": 0})
    return made


def done(*days: date, jobs=("tests.first", "tests.second")) -> None:
    for day in days:
        for name in jobs:
            JobRun.objects.create(job_name=name, run_date=day, status=JobRun.Status.SUCCEEDED,
                                  started_at=timezone.now(), finished_at=timezone.now(), runs=1)


def each_job(*days: date) -> list[tuple[str, date]]:
    return [(name, day) for day in days for name in ("tests.first", "tests.second")]


def days_before(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.mark.django_db
def test_a_catch_up_after_two_missed_days_runs_the_three_dates_in_order_once(calls, settings):
    settings.DAILY_JOBS_CATCH_UP_DAYS = 3
    done(days_before(3))
    with time_machine.travel(MORNING, tick=False):
        summary = catch_up_daily_jobs(now=timezone.now())
    assert calls == each_job(days_before(2), days_before(1), TODAY)
    assert [run["date"] for run in summary["runs"]] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    assert summary["ok"] is True
    assert set(JobRun.objects.values_list("status", "runs")) == {(JobRun.Status.SUCCEEDED, 1)}


@pytest.mark.django_db
def test_a_second_catch_up_runs_nothing(calls, settings):
    with time_machine.travel(MORNING, tick=False):
        catch_up_daily_jobs(now=timezone.now())
        calls.clear()
        summary = catch_up_daily_jobs(now=timezone.now())
    assert calls == []
    assert summary["runs"] == []
    assert set(JobRun.objects.values_list("runs", flat=True)) == {1}


@pytest.mark.django_db
def test_a_window_of_three_after_five_missed_days_runs_only_the_last_three_and_today(calls, settings):
    settings.DAILY_JOBS_CATCH_UP_DAYS = 3
    done(days_before(6))
    with time_machine.travel(MORNING, tick=False):
        catch_up_daily_jobs(now=timezone.now())
    assert calls == each_job(days_before(3), days_before(2), days_before(1), TODAY)
    assert not JobRun.objects.filter(run_date__in=[days_before(5), days_before(4)]).exists()


@pytest.mark.django_db
def test_a_window_of_zero_runs_only_today(calls, settings):
    settings.DAILY_JOBS_CATCH_UP_DAYS = 0
    with time_machine.travel(MORNING, tick=False):
        catch_up_daily_jobs(now=timezone.now())
    assert calls == each_job(TODAY)


@pytest.mark.django_db
def test_before_half_past_five_today_is_not_due_yet(calls, settings):
    settings.DAILY_JOBS_CATCH_UP_DAYS = 1
    with time_machine.travel(datetime(2026, 3, 5, 3, 0, tzinfo=SHANGHAI), tick=False):
        catch_up_daily_jobs(now=timezone.now())
    assert calls == each_job(days_before(2), days_before(1))


@pytest.mark.parametrize(("now", "due"), [
    (datetime(2026, 3, 5, 5, 30, tzinfo=SHANGHAI), TODAY),  # beat's tick
    (datetime(2026, 3, 5, 5, 27, tzinfo=SHANGHAI), TODAY),  # beat's tick on a worker whose clock is behind
    (datetime(2026, 3, 5, 5, 20, tzinfo=SHANGHAI), TODAY - timedelta(days=1)),
    (datetime(2026, 3, 4, 22, 0, tzinfo=ZoneInfo("UTC")), TODAY),  # 06:00 in Shanghai
    (datetime(2026, 3, 4, 23, 58, tzinfo=SHANGHAI), TODAY - timedelta(days=1)),
])
def test_a_date_is_due_once_its_half_past_five_has_passed_in_shanghai(now, due):
    assert latest_due_date(now=now) == due


@pytest.mark.django_db
def test_a_date_not_done_runs_only_its_jobs_without_a_succeeded_run(calls):
    done(days_before(1), jobs=["tests.first"])
    JobRun.objects.create(job_name="tests.second", run_date=days_before(1), status=JobRun.Status.FAILED,
                          started_at=timezone.now(), runs=1, error="RuntimeError: down")
    done(TODAY)
    run_missed_daily_jobs(today=TODAY, window_days=1)
    assert calls == [("tests.second", days_before(1))]  # the failed one is tried again
    assert JobRun.objects.get(job_name="tests.second", run_date=days_before(1)).status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_catch_up_that_meets_another_run_at_work_stops_there(calls):
    JobRun.objects.create(job_name="tests.first", run_date=days_before(1), status=JobRun.Status.RUNNING,
                          started_at=timezone.now(), runs=1)
    summary = run_missed_daily_jobs(today=TODAY, window_days=1)
    # that other run goes on from there, in order; this one must run neither the next job nor the
    # next date beside it
    assert calls == []
    assert summary["stopped"] == "tests.first is already running for 2026-03-04"


@pytest.mark.django_db(transaction=True)
def test_two_catch_ups_at_the_same_time_run_each_job_once_in_date_order(monkeypatch):
    """A second beat start (or beat's own missed tick beside the start's catch-up) while one is at work."""
    made: list[tuple[str, date]] = []
    first_started, release = threading.Event(), threading.Event()

    def first(*, on):
        made.append(("tests.first", on))
        if on == days_before(1):
            first_started.set()
            release.wait(10)
        return {}

    monkeypatch.setattr(registry, "_jobs", {})
    registry.daily_job("tests.first", label="first", order=0)(first)
    registry.daily_job("tests.second", label="second", order=1)(
        lambda *, on: made.append(("tests.second", on)) or {})

    def catch_up():
        try:
            run_missed_daily_jobs(today=TODAY, window_days=1)
        finally:
            connection.close()

    one = threading.Thread(target=catch_up)
    one.start()
    assert first_started.wait(10)
    second = run_missed_daily_jobs(today=TODAY, window_days=1)
    release.set()
    one.join(10)
    assert "stopped" in second
    assert made == each_job(days_before(1), TODAY)
    assert set(JobRun.objects.values_list("runs", flat=True)) == {1}


@pytest.mark.django_db
def test_the_command_catches_up_with_the_same_service(calls, settings, capsys):
    settings.DAILY_JOBS_CATCH_UP_DAYS = 1
    with time_machine.travel(MORNING, tick=False):
        call_command("run_daily_jobs", "--catch-up")
    summary = json.loads(capsys.readouterr().out)
    assert summary["through"] == "2026-03-05"
    assert calls == each_job(days_before(1), TODAY)


def test_the_command_takes_a_date_or_the_catch_up_not_both():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not allowed with"):
        call_command("run_daily_jobs", "--catch-up", "--date", "2026-03-05")


# --- beat's start, for real: a worker with beat embedded, as `make run` starts it ----------
@pytest.mark.broker
def test_beat_starting_after_a_missed_day_runs_it_once(redis_url, transactional_db):
    from django_celery_beat.models import PeriodicTask

    from dealer_crm.celery import app

    due = latest_due_date(now=timezone.now())
    missed = due - timedelta(days=1)
    names = [job.name for job in registry.registered_jobs()]
    for day in (due - timedelta(days=3), due - timedelta(days=2), due):
        for name in names:
            JobRun.objects.create(job_name=name, run_date=day, status=JobRun.Status.SUCCEEDED,
                                  started_at=timezone.now(), finished_at=timezone.now(), runs=1)
    # Without its entry, beat has no 05:30 of its own to send late: only its start can run the day.
    PeriodicTask.objects.filter(name="run-daily-jobs").delete()
    # The worker takes the default queue, where beat sends: empty it of what earlier runs left.
    app.control.purge()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealer_crm.settings.test", "DAILY_JOBS_CATCH_UP_DAYS": "3",
           "DATABASE_URL": database_url_of_the_test_database(), "REDIS_URL": redis_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dealer_crm", "worker", "--beat", "--pool=solo",
         "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if JobRun.objects.filter(run_date=missed, status=JobRun.Status.SUCCEEDED).count() == len(names):
                break
            time.sleep(0.25)
        time.sleep(1)  # time to run more, were it to
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    runs = {(run.run_date, run.job_name): (run.status, run.runs) for run in JobRun.objects.all()}
    assert all(runs.get((missed, name)) == (JobRun.Status.SUCCEEDED, 1) for name in names), output
    assert set(runs.values()) == {(JobRun.Status.SUCCEEDED, 1)}, output  # nothing else ran again
    assert "redis://" in output and "run_daily_jobs_task" in output
