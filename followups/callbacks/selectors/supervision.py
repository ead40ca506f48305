"""What the DCRC supervisor reads: the day's progress of the department and of each agent, what is
late, the lost contacts, and the list of all callbacks.

Each figure is one aggregate query (a GROUP BY per agent or per kind, never a loop in Python), so
the supervisor's page runs the same queries for one agent or twenty.

Definitions (the page's help text says the same):

- **A day** is a local day of the store (Asia/Shanghai), midnight to midnight.
- **Attempts** are the calls made that day (`CallAttempt.made_at`), by the agent who made them.
- **Reach rate** (接通率) is the share of the callbacks called that day — those with at least one
  attempt made that day — where at least one of that day's attempts reached the customer: an
  outcome of completed, refused or call back later (the customer was on the line). No answer, busy
  and wrong number did not reach anyone. A callback called three times in a day counts once; one
  called in the morning without answer and reached in the afternoon counts as reached. An agent's
  rate counts that agent's own attempts only. No callback called: no rate (shown as —).
- **Done** (完成) is the callbacks with a completed attempt that day.
- **Scores** are those of the callbacks completed that day, each by its effective response (the
  one no other response corrects: a corrected answer counts once, as corrected). They belong to the
  day of the call that completed the callback and to the agent who made it, even when the answers
  are corrected on a later day or by the supervisor. The SSI and CSI averages are the means of
  those responses' average scores, by the callback's kind; responses without a score question are
  not in the mean.
- **Overdue** (now, whatever the day chosen): an open callback due more than a day ago, or one that
  expires within a day; a problem still waiting for its department past its deadline.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Avg, CharField, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from ..models import CallAttempt, Callback, CallbackKind, Outcome, Problem
from ..services.supervision import RETRY_PREFIX

REACHED = (Outcome.COMPLETED, Outcome.REFUSED, Outcome.CALL_BACK)
NOT_REACHED = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER)
OVERDUE_AFTER = timedelta(days=1)  # due more than this long ago
EXPIRING_WITHIN = timedelta(days=1)  # expires within this
OVERDUE_ROWS = 15  # the rows of each late list the supervisor's page shows (the count says how many in all)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The store's local day as [start, end) aware datetimes."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal; None when nothing was counted."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _rounded(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def callback_agents() -> QuerySet:
    """The staff who may be given callbacks: active accounts holding `callbacks.work_callback`
    through a role or on their own (the supervisor too: in a small department they call as well)."""
    held = dict(content_type__app_label="callbacks", codename="work_callback")
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=_perm_ids(held)) | Q(user_permissions__in=_perm_ids(held)))
            .distinct().order_by("display_name", "username"))


def _perm_ids(lookup: dict) -> QuerySet:
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(**lookup).values("pk")


def _attempts_on(day: date) -> QuerySet:
    start, end = day_bounds(day)
    return CallAttempt.objects.filter(made_at__gte=start, made_at__lt=end)


ATTEMPT_FIGURES = {
    "attempts": Count("id"),
    "attempted": Count("callback", distinct=True),
    "reached": Count("callback", distinct=True, filter=Q(outcome__in=REACHED)),
    "done": Count("callback", distinct=True, filter=Q(outcome=Outcome.COMPLETED)),
}


def completed_calls_on(day: date) -> QuerySet:
    """The calls that completed a callback that day. Each carries its callback's answers: the
    response recorded with it and any corrections of that response (recorded later, by whoever)."""
    return _attempts_on(day).filter(outcome=Outcome.COMPLETED)


# The effective response of a completed call's callback — the one no other response corrects —
# when it has a score. With one completed call per callback (completing closes it), each completed
# call meets exactly one such response, so these aggregates count every answered callback once.
_EFFECTIVE = Q(callback__responses__corrected_by__isnull=True, callback__responses__average_score__isnull=False)
SCORE_FIGURES = {
    "average": Avg("callback__responses__average_score", filter=_EFFECTIVE),
    "scored": Count("callback__responses", filter=_EFFECTIVE),
}


def overdue_q(now: datetime) -> Q:
    return Q(due_at__lt=now - OVERDUE_AFTER) | Q(expires_at__lt=now + EXPIRING_WITHIN)


@dataclass
class AgentDay:
    agent: object
    attempts: int = 0
    attempted: int = 0
    reached: int = 0
    done: int = 0
    scored: int = 0  # responses with a score
    average_score: Decimal | None = None
    open: int = 0  # callbacks given to the agent still in the queue, now
    being_called: int = 0

    @property
    def reach_rate(self) -> Decimal | None:
        return rate(self.reached, self.attempted)

    @property
    def active(self) -> bool:
        return bool(self.attempts or self.open or self.being_called)


@dataclass
class DayFigures:
    day: date
    attempts: int = 0
    attempted: int = 0
    reached: int = 0
    done: int = 0
    lost_contact: int = 0  # closed as lost contact that day
    averages: dict = field(default_factory=dict)  # kind → (average, responses scored)
    # Now, whatever the day:
    open: int = 0
    being_called: int = 0
    unassigned: int = 0
    overdue: int = 0
    overdue_problems: int = 0

    @property
    def reach_rate(self) -> Decimal | None:
        return rate(self.reached, self.attempted)

    @property
    def ssi_average(self) -> Decimal | None:
        return self.averages.get(CallbackKind.SSI, (None, 0))[0]

    @property
    def ssi_scored(self) -> int:
        return self.averages.get(CallbackKind.SSI, (None, 0))[1]

    @property
    def csi_average(self) -> Decimal | None:
        return self.averages.get(CallbackKind.CSI, (None, 0))[0]

    @property
    def csi_scored(self) -> int:
        return self.averages.get(CallbackKind.CSI, (None, 0))[1]


def day_figures(*, day: date, now: datetime | None = None) -> DayFigures:
    """The department's figures for `day` and its queue now: four queries."""
    now = now or timezone.now()
    figures = DayFigures(day=day, **_attempts_on(day).aggregate(**ATTEMPT_FIGURES))
    figures.averages = {
        row["callback__kind"]: (_rounded(row["average"]), row["scored"])
        for row in completed_calls_on(day).values("callback__kind").annotate(**SCORE_FIGURES).order_by()
        if row["scored"]
    }
    start, end = day_bounds(day)
    open_ = Q(status__in=Callback.OPEN_STATUSES)
    queue = Callback.objects.filter(open_ | Q(status=Callback.Status.LOST_CONTACT, closed_at__gte=start,
                                              closed_at__lt=end)).aggregate(
        open=Count("id", filter=open_),
        being_called=Count("id", filter=Q(status=Callback.Status.IN_PROGRESS)),
        unassigned=Count("id", filter=open_ & Q(assigned_to__isnull=True)),
        overdue=Count("id", filter=open_ & overdue_q(now)),
        lost_contact=Count("id", filter=Q(status=Callback.Status.LOST_CONTACT)),
    )
    for name, value in queue.items():
        setattr(figures, name, value)
    figures.overdue_problems = overdue_problems(now=now).count()
    return figures


