"""Every change to the callback scripts, and the rules of an answer to one of their questions."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .models import Factor, Question, Script, ScriptVersion

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


# --- the supervisor's editing: scripts, drafts, questions, publishing ---------------------------
# A published or replaced version is never changed (an answer shows the questions as they were asked);
# only a draft is edited, and publishing it replaces the published version in one transaction.
MAX_QUESTIONS = 100
_PARKED = 1000  # positions are moved out of the way above this while a draft is renumbered


def _locked_version(version: ScriptVersion) -> ScriptVersion:
    """The version as it is in the database, locked, so a publish at the same moment waits for us."""
    return ScriptVersion.objects.select_for_update().select_related("script").get(pk=version.pk)


def _require_draft(version: ScriptVersion) -> ScriptVersion:
    locked = _locked_version(version)
    if locked.status != ScriptVersion.Status.DRAFT:
        raise ValidationError(
            _("Version %(number)s is %(status)s and can no longer be changed: start a new version to edit the script.")
            % {"number": locked.number, "status": locked.get_status_display()}, code="not_draft")
    return locked


@transaction.atomic
def script_create(*, key: str, name: str, kind: str, brand: str, by) -> Script:
    """A new script with an empty draft v1 to write its questions in."""
    script = Script(key=key.strip(), name=name.strip(), kind=kind, brand=brand)
    script.full_clean()
    script.save()
    ScriptVersion.objects.create(script=script, number=1, status=ScriptVersion.Status.DRAFT, created_by=by)
    return script


@transaction.atomic
def script_update(*, script: Script, name: str) -> Script:
    script.name = name.strip()
    script.full_clean(exclude=["key"])
    script.save(update_fields=["name"])
    return script


@transaction.atomic
def script_deactivate(*, script: Script) -> Script:
    """Take a script out of use: new callbacks no longer get it (the all-brand script, if any, is used);
    its versions and the answers given with them stay."""
    script.active = False
    script.save(update_fields=["active"])
    return script


@transaction.atomic
def script_activate(*, script: Script) -> Script:
    script.active = True
    script.validate_constraints()
    script.save(update_fields=["active"])
    return script


@transaction.atomic
def script_draft_start(*, script: Script, by) -> ScriptVersion:
    """A new draft, the next number, with the published version's words and questions copied in
    (the newest version's when none is published). One draft per script: a second is refused."""
    Script.objects.select_for_update().get(pk=script.pk)
    versions = list(script.versions.order_by("-number"))
    if any(v.status == ScriptVersion.Status.DRAFT for v in versions):
        raise ValidationError(_("This script already has a draft: edit it or publish it first."), code="draft_exists")
    source = next((v for v in versions if v.status == ScriptVersion.Status.PUBLISHED), versions[0] if versions else None)
    try:
        with transaction.atomic():
            draft = ScriptVersion.objects.create(
                script=script, number=(versions[0].number + 1) if versions else 1, status=ScriptVersion.Status.DRAFT,
                opening=source.opening if source else "", closing=source.closing if source else "", created_by=by)
    except IntegrityError:
        raise ValidationError(_("This script already has a draft: edit it or publish it first."),
                              code="draft_exists") from None
    if source is not None:
        Question.objects.bulk_create(
            Question(version=draft, position=q.position, factor=q.factor, text=q.text, kind=q.kind,
                     choices=list(q.choices), required=q.required, dissatisfied_below=q.dissatisfied_below,
                     dissatisfied_answers=list(q.dissatisfied_answers))
            for q in source.questions.order_by("position"))
    return draft


@transaction.atomic
def draft_update(*, version: ScriptVersion, opening: str, closing: str, note: str) -> ScriptVersion:
    draft = _require_draft(version)
    draft.opening, draft.closing, draft.note = opening.strip(), closing.strip(), note.strip()
    draft.full_clean()
    draft.save(update_fields=["opening", "closing", "note"])
    version.opening, version.closing, version.note = draft.opening, draft.closing, draft.note
    return draft


def question_normalize(question: Question) -> None:
    """Keep only the rule that fits the answer type, and the options without blanks or repeats."""
    question.text = (question.text or "").strip()
    question.choices = list(dict.fromkeys(str(c).strip() for c in (question.choices or []) if str(c).strip()))
    question.dissatisfied_answers = list(dict.fromkeys(
        str(a).strip() for a in (question.dissatisfied_answers or []) if str(a).strip()))
    if question.kind != Question.Kind.SCORE:
        question.dissatisfied_below = None
    if question.kind != Question.Kind.CHOICE:
        question.choices = []
    if question.kind in (Question.Kind.SCORE, Question.Kind.TEXT):
        question.dissatisfied_answers = []


def question_validate(question: Question) -> None:
    """The rules of one question, each problem on its field (ValidationError)."""
    errors = {}
    if question.kind == Question.Kind.YES_NO and set(question.dissatisfied_answers) - {YES, NO}:
        errors["dissatisfied_answers"] = _("A yes/no question counts “yes” or “no” as dissatisfied, nothing else.")
    if question.kind == Question.Kind.CHOICE and set(question.dissatisfied_answers) - set(question.choices):
        errors["dissatisfied_answers"] = _("The dissatisfied answers must be among the options: %(missing)s is not.") % {
            "missing": "、".join(a for a in question.dissatisfied_answers if a not in question.choices)}
    try:
        question.full_clean(exclude=["version", "position"])
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_add(*, version: ScriptVersion, text: str, kind: str, factor: str = Factor.OVERALL,
                 choices: list[str] | None = None, required: bool = True, dissatisfied_below: int | None = None,
                 dissatisfied_answers: list[str] | None = None) -> Question:
    """A question at the end of a draft."""
    draft = _require_draft(version)
    count = draft.questions.count()
    if count >= MAX_QUESTIONS:
        raise ValidationError(_("A script has at most %(max)s questions.") % {"max": MAX_QUESTIONS}, code="too_many")
    last = draft.questions.order_by("-position").values_list("position", flat=True).first() or 0
    question = Question(version=draft, position=last + 1, text=text, kind=kind, factor=factor,
                        choices=choices or [], required=required, dissatisfied_below=dissatisfied_below,
                        dissatisfied_answers=dissatisfied_answers or [])
    question_normalize(question)
    question_validate(question)
    question.save()
    return question


QUESTION_FIELDS = ("text", "kind", "factor", "choices", "required", "dissatisfied_below", "dissatisfied_answers")


@transaction.atomic
def question_update(*, question: Question, **changes) -> Question:
    """Change a draft's question (any of QUESTION_FIELDS)."""
    unknown = set(changes) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"question_update() got unknown fields {sorted(unknown)}")
    _require_draft(question.version)
    for name, value in changes.items():
        setattr(question, name, value)
    question_normalize(question)
    question_validate(question)
    question.save(update_fields=list(QUESTION_FIELDS))
    return question


