"""Reads of the agent's queue and of one callback's workbench, each in a fixed number of queries
whatever the queue's length or the customer's history."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from customers.holds import Hold, holds_of
from customers.models import ContactPreference, Customer, ServiceVisit, VehicleRole
from dealer_crm.paging import UncountedPage, page_number, uncounted_page
from followups.scripts.models import ScriptVersion

from ..models import Answer, CallAttempt, Callback, CallbackKind, Problem, ScriptResponse

QUEUE_PAGE_SIZE = 30
EARLIER_CALLBACKS = 8


def end_of_day(now: datetime) -> datetime:
    tz = timezone.get_current_timezone()
    return datetime.combine(timezone.localdate(now) + timedelta(days=1), time(0), tzinfo=tz)


def _open_today(now: datetime) -> Q:
    """Open callbacks due by the end of the day, not expired (anybody's)."""
    return (Q(status=Callback.Status.OPEN) & Q(due_at__lt=end_of_day(now))
            & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)))


def _open_for(agent, now: datetime) -> Q:
    """Open callbacks the agent may take today: theirs or nobody's, due by the end of the day, not expired."""
    return _open_today(now) & (Q(assigned_to=agent) | Q(assigned_to__isnull=True))


def _first_ids(open_today: QuerySet, *, agent, now: datetime, rows: int, due_now_first: bool = True) -> RawSQL:
    """The ids of the queue's first `rows` callbacks in its order (due now before later today if
    `due_now_first`, then priority, due time). Read in parts — nobody's or the agent's, due now or
    later — each in the order of an index (`callback_take_next_idx`, `callback_agent_idx`,
    `callback_queue_idx`) and stopped at `rows`: sorting the whole queue for one page cost 300 ms at
    1,000,000 customers, where every agent's queue holds the store's ~95,000 open callbacks nobody
    has taken."""
    whens = ((0, Q(due_at__lte=now)), (1, Q(due_at__gt=now))) if due_now_first else ((0, Q()),)
    parts, params = [], []
    for whose in (Q(assigned_to__isnull=True), Q(assigned_to=agent)):
        for later, when in whens:
            part = (open_today.filter(whose, when).annotate(later=Value(later, output_field=IntegerField()))
                    .order_by("-priority", "due_at", "id").values_list("id", "later", "priority", "due_at")[:rows])
            sql, part_params = part.query.sql_with_params()
            # Each part wrapped as a derived table: SQLite (make run's default) accepts ORDER BY and
            # LIMIT in a compound query's parts only so; PostgreSQL runs it the same way.
            parts.append(f"SELECT * FROM ({sql}) AS part{len(parts)}")
            params.extend(part_params)
    return RawSQL(f"SELECT id FROM ({' UNION ALL '.join(parts)}) AS parts "
                  "ORDER BY later, priority DESC, due_at, id LIMIT %s", (*params, rows))


@dataclass
class Queue:
    in_progress: Callback | None
    page: UncountedPage
    due_now: int  # the callbacks "take the next" can give now (all kinds)
    later_today: int  # due later today
    by_kind: dict[str, int] = field(default_factory=dict)  # due today per kind (the filter's badges)
    kind: str = ""


