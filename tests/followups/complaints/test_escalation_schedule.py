"""When the escalations run: the daily job complaints.escalate (after the callback centre's) and beat's
entry every five minutes, whose task records the escalations and then texts those due — both
idempotent, so the two together, or a second beat, record and send nothing twice."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.registry import registered_jobs
from dealer_crm.jobs.services import run_daily_jobs
from followups.complaints.models import Escalation
from followups.complaints.tasks import ESCALATE_TASK, escalate_task

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_1330 = datetime(2026, 11, 25, 13, 30, tzinfo=SHANGHAI)
# Thursday 3 December, 05:30: the first contact (due Monday 10:30) is late by more than its 24 hours;
# the solution (due Monday 7 December, 13:30) still has 23 of its 72 working hours, more than a quarter.
THURSDAY_0530 = datetime(2026, 12, 3, 5, 30, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


def test_the_daily_job_runs_after_the_callback_centres_and_records_the_escalations(register):
    complaint = register(now=WEDNESDAY_1330)
    jobs = [job.name for job in registered_jobs()]
    assert jobs.index("complaints.escalate") > jobs.index("callbacks.build")

    with time_machine.travel(THURSDAY_0530, tick=False):
        summary = run_daily_jobs(on=THURSDAY_0530.date())
        again = run_daily_jobs(on=THURSDAY_0530.date())

    result = summary["jobs"]["complaints.escalate"]
    assert (result["status"], result["found"], result["created"]) == ("succeeded", 1, 3)  # near, passed, late
    assert again["jobs"]["complaints.escalate"]["created"] == 0
    assert Escalation.objects.filter(complaint=complaint).count() == 3
    run = JobRun.objects.get(job_name="complaints.escalate", run_date=THURSDAY_0530.date())
    assert (str(run.label), run.summary_text) == ("投诉期限升级", "发现 1、新建 0")


def test_beat_runs_the_escalation_task_every_five_minutes():
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from dealer_crm.celery import app

    # Earlier transactional tests may have flushed what the migration made: run its function again.
    migration = import_module("followups.complaints.migrations.0003_escalation_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # and a second time changes nothing
    assert PeriodicTask.objects.filter(name="complaints-escalate").count() == 1
    entry = PeriodicTask.objects.select_related("interval").get(name="complaints-escalate")
    assert (entry.task, entry.enabled) == (ESCALATE_TASK, True)
    assert (entry.interval.every, entry.interval.period) == (5, "minutes")
    app.loader.import_default_modules()
    assert ESCALATE_TASK in app.tasks


def test_the_task_records_then_texts_and_a_second_beat_repeats_nothing(settings, tmp_path, register, supervisor,
                                                                       service_manager, general_manager):
    settings.COMPLAINT_ESCALATION_SMS = True
    settings.SMS_GATEWAY, settings.SMS_CONSOLE_FILE = "console", str(tmp_path / "sms.log")
    for user, mobile in [(supervisor, "13900000001"), (service_manager, "13900000002"),
                         (general_manager, "13900000003")]:
        user.mobile = mobile
        user.save(update_fields=["mobile"])
    register(now=WEDNESDAY_1330)

    with time_machine.travel(THURSDAY_0530, tick=False):  # before the opening: recorded, not texted
        assert escalate_task() == {"checked": 1, "near": 1, "passed": 1, "late": 1,
                                   "notified": 0, "dropped": 0, "sms": 0}
    with time_machine.travel(THURSDAY_0530.replace(hour=8, minute=30), tick=False):
        first = escalate_task()
        second = escalate_task()

    assert (first["sms"], second["sms"], second["near"] + second["passed"] + second["late"]) == (3, 0, 0)
    with open(settings.SMS_CONSOLE_FILE, encoding="utf-8") as log:
        assert sorted(json.loads(line)["phone"] for line in log) == ["13900000001", "13900000002", "13900000003"]
