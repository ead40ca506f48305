"""Reads of complaints: who sees which, the list with its filters, one complaint with its whole story,
the managers' inbox (problems and complaints in one list), the improvement plans, and the time left
on a deadline as the pages word it. Each runs a fixed number of queries whatever the number of rows
(the related rows come with select_related or one prefetch each; the store's calendar is read once).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Department

from . import services
from .clock import StoreClock
from .models import CaseAnalysis, Complaint, ComplaintStep, Escalation, ImprovementPlan, Severity

S = Complaint.Status
OPEN = "open"  # the list's state filter: every state but closed
UNASSIGNED = "none"  # the owner filter: nobody's yet
# Before the first contact its deadline runs; then the solution's until solved; then the follow-up's.
AFTER_CONTACT = services.SOLVING - {S.REGISTERED}

# Sort keys the list accepts (the column headers ask for them); the first is the default.
SORTS: dict[str, tuple] = {
    "deadline": (F("due_at").asc(nulls_last=True), "id"),
    "-deadline": (F("due_at").desc(nulls_last=True), "-id"),
    "-registered": ("-registered_at", "-id"),
    "registered": ("registered_at", "id"),
    "-severity": ("-severity__rank", F("due_at").asc(nulls_last=True), "id"),
    "severity": ("severity__rank", F("due_at").asc(nulls_last=True), "id"),
}
DEFAULT_SORT = "deadline"


# --- who sees what ---------------------------------------------------------------------------------
def sees_every_complaint(user) -> bool:
    """The DCRC supervisor (who assigns them) and the general manager (who answers for them)."""
    return user.is_superuser or services.can_supervise(user) or user.has_role(Role.GENERAL_MANAGER)


def managed_departments(user) -> list[str]:
    """The departments whose complaints come to the user's desk (services.manager_role)."""
    return [department for department in Department.values if user.has_role(services.manager_role(department))]


def visible_complaints(user) -> QuerySet[Complaint]:
    """The complaints a user may read: the supervisor and the general manager all; a department's
    manager their departments' and those they handle; everyone else those they registered or handle."""
    complaints = Complaint.objects.all()
    if sees_every_complaint(user):
        return complaints
    mine = Q(owner=user) | Q(registered_by=user)
    departments = managed_departments(user)
    if departments:
        mine |= Q(department__in=departments)
    return complaints.filter(mine)


def complaint_handlers() -> QuerySet:
    """Who may be given a complaint (or an improvement plan): active staff holding
    `complaints.handle_complaint` through a role or on their own."""
    from django.contrib.auth.models import Permission

    held = Permission.objects.filter(content_type__app_label="complaints", codename="handle_complaint").values("pk")
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=held) | Q(user_permissions__in=held))
            .distinct().order_by("display_name", "username"))


# --- deadlines ---------------------------------------------------------------------------------------
def current_deadline() -> Case:
    """The deadline that runs now, as a column: the first contact's before it, the solution's until
    solved, the follow-up's after; none once followed up (the customer's word is awaited)."""
    return Case(
        When(status=S.REGISTERED, then=F("contact_due_at")),
        When(status__in=AFTER_CONTACT, then=F("solve_due_at")),
        When(status=S.SOLVED, then=F("follow_up_due_at")),
        default=None, output_field=DateTimeField())


def overdue_q(now: datetime) -> Q:
    """The complaints past the deadline that runs. A paused clock stops the solution's deadline (a
    resume moves it on), so a paused complaint is late only if it was late when paused."""
    return (Q(status=S.REGISTERED, contact_due_at__lt=now)
            | Q(status__in=AFTER_CONTACT, paused_at__isnull=True, solve_due_at__lt=now)
            | Q(status__in=AFTER_CONTACT, paused_at__isnull=False, solve_due_at__lt=F("paused_at"))
            | Q(status=S.SOLVED, follow_up_due_at__lt=now))


@dataclass(frozen=True)
class TimeLeft:
    """A deadline as the pages show it: `state` is "overdue" (red), "near" (amber: the severity's
    warning share of the time or less is left), "ok", "paused" (the clock stands) or "done"."""

    kind: str  # "contact", "solve", "follow_up"
    due_at: datetime
    state: str
    text: str  # 剩 3 小时 / 超时 2 小时 / 已暂停
    detail: str = ""  # for a paused clock: what was left when it stopped

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    @property
    def label(self) -> str:
        """Which deadline it is, as the complaint's page names them ("" for a problem's)."""
        return str(DEADLINE_LABELS.get(self.kind, ""))


