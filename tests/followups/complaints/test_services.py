"""The complaint's workflow (followups/complaints/services.py): every move from every state, what
each move must be told, who may act, the deadlines on the store's clock, pausing, reopening,
reclassifying, and one complaint per escalated answer or problem.

The oracles are written out here, not read from the code: the workflow as issue 13 states it
(registered → first contact → investigating → (home visit) → solution agreed → solved → follow-up →
customer satisfied → closed; reopened from the solution on when the customer is not satisfied), the
shipped severities (一般 24/72, 严重 12/48, 重大 2/24 working hours), the store's hours 08:30–17:30,
and the State Council's 2026 holidays: 国庆 1–7 October off, Saturday 10 October worked (调休).
"""

import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from customers.models import TimelineEntry
from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Answer, Callback, ScriptResponse
from followups.complaints import services
from followups.complaints.models import CaseAnalysis, Complaint, ComplaintStep, ImprovementPlan, StoreDay
from followups.complaints.services import ComplaintError, PlanInput
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory
from tests.followups.complaints.conftest import NOTES, THURSDAY_10
from tests.followups.factories import raise_problem, script_version

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- the oracle: the workflow of the issue, by hand ------------------------------------------------
STATES = ["registered", "contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied",
          "closed"]
MOVES = ["contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied", "closed",
         "reopened"]
# Steps a complaint records that are not moves of its state (complaint_move refuses them).
NOT_MOVES = ["registered", "assigned", "reclassified", "paused", "resumed", "note"]
LATER = ["agreed", "solved", "followed_up", "satisfied", "closed"]  # reopened from these
ALLOWED = {
    ("registered", "contacted"): "contacted",
    ("contacted", "investigating"): "investigating",
    ("investigating", "visited"): "visited",
    ("investigating", "agreed"): "agreed",  # the home visit is optional
    ("visited", "agreed"): "agreed",
    ("agreed", "solved"): "solved",
    ("solved", "followed_up"): "followed_up",
    ("followed_up", "satisfied"): "satisfied",
    ("satisfied", "closed"): "closed",
    **{(state, "reopened"): "investigating" for state in LATER},
}
STATUS_ZH = {
    "registered": "已登记", "contacted": "已首次联系", "investigating": "调查中", "visited": "已上门拜访",
    "agreed": "方案已商定", "solved": "已解决", "followed_up": "已回访", "satisfied": "客户满意", "closed": "已结案",
}
ACTION_ZH = {
    "contacted": "首次联系", "investigating": "开始调查", "visited": "上门拜访", "agreed": "方案已商定",
    "solved": "已解决", "followed_up": "跟进回访", "satisfied": "客户确认满意", "closed": "结案",
    "reopened": "重新处理：客户不满意",
}
# The customer page's line for each move (the timeline entry's title, in the store's language).
TITLE_ZH = {
    "contacted": "投诉 {number}：已首次联系客户",
    "investigating": "投诉 {number}：开始调查",
    "visited": "投诉 {number}：上门拜访",
    "agreed": "投诉 {number}：与客户商定解决方案",
    "solved": "投诉 {number} 已解决",
    "followed_up": "投诉 {number}：回访客户",
    "satisfied": "投诉 {number}：客户确认满意",
    "closed": "投诉 {number} 已结案（附案例分析）",
    "reopened": "投诉 {number} 重新处理（第 2 轮）：客户不满意",
}
MOVE_AT = at(2026, 11, 27, 11, 0)  # Friday, after the walk (which ends by Thursday 18:00)


def test_the_oracle_names_every_state_and_every_step():
    assert sorted(STATES) == sorted(Complaint.Status.values)
    assert sorted(MOVES + NOT_MOVES) == sorted(ComplaintStep.Action.values)


@pytest.mark.parametrize("state", STATES)
def test_the_moves_offered_in_each_state_are_the_workflows(state, complaint, walk):
    complaint = walk(complaint, state)
    assert services.allowed_moves(complaint) == [move for move in MOVES if (state, move) in ALLOWED]


def _timeline(complaint) -> list[TimelineEntry]:
    entries = TimelineEntry.objects.filter(customer=complaint.customer, kind="complaint")
    return list(entries.order_by("occurred_at", "id"))


@pytest.mark.parametrize("action", MOVES + NOT_MOVES)
@pytest.mark.parametrize("state", STATES)
def test_every_move_from_every_state(state, action, complaint, walk, service_manager):
    complaint = walk(complaint, state)
    if state != "closed":  # closing needs the case analysis: here only the state may refuse it
        walk.write_analysis(complaint, by=service_manager, now=MOVE_AT - timedelta(minutes=30))
    steps, entries = complaint.steps.count(), len(_timeline(complaint))
    note = NOTES.get(action, "记录")

    if (state, action) not in ALLOWED:
        with pytest.raises(ComplaintError) as refused:
            services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note, now=MOVE_AT)
        if action in MOVES:
            assert str(refused.value) == f"投诉当前为“{STATUS_ZH[state]}”，不能记录“{ACTION_ZH[action]}”。"
        else:
            assert str(refused.value) == "未知的处理步骤。"
        stored = Complaint.objects.get(pk=complaint.pk)
        assert stored.status == state
        assert (stored.steps.count(), len(_timeline(stored))) == (steps, entries)
        return

    target = ALLOWED[state, action]
    moved = services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note, now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert moved.status == stored.status == target
    assert stored.steps.count() == steps + 1
    step = stored.steps.latest("at", "id")
    assert (step.action, step.from_status, step.to_status) == (action, state, target)
    assert (step.by, step.at, step.note) == (service_manager, MOVE_AT, note)
    timeline = _timeline(stored)
    assert len(timeline) == entries + 1
    entry = timeline[-1]
    assert (entry.occurred_at, entry.created_by, entry.vehicle) == (MOVE_AT, service_manager, stored.vehicle)
    assert entry.text.title == TITLE_ZH[action].format(number=f"TS{complaint.pk:06d}")
    assert entry.text.body == note


def test_the_customer_page_shows_each_step_of_a_complaint(login, supervisor, complaint, walk):
    walk(complaint, "closed")
    number = f"TS{complaint.pk:06d}"
    page = login(supervisor).get(f"/customers/{complaint.customer.pk}/").content.decode()
    for action in ["contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied", "closed"]:
        assert TITLE_ZH[action].format(number=number) in page
        assert NOTES[action] in page
    assert f"投诉 {number} 已分派给" not in page  # assigned at registration: that is in the registration's line


