"""Every date and time a page shows is Beijing time: a record made at 01:40 in the night was made
the day before in UTC, and must still show the day it was made in the store."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers import services
from customers.models import DuplicateCandidate, TimelineEntry
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record
from dealer_crm.jobs.services import run_daily_jobs

NIGHT = datetime(2026, 3, 5, 1, 40, tzinfo=ZoneInfo("Asia/Shanghai"))  # 2026-03-04 17:40 UTC
LOCAL_DAY, UTC_DAY = "2026-03-05", "2026-03-04"


@pytest.fixture
def made_at_night(agent, supervisor):
    with time_machine.travel(NIGHT, tick=False):
        first = services.customer_create(by=agent, name="张三", mobile="13812345678")
        services.customer_create(by=agent, name="张三", mobile="13812345678", address="合肥市长江路1号")
        services.duplicates_find(on=NIGHT.date())
        services.timeline_add(customer=first, kind=TimelineEntry.Kind.NOTE, title="夜间来电", by=agent)
        audit_record(actor=supervisor, action=AuditEvent.Action.EXPORT, detail={"rows": 3})
        run_daily_jobs(on=NIGHT.date())
    return first


@pytest.mark.django_db
def test_the_merge_page_shows_the_day_the_record_was_made_in_beijing(login, supervisor, made_at_night):
    candidate = DuplicateCandidate.objects.get()
    page = login(supervisor).get(f"/customers/duplicates/{candidate.pk}/merge/")
    rows = {str(row["label"]): row for row in page.context["comparison"]}
    assert rows["建档时间"]["first"] == rows["建档时间"]["second"] == LOCAL_DAY
    assert LOCAL_DAY in page.content.decode() and UTC_DAY not in page.content.decode()


@pytest.mark.django_db
def test_the_customer_page_and_its_history_show_beijing_time(login, agent, made_at_night):
    client = login(agent)
    page = client.get(f"/customers/{made_at_night.pk}/").content.decode()
    assert f"{LOCAL_DAY} 01:40" in page and UTC_DAY not in page
    history = client.get(f"/customers/{made_at_night.pk}/history/").content.decode()
    assert f"{LOCAL_DAY} 01:40" in history and UTC_DAY not in history


@pytest.mark.django_db
def test_the_audit_log_shows_beijing_time(login, supervisor, made_at_night):
    client = login(supervisor)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert f"{LOCAL_DAY} 01:40:00" in client.get(f"/audit/?since={LOCAL_DAY}").content.decode()
    assert f"{LOCAL_DAY} 01:40:00" in client.get(f"/audit/{event.pk}/").content.decode()
    assert str(event).startswith(f"{LOCAL_DAY} 01:40")  # the admin's name for the event


@pytest.mark.django_db
def test_the_job_list_shows_beijing_time(login, admin_user, made_at_night):
    page = login(admin_user).get("/jobs/").content.decode()
    assert f"{LOCAL_DAY} 01:40:00" in page and UTC_DAY not in page


@pytest.mark.django_db
def test_the_audit_log_and_job_list_write_dates_for_the_readers_language(login, supervisor, admin_user, made_at_night):
    """Chinese readers see 2026-03-05 01:40:00; English readers 5 Mar 2026 01:40:00 — never the other's form."""
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    client = login(supervisor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    audit = client.get(f"/audit/{event.pk}/").content.decode()
    assert "5 Mar 2026 01:40:00" in audit and f"{LOCAL_DAY} 01:40" not in audit
    admin_client = login(admin_user)  # in Chinese: test_the_job_list_shows_beijing_time
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    jobs = admin_client.get("/jobs/").content.decode()
    assert "5 Mar 2026" in jobs and LOCAL_DAY not in jobs