@transaction.atomic
def question_put(*, version: ScriptVersion, position: int, **fields) -> tuple[Question, bool]:
    """The question at this position of a draft, created or changed (the spreadsheet import):
    (question, created)."""
    draft = _require_draft(version)
    question = draft.questions.filter(position=position).first()
    created = question is None
    if created:
        if draft.questions.count() >= MAX_QUESTIONS:
            raise ValidationError(_("A script has at most %(max)s questions.") % {"max": MAX_QUESTIONS})
        if not 1 <= position < _PARKED:
            raise ValidationError({"position": _("The position must be from 1 to %(max)s.") % {"max": _PARKED - 1}})
        question = Question(version=draft, position=position)
    for name, value in fields.items():
        if name not in QUESTION_FIELDS:
            raise TypeError(f"question_put() got unknown field {name}")
        setattr(question, name, value)
    question_normalize(question)
    question_validate(question)
    question.save()
    return question, created


def _renumber(draft: ScriptVersion, ordered: list[Question]) -> None:
    """Give the draft's questions positions 1..n in this order. The positions are unique at every
    moment (the constraint is not deferred), so they are first moved out of the way."""
    draft.questions.update(position=F("position") + _PARKED)
    for number, question in enumerate(ordered, start=1):
        question.position = number
    Question.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Remove a question from a draft; the ones after it move up."""
    draft = _require_draft(question.version)
    Question.objects.filter(pk=question.pk, version=draft).delete()
    _renumber(draft, list(draft.questions.order_by("position")))


@transaction.atomic
def question_move(*, question: Question, up: bool) -> Question:
    """Swap a draft's question with the one before (up) or after it; at either end nothing moves."""
    draft = _require_draft(question.version)
    ordered = list(draft.questions.order_by("position"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(draft, ordered)
        question.position = other + 1
    return question


def draft_problems(*, version: ScriptVersion) -> list[str]:
    """Why this draft cannot be published yet (empty: it can)."""
    questions = list(version.questions.all())
    problems = []
    if not questions:
        problems.append(_("The draft has no questions: add at least one before publishing."))
    for number, question in enumerate(sorted(questions, key=lambda q: q.position), start=1):
        if question.kind == Question.Kind.CHOICE and not question.choices:
            problems.append(_("Question %(number)s is a choice without options: add its options.") % {"number": number})
    return problems


@transaction.atomic
def draft_publish(*, version: ScriptVersion, by, now: datetime) -> ScriptVersion:
    """Publish a draft: new callbacks read it from now on, and the version published until now is
    marked replaced in the same transaction (calls already answered keep pointing at it)."""
    Script.objects.select_for_update().get(pk=version.script_id)
    draft = _require_draft(version)
    problems = draft_problems(version=draft)
    if problems:
        raise ValidationError(problems, code="not_ready")
    ScriptVersion.objects.filter(script_id=draft.script_id, status=ScriptVersion.Status.PUBLISHED).update(
        status=ScriptVersion.Status.RETIRED)
    draft.status, draft.published_at, draft.published_by = ScriptVersion.Status.PUBLISHED, now, by
    draft.save(update_fields=["status", "published_at", "published_by"])
    version.status, version.published_at, version.published_by = draft.status, now, by
    return draft