def test_registration_is_on_the_timeline_with_its_category_severity_and_department(register):
    complaint = register(category="waiting", description="等了三个小时没人理")
    entry = _timeline(complaint)[0]
    assert entry.text.title == f"投诉 TS{complaint.pk:06d} 已登记 · 等待时间，一般，涉及售后服务部"
    assert entry.text.body == "等了三个小时没人理"
    step = complaint.steps.get(action="registered")
    assert (step.to_status, step.note, step.at, step.by) == ("registered", "等了三个小时没人理", THURSDAY_10,
                                                             complaint.registered_by)


# --- what each move must be told -------------------------------------------------------------------
@pytest.mark.parametrize(("state", "action", "message"), [
    ("registered", "contacted", "请填写首次联系时说了什么（致歉内容）。"),
    ("investigating", "visited", "请填写上门拜访报告。"),
    ("investigating", "agreed", "请填写与客户商定的解决方案。"),
    ("agreed", "solved", "请填写处理结果。"),
    ("solved", "followed_up", "请填写回访时客户的反馈。"),
    ("closed", "reopened", "请填写客户不满意的地方。"),
])
@pytest.mark.parametrize("note", ["", "  \n "])
def test_a_move_without_its_words_is_refused(state, action, message, note, complaint, walk, service_manager):
    complaint = walk(complaint, state)
    steps = complaint.steps.count()
    with pytest.raises(ComplaintError, match=f"^{message}$"):
        services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note, now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.steps.count()) == (state, steps)


@pytest.mark.parametrize(("state", "action"), [("contacted", "investigating"), ("followed_up", "satisfied")])
def test_starting_the_investigation_and_the_customers_yes_need_no_words(state, action, complaint, walk,
                                                                        service_manager):
    complaint = walk(complaint, state)
    moved = services.complaint_move(complaint=complaint, action=action, by=service_manager, now=MOVE_AT)
    assert moved.status == ALLOWED[state, action]
    assert moved.steps.latest("at", "id").note == ""


def test_the_solution_and_its_cost_are_kept_with_the_complaint_and_the_step(complaint, walk, service_manager):
    complaint = walk(complaint, "visited")
    moved = services.complaint_move(complaint=complaint, action="agreed", by=service_manager,
                                    solution="  免费更换鼓风机，赠送一次保养  ", cost=Decimal("860.00"), now=MOVE_AT)
    stored = Complaint.objects.get(pk=moved.pk)
    assert (stored.solution, stored.cost) == ("免费更换鼓风机，赠送一次保养", Decimal("860.00"))
    step = stored.steps.latest("at", "id")
    assert (step.note, step.cost) == ("免费更换鼓风机，赠送一次保养", Decimal("860.00"))
    entry = _timeline(stored)[-1]
    assert (entry.text.body, entry.params["cost"]) == ("免费更换鼓风机，赠送一次保养", "860.00")


def test_a_cost_of_nothing_is_kept(complaint, walk, service_manager):
    complaint = walk(complaint, "investigating")
    moved = services.complaint_move(complaint=complaint, action="agreed", by=service_manager, note="致歉，客户接受",
                                    cost=Decimal("0"), now=MOVE_AT)
    assert Complaint.objects.get(pk=moved.pk).cost == Decimal("0")


def test_a_negative_cost_is_refused(complaint, walk, service_manager):
    complaint = walk(complaint, "visited")
    with pytest.raises(ComplaintError, match="^费用不能为负数。$"):
        services.complaint_move(complaint=complaint, action="agreed", by=service_manager, solution="退还工时费",
                                cost=Decimal("-0.01"), now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.solution, stored.cost) == ("visited", "", None)
    assert not stored.steps.filter(action="agreed").exists()


def test_the_first_contact_is_dated(complaint, walk):
    complaint = walk(complaint, "contacted")
    assert complaint.contacted_at == THURSDAY_10 + timedelta(hours=1)


def test_closing_without_the_case_analysis_is_refused(complaint, walk, service_manager):
    complaint = walk(complaint, "satisfied")
    with pytest.raises(ComplaintError, match="^结案前请先填写案例分析。$"):
        services.complaint_move(complaint=complaint, action="closed", by=service_manager, now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.closed_at) == ("satisfied", None)


def test_closing_dates_the_complaint(complaint, walk):
    complaint = walk(complaint, "closed")
    assert (complaint.satisfied_at, complaint.closed_at) == (THURSDAY_10 + timedelta(hours=7),
                                                             THURSDAY_10 + timedelta(hours=8))


# --- case analysis and improvement plans -----------------------------------------------------------
def _plan(owner, *, due_on=date(2026, 12, 31), action="每月培训服务顾问的沟通技巧", department="service"):
    return PlanInput(action=action, department=department, owner=owner, due_on=due_on)


def test_the_case_analysis_needs_an_improvement_plan(complaint, service_manager):
    with pytest.raises(ComplaintError, match="^请至少添加一项改进计划，并注明负责人和完成期限。$"):
        services.analysis_write(complaint=complaint, root_cause="communication", root_cause_text="未及时解释",
                                by=service_manager, now=MOVE_AT)
    assert not CaseAnalysis.objects.exists()


def test_the_case_analysis_and_its_plans_are_recorded(complaint, service_manager, sales_manager):
    analysis = services.analysis_write(
        complaint=complaint, root_cause="communication", root_cause_text="  未及时向客户解释维修项目 ",
        lesson="交车时逐项说明", shared=True, by=service_manager, now=MOVE_AT,
        plans=[_plan(service_manager), _plan(sales_manager, action="销售交车时讲解保养", department="sales")])
    analysis = CaseAnalysis.objects.get(pk=analysis.pk)
    assert (analysis.complaint, analysis.root_cause, analysis.root_cause_text, analysis.lesson, analysis.shared) == (
        complaint, "communication", "未及时向客户解释维修项目", "交车时逐项说明", True)
    assert (analysis.written_at, analysis.written_by) == (MOVE_AT, service_manager)
    assert list(analysis.plans.values_list("action", "department", "owner", "due_on", "done_at")) == [
        ("每月培训服务顾问的沟通技巧", "service", service_manager.pk, date(2026, 12, 31), None),
        ("销售交车时讲解保养", "sales", sales_manager.pk, date(2026, 12, 31), None)]


