"""The complaint's workflow: one table of allowed moves, each move a `ComplaintStep` and an entry on
the customer's timeline.

    register ──► REGISTERED ──contact──► CONTACTED ──investigate──► INVESTIGATING ──visit──► VISITED
                                                                          │                  │
                                                                          └──agree──► AGREED ◄┘
    AGREED ──solve──► SOLVED ──follow_up──► FOLLOWED_UP ──confirm──► SATISFIED ──close (case analysis)──► CLOSED
    AGREED … CLOSED ──reopen (the customer is not satisfied): round + 1, a new solution deadline──► INVESTIGATING

The first-contact deadline counts from the registration; the solution deadline from the
registration, or from the reopening in a later round; the follow-up is due `COMPLAINT_FOLLOW_UP_DAYS`
(7) calendar days after the solution. The deadlines are on the severity's clock (working hours of the
store's calendar, or calendar hours). While the store waits for the customer the clock is paused;
resuming moves the solution deadline on by the clock's time that passed. Who may act is decided here
(`can_act`, `can_supervise`), so a task, the admin or a command cannot skip it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, TimelineEntry, Vehicle
from customers.services import timeline_add
from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Answer, Callback, CallbackKind, Department, Problem
from followups.callbacks.services.problems import ROUTING, ProblemError

from .clock import StoreClock
from .models import CaseAnalysis, Complaint, ComplaintStep, ImprovementPlan, Severity, StoreDay

S = Complaint.Status
A = ComplaintStep.Action


class ComplaintError(ProblemError):
    """A step the complaint's state or the input does not allow (the message says why, in the user's
    language). A kind of the callback centre's ProblemError, so that the workbench's 转投诉, which
    knows only that, shows it as it shows a problem's refusal."""


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str
    # What the person must write for this move (the apology, the visit report, the solution...).
    note_required: str = ""  # a lazy translation


# THE place that says which moves are allowed. A move not listed from the complaint's state is refused.
LATER = frozenset({S.AGREED, S.SOLVED, S.FOLLOWED_UP, S.SATISFIED, S.CLOSED})
TRANSITIONS: dict[str, Move] = {move.action: move for move in [
    Move(A.CONTACTED, frozenset({S.REGISTERED}), S.CONTACTED, gettext_lazy("Write what was said at the first contact (the apology).")),
    Move(A.INVESTIGATING, frozenset({S.CONTACTED}), S.INVESTIGATING),
    Move(A.VISITED, frozenset({S.INVESTIGATING}), S.VISITED, gettext_lazy("Write the visit report.")),
    Move(A.AGREED, frozenset({S.INVESTIGATING, S.VISITED}), S.AGREED, gettext_lazy("Write the solution agreed with the customer.")),
    Move(A.SOLVED, frozenset({S.AGREED}), S.SOLVED, gettext_lazy("Write what was done.")),
    Move(A.FOLLOWED_UP, frozenset({S.SOLVED}), S.FOLLOWED_UP, gettext_lazy("Write what the customer said at the follow-up.")),
    Move(A.SATISFIED, frozenset({S.FOLLOWED_UP}), S.SATISFIED),
    Move(A.CLOSED, frozenset({S.SATISFIED}), S.CLOSED),
    Move(A.REOPENED, LATER, S.INVESTIGATING, gettext_lazy("Write what the customer is not satisfied with.")),
]}
# While the store waits for the customer (a document, a date for the visit), the clock may stop.
PAUSABLE = frozenset({S.CONTACTED, S.INVESTIGATING, S.VISITED, S.AGREED})
# Before the solution the solution deadline runs; after it, the follow-up's.
SOLVING = frozenset({S.REGISTERED, S.CONTACTED, S.INVESTIGATING, S.VISITED, S.AGREED})


def allowed_moves(complaint: Complaint) -> list[str]:
    """The moves the complaint's state allows now, in the order of the workflow."""
    return [action for action, move in TRANSITIONS.items() if complaint.status in move.sources]


# --- who may act ---------------------------------------------------------------------------------
def can_supervise(user) -> bool:
    return user.has_perm("complaints.supervise_complaint")


