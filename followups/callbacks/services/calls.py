"""The agent's calls: taking the next callback, recording each call's outcome, the answers to the
script and their corrections.

Take the next (`callback_take_next`)
    Each press gives one callback to one agent, however many press at once: the candidate rows are
    read with ``SELECT … FOR UPDATE SKIP LOCKED`` (a row another agent is taking is skipped, not
    waited for) and updated in the same transaction. In this order:

    1. the callback the agent is calling already (IN_PROGRESS, theirs): given back, its lease
       renewed — an agent holds one callback at a time, nobody hoards;
    2. callbacks assigned to the agent (by the supervisor, or an earlier call of theirs) that are due;
    3. callbacks whose claim is older than the lease (``CALLBACK_CLAIM_LEASE_MINUTES``, 30): whoever
       took them went away, so they are anyone's again — they have waited longest, so they go first;
    4. unassigned callbacks that are due.

    Within each group: priority (highest first), then due time, then id. "Due" is ``due_at <= now``
    and not expired (``expires_at`` empty or later than now); a callback assigned to another agent
    is never given (unless its claim ran out, 3.). A press is one statement (`TAKE_NEXT_SQL`): an
    UPDATE of the row the first non-empty group gives, each group a subquery locking its first free
    row with SKIP LOCKED (bench/callbacks_claim.py: 674 claims/s for 20 agents). Two presses of one
    agent in the same instant (a double click) could each take a row — the page sends a press once
    (``data-submit-once``), and a second row so taken is anyone's again when its lease runs out; a
    per-agent lock would cost every press another round trip for that. The partial index ``callback_take_next_idx``
    (priority desc, due_at, id, of the OPEN unassigned rows) reads group 4 in this order and stops
    at the first free row; ``callback_claimed_idx`` finds the stale claims.

Each call made (`callback_attempt_record`, `callback_complete`)
    is a `CallAttempt` and counts in ``Callback.attempts`` — attempts are counted when they are
    made, never when the callback is queued, taken or given back. What the outcome does:

    - completed (the script answered): the callback closes COMPLETED;
    - wrong number / refused: it closes WRONG_NUMBER / REFUSED;
    - call back at…: it is due at the time the customer named (in the future, before the expiry);
    - no answer / busy (a *failed* call): see the attempt policy.
    After a call that does not close it, the callback goes back to the queue (OPEN) still assigned
    to the agent (they see it again first), its claim released.

The attempt policy (per callback rule: ``max_attempts`` over ``attempt_days``, default 3 over 3)
    Failed calls are spread over the days: each day takes ``ceil(max_attempts / attempt_days)`` of
    them (one a day by default).
    - While the day's share is not used up, the callback reappears after the outcome rule's minutes
      (no answer 240, busy 30) — the same day at another time — or at the next shift's start when
      that would be past the shift's end (``CALLBACK_SHIFT_END``).
    - Once the day's failed calls reach the share, it reappears the next day, at the time of day of
      this call plus the outcome's minutes (a call at 10:00 unanswered → 14:00 tomorrow → 18:00 the
      day after): each try at another time of day. A time outside the shift becomes the shift's start.
    - When the failed calls reach ``max_attempts`` and were made on at least
      ``min(attempt_days, max_attempts)`` different days, the customer is unreachable: they get the
      rule's text for it (``unreachable_sms_template``, through the SMS platform, once per callback;
      none when the rule has no such text — ``sms_template`` is the no-calls route's), the callback
      closes LOST_CONTACT (reason ``unreachable``) and is on the supervisor's lost-contact list.
      ``Customer.lost_contact_since`` is not set here: one unreached callback does not make the
      customer lost to the store; the supervisor decides from the list.
    - A reappearance never passes the callback's expiry: capped at it, the callback then closes
      EXPIRED with the daily expiry (`services.building.callbacks_expire`).

Who may record a call: the agent holding the callback (IN_PROGRESS, assigned to them), or a user
who supervises the queue (``callbacks.supervise_callback``) on any open callback; anyone else gets
PermissionDenied — here, not only in the views.
"""

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import TimelineEntry
from customers.services import timeline_add
from followups.scripts.models import Question, ScriptVersion

