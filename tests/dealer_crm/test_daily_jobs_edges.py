"""The daily-jobs runner at its edges: the first minute a date is due, a run exactly an hour old, a
failed date among good ones, and what the summary says of a job skipped or refused."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.jobs import registry
from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.services import latest_due_date, run_daily_jobs, run_missed_daily_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 5)


@pytest.fixture
def jobs(monkeypatch):
    """One job of the test's own, failing on the dates in `failing`, and no others."""
    failing: set[date] = set()
    monkeypatch.setattr(registry, "_jobs", {})

    def job(*, on):
        if on in failing:
            raise RuntimeError("the broker is down")
        return {"created": 1}

    registry.daily_job("tests.only", label="tests.only")(job)
    return failing


def test_a_date_is_due_from_the_first_second_of_the_grace_before_0530():
    assert latest_due_date(now=datetime(2026, 3, 5, 5, 25, 0, tzinfo=SHANGHAI)) == TODAY
    assert latest_due_date(now=datetime(2026, 3, 5, 5, 24, 59, tzinfo=SHANGHAI)) == TODAY - timedelta(days=1)


@pytest.mark.django_db
def test_a_run_left_running_for_exactly_an_hour_may_be_run_again(jobs):
    started = datetime(2026, 3, 5, 6, 0, tzinfo=SHANGHAI)
    JobRun.objects.create(job_name="tests.only", run_date=TODAY, status=JobRun.Status.RUNNING, started_at=started,
                          runs=1)
    with time_machine.travel(started + timedelta(minutes=59, seconds=59), tick=False):
        assert run_daily_jobs(on=TODAY)["jobs"]["tests.only"] == {"status": "skipped", "reason": "already running"}
    with time_machine.travel(started + timedelta(hours=1), tick=False):
        assert run_daily_jobs(on=TODAY)["jobs"]["tests.only"] == {"status": "succeeded", "created": 1}
    assert JobRun.objects.get().runs == 2


@pytest.mark.django_db
def test_catching_up_a_date_already_done_says_so(jobs):
    run_daily_jobs(on=TODAY)
    assert run_daily_jobs(on=TODAY, catching_up=True)["jobs"]["tests.only"] == {"status": "skipped",
                                                                                 "reason": "already done"}


@pytest.mark.django_db
def test_a_catch_up_with_one_failed_date_is_not_ok_even_if_later_dates_succeed(jobs):
    jobs.add(TODAY - timedelta(days=2))
    summary = run_missed_daily_jobs(today=TODAY, window_days=2)
    assert [run["ok"] for run in summary["runs"]] == [False, True, True]
    assert (summary["ok"], summary["window_days"], summary["through"]) == (False, 2, "2026-03-05")


@pytest.mark.django_db
def test_a_job_returning_something_else_than_counts_is_recorded_as_failed_with_what_it_returned(monkeypatch):
    monkeypatch.setattr(registry, "_jobs", {})
    registry.daily_job("tests.odd", label="tests.odd")(lambda *, on: 5)
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI), tick=False):
        summary = run_daily_jobs(on=TODAY)
    assert summary["jobs"]["tests.odd"] == {"status": "failed",
                                            "error": "TypeError: a daily job returns a dict of counts, not 5"}
    run = JobRun.objects.get()
    assert (run.status, run.error, run.finished_at) == (
        "failed", "TypeError: a daily job returns a dict of counts, not 5", datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI))
