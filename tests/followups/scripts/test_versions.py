"""Versions: drafts are edited, publishing replaces the version in use, a published or replaced
version is never changed, one draft per script, and the answers keep the version they were asked with."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from followups.scripts import services
from followups.scripts.models import Question, Script, ScriptVersion
from followups.scripts.selectors import published_version, version_with_questions
from tests.followups.factories import seeded_scripts

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _seeded_scripts(db):
    seeded_scripts()


@pytest.fixture
def script(db, supervisor):
    """A custom script of the supervisor's with one published version of two questions."""
    script = services.script_create(key="test_visit", name="到店关怀回访", kind="first_maint", brand="renault",
                                    by=supervisor)
    draft = script.versions.get()
    services.draft_update(version=draft, opening="您好，请问是{name}{title}吗？", closing="再见", note="初版")
    services.question_add(version=draft, text="首保是否顺利？", kind="yes_no", factor="service_quality",
                          dissatisfied_answers=["no"])
    services.question_add(version=draft, text="总体满意度打几分？", kind="score", dissatisfied_below=7)
    services.draft_publish(version=draft, by=supervisor, now=NOW)
    return script


def questions_of(version) -> list[tuple[int, str]]:
    return list(version.questions.order_by("position").values_list("position", "text"))


def test_a_new_script_starts_with_an_empty_draft_v1(supervisor):
    script = services.script_create(key="new_one", name="新话术", kind="custom", brand="other", by=supervisor)
    draft = script.versions.get()
    assert (draft.number, draft.status, draft.created_by, draft.questions.count()) == (1, "draft", supervisor, 0)


def test_a_second_active_script_of_the_same_kind_and_brand_is_refused(supervisor):
    with pytest.raises(ValidationError) as refused:
        services.script_create(key="renault_ssi_2", name="另一个雷诺SSI", kind="ssi", brand="renault", by=supervisor)
    assert "使用中的话术已有相同的类型和品牌。" in refused.value.messages


def test_publishing_a_draft_replaces_the_published_version_in_one_go(script, supervisor):
    first = script.versions.get(number=1)
    draft = services.script_draft_start(script=script, by=supervisor)
    later = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    services.draft_publish(version=draft, by=supervisor, now=later)
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.status == ScriptVersion.Status.RETIRED
    assert (draft.status, draft.published_at, draft.published_by) == ("published", later, supervisor)
    assert published_version(kind="first_maint", brand="renault").pk == draft.pk


