"""Retention's daily jobs: run in order after the callback centre's, a second run of the day makes
nothing, and two runs at once (beat and a click on 运行, each on its own connection) make each
reminder, text, call and lapse once."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.registry import registered_jobs
from dealer_crm.jobs.services import run_daily_jobs
from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.models import Callback
from followups.retention.models import Lapse, Reminder, ServiceDue
from followups.retention.services import lapses_build, reminders_build, service_due_refresh
from tests.followups.factories import CustomerFactory, make_vehicle, refuse, service_visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
ON = date(2026, 6, 10)
SERIALS = iter(range(830_000, 840_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def store(n: int = 30) -> None:
    """n customers: a third with a car whose solicitation window opens on ON (delivered 60 days
    before its deadline), a third due for maintenance 14 days after ON, a third who last came
    exactly six months before ON; every fifth refuses SMS (a call instead)."""
    for i in range(n):
        customer = CustomerFactory()
        group = i % 3
        if group == 0:  # deadline 10 July (ON + 30): delivered 3 months before it
            with time_machine.travel(at(date(2026, 4, 10), 10), tick=False):
                make_vehicle(customer, serial=next(SERIALS), delivered=date(2026, 4, 10))
        elif group == 1:  # maintained 24 December 2025: due 24 June 2026 (6 months), window opens 10 June
            with time_machine.travel(at(date(2025, 6, 1), 10), tick=False):
                car = make_vehicle(customer, serial=next(SERIALS), model_name="试驾车", delivered=date(2025, 6, 1))
            with time_machine.travel(at(date(2025, 12, 24), 10), tick=False):
                service_visit(car, on=date(2025, 12, 24), kind="scheduled", mileage=3000)
        else:  # last came 10 December 2025: six months on 10 June
            with time_machine.travel(at(date(2024, 1, 5), 10), tick=False):
                car = make_vehicle(customer, serial=next(SERIALS), delivered=date(2024, 1, 5))
            with time_machine.travel(at(date(2025, 12, 10), 10), tick=False):
                service_visit(car, on=date(2025, 12, 10), kind="repair", mileage=30000)
        if i % 5 == 0:
            refuse(customer, channel="sms", purpose="service")


@pytest.mark.django_db
def test_the_jobs_run_after_the_callback_centres_in_order():
    order = [job.name for job in registered_jobs()]
    assert order.index("callbacks.build") < order.index("retention.refresh") < order.index("retention.reminders") \
        < order.index("retention.lapses")


@pytest.mark.django_db
def test_the_days_run_makes_the_reminders_and_lapses_and_a_second_run_makes_none():
    store(9)
    with time_machine.travel(at(ON), tick=False):
        first = run_daily_jobs(on=ON)
        second = run_daily_jobs(on=ON)
    assert first["ok"] and second["ok"]
    assert first["jobs"]["retention.refresh"]["updated"] == 9
    assert first["jobs"]["retention.reminders"]["created"] == 6  # 3 solicitations, 3 reminders
    assert first["jobs"]["retention.lapses"]["created"] == 3
    assert second["jobs"]["retention.refresh"]["updated"] == 0
    assert second["jobs"]["retention.reminders"]["created"] == 0
    assert second["jobs"]["retention.lapses"]["created"] == 0
    assert JobRun.objects.get(job_name="retention.reminders", run_date=ON).summary_text == "新建 0、跳过 0"
    assert Reminder.objects.count() == 6 and Lapse.objects.count() == 3
    assert Reminder.objects.filter(kind="first").count() == 3
    assert Lapse.objects.filter(band__months=6).count() == 3


# SQLite (the embedded store of `make run`) takes one writer at a time and refuses the second at once.
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="two writers at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_each_reminder_text_call_and_lapse_once():
    store(30)
    with time_machine.travel(at(ON - timedelta(days=1)), tick=False):
        service_due_refresh()  # the due state as of yesterday; both runs below build on it
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(5)
            with time_machine.travel(at(ON), tick=False):
                results.append((service_due_refresh(), reminders_build(on=ON), lapses_build(on=ON)))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(results) == 2
    assert Reminder.objects.count() == 20
    assert sum(reminders["created"] for _r, reminders, _l in results) == 20
    assert not Reminder.objects.values("vehicle", "kind", "cycle").annotate(n=Count("id")).filter(n__gt=1).exists()
    texts = Reminder.objects.filter(channel="sms", status="done")
    assert OutboundMessage.objects.count() == texts.count() == sum(r["sms"] for _r, r, _l in results) == 16
    calls = Reminder.objects.filter(channel="call")
    assert Callback.objects.filter(kind__in=["solicit", "reminder"]).count() == calls.count() == 4
    assert Lapse.objects.count() == 10 == sum(lapses["created"] for _r, _m, lapses in results)
    assert Callback.objects.filter(kind="win_back").count() == 10
    assert ServiceDue.objects.count() == 30
    with time_machine.travel(at(ON, 6), tick=False):
        assert reminders_build(on=ON)["created"] == 0
        assert lapses_build(on=ON)["created"] == 0