from .building import shift_start
from ..models import Answer, CallAttempt, Callback, CallbackKind, CallbackRule, Outcome, OutcomeRule, ScriptResponse

FAILED_OUTCOMES = (Outcome.NO_ANSWER, Outcome.BUSY)
CLOSING_OUTCOMES = {Outcome.WRONG_NUMBER: Callback.Status.WRONG_NUMBER, Outcome.REFUSED: Callback.Status.REFUSED}
# What the outcome rules say when their rows are missing (the defaults of migration 0002).
DEFAULT_RETRY_MINUTES = {Outcome.NO_ANSWER: 240, Outcome.BUSY: 30}
DEFAULT_MAX_ATTEMPTS, DEFAULT_ATTEMPT_DAYS = 3, 3
UNREACHABLE = "unreachable"  # Callback.close_reason of a lost contact


class CallError(Exception):
    """A call the callback's state does not allow (the message says why, in the user's language)."""


class AnswersInvalid(ValidationError):
    """Some answers do not pass their question's rule: `by_question` maps a question's id to its
    message (in the user's language), so the form shows each next to its question."""

    def __init__(self, by_question: dict[int, str]):
        self.by_question = by_question
        super().__init__(list(by_question.values()))


@dataclass(frozen=True)
class ProblemRaised:
    """A problem the agent raises from one answer while completing the call (or a complaint)."""

    question_id: int
    category: str
    department: str
    description: str
    as_complaint: bool = False


# --- who may record ---------------------------------------------------------------------------------
def supervises(user) -> bool:
    return user.has_perm("callbacks.supervise_callback")


def may_open(user, callback: Callback) -> bool:
    """Who may open a callback's page: an agent theirs or nobody's, the supervisor any."""
    return user.has_perm("callbacks.work_callback") and (
        callback.assigned_to_id in (None, user.pk) or supervises(user))


def holds(user, callback: Callback) -> bool:
    return callback.status == Callback.Status.IN_PROGRESS and callback.assigned_to_id == user.pk


def can_record(user, callback: Callback) -> bool:
    """The agent calling it, or the supervisor on any open callback."""
    if not user.has_perm("callbacks.work_callback"):
        return False
    return holds(user, callback) or (supervises(user) and callback.is_open)


def lease() -> timedelta:
    return timedelta(minutes=settings.CALLBACK_CLAIM_LEASE_MINUTES)


# --- take the next ----------------------------------------------------------------------------------
def _claim(callback: Callback, agent, now: datetime) -> Callback:
    callback.status, callback.assigned_to, callback.claimed_at = Callback.Status.IN_PROGRESS, agent, now
    callback.save(update_fields=["status", "assigned_to", "claimed_at"])
    return callback


# The four groups of the module docstring, each the first free row in the queue's order, locked
# with SKIP LOCKED; COALESCE stops at the first group that has one (PostgreSQL evaluates a scalar
# subquery only when it is reached), and the UPDATE takes it: one statement, one round trip a press.
# SQLite (the embedded default of `make run`) has no row locks: it runs one writing statement at a
# time, so the same UPDATE without the locking clause gives a callback to one agent there too.
_NOT_EXPIRED = "(expires_at IS NULL OR expires_at > %(now)s)"
_GROUPS = (
    "status = 'in_progress' AND assigned_to_id = %(agent)s",
    "status = 'open' AND assigned_to_id = %(agent)s AND due_at <= %(now)s",
    "status = 'in_progress' AND claimed_at < %(stale)s",
    "status = 'open' AND assigned_to_id IS NULL AND due_at <= %(now)s",
)


