"""The complaint list (/complaints/): who sees which complaints, the filters, the order, the pages,
the time left on each deadline on the store's clock, and a fixed number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.complaints import services
from dealer_crm.accounts.roles import Role
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

from .test_pages_support import LIST, MONDAY_10, file_complaint, html, marketing_user, row_of, text_of, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(agent, supervisor, service_manager, sales_manager):
    """Four complaints: the service department's (the service manager's), an unassigned service one,
    the sales department's, and a sales one the supervisor gave to the service manager."""
    return {
        "service": file_complaint(by=agent, owner=service_manager, description="保养后空调有异响",
                                  customer=CustomerFactory(name="王建华", mobile="13912345678")),
        "unassigned": file_complaint(by=agent, description="洗车没洗干净", now=MONDAY_10 + timedelta(minutes=5)),
        "sales": file_complaint(by=supervisor, department="sales", category="promise", description="交车时答应的脚垫没给"),
        "lent": file_complaint(by=supervisor, department="sales", owner=service_manager, description="销售顾问电话不接"),
    }


def descriptions(page: str, store: dict) -> set[str]:
    return {key for key, complaint in store.items() if f'id="complaint-{complaint.pk}"' in page}


# --- who sees what ------------------------------------------------------------------------------
def test_the_supervisor_and_the_general_manager_see_every_complaint(login, supervisor, general_manager, store):
    assert descriptions(html(login(supervisor).get(LIST)), store) == set(store)
    assert descriptions(html(login(general_manager).get(LIST)), store) == set(store)


def test_a_department_manager_sees_their_departments_and_those_they_handle(login, service_manager, sales_manager, store):
    assert descriptions(html(login(service_manager).get(LIST)), store) == {"service", "unassigned", "lent"}
    assert descriptions(html(login(sales_manager).get(LIST)), store) == {"sales", "lent"}


def test_an_agent_sees_the_complaints_they_registered(login, agent, store):
    assert descriptions(html(login(agent).get(LIST)), store) == {"service", "unassigned"}
    other = UserFactory(username="agent_zhou", roles=[Role.CALLBACK_AGENT])
    page = html(login(other).get(LIST))
    assert descriptions(page, store) == set() and 'id="complaint-empty"' in page


def test_a_colleague_without_the_right_is_refused(login, store):
    assert login(marketing_user()).get(LIST).status_code == 403


def test_a_row_shows_the_complaint_with_the_phone_masked(login, supervisor, store):
    page = html(login(supervisor).get(LIST))
    row = row_of(page, f"complaint-{store['service'].pk}")
    assert store["service"].number in row and "王建华" in row and "保养后空调有异响" in row
    assert "139****5678" in row and "13912345678" not in page
    assert "赵强" in text_of(row)  # who handles it
    assert "尚未分派" in text_of(row_of(page, f"complaint-{store['unassigned'].pk}"))