def can_act(user, complaint: Complaint) -> bool:
    """The complaint's owner, or the DCRC supervisor on any complaint."""
    return can_supervise(user) or (complaint.owner_id == user.pk and user.has_perm("complaints.handle_complaint"))


def can_register(user) -> bool:
    return user.has_perm("complaints.add_complaint")


def manager_role(department: str) -> Role:
    """Whose desk a department's complaint escalates to once its deadline passes (the same routing
    as the callback centre's problems)."""
    return ROUTING.get(department, Role.DCRC_SUPERVISOR)


# --- the clock -----------------------------------------------------------------------------------
def store_days() -> dict:
    return dict(StoreDay.objects.values_list("day", "is_workday"))


def clock_for(severity: Severity, *, overrides: dict | None = None) -> StoreClock:
    return StoreClock(working=severity.clock == Severity.Clock.WORKING,
                      overrides=store_days() if overrides is None else overrides)


def follow_up_due(solved_at: datetime) -> datetime:
    return solved_at + timedelta(days=settings.COMPLAINT_FOLLOW_UP_DAYS)


def default_severity() -> Severity:
    severity = Severity.objects.filter(active=True).order_by("rank", "code").first()
    if severity is None:
        raise ComplaintError(_("No complaint severity is in use: the supervisor sets them up first."))
    return severity


# --- registering ---------------------------------------------------------------------------------
@transaction.atomic
def complaint_register(
    *,
    customer: Customer,
    channel: str,
    category: str,
    description: str,
    department: str,
    by,
    severity: Severity | None = None,
    vehicle: Vehicle | None = None,
    person_concerned: str = "",
    owner=None,
    callback: Callback | None = None,
    answer: Answer | None = None,
    problem: Problem | None = None,
    now: datetime | None = None,
) -> Complaint:
    """A complaint from any channel, with its deadlines on its severity's clock. From an answer or
    a problem already escalated, the complaint that exists is returned (one per answer, one per
    problem: a double click or two agents make one)."""
    now = now or timezone.now()
    if answer is not None:
        if answer.response.callback.customer_id != customer.pk or (
                callback is not None and answer.response.callback_id != callback.pk):
            raise ComplaintError(_("The answer is not from this customer's callback."))
        callback = answer.response.callback  # the answer's call is where the complaint was raised
    if callback is not None and callback.customer_id != customer.pk:
        raise ComplaintError(_("The callback is not this customer's."))
    if problem is not None and problem.customer_id != customer.pk:
        raise ComplaintError(_("The problem is not this customer's."))
    # A second click (or a second agent) gets the complaint the first made, whatever else it sends
    # and even if the severity it named has since gone out of use.
    existing = _existing(answer=answer, problem=problem)
    if existing is not None:
        return existing
    if channel not in Complaint.Channel.values:
        raise ComplaintError(_("Choose how the complaint came in."))
    if category not in Complaint.Category.values:
        raise ComplaintError(_("Choose the complaint's category."))
    if department not in Department.values:
        raise ComplaintError(_("Choose the department concerned."))
    description = _text(description, _("Write what the customer complains of."))
    severity = severity or default_severity()
    if not severity.active:
        raise ComplaintError(_("This severity is no longer in use."))
    if vehicle is not None and not vehicle.roles.filter(customer=customer).exists():
        raise ComplaintError(_("The vehicle is not one of this customer's."))
    if owner is not None and not owner.has_perm("complaints.handle_complaint"):
        raise ComplaintError(_("%(name)s cannot handle complaints.") % {"name": owner})
    clock = clock_for(severity)
    complaint = Complaint(
        customer=customer, vehicle=vehicle or (callback.vehicle if callback else None) or (problem.vehicle if problem else None),
        channel=channel, category=category, severity=severity, description=description, department=department,
        person_concerned=(person_concerned or "").strip()[:50], owner=owner, status=S.REGISTERED,
        callback=callback, answer=answer, problem=problem, registered_at=now, registered_by=by,
        contact_due_at=clock.add(now, severity.first_contact_hours), solve_due_at=clock.add(now, severity.solve_hours),
    )
    complaint.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            complaint.save()
    except IntegrityError:  # the same answer or problem escalated at the same moment by someone else
        existing = _existing(answer=answer, problem=problem)
        if existing is None:
            raise
        return existing
    _step(complaint, A.REGISTERED, by=by, at=now, to_status=S.REGISTERED, note=description,
          params={"channel": channel, "severity": severity.code})
    if owner is not None:
        _step(complaint, A.ASSIGNED, by=by, at=now, params={"owner": owner.pk, "owner_name": str(owner)})
    _timeline(complaint, "registered", by=by, at=now, description=description[:500])
    return complaint