def take_next_sql(*, skip_locked: bool) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    first_free = ("(SELECT id FROM callbacks_callback WHERE {where} AND " + _NOT_EXPIRED +
                  " ORDER BY priority DESC, due_at, id LIMIT 1" + lock + ")")
    return ("UPDATE callbacks_callback SET status = 'in_progress', assigned_to_id = %(agent)s, claimed_at = %(now)s "
            "WHERE id = COALESCE(" + ", ".join(first_free.format(where=where) for where in _GROUPS) +
            ") RETURNING *")


TAKE_NEXT_SQL = take_next_sql(skip_locked=True)


@transaction.atomic
def callback_take_next(*, agent, now: datetime | None = None) -> Callback | None:
    """The callback the agent calls now, or None when nothing is due for them (module docstring).
    An agent's own IN_PROGRESS callback comes back with its lease renewed."""
    now = now or timezone.now()
    sql = take_next_sql(skip_locked=connection.features.has_select_for_update_skip_locked)
    taken = list(Callback.objects.raw(sql, {"agent": agent.pk, "now": now, "stale": now - lease()}))
    return taken[0] if taken else None


def _locked(callback: Callback) -> Callback:
    return (Callback.objects.select_for_update(of=("self",))
            .select_related("customer", "vehicle", "rule", "problem").get(pk=callback.pk))


@transaction.atomic
def callback_claim(*, callback: Callback, agent, now: datetime | None = None) -> Callback:
    """Take one chosen callback from the queue (the agent opened it from the list): it must be due,
    theirs or nobody's (or its claim ran out), and the agent must not be calling another one."""
    now = now or timezone.now()
    callback = _locked(callback)
    if holds(agent, callback):
        return _claim(callback, agent, now)
    other = Callback.objects.filter(status=Callback.Status.IN_PROGRESS, assigned_to=agent).exclude(pk=callback.pk)
    if other.exists():
        raise CallError(_("You are calling another customer: finish or give back that callback first."))
    stale = callback.status == Callback.Status.IN_PROGRESS and callback.claimed_at and callback.claimed_at < now - lease()
    if not (callback.status == Callback.Status.OPEN or stale):
        raise CallError(_("This callback is not in the queue (it is “%(status)s”).")
                        % {"status": callback.get_status_display()})
    if callback.expires_at is not None and callback.expires_at <= now:
        raise CallError(_("This callback has expired."))
    if callback.due_at > now:
        raise CallError(_("This callback is not due yet."))
    if callback.assigned_to_id not in (None, agent.pk) and not stale and not supervises(agent):
        raise CallError(_("This callback is another agent's."))
    return _claim(callback, agent, now)


@transaction.atomic
def callback_release(*, callback: Callback, agent) -> Callback:
    """Give the callback back without calling: it is anyone's again (no attempt is counted)."""
    callback = _locked(callback)
    if not (holds(agent, callback) or (supervises(agent) and callback.status == Callback.Status.IN_PROGRESS)):
        raise PermissionDenied
    callback.status, callback.assigned_to, callback.claimed_at = Callback.Status.OPEN, None, None
    callback.save(update_fields=["status", "assigned_to", "claimed_at"])
    return callback


# --- calls and outcomes -----------------------------------------------------------------------------
def _timeline(callback: Callback, variant: str, *, by, at: datetime, **params) -> TimelineEntry:
    """The customer's view of a call: codes and numbers, worded when read (followups/callbacks/timeline.py)."""
    return timeline_add(customer=callback.customer, kind=TimelineEntry.Kind.CALLBACK, vehicle=callback.vehicle,
                        source=callback, occurred_at=at, by=by,
                        params={"variant": variant, "callback": callback.pk, "callback_kind": callback.kind, **params})


def _attempt_add(callback: Callback, *, agent, outcome: str, now: datetime, call_back_at=None,
                 note: str = "") -> CallAttempt:
    attempt = CallAttempt.objects.create(callback=callback, agent=agent, made_at=now, outcome=outcome,
                                         call_back_at=call_back_at, note=(note or "").strip()[:500])
    callback.attempts += 1
    callback.first_attempt_at = callback.first_attempt_at or now
    callback.last_attempt_at, callback.last_outcome = now, outcome
    return attempt


