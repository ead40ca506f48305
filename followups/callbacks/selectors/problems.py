"""Reads of problems: a manager's inbox, the supervisor's list with its filters, one problem with its
log and second callbacks, a customer's open problems. Each runs a fixed number of queries whatever
the number of rows (the related rows come with select_related or one prefetch each)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from ..models import Answer, Callback, CallbackKind, Problem, ProblemStep, ScriptResponse
from ..services.problems import departments_of, lists_every_department

# The inbox's tabs: waiting for the department, waiting for the customer's confirmation, done.
TABS: dict[str, tuple[str, ...]] = {
    "open": (Problem.Status.OPEN,),
    "fixed": (Problem.Status.FIXED,),
    "closed": (Problem.Status.SATISFIED, Problem.Status.CLOSED),
}
# Sort keys a list accepts; the first of each tab is its default.
SORTS: dict[str, tuple[str, ...]] = {
    "deadline": ("deadline_at", "id"),
    "-deadline": ("-deadline_at", "-id"),
    "raised": ("raised_at", "id"),
    "-raised": ("-raised_at", "-id"),
    "-closed": ("-closed_at", "-id"),
}
DEFAULT_SORT = {"open": "deadline", "fixed": "deadline", "closed": "-closed"}


@dataclass(frozen=True)
class ProblemFilters:
    tab: str = "open"
    department: str = ""
    category: str = ""
    overdue: bool = False
    complaint: bool = False
    sort: str = ""


def visible_problems(*, user) -> QuerySet[Problem]:
    """The problems in a user's lists: the DCRC's hold all; a department's manager's those routed to
    their department (who may open one is `services.problems.may_read`)."""
    problems = Problem.objects.all()
    if lists_every_department(user):
        return problems
    return problems.filter(department__in=departments_of(user))


def _list_rows(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    return problems.select_related("customer", "vehicle", "callback", "answer", "raised_by", "fixed_by", "closed_by")


def problems_list(*, user, filters: ProblemFilters, now: datetime | None = None) -> QuerySet[Problem]:
    """The user's problems on one tab, filtered and sorted (the open ones by deadline: overdue first)."""
    now = now or timezone.now()
    tab = filters.tab if filters.tab in TABS else "open"
    problems = visible_problems(user=user).filter(status__in=TABS[tab])
    if filters.department:
        problems = problems.filter(department=filters.department)
    if filters.category:
        problems = problems.filter(category=filters.category)
    if filters.overdue:
        problems = problems.filter(status=Problem.Status.OPEN, deadline_at__lt=now)
    if filters.complaint:
        problems = problems.filter(is_complaint=True)
    sort = filters.sort if filters.sort in SORTS else DEFAULT_SORT[tab]
    return _list_rows(problems).order_by(*SORTS[sort])


def problems_for_inbox(*, user, status: str = "open", now: datetime | None = None) -> QuerySet[Problem]:
    """The problems routed to the user's departments on one tab ("open", "fixed", "closed"), by
    deadline: overdue first. The supervisor's inbox holds every department's."""
    problems = Problem.objects.filter(department__in=departments_of(user), status__in=TABS.get(status, TABS["open"]))
    return _list_rows(problems).order_by(*SORTS[DEFAULT_SORT.get(status, "deadline")])


def tab_counts(*, user, filters: ProblemFilters, now: datetime | None = None) -> dict[str, int]:
    """How many problems each tab holds under the same filters (one query), and how many are overdue."""
    now = now or timezone.now()
    problems = visible_problems(user=user)
    if filters.department:
        problems = problems.filter(department=filters.department)
    if filters.category:
        problems = problems.filter(category=filters.category)
    if filters.complaint:
        problems = problems.filter(is_complaint=True)
    counts = problems.aggregate(
        **{tab: Count("id", filter=Q(status__in=statuses)) for tab, statuses in TABS.items()},
        overdue=Count("id", filter=Q(status=Problem.Status.OPEN, deadline_at__lt=now)),
    )
    return counts


def problem_detail(*, problems: QuerySet[Problem], pk: int) -> Problem:
    """One problem with what it was raised from (the callback, the answer and its question), its
    log with who did each step, and its second callbacks with the answers the customer gave."""
    responses = ScriptResponse.objects.filter(corrected_by__isnull=True).select_related("answered_by").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.select_related("question")))
    second_callbacks = (Callback.objects.filter(kind=CallbackKind.SECOND).select_related("assigned_to", "closed_by")
                        .prefetch_related(Prefetch("responses", queryset=responses))
                        .order_by("created_at", "id"))
    return (problems.select_related("customer", "vehicle", "callback", "callback__assigned_to", "answer",
                                    "answer__question", "answer__response", "raised_by", "fixed_by", "closed_by")
            .prefetch_related(Prefetch("steps", queryset=ProblemStep.objects.select_related("by")),
                              Prefetch("second_callbacks", queryset=second_callbacks))
            .get(pk=pk))


def open_problems_of(*, customer_id: int) -> list[Problem]:
    """The customer's problems not yet closed (waiting for a department or for their confirmation),
    by deadline: the workbench shows them beside the call."""
    return list(Problem.objects.filter(customer_id=customer_id, status__in=(Problem.Status.OPEN, Problem.Status.FIXED))
                .select_related("vehicle", "fixed_by").order_by("deadline_at", "id"))