def agents_day(*, day: date) -> list[AgentDay]:
    """One row per agent (`callback_agents`, and anyone else who made a call that day), with the
    day's calls, reach and scores and their open callbacks now: four queries, whatever the agents."""
    attempts = {row["agent"]: row for row in _attempts_on(day).filter(agent__isnull=False).values("agent")
                .annotate(**ATTEMPT_FIGURES).order_by()}
    scores = {row["agent"]: row for row in completed_calls_on(day).filter(agent__isnull=False).values("agent")
              .annotate(**SCORE_FIGURES).order_by()}
    queues = {row["assigned_to"]: row for row in Callback.objects.filter(
        status__in=Callback.OPEN_STATUSES, assigned_to__isnull=False).values("assigned_to").annotate(
        open=Count("id", filter=Q(status=Callback.Status.OPEN)),
        being_called=Count("id", filter=Q(status=Callback.Status.IN_PROGRESS))).order_by()}
    users = (get_user_model().objects.filter(Q(pk__in=callback_agents().values("pk")) | Q(pk__in=list(attempts)))
             .order_by("display_name", "username"))
    rows = []
    for user in users:
        row = AgentDay(agent=user)
        if user.pk in attempts:
            for name in ATTEMPT_FIGURES:
                setattr(row, name, attempts[user.pk][name])
        if user.pk in scores:
            row.scored, row.average_score = scores[user.pk]["scored"], _rounded(scores[user.pk]["average"])
        if user.pk in queues:
            row.open, row.being_called = queues[user.pk]["open"], queues[user.pk]["being_called"]
        rows.append(row)
    # Who called most first; those who did nothing that day last, by name.
    rows.sort(key=lambda row: (-row.done, -row.attempts))
    return rows