def _retry_minutes(outcome: str) -> int:
    rule = OutcomeRule.objects.filter(outcome=outcome).only("retry_after_minutes").first()
    if rule is None or rule.retry_after_minutes is None:
        return DEFAULT_RETRY_MINUTES[outcome]
    return rule.retry_after_minutes


def _shift() -> tuple[time, time]:
    return shift_start(), time.fromisoformat(settings.CALLBACK_SHIFT_END)


def _within_shift(at: datetime, on) -> datetime:
    """`at` if it is on the day `on` within the shift, else that day's shift start."""
    start, end = _shift()
    local = timezone.localtime(at)
    if local.date() == on and start <= local.time() <= end:
        return at
    return datetime.combine(on, start, tzinfo=timezone.get_current_timezone())


def _next_try(*, now: datetime, minutes: int, failed_today: int, per_day: int) -> datetime:
    """When the customer reappears after a failed call (the attempt policy in the module docstring)."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    tomorrow = today + timedelta(days=1)
    if failed_today < per_day:
        later = now + timedelta(minutes=minutes)
        if _within_shift(later, today) == later:
            return later
        return datetime.combine(tomorrow, _shift()[0], tzinfo=tz)
    same_time_later = datetime.combine(tomorrow, timezone.localtime(now).time(), tzinfo=tz) + timedelta(minutes=minutes)
    return _within_shift(same_time_later, tomorrow)


def _policy(rule: CallbackRule | None) -> tuple[int, int]:
    if rule is None:
        return DEFAULT_MAX_ATTEMPTS, DEFAULT_ATTEMPT_DAYS
    return rule.max_attempts, rule.attempt_days


def _unreachable(callback: Callback, *, agent, now: datetime) -> None:
    """The last failed call: the rule's unreachable text (if it has one), then LOST_CONTACT on the
    supervisor's list; the timeline entry says whether an SMS went."""
    from dealer_crm.messaging.services import MessagingError, message_queue

    template = callback.rule.unreachable_sms_template if callback.rule_id else None
    sms = None
    if template is not None:
        try:
            sms = message_queue(customer_id=callback.customer_id, purpose="service",
                                idempotency_key=f"callback-unreachable:{callback.id}", template=template,
                                source=callback, by=agent, now=now)
        except MessagingError:
            # The text is switched off, or this gateway cannot send it (no approved id yet): the
            # call is still recorded and the customer still goes on the lost-contact list, which
            # shows that no SMS went.
            sms = None
    callback.status, callback.closed_at, callback.closed_by = Callback.Status.LOST_CONTACT, now, agent
    callback.close_reason, callback.claimed_at = UNREACHABLE, None
    _timeline(callback, "lost_contact", by=agent, at=now, attempts=callback.attempts,
              sms=bool(sms and sms.message is not None))