def test_the_case_analysis_may_be_corrected_until_the_complaint_closes(complaint, walk, service_manager):
    walk.write_analysis(complaint, by=service_manager, now=MOVE_AT)
    services.analysis_write(complaint=complaint, root_cause="process", root_cause_text="保养项目清单缺少鼓风机",
                            by=service_manager, now=MOVE_AT + timedelta(hours=1))
    analysis = CaseAnalysis.objects.get(complaint=complaint)
    assert (analysis.root_cause, analysis.root_cause_text, analysis.plans.count()) == ("process", "保养项目清单缺少鼓风机", 1)
    complaint = walk(complaint, "closed")  # which writes it once more before closing, with a second plan
    with pytest.raises(ComplaintError, match="^该投诉已结案，案例分析不能再修改。$"):
        services.analysis_write(complaint=complaint, root_cause="product", root_cause_text="改", by=service_manager,
                                now=MOVE_AT + timedelta(days=1), plans=[_plan(service_manager)])
    with pytest.raises(ComplaintError, match="^该投诉已结案，案例分析不能再修改。$"):
        services.plan_add(analysis=analysis, action="再加一项", department="service", owner=service_manager,
                          due_on=date(2026, 12, 31), by=service_manager, now=MOVE_AT + timedelta(days=1))
    analysis.refresh_from_db()
    assert (analysis.root_cause, analysis.root_cause_text, analysis.plans.count()) == ("skill", "技师未按规范检查鼓风机", 2)


@pytest.mark.parametrize(("root_cause", "text", "message"), [
    ("", "未及时解释", "请选择根本原因。"),
    ("weather", "未及时解释", "请选择根本原因。"),
    ("communication", "   ", "请填写问题出在哪里。"),
])
def test_the_case_analysis_needs_its_root_cause(root_cause, text, message, complaint, service_manager):
    with pytest.raises(ComplaintError, match=f"^{message}$"):
        services.analysis_write(complaint=complaint, root_cause=root_cause, root_cause_text=text,
                                by=service_manager, now=MOVE_AT, plans=[_plan(service_manager)])
    assert not CaseAnalysis.objects.exists()


@pytest.fixture
def analysis(complaint, walk, service_manager):
    return walk.write_analysis(complaint, by=service_manager, now=MOVE_AT)


@pytest.mark.parametrize(("change", "message"), [
    ({"action": "  "}, "请填写改进措施。"),
    ({"department": "marketing"}, "请选择改进措施所属部门。"),
    ({"owner": None}, "请选择改进措施的负责人。"),
    ({"due_on": None}, "请填写改进措施的完成期限。"),
    ({"due_on": date(2026, 11, 26)}, "完成期限不能早于今天。"),  # the day before MOVE_AT
])
def test_a_plan_without_what_who_or_a_due_date_to_come_is_refused(change, message, analysis, service_manager):
    fields = {"action": "服务顾问沟通培训", "department": "service", "owner": service_manager,
              "due_on": date(2026, 12, 31), **change}
    with pytest.raises(ComplaintError, match=f"^{message}$"):
        services.plan_add(analysis=analysis, by=service_manager, now=MOVE_AT, **fields)
    assert analysis.plans.count() == 1


def test_a_plan_due_today_is_accepted(analysis, service_manager):
    plan = services.plan_add(analysis=analysis, action="  今天就整改  ", department="parts", owner=service_manager,
                             due_on=date(2026, 11, 27), by=service_manager, now=MOVE_AT)
    assert (plan.action, plan.department, plan.due_on) == ("今天就整改", "parts", date(2026, 11, 27))


def test_a_plan_due_yesterday_is_refused_by_the_clock(analysis, service_manager):
    with time_machine.travel(at(2026, 12, 1, 0, 30), tick=False):  # just after midnight in the store
        with pytest.raises(ComplaintError, match="^完成期限不能早于今天。$"):
            services.plan_add(analysis=analysis, action="整改", department="service", owner=service_manager,
                              due_on=date(2026, 11, 30), by=service_manager)
        assert services.plan_add(analysis=analysis, action="整改", department="service", owner=service_manager,
                                 due_on=date(2026, 12, 1), by=service_manager).due_on == date(2026, 12, 1)


def test_a_plan_for_someone_who_left_is_refused(analysis, service_manager):
    gone = UserFactory(display_name="钱坤", roles=[Role.SERVICE_MANAGER], is_active=False)
    with pytest.raises(ComplaintError, match="^钱坤的账号已停用。$"):
        services.plan_add(analysis=analysis, action="整改", department="service", owner=gone,
                          due_on=date(2026, 12, 31), by=service_manager, now=MOVE_AT)


def test_only_who_acts_on_the_complaint_adds_a_plan(analysis, sales_manager, supervisor):
    with pytest.raises(PermissionDenied):
        services.plan_add(analysis=analysis, action="整改", department="sales", owner=sales_manager,
                          due_on=date(2026, 12, 31), by=sales_manager, now=MOVE_AT)
    services.plan_add(analysis=analysis, action="整改", department="sales", owner=sales_manager,
                      due_on=date(2026, 12, 31), by=supervisor, now=MOVE_AT)
    assert analysis.plans.count() == 2


def test_the_plans_owner_records_it_done(analysis, service_manager, sales_manager):
    plan = services.plan_add(analysis=analysis, action="销售交车讲解", department="sales", owner=sales_manager,
                             due_on=date(2026, 12, 31), by=service_manager, now=MOVE_AT)
    with pytest.raises(PermissionDenied):  # the complaint's owner is not the plan's
        services.plan_done(plan=plan, by=service_manager, note="已完成", now=MOVE_AT)
    with pytest.raises(ComplaintError, match="^请填写处理结果。$"):
        services.plan_done(plan=plan, by=sales_manager, note=" ", now=MOVE_AT)
    services.plan_done(plan=plan, by=sales_manager, note="  12月例会已讲解 ", now=MOVE_AT + timedelta(days=3))
    plan = ImprovementPlan.objects.get(pk=plan.pk)
    assert (plan.done_at, plan.done_by, plan.done_note) == (MOVE_AT + timedelta(days=3), sales_manager, "12月例会已讲解")
    with pytest.raises(ComplaintError, match="^该改进措施已记录为完成。$"):
        services.plan_done(plan=plan, by=sales_manager, note="再次", now=MOVE_AT + timedelta(days=4))
    assert ImprovementPlan.objects.get(pk=plan.pk).done_note == "12月例会已讲解"


def test_the_supervisor_records_any_plan_done_and_nobody_else(analysis, supervisor, agent, general_manager):
    plan = analysis.plans.get()
    for someone in (agent, general_manager):
        with pytest.raises(PermissionDenied):
            services.plan_done(plan=plan, by=someone, note="完成", now=MOVE_AT)
    services.plan_done(plan=plan, by=supervisor, note="已列入保养项目", now=MOVE_AT)
    assert ImprovementPlan.objects.get(pk=plan.pk).done_by == supervisor