def _existing(*, answer: Answer | None, problem: Problem | None) -> Complaint | None:
    if answer is not None:
        found = Complaint.objects.filter(answer=answer).first()
        if found is not None:
            return found
    if problem is not None:
        return Complaint.objects.filter(problem=problem).first()
    return None


def complaint_from_callback(
    *,
    customer: Customer,
    description: str,
    by,
    callback: Callback | None = None,
    answer: Answer | None = None,
    vehicle: Vehicle | None = None,
    now: datetime | None = None,
) -> Complaint:
    """The agent's one click on a low score (转投诉): a complaint of the default severity, to the
    department the call was about: sales (a sales promise) after a thank-you or SSI call, repair
    quality for after-sales after a CSI call, the problem's department and category after its second
    callback, after-sales service quality otherwise; unassigned, for the supervisor. The call is the
    answer's when only the answer is given."""
    if callback is None and answer is not None:
        callback = answer.response.callback
    department, category = Department.SERVICE, Complaint.Category.SERVICE
    if callback is not None:
        if callback.kind == CallbackKind.CSI:
            category = Complaint.Category.REPAIR
        elif callback.kind in (CallbackKind.SSI, CallbackKind.THANK_YOU):
            department, category = Department.SALES, Complaint.Category.SALES_PROMISE
        elif callback.kind == CallbackKind.SECOND and callback.problem_id:
            department, category = callback.problem.department, _category_of(callback.problem)
    return complaint_register(customer=customer, channel=Complaint.Channel.CALLBACK, category=category,
                              description=description, department=department, by=by, callback=callback,
                              answer=answer, vehicle=vehicle, now=now)


# A problem's category as a complaint's (the problems' list is longer: the rest are "other").
PROBLEM_CATEGORY = {
    Problem.Category.REPAIR: Complaint.Category.REPAIR, Problem.Category.STAFF: Complaint.Category.ATTITUDE,
    Problem.Category.WAITING: Complaint.Category.WAITING, Problem.Category.PRICE: Complaint.Category.PRICE,
    Problem.Category.PARTS: Complaint.Category.PARTS,
}


def _category_of(problem: Problem) -> str:
    return PROBLEM_CATEGORY.get(problem.category, Complaint.Category.OTHER)


def complaint_from_problem(*, problem: Problem, by, severity: Severity | None = None,
                           now: datetime | None = None) -> Complaint:
    """A problem the department could not settle, escalated to a complaint (once per problem)."""
    return complaint_register(customer=problem.customer, channel=Complaint.Channel.CALLBACK,
                              category=_category_of(problem), description=problem.description,
                              department=problem.department, by=by, severity=severity, vehicle=problem.vehicle,
                              callback=problem.callback, problem=problem, now=now)


# --- the supervisor's acts -------------------------------------------------------------------------
@transaction.atomic
def complaint_assign(*, complaint: Complaint, owner, by, note: str = "", now: datetime | None = None) -> Complaint:
    now = now or timezone.now()
    if not can_supervise(by):
        raise PermissionDenied
    complaint = _locked(complaint)
    if not complaint.is_open:
        raise ComplaintError(_("The complaint is closed."))
    if not owner.is_active or not owner.has_perm("complaints.handle_complaint"):
        raise ComplaintError(_("%(name)s cannot handle complaints.") % {"name": owner})
    if complaint.owner_id == owner.pk:
        raise ComplaintError(_("%(name)s already handles this complaint.") % {"name": owner})
    complaint.owner = owner
    complaint.save(update_fields=["owner"])
    _step(complaint, A.ASSIGNED, by=by, at=now, note=(note or "").strip(),
          params={"owner": owner.pk, "owner_name": str(owner)})
    _timeline(complaint, "assigned", by=by, at=now, owner=str(owner))
    return complaint


