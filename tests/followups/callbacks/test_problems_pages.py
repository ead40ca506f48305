"""The problem pages: the managers' inbox, a problem's page with its forms, raising one by hand, the
home panel, and who may see and do what."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealer_crm.accounts.roles import Role

from followups.callbacks.models import Callback, Problem
from followups.callbacks.services import problems as services
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_callback, make_vehicle, raise_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
INBOX = reverse("callbacks:problem_inbox")

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(agent):
    customer = CustomerFactory(name="王建华", mobile="13912345678")
    return raise_problem(by=agent, customer=customer, vehicle=make_vehicle(customer, serial=21, plate="皖A12345"),
                         description="保养后空调有异味", now=MONDAY_10)


def detail_url(problem) -> str:
    return reverse("callbacks:problem_detail", args=[problem.pk])


def html(response) -> str:
    return response.content.decode()


# --- the inbox ----------------------------------------------------------------------------------
def test_the_service_manager_sees_the_service_problems_and_not_the_sales_ones(login, service_manager, problem, agent):
    sales = raise_problem(by=agent, department="sales", description="交车时答应的脚垫没给")
    page = html(login(service_manager).get(INBOX))
    assert "保养后空调有异味" in page and sales.description not in page
    assert "139****5678" in page and "13912345678" not in page  # the phone is masked


def test_the_general_manager_sees_the_finance_problems(login, general_manager, agent):
    finance = raise_problem(by=agent, department="finance", category="price", description="发票开错了抬头")
    service = raise_problem(by=agent, department="service", description="洗车没洗干净")
    page = html(login(general_manager).get(INBOX))
    assert finance.description in page and service.description not in page


def test_the_general_manager_opens_every_problem_the_dashboards_list_and_fixes_only_finances(
        login, general_manager, agent):
    late = raise_problem(by=agent, department="service", description="洗车没洗干净",
                         now=timezone.now() - timedelta(days=10))
    client = login(general_manager)
    dashboard = html(client.get(reverse("callbacks:supervisor")))
    assert detail_url(late) in dashboard  # past its deadline: listed for the general manager to read
    page = client.get(detail_url(late))
    assert page.status_code == 200 and "洗车没洗干净" in html(page)
    assert 'name="fix"' not in html(page)  # the service manager's to fix, not the general manager's
    finance = raise_problem(by=agent, department="finance", category="price", description="发票开错了抬头")
    assert 'name="fix"' in html(client.get(detail_url(finance)))


def test_the_callback_a_problem_came_from_is_linked_only_for_who_may_open_it(login, agent, sales_manager):
    from followups.callbacks.services.calls import callback_claim

    other = UserFactory(username="agent_wu", display_name="吴芳", roles=[Role.CALLBACK_AGENT])
    customer = CustomerFactory(name="赵磊")
    callback = callback_claim(callback=make_callback(customer=customer), agent=other)
    problem = raise_problem(by=other, department="sales", customer=customer, callback=callback,
                            description="交车时答应的脚垫没给")
    link = reverse("callbacks:callback_detail", args=[callback.pk])
    assert link in html(login(other).get(detail_url(problem)))  # the agent who holds the call
    for reader in (sales_manager, agent):  # the sales manager fixes it; another agent reads it
        page = html(login(reader).get(detail_url(problem)))
        assert "交车时答应的脚垫没给" in page and link not in page
        assert f"#{callback.pk}" in page  # named, without a link that would be refused
        assert login(reader).get(link).status_code == 403


def test_the_supervisor_sees_every_department_and_filters_by_one(login, supervisor, problem, agent):
    raise_problem(by=agent, department="sales", description="交车时答应的脚垫没给")
    client = login(supervisor)
    page = html(client.get(INBOX))
    assert "保养后空调有异味" in page and "交车时答应的脚垫没给" in page
    page = html(client.get(INBOX, {"department": "sales"}))
    assert "交车时答应的脚垫没给" in page and "保养后空调有异味" not in page


def test_a_lounge_host_sees_no_problems(login, colleague, problem):
    client = login(colleague)
    assert client.get(INBOX).status_code == 403
    assert client.get(detail_url(problem)).status_code == 403


def test_an_overdue_problem_shows_red_and_comes_first(login, service_manager, agent):
    later = raise_problem(by=agent, description="第二个问题", now=MONDAY_10 + timedelta(hours=20))
    first = raise_problem(by=agent, description="第一个问题", now=MONDAY_10)
    with time_machine.travel(MONDAY_10 + timedelta(hours=50), tick=False):
        page = html(login(service_manager).get(INBOX))
    assert page.index("第一个问题") < page.index("第二个问题")
    overdue_row = page[page.index(f'id="problem-{first.pk}"') - 60:page.index("第一个问题")]
    assert "table-danger" in overdue_row and "超时" in overdue_row
    on_time_row = page[page.index(f'id="problem-{later.pk}"') - 60:page.index("第二个问题")]
    assert "table-danger" not in on_time_row and "超时" not in on_time_row
    assert 'id="inbox-overdue-count"' in page


def test_a_problem_within_its_deadline_is_not_red(login, service_manager, problem):
    with time_machine.travel(MONDAY_10 + timedelta(hours=47), tick=False):
        page = html(login(service_manager).get(INBOX))
    assert "table-danger" not in page and "inbox-overdue-count" not in page
    assert "剩余 1\xa0小时" in page  # Django words the time left with a no-break space
    assert "problem-due-soon" in page  # an hour left: it stands out


def test_a_problem_with_a_day_left_does_not_stand_out(login, service_manager, problem):
    with time_machine.travel(MONDAY_10 + timedelta(hours=24), tick=False):
        page = html(login(service_manager).get(INBOX))
    assert "剩余 1\xa0日" in page and "problem-due-soon" not in page


def test_the_overdue_filter_keeps_only_the_late(login, service_manager, agent):
    raise_problem(by=agent, description="早的", now=MONDAY_10 - timedelta(days=3))
    raise_problem(by=agent, description="新的", now=MONDAY_10)
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        page = html(login(service_manager).get(INBOX, {"overdue": "on"}))
    assert "早的" in page and "新的" not in page


def test_a_fixed_problem_waits_on_its_own_tab(login, service_manager, problem):
    services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    client = login(service_manager)
    assert "保养后空调有异味" not in html(client.get(INBOX))
    assert "保养后空调有异味" in html(client.get(INBOX, {"tab": "fixed"}))


def test_an_empty_inbox_says_so(login, service_manager):
    assert 'id="inbox-empty"' in html(login(service_manager).get(INBOX))


def test_the_inbox_runs_the_same_queries_for_one_problem_and_for_thirty(login, service_manager, agent):
    client = login(service_manager)
    raise_problem(by=agent)
    client.get(INBOX)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(INBOX).status_code == 200
    for n in range(29):
        customer = CustomerFactory()
        raise_problem(by=agent, customer=customer, vehicle=make_vehicle(customer, serial=100 + n))
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(INBOX)
    assert html(response).count('class="fw-semibold" href="/callbacks/problems/') == 30
    assert len(thirty) == len(one)


# --- a problem's page ---------------------------------------------------------------------------
def test_the_page_shows_what_the_customer_said_and_the_log(login, service_manager, problem):
    page = html(login(service_manager).get(detail_url(problem)))
    assert "保养后空调有异味" in page and "李娜" in page  # who raised it
    assert 'id="fix-form"' in page  # the department's manager gets the fix form
    assert 'id="problem-close"' not in page  # closing is the supervisor's


def test_a_sales_manager_may_not_open_or_fix_a_service_problem(login, sales_manager, problem):
    client = login(sales_manager)
    assert client.get(detail_url(problem)).status_code == 403
    response = client.post(reverse("callbacks:problem_fix", args=[problem.pk]), {"cause": "c", "fix": "f"})
    assert response.status_code == 403
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN


def test_an_agent_reads_the_problem_but_gets_no_fix_form(login, agent, problem):
    client = login(agent)
    page = html(client.get(detail_url(problem)))
    assert "保养后空调有异味" in page and 'id="fix-form"' not in page
    assert client.post(reverse("callbacks:problem_fix", args=[problem.pk]), {"cause": "c", "fix": "f"}).status_code == 403


def test_the_manager_records_the_fix_and_a_double_click_queues_one_second_callback(login, service_manager, problem):
    client = login(service_manager)
    url = reverse("callbacks:problem_fix", args=[problem.pk])
    first = client.post(url, {"cause": "空调滤芯未更换", "fix": "免费更换滤芯并致电道歉"})
    assert first.status_code == 302
    second = client.post(url, {"cause": "空调滤芯未更换", "fix": "免费更换滤芯并致电道歉"}, follow=True)
    assert "不在等待处理" in html(second)
    assert Callback.objects.filter(problem=problem).count() == 1
    page = html(client.get(detail_url(problem)))
    assert "免费更换滤芯并致电道歉" in page and "赵强" in page and 'id="fix-form"' not in page
    assert "二次回访" in page


def test_a_fix_without_a_cause_keeps_what_was_typed_and_says_what_is_missing(login, service_manager, problem):
    response = login(service_manager).post(reverse("callbacks:problem_fix", args=[problem.pk]),
                                           {"cause": "", "fix": "已更换滤芯"})
    assert response.status_code == 400
    page = html(response)
    assert "这个字段是必填项" in page and "已更换滤芯" in page and "is-invalid" in page
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN


def test_the_supervisor_closes_with_a_reason_after_a_confirmation(login, supervisor, problem):
    client = login(supervisor)
    page = html(client.get(detail_url(problem)))
    assert 'id="problem-close"' in page and "data-confirm" in page
    url = reverse("callbacks:problem_close", args=[problem.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "请填写关闭原因" in html(response)
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN
    client.post(url, {"reason": "客户已出国，无法联系"})
    problem.refresh_from_db()
    assert (problem.status, problem.close_reason) == (Problem.Status.CLOSED, "客户已出国，无法联系")
    assert "客户已出国，无法联系" in html(client.get(detail_url(problem)))


def test_a_manager_may_not_close_a_problem(login, service_manager, problem):
    response = login(service_manager).post(reverse("callbacks:problem_close", args=[problem.pk]), {"reason": "r"})
    assert response.status_code == 403


def test_the_manager_passes_on_a_problem_that_is_not_theirs(login, service_manager, sales_manager, problem):
    response = login(service_manager).post(reverse("callbacks:problem_reassign", args=[problem.pk]),
                                           {"department": "sales", "note": "是销售顾问交车时的承诺"})
    assert response.status_code == 302 and response.url == INBOX
    assert Problem.objects.get(pk=problem.pk).department == "sales"
    assert "保养后空调有异味" in html(login(sales_manager).get(INBOX))


def test_the_second_callbacks_answer_shows_on_the_problem(login, service_manager, agent, problem):
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    callback = Callback.objects.get(problem=problem)
    services.problem_second_callback_answered(callback=callback, satisfied=False, by=agent)
    page = html(login(service_manager).get(detail_url(problem)))
    assert "第 2 轮" in page and 'id="fix-form"' in page


# --- raising a problem by hand ------------------------------------------------------------------
def test_an_agent_raises_a_problem_from_the_customers_page(login, agent):
    customer = CustomerFactory(name="刘洋")
    vehicle = make_vehicle(customer, serial=31, plate="皖A88888")
    client = login(agent)
    assert 'id="problem-raise-link"' in html(client.get(reverse("customers:detail", args=[customer.pk])))
    url = reverse("callbacks:problem_create", args=[customer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"category": "staff", "department": "sales", "vehicle": vehicle.pk,
                                 "description": "销售顾问不回电话"})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response.url == detail_url(problem)
    assert (problem.customer, problem.vehicle, problem.department, problem.raised_by) == (customer, vehicle, "sales", agent)


def test_a_problem_without_its_fields_is_not_raised_and_says_why(login, agent):
    customer = CustomerFactory()
    response = login(agent).post(reverse("callbacks:problem_create", args=[customer.pk]),
                                 {"category": "", "department": "", "description": "客户说的话"})
    assert response.status_code == 400
    page = html(response)
    assert "请选择问题类别" in page and "请选择责任部门" in page and "客户说的话" in page
    assert not Problem.objects.exists()


def test_who_does_not_raise_problems_has_no_button_and_no_form(login, service_manager):
    customer = CustomerFactory()
    client = login(service_manager)
    assert 'id="problem-raise-link"' not in html(client.get(reverse("customers:detail", args=[customer.pk])))
    assert client.get(reverse("callbacks:problem_create", args=[customer.pk])).status_code == 403


def test_a_vehicle_of_another_customer_is_refused(login, agent):
    customer, other = CustomerFactory(), CustomerFactory()
    vehicle = make_vehicle(other, serial=41)
    response = login(agent).post(reverse("callbacks:problem_create", args=[customer.pk]),
                                 {"category": "staff", "department": "sales", "vehicle": vehicle.pk,
                                  "description": "d"})
    assert response.status_code == 400 and not Problem.objects.exists()


# --- the home panel -----------------------------------------------------------------------------
def test_the_managers_home_lists_the_problems_with_the_overdue_in_red_and_the_true_count(login, service_manager,
                                                                                       agent):
    for n in range(8):
        raise_problem(by=agent, description=f"问题{n}", now=MONDAY_10 - timedelta(days=n))
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        response = login(service_manager).get("/")
    panel, rows = next((panel, rows) for panel, rows in response.context["panels"] if panel.key == "feedback")
    assert rows.total == 8 and len(rows.rows) == 6
    assert [row.tone for row in rows.rows] == ["danger"] * 6  # the oldest first: all past their 48 hours
    assert rows.rows[0].url.startswith("/callbacks/problems/")


def test_the_supervisor_filters_by_category_and_complaints(login, supervisor, agent):
    raise_problem(by=agent, category="price", description="保养报价比说好的贵")
    # a problem escalated as a complaint before the complaints had their own records (the flag is history)
    escalated = raise_problem(by=agent, description="要投诉服务顾问")
    Problem.objects.filter(pk=escalated.pk).update(is_complaint=True)
    client = login(supervisor)
    page = html(client.get(INBOX, {"category": "price"}))
    assert "保养报价比说好的贵" in page and "要投诉服务顾问" not in page
    page = html(client.get(INBOX, {"complaint": "on"}))
    assert "要投诉服务顾问" in page and "保养报价比说好的贵" not in page


def test_the_list_sorts_by_the_newest_raised(login, supervisor, agent):
    raise_problem(by=agent, description="先提出的", now=MONDAY_10)
    raise_problem(by=agent, description="后提出的", now=MONDAY_10 + timedelta(hours=1))
    client = login(supervisor)
    page = html(client.get(INBOX))
    assert page.index("先提出的") < page.index("后提出的")  # by deadline
    page = html(client.get(INBOX, {"sort": "-raised"}))
    assert page.index("后提出的") < page.index("先提出的")


def test_the_inbox_pages_thirty_at_a_time(login, service_manager, agent):
    for n in range(31):
        raise_problem(by=agent, description=f"问题编号{n:02d}", now=MONDAY_10 + timedelta(minutes=n))
    client = login(service_manager)
    first = html(client.get(INBOX))
    assert "问题编号00" in first and "问题编号29" in first and "问题编号30" not in first
    second = html(client.get(INBOX, {"page": 2}))
    assert "问题编号30" in second and "问题编号00" not in second


def test_a_problems_page_runs_the_same_queries_whatever_its_history(login, service_manager, agent):
    client = login(service_manager)
    short = services.problem_fix(problem=raise_problem(by=agent), cause="c", fix="f", by=service_manager)
    client.get(detail_url(short))
    with CaptureQueriesContext(connection) as few:
        client.get(detail_url(short))
    long = raise_problem(by=agent)
    for _round in range(3):
        long = services.problem_fix(problem=long, cause="c", fix="f", by=service_manager)
        callback = Callback.objects.get(problem=long, source_key=f"problem:{long.pk}:{long.round}")
        long = services.problem_second_callback_answered(callback=callback, satisfied=False, by=agent)
    with CaptureQueriesContext(connection) as many:
        page = html(client.get(detail_url(long)))
    assert page.count("problem-step ") == 7 and "第 4 轮" in page
    assert len(many) == len(few)


def test_the_tabs_count_their_problems_and_the_closed_tab_holds_satisfied_and_closed(login, service_manager,
                                                                                     supervisor, agent):
    raise_problem(by=agent, description="待处理的")
    services.problem_fix(problem=raise_problem(by=agent, description="待确认的"), cause="c", fix="f",
                         by=service_manager)
    services.problem_close(problem=raise_problem(by=agent, description="主管关闭的"), reason="r", by=supervisor)
    fixed = services.problem_fix(problem=raise_problem(by=agent, description="客户满意的"), cause="c", fix="f",
                                 by=service_manager)
    services.problem_second_callback_answered(callback=Callback.objects.get(problem=fixed), satisfied=True, by=agent)
    client = login(service_manager)
    page = html(client.get(INBOX))
    tabs = page[page.index('id="inbox-tabs"'):page.index('id="inbox-filters"')]
    assert [label_count.split("</span>")[0].rsplit(">", 1)[-1] for label_count in tabs.split("rounded-pill")[1:]] == [
        "1", "1", "2"]
    closed = html(client.get(INBOX, {"tab": "closed"}))
    assert "主管关闭的" in closed and "客户满意的" in closed and "待处理的" not in closed


def test_the_manager_sees_the_phone_masked_with_the_logged_reveal(login, service_manager, problem):
    page = html(login(service_manager).get(detail_url(problem)))
    assert "139****5678" in page and "13912345678" not in page
    assert reverse("customers:reveal_phones", args=[problem.customer_id]) in page