# --- the time left -------------------------------------------------------------------------------
def test_the_time_left_reads_in_hours_and_turns_amber_near_the_deadline(login, supervisor, agent):
    complaint = file_complaint(by=agent, severity_code="major")  # first contact within 2 working hours: 12:00
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    assert "剩 1 小时" in text_of(row) and "deadline-ok" in row and "12-01" not in row
    assert "11-30 12:00" in row  # the moment it is due, beside the time left
    with time_machine.travel(MONDAY_10 + timedelta(hours=1, minutes=45), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    assert "剩 15 分钟" in text_of(row) and "deadline-near" in row and "text-warning-emphasis" in row
    assert "table-danger" not in row


def test_an_overdue_complaint_is_red_and_says_how_late(login, supervisor, agent):
    complaint = file_complaint(by=agent, severity_code="major")
    with time_machine.travel(MONDAY_10 + timedelta(hours=4), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    assert "超时 2 小时" in text_of(row) and "table-danger" in row and "deadline-overdue" in row


def test_the_time_left_counts_working_hours_not_the_night(login, supervisor, agent):
    """A general complaint registered on Monday at 10:00 is due for first contact after 24 working
    hours, on Wednesday at 16:00. On Tuesday at 17:00 that is 8 working hours away (half an hour of
    Tuesday and 7.5 of Wednesday), though 23 hours on the wall clock."""
    complaint = file_complaint(by=agent)
    with time_machine.travel(MONDAY_10 + timedelta(days=1, hours=7), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    assert "剩 8 小时" in text_of(row) and "12-02 16:00" in row


def test_a_paused_clock_says_so(login, supervisor, agent, service_manager):
    complaint = walk(file_complaint(by=agent, owner=service_manager), "contacted", by=service_manager)
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户提供发票",
                             now=MONDAY_10 + timedelta(hours=2))
    with time_machine.travel(MONDAY_10 + timedelta(days=30), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    assert "已暂停" in text_of(row) and "deadline-paused" in row
    assert "table-danger" not in row and "超时" not in text_of(row)  # the clock stands: not late


def test_after_the_solution_the_follow_up_deadline_runs(login, supervisor, agent, service_manager):
    complaint = walk(file_complaint(by=agent, owner=service_manager), "solved", by=service_manager)
    with time_machine.travel(MONDAY_10 + timedelta(days=3), tick=False):
        row = row_of(html(login(supervisor).get(LIST)), f"complaint-{complaint.pk}")
    # Solved at 15:00; the follow-up is due seven calendar days later, on 7 December at 15:00.
    assert "12-07 15:00" in row and "剩 101 小时" in text_of(row)


# --- filters -------------------------------------------------------------------------------------
def test_the_list_opens_on_the_open_complaints(login, supervisor, agent, service_manager, store):
    closed = walk(file_complaint(by=agent, owner=service_manager, description="已结案的投诉"), "closed",
                  by=service_manager)
    client = login(supervisor)
    assert f'id="complaint-{closed.pk}"' not in html(client.get(LIST))
    assert f'id="complaint-{closed.pk}"' in html(client.get(LIST, {"state": ""}))
    page = html(client.get(LIST, {"state": "closed"}))
    assert f'id="complaint-{closed.pk}"' in page and descriptions(page, store) == set()


@pytest.mark.parametrize(("filters", "expected"), [
    ({"department": "sales"}, {"sales", "lent"}),
    ({"owner": "none"}, {"unassigned", "sales"}),
    ({"q": "王建"}, {"service"}),
    ({"q": "13912345678"}, {"service"}),
    ({"channel": "phone"}, {"service", "unassigned", "sales", "lent"}),
    ({"channel": "letter"}, set()),
])
def test_the_filters(login, supervisor, store, filters, expected):
    assert descriptions(html(login(supervisor).get(LIST, filters)), store) == expected


def test_the_owner_filter_and_the_number(login, supervisor, service_manager, store):
    client = login(supervisor)
    assert descriptions(html(client.get(LIST, {"owner": service_manager.pk})), store) == {"service", "lent"}
    assert descriptions(html(client.get(LIST, {"q": store["sales"].number})), store) == {"sales"}
    assert descriptions(html(client.get(LIST, {"q": str(store["sales"].pk)})), store) == {"sales"}


def test_the_severity_and_overdue_filters(login, supervisor, agent, store):
    from .test_pages_support import severity

    major = file_complaint(by=agent, severity_code="major", description="发动机故障灯亮")
    page = html(login(supervisor).get(LIST, {"severity": severity("major").pk}))
    assert f'id="complaint-{major.pk}"' in page and descriptions(page, store) == set()
    with time_machine.travel(MONDAY_10 + timedelta(hours=3), tick=False):  # only the major one is late
        page = html(login(supervisor).get(LIST, {"overdue": "on"}))
    assert f'id="complaint-{major.pk}"' in page and descriptions(page, store) == set()


def test_a_filter_value_not_offered_is_ignored(login, supervisor, store):
    response = login(supervisor).get(LIST, {"owner": "x", "severity": "abc", "state": "nonsense", "order": "evil"})
    assert response.status_code == 200 and descriptions(html(response), store) == set(store)


def test_an_empty_filter_says_nothing_matches(login, supervisor, store):
    page = html(login(supervisor).get(LIST, {"q": "没有这个人"}))
    assert 'id="complaint-empty"' in page and "没有符合筛选条件的投诉" in page


def test_a_phone_search_by_a_masked_role_is_an_audit_event(login, general_manager, store):
    from dealer_crm.audit.models import AuditEvent

    page = html(login(general_manager).get(LIST, {"q": "13912345678"}))
    assert descriptions(page, store) == {"service"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.PHONE_SEARCH)
    assert event.actor == general_manager and "13912345678" not in str(event.detail)


# --- order and pages -----------------------------------------------------------------------------
def test_the_nearest_deadline_comes_first_and_the_header_reverses_it(login, supervisor, agent):
    later = file_complaint(by=agent, description="一般的投诉")  # first contact due Wednesday 16:00
    sooner = file_complaint(by=agent, severity_code="major", description="重大的投诉")  # Monday 12:00
    client = login(supervisor)
    page = html(client.get(LIST))
    assert page.index(sooner.number) < page.index(later.number)
    assert 'aria-sort="ascending"' in page
    page = html(client.get(LIST, {"order": "-deadline"}))
    assert page.index(later.number) < page.index(sooner.number)
    page = html(client.get(LIST, {"order": "-severity"}))
    assert page.index(sooner.number) < page.index(later.number)
    page = html(client.get(LIST, {"order": "registered"}))
    assert page.index(later.number) < page.index(sooner.number)


def test_thirty_to_a_page(login, supervisor, agent):
    customer = CustomerFactory()
    made = [file_complaint(by=agent, customer=customer, now=MONDAY_10 + timedelta(minutes=n)) for n in range(31)]
    client = login(supervisor)
    first = html(client.get(LIST))
    assert sum(f'id="complaint-{c.pk}"' in first for c in made) == 30 and 'rel="next"' in first
    assert "1–30" in first and "31" in first
    second = html(client.get(LIST, {"page": 2}))
    assert [c for c in made if f'id="complaint-{c.pk}"' in second] == [made[-1]]


def test_the_list_runs_the_same_queries_for_one_complaint_and_for_thirty(login, supervisor, agent,
                                                                        service_manager, django_assert_num_queries):
    client = login(supervisor)
    customer = CustomerFactory()
    file_complaint(by=agent, customer=customer, vehicle=make_vehicle(customer, serial=31, plate="皖A00001"),
                   owner=service_manager)
    client.get(LIST)  # the session and the permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for n in range(29):
        other = CustomerFactory()
        complaint = file_complaint(by=agent, customer=other, owner=service_manager if n % 2 else None,
                                   vehicle=make_vehicle(other, serial=40 + n, plate=f"皖A1{n:04d}"),
                                   severity_code=("general", "serious", "major")[n % 3])
        if n % 3 == 0:
            walk(complaint, "contacted", by=supervisor)
    with django_assert_num_queries(len(one)):
        assert client.get(LIST).status_code == 200
