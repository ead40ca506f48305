"""A home panel shows its first few rows, and its badge says how many there are in all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record
from dealer_crm.home import SECURITY_ROWS


def security_badge(body: str) -> str:
    panel = body[body.index('id="panel-security"'):]
    badge = panel[panel.index('<span class="badge'):]
    return badge[badge.index(">") + 1:badge.index("</span>")]


def record_failed_logins(n: int) -> None:
    for i in range(n):
        audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED, actor_name=f"guess{i}")


@pytest.mark.django_db
def test_the_security_badge_counts_every_event_of_the_day_not_the_rows_shown(login, supervisor):
    record_failed_logins(SECURITY_ROWS + 3)
    body = login(supervisor).get("/").content.decode()
    assert security_badge(body) == str(SECURITY_ROWS + 3)
    panel = body[body.index('id="panel-security"'):body.index("</section>", body.index('id="panel-security"'))]
    assert panel.count('<li class="list-group-item') == SECURITY_ROWS


@pytest.mark.django_db
def test_the_home_page_runs_the_same_queries_with_few_or_many_events(login, supervisor,
                                                                     django_assert_num_queries):
    client = login(supervisor)
    client.get("/")  # the first request of a session does its own bookkeeping
    record_failed_logins(2)
    with CaptureQueriesContext(connection) as few:
        assert security_badge(client.get("/").content.decode()) == "2"
    record_failed_logins(SECURITY_ROWS * 3)
    with django_assert_num_queries(len(few.captured_queries)):
        assert security_badge(client.get("/").content.decode()) == str(2 + SECURITY_ROWS * 3)
    counts = [q["sql"] for q in few.captured_queries if "COUNT(" in q["sql"] and "audit_auditevent" in q["sql"]]
    assert len(counts) == 1  # one COUNT for the panel, whatever the number of events