@transaction.atomic
def complaint_reclassify(*, complaint: Complaint, severity: Severity, by, note: str,
                         now: datetime | None = None) -> Complaint:
    """Another severity: the deadlines of the running round are computed again on its clock, from the
    round's start, with the round's ended pauses added back. A pause still running is not: the
    resume adds it (counting it here too would add it twice)."""
    now = now or timezone.now()
    if not can_supervise(by):
        raise PermissionDenied
    complaint = _locked(complaint)
    if not complaint.is_open:
        raise ComplaintError(_("The complaint is closed."))
    if not severity.active:
        raise ComplaintError(_("This severity is no longer in use."))
    if severity.pk == complaint.severity_id:
        raise ComplaintError(_("The complaint already has this severity."))
    note = _text(note, _("Write why the severity changes."))
    old = complaint.severity
    clock = clock_for(severity)
    round_start = complaint.registered_at
    if complaint.round > 1:
        round_start = complaint.steps.filter(action=A.REOPENED).latest("at", "id").at
    paused = _paused_time(complaint, clock=clock, since=round_start)
    complaint.severity = severity
    complaint.contact_due_at = clock.add(complaint.registered_at, severity.first_contact_hours)
    complaint.solve_due_at = max(clock.add(clock.add(round_start, severity.solve_hours), _hours(paused)),
                                 complaint.contact_due_at)
    complaint.save(update_fields=["severity", "contact_due_at", "solve_due_at"])
    _step(complaint, A.RECLASSIFIED, by=by, at=now, note=note, params={"from": old.code, "to": severity.code})
    return complaint


