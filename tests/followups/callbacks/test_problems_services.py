"""Problems (反馈问题): each step, who may take it, and the loop until the customer is satisfied."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils import translation

from customers.models import TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback, CallbackKind, CallbackRule, Problem, ProblemStep
from followups.callbacks.services import problems as services
from followups.callbacks.services.problems import ProblemError
from tests.followups.factories import CustomerFactory, make_vehicle, manager, raise_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def second_callback_rule(db):
    """The rule of the default rules' migration (due the next day, open until day 7, priority 30),
    written here too: a test on a flushed database (transactional tests empty the tables) still has it."""
    rule, _created = CallbackRule.objects.update_or_create(
        kind=CallbackKind.SECOND, visit_kind="",
        defaults={"due_days": [1], "expires_after_days": 7, "priority": 30, "enabled": True})
    return rule


@pytest.fixture
def problem(agent):
    customer = CustomerFactory(name="王先生")
    return raise_problem(by=agent, customer=customer, vehicle=make_vehicle(customer, serial=11), now=MONDAY_10)


def steps(problem) -> list[str]:
    return list(ProblemStep.objects.filter(problem=problem).order_by("at", "id").values_list("action", flat=True))


def timeline_titles(customer, language: str) -> list[str]:
    with translation.override(language):
        return [entry_text(kind=e.kind, params=e.params, title=e.title, body=e.body).title
                for e in TimelineEntry.objects.filter(customer=customer, kind="problem").order_by("occurred_at", "id")]


def second_callback(problem) -> Callback:
    return Callback.objects.get(problem=problem, source_key=f"problem:{problem.pk}:{problem.round}")


# --- raising ------------------------------------------------------------------------------------
def test_a_raised_problem_is_open_for_its_department_with_a_deadline_48_hours_on(problem, agent):
    assert problem.status == Problem.Status.OPEN
    assert problem.deadline_at == MONDAY_10 + timedelta(hours=48)
    assert problem.round == 1 and problem.raised_by == agent and not problem.is_complaint
    assert steps(problem) == ["raised"]


def test_the_deadline_follows_the_setting(agent, settings):
    settings.PROBLEM_DEADLINE_HOURS = 24
    problem = raise_problem(by=agent, now=MONDAY_10)
    assert problem.deadline_at == MONDAY_10 + timedelta(hours=24)


def test_it_refuses_a_problem_without_the_customers_words(agent):
    with pytest.raises(ProblemError, match="请填写客户反馈的内容"):
        raise_problem(by=agent, description="   ")
    assert not Problem.objects.exists()


def test_it_refuses_a_vehicle_of_another_customer(agent):
    other = CustomerFactory()
    with pytest.raises(ProblemError):
        raise_problem(by=agent, vehicle=make_vehicle(other, serial=12))


def test_complaint_open_without_a_registered_opener_is_a_misconfiguration(agent, monkeypatch):
    """The complaints app registers the opener; 转投诉 raises no flagged problem any more
    (tests/followups/complaints/test_from_callbacks.py: the complaint it files)."""
    monkeypatch.setattr(services, "_complaint_opener", None)
    customer = CustomerFactory()
    with pytest.raises(ImproperlyConfigured):
        services.complaint_open(customer=customer, description="要投诉", by=agent, now=MONDAY_10)
    assert not Problem.objects.filter(customer=customer).exists()


# --- fixing -------------------------------------------------------------------------------------
def test_the_fix_is_recorded_with_who_and_when_and_queues_one_second_callback(problem, service_manager):
    fixed_at = MONDAY_10 + timedelta(hours=5)
    problem = services.problem_fix(problem=problem, cause="空调滤芯未更换", fix="免费更换滤芯并致歉", by=service_manager,
                                   now=fixed_at)
    assert (problem.status, problem.fixed_by, problem.fixed_at) == (Problem.Status.FIXED, service_manager, fixed_at)
    assert (problem.cause, problem.fix) == ("空调滤芯未更换", "免费更换滤芯并致歉")
    callback = second_callback(problem)
    assert (callback.kind, callback.customer, callback.vehicle) == (CallbackKind.SECOND, problem.customer, problem.vehicle)
    # The rule of the default rules' migration: due the next day at the shift's start, open until day 7, priority 30.
    assert callback.due_at == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert callback.expires_at == datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)
    assert callback.priority == 30 and callback.created_on == fixed_at.date()
    assert steps(problem) == ["raised", "fixed"]


def test_the_second_callback_follows_the_rule_the_supervisor_set(problem, service_manager):
    CallbackRule.objects.filter(kind=CallbackKind.SECOND).update(due_days=[2], expires_after_days=5, priority=7)
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=MONDAY_10)
    callback = second_callback(problem)
    assert callback.due_at == datetime(2026, 12, 2, 8, 30, tzinfo=SHANGHAI)
    assert callback.expires_at == datetime(2026, 12, 6, 0, 0, tzinfo=SHANGHAI)
    assert callback.priority == 7


def test_without_a_second_callback_rule_it_is_due_the_next_day_for_a_week(problem, service_manager):
    CallbackRule.objects.filter(kind=CallbackKind.SECOND).delete()
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=MONDAY_10)
    callback = second_callback(problem)
    assert callback.due_at == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert callback.expires_at == datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)
    assert callback.rule is None and callback.priority == 0


def test_a_second_fix_is_refused_and_queues_nothing_more(problem, service_manager):
    services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=MONDAY_10)
    with pytest.raises(ProblemError, match="此问题不在等待处理"):
        services.problem_fix(problem=problem, cause="c2", fix="f2", by=service_manager, now=MONDAY_10)
    assert Callback.objects.filter(problem=problem).count() == 1
    assert Problem.objects.get(pk=problem.pk).fix == "f"


def test_a_fix_of_a_round_whose_second_callback_exists_reuses_it(problem, service_manager):
    """Get-or-create on the one-per-source constraint: a callback queued for the round already (a
    retried request) is the one the fix points at, not a second row."""
    existing = Callback.objects.create(customer=problem.customer, vehicle=problem.vehicle, kind=CallbackKind.SECOND,
                                       source_key=f"problem:{problem.pk}:1", problem=problem, due_at=MONDAY_10,
                                       created_on=MONDAY_10.date())
    services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=MONDAY_10)
    assert list(Callback.objects.filter(problem=problem)) == [existing]


def test_it_refuses_a_fix_without_cause_or_what_was_done(problem, service_manager):
    with pytest.raises(ProblemError, match="请填写原因"):
        services.problem_fix(problem=problem, cause=" ", fix="f", by=service_manager)
    with pytest.raises(ProblemError, match="请填写处理结果"):
        services.problem_fix(problem=problem, cause="c", fix="", by=service_manager)
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN
    assert not Callback.objects.filter(problem=problem).exists()


def test_a_sales_manager_may_not_fix_a_service_problem(problem, sales_manager):
    with pytest.raises(PermissionDenied):
        services.problem_fix(problem=problem, cause="c", fix="f", by=sales_manager)
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN


def test_an_agent_may_not_fix_a_problem(problem, agent):
    with pytest.raises(PermissionDenied):
        services.problem_fix(problem=problem, cause="c", fix="f", by=agent)


def test_the_supervisor_may_fix_any_departments_problem(problem, supervisor):
    assert services.problem_fix(problem=problem, cause="c", fix="f", by=supervisor).status == Problem.Status.FIXED


@pytest.mark.parametrize(("department", "role", "may"), [
    ("sales", Role.SALES_MANAGER, True), ("service", Role.SERVICE_MANAGER, True),
    ("parts", Role.SERVICE_MANAGER, True), ("finance", Role.GENERAL_MANAGER, True),
    ("other", Role.DCRC_SUPERVISOR, True), ("parts", Role.SALES_MANAGER, False),
    ("finance", Role.SERVICE_MANAGER, False), ("sales", Role.GENERAL_MANAGER, False),
    ("other", Role.SERVICE_MANAGER, False),
])
def test_each_department_lands_with_its_manager(agent, department, role, may):
    problem = raise_problem(by=agent, department=department)
    assert services.can_fix(manager(role, "someone", "某人"), problem) is may


# --- the customer's answer ----------------------------------------------------------------------
def test_the_whole_loop_runs_until_the_customer_is_satisfied(problem, service_manager, agent):
    customer = problem.customer
    day_1 = MONDAY_10 + timedelta(hours=3)
    problem = services.problem_fix(problem=problem, cause="滤芯未换", fix="更换滤芯", by=service_manager, now=day_1)
    first = second_callback(problem)

    day_2 = MONDAY_10 + timedelta(days=1)
    problem = services.problem_second_callback_answered(callback=first, satisfied=False, by=agent, now=day_2)
    assert (problem.status, problem.round) == (Problem.Status.OPEN, 2)
    assert problem.deadline_at == day_2 + timedelta(hours=48)  # a new deadline for the new round
    assert problem in services_inbox(service_manager)

    day_3 = MONDAY_10 + timedelta(days=2)
    problem = services.problem_fix(problem=problem, cause="空调管路有油污", fix="清洗管路，送保养券", by=service_manager,
                                   now=day_3)
    second = second_callback(problem)
    assert second != first and second.source_key == f"problem:{problem.pk}:2"
    assert Callback.objects.filter(problem=problem).count() == 2

    day_4 = MONDAY_10 + timedelta(days=3)
    problem = services.problem_second_callback_answered(callback=second, satisfied=True, by=agent, now=day_4)
    assert (problem.status, problem.closed_at, problem.closed_by) == (Problem.Status.SATISFIED, day_4, agent)
    assert problem not in services_inbox(service_manager)
    assert steps(problem) == ["raised", "fixed", "reopened", "fixed", "confirmed"]
    assert timeline_titles(customer, "en") == [
        "Problem raised · Repair quality, for After-sales service",
        "Problem fixed by After-sales service (round 1) · Repair quality",
        "Customer not satisfied with the fix · Repair quality, round 2 for After-sales service",
        "Problem fixed by After-sales service (round 2) · Repair quality",
        "Customer satisfied with the fix · Repair quality",
    ]


def services_inbox(user) -> list[Problem]:
    from followups.callbacks.selectors.problems import problems_for_inbox

    return list(problems_for_inbox(user=user))


def test_an_answer_to_the_last_rounds_callback_changes_nothing(problem, service_manager, agent):
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    first = second_callback(problem)
    services.problem_second_callback_answered(callback=first, satisfied=False, by=agent)
    problem = services.problem_second_callback_answered(callback=first, satisfied=True, by=agent)
    assert (problem.status, problem.round) == (Problem.Status.OPEN, 2)
    assert steps(problem) == ["raised", "fixed", "reopened"]


def test_an_answer_after_the_supervisor_closed_the_problem_changes_nothing(problem, service_manager, supervisor,
                                                                           agent):
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    callback = second_callback(problem)
    services.problem_close(problem=problem, reason="客户已投诉至厂家", by=supervisor)
    problem = services.problem_second_callback_answered(callback=callback, satisfied=False, by=agent)
    assert (problem.status, problem.round) == (Problem.Status.CLOSED, 1)
    assert steps(problem) == ["raised", "fixed", "closed"]


def test_a_callback_that_is_not_a_second_callback_is_refused(problem, agent):
    callback = Callback.objects.create(customer=problem.customer, kind=CallbackKind.CSI, source_key="visit:1",
                                       due_at=MONDAY_10, created_on=MONDAY_10.date())
    with pytest.raises(ProblemError):
        services.problem_second_callback_answered(callback=callback, satisfied=True, by=agent)


# --- closing and moving -------------------------------------------------------------------------
def test_the_supervisor_closes_with_a_reason_and_the_queued_second_callback_is_cancelled(problem, service_manager,
                                                                                       supervisor):
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    problem = services.problem_close(problem=problem, reason="客户要求的赔偿超出政策，已说明", by=supervisor)
    assert (problem.status, problem.close_reason, problem.closed_by) == (
        Problem.Status.CLOSED, "客户要求的赔偿超出政策，已说明", supervisor)
    assert second_callback(problem).status == Callback.Status.CANCELLED
    assert steps(problem)[-1] == "closed"


def test_closing_needs_a_reason(problem, supervisor):
    with pytest.raises(ProblemError, match="请填写关闭原因"):
        services.problem_close(problem=problem, reason="  ", by=supervisor)
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.OPEN


def test_only_the_supervisor_closes_without_satisfaction(problem, service_manager):
    with pytest.raises(PermissionDenied):
        services.problem_close(problem=problem, reason="不处理", by=service_manager)


def test_a_closed_problem_is_not_closed_twice(problem, supervisor):
    services.problem_close(problem=problem, reason="r", by=supervisor)
    with pytest.raises(ProblemError):
        services.problem_close(problem=problem, reason="r", by=supervisor)


def test_a_problem_moves_to_another_department_with_a_new_deadline(problem, service_manager, sales_manager):
    later = MONDAY_10 + timedelta(hours=30)
    problem = services.problem_reassign(problem=problem, department="sales", note="是交车时的承诺", by=service_manager,
                                        now=later)
    assert (problem.department, problem.deadline_at) == ("sales", later + timedelta(hours=48))
    assert services.can_fix(sales_manager, problem) and not services.can_fix(service_manager, problem)
    assert steps(problem) == ["raised", "reassigned"]
    assert timeline_titles(problem.customer, "en")[-1] == "Problem moved from After-sales service to Sales · Repair quality"


def test_another_departments_manager_may_not_move_it(problem, sales_manager):
    with pytest.raises(PermissionDenied):
        services.problem_reassign(problem=problem, department="sales", note="n", by=sales_manager)


def test_a_move_needs_a_note_and_another_department(problem, supervisor):
    with pytest.raises(ProblemError):
        services.problem_reassign(problem=problem, department="sales", note=" ", by=supervisor)
    with pytest.raises(ProblemError):
        services.problem_reassign(problem=problem, department="service", note="n", by=supervisor)


# --- the timeline in both languages -------------------------------------------------------------
def test_the_steps_read_in_the_readers_language(problem, service_manager, supervisor):
    services.problem_fix(problem=problem, cause="滤芯未换", fix="更换滤芯", by=service_manager)
    services.problem_close(problem=problem, reason="客户出国", by=supervisor)
    assert timeline_titles(problem.customer, "zh-hans") == [
        "反馈问题 · 维修质量，责任部门：售后服务部",
        "售后服务部已处理（第 1 轮）· 维修质量",
        "客服主管关闭了反馈问题 · 维修质量",
    ]
    entry = TimelineEntry.objects.filter(customer=problem.customer, params__variant="fixed").get()
    with translation.override("zh-hans"):
        assert entry_text(kind=entry.kind, params=entry.params, title="", body="").body == "原因：滤芯未换 — 处理结果：更换滤芯"
    with translation.override("en"):
        assert entry_text(kind=entry.kind, params=entry.params, title="", body="").body == (
            "Cause: 滤芯未换 — What was done: 更换滤芯")


# --- two clicks at once -------------------------------------------------------------------------
def test_two_fixes_at_the_same_moment_record_one_fix_and_queue_one_callback(transactional_db, agent, service_manager):
    """Each request on its own connection; the row lock makes the second wait, then find it fixed."""
    import threading

    from django.db import connection

    problem = raise_problem(by=agent)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click(n: int) -> None:
        try:
            start.wait()
            services.problem_fix(problem=problem, cause="c", fix=f"处理{n}", by=service_manager)
            outcomes.append("fixed")
        except ProblemError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["fixed", "refused"]
    assert Callback.objects.filter(problem=problem).count() == 1
    assert steps(problem) == ["raised", "fixed"]


# --- raised from an answer ----------------------------------------------------------------------
def _answer(customer, *, score: int):
    from followups.callbacks.models import Answer, ScriptResponse
    from followups.scripts.models import Question

    from tests.followups.factories import script_version

    callback = Callback.objects.create(customer=customer, kind=CallbackKind.CSI, source_key=f"visit:{customer.pk}",
                                       due_at=MONDAY_10, created_on=MONDAY_10.date())
    version = script_version("csi")
    question = Question.objects.create(version=version, position=1, text="您对本次维修满意吗？", kind="score")
    response = ScriptResponse.objects.create(callback=callback, version=version, answered_at=MONDAY_10)
    return Answer.objects.create(response=response, question=question, score=score, dissatisfied=score < 7)


def test_a_problem_raised_from_an_answer_keeps_its_callback(agent):
    customer = CustomerFactory()
    answer = _answer(customer, score=3)
    problem = raise_problem(by=agent, customer=customer, answer=answer)
    assert (problem.answer, problem.callback) == (answer, answer.response.callback)


def test_an_answer_of_another_customer_is_refused(agent):
    answer = _answer(CustomerFactory(), score=3)
    with pytest.raises(ProblemError):
        raise_problem(by=agent, customer=CustomerFactory(), answer=answer)
    assert not Problem.objects.exists()


# --- the customer's open problems, for the workbench ---------------------------------------------
def test_the_customers_open_problems_are_those_not_yet_closed_by_deadline(agent, service_manager, supervisor):
    from followups.callbacks.selectors.problems import open_problems_of

    customer = CustomerFactory()
    later = raise_problem(by=agent, customer=customer, description="后", now=MONDAY_10 + timedelta(hours=2))
    fixed = services.problem_fix(problem=raise_problem(by=agent, customer=customer, now=MONDAY_10), cause="c",
                                 fix="f", by=service_manager)
    services.problem_close(problem=raise_problem(by=agent, customer=customer), reason="r", by=supervisor)
    raise_problem(by=agent)  # another customer's
    assert [p.pk for p in open_problems_of(customer_id=customer.pk)] == [fixed.pk, later.pk]


# --- edges of the rules -------------------------------------------------------------------------
def test_a_fixed_problem_does_not_move(problem, service_manager, supervisor):
    services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    with pytest.raises(ProblemError):
        services.problem_reassign(problem=problem, department="sales", note="n", by=supervisor)
    assert Problem.objects.get(pk=problem.pk).department == "service"


def test_a_same_day_rule_fixed_after_the_shift_started_is_due_at_once(problem, service_manager,
                                                                      second_callback_rule):
    second_callback_rule.due_days = [0]
    second_callback_rule.save()
    fixed_at = MONDAY_10 + timedelta(hours=4)  # 14:00, after the 08:30 start
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=fixed_at)
    assert second_callback(problem).due_at == fixed_at


def test_a_switched_off_second_callback_rule_still_queues_the_callback_on_the_defaults(problem, service_manager,
                                                                                     second_callback_rule):
    second_callback_rule.enabled, second_callback_rule.due_days, second_callback_rule.priority = False, [3], 9
    second_callback_rule.save()
    problem = services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager, now=MONDAY_10)
    callback = second_callback(problem)
    assert callback.due_at == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
    assert (callback.rule, callback.priority) == (None, 0)


def test_a_manager_whose_role_lost_the_right_to_fix_may_not_fix(problem, service_manager):
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name=Role.SERVICE_MANAGER.value).permissions.remove(
        Permission.objects.get(content_type__app_label="callbacks", codename="fix_problem"))
    service_manager = type(service_manager).objects.get(pk=service_manager.pk)  # no cached permissions
    assert not services.can_fix(service_manager, problem)


def test_an_answer_from_another_callback_of_the_same_customer_is_refused(agent):
    customer = CustomerFactory()
    answer = _answer(customer, score=2)
    other = Callback.objects.create(customer=customer, kind=CallbackKind.SSI, source_key="delivery:9:d3",
                                    due_at=MONDAY_10, created_on=MONDAY_10.date())
    with pytest.raises(ProblemError):
        raise_problem(by=agent, customer=customer, answer=answer, callback=other)


# --- who and what each step records -------------------------------------------------------------
def test_each_step_names_who_took_it(problem, agent, service_manager, supervisor):
    services.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    services.problem_close(problem=problem, reason="客户出国", by=supervisor)
    by = list(ProblemStep.objects.filter(problem=problem).order_by("at", "id").values_list("action", "by"))
    assert by == [("raised", agent.pk), ("fixed", service_manager.pk), ("closed", supervisor.pk)]


def test_the_timeline_entry_names_the_problem_and_its_car(problem):
    entry = TimelineEntry.objects.get(customer=problem.customer, kind="problem")
    assert (entry.vehicle_id, entry.params["problem"]) == (problem.vehicle_id, problem.pk)


