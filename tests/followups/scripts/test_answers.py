"""The rules of an answer: which ones count as dissatisfied, and what the agent may enter."""

import pytest
from django.core.exceptions import ValidationError

from followups.scripts.models import Question
from followups.scripts.services import answer_clean, answer_is_dissatisfied


def question(kind: str, **kwargs) -> Question:
    return Question(kind=kind, text="问题", **kwargs)


@pytest.mark.parametrize(("score", "dissatisfied"), [(0, True), (6, True), (7, False), (10, False), (None, False)])
def test_a_score_below_the_line_is_dissatisfied_and_the_line_itself_is_not(score, dissatisfied):
    assert answer_is_dissatisfied(question=question("score", dissatisfied_below=7), score=score, value="") is dissatisfied


def test_a_score_question_without_a_line_is_never_dissatisfied():
    assert answer_is_dissatisfied(question=question("score", dissatisfied_below=None), score=0, value="") is False


@pytest.mark.parametrize(("value", "dissatisfied"), [("no", True), ("yes", False), ("", False)])
def test_a_yes_no_answer_is_dissatisfied_when_it_is_the_listed_one(value, dissatisfied):
    q = question("yes_no", dissatisfied_answers=["no"])
    assert answer_is_dissatisfied(question=q, score=None, value=value) is dissatisfied


def test_a_yes_no_question_may_count_yes_as_dissatisfied():
    q = question("yes_no", dissatisfied_answers=["yes"])  # 是否有未经您同意的加装？
    assert answer_is_dissatisfied(question=q, score=None, value="yes") is True
    assert answer_is_dissatisfied(question=q, score=None, value="no") is False


@pytest.mark.parametrize(("value", "dissatisfied"), [("不会", True), ("不确定", False), ("一定会", False)])
def test_a_choice_is_dissatisfied_when_it_is_a_listed_option(value, dissatisfied):
    q = question("choice", choices=["一定会", "不确定", "不会"], dissatisfied_answers=["不会"])
    assert answer_is_dissatisfied(question=q, score=None, value=value) is dissatisfied


def test_a_text_answer_is_never_dissatisfied_whatever_it_says():
    q = question("text", dissatisfied_answers=["不满意"], dissatisfied_below=7)
    assert answer_is_dissatisfied(question=q, score=0, value="不满意") is False


# --- cleaning what the agent entered -------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [("0", (0, "")), ("10", (10, "")), (" 7 ", (7, ""))])
def test_a_score_is_kept_as_a_number(raw, expected):
    assert answer_clean(question=question("score"), raw=raw) == expected


@pytest.mark.parametrize("raw", ["11", "-1", "7.5", "七", "abc"])
def test_a_score_outside_0_to_10_or_not_a_whole_number_is_refused_in_chinese(raw):
    with pytest.raises(ValidationError) as refused:
        answer_clean(question=question("score"), raw=raw)
    assert refused.value.messages == ["评分必须是 0 到 10 之间的整数。"]


def test_a_required_question_left_empty_is_refused():
    with pytest.raises(ValidationError) as refused:
        answer_clean(question=question("yes_no", required=True), raw="  ")
    assert refused.value.messages == ["此题为必答题，请填写答案。"]


def test_an_optional_question_may_stay_empty():
    assert answer_clean(question=question("text", required=False), raw="") == (None, "")
    assert answer_clean(question=question("score", required=False), raw="") == (None, "")


@pytest.mark.parametrize("raw", ["yes", "no"])
def test_a_yes_no_answer_is_yes_or_no(raw):
    assert answer_clean(question=question("yes_no"), raw=raw) == (None, raw)


def test_a_yes_no_answer_of_anything_else_is_refused():
    with pytest.raises(ValidationError) as refused:
        answer_clean(question=question("yes_no"), raw="maybe")
    assert refused.value.messages == ["请回答“是”或“否”。"]


def test_a_choice_must_be_one_of_the_options_and_the_message_names_them():
    q = question("choice", choices=["满意", "一般", "不满意"])
    assert answer_clean(question=q, raw="一般") == (None, "一般")
    with pytest.raises(ValidationError) as refused:
        answer_clean(question=q, raw="还行")
    assert refused.value.messages == ["请从选项中选择一个：满意、一般、不满意。"]


def test_a_text_answer_is_kept_as_typed_without_the_spaces_around():
    assert answer_clean(question=question("text"), raw="  希望休息区多放点杂志 ") == (None, "希望休息区多放点杂志")