def _rows(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("customer", "vehicle", "assigned_to", "problem")


def mark_holds(callbacks: list[Callback]) -> list[Callback]:
    """Set `customer_holds` on each callback: what holds its customer's marketing (an open complaint,
    the archive's `customers.holds`), so the agent sees 投诉中 before calling. One query per
    registered hold for the whole list."""
    found = holds_of(callback.customer_id for callback in callbacks)
    for callback in callbacks:
        callback.customer_holds = found.get(callback.customer_id, [])
    return callbacks


def callbacks_due(*, agent, now: datetime | None = None, kind: str = "", page: str | None = None) -> Queue:
    """The agent's queue: the callback they are calling, then today's open callbacks that are theirs
    or nobody's — the ones due now in the order "take the next" gives them (priority, due time),
    then the ones due later today by time — with counts per kind, each row marked with its
    customer's holds (`mark_holds`). Five queries at most."""
    now = now or timezone.now()
    today = Callback.objects.filter(_open_for(agent, now))
    counts = today.aggregate(
        due_now=Count("id", filter=Q(due_at__lte=now)),
        later=Count("id", filter=Q(due_at__gt=now)),
        **{f"kind_{value}": Count("id", filter=Q(kind=value)) for value in CallbackKind.values},
    )
    in_progress = _rows(Callback.objects.filter(status=Callback.Status.IN_PROGRESS, assigned_to=agent)).order_by(
        "-claimed_at").first()
    rows = counts["due_now"] + counts["later"] if kind not in CallbackKind.values else counts[f"kind_{kind}"]
    number, _ = page_number(page, per_page=QUEUE_PAGE_SIZE, rows=rows)
    open_today = Callback.objects.filter(_open_today(now))
    if kind in CallbackKind.values:
        open_today = open_today.filter(kind=kind)
    first = _first_ids(open_today, agent=agent, now=now, rows=number * QUEUE_PAGE_SIZE + 1)
    listed = _rows(Callback.objects.filter(pk__in=first)).annotate(
        later=Case(When(due_at__gt=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).order_by("later", "-priority", "due_at", "id")
    shown = uncounted_page(listed, page, per_page=QUEUE_PAGE_SIZE, rows=rows)
    mark_holds([*shown.object_list, *([in_progress] if in_progress else [])])
    return Queue(
        in_progress=in_progress,
        page=shown,
        due_now=counts["due_now"], later_today=counts["later"],
        by_kind={value: counts[f"kind_{value}"] for value in CallbackKind.values},
        kind=kind if kind in CallbackKind.values else "",
    )


def callbacks_due_today(*, agent, today: date, kinds: tuple[str, ...], limit: int) -> tuple[list[Callback], int]:
    """The home panel's rows: the agent's callbacks of these kinds due today (theirs or nobody's),
    the first `limit` and the true count. Two queries."""
    now = timezone.now()
    if timezone.localdate(now) != today:  # the panel for another day: the whole of that day
        now = datetime.combine(today, time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    due = Callback.objects.filter(_open_for(agent, now), kind__in=kinds)
    first = _first_ids(Callback.objects.filter(_open_today(now), kind__in=kinds), agent=agent, now=now, rows=limit,
                       due_now_first=False)
    rows = list(_rows(Callback.objects.filter(pk__in=first)).order_by("-priority", "due_at", "id"))
    return rows, due.count() if len(rows) == limit else len(rows)


# --- one callback's workbench -----------------------------------------------------------------------
@dataclass
class Workbench:
    callback: Callback
    customer: Customer
    vehicle_roles: list[VehicleRole]
    last_visit: ServiceVisit | None
    open_problems: list[Problem]
    customer_holds: list[Hold]  # what holds the customer's marketing (an open complaint: 投诉中)
    earlier: list[Callback]  # the customer's other callbacks, newest first, each with its `answered` response
    preferences: list[ContactPreference]
    attempts: list[CallAttempt]
    response: ScriptResponse | None  # this callback's answers that count (the newest correction)
    version: ScriptVersion | None  # the script to read: the published one, or the one it was answered with


def _answers() -> Prefetch:
    return Prefetch("answers", queryset=Answer.objects.select_related("question").order_by("question__position"))


def _newest(responses: list[ScriptResponse]) -> ScriptResponse | None:
    """The response that counts: the one no other response corrects."""
    corrected = {response.corrects_id for response in responses if response.corrects_id}
    standing = [response for response in responses if response.pk not in corrected]
    return max(standing, key=lambda r: (r.answered_at, r.pk)) if standing else None


def callback_workbench(*, pk: int, now: datetime | None = None) -> Workbench:
    """Everything the agent sees while calling: the customer (vehicles, last visit, open problems,
    earlier callbacks with their answers, preferences), this callback's calls and answers, and the
    script with its questions. A fixed number of queries (Callback.DoesNotExist if there is none)."""
    callback = (Callback.objects.select_related("customer", "vehicle", "visit", "problem", "assigned_to", "rule",
                                                "closed_by").get(pk=pk))
    customer = callback.customer
    vehicle_roles = list(VehicleRole.objects.filter(customer=customer, ended_on__isnull=True)
                         .select_related("vehicle").order_by("kind", "-started_on", "-id"))
    last_visit = callback.visit or (ServiceVisit.objects.filter(customer=customer)
                                    .select_related("vehicle").order_by("-opened_on", "-id").first())
    open_problems = list(Problem.objects.filter(customer=customer, status__in=[Problem.Status.OPEN, Problem.Status.FIXED])
                         .select_related("raised_by").order_by("deadline_at", "id"))
    customer_holds = holds_of([customer.pk]).get(customer.pk, [])
    earlier = list(Callback.objects.filter(customer=customer).exclude(pk=callback.pk)
                   .select_related("closed_by", "vehicle").order_by("-due_at", "-id")[:EARLIER_CALLBACKS])
    responses = list(ScriptResponse.objects.filter(callback__in=[callback, *earlier])
                     .select_related("answered_by").prefetch_related(_answers()).order_by("answered_at", "id"))
    by_callback: dict[int, list[ScriptResponse]] = {}
    for response in responses:
        by_callback.setdefault(response.callback_id, []).append(response)
    for other in earlier:
        other.answered = _newest(by_callback.get(other.pk, []))
    response = _newest(by_callback.get(callback.pk, []))
    preferences = list(ContactPreference.objects.filter(customer=customer).order_by("channel", "purpose"))
    attempts = list(CallAttempt.objects.filter(callback=callback).select_related("agent").order_by("made_at", "id"))
    if response is not None:
        from followups.scripts.selectors import version_with_questions

        version = version_with_questions(version_id=response.version_id)
    elif callback.is_open:
        from followups.scripts.selectors import published_version

        from ..services.calls import script_kind_of

        version = published_version(kind=script_kind_of(callback),
                                    brand=callback.vehicle.brand if callback.vehicle_id else "")
    else:
        version = None
    return Workbench(callback=callback, customer=customer, vehicle_roles=vehicle_roles, last_visit=last_visit,
                     open_problems=open_problems, customer_holds=customer_holds, earlier=earlier,
                     preferences=preferences, attempts=attempts,
                     response=response, version=version)


def version_shown(*, version_id: int) -> ScriptVersion:
    """The version the form was shown with (its questions in order), as the agent posts it back."""
    from followups.scripts.selectors import version_with_questions

    return version_with_questions(version_id=version_id)