DEADLINE_LABELS = {"contact": gettext_lazy("First contact"), "solve": gettext_lazy("Solution"),
                   "follow_up": gettext_lazy("Follow-up")}


def duration_words(delta: timedelta, *, late: bool) -> str:
    """剩 3 小时, 超时 2 小时; minutes under an hour. Whole units, rounded down."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        words = (ngettext("%(n)d minute overdue", "%(n)d minutes overdue", minutes) if late
                 else ngettext("%(n)d minute left", "%(n)d minutes left", minutes))
        return words % {"n": minutes}
    hours = minutes // 60
    words = (ngettext("%(n)d hour overdue", "%(n)d hours overdue", hours) if late
             else ngettext("%(n)d hour left", "%(n)d hours left", hours))
    return words % {"n": hours}


class Clocks:
    """The two clocks of a page, made from one read of the store's calendar."""

    def __init__(self, overrides: dict | None = None):
        overrides = services.store_days() if overrides is None else overrides
        self.working = StoreClock(working=True, overrides=overrides)
        self.calendar = StoreClock(working=False, overrides=overrides)

    def of(self, severity: Severity) -> StoreClock:
        return self.working if severity.clock == Severity.Clock.WORKING else self.calendar


def time_left(*, kind: str, due_at: datetime, now: datetime, clock: StoreClock, hours: Decimal | float,
              warn_percent: int, paused_at: datetime | None = None) -> TimeLeft:
    """The time left to `due_at` (or past it) on the deadline's clock: on the working clock, the
    working hours, as the deadline was counted (3 hours left on Friday at 15:30 with the deadline
    on Monday at 09:30)."""
    if paused_at is not None:
        left = clock.between(paused_at, due_at)
        detail = (duration_words(left, late=False) if paused_at <= due_at
                  else duration_words(clock.between(due_at, paused_at), late=True))
        return TimeLeft(kind=kind, due_at=due_at, state="paused", text=_("Paused"), detail=detail)
    if due_at < now:
        return TimeLeft(kind=kind, due_at=due_at, state="overdue", text=duration_words(clock.between(due_at, now), late=True))
    left = clock.between(now, due_at)
    warn = timedelta(hours=float(hours) * warn_percent / 100)
    return TimeLeft(kind=kind, due_at=due_at, state="near" if left <= warn and warn else "ok",
                    text=duration_words(left, late=False))


def running_deadline(complaint: Complaint, *, now: datetime, clocks: Clocks) -> TimeLeft | None:
    """The time left on the deadline that runs now (see `current_deadline`), or None."""
    severity = complaint.severity
    if complaint.status == S.REGISTERED:
        return time_left(kind="contact", due_at=complaint.contact_due_at, now=now, clock=clocks.of(severity),
                         hours=severity.first_contact_hours, warn_percent=severity.warn_percent)
    if complaint.status in AFTER_CONTACT:
        return time_left(kind="solve", due_at=complaint.solve_due_at, now=now, clock=clocks.of(severity),
                         hours=severity.solve_hours, warn_percent=severity.warn_percent,
                         paused_at=complaint.paused_at)
    if complaint.status == S.SOLVED and complaint.follow_up_due_at:
        return time_left(kind="follow_up", due_at=complaint.follow_up_due_at, now=now, clock=clocks.calendar,
                         hours=settings.COMPLAINT_FOLLOW_UP_DAYS * 24, warn_percent=severity.warn_percent)
    return None


def deadlines_of(complaint: Complaint, *, now: datetime, clocks: Clocks) -> dict[str, TimeLeft]:
    """Both deadlines of the complaint's page (and the follow-up's once solved): the time left on
    each, or "done" with the moment it was met."""
    severity, clock = complaint.severity, clocks.of(complaint.severity)
    done = "done"
    if complaint.contacted_at is not None:
        contact = TimeLeft(kind="contact", due_at=complaint.contact_due_at,
                           state=done, text=_("met") if complaint.contacted_at <= complaint.contact_due_at else _("met late"))
    else:
        contact = time_left(kind="contact", due_at=complaint.contact_due_at, now=now, clock=clock,
                            hours=severity.first_contact_hours, warn_percent=severity.warn_percent)
    if complaint.status in services.SOLVING:
        solve = time_left(kind="solve", due_at=complaint.solve_due_at, now=now, clock=clock,
                          hours=severity.solve_hours, warn_percent=severity.warn_percent, paused_at=complaint.paused_at)
    else:
        solved_at = complaint.solved_at
        solve = TimeLeft(kind="solve", due_at=complaint.solve_due_at, state=done,
                         text=_("met") if solved_at is None or solved_at <= complaint.solve_due_at else _("met late"))
    result = {"contact": contact, "solve": solve}
    if complaint.follow_up_due_at is not None:
        result["follow_up"] = (
            running_deadline(complaint, now=now, clocks=clocks) if complaint.status == S.SOLVED
            else TimeLeft(kind="follow_up", due_at=complaint.follow_up_due_at, state=done, text=_("met")))
    return result


