"""Every change to the callback scripts, and the rules of an answer to one of their questions."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Question

YES, NO = "yes", "no"
SCORE_MIN, SCORE_MAX = 0, 10


def answer_is_dissatisfied(*, question: Question, score: int | None, value: str) -> bool:
    """Whether this answer counts as dissatisfied by the question's rule.

    A score below ``dissatisfied_below``; a yes/no or choice answer listed in
    ``dissatisfied_answers``; a text answer never (the agent raises a problem by hand instead).
    """
    if question.kind == Question.Kind.SCORE:
        return score is not None and question.dissatisfied_below is not None and score < question.dissatisfied_below
    if question.kind in (Question.Kind.YES_NO, Question.Kind.CHOICE):
        return bool(value) and value in (question.dissatisfied_answers or [])
    return False


def answer_clean(*, question: Question, raw: str) -> tuple[int | None, str]:
    """The (score, value) to store for what the agent entered, or ValidationError in Chinese.

    A score is an integer 0–10 (stored as score, value empty); a yes/no answer is "yes" or "no"; a
    choice is one of the question's options; a text is kept as typed (stripped). An empty answer is
    refused when the question is required and gives (None, "") otherwise.
    """
    raw = (raw or "").strip()
    if not raw:
        if question.required:
            raise ValidationError(_("Please answer this question: it is required."), code="required")
        return None, ""
    if question.kind == Question.Kind.SCORE:
        try:
            score = int(raw)
        except ValueError:
            raise ValidationError(_("The score must be a whole number from 0 to 10."), code="score") from None
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise ValidationError(_("The score must be a whole number from 0 to 10."), code="score")
        return score, ""
    if question.kind == Question.Kind.YES_NO:
        if raw not in (YES, NO):
            raise ValidationError(_("Please answer yes or no."), code="yes_no")
        return None, raw
    if question.kind == Question.Kind.CHOICE:
        if raw not in (question.choices or []):
            raise ValidationError(
                _("Please pick one of the options: %(options)s.") % {"options": "、".join(question.choices or [])},
                code="choice")
        return None, raw
    return None, raw
