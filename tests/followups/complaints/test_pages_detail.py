"""One complaint's page (/complaints/<pk>/): its whole story and the actions its user may take now —
each move of the workflow with its note, pausing, notes, assigning, reclassifying, the case analysis
and its plans — what each POST does, its refusals, who is let in, and a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from dealer_crm.accounts.roles import Role
from followups.complaints import services
from followups.complaints.models import (
    CaseAnalysis,
    Complaint,
    ComplaintStep,
    Escalation,
    ImprovementPlan,
    ManufacturerItem,
)
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

from .test_pages_support import (
    MONDAY_10,
    NOTES,
    detail_url,
    file_complaint,
    html,
    marketing_user,
    severity,
    text_of,
    walk,
    write_analysis,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent, service_manager):
    customer = CustomerFactory(name="王建华", mobile="13912345678")
    vehicle = make_vehicle(customer, serial=61, plate="皖A61000", by=agent)
    return file_complaint(by=agent, customer=customer, vehicle=vehicle, owner=service_manager,
                          person_concerned="服务顾问小李", description="保养后空调有异响，服务顾问态度敷衍")


def move_url(complaint, action: str) -> str:
    return reverse("complaints:complaint_move", args=[complaint.pk, action])


def url(name: str, complaint) -> str:
    return reverse(f"complaints:{name}", args=[complaint.pk])


def stored(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def followed(client, response) -> str:
    assert response.status_code == 302, html(response)[:2000]
    return html(client.get(response["Location"]))


# --- the story --------------------------------------------------------------------------------------
def test_the_header_tells_the_whole_complaint(login, supervisor, complaint):
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        page = html(login(supervisor).get(detail_url(complaint)))
    facts = text_of(page[page.index('id="complaint-facts"'):page.index('id="complaint-deadlines"')])
    for shown in ("王建华", "皖A61000", "服务顾问小李", "赵强", "一般"):
        assert shown in facts
    assert "139****5678" in page and "13912345678" not in page
    assert complaint.number in page and "保养后空调有异响，服务顾问态度敷衍" in page
    assert f'href="{reverse("customers:detail", args=[complaint.customer_id])}"' in page
    # A general complaint registered on Monday at 10:00: first contact within 24 working hours (Wednesday
    # 16:00, 23 working hours left at 11:00), solved within 72 (Thursday 10 December at 10:00).
    contact = text_of(page[page.index('id="deadline-contact"'):page.index('id="deadline-solve"')])
    solve = text_of(page[page.index('id="deadline-solve"'):page.index("</dl>", page.index('id="deadline-solve"'))])
    assert "2026-12-02 16:00" in contact and "剩 23 小时" in contact
    assert "2026-12-10 10:00" in solve and "剩 71 小时" in solve
    assert "按工作时间" in page


def test_an_overdue_complaint_says_so_in_red(login, supervisor, complaint):
    with time_machine.travel(MONDAY_10 + timedelta(days=3), tick=False):  # Thursday 10:00
        page = html(login(supervisor).get(detail_url(complaint)))
    assert 'id="complaint-overdue"' in page
    contact = page[page.index('id="deadline-contact"'):page.index('id="deadline-solve"')]
    assert "超时 3 小时" in text_of(contact) and "text-danger" in contact  # 16:00–17:30 Wed, 08:30–10:00 Thu


def test_the_steps_log_says_who_when_from_what_to_what_and_the_cost(login, supervisor, service_manager, complaint):
    walk(complaint, "visited", by=service_manager)
    services.complaint_move(complaint=complaint, action="agreed", by=service_manager, solution="免费更换鼓风机",
                            cost=Decimal("380.00"), now=MONDAY_10 + timedelta(hours=5))
    page = html(login(supervisor).get(detail_url(complaint)))
    log = text_of(page[page.index('id="complaint-log"'):])
    assert "2026-11-30 11:00 赵强 首次联系 已登记 → 已首次联系 电话致歉，约定周三上门" in log
    assert "上门查看：空调出风口异响" in log and "免费更换鼓风机" in log and "¥380.00" in log
    assert "分派给 赵强" in log  # the assignment at registration
    solution = text_of(page[page.index('id="complaint-solution"'):page.index('id="complaint-actions"')])
    assert "免费更换鼓风机" in solution and "¥380.00" in solution


def test_escalations_the_analysis_and_the_manufacturers_item_are_shown(login, supervisor, service_manager, complaint):
    Escalation.objects.create(complaint=complaint, deadline="contact", level="passed", role="service_manager",
                              due_at=MONDAY_10, created_at=MONDAY_10 + timedelta(hours=1),
                              notify_at=MONDAY_10 + timedelta(hours=1))
    ManufacturerItem.objects.create(reference="BMW-2026-0042", received_on=date(2026, 11, 29), description="异响",
                                    complaint=complaint, imported_at=MONDAY_10)
    walk(complaint, "satisfied", by=service_manager)
    write_analysis(complaint, by=service_manager, now=MONDAY_10 + timedelta(hours=9))
    page = html(login(supervisor).get(detail_url(complaint)))
    escalations = page[page.index('id="complaint-escalations"'):]
    assert "escalation-passed" in escalations and "11-30 11:00" in escalations
    assert "BMW-2026-0042" in page[page.index('id="complaint-manufacturer-item"'):]
    analysis = text_of(page[page.index('id="complaint-analysis"'):page.index('id="complaint-log"')])
    assert "技师未按规范检查鼓风机" in analysis and "鼓风机检查列入保养项目" in analysis and "2026-12-31" in analysis


# --- who is let in ------------------------------------------------------------------------------------
def test_who_may_read_it(login, complaint, supervisor, general_manager, service_manager, agent, sales_manager):
    for reader in (supervisor, general_manager, service_manager, agent):
        assert login(reader).get(detail_url(complaint)).status_code == 200
    assert login(sales_manager).get(detail_url(complaint)).status_code == 403  # another department's
    other_agent = UserFactory(username="agent_zhou", roles=[Role.CALLBACK_AGENT])
    assert login(other_agent).get(detail_url(complaint)).status_code == 403


def test_a_colleague_without_the_right_learns_nothing(login, complaint):
    client = login(marketing_user())
    assert client.get(detail_url(complaint)).status_code == 403
    assert client.get(reverse("complaints:complaint_detail", args=[999_999])).status_code == 403


def test_no_such_complaint_is_404(login, supervisor):
    assert login(supervisor).get(reverse("complaints:complaint_detail", args=[999_999])).status_code == 404


def test_only_the_owner_and_the_supervisor_get_the_forms(login, complaint, service_manager, supervisor, agent):
    owner_page = html(login(service_manager).get(detail_url(complaint)))
    assert f'action="{move_url(complaint, "contacted")}"' in owner_page and 'id="note-form"' in owner_page
    assert 'id="assign-form"' not in owner_page and 'id="reclassify-form"' not in owner_page
    supervisor_page = html(login(supervisor).get(detail_url(complaint)))
    assert f'action="{move_url(complaint, "contacted")}"' in supervisor_page
    assert 'id="assign-form"' in supervisor_page and 'id="reclassify-form"' in supervisor_page
    agent_page = html(login(agent).get(detail_url(complaint)))
    assert 'method="post"' not in agent_page[agent_page.index("<main"):].split('id="idle-warning"')[0]
    assert "赵强" in text_of(agent_page[agent_page.index('id="complaint-not-yours"'):])


def test_a_department_manager_who_does_not_handle_it_may_read_but_not_act(login, agent, complaint):
    colleague = UserFactory(username="service_qian", roles=[Role.SERVICE_MANAGER])
    client = login(colleague)
    assert 'id="complaint-not-yours"' in html(client.get(detail_url(complaint)))
    assert client.post(move_url(complaint, "contacted"), {"contacted-note": "x"}).status_code == 403
    assert client.post(url("complaint_note", complaint), {"note-note": "x"}).status_code == 403
    assert stored(complaint).status == "registered"


# --- each move ----------------------------------------------------------------------------------------
def test_the_forms_offered_follow_the_state(login, service_manager, complaint):
    client = login(service_manager)
    page = html(client.get(detail_url(complaint)))
    assert [action for action in services.TRANSITIONS if f'id="move-{action}"' in page] == ["contacted"]
    assert "首次联系的内容（致歉）" in page and "记录首次联系" in page
    walk(complaint, "investigating", by=service_manager)
    page = html(client.get(detail_url(complaint)))
    assert [action for action in services.TRANSITIONS if f'id="move-{action}"' in page] == ["visited", "agreed"]
    assert "上门拜访报告" in page and "与客户商定的方案" in page and "店方承担费用（元）" in page


def test_the_first_contact_is_recorded_with_the_apology(login, service_manager, complaint):
    client = login(service_manager)
    page = followed(client, client.post(move_url(complaint, "contacted"), {"contacted-note": "电话致歉"}))
    complaint = stored(complaint)
    assert complaint.status == "contacted" and complaint.contacted_at is not None
    assert "首次联系已记录" in page and "电话致歉" in page


def test_a_move_without_its_words_is_refused_in_chinese_and_keeps_the_rest(login, service_manager, complaint):
    response = login(service_manager).post(move_url(complaint, "contacted"), {"contacted-note": ""})
    page = html(response)
    assert response.status_code == 400 and stored(complaint).status == "registered"
    assert "首次联系" in page and "is-invalid" in page
    assert gettext("Write what was said at the first contact (the apology).") in page


def test_the_solution_is_recorded_with_its_cost(login, service_manager, complaint):
    walk(complaint, "investigating", by=service_manager)
    client = login(service_manager)
    followed(client, client.post(move_url(complaint, "agreed"), {"agreed-solution": "免费更换鼓风机",
                                                                 "agreed-cost": "380.5"}))
    complaint = stored(complaint)
    assert (complaint.status, complaint.solution, complaint.cost) == ("agreed", "免费更换鼓风机", Decimal("380.50"))
    step = complaint.steps.get(action="agreed")
    assert step.cost == Decimal("380.50") and step.note == "免费更换鼓风机"


def test_a_negative_cost_is_refused(login, service_manager, complaint):
    walk(complaint, "investigating", by=service_manager)
    response = login(service_manager).post(move_url(complaint, "agreed"), {"agreed-solution": "退款",
                                                                           "agreed-cost": "-5"})
    assert response.status_code == 400 and "费用不能为负数。" in html(response)
    assert stored(complaint).status == "investigating"


def test_a_move_the_state_does_not_allow_is_the_services_message(login, service_manager, complaint):
    client = login(service_manager)
    page = followed(client, client.post(move_url(complaint, "solved"), {"solved-note": "已修好"}))
    assert stored(complaint).status == "registered"
    assert "投诉当前为“已登记”，不能记录“已解决”。" in page
    assert not complaint.steps.filter(action="solved").exists()


def test_an_unknown_move_is_404(login, service_manager, complaint):
    assert login(service_manager).post(move_url(complaint, "teleported"), {}).status_code == 404


def test_each_move_of_the_walk_through_the_page(login, service_manager, complaint):
    """The usual path, each step posted from the form the page shows."""
    client = login(service_manager)
    for action in ("contacted", "investigating", "visited"):
        followed(client, client.post(move_url(complaint, action), {f"{action}-note": NOTES[action]}))
    followed(client, client.post(move_url(complaint, "agreed"), {"agreed-solution": NOTES["agreed"]}))
    page = followed(client, client.post(move_url(complaint, "solved"), {"solved-note": NOTES["solved"]}))
    assert "请在 7 天内跟进回访" in page
    for action in ("followed_up", "satisfied"):
        page = followed(client, client.post(move_url(complaint, action), {f"{action}-note": NOTES[action]}))
    # Satisfied: closing waits for the case analysis.
    assert 'id="close-needs-analysis"' in page and 'id="move-closed"' not in page
    assert 'id="move-reopened"' in page and "data-confirm" in page[page.index('id="move-reopened"') - 400:]
    assert stored(complaint).status == "satisfied"


def test_closing_needs_the_case_analysis_then_is_offered(login, service_manager, complaint):
    walk(complaint, "satisfied", by=service_manager)
    client = login(service_manager)
    response = client.post(move_url(complaint, "closed"), {"closed-note": ""})
    assert "结案前请先填写案例分析。" in followed(client, response)
    assert stored(complaint).status == "satisfied"
    write_analysis(complaint, by=service_manager, now=MONDAY_10 + timedelta(hours=9))
    page = html(client.get(detail_url(complaint)))
    assert 'id="move-closed"' in page and "data-confirm" in page[page.index('id="move-closed"') - 300:]
    page = followed(client, client.post(move_url(complaint, "closed"), {"closed-note": ""}))
    assert stored(complaint).status == "closed" and "该投诉已结案。" in page
    assert 'id="analysis-form"' not in page  # final once closed


def test_reopening_starts_a_new_round(login, service_manager, complaint):
    walk(complaint, "closed", by=service_manager)
    client = login(service_manager)
    response = client.post(move_url(complaint, "reopened"), {"reopened-note": ""})
    assert response.status_code == 400 and stored(complaint).status == "closed"
    page = followed(client, client.post(move_url(complaint, "reopened"), {"reopened-note": "客户称异响又出现"}))
    complaint = stored(complaint)
    assert (complaint.status, complaint.round) == ("investigating", 2)
    assert "第 2 轮" in text_of(page[page.index('id="complaint-status"'):page.index('id="complaint-description"')])


# --- the clock, notes -----------------------------------------------------------------------------------
def test_pausing_and_resuming_the_clock(login, service_manager, complaint):
    walk(complaint, "contacted", by=service_manager)
    client = login(service_manager)
    response = client.post(url("complaint_pause", complaint), {"pause-note": ""})
    assert response.status_code == 400 and stored(complaint).paused_at is None
    page = followed(client, client.post(url("complaint_pause", complaint), {"pause-note": "等客户提供发票"}))
    assert stored(complaint).paused_at is not None
    assert 'id="complaint-paused-since"' in page and "已暂停" in page and 'id="resume-form"' in page
    assert 'id="pause-form"' not in page
    due = stored(complaint).solve_due_at
    page = followed(client, client.post(url("complaint_resume", complaint), {"resume-note": "发票已收到"}))
    complaint = stored(complaint)
    assert complaint.paused_at is None and complaint.solve_due_at >= due and 'id="pause-form"' in page
    assert list(complaint.steps.filter(action__in=["paused", "resumed"]).values_list("note", flat=True)) == [
        "等客户提供发票", "发票已收到"]


def test_the_clock_cannot_be_paused_before_the_first_contact(login, service_manager, complaint):
    page = html(login(service_manager).get(detail_url(complaint)))
    assert 'id="pause-form"' not in page
    client = login(service_manager)
    page = followed(client, client.post(url("complaint_pause", complaint), {"pause-note": "等客户"}))
    assert stored(complaint).paused_at is None
    assert gettext("The clock can be paused only after the first contact and before the solution.") in page


def test_a_note_is_added_to_the_story(login, service_manager, complaint):
    client = login(service_manager)
    assert client.post(url("complaint_note", complaint), {"note-note": ""}).status_code == 400
    page = followed(client, client.post(url("complaint_note", complaint), {"note-note": "客户要求书面道歉"}))
    assert "客户要求书面道歉" in text_of(page[page.index('id="complaint-log"'):])
    assert complaint.steps.filter(action=ComplaintStep.Action.NOTE, by=service_manager).exists()


# --- the supervisor's acts -----------------------------------------------------------------------------
def test_the_supervisor_assigns_it(login, supervisor, sales_manager, agent):
    complaint = file_complaint(by=agent)
    client = login(supervisor)
    page = followed(client, client.post(url("complaint_assign", complaint), {"assign-owner": sales_manager.pk,
                                                                             "assign-note": "销售顾问的问题"}))
    assert stored(complaint).owner == sales_manager and "投诉已分派给 孙伟" in page
    # Assigning the same person again is the service's refusal, shown as a message.
    page = followed(client, client.post(url("complaint_assign", complaint), {"assign-owner": sales_manager.pk}))
    assert "该投诉已由孙伟处理。" in page


def test_only_the_supervisor_assigns(login, service_manager, sales_manager, complaint):
    response = login(service_manager).post(url("complaint_assign", complaint), {"assign-owner": sales_manager.pk})
    assert response.status_code == 403 and stored(complaint).owner == service_manager


def test_someone_who_cannot_handle_complaints_is_not_offered(login, supervisor, agent, complaint):
    page = html(login(supervisor).get(detail_url(complaint)))
    assign = page[page.index('id="assign-form"'):page.index('id="reclassify-form"')]
    assert f'value="{agent.pk}"' not in assign
    response = login(supervisor).post(url("complaint_assign", complaint), {"assign-owner": agent.pk})
    assert response.status_code == 400 and "请从列表中选择人员" in html(response)


def test_the_supervisor_reclassifies_it_and_the_deadlines_follow(login, supervisor, complaint):
    client = login(supervisor)
    major = severity("major")
    response = client.post(url("complaint_reclassify", complaint), {"reclassify-severity": major.pk,
                                                                   "reclassify-note": ""})
    assert response.status_code == 400 and stored(complaint).severity.code == "general"
    page = followed(client, client.post(url("complaint_reclassify", complaint), {"reclassify-severity": major.pk,
                                                                                "reclassify-note": "客户投诉到厂家"}))
    complaint = stored(complaint)
    assert complaint.severity == major
    assert timezone.localtime(complaint.contact_due_at).hour == 12  # 2 working hours from 10:00
    assert "一般 → 重大" in text_of(page[page.index('id="complaint-log"'):])
    assert login(UserFactory(roles=[Role.SERVICE_MANAGER])).post(
        url("complaint_reclassify", complaint), {"reclassify-severity": severity("serious").pk,
                                                 "reclassify-note": "x"}).status_code == 403


# --- the case analysis and its plans ------------------------------------------------------------------
def analysis_post(*plans, **fields) -> dict:
    data = {"analysis-root_cause": "skill", "analysis-root_cause_text": "技师未按规范检查鼓风机",
            "analysis-lesson": "保养时检查鼓风机", "analysis-shared": "on",
            "plan-TOTAL_FORMS": "3", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "0", "plan-MAX_NUM_FORMS": "10"}
    for index, plan in enumerate(plans):
        data.update({f"plan-{index}-{key}": value for key, value in plan.items()})
    data.update(fields)
    return data


def test_the_case_analysis_is_written_with_its_plans(login, service_manager, sales_manager, complaint):
    walk(complaint, "satisfied", by=service_manager)
    with time_machine.travel(MONDAY_10 + timedelta(hours=10), tick=False):
        client = login(service_manager)
        page = followed(client, client.post(url("complaint_analysis", complaint), analysis_post(
            {"action": "鼓风机检查列入保养项目", "department": "service", "owner": service_manager.pk,
             "due_on": "2026-12-31"},
            {"action": "销售顾问培训", "department": "sales", "owner": sales_manager.pk, "due_on": "2026-12-15"})))
    analysis = CaseAnalysis.objects.get(complaint=complaint)
    assert (analysis.root_cause, analysis.shared, analysis.written_by) == ("skill", True, service_manager)
    assert sorted(analysis.plans.values_list("action", "owner__username")) == [
        ("销售顾问培训", "sales_sun"), ("鼓风机检查列入保养项目", "service_zhao")]
    assert "案例分析已保存" in page and 'id="move-closed"' in page


def test_an_analysis_without_a_plan_is_refused_and_nothing_is_kept(login, service_manager, complaint):
    walk(complaint, "satisfied", by=service_manager)
    response = login(service_manager).post(url("complaint_analysis", complaint), analysis_post())
    page = html(response)
    assert response.status_code == 400 and not CaseAnalysis.objects.filter(complaint=complaint).exists()
    assert "技师未按规范检查鼓风机" in page  # what was typed is shown again
    assert gettext("Add at least one improvement plan, with its owner and due date.") in page


def test_a_plan_row_half_filled_says_what_is_missing(login, service_manager, complaint):
    walk(complaint, "satisfied", by=service_manager)
    response = login(service_manager).post(url("complaint_analysis", complaint), analysis_post(
        {"action": "鼓风机检查列入保养项目", "department": "service"}))
    page = html(response)
    assert response.status_code == 400 and not CaseAnalysis.objects.exists()
    assert gettext("Choose who carries out the improvement.") in page
    assert gettext("Give the improvement's due date.") in page
    assert 'value="鼓风机检查列入保养项目"' in page


def test_a_plan_is_marked_done_from_the_page(login, service_manager, supervisor, complaint):
    walk(complaint, "satisfied", by=service_manager)
    write_analysis(complaint, by=service_manager, now=MONDAY_10 + timedelta(hours=9))
    plan = ImprovementPlan.objects.get()
    client = login(service_manager)
    page = html(client.get(detail_url(complaint)))
    done = reverse("complaints:plan_done", args=[plan.pk])
    assert f'action="{done}"' in page
    page = followed(client, client.post(done, {f"done{plan.pk}-note": "已写入保养作业指导书",
                                               f"done{plan.pk}-next": detail_url(complaint)}))
    plan.refresh_from_db()
    assert plan.done_at is not None and plan.done_by == service_manager and "已写入保养作业指导书" in page
    assert f'action="{done}"' not in page


def test_a_plan_is_done_only_by_its_owner_or_the_supervisor(login, service_manager, sales_manager, complaint):
    walk(complaint, "satisfied", by=service_manager)
    write_analysis(complaint, by=service_manager, now=MONDAY_10 + timedelta(hours=9))
    plan = ImprovementPlan.objects.get()
    done = reverse("complaints:plan_done", args=[plan.pk])
    assert login(sales_manager).post(done, {f"done{plan.pk}-note": "x"}).status_code == 403
    client = login(service_manager)
    followed(client, client.post(done, {f"done{plan.pk}-note": ""}))  # refused: the words are needed
    plan.refresh_from_db()
    assert plan.done_at is None


# --- escalating a problem -------------------------------------------------------------------------------
def test_a_problem_is_escalated_to_a_complaint_once(login, service_manager, agent):
    from tests.followups.factories import raise_problem

    problem = raise_problem(by=agent, description="三次返修仍未修好", now=MONDAY_10)
    problem_page = html(login(service_manager).get(reverse("callbacks:problem_detail", args=[problem.pk])))
    escalate = reverse("complaints:escalate_problem", args=[problem.pk])
    assert f'action="{escalate}"' in problem_page
    client = login(service_manager)
    response = client.post(escalate)
    complaint = Complaint.objects.get(problem=problem)
    assert response["Location"] == detail_url(complaint) and complaint.description == "三次返修仍未修好"
    assert client.post(escalate)["Location"] == detail_url(complaint) and Complaint.objects.count() == 1
    problem_page = html(client.get(reverse("callbacks:problem_detail", args=[problem.pk])))
    assert f'action="{escalate}"' not in problem_page and complaint.number in problem_page


def test_escalating_needs_the_right_to_register_and_to_read_the_problem(login, sales_manager, agent):
    from tests.followups.factories import raise_problem

    problem = raise_problem(by=agent, description="三次返修仍未修好")
    escalate = reverse("complaints:escalate_problem", args=[problem.pk])
    assert login(marketing_user()).post(escalate).status_code == 403
    assert login(sales_manager).post(escalate).status_code == 403  # the service department's problem
    assert not Complaint.objects.exists()


# --- queries --------------------------------------------------------------------------------------------
def test_the_page_runs_the_same_queries_for_a_short_story_and_a_long_one(login, supervisor, service_manager,
                                                                         complaint, django_assert_num_queries):
    client = login(supervisor)
    client.get(detail_url(complaint))
    with CaptureQueriesContext(connection) as short:
        assert client.get(detail_url(complaint)).status_code == 200
    walk(complaint, "satisfied", by=service_manager)
    for n in range(5):
        services.complaint_note(complaint=complaint, by=service_manager, note=f"备注 {n}", now=MONDAY_10 + timedelta(hours=9))
    write_analysis(complaint, by=service_manager, now=MONDAY_10 + timedelta(hours=9))
    analysis = CaseAnalysis.objects.get()
    for n in range(3):
        services.plan_add(analysis=analysis, action=f"计划 {n}", department="service", owner=service_manager,
                          due_on=date(2026, 12, 31), by=service_manager, now=MONDAY_10)
    for level in ("near", "passed"):
        Escalation.objects.create(complaint=complaint, deadline="solve", level=level, role="dcrc_supervisor",
                                  due_at=MONDAY_10, created_at=MONDAY_10, notify_at=MONDAY_10)
    # One more: the case analysis's plans (with their people) are read once an analysis exists.
    with django_assert_num_queries(len(short) + 1):
        assert client.get(detail_url(complaint)).status_code == 200


def test_the_case_analysis_form_opens_by_itself_once_the_customer_has_had_their_say(login, service_manager, complaint):
    client = login(service_manager)
    walk(complaint, "agreed", by=service_manager)
    assert '<details class="analysis-form">' in html(client.get(detail_url(complaint)))
    walk(stored(complaint), "satisfied", by=service_manager, start=MONDAY_10 + timedelta(hours=4))
    assert '<details class="analysis-form" open>' in html(client.get(detail_url(complaint)))
