"""The build and the expiry as daily jobs: registered in order, idempotent, caught up for missed days."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.registry import registered_jobs
from dealer_crm.jobs.services import run_daily_jobs, run_missed_daily_jobs
from followups.callbacks.models import Callback
from tests.followups.factories import default_callback_rules, deliver, make_callback

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 6, 1)


def test_the_expiry_runs_before_the_build():
    names = [job.name for job in registered_jobs()]

    assert names.index("callbacks.expire") < names.index("callbacks.build")


def test_the_daily_run_builds_the_day_s_callbacks_once():
    vehicle = deliver(on=DELIVERED)
    on = DELIVERED + timedelta(days=3)

    with time_machine.travel(datetime.combine(on, time(5, 30), tzinfo=SHANGHAI), tick=False):
        first = run_daily_jobs(on=on)
        second = run_daily_jobs(on=on)

    assert first["jobs"]["callbacks.build"] == {"status": "succeeded", "thank_you": 1, "ssi": 1, "csi": 0,
                                                "sms_sent": 0, "skipped": 0}
    assert second["jobs"]["callbacks.build"] == {"status": "succeeded", "thank_you": 0, "ssi": 0, "csi": 0,
                                                 "sms_sent": 0, "skipped": 0}
    assert JobRun.objects.get(job_name="callbacks.build", run_date=on).summary["ssi"] == 0
    assert list(Callback.objects.filter(kind="ssi").values_list("source_key", flat=True)) == [
        f"delivery:{vehicle.pk}:d3"]


def test_the_daily_run_closes_what_expired_before_building():
    now = datetime(2026, 6, 20, 5, 30, tzinfo=SHANGHAI)
    stale = make_callback(due_at=now - timedelta(days=10), expires_at=now - timedelta(hours=6))

    with time_machine.travel(now, tick=False):
        summary = run_daily_jobs(on=now.date())

    assert summary["jobs"]["callbacks.expire"]["status"] == "succeeded"
    assert JobRun.objects.get(job_name="callbacks.expire", run_date=now.date()).summary == {"expired": 1}
    stale.refresh_from_db()
    assert stale.status == Callback.Status.EXPIRED


def test_the_catch_up_of_missed_days_queues_each_wave_once():
    vehicle = deliver(on=DELIVERED)
    today = DELIVERED + timedelta(days=8)  # the server was down from day 2 to day 7

    with time_machine.travel(datetime.combine(today, time(6, 0), tzinfo=SHANGHAI), tick=False):
        summary = run_missed_daily_jobs(today=today, window_days=3)

    assert summary["ok"]
    assert [run["date"] for run in summary["runs"]] == [str(DELIVERED + timedelta(days=n)) for n in (5, 6, 7, 8)]
    assert sorted(Callback.objects.filter(kind="ssi").values_list("source_key", flat=True)) == [
        f"delivery:{vehicle.pk}:d3", f"delivery:{vehicle.pk}:d7"]
    # the thank-you of day 1 was open until the end of day 7: the catch-up on day 8 does not queue a
    # callback that could only expire
    assert not Callback.objects.filter(kind="thank_you").exists()
    assert set(Callback.objects.values_list("status", flat=True)) == {Callback.Status.OPEN}