# --- the list ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComplaintFilters:
    state: str = OPEN  # OPEN, "" for every state, or one status
    severity: int | None = None
    overdue: bool = False
    department: str = ""
    owner: str = ""  # "", UNASSIGNED or a user's id
    channel: str = ""
    name: str = ""  # part of the customer's name
    number: int | None = None  # the complaint's number (TS000012 → 12)
    mobile: str = ""  # the customer's whole mobile
    order: str = DEFAULT_SORT


def _rows(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return complaints.select_related("customer", "vehicle", "severity", "owner", "registered_by")


def complaint_list(*, user, filters: ComplaintFilters, now: datetime | None = None) -> QuerySet[Complaint]:
    """The complaints the user sees, filtered, with the running deadline as `due_at` and sorted
    (by default by that deadline: the late first, the ones waiting for no deadline last)."""
    now = now or timezone.now()
    complaints = visible_complaints(user).annotate(due_at=current_deadline())
    if filters.state == OPEN:
        complaints = complaints.exclude(status=S.CLOSED)
    elif filters.state in S.values:
        complaints = complaints.filter(status=filters.state)
    if filters.severity:
        complaints = complaints.filter(severity_id=filters.severity)
    if filters.overdue:
        complaints = complaints.filter(overdue_q(now))
    if filters.department:
        complaints = complaints.filter(department=filters.department)
    if filters.owner == UNASSIGNED:
        complaints = complaints.filter(owner__isnull=True)
    elif filters.owner:
        complaints = complaints.filter(owner_id=int(filters.owner))
    if filters.channel:
        complaints = complaints.filter(channel=filters.channel)
    if filters.number is not None:
        complaints = complaints.filter(pk=filters.number)
    if filters.mobile:
        complaints = complaints.filter(customer__mobile=filters.mobile)
    if filters.name:
        complaints = complaints.filter(customer__name__icontains=filters.name)
    return _rows(complaints).order_by(*SORTS.get(filters.order, SORTS[DEFAULT_SORT]))


# --- one complaint -----------------------------------------------------------------------------------
def complaint_detail(*, complaints: QuerySet[Complaint], pk: int) -> Complaint:
    """One complaint with everything its page shows: the customer and vehicle, the people, where it
    came from, the steps with who took each, the escalations, the case analysis with its plans and
    the manufacturer's item (if it came as one)."""
    plans = ImprovementPlan.objects.select_related("owner", "done_by").order_by("due_on", "id")
    analyses = CaseAnalysis.objects.select_related("written_by").prefetch_related(Prefetch("plans", queryset=plans))
    return (complaints.select_related("customer", "vehicle", "severity", "owner", "registered_by", "callback",
                                      "problem", "manufacturer_item")
            .prefetch_related(Prefetch("steps", queryset=ComplaintStep.objects.select_related("by")),
                              Prefetch("escalations", queryset=Escalation.objects.order_by("created_at", "id")),
                              Prefetch("analysis", queryset=analyses))
            .get(pk=pk))


def severities_in_use() -> QuerySet[Severity]:
    return Severity.objects.filter(active=True).order_by("rank", "code")


# --- the managers' inbox -----------------------------------------------------------------------------
@dataclass
class InboxRow:
    """One line of a manager's inbox: a problem routed to their department or a complaint on their desk."""

    kind: str  # "problem" or "complaint"
    item: object
    due_at: datetime | None
    deadline: TimeLeft | None

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline.overdue


def inbox_complaints(user) -> QuerySet[Complaint]:
    """The open complaints on the user's desk: those they handle and their departments' (every one
    for the supervisor and the general manager, as their problems are)."""
    complaints = Complaint.objects.exclude(status=S.CLOSED)
    if not sees_every_complaint(user):
        mine = Q(owner=user)
        departments = managed_departments(user)
        if departments:
            mine |= Q(department__in=departments)
        complaints = complaints.filter(mine)
    return complaints


PROBLEM_DUE_SOON = timedelta(hours=4)  # as the problem inbox marks them


def inbox(*, user, page: int, per_page: int, now: datetime | None = None) -> tuple[list[InboxRow], bool]:
    """One page of the user's inbox, problems and complaints by deadline (the late first), and
    whether there is a next page. The first `page × per_page + 1` of each kind, in deadline order,
    hold the page's rows whatever the mix, so each kind is one query."""
    from followups.callbacks.selectors.problems import problems_for_inbox

    now = now or timezone.now()
    wanted = page * per_page + 1
    rows: list[InboxRow] = []
    if user.has_perm("callbacks.view_problem"):
        for problem in problems_for_inbox(user=user, status="open", now=now)[:wanted]:
            late = problem.deadline_at < now
            state = "overdue" if late else ("near" if problem.deadline_at - now < PROBLEM_DUE_SOON else "ok")
            deadline = TimeLeft(kind="problem", due_at=problem.deadline_at, state=state,
                                text=duration_words(abs(now - problem.deadline_at), late=late))
            rows.append(InboxRow(kind="problem", item=problem, due_at=problem.deadline_at, deadline=deadline))
    if user.has_perm("complaints.handle_complaint"):
        complaints = _rows(inbox_complaints(user).annotate(due_at=current_deadline())).order_by(*SORTS["deadline"])
        clocks = Clocks()
        for complaint in complaints[:wanted]:
            rows.append(InboxRow(kind="complaint", item=complaint, due_at=complaint.due_at,
                                 deadline=running_deadline(complaint, now=now, clocks=clocks)))
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    rows.sort(key=lambda row: (row.due_at or far, row.kind, row.item.pk))
    start = (page - 1) * per_page
    return rows[start:start + per_page], len(rows) > start + per_page


def inbox_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """How many problems and complaints the inbox holds, and how many of each are late (two queries)."""
    from django.db.models import Count

    from followups.callbacks.selectors.problems import problems_for_inbox

    now = now or timezone.now()
    counts = {"problems": 0, "problems_overdue": 0, "complaints": 0, "complaints_overdue": 0}
    if user.has_perm("callbacks.view_problem"):
        problems = problems_for_inbox(user=user, status="open", now=now).order_by().aggregate(
            total=Count("id"), late=Count("id", filter=Q(deadline_at__lt=now)))
        counts.update(problems=problems["total"], problems_overdue=problems["late"])
    if user.has_perm("complaints.handle_complaint"):
        complaints = inbox_complaints(user).aggregate(total=Count("id"), late=Count("id", filter=overdue_q(now)))
        counts.update(complaints=complaints["total"], complaints_overdue=complaints["late"])
    return counts


# --- improvement plans -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanFilters:
    state: str = "open"  # "open", "done" or "" for both
    department: str = ""
    month: date | None = None  # plans due in that month (the monthly summary)


def visible_plans(user) -> QuerySet[ImprovementPlan]:
    """The supervisor and the general manager see every plan; a manager their departments' plans,
    the plans they carry out and those of the case analyses shared with the departments."""
    plans = ImprovementPlan.objects.all()
    if sees_every_complaint(user):
        return plans
    mine = Q(owner=user) | Q(analysis__shared=True)
    departments = managed_departments(user)
    if departments:
        mine |= Q(department__in=departments)
    return plans.filter(mine)


def plan_list(*, user, filters: PlanFilters) -> QuerySet[ImprovementPlan]:
    """The plans, open ones first (by due date), with whether the user may open each one's complaint."""
    plans = visible_plans(user)
    if filters.state == "open":
        plans = plans.filter(done_at__isnull=True)
    elif filters.state == "done":
        plans = plans.filter(done_at__isnull=False)
    if filters.department:
        plans = plans.filter(department=filters.department)
    if filters.month:
        plans = plans.filter(due_on__year=filters.month.year, due_on__month=filters.month.month)
    readable = visible_complaints(user).filter(pk=OuterRef("analysis__complaint_id"))
    return (plans.select_related("owner", "done_by", "analysis", "analysis__complaint", "analysis__complaint__customer")
            .annotate(complaint_readable=Exists(readable))
            .order_by(Case(When(done_at__isnull=True, then=0), default=1), "due_on", "id"))