# --- the workflow ----------------------------------------------------------------------------------
@transaction.atomic
def complaint_move(*, complaint: Complaint, action: str, by, note: str = "", solution: str = "",
                   cost: Decimal | None = None, now: datetime | None = None) -> Complaint:
    """One move of the workflow (`TRANSITIONS`), by the complaint's owner or the supervisor. A move
    while the clock is paused resumes it first. Closing needs the case analysis written."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_act(by, complaint):
        raise PermissionDenied
    move = TRANSITIONS.get(action)
    if move is None:
        raise ComplaintError(_("Unknown step."))
    if complaint.status not in move.sources:
        raise ComplaintError(_("A complaint that is “%(status)s” cannot be moved to “%(action)s”.") % {
            "status": complaint.get_status_display(), "action": A(action).label})
    note, solution = (note or "").strip(), (solution or "").strip()
    if move.note_required and not note and not (action == A.AGREED and solution):
        raise ComplaintError(str(move.note_required))
    if cost is not None and cost < 0:
        raise ComplaintError(_("The cost cannot be negative."))
    if action == A.CLOSED and not CaseAnalysis.objects.filter(complaint=complaint).exists():
        raise ComplaintError(_("Write the case analysis before closing the complaint."))
    if complaint.paused_at is not None:
        _resume(complaint, by=by, now=now)
    fields = ["status"]
    if action == A.CONTACTED:
        complaint.contacted_at, fields = now, fields + ["contacted_at"]
    elif action == A.AGREED:
        complaint.solution = solution or note
        complaint.cost = cost
        fields += ["solution", "cost"]
    elif action == A.SOLVED:
        complaint.solved_at, complaint.follow_up_due_at = now, follow_up_due(now)
        fields += ["solved_at", "follow_up_due_at"]
    elif action == A.SATISFIED:
        complaint.satisfied_at, fields = now, fields + ["satisfied_at"]
    elif action == A.CLOSED:
        complaint.closed_at, fields = now, fields + ["closed_at"]
    elif action == A.REOPENED:
        complaint.round += 1
        complaint.solve_due_at = max(clock_for(complaint.severity).add(now, complaint.severity.solve_hours),
                                     complaint.contact_due_at)
        complaint.solved_at = complaint.satisfied_at = complaint.closed_at = complaint.follow_up_due_at = None
        fields += ["round", "solve_due_at", "solved_at", "satisfied_at", "closed_at", "follow_up_due_at"]
    from_status = complaint.status
    complaint.status = move.target
    complaint.save(update_fields=fields)
    said = (solution or note) if action == A.AGREED else note
    _step(complaint, action, by=by, at=now, from_status=from_status, to_status=move.target, note=said, cost=cost)
    _timeline(complaint, action, by=by, at=now, note=said[:500], **({"cost": str(cost)} if cost is not None else {}))
    return complaint


@transaction.atomic
def complaint_pause(*, complaint: Complaint, by, note: str, now: datetime | None = None) -> Complaint:
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_act(by, complaint):
        raise PermissionDenied
    if complaint.paused_at is not None:
        raise ComplaintError(_("The clock is already paused."))
    if complaint.status not in PAUSABLE:
        raise ComplaintError(_("The clock can be paused only after the first contact and before the solution."))
    note = _text(note, _("Write what the store is waiting for from the customer."))
    complaint.paused_at = now
    complaint.save(update_fields=["paused_at"])
    _step(complaint, A.PAUSED, by=by, at=now, note=note)
    return complaint


@transaction.atomic
def complaint_resume(*, complaint: Complaint, by, note: str = "", now: datetime | None = None) -> Complaint:
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_act(by, complaint):
        raise PermissionDenied
    if complaint.paused_at is None:
        raise ComplaintError(_("The clock is not paused."))
    _resume(complaint, by=by, now=now, note=(note or "").strip())
    return complaint


def _resume(complaint: Complaint, *, by, now: datetime, note: str = "") -> None:
    """The solution deadline moves on by the clock's time the pause lasted (a pause over a weekend
    on the working clock moves it by the working hours of Friday evening and Monday morning only)."""
    clock = clock_for(complaint.severity)
    paused = clock.between(complaint.paused_at, now)
    complaint.solve_due_at = clock.add(complaint.solve_due_at, _hours(paused))
    complaint.paused_at = None
    complaint.save(update_fields=["solve_due_at", "paused_at"])
    _step(complaint, A.RESUMED, by=by, at=now, note=note, params={"paused_seconds": int(paused.total_seconds())})


@transaction.atomic
def complaint_note(*, complaint: Complaint, by, note: str, now: datetime | None = None) -> ComplaintStep:
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_act(by, complaint):
        raise PermissionDenied
    return _step(complaint, A.NOTE, by=by, at=now, note=_text(note, _("Write the note.")))


# --- case analysis and improvement plans ------------------------------------------------------------
@dataclass(frozen=True)
class PlanInput:
    action: str
    department: str
    owner: object
    due_on: object


@transaction.atomic
def analysis_write(*, complaint: Complaint, root_cause: str, root_cause_text: str, by, lesson: str = "",
                   shared: bool = False, plans: list[PlanInput] | tuple = (), now: datetime | None = None) -> CaseAnalysis:
    """The case analysis (written or corrected until the complaint closes) and its new plans."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_act(by, complaint):
        raise PermissionDenied
    if complaint.status == S.CLOSED:
        raise ComplaintError(_("The complaint is closed: its case analysis is final."))
    if root_cause not in CaseAnalysis.RootCause.values:
        raise ComplaintError(_("Choose the root cause."))
    text = _text(root_cause_text, _("Write what went wrong."))
    analysis, _created = CaseAnalysis.objects.update_or_create(
        complaint=complaint, defaults={"root_cause": root_cause, "root_cause_text": text,
                                       "lesson": (lesson or "").strip(), "shared": shared,
                                       "written_at": now, "written_by": by})
    for plan in plans:
        plan_add(analysis=analysis, action=plan.action, department=plan.department, owner=plan.owner,
                 due_on=plan.due_on, by=by, now=now)
    if not analysis.plans.exists():
        raise ComplaintError(_("Add at least one improvement plan, with its owner and due date."))
    return analysis