# --- who may act -----------------------------------------------------------------------------------
def _every_act(complaint, by):
    """Each act on the complaint by `by`, as a callable (the case analysis too)."""
    return {
        "move": lambda: services.complaint_move(complaint=complaint, action="contacted", by=by, note="致歉",
                                                now=MOVE_AT),
        "note": lambda: services.complaint_note(complaint=complaint, by=by, note="客户来电询问", now=MOVE_AT),
        "analysis": lambda: services.analysis_write(complaint=complaint, root_cause="skill", root_cause_text="t",
                                                    by=by, now=MOVE_AT, plans=[_plan(by)]),
    }


@pytest.mark.parametrize("act", ["move", "note", "analysis"])
@pytest.mark.parametrize("who", ["sales_manager", "general_manager", "agent", "colleague"])
def test_nobody_but_the_owner_and_the_supervisor_acts(act, who, complaint, request):
    someone = request.getfixturevalue(who)
    steps = complaint.steps.count()
    with pytest.raises(PermissionDenied):
        _every_act(complaint, someone)[act]()
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.steps.count(), CaseAnalysis.objects.count()) == ("registered", steps, 0)


def _acted_by(complaint, act: str):
    if act == "analysis":
        return CaseAnalysis.objects.get(complaint=complaint).written_by
    return complaint.steps.latest("at", "id").by


@pytest.mark.parametrize("act", ["move", "note", "analysis"])
def test_the_owner_acts(act, complaint, service_manager):
    _every_act(complaint, service_manager)[act]()
    assert _acted_by(complaint, act) == service_manager


@pytest.mark.parametrize("act", ["move", "note", "analysis"])
def test_the_supervisor_acts_on_every_complaint(act, register, supervisor):
    unassigned = register(owner=None)
    _every_act(unassigned, supervisor)[act]()
    assert _acted_by(unassigned, act) == supervisor


def test_pausing_and_resuming_are_the_owners_and_the_supervisors(complaint, walk, sales_manager, supervisor):
    complaint = walk(complaint, "contacted")
    with pytest.raises(PermissionDenied):
        services.complaint_pause(complaint=complaint, by=sales_manager, note="等客户发票", now=MOVE_AT)
    services.complaint_pause(complaint=complaint, by=supervisor, note="等客户发票", now=MOVE_AT)
    with pytest.raises(PermissionDenied):
        services.complaint_resume(complaint=complaint, by=sales_manager, now=MOVE_AT + timedelta(hours=1))
    assert Complaint.objects.get(pk=complaint.pk).paused_at == MOVE_AT


def test_an_owner_whose_role_no_longer_handles_complaints_may_not_act(complaint, service_manager):
    service_manager.groups.clear()
    service_manager = type(service_manager).objects.get(pk=service_manager.pk)  # no cached permissions
    with pytest.raises(PermissionDenied):
        services.complaint_move(complaint=complaint, action="contacted", by=service_manager, note="致歉", now=MOVE_AT)


