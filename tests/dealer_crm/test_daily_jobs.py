"""run_daily_jobs: one entry point, idempotent per date, a failing job does not stop the others."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from dealer_crm.jobs import registry
from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.services import DAILY_RUN_AT, run_daily_jobs

DAY = date(2026, 3, 5)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_session(*, expired: bool) -> None:
    store = SessionStore()
    store["n"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + timedelta(days=-1 if expired else 1)
    )


@pytest.mark.django_db
def test_the_command_prints_a_json_summary(capsys):
    make_session(expired=True)
    make_session(expired=False)
    call_command("run_daily_jobs", "--date", DAY.isoformat())
    summary = json.loads(capsys.readouterr().out)
    assert summary["date"] == "2026-03-05"
    assert summary["ok"] is True
    assert summary["jobs"]["accounts.clear_expired_sessions"] == {"status": "succeeded", "deleted": 1}
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_running_twice_for_the_same_date_creates_nothing_new(capsys):
    make_session(expired=True)
    call_command("run_daily_jobs", "--date", DAY.isoformat())
    first_rows = JobRun.objects.count()
    call_command("run_daily_jobs", "--date", DAY.isoformat())
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert JobRun.objects.count() == first_rows == len(registry.registered_jobs())
    assert second["jobs"]["accounts.clear_expired_sessions"]["deleted"] == 0
    assert set(JobRun.objects.values_list("runs", flat=True)) == {2}


@pytest.mark.django_db
def test_another_date_gets_its_own_record():
    run_daily_jobs(on=DAY)
    run_daily_jobs(on=DAY + timedelta(days=1))
    assert JobRun.objects.filter(job_name="accounts.clear_expired_sessions").count() == 2


@pytest.mark.django_db
def test_the_command_rejects_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_daily_jobs", "--date", "2026-13-40")


@pytest.fixture
def failing_job():
    def broken(*, on):
        raise RuntimeError("the SMS gateway is down")

    registry.daily_job("tests.broken", label="broken", order=1)(broken)
    yield
    registry._jobs.pop("tests.broken")


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run(failing_job):
    make_session(expired=True)
    summary = run_daily_jobs(on=DAY)
    assert summary["ok"] is False
    assert summary["jobs"]["tests.broken"] == {"status": "failed", "error": "RuntimeError: the SMS gateway is down"}
    assert summary["jobs"]["accounts.clear_expired_sessions"]["status"] == "succeeded"
    assert JobRun.objects.get(job_name="tests.broken").status == JobRun.Status.FAILED
    assert Session.objects.count() == 0


@pytest.fixture
def job_writing_then_failing():
    def half_done(*, on):
        make_session(expired=False)  # a row written...
        raise RuntimeError("...and then the job fails")

    registry.daily_job("tests.half_done", label="half done", order=1)(half_done)
    yield
    registry._jobs.pop("tests.half_done")


@pytest.mark.django_db
def test_a_failing_jobs_writes_are_rolled_back_and_the_others_still_run(job_writing_then_failing):
    make_session(expired=True)
    summary = run_daily_jobs(on=DAY)
    assert summary["jobs"]["tests.half_done"]["status"] == "failed"
    assert summary["jobs"]["accounts.clear_expired_sessions"] == {"status": "succeeded", "deleted": 1}
    assert Session.objects.count() == 0  # neither the expired session nor the failed job's new one


@pytest.mark.django_db
def test_the_command_exits_non_zero_when_a_job_failed(failing_job):
    with pytest.raises(CommandError, match="failed"):
        call_command("run_daily_jobs", "--date", DAY.isoformat())


def test_two_jobs_cannot_share_a_name():
    def other(*, on):
        return {}

    with pytest.raises(ValueError, match="Two daily jobs"):
        registry.daily_job("accounts.clear_expired_sessions", label="x")(other)


@pytest.mark.django_db
def test_beat_is_scheduled_to_call_the_same_task_every_morning():
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from dealer_crm.celery import app

    # Earlier transactional tests may have flushed what the migration made: run its function again.
    migration = import_module("dealer_crm.jobs.migrations.0002_daily_jobs_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # and a second time changes nothing
    entry = PeriodicTask.objects.select_related("crontab").get(name="run-daily-jobs")
    assert entry.enabled
    # The tasks a worker knows: it imports every app's tasks module when it starts. This process
    # has imported them only if an earlier test happened to (the jobs page imports the jobs' tasks).
    app.loader.import_default_modules()
    assert entry.task in app.tasks
    assert (entry.crontab.hour, entry.crontab.minute, str(entry.crontab.timezone)) == ("5", "30", "Asia/Shanghai")
    # the catch-up counts a date as due from the time of this entry
    assert (entry.crontab.hour, entry.crontab.minute) == (str(DAILY_RUN_AT.hour), str(DAILY_RUN_AT.minute))


@pytest.mark.django_db
def test_a_job_already_running_for_the_date_is_skipped():
    JobRun.objects.create(job_name="accounts.clear_expired_sessions", run_date=DAY, status=JobRun.Status.RUNNING,
                          started_at=timezone.now(), runs=1)
    summary = run_daily_jobs(on=DAY)
    assert summary["jobs"]["accounts.clear_expired_sessions"] == {"status": "skipped", "reason": "already running"}
    assert JobRun.objects.get(job_name="accounts.clear_expired_sessions").runs == 1


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_worker_is_taken_over():
    JobRun.objects.create(job_name="accounts.clear_expired_sessions", run_date=DAY, status=JobRun.Status.RUNNING,
                          started_at=timezone.now() - timedelta(hours=2), runs=1)
    summary = run_daily_jobs(on=DAY)
    assert summary["jobs"]["accounts.clear_expired_sessions"]["status"] == "succeeded"
    assert JobRun.objects.get(job_name="accounts.clear_expired_sessions").runs == 2


@pytest.fixture
def job_returning_nonsense():
    registry.daily_job("tests.nonsense", label="nonsense", order=1)(lambda *, on: ["not", "counts"])
    yield
    registry._jobs.pop("tests.nonsense")


@pytest.mark.django_db
def test_a_job_returning_something_else_than_counts_fails_alone(job_returning_nonsense):
    summary = run_daily_jobs(on=DAY)
    assert summary["jobs"]["tests.nonsense"]["status"] == "failed"
    assert summary["jobs"]["accounts.clear_expired_sessions"]["status"] == "succeeded"


@pytest.mark.django_db
def test_the_task_without_a_date_catches_up_through_today(settings):
    from dealer_crm.jobs.tasks import run_daily_jobs_task

    settings.DAILY_JOBS_CATCH_UP_DAYS = 1
    with time_machine.travel(datetime(2026, 3, 5, 5, 30, tzinfo=SHANGHAI), tick=False):
        summary = run_daily_jobs_task.run()
    assert [run["date"] for run in summary["runs"]] == ["2026-03-04", "2026-03-05"]


@pytest.mark.django_db
def test_the_task_with_a_date_runs_that_date_again():
    from dealer_crm.jobs.tasks import run_daily_jobs_task

    run_daily_jobs(on=DAY)
    summary = run_daily_jobs_task.run(DAY.isoformat())
    assert summary["date"] == DAY.isoformat()
    assert set(JobRun.objects.filter(run_date=DAY).values_list("runs", flat=True)) == {2}


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI))  # not across midnight: "today" is read twice
def test_the_admin_queues_todays_jobs_from_the_page(login, admin_user, django_capture_on_commit_callbacks):
    from dealer_crm.celery import app

    client = login(admin_user)
    app.conf.task_always_eager = True  # run the queued task here; the real broker is tested elsewhere
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post("/jobs/run/")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert JobRun.objects.filter(run_date=timezone.localdate(), status=JobRun.Status.SUCCEEDED).count() == len(
        registry.registered_jobs())


@pytest.mark.django_db
def test_the_general_manager_sees_the_runs_but_cannot_start_them(login, general_manager):
    client = login(general_manager)
    assert client.get("/jobs/").status_code == 200
    assert client.post("/jobs/run/").status_code == 403
