"""A department manager's inbox (/complaints/inbox/): the problems routed to their departments and
the complaints on their desk in one list by deadline, the late first, each row saying which it is."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.customers.factories import CustomerFactory
from tests.followups.factories import raise_problem

from .test_pages_support import INBOX, MONDAY_10, file_complaint, html, marketing_user, row_of, text_of, walk

pytestmark = pytest.mark.django_db


def kinds_in_order(page: str) -> list[str]:
    import re

    return re.findall(r'<tr id="((?:problem|complaint)-\d+)"', page)


def test_problems_and_complaints_in_one_list_by_deadline(login, agent, service_manager):
    # Problems are due 48 calendar hours after they are raised; complaints on their severity's clock.
    problem = raise_problem(by=agent, description="洗车没洗干净", now=MONDAY_10)  # due Wednesday 10:00
    major = file_complaint(by=agent, severity_code="major", description="发动机故障灯亮")  # first contact 12:00
    general = file_complaint(by=agent, owner=service_manager, description="保养后空调有异响")  # Wednesday 16:00
    with time_machine.travel(MONDAY_10 + timedelta(hours=3), tick=False):
        page = html(login(service_manager).get(INBOX))
    assert kinds_in_order(page) == [f"complaint-{major.pk}", f"problem-{problem.pk}", f"complaint-{general.pk}"]
    late = row_of(page, f"complaint-{major.pk}")
    assert "table-danger" in late and "超时 1 小时" in text_of(late) and "投诉" in text_of(late)
    on_time = row_of(page, f"problem-{problem.pk}")
    assert "table-danger" not in on_time and "问题" in text_of(on_time) and "剩 45 小时" in text_of(on_time)
    assert 'id="inbox-overdue-count"' in page


def test_a_manager_sees_only_their_departments_and_what_they_handle(login, agent, supervisor, sales_manager,
                                                                    service_manager):
    service_problem = raise_problem(by=agent, department="service", description="服务部的问题")
    sales_problem = raise_problem(by=agent, department="sales", description="销售部的问题")
    service = file_complaint(by=agent, description="服务部的投诉")
    sales = file_complaint(by=agent, department="sales", description="销售部的投诉")
    lent = file_complaint(by=supervisor, department="sales", owner=service_manager, description="交给服务经理的")
    page = html(login(sales_manager).get(INBOX))
    assert set(kinds_in_order(page)) == {f"problem-{sales_problem.pk}", f"complaint-{sales.pk}", f"complaint-{lent.pk}"}
    page = html(login(service_manager).get(INBOX))
    assert set(kinds_in_order(page)) == {f"problem-{service_problem.pk}", f"complaint-{service.pk}",
                                         f"complaint-{lent.pk}"}


def test_closed_complaints_and_fixed_problems_leave_the_inbox(login, agent, service_manager):
    from followups.callbacks.services.problems import problem_fix

    problem = raise_problem(by=agent, description="已修好的问题")
    problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    closed = walk(file_complaint(by=agent, owner=service_manager), "closed", by=service_manager)
    page = html(login(service_manager).get(INBOX))
    assert f"problem-{problem.pk}" not in page and f"complaint-{closed.pk}" not in page
    assert 'id="inbox-empty"' in page and "没有待办事项" in page


def test_a_complaint_waiting_for_the_customers_word_comes_last(login, agent, service_manager):
    waiting = walk(file_complaint(by=agent, owner=service_manager, description="已回访的投诉"), "followed_up",
                   by=service_manager)
    due = file_complaint(by=agent, description="刚登记的投诉")
    page = html(login(service_manager).get(INBOX))
    assert kinds_in_order(page) == [f"complaint-{due.pk}", f"complaint-{waiting.pk}"]
    assert "—" in text_of(row_of(page, f"complaint-{waiting.pk}"))


def test_the_rows_link_to_their_pages_and_mask_the_phone(login, agent, service_manager):
    customer = CustomerFactory(name="王建华", mobile="13912345678")
    problem = raise_problem(by=agent, customer=customer, description="洗车没洗干净")
    complaint = file_complaint(by=agent, customer=customer)
    page = html(login(service_manager).get(INBOX))
    assert f'href="/callbacks/problems/{problem.pk}/"' in page and f'href="/complaints/{complaint.pk}/"' in page
    assert "139****5678" in page and "13912345678" not in page


def test_who_has_no_inbox_is_refused(login, agent):
    assert login(agent).get(INBOX).status_code == 403  # agents register complaints, they handle none
    assert login(marketing_user()).get(INBOX).status_code == 403


def test_the_supervisor_and_the_general_manager_see_every_department(login, agent, supervisor, general_manager):
    service = file_complaint(by=agent, description="服务部的投诉")
    finance_problem = raise_problem(by=agent, department="finance", category="price", description="发票开错了")
    for user in (supervisor, general_manager):
        page = html(login(user).get(INBOX))
        assert f"complaint-{service.pk}" in page and f"problem-{finance_problem.pk}" in page


def test_thirty_to_a_page_across_both_kinds(login, agent, service_manager):
    customer = CustomerFactory()
    problems = [raise_problem(by=agent, customer=customer, now=MONDAY_10 + timedelta(hours=n)) for n in range(16)]
    complaints = [file_complaint(by=agent, customer=customer, now=MONDAY_10 + timedelta(minutes=n))
                  for n in range(16)]
    client = login(service_manager)
    first, second = html(client.get(INBOX)), html(client.get(INBOX, {"page": 2}))
    shown = kinds_in_order(first) + kinds_in_order(second)
    assert len(kinds_in_order(first)) == 30 and len(shown) == 32 and 'rel="next"' in first
    assert set(shown) == {f"problem-{p.pk}" for p in problems} | {f"complaint-{c.pk}" for c in complaints}


def test_the_inbox_runs_the_same_queries_for_two_rows_and_for_thirty(login, agent, service_manager,
                                                                     django_assert_num_queries):
    client = login(service_manager)
    raise_problem(by=agent)
    file_complaint(by=agent)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX).status_code == 200
    for n in range(14):
        raise_problem(by=agent)
        complaint = file_complaint(by=agent, severity_code=("general", "major")[n % 2], owner=service_manager)
        if n % 3 == 0:
            walk(complaint, "contacted", by=service_manager)
    with django_assert_num_queries(len(few)):
        assert client.get(INBOX).status_code == 200