def test_the_supervisor_assigns_to_a_manager(register, supervisor, sales_manager):
    complaint = register(owner=None)
    services.complaint_assign(complaint=complaint, owner=sales_manager, by=supervisor, note="涉及销售承诺",
                              now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.owner == sales_manager
    step = stored.steps.latest("at", "id")
    assert (step.action, step.by, step.at, step.note, step.params) == (
        "assigned", supervisor, MOVE_AT, "涉及销售承诺", {"owner": sales_manager.pk, "owner_name": "孙伟"})
    assert _timeline(stored)[-1].text.title == f"投诉 TS{complaint.pk:06d} 已分派给孙伟"
    # and the new owner acts, the old one (none here) does not
    services.complaint_move(complaint=stored, action="contacted", by=sales_manager, note="致歉", now=MOVE_AT)


def test_a_reassigned_complaint_is_no_longer_the_first_owners(complaint, supervisor, sales_manager, service_manager):
    services.complaint_assign(complaint=complaint, owner=sales_manager, by=supervisor, now=MOVE_AT)
    with pytest.raises(PermissionDenied):
        services.complaint_move(complaint=complaint, action="contacted", by=service_manager, note="致歉", now=MOVE_AT)


@pytest.mark.parametrize("who", ["service_manager", "sales_manager", "general_manager", "agent"])
def test_only_the_supervisor_assigns(who, register, request, sales_manager):
    complaint = register(owner=None)
    with pytest.raises(PermissionDenied):
        services.complaint_assign(complaint=complaint, owner=sales_manager, by=request.getfixturevalue(who),
                                  now=MOVE_AT)
    assert Complaint.objects.get(pk=complaint.pk).owner is None


def test_a_complaint_is_assigned_only_to_someone_who_handles_complaints(register, supervisor, agent):
    complaint = register(owner=None)
    gone = UserFactory(display_name="钱坤", roles=[Role.SERVICE_MANAGER], is_active=False)
    for nobody, name in ((agent, "李娜"), (gone, "钱坤")):
        with pytest.raises(ComplaintError, match=f"^{name} 无权处理投诉。$"):
            services.complaint_assign(complaint=complaint, owner=nobody, by=supervisor, now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.owner, stored.steps.filter(action="assigned").count()) == (None, 0)


def test_assigning_to_the_owner_again_or_a_closed_complaint_is_refused(complaint, walk, supervisor, service_manager,
                                                                       sales_manager):
    with pytest.raises(ComplaintError, match="^该投诉已由赵强处理。$"):
        services.complaint_assign(complaint=complaint, owner=service_manager, by=supervisor, now=MOVE_AT)
    complaint = walk(complaint, "closed")
    with pytest.raises(ComplaintError, match="^该投诉已结案。$"):
        services.complaint_assign(complaint=complaint, owner=sales_manager, by=supervisor, now=MOVE_AT)
    assert Complaint.objects.get(pk=complaint.pk).owner == service_manager


def test_a_complaint_registered_for_someone_who_cannot_handle_it_is_refused(register, agent):
    with pytest.raises(ComplaintError, match="^李娜 无权处理投诉。$"):
        register(owner=agent)
    assert not Complaint.objects.exists()


def test_the_permission_predicates_follow_the_roles(complaint, service_manager, sales_manager, supervisor, agent,
                                                    general_manager, colleague):
    assert [services.can_act(user, complaint) for user in (service_manager, supervisor, sales_manager,
                                                          general_manager, agent)] == [True, True, False, False, False]
    assert [services.can_supervise(user) for user in (supervisor, general_manager, service_manager)] == [
        True, False, False]
    assert [services.can_register(user) for user in (agent, colleague, service_manager, supervisor)] == [
        True, True, True, True]
    assert [services.manager_role(d) for d in ("sales", "service", "parts", "finance", "other")] == [
        Role.SALES_MANAGER, Role.SERVICE_MANAGER, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.DCRC_SUPERVISOR]


# --- deadlines on the store's clock ----------------------------------------------------------------
def test_a_major_complaint_on_friday_afternoon_is_due_for_contact_on_monday_morning(register, severities):
    # Friday 27 November 16:30: one working hour that day, the next on Monday 30 at 08:30.
    complaint = register(severity=severities["major"], now=at(2026, 11, 27, 16, 30))
    assert complaint.contact_due_at == at(2026, 11, 30, 9, 30)
    # 24 h: Friday 1 + Monday 9 + Tuesday 9 + Wednesday 5.
    assert complaint.solve_due_at == at(2026, 12, 2, 13, 30)


def test_a_general_complaint_before_national_day_is_due_on_the_make_up_saturday(register):
    # Wednesday 30 September 16:00: 1.5 h that day; 1–7 October off; Thursday 8 and Friday 9 (18 h);
    # Saturday 10 October is a working day (调休): the last 4.5 h end at 13:00.
    complaint = register(now=at(2026, 9, 30, 16, 0))
    assert complaint.contact_due_at == at(2026, 10, 10, 13, 0)
    # 72 h: 1.5 + 8, 9, 10 October (27) + Sunday 11 off + 12–15 October (36) = 64.5; 7.5 h on Friday 16.
    assert complaint.solve_due_at == at(2026, 10, 16, 16, 0)


def test_a_serious_complaint_registered_in_the_holiday_counts_from_the_first_working_morning(register, severities):
    complaint = register(severity=severities["serious"], now=at(2026, 10, 3, 11, 0))  # Saturday, 国庆
    assert complaint.contact_due_at == at(2026, 10, 9, 11, 30)  # Thursday 8: 9 h, Friday 9: 3 h
    # 48 h: 8, 9, 10 October (27), Monday 12 and Tuesday 13 (18), 3 h on Wednesday 14.
    assert complaint.solve_due_at == at(2026, 10, 14, 11, 30)


def test_a_major_complaint_on_the_friday_before_the_make_up_saturday_is_due_that_saturday(register, severities):
    complaint = register(severity=severities["major"], now=at(2026, 10, 9, 16, 30))
    assert complaint.contact_due_at == at(2026, 10, 10, 9, 30)
    # 24 h: Friday 1 + Saturday 9 + (Sunday off) Monday 9 + Tuesday 5.
    assert complaint.solve_due_at == at(2026, 10, 13, 13, 30)


def test_a_complaint_at_night_counts_from_the_next_opening(register):
    complaint = register(now=at(2026, 11, 30, 7, 0))  # Monday before opening
    assert complaint.contact_due_at == at(2026, 12, 2, 14, 30)  # Monday 9 + Tuesday 9 + Wednesday 6


def test_a_calendar_clock_counts_nights_and_holidays(register, calendar_severity):
    complaint = register(severity=calendar_severity, now=at(2026, 9, 30, 16, 0))
    assert complaint.contact_due_at == at(2026, 9, 30, 18, 0)
    assert complaint.solve_due_at == at(2026, 10, 10, 16, 0)  # ten days of 24 hours


def test_a_day_the_store_closes_itself_is_skipped(register, severities):
    StoreDay.objects.create(day=date(2026, 11, 30), is_workday=False, note="盘点停业")
    complaint = register(severity=severities["major"], now=at(2026, 11, 27, 16, 30))
    assert complaint.contact_due_at == at(2026, 12, 1, 9, 30)


def test_a_sunday_the_store_opens_counts(register, severities):
    StoreDay.objects.create(day=date(2026, 11, 29), is_workday=True, note="车展加班")
    complaint = register(severity=severities["major"], now=at(2026, 11, 27, 16, 30))
    assert complaint.contact_due_at == at(2026, 11, 29, 9, 30)


def test_a_complaint_registered_without_a_time_is_dated_now(register):
    with time_machine.travel(at(2026, 11, 27, 16, 30), tick=False):
        complaint = register(now=None)
    assert complaint.registered_at == at(2026, 11, 27, 16, 30)
    assert complaint.contact_due_at == at(2026, 12, 2, 13, 30)  # 24 h: Friday 1 + Monday 9 + Tuesday 9 + Wednesday 5


# --- pausing while the store waits for the customer --------------------------------------------------
# Registered on Thursday 26 November at 10:00, general: solved within 72 working hours, by Tuesday
# 8 December at 10:00 (Thursday 7.5 h, then seven full days to Monday 7, 1.5 h on Tuesday 8).
SOLVE_DUE = at(2026, 12, 8, 10, 0)
FRIDAY_16 = at(2026, 11, 27, 16, 0)
MONDAY_10 = at(2026, 11, 30, 10, 0)


def test_the_solution_deadline_is_the_oracles(complaint):
    assert complaint.solve_due_at == SOLVE_DUE
    assert complaint.contact_due_at == at(2026, 11, 30, 16, 0)  # Thursday 7.5 + Friday 9 + Monday 7.5


def test_a_pause_over_the_weekend_moves_the_deadline_by_the_working_hours_in_between(complaint, walk,
                                                                                    service_manager):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="  等客户提供行车记录仪视频 ", now=FRIDAY_16)
    paused = Complaint.objects.get(pk=complaint.pk)
    assert (paused.paused_at, paused.solve_due_at) == (FRIDAY_16, SOLVE_DUE)
    step = paused.steps.latest("at", "id")
    assert (step.action, step.by, step.at, step.note) == ("paused", service_manager, FRIDAY_16, "等客户提供行车记录仪视频")

    services.complaint_resume(complaint=complaint, by=service_manager, note="视频已收到", now=MONDAY_10)
    resumed = Complaint.objects.get(pk=complaint.pk)
    # Friday 16:00–17:30 and Monday 08:30–10:00: 3 working hours.
    assert (resumed.paused_at, resumed.solve_due_at) == (None, at(2026, 12, 8, 13, 0))
    step = resumed.steps.latest("at", "id")
    assert (step.action, step.at, step.note, step.params) == ("resumed", MONDAY_10, "视频已收到",
                                                              {"paused_seconds": 3 * 3600})
    assert resumed.status == "contacted"


def test_a_pause_on_the_calendar_clock_moves_the_deadline_by_every_hour(register, walk, calendar_severity,
                                                                       service_manager):
    complaint = register(severity=calendar_severity)
    assert complaint.solve_due_at == at(2026, 12, 6, 10, 0)  # 240 h after Thursday 10:00
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户发票", now=FRIDAY_16)
    services.complaint_resume(complaint=complaint, by=service_manager, now=MONDAY_10)
    resumed = Complaint.objects.get(pk=complaint.pk)
    assert resumed.solve_due_at == at(2026, 12, 9, 4, 0)  # + 66 h (2 days and 18 hours)
    assert resumed.steps.latest("at", "id").params == {"paused_seconds": 66 * 3600}


