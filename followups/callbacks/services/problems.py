"""Problems (反馈问题) routed to a department until the customer is satisfied, and their second
callbacks (二次回访).

The life of a problem, every step a `ProblemStep` and an entry on the customer's timeline:

    raised ──► OPEN ──fix──► FIXED ──second callback: satisfied──► SATISFIED
                 ▲                          │
                 └──── dissatisfied: round + 1, a new deadline ◄┘
    OPEN / FIXED ──the DCRC supervisor, with a reason──► CLOSED

Deadlines are plain hours from when the problem lands in a department (`PROBLEM_DEADLINE_HOURS`,
default 48, nights and weekends included): a problem is a promise to the customer that someone
calls back within two days. Working hours and China's holidays (chinese-calendar) come with the
complaints, whose deadlines by severity are counted that way where the store chooses.

Who does what is decided here, not only in the views, so that a task or a command cannot skip it:
the department's manager (`ROUTING`) or the DCRC supervisor records the fix; only the supervisor
closes without the customer's satisfaction.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, TimelineEntry, Vehicle
from customers.services import timeline_add
from dealer_crm.accounts.roles import Role

from .building import callback_window
from ..models import Answer, Callback, CallbackKind, CallbackRule, Department, Problem, ProblemStep


class ProblemError(Exception):
    """A step the problem's state does not allow (the message says why, in the user's language)."""


# Whose inbox a department's problems land in: the role that manages the department. The DCRC
# supervisor sees every department's problems (and may record a fix for any of them); a user with
# several roles sees the departments of each.
ROUTING: dict[str, Role] = {
    Department.SALES: Role.SALES_MANAGER,
    Department.SERVICE: Role.SERVICE_MANAGER,
    Department.PARTS: Role.SERVICE_MANAGER,
    Department.FINANCE: Role.GENERAL_MANAGER,
    Department.OTHER: Role.DCRC_SUPERVISOR,
}

# A second callback when no rule for it exists yet: due the day after the fix, open for a week.
SECOND_DUE_DAYS = 1
SECOND_EXPIRES_DAYS = 7


def sees_every_department(user) -> bool:
    return user.is_superuser or user.has_role(Role.DCRC_SUPERVISOR)


def lists_every_department(user) -> bool:
    """Whose problem lists hold every department's: the DCRC (the supervisor, the agents who raise
    them and make the second callbacks)."""
    return sees_every_department(user) or user.has_perm("callbacks.work_callback")


def reads_every_department(user) -> bool:
    """Who may open any department's problem: the DCRC, and the general manager, whose dashboards
    list them all (the general manager's inbox still holds only the departments routed to them)."""
    return lists_every_department(user) or user.has_role(Role.GENERAL_MANAGER)


def may_read(user, problem) -> bool:
    """Whether the user may open this problem's page."""
    return user.has_perm("callbacks.view_problem") and (
        reads_every_department(user) or problem.department in departments_of(user))


def departments_of(user) -> set[str]:
    """The departments whose problems are in the user's inbox."""
    if sees_every_department(user):
        return set(Department.values)
    return {department for department, role in ROUTING.items() if user.has_role(role)}


def can_fix(user, problem: Problem) -> bool:
    return problem.department in departments_of(user) and (
        sees_every_department(user) or user.has_perm("callbacks.fix_problem"))


def can_close(user) -> bool:
    return user.has_perm("callbacks.close_problem")


def can_reassign(user, problem: Problem) -> bool:
    """The supervisor moves any problem; a department's manager passes on one that is not theirs."""
    return can_close(user) or can_fix(user, problem)


def deadline_from(start: datetime) -> datetime:
    return start + timedelta(hours=settings.PROBLEM_DEADLINE_HOURS)


def _step(problem: Problem, action: str, *, by, at: datetime, note: str = "") -> ProblemStep:
    return ProblemStep.objects.create(problem=problem, action=action, by=by, at=at, note=note)


def _timeline(problem: Problem, variant: str, *, by, at: datetime, **params) -> TimelineEntry:
    """The customer's view of a step: codes and the words people wrote, worded when read
    (followups/callbacks/problem_timeline.py)."""
    return timeline_add(
        customer=problem.customer, kind=TimelineEntry.Kind.PROBLEM, vehicle=problem.vehicle, source=problem,
        occurred_at=at, by=by,
        params={"variant": variant, "problem": problem.pk, "category": problem.category,
                "department": problem.department, "round": problem.round, **params},
    )


def _locked(problem: Problem) -> Problem:
    """The problem's row, locked until the transaction ends: two clicks, or two managers, take
    turns, and the second sees what the first did."""
    return Problem.objects.select_for_update(of=("self",)).select_related("customer", "vehicle").get(pk=problem.pk)


def _clean_text(value: str, *, required_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ProblemError(required_message)
    return value


@transaction.atomic
def problem_raise(
    *,
    customer: Customer,
    category: str,
    department: str,
    description: str,
    by,
    vehicle: Vehicle | None = None,
    callback: Callback | None = None,
    answer: Answer | None = None,
    now: datetime | None = None,
) -> Problem:
    """A problem the customer raised, in the department's inbox with its deadline. (A complaint is
    the complaints app's record, `complaint_open`: `Problem.is_complaint` and the ESCALATED step are
    kept for the problems escalated before it, and set by nothing now.)"""
    now = now or timezone.now()
    if category not in Problem.Category.values:
        raise ProblemError(_("Choose the problem's category."))
    if department not in Department.values:
        raise ProblemError(_("Choose the department responsible."))
    description = _clean_text(description, required_message=_("Write what the customer said."))
    if vehicle is not None and vehicle.pk and not vehicle.roles.filter(customer=customer).exists():
        raise ProblemError(_("The vehicle is not one of this customer's."))
    if callback is not None and callback.customer_id != customer.pk:
        raise ProblemError(_("The callback is not this customer's."))
    if answer is not None:
        answered_in = answer.response.callback
        if callback is None:
            callback = answered_in
        if answered_in.pk != callback.pk or answered_in.customer_id != customer.pk:
            raise ProblemError(_("The answer is not from this customer's callback."))
    if vehicle is None and callback is not None:
        vehicle = callback.vehicle
    problem = Problem(
        customer=customer, vehicle=vehicle, callback=callback, answer=answer, category=category,
        department=department, description=description, round=1,
        status=Problem.Status.OPEN, raised_at=now, raised_by=by, deadline_at=deadline_from(now),
    )
    problem.full_clean()
    problem.save()
    _step(problem, ProblemStep.Action.RAISED, by=by, at=now)
    _timeline(problem, "raised", by=by, at=now, description=description[:500],
              callback=callback.pk if callback else None)
    return problem


# Who turns what a customer said into a complaint: the complaints app registers its own from its
# AppConfig.ready() (it sits above the callback centre, which imports nothing of it).
_complaint_opener = None


def complaint_opener_register(opener) -> None:
    global _complaint_opener
    _complaint_opener = opener


def complaint_open(
    *,
    customer: Customer,
    description: str,
    by,
    callback: Callback | None = None,
    answer: Answer | None = None,
    vehicle: Vehicle | None = None,
    now: datetime | None = None,
):
    """Escalate what a customer said to a complaint (the agent's one click on a low score): the
    registered opener's complaint (followups.complaints: `complaint_from_callback`, a `Complaint`
    of channel callback with the callback and the answer). An installation without an opener is
    misconfigured: the complaints app is what 转投诉 files into."""
    if _complaint_opener is None:
        raise ImproperlyConfigured("No complaint opener is registered: install followups.complaints, whose "
                                   "ComplaintsConfig.ready() registers it (complaint_opener_register).")
    return _complaint_opener(customer=customer, description=description, by=by, callback=callback,
                             answer=answer, vehicle=vehicle, now=now)


def second_callback_source_key(problem: Problem) -> str:
    return f"problem:{problem.pk}:{problem.round}"


def _second_callback_dates(rule: CallbackRule | None, fixed_at: datetime) -> tuple[datetime, datetime]:
    """Due on the rule's first day after the fix at the shift's start; expires at the end of the
    rule's expiry day (counted like the due days from the fix's date)."""
    due_days = SECOND_DUE_DAYS
    expires_days = SECOND_EXPIRES_DAYS
    if rule is not None:
        due_days = min((int(day) for day in rule.due_days or [] if int(day) >= 0), default=SECOND_DUE_DAYS)
        expires_days = max(rule.expires_after_days, due_days)
    due_at, expires_at = callback_window(source_on=timezone.localtime(fixed_at).date(), due_day=due_days,
                                         expires_day=expires_days)
    if due_at < fixed_at:  # a rule of day 0 fixed after the shift started: due at once
        due_at = fixed_at
    return due_at, max(expires_at, due_at)


def _second_callback_create(problem: Problem, *, now: datetime) -> Callback:
    """The second callback of the problem's round: get-or-create on the database's one-per-source
    constraint, so a repeated call never queues two."""
    rule = CallbackRule.objects.filter(kind=CallbackKind.SECOND, visit_kind="").first()
    if rule is not None and not rule.enabled:
        rule = None  # the second callback is the loop's next step: it is never switched off
    due_at, expires_at = _second_callback_dates(rule, now)
    callback, _created = Callback.objects.get_or_create(
        customer=problem.customer, vehicle=problem.vehicle, kind=CallbackKind.SECOND,
        source_key=second_callback_source_key(problem),
        defaults={
            "problem": problem, "rule": rule, "priority": rule.priority if rule else 0,
            "due_at": due_at, "expires_at": expires_at, "created_on": timezone.localdate(now),
        },
    )
    return callback


@transaction.atomic
def problem_fix(*, problem: Problem, cause: str, fix: str, by, now: datetime | None = None) -> Problem:
    """The department records why it happened and what it did; the second callback asks the
    customer whether that satisfies them."""
    now = now or timezone.now()
    problem = _locked(problem)
    if not can_fix(by, problem):
        raise PermissionDenied
    if problem.status != Problem.Status.OPEN:
        raise ProblemError(_("This problem is not waiting for a fix (it is “%(status)s”).")
                           % {"status": problem.get_status_display()})
    problem.cause = _clean_text(cause, required_message=_("Write the cause."))
    problem.fix = _clean_text(fix, required_message=_("Write what was done."))
    problem.fixed_at, problem.fixed_by, problem.status = now, by, Problem.Status.FIXED
    problem.save(update_fields=["cause", "fix", "fixed_at", "fixed_by", "status"])
    _step(problem, ProblemStep.Action.FIXED, by=by, at=now, note=problem.fix)
    _timeline(problem, "fixed", by=by, at=now, cause=problem.cause[:500], fix=problem.fix[:500])
    _second_callback_create(problem, now=now)
    return problem


def round_of(callback: Callback) -> int | None:
    try:
        return int(callback.source_key.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


@transaction.atomic
def problem_second_callback_answered(*, callback: Callback, satisfied: bool, by, now: datetime | None = None) -> Problem:
    """The workbench completed a second callback: satisfied closes the problem; dissatisfied opens
    the next round, back in the department's inbox with a new deadline.

    An answer that comes after the problem moved on (the supervisor closed it during the call, or
    this round was answered already) changes nothing: the problem is returned as it is, so that the
    call and the customer's answers, which the caller records, are not lost with it."""
    now = now or timezone.now()
    if callback.kind != CallbackKind.SECOND or callback.problem_id is None:
        raise ProblemError(_("This callback does not follow up a problem."))
    problem = _locked(callback.problem)
    if problem.status != Problem.Status.FIXED or round_of(callback) != problem.round:
        return problem
    if satisfied:
        problem.status, problem.closed_at, problem.closed_by = Problem.Status.SATISFIED, now, by
        problem.save(update_fields=["status", "closed_at", "closed_by"])
        _step(problem, ProblemStep.Action.CONFIRMED, by=by, at=now)
        _timeline(problem, "confirmed", by=by, at=now)
        return problem
    problem.round += 1
    problem.status, problem.deadline_at = Problem.Status.OPEN, deadline_from(now)
    # The last round's cause and fix stay on the problem (the form starts from them) and in the log.
    problem.save(update_fields=["round", "status", "deadline_at"])
    _step(problem, ProblemStep.Action.REOPENED, by=by, at=now)
    _timeline(problem, "reopened", by=by, at=now)
    return problem


@transaction.atomic
def problem_close(*, problem: Problem, reason: str, by, now: datetime | None = None) -> Problem:
    """The DCRC supervisor closes a problem the customer will not be satisfied with (or that
    needs nothing more), with the reason; a second callback still queued for it is cancelled."""
    now = now or timezone.now()
    if not can_close(by):
        raise PermissionDenied
    problem = _locked(problem)
    reason = _clean_text(reason, required_message=_("Write why the problem is closed."))
    if not problem.is_open:
        raise ProblemError(_("This problem is closed already."))
    problem.status, problem.closed_at, problem.closed_by = Problem.Status.CLOSED, now, by
    problem.close_reason = reason[:200]
    problem.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    Callback.objects.filter(problem=problem, status__in=Callback.OPEN_STATUSES).update(
        status=Callback.Status.CANCELLED, closed_at=now, closed_by=by, close_reason="problem_closed")
    _step(problem, ProblemStep.Action.CLOSED, by=by, at=now, note=problem.close_reason)
    _timeline(problem, "closed", by=by, at=now, reason=problem.close_reason)
    return problem


@transaction.atomic
def problem_reassign(*, problem: Problem, department: str, by, note: str, now: datetime | None = None) -> Problem:
    """Move an open problem to the department that can fix it; the new department gets the full
    deadline from now."""
    now = now or timezone.now()
    problem = _locked(problem)
    if not can_reassign(by, problem):
        raise PermissionDenied
    if problem.status != Problem.Status.OPEN:
        raise ProblemError(_("Only a problem waiting for a fix moves to another department."))
    if department not in Department.values:
        raise ProblemError(_("Choose the department responsible."))
    if department == problem.department:
        raise ProblemError(_("The problem is with this department already."))
    note = _clean_text(note, required_message=_("Write why the problem moves."))
    moved_from = problem.department
    problem.department, problem.deadline_at = department, deadline_from(now)
    problem.save(update_fields=["department", "deadline_at"])
    _step(problem, ProblemStep.Action.REASSIGNED, by=by, at=now, note=note)
    _timeline(problem, "reassigned", by=by, at=now, moved_from=moved_from, note=note[:500])
    return problem
