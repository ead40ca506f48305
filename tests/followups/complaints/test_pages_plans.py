"""The improvement plans (/complaints/plans/): open first, filtered by state, department and the
month they are due (the monthly summary), marked done by their owner or the supervisor."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.complaints import services
from followups.complaints.models import ImprovementPlan

from .test_pages_support import MONDAY_10, PLANS, file_complaint, html, row_of, text_of, walk

pytestmark = pytest.mark.django_db


def analysed(*, by, owner, department="service", shared=False, plans=(("鼓风机检查列入保养项目", date(2026, 12, 31)),),
             plan_department=None, complaint_department="service"):
    complaint = walk(file_complaint(by=by, owner=owner, department=complaint_department), "satisfied", by=owner)
    return services.analysis_write(
        complaint=complaint, root_cause="skill", root_cause_text="技师未按规范检查", by=owner, shared=shared,
        now=MONDAY_10 + timedelta(hours=9),
        plans=[services.PlanInput(action=action, department=plan_department or department, owner=owner, due_on=due)
               for action, due in plans])


def plan_ids(page: str) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'<tr id="plan-(\d+)"', page)]


def test_open_plans_first_by_due_date_and_the_done_ones_on_request(login, agent, supervisor, service_manager):
    analysis = analysed(by=agent, owner=service_manager, plans=(("后到期", date(2026, 12, 31)),
                                                                ("先到期", date(2026, 12, 10)),
                                                                ("已完成", date(2026, 12, 5))))
    done = analysis.plans.get(action="已完成")
    services.plan_done(plan=done, by=service_manager, note="已培训", now=MONDAY_10 + timedelta(days=1))
    client = login(supervisor)
    later, sooner = analysis.plans.get(action="后到期"), analysis.plans.get(action="先到期")
    assert plan_ids(html(client.get(PLANS))) == [sooner.pk, later.pk]
    assert plan_ids(html(client.get(PLANS, {"state": ""}))) == [sooner.pk, later.pk, done.pk]
    page = html(client.get(PLANS, {"state": "done"}))
    assert plan_ids(page) == [done.pk] and "已培训" in page


def test_the_month_and_department_filters_make_the_monthly_summary(login, agent, supervisor, service_manager,
                                                                   sales_manager):
    december = analysed(by=agent, owner=service_manager, plans=(("十二月的", date(2026, 12, 20)),))
    january = analysed(by=agent, owner=service_manager, plans=(("一月的", date(2027, 1, 15)),))
    sales = analysed(by=agent, owner=sales_manager, department="sales", complaint_department="sales",
                     plans=(("销售的", date(2026, 12, 1)),))
    client = login(supervisor)
    assert plan_ids(html(client.get(PLANS, {"month": "2026-12"}))) == [
        sales.plans.get().pk, december.plans.get().pk]
    assert plan_ids(html(client.get(PLANS, {"month": "2027-01"}))) == [january.plans.get().pk]
    assert plan_ids(html(client.get(PLANS, {"department": "sales"}))) == [sales.plans.get().pk]
    page = html(client.get(PLANS, {"month": "十二月"}))
    assert "请选择月份，如 2026-12。" in page


def test_a_manager_sees_their_departments_plans_theirs_and_the_shared_ones(login, agent, service_manager,
                                                                          sales_manager):
    service = analysed(by=agent, owner=service_manager, plans=(("服务部的", date(2026, 12, 20)),))
    sales_private = analysed(by=agent, owner=sales_manager, department="sales", complaint_department="sales",
                             plans=(("销售部的", date(2026, 12, 21)),))
    sales_shared = analysed(by=agent, owner=sales_manager, department="sales", complaint_department="sales",
                            shared=True, plans=(("分享的", date(2026, 12, 22)),))
    page = html(login(service_manager).get(PLANS))
    assert plan_ids(page) == [service.plans.get().pk, sales_shared.plans.get().pk]
    assert sales_private.plans.get().pk not in plan_ids(page)
    # The shared plan's complaint is the sales department's: its number shows, without a link.
    shared_row = row_of(page, f"plan-{sales_shared.plans.get().pk}")
    assert sales_shared.complaint.number in shared_row and "/complaints/" not in shared_row
    assert f'href="/complaints/{service.complaint_id}/"' in row_of(page, f"plan-{service.plans.get().pk}")


def test_the_owner_marks_a_plan_done_from_the_list(login, agent, service_manager):
    plan = analysed(by=agent, owner=service_manager).plans.get()
    client = login(service_manager)
    page = html(client.get(PLANS, {"department": "service"}))
    done = reverse("complaints:plan_done", args=[plan.pk])
    assert f'action="{done}"' in row_of(page, f"plan-{plan.pk}")
    response = client.post(done, {f"done{plan.pk}-note": "已写入作业指导书",
                                  f"done{plan.pk}-next": f"{PLANS}?department=service"})
    assert response.status_code == 302 and response["Location"] == f"{PLANS}?department=service"
    plan.refresh_from_db()
    assert plan.done_note == "已写入作业指导书" and plan.done_by == service_manager
    assert "改进措施已记录为完成" in html(client.get(response["Location"]))


def test_a_plan_done_sends_back_only_to_the_crm(login, agent, service_manager):
    plan = analysed(by=agent, owner=service_manager).plans.get()
    response = login(service_manager).post(reverse("complaints:plan_done", args=[plan.pk]), {
        f"done{plan.pk}-note": "完成", f"done{plan.pk}-next": "https://evil.example.com/"})
    assert response["Location"] == f"/complaints/{plan.analysis.complaint_id}/"


def test_the_supervisor_marks_anyones_plan_done_and_others_see_no_button(login, agent, supervisor, service_manager,
                                                                         general_manager):
    plan = analysed(by=agent, owner=service_manager).plans.get()
    page = html(login(general_manager).get(PLANS))
    assert plan.pk in plan_ids(page)
    assert f'action="{reverse("complaints:plan_done", args=[plan.pk])}"' not in page
    assert login(general_manager).post(reverse("complaints:plan_done", args=[plan.pk]),
                                       {f"done{plan.pk}-note": "x"}).status_code == 403
    login(supervisor).post(reverse("complaints:plan_done", args=[plan.pk]), {f"done{plan.pk}-note": "主管确认完成"})
    assert ImprovementPlan.objects.get().done_by == supervisor


def test_a_late_plan_stands_out(login, agent, supervisor, service_manager):
    plan = analysed(by=agent, owner=service_manager, plans=(("到期了", date(2026, 12, 1)),)).plans.get()
    with time_machine.travel(date(2026, 12, 2), tick=False):
        page = html(login(supervisor).get(PLANS))
    assert "plan-late" in row_of(page, f"plan-{plan.pk}")


def test_who_handles_no_complaint_has_no_plans_page(login, agent):
    assert login(agent).get(PLANS).status_code == 403


def test_an_empty_list_says_so(login, service_manager):
    page = html(login(service_manager).get(PLANS))
    assert 'id="plan-empty"' in page and "没有符合筛选条件的改进计划" in text_of(page)


def test_the_plans_page_runs_the_same_queries_for_one_plan_and_for_many(login, agent, supervisor, service_manager,
                                                                        django_assert_num_queries):
    analysed(by=agent, owner=service_manager)
    client = login(supervisor)
    client.get(PLANS)
    with CaptureQueriesContext(connection) as one:
        assert client.get(PLANS).status_code == 200
    analysed(by=agent, owner=service_manager, plans=tuple((f"计划 {n}", date(2026, 12, 1 + n)) for n in range(8)))
    with django_assert_num_queries(len(one)):
        assert client.get(PLANS).status_code == 200