def test_a_pause_out_of_hours_moves_nothing_on_the_working_clock(complaint, walk, service_manager):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户回电", now=at(2026, 11, 27, 18, 0))
    services.complaint_resume(complaint=complaint, by=service_manager, now=at(2026, 11, 30, 8, 0))
    assert Complaint.objects.get(pk=complaint.pk).solve_due_at == SOLVE_DUE


def test_a_move_while_paused_resumes_the_clock_first(complaint, walk, service_manager):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户提供发票", now=FRIDAY_16)
    services.complaint_move(complaint=complaint, action="investigating", by=service_manager, now=MONDAY_10)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.paused_at, stored.solve_due_at) == ("investigating", None, at(2026, 12, 8, 13, 0))
    assert list(stored.steps.order_by("at", "id").values_list("action", "by", "at"))[-3:] == [
        ("paused", service_manager.pk, FRIDAY_16), ("resumed", service_manager.pk, MONDAY_10),
        ("investigating", service_manager.pk, MONDAY_10)]


def test_two_pauses_add_up(complaint, walk, service_manager):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等发票", now=FRIDAY_16)
    services.complaint_resume(complaint=complaint, by=service_manager, now=MONDAY_10)  # 3 h
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户来店", now=at(2026, 11, 30, 14, 0))
    services.complaint_resume(complaint=complaint, by=service_manager, now=at(2026, 12, 1, 9, 30))  # 3.5 + 1 h
    assert Complaint.objects.get(pk=complaint.pk).solve_due_at == at(2026, 12, 8, 17, 30)  # 10:00 + 7.5 h


@pytest.mark.parametrize("state", ["contacted", "investigating", "visited", "agreed"])
def test_the_clock_pauses_after_the_first_contact_and_before_the_solution(state, complaint, walk, service_manager):
    complaint = walk(complaint, state)
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户", now=MOVE_AT)
    assert Complaint.objects.get(pk=complaint.pk).paused_at == MOVE_AT


@pytest.mark.parametrize("state", ["registered", "solved", "followed_up", "satisfied", "closed"])
def test_the_clock_does_not_pause_before_the_first_contact_or_after_the_solution(state, complaint, walk,
                                                                                 service_manager):
    complaint = walk(complaint, state)
    steps = complaint.steps.count()
    with pytest.raises(ComplaintError, match="^只有在首次联系之后、问题解决之前才能暂停计时。$"):
        services.complaint_pause(complaint=complaint, by=service_manager, note="等客户", now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.paused_at, stored.steps.count()) == (None, steps)


def test_a_pause_twice_a_resume_unpaused_and_a_pause_without_reason_are_refused(complaint, walk, service_manager):
    complaint = walk(complaint, "investigating")
    with pytest.raises(ComplaintError, match="^计时未暂停。$"):
        services.complaint_resume(complaint=complaint, by=service_manager, now=MOVE_AT)
    with pytest.raises(ComplaintError, match="^请填写正在等待客户提供什么。$"):
        services.complaint_pause(complaint=complaint, by=service_manager, note=" ", now=MOVE_AT)
    services.complaint_pause(complaint=complaint, by=service_manager, note="等客户", now=MOVE_AT)
    with pytest.raises(ComplaintError, match="^计时已暂停。$"):
        services.complaint_pause(complaint=complaint, by=service_manager, note="又等", now=MOVE_AT + timedelta(hours=1))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.paused_at == MOVE_AT
    assert list(stored.steps.filter(action__in=["paused", "resumed"]).values_list("action", flat=True)) == ["paused"]


# --- reopening and the follow-up -------------------------------------------------------------------
def test_solving_sets_the_follow_up_seven_days_later(complaint, walk):
    complaint = walk(complaint, "solved")
    solved_at = THURSDAY_10 + timedelta(hours=5)  # Thursday 15:00
    assert (complaint.solved_at, complaint.follow_up_due_at) == (solved_at, at(2026, 12, 3, 15, 0))


@pytest.mark.parametrize("state", LATER)
def test_reopening_starts_a_new_round_with_a_new_solution_deadline(state, complaint, walk, service_manager):
    complaint = walk(complaint, state)
    contact_due = complaint.contact_due_at
    services.complaint_move(complaint=complaint, action="reopened", by=service_manager, note="客户称异响又出现",
                            now=MONDAY_10)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.round) == ("investigating", 2)
    # 72 working hours from Monday 30 November 10:00: 7.5 + seven full days to Wednesday 9, 1.5 h on Thursday 10.
    assert stored.solve_due_at == at(2026, 12, 10, 10, 0)
    assert stored.contact_due_at == contact_due
    assert (stored.solved_at, stored.follow_up_due_at, stored.satisfied_at, stored.closed_at) == (None, None, None,
                                                                                                 None)
    assert _timeline(stored)[-1].params["round"] == 2


def test_a_reopened_complaint_goes_round_again_and_closes_on_its_analysis(complaint, walk, service_manager):
    complaint = walk(complaint, "closed")
    services.complaint_move(complaint=complaint, action="reopened", by=service_manager, note="异响又出现",
                            now=MONDAY_10)
    # The second round: investigating → agreed → solved → followed up → satisfied → closed.
    for hour, (action, note) in enumerate([("agreed", "更换总成"), ("solved", "已更换"), ("followed_up", "无异响"),
                                           ("satisfied", ""), ("closed", "")], start=1):
        complaint = services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note,
                                            now=MONDAY_10 + timedelta(hours=hour))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.round, stored.closed_at) == ("closed", 2, MONDAY_10 + timedelta(hours=5))
    assert stored.follow_up_due_at == at(2026, 12, 7, 12, 0)  # solved Monday 12:00, seven days later
    services.complaint_move(complaint=stored, action="reopened", by=service_manager, note="第三次",
                            now=MONDAY_10 + timedelta(days=1))
    assert Complaint.objects.get(pk=complaint.pk).round == 3


# --- reclassifying -----------------------------------------------------------------------------------
def test_reclassifying_computes_the_deadlines_again_on_the_new_severity(complaint, supervisor, severities):
    services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor,
                                  note="  客户要向媒体曝光 ", now=THURSDAY_10 + timedelta(minutes=30))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.severity.code, stored.contact_due_at) == ("major", at(2026, 11, 26, 12, 0))
    assert stored.solve_due_at == at(2026, 11, 30, 16, 0)  # Thursday 7.5 + Friday 9 + Monday 7.5
    step = stored.steps.latest("at", "id")
    assert (step.action, step.by, step.note, step.params) == ("reclassified", supervisor, "客户要向媒体曝光",
                                                              {"from": "general", "to": "major"})