def overdue_callbacks(*, now: datetime | None = None) -> QuerySet:
    """Open callbacks due more than a day ago or expiring within a day, the soonest to expire first."""
    now = now or timezone.now()
    return (Callback.objects.filter(Q(status__in=Callback.OPEN_STATUSES) & overdue_q(now))
            .select_related("customer", "vehicle", "assigned_to")
            .order_by(F("expires_at").asc(nulls_last=True), "due_at", "id"))  # no expiry: last, on SQLite too


def unassigned_callbacks(*, due_by: date) -> QuerySet:
    """Open callbacks nobody has yet, due by the end of `due_by`, the earliest due first."""
    return (Callback.objects.filter(status=Callback.Status.OPEN, assigned_to__isnull=True,
                                    due_at__lt=day_bounds(due_by)[1])
            .select_related("customer").order_by("due_at", "id"))


def overdue_problems(*, now: datetime | None = None) -> QuerySet:
    """Problems still waiting for their department past the deadline, the latest first."""
    now = now or timezone.now()
    return (Problem.objects.filter(status=Problem.Status.OPEN, deadline_at__lt=now)
            .select_related("customer").order_by("deadline_at", "id"))


def _retried() -> Exists:
    """Whether a callback was tried again: its retry has the key `services.supervision.retry_source_key`."""
    return Exists(Callback.objects.filter(
        customer=OuterRef("customer"),
        source_key=Concat(Value(RETRY_PREFIX), Cast(OuterRef("pk"), output_field=CharField()),
                          output_field=CharField())))


def lost_contacts() -> QuerySet:
    """Callbacks closed as lost contact, the newest first, with their customer, their calls and
    whether the supervisor has tried again (`retried`)."""
    return (Callback.objects.filter(status=Callback.Status.LOST_CONTACT)
            .select_related("customer", "vehicle", "assigned_to")
            .prefetch_related(Prefetch("call_attempts", queryset=CallAttempt.objects.select_related("agent")
                                       .order_by("made_at", "id")))
            .annotate(retried=_retried())
            .order_by("-closed_at", "-id"))


NOT_CLOSED = "not_closed"  # the status filter's "in the queue or being called"


@dataclass(frozen=True)
class CallbackFilters:
    status: str = ""
    kind: str = ""
    agent_id: int | None = None
    unassigned: bool = False
    due_from: date | None = None
    due_until: date | None = None
    customer: str = ""
    overdue: bool = False
    order: str = "due"


# The list's sorts: name → ORDER BY (a unique last key keeps pages stable).
ORDERS = {
    "due": ("due_at", "id"),
    "-due": ("-due_at", "-id"),
    "customer": ("customer__name", "id"),
    "-customer": ("-customer__name", "-id"),
    "attempts": ("attempts", "due_at", "id"),
    "-attempts": ("-attempts", "due_at", "id"),
    "status": ("status", "due_at", "id"),
    "-status": ("-status", "due_at", "id"),
}


def callback_list(*, filters: CallbackFilters, now: datetime | None = None) -> QuerySet:
    """Every callback the filters choose, in the order they name (due first by default)."""
    now = now or timezone.now()
    rows = Callback.objects.select_related("customer", "vehicle", "assigned_to")
    if filters.status == NOT_CLOSED:
        rows = rows.filter(status__in=Callback.OPEN_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.unassigned:
        rows = rows.filter(assigned_to__isnull=True)
    elif filters.agent_id:
        rows = rows.filter(assigned_to_id=filters.agent_id)
    if filters.due_from:
        rows = rows.filter(due_at__gte=day_bounds(filters.due_from)[0])
    if filters.due_until:
        rows = rows.filter(due_at__lt=day_bounds(filters.due_until)[1])
    if filters.customer:
        rows = rows.filter(customer__name__icontains=filters.customer)
    if filters.overdue:
        rows = rows.filter(Q(status__in=Callback.OPEN_STATUSES) & overdue_q(now))
    return rows.order_by(*ORDERS.get(filters.order, ORDERS["due"]))
