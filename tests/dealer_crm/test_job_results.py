"""The daily jobs' results read as counts in the user's language: 新建 7、跳过 2."""

from datetime import date

import pytest
from django.utils import timezone

from dealer_crm.jobs.models import JobRun
from dealer_crm.jobs.registry import registered_jobs


@pytest.fixture
def run(db):
    return JobRun.objects.create(job_name="customers.find_duplicates", run_date=date(2026, 3, 5),
                                 status=JobRun.Status.SUCCEEDED, started_at=timezone.now(),
                                 finished_at=timezone.now(), runs=1, summary={"created": 7, "skipped": 2})


@pytest.mark.django_db
def test_the_counts_read_as_counts_not_as_field_names(login, admin_user, run):
    body = login(admin_user).get("/jobs/").content.decode()
    assert "新建 7、跳过 2" in body
    assert "建档时间" not in body  # msgid "created" is also the customer's 建档时间 field


@pytest.mark.django_db
def test_the_registered_jobs_are_listed_the_chinese_way(login, admin_user, run):
    body = login(admin_user).get("/jobs/").content.decode()
    labels = [str(job.label) for job in registered_jobs()]
    assert "、".join(labels) in body


@pytest.mark.django_db
def test_in_english_the_counts_are_joined_with_commas(login, admin_user, run):
    client = login(admin_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/jobs/"})
    assert "created 7, skipped 2" in client.get("/jobs/").content.decode()