def test_reclassifying_onto_the_calendar_clock(complaint, supervisor, calendar_severity):
    services.complaint_reclassify(complaint=complaint, severity=calendar_severity, by=supervisor, note="VIP客户",
                                  now=THURSDAY_10 + timedelta(minutes=30))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.contact_due_at, stored.solve_due_at) == (at(2026, 11, 26, 12, 0), at(2026, 12, 6, 10, 0))


def test_reclassifying_after_a_pause_adds_the_pause_back(complaint, walk, service_manager, supervisor, severities):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等发票", now=FRIDAY_16)
    services.complaint_resume(complaint=complaint, by=service_manager, now=MONDAY_10)
    services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor, note="升级",
                                  now=at(2026, 11, 30, 11, 0))
    # 24 h from Thursday 10:00 is Monday 16:00, and the pause's 3 h: Monday 1.5 + Tuesday 1.5.
    assert Complaint.objects.get(pk=complaint.pk).solve_due_at == at(2026, 12, 1, 10, 0)


def test_reclassifying_while_paused_counts_the_pause_once(complaint, walk, service_manager, supervisor, severities):
    complaint = walk(complaint, "contacted")
    services.complaint_pause(complaint=complaint, by=service_manager, note="等发票", now=FRIDAY_16)
    services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor, note="升级",
                                  now=at(2026, 11, 30, 9, 0))
    assert Complaint.objects.get(pk=complaint.pk).solve_due_at == at(2026, 11, 30, 16, 0)  # the pause still runs
    services.complaint_resume(complaint=complaint, by=service_manager, now=MONDAY_10)
    assert Complaint.objects.get(pk=complaint.pk).solve_due_at == at(2026, 12, 1, 10, 0)  # as after the pause


def test_reclassifying_in_a_later_round_counts_from_the_reopening(complaint, walk, service_manager, supervisor,
                                                                   severities):
    complaint = walk(complaint, "solved")
    services.complaint_move(complaint=complaint, action="reopened", by=service_manager, note="又坏了", now=MONDAY_10)
    services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor, note="升级",
                                  now=at(2026, 11, 30, 11, 0))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.solve_due_at == at(2026, 12, 2, 16, 0)  # 24 h from Monday 10:00: 7.5 + 9 + 7.5
    assert stored.contact_due_at == at(2026, 11, 26, 12, 0)  # the first contact is the first round's


def test_reclassifying_is_the_supervisors_and_needs_a_new_severity_and_a_reason(complaint, walk, supervisor,
                                                                                 service_manager, severities):
    with pytest.raises(PermissionDenied):
        services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=service_manager,
                                      note="升级", now=MOVE_AT)
    with pytest.raises(ComplaintError, match="^该投诉已是此级别。$"):
        services.complaint_reclassify(complaint=complaint, severity=severities["general"], by=supervisor,
                                      note="升级", now=MOVE_AT)
    with pytest.raises(ComplaintError, match="^请填写调整级别的原因。$"):
        services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor, note=" ",
                                      now=MOVE_AT)
    severities["serious"].active = False
    severities["serious"].save()
    with pytest.raises(ComplaintError, match="^该投诉级别已停用。$"):
        services.complaint_reclassify(complaint=complaint, severity=severities["serious"], by=supervisor,
                                      note="升级", now=MOVE_AT)
    complaint = walk(complaint, "closed")
    with pytest.raises(ComplaintError, match="^该投诉已结案。$"):
        services.complaint_reclassify(complaint=complaint, severity=severities["major"], by=supervisor,
                                      note="升级", now=MOVE_AT)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.severity.code, stored.solve_due_at) == ("general", SOLVE_DUE)
    assert not stored.steps.filter(action="reclassified").exists()


# --- registering: its checks, one complaint per answer and per problem --------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"channel": "fax"}, "请选择投诉来源渠道。"),
    ({"category": "noise"}, "请选择投诉类别。"),
    ({"department": "marketing"}, "请选择被投诉的部门。"),
    ({"description": "  "}, "请填写客户投诉的内容。"),
])
def test_a_registration_without_what_the_complaint_is_is_refused(change, message, register):
    with pytest.raises(ComplaintError, match=f"^{message}$"):
        register(**change)
    assert not Complaint.objects.exists()
    assert not TimelineEntry.objects.filter(kind="complaint").exists()


def test_a_vehicle_of_another_customer_is_refused(register):
    other = make_vehicle(CustomerFactory(name="周敏"), serial=900_001)
    with pytest.raises(ComplaintError, match="^该车辆不属于此客户。$"):
        register(vehicle=other)


def test_a_severity_out_of_use_is_refused_and_none_in_use_is_said(register, severities):
    severities["major"].active = False
    severities["major"].save()
    with pytest.raises(ComplaintError, match="^该投诉级别已停用。$"):
        register(severity=severities["major"])
    type(severities["major"]).objects.update(active=False)
    with pytest.raises(ComplaintError, match="^没有启用的投诉级别：请先由主管设置。$"):
        register(severity=None)


def test_without_a_severity_the_lowest_in_use_is_taken(register):
    assert register(severity=None).severity.code == "general"


def test_a_registration_records_its_step_and_its_owners(register, agent, service_manager):
    complaint = register(person_concerned="  服务顾问小张 ")
    assert (complaint.status, complaint.round, complaint.person_concerned) == ("registered", 1, "服务顾问小张")
    assert (complaint.registered_by, complaint.registered_at, complaint.owner) == (agent, THURSDAY_10, service_manager)
    assert list(complaint.steps.values_list("action", "by", "params")) == [
        ("registered", agent.pk, {"channel": "phone", "severity": "general"}),
        ("assigned", agent.pk, {"owner": service_manager.pk, "owner_name": "赵强"})]


def _answer(customer, *, kind="csi", vehicle=None, problem=None) -> Answer:
    """A low score given in a callback of `kind` (made directly: the callback centre has its own tests)."""
    from followups.scripts.models import Question

    callback = Callback.objects.create(customer=customer, kind=kind, source_key=f"test:{kind}:{customer.pk}",
                                       due_at=THURSDAY_10, created_on=THURSDAY_10.date(), vehicle=vehicle,
                                       problem=problem)
    version = script_version("csi" if kind == "csi" else "ssi")
    question, _created = Question.objects.get_or_create(version=version, position=1,
                                                        defaults={"text": "您对本次服务满意吗？", "kind": "score"})
    response = ScriptResponse.objects.create(callback=callback, version=version, answered_at=THURSDAY_10)
    return Answer.objects.create(response=response, question=question, score=3, dissatisfied=True)