@transaction.atomic
def callback_attempt_record(*, callback: Callback, agent, outcome: str, call_back_at: datetime | None = None,
                            note: str = "", now: datetime | None = None) -> CallAttempt:
    """A call made that did not complete the script: its outcome decides when the customer
    reappears, or closes the callback (module docstring: the outcomes and the attempt policy)."""
    now = now or timezone.now()
    callback = _locked(callback)
    if not can_record(agent, callback):
        raise PermissionDenied
    if outcome == Outcome.COMPLETED or outcome not in Outcome.values:
        raise CallError(_("Choose what came of the call."))
    if outcome == Outcome.CALL_BACK:
        if call_back_at is None:
            raise CallError(_("Give the time the customer asked to be called back at."))
        if call_back_at <= now:
            raise CallError(_("The time to call back must be in the future."))
        if callback.expires_at is not None and call_back_at >= callback.expires_at:
            raise CallError(_("The time to call back must be before the callback expires (%(at)s).")
                            % {"at": f"{timezone.localtime(callback.expires_at):%Y-%m-%d %H:%M}"})
    attempt = _attempt_add(callback, agent=agent, outcome=outcome, now=now,
                           call_back_at=call_back_at if outcome == Outcome.CALL_BACK else None, note=note)
    next_at = None
    if outcome in CLOSING_OUTCOMES:
        callback.status, callback.closed_at, callback.closed_by = CLOSING_OUTCOMES[outcome], now, agent
        callback.close_reason, callback.claimed_at = outcome, None
    elif outcome == Outcome.CALL_BACK:
        next_at = call_back_at
    else:
        max_attempts, attempt_days = _policy(callback.rule)
        failed_days = [timezone.localdate(at) for at in CallAttempt.objects.filter(
            callback=callback, outcome__in=FAILED_OUTCOMES).values_list("made_at", flat=True)]
        today = timezone.localdate(now)
        if len(failed_days) >= max_attempts and len(set(failed_days)) >= min(attempt_days, max_attempts):
            _unreachable(callback, agent=agent, now=now)
        else:
            next_at = _next_try(now=now, minutes=_retry_minutes(outcome), failed_today=failed_days.count(today),
                                per_day=math.ceil(max_attempts / attempt_days))
    if next_at is not None:
        if callback.expires_at is not None:
            next_at = min(next_at, callback.expires_at)
        callback.status, callback.due_at, callback.claimed_at = Callback.Status.OPEN, next_at, None
        if callback.assigned_to_id is None:  # the same agent sees it again first
            callback.assigned_to = agent
    callback.save(update_fields=["status", "due_at", "claimed_at", "assigned_to", "attempts", "first_attempt_at",
                                 "last_attempt_at", "last_outcome", "closed_at", "closed_by", "close_reason"])
    if callback.status != Callback.Status.LOST_CONTACT:
        _timeline(callback, "attempt", by=agent, at=now, outcome=outcome, attempts=callback.attempts,
                  at_next=next_at.isoformat() if next_at else None, note=attempt.note[:200])
    return attempt


# --- answers ----------------------------------------------------------------------------------------
def script_kind_of(callback: Callback) -> str:
    return CallbackKind(callback.kind).script_kind


def _version_check(callback: Callback, version: ScriptVersion) -> None:
    if version.script.kind != script_kind_of(callback) or version.status == ScriptVersion.Status.DRAFT:
        raise CallError(_("This script is not the one for this callback: reload the page."))


def _answers_clean(version: ScriptVersion, answers: dict[int, str]) -> list[tuple[Question, int | None, str, bool]]:
    """Every question of the version with its cleaned answer and whether it is dissatisfied;
    AnswersInvalid with a message per question that does not pass."""
    from followups.scripts.services import answer_clean, answer_is_dissatisfied

    cleaned, errors = [], {}
    for question in version.questions.all():
        try:
            score, value = answer_clean(question=question, raw=answers.get(question.pk, ""))
        except ValidationError as exc:
            errors[question.pk] = " ".join(exc.messages)
            continue
        cleaned.append((question, score, value,
                        answer_is_dissatisfied(question=question, score=score, value=value)))
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def _response_add(callback: Callback, *, version: ScriptVersion, cleaned, by, now: datetime, remark: str,
                  attempt: CallAttempt | None = None, corrects: ScriptResponse | None = None,
                  reason: str = "") -> ScriptResponse:
    scores = [score for _q, score, _v, _d in cleaned if score is not None]
    average = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP) if scores else None
    response = ScriptResponse.objects.create(
        callback=callback, version=version, attempt=attempt, answered_at=now, answered_by=by, corrects=corrects,
        correction_reason=reason, average_score=average, dissatisfied=any(d for *_rest, d in cleaned),
        remark=(remark or "").strip())
    Answer.objects.bulk_create([Answer(response=response, question=question, score=score, value=value,
                                       dissatisfied=dissatisfied)
                                for question, score, value, dissatisfied in cleaned])
    return response