def test_a_new_draft_copies_the_published_words_and_questions(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    assert (draft.number, draft.opening, draft.closing, draft.created_by) == (2, "您好，请问是{name}{title}吗？", "再见",
                                                                              supervisor)
    assert questions_of(draft) == [(1, "首保是否顺利？"), (2, "总体满意度打几分？")]
    copied = draft.questions.get(position=1)
    assert (copied.kind, copied.factor, copied.dissatisfied_answers) == ("yes_no", "service_quality", ["no"])
    assert copied.pk not in set(script.versions.get(number=1).questions.values_list("pk", flat=True))


def test_a_second_draft_of_a_script_is_refused(script, supervisor):
    services.script_draft_start(script=script, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.script_draft_start(script=script, by=supervisor)
    assert refused.value.messages == ["此话术已有草稿：请先编辑或发布该草稿。"]


def test_the_database_holds_one_draft_per_script(script):
    ScriptVersion.objects.create(script=script, number=2, status="draft")
    with pytest.raises(IntegrityError), transaction.atomic():
        ScriptVersion.objects.create(script=script, number=3, status="draft")


def test_the_database_holds_one_published_version_per_script(script):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScriptVersion.objects.create(script=script, number=2, status="published")


@pytest.mark.parametrize("status", ["published", "retired"])
def test_a_published_or_replaced_version_refuses_every_edit(script, supervisor, status):
    version = script.versions.get(number=1)
    if status == "retired":
        services.draft_publish(version=services.script_draft_start(script=script, by=supervisor), by=supervisor,
                               now=NOW)
        version.refresh_from_db()
    question = version.questions.get(position=1)
    message = f"版本 {version.number} {version.get_status_display()}，不能再修改：请开始一个新版本来编辑话术。"
    attempts = [
        lambda: services.draft_update(version=version, opening="改过", closing="", note=""),
        lambda: services.question_add(version=version, text="新问题", kind="text"),
        lambda: services.question_update(question=question, text="改过的问题"),
        lambda: services.question_delete(question=question),
        lambda: services.question_move(question=question, up=False),
        lambda: services.question_put(version=version, position=1, text="导入的问题", kind="text"),
        lambda: services.draft_publish(version=version, by=supervisor, now=NOW),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [message]
    version.refresh_from_db()
    assert version.opening == "您好，请问是{name}{title}吗？"
    assert questions_of(version) == [(1, "首保是否顺利？"), (2, "总体满意度打几分？")]


def test_an_edit_is_refused_when_the_draft_was_published_meanwhile(script, supervisor):
    """The editor's page was loaded while the draft was a draft; another tab published it since."""
    draft = services.script_draft_start(script=script, by=supervisor)
    stale = ScriptVersion.objects.get(pk=draft.pk)
    services.draft_publish(version=draft, by=supervisor, now=NOW)
    with pytest.raises(ValidationError):
        services.question_add(version=stale, text="新问题", kind="text")
    assert draft.questions.count() == 2


def test_a_draft_without_questions_cannot_be_published(supervisor):
    script = services.script_create(key="empty", name="空话术", kind="custom", brand="other", by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.draft_publish(version=script.versions.get(), by=supervisor, now=NOW)
    assert refused.value.messages == ["草稿中还没有问题：发布前请至少添加一个问题。"]
    assert script.versions.get().status == "draft"


def test_a_choice_without_options_keeps_the_draft_from_being_published(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    services.question_add(version=draft, text="您是从哪里了解到我们的？", kind="choice", choices=[])
    with pytest.raises(ValidationError) as refused:
        services.draft_publish(version=draft, by=supervisor, now=NOW)
    assert refused.value.messages == ["第 3 题是选择题但没有选项：请添加选项。"]
    assert script.versions.get(number=1).status == "published"


def test_questions_are_added_at_the_end_and_moved_and_removed_in_order(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    third = services.question_add(version=draft, text="建议？", kind="text", required=False)
    assert third.position == 3
    services.question_move(question=third, up=True)
    assert questions_of(draft) == [(1, "首保是否顺利？"), (2, "建议？"), (3, "总体满意度打几分？")]
    services.question_move(question=draft.questions.get(position=1), up=True)  # the first stays first
    assert questions_of(draft)[0] == (1, "首保是否顺利？")
    services.question_delete(question=draft.questions.get(position=1))
    assert questions_of(draft) == [(1, "建议？"), (2, "总体满意度打几分？")]


def test_a_question_keeps_only_the_rule_of_its_answer_type(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    question = services.question_add(version=draft, text="服务打几分？", kind="score", dissatisfied_below=6,
                                     choices=["好"], dissatisfied_answers=["no"])
    assert (question.choices, question.dissatisfied_answers, question.dissatisfied_below) == ([], [], 6)
    services.question_update(question=question, kind="text")
    question.refresh_from_db()
    assert (question.kind, question.dissatisfied_below) == ("text", None)


def test_a_choice_dissatisfied_answer_must_be_one_of_its_options(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.question_add(version=draft, text="满意吗？", kind="choice", choices=["满意", "一般"],
                              dissatisfied_answers=["很差"])
    assert refused.value.message_dict == {"dissatisfied_answers": ["不满意答案必须是选项之一：“很差”不是。"]}


def test_a_score_line_outside_1_to_10_is_refused(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.question_add(version=draft, text="打几分？", kind="score", dissatisfied_below=11)
    assert list(refused.value.message_dict) == ["dissatisfied_below"]


def test_the_callback_gets_the_brands_own_script_else_the_all_brand_one(db):
    renault = published_version(kind="ssi", brand="renault")
    assert renault.script.key == "renault_ssi"
    assert published_version(kind="thank_you", brand="renault").script.key == "thank_you"
    # retention's first-maintenance script is for every brand: a Renault gets it too
    assert published_version(kind="first_maint", brand="renault").script.brand == ""
    assert published_version(kind="ssi", brand="other") is None  # the SSI scripts are the two brands' own


def test_a_script_out_of_use_is_not_given_to_callbacks(supervisor):
    script = Script.objects.get(key="mitsubishi_csi")
    services.script_deactivate(script=script)
    assert published_version(kind="csi", brand="mitsubishi") is None
    services.script_activate(script=script)
    assert published_version(kind="csi", brand="mitsubishi").script == script


def test_the_published_versions_questions_come_in_position_order(db, django_assert_num_queries):
    with django_assert_num_queries(2):
        version = published_version(kind="csi", brand="renault")
        positions = [q.position for q in version.questions.all()]
    assert positions == sorted(positions) and len(positions) == 11
    assert [q.position for q in version_with_questions(version_id=version.pk).questions.all()] == positions


def test_a_question_that_was_answered_cannot_be_deleted(script, agent):
    """Answers point at the questions of the version they were asked with (PROTECT)."""
    from followups.callbacks.models import Answer, ScriptResponse
    from tests.followups.factories import make_callback

    version = script.versions.get(number=1)
    response = ScriptResponse.objects.create(callback=make_callback(agent=agent), version=version, answered_at=NOW,
                                             answered_by=agent)
    question = version.questions.get(position=1)
    Answer.objects.create(response=response, question=question, value="yes")
    with pytest.raises(ProtectedError):
        Question.objects.filter(pk=question.pk).delete()
    with pytest.raises(ProtectedError):
        version.delete()


def test_a_question_without_words_is_refused(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    for text in ("", None, "   "):
        with pytest.raises(ValidationError) as refused:
            services.question_add(version=draft, text=text, kind="text", required=False)
        assert "text" in refused.value.message_dict
    assert draft.questions.count() == 2


def test_blank_and_repeated_options_are_dropped(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    question = services.question_add(version=draft, text="您是从哪里了解到我们的？", kind="choice",
                                     choices=[" 朋友介绍 ", "", "  ", "网络", "朋友介绍"])
    assert Question.objects.get(pk=question.pk).choices == ["朋友介绍", "网络"]


def test_a_yes_no_question_counting_another_answer_as_dissatisfied_says_so(script, supervisor):
    draft = services.script_draft_start(script=script, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.question_add(version=draft, text="是否满意？", kind="yes_no", dissatisfied_answers=["还行"])
    assert refused.value.message_dict["dissatisfied_answers"] == ["是非题只能把“是”或“否”算作不满意。"]