def test_a_second_escalation_of_the_same_answer_returns_the_same_complaint(agent, severities):
    customer = CustomerFactory(name="王晓")
    answer = _answer(customer)
    first = services.complaint_from_callback(customer=customer, description="只给3分", by=agent, answer=answer,
                                             now=THURSDAY_10)
    severities["general"].active = False  # even once its severity is out of use
    severities["general"].save()
    second = services.complaint_from_callback(customer=customer, description="再点一次", by=agent, answer=answer,
                                              callback=answer.response.callback, now=THURSDAY_10 + timedelta(minutes=1))
    assert second.pk == first.pk
    assert Complaint.objects.count() == 1
    assert list(first.steps.values_list("action", flat=True)) == ["registered"]
    assert TimelineEntry.objects.filter(kind="complaint").count() == 1
    assert Complaint.objects.get().description == "只给3分"


def test_a_second_escalation_of_the_same_problem_returns_the_same_complaint(agent, service_manager):
    problem = raise_problem(by=agent, category="staff", department="parts", description="配件员态度恶劣")
    first = services.complaint_from_problem(problem=problem, by=service_manager, now=THURSDAY_10)
    second = services.complaint_from_problem(problem=problem, by=service_manager, now=THURSDAY_10)
    assert second.pk == first.pk
    assert (first.category, first.department, first.description, first.problem) == (
        "attitude", "parts", "配件员态度恶劣", problem)
    assert Complaint.objects.count() == 1


def test_the_answer_of_another_customer_is_refused(agent):
    answer = _answer(CustomerFactory(name="周敏"))
    with pytest.raises(ComplaintError, match="^该答案不是此客户回访中的答案。$"):
        services.complaint_from_callback(customer=CustomerFactory(name="王晓"), description="只给3分", by=agent,
                                         answer=answer, callback=None, now=THURSDAY_10)


def test_a_callback_or_problem_of_another_customer_is_refused(register, agent):
    other = CustomerFactory(name="周敏")
    answer = _answer(other)
    with pytest.raises(ComplaintError, match="^该回访不属于此客户。$"):
        register(callback=answer.response.callback)
    with pytest.raises(ComplaintError, match="^该反馈问题不属于此客户。$"):
        register(problem=raise_problem(by=agent, customer=other))
    assert not Complaint.objects.exists()


def test_an_answer_from_another_callback_of_the_same_customer_is_refused(agent):
    customer = CustomerFactory(name="王晓")
    answer = _answer(customer, kind="csi")
    other = Callback.objects.create(customer=customer, kind="ssi", source_key="test:other", due_at=THURSDAY_10,
                                    created_on=THURSDAY_10.date())
    with pytest.raises(ComplaintError, match="^该答案不是此客户回访中的答案。$"):
        services.complaint_from_callback(customer=customer, description="只给3分", by=agent, answer=answer,
                                         callback=other, now=THURSDAY_10)


@pytest.mark.parametrize(("kind", "department", "category"), [
    ("thank_you", "sales", "promise"),
    ("ssi", "sales", "promise"),
    ("csi", "service", "repair"),
    ("requested", "service", "service"),
])
def test_a_complaint_from_a_callback_goes_to_the_department_the_call_was_about(kind, department, category, agent):
    customer = CustomerFactory(name="王晓")
    vehicle = make_vehicle(customer, serial=900_002)
    answer = _answer(customer, kind=kind, vehicle=vehicle)
    complaint = services.complaint_from_callback(customer=customer, description="只给3分", by=agent, answer=answer,
                                                 now=THURSDAY_10)
    assert (complaint.department, complaint.category) == (department, category)
    assert (complaint.channel, complaint.owner, complaint.severity.code, complaint.status) == (
        "callback", None, "general", "registered")
    assert (complaint.callback, complaint.answer, complaint.vehicle) == (answer.response.callback, answer, vehicle)


def test_a_complaint_from_a_second_callback_keeps_the_problems_department_and_category(agent):
    customer = CustomerFactory(name="王晓")
    problem = raise_problem(by=agent, customer=customer, category="waiting", department="parts",
                            description="等配件两周")
    answer = _answer(customer, kind="second", problem=problem)
    complaint = services.complaint_from_callback(customer=customer, description="还是没解决", by=agent, answer=answer,
                                                 now=THURSDAY_10)
    assert (complaint.department, complaint.category) == ("parts", "waiting")


def test_a_complaint_without_a_callback_is_after_sales_service_quality(agent):
    complaint = services.complaint_from_callback(customer=CustomerFactory(), description="电话里说要投诉", by=agent,
                                                 now=THURSDAY_10)
    assert (complaint.department, complaint.category, complaint.callback) == ("service", "service", None)


def test_the_callback_centres_escalation_opens_a_complaint(agent):
    from followups.callbacks.services.problems import complaint_open

    customer = CustomerFactory(name="王晓")
    answer = _answer(customer, kind="ssi")
    complaint = complaint_open(customer=customer, description="销售承诺的装饰没装", by=agent,
                               callback=answer.response.callback, answer=answer, now=THURSDAY_10)
    assert isinstance(complaint, Complaint)
    assert (complaint.department, complaint.category) == ("sales", "promise")


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", ["answer", "problem"])
def test_two_escalations_of_the_same_source_at_once_make_one_complaint(source, agent, service_manager):
    """The second registration starts while the first's row is written but not committed: it finds no
    complaint, waits on the one-per-answer (or one-per-problem) index, gets the IntegrityError once
    the first commits, and returns the first's complaint."""
    customer = CustomerFactory(name="王晓")
    if source == "answer":
        answer = _answer(customer)

        def escalate(by):
            return services.complaint_from_callback(customer=customer, description="只给3分", by=by, answer=answer,
                                                    now=THURSDAY_10)
    else:
        problem = raise_problem(by=agent, customer=customer, description="机油味")

        def escalate(by):
            return services.complaint_from_problem(problem=problem, by=by, now=THURSDAY_10)

    written, commit = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = escalate(agent)
                written.set()
                commit.wait(20)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            written.set()
            connection.close()

    def second():
        try:
            results["second"] = escalate(service_manager)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert written.wait(20)
    threads[1].start()
    deadline = time.monotonic() + 20
    while _lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    waited = _lock_waiters() > 0
    commit.set()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert waited  # the second did reach the insert and wait on the first's row
    assert results["first"].pk == results["second"].pk
    assert Complaint.objects.count() == 1
    assert list(ComplaintStep.objects.values_list("action", "by")) == [("registered", agent.pk)]
    assert TimelineEntry.objects.filter(kind="complaint").count() == 1