def _problems_raise(callback: Callback, response: ScriptResponse, problems, *, by, now: datetime) -> None:
    from .problems import complaint_open, problem_raise

    answers = {answer.question_id: answer for answer in response.answers.all()}
    for raised in problems:
        answer = answers.get(raised.question_id)
        if raised.as_complaint:
            complaint_open(customer=callback.customer, description=raised.description, by=by, callback=callback,
                           answer=answer, vehicle=callback.vehicle, now=now)
        else:
            problem_raise(customer=callback.customer, category=raised.category, department=raised.department,
                          description=raised.description, by=by, vehicle=callback.vehicle, callback=callback,
                          answer=answer, now=now)


@transaction.atomic
def callback_complete(*, callback: Callback, agent, version: ScriptVersion, answers: dict[int, str],
                      remark: str = "", problems: list[ProblemRaised] = (), now: datetime | None = None) -> ScriptResponse:
    """The customer answered the script: the answers (of the version the form showed, even if a
    newer one was published meanwhile), the completed call, the callback closed, the problems the
    agent raised from answers, the timeline; for a second callback, the problem's next step
    (satisfied unless an answer is dissatisfied). Nothing is saved when an answer is invalid."""
    now = now or timezone.now()
    callback = _locked(callback)
    if not can_record(agent, callback):
        raise PermissionDenied
    _version_check(callback, version)
    cleaned = _answers_clean(version, answers)
    attempt = _attempt_add(callback, agent=agent, outcome=Outcome.COMPLETED, now=now)
    response = _response_add(callback, version=version, cleaned=cleaned, by=agent, now=now, remark=remark,
                             attempt=attempt)
    callback.status, callback.closed_at, callback.closed_by, callback.claimed_at = (
        Callback.Status.COMPLETED, now, agent, None)
    callback.save(update_fields=["status", "closed_at", "closed_by", "claimed_at", "attempts", "first_attempt_at",
                                 "last_attempt_at", "last_outcome"])
    _timeline(callback, "completed", by=agent, at=now, response=response.pk,
              average=None if response.average_score is None else str(response.average_score),
              dissatisfied=response.dissatisfied)
    _problems_raise(callback, response, problems, by=agent, now=now)
    if callback.kind == CallbackKind.SECOND and callback.problem_id:
        from .problems import problem_second_callback_answered

        problem_second_callback_answered(callback=callback, satisfied=not response.dissatisfied, by=agent, now=now)
    return response


@transaction.atomic
def response_correct(*, response: ScriptResponse, answers: dict[int, str], reason: str, by,
                     remark: str | None = None, now: datetime | None = None) -> ScriptResponse:
    """A correction: a new response with the same version naming the one it corrects, and why. The
    old response and its answers stay as they were; the newest one counts."""
    now = now or timezone.now()
    if not (by.has_perm("callbacks.work_callback")
            and (supervises(by) or response.answered_by_id == by.pk)):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise CallError(_("Write why the answers are corrected."))
    # Lock the response: two corrections at once would both name it (the one-to-one refuses the second).
    response = ScriptResponse.objects.select_for_update(of=("self",)).select_related(
        "callback__customer", "callback__vehicle", "version").get(pk=response.pk)
    if ScriptResponse.objects.filter(corrects=response).exists():
        raise CallError(_("These answers were corrected already: correct the newest ones."))
    cleaned = _answers_clean(response.version, answers)
    corrected = _response_add(response.callback, version=response.version, cleaned=cleaned, by=by, now=now,
                              remark=response.remark if remark is None else remark, corrects=response,
                              reason=reason[:200])
    _timeline(response.callback, "corrected", by=by, at=now, response=corrected.pk,
              average=None if corrected.average_score is None else str(corrected.average_score),
              dissatisfied=corrected.dissatisfied, reason=reason[:200])
    return corrected