def plan_add(*, analysis: CaseAnalysis, action: str, department: str, owner, due_on, by,
             now: datetime | None = None) -> ImprovementPlan:
    """One more improvement plan of the case analysis, by whoever may act on the complaint, until
    it closes."""
    now = now or timezone.now()
    complaint = analysis.complaint
    if not can_act(by, complaint):
        raise PermissionDenied
    if complaint.status == S.CLOSED:
        raise ComplaintError(_("The complaint is closed: its case analysis is final."))
    action = _text(action, _("Write the improvement."))
    if department not in Department.values:
        raise ComplaintError(_("Choose the department of the improvement."))
    if owner is None:
        raise ComplaintError(_("Choose who carries out the improvement."))
    if not owner.is_active:
        raise ComplaintError(_("%(name)s no longer works here.") % {"name": owner})
    if due_on is None:
        raise ComplaintError(_("Give the improvement's due date."))
    if due_on < timezone.localdate(now):
        raise ComplaintError(_("The due date is in the past."))
    return ImprovementPlan.objects.create(analysis=analysis, action=action, department=department, owner=owner,
                                          due_on=due_on)


@transaction.atomic
def plan_done(*, plan: ImprovementPlan, by, note: str, now: datetime | None = None) -> ImprovementPlan:
    """The plan's owner, or the supervisor, records that it was carried out."""
    now = now or timezone.now()
    plan = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if not (can_supervise(by) or plan.owner_id == by.pk):
        raise PermissionDenied
    if plan.done_at is not None:
        raise ComplaintError(_("This improvement is already recorded as done."))
    plan.done_note = _text(note, _("Write what was done."))
    plan.done_at, plan.done_by = now, by
    plan.save(update_fields=["done_note", "done_at", "done_by"])
    return plan


# --- helpers ---------------------------------------------------------------------------------------
def _paused_time(complaint: Complaint, *, clock: StoreClock, since: datetime) -> timedelta:
    """The clock's time of the complaint's pauses that began at `since` or later and have ended
    (a pause still running is the resume's to count)."""
    total, started = timedelta(0), None
    steps = complaint.steps.filter(at__gte=since, action__in=[A.PAUSED, A.RESUMED]).order_by("at", "id")
    for action, at in steps.values_list("action", "at"):
        if action == A.PAUSED:
            started = at
        elif started is not None:
            total += clock.between(started, at)
            started = None
    return total


def _hours(delta: timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / Decimal(3600)


def _text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ComplaintError(message)
    return value


def _locked(complaint: Complaint) -> Complaint:
    """The complaint's row, locked until the transaction ends: two clicks take turns, and the second
    sees what the first did."""
    return Complaint.objects.select_for_update(of=("self",)).select_related(
        "customer", "vehicle", "severity", "owner").get(pk=complaint.pk)


def _step(complaint: Complaint, action: str, *, by, at: datetime, note: str = "", from_status: str = "",
          to_status: str = "", cost: Decimal | None = None, params: dict | None = None) -> ComplaintStep:
    return ComplaintStep.objects.create(complaint=complaint, action=action, by=by, at=at, note=note,
                                        from_status=from_status, to_status=to_status, cost=cost,
                                        params=params or {})


def _timeline(complaint: Complaint, variant: str, *, by, at: datetime, **params) -> TimelineEntry:
    """The customer's view of a step (worded when read, followups/complaints/timeline.py)."""
    return timeline_add(
        customer=complaint.customer, kind=TimelineEntry.Kind.COMPLAINT, vehicle=complaint.vehicle, source=complaint,
        occurred_at=at, by=by,
        params={"variant": variant, "complaint": complaint.pk, "category": complaint.category,
                "department": complaint.department, "severity": complaint.severity.name,
                "round": complaint.round, **params},
    )
