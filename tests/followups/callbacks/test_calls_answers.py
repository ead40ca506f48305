"""Completing a callback: the answers of the version shown, their rules in Chinese, corrections as
new responses, problems raised from answers, and the second callback's step of its problem."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Answer, CallAttempt, Callback, Problem, ScriptResponse
from followups.callbacks.services.calls import (
    AnswersInvalid, CallError, ProblemRaised, callback_complete, callback_take_next, response_correct,
)
from followups.callbacks.services.problems import problem_fix
from followups.scripts.models import ScriptVersion
from tests.factories import UserFactory
from tests.followups.factories import (
    CustomerFactory, default_callback_rules, make_callback, manager, publish_script,
    raise_problem,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()


def publish(kind: str = "ssi", *, number: int = 1) -> ScriptVersion:
    return publish_script(kind, number=number, published_at=NOW)


def answers_for(version: ScriptVersion, score="9", yes_no="yes", choice="会", text="") -> dict[int, str]:
    q1, q2, q3, q4 = version.questions.order_by("position")
    return {q1.pk: score, q2.pk: yes_no, q3.pk: choice, q4.pk: text}


def held(agent, kind="ssi", **kwargs) -> Callback:
    callback = make_callback(kind=kind, due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=5), **kwargs)
    assert callback_take_next(agent=agent, now=NOW).pk == callback.pk
    callback.refresh_from_db()
    return callback


@pytest.mark.django_db
def test_completing_saves_the_answers_the_average_and_closes_the_callback(agent):
    version = publish()
    callback = held(agent)
    response = callback_complete(callback=callback, agent=agent, version=version,
                                 answers=answers_for(version, score="8", text="  洗车再仔细些  "), remark="客户很客气",
                                 now=NOW)
    callback.refresh_from_db()
    assert (callback.status, callback.closed_at, callback.attempts, callback.last_outcome) == (
        Callback.Status.COMPLETED, NOW, 1, "completed")
    assert CallAttempt.objects.get(callback=callback).outcome == "completed"
    assert response.attempt.outcome == "completed"
    assert (response.version_id, response.average_score, response.dissatisfied, response.remark) == (
        version.pk, Decimal("8.00"), False, "客户很客气")
    values = list(Answer.objects.filter(response=response).order_by("question__position").values_list("score", "value"))
    assert values == [(8, ""), (None, "yes"), (None, "会"), (None, "洗车再仔细些")]
    entry = callback.customer.timeline.get(kind="callback")
    assert entry.params["variant"] == "completed" and entry.params["average"] == "8.00"
    assert entry.params["dissatisfied"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "dissatisfied"), [
    ({"score": "6"}, True), ({"score": "7"}, False), ({"yes_no": "no"}, True), ({"choice": "不会"}, True),
])
def test_a_dissatisfied_answer_flags_the_answer_and_the_response(agent, answers, dissatisfied):
    version = publish()
    response = callback_complete(callback=held(agent), agent=agent, version=version,
                                 answers=answers_for(version, **answers), now=NOW)
    assert response.dissatisfied is dissatisfied
    assert response.answers.filter(dissatisfied=True).exists() is dissatisfied


@pytest.mark.django_db
def test_invalid_answers_save_nothing_and_say_why_in_chinese_per_question(agent):
    version = publish()
    callback = held(agent)
    q1, q2, q3, _q4 = version.questions.order_by("position")
    with pytest.raises(AnswersInvalid) as raised:
        callback_complete(callback=callback, agent=agent, version=version,
                          answers={q1.pk: "11", q2.pk: "", q3.pk: "还行"}, now=NOW)
    errors = raised.value.by_question
    assert errors == {q1.pk: "评分必须是 0 到 10 之间的整数。", q2.pk: "此题为必答题，请填写答案。",
                      q3.pk: "请从选项中选择一个：会、不确定、不会。"}
    callback.refresh_from_db()
    assert callback.status == Callback.Status.IN_PROGRESS and callback.attempts == 0
    assert not ScriptResponse.objects.filter(callback=callback).exists()


@pytest.mark.django_db
def test_the_answers_keep_the_version_shown_when_a_newer_one_is_published_meanwhile(agent):
    shown = publish(number=1)
    callback = held(agent)
    newer = publish(number=2)  # the supervisor publishes while the agent is on the phone
    response = callback_complete(callback=callback, agent=agent, version=shown, answers=answers_for(shown), now=NOW)
    assert response.version_id == shown.pk != newer.pk
    assert set(response.answers.values_list("question__version", flat=True)) == {shown.pk}


@pytest.mark.django_db
def test_a_script_of_another_kind_is_refused(agent):
    csi = publish("csi")
    with pytest.raises(CallError):
        callback_complete(callback=held(agent, kind="ssi"), agent=agent, version=csi, answers=answers_for(csi), now=NOW)


@pytest.mark.django_db
def test_a_colleague_cannot_complete_a_callback_they_do_not_hold(agent):
    version = publish()
    callback = held(agent)
    colleague = UserFactory(username="agent_wu", roles=[Role.CALLBACK_AGENT])
    with pytest.raises(PermissionDenied):
        callback_complete(callback=callback, agent=colleague, version=version, answers=answers_for(version), now=NOW)


@pytest.mark.django_db
def test_a_correction_is_a_new_response_and_the_old_one_stays_as_it_was(agent):
    version = publish()
    original = callback_complete(callback=held(agent), agent=agent, version=version,
                                 answers=answers_for(version, score="5"), now=NOW)
    corrected = response_correct(response=original, answers=answers_for(version, score="9"),
                                 reason="客户说刚才听错了", by=agent, now=NOW + timedelta(minutes=5))
    original.refresh_from_db()
    assert original.average_score == Decimal("5.00") and original.dissatisfied is True
    assert list(original.answers.values_list("score", flat=True).order_by("question__position"))[0] == 5
    assert (corrected.corrects_id, corrected.correction_reason, corrected.average_score, corrected.dissatisfied) == (
        original.pk, "客户说刚才听错了", Decimal("9.00"), False)
    assert ScriptResponse.objects.filter(callback=original.callback).count() == 2
    with pytest.raises(CallError):
        response_correct(response=original, answers=answers_for(version), reason="再改", by=agent)


@pytest.mark.django_db
def test_a_correction_needs_a_reason(agent):
    version = publish()
    original = callback_complete(callback=held(agent), agent=agent, version=version, answers=answers_for(version), now=NOW)
    with pytest.raises(CallError) as raised:
        response_correct(response=original, answers=answers_for(version), reason=" ", by=agent)
    assert "更正原因" in str(raised.value)


@pytest.mark.django_db
def test_a_problem_raised_from_an_answer_names_the_answer_and_is_dated_by_the_call(agent):
    """(转投诉 from an answer: tests/followups/complaints/test_from_callbacks.py.)"""
    version = publish()
    callback = held(agent)
    _q1, q2, *_rest = version.questions.order_by("position")
    response = callback_complete(
        callback=callback, agent=agent, version=version, answers=answers_for(version, score="3", yes_no="no"), now=NOW,
        problems=[ProblemRaised(question_id=q2.pk, category="staff", department="service", description="顾问没解释")])
    problem = Problem.objects.get(callback=callback)
    assert (problem.answer.question_id, problem.answer.response_id) == (q2.pk, response.pk)
    assert (problem.department, problem.category, problem.raised_at, problem.is_complaint) == (
        "service", "staff", NOW, False)


@pytest.mark.django_db
@pytest.mark.parametrize(("score", "status"), [("9", Problem.Status.SATISFIED), ("4", Problem.Status.OPEN)])
def test_a_second_callback_answered_moves_its_problem(agent, score, status):
    version = publish("second")
    service_manager = manager(Role.SERVICE_MANAGER, "service_zhao", "赵强")
    problem = raise_problem(by=agent, customer=CustomerFactory())
    problem_fix(problem=problem, cause="洗车工漏洗", fix="已重新洗车并致歉", by=service_manager, now=NOW - timedelta(days=1))
    second = Callback.objects.get(problem=problem, kind="second")
    Callback.objects.filter(pk=second.pk).update(due_at=NOW - timedelta(hours=1))
    assert callback_take_next(agent=agent, now=NOW).pk == second.pk
    callback_complete(callback=second, agent=agent, version=version, answers=answers_for(version, score=score), now=NOW)
    problem.refresh_from_db()
    assert problem.status == status
    assert problem.round == (1 if status == Problem.Status.SATISFIED else 2)


def scored_version(kind: str = "ssi", *, scores: int = 0, texts: int = 0) -> ScriptVersion:
    """A published script of `scores` score questions and `texts` optional text questions."""
    from followups.scripts.models import Question

    version = publish_script(kind, number=7, published_at=NOW)
    version.questions.all().delete()
    for position in range(1, scores + texts + 1):
        if position <= scores:
            Question.objects.create(version=version, position=position, text=f"第{position}项打几分？", kind="score",
                                    dissatisfied_below=7)
        else:
            Question.objects.create(version=version, position=position, text="还有其他建议吗？", kind="text",
                                    required=False)
    return version


@pytest.mark.django_db
def test_a_script_of_another_kind_is_refused_with_the_reason_the_agent_reads(agent):
    csi = publish("csi")
    with pytest.raises(CallError) as raised:
        callback_complete(callback=held(agent, kind="ssi"), agent=agent, version=csi, answers=answers_for(csi), now=NOW)
    assert str(raised.value) == "该话术与这条回访不符：请刷新页面。"


@pytest.mark.django_db
def test_the_average_of_several_scores_is_rounded_half_up_to_two_places(agent):
    version = scored_version(scores=8)
    scores = ["1", "1", "1", "1", "1", "1", "1", "2"]  # 9 / 8 = 1.125
    answers = dict(zip(version.questions.order_by("position").values_list("pk", flat=True), scores, strict=True))
    response = callback_complete(callback=held(agent), agent=agent, version=version, answers=answers, now=NOW)
    assert response.average_score == Decimal("1.13")


@pytest.mark.django_db
def test_a_script_without_scores_has_no_average(agent):
    version = scored_version(texts=1)
    (question,) = version.questions.all()
    response = callback_complete(callback=held(agent), agent=agent, version=version,
                                 answers={question.pk: "希望周末也能预约"}, now=NOW)
    assert response.average_score is None and response.dissatisfied is False
    entry = response.callback.customer.timeline.get(kind="callback")
    assert entry.params["average"] is None


@pytest.mark.django_db
def test_an_optional_question_left_out_of_the_form_is_stored_unanswered(agent):
    version = publish()
    q1, q2, q3, q4 = version.questions.order_by("position")
    response = callback_complete(callback=held(agent), agent=agent, version=version,
                                 answers={q1.pk: "9", q2.pk: "yes", q3.pk: "会"}, now=NOW)
    assert response.answers.get(question=q4).value == ""


@pytest.mark.django_db
def test_a_completed_call_without_remark_keeps_no_note_remark_or_correction_reason(agent):
    version = publish()
    response = callback_complete(callback=held(agent), agent=agent, version=version, answers=answers_for(version),
                                 now=NOW)
    response.refresh_from_db()
    assert (response.remark, response.correction_reason, response.attempt.note) == ("", "", "")
