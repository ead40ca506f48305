"""The complaints' escalations: a deadline near or past is told to the next person up, on their home
page and, if COMPLAINT_ESCALATION_SMS, by SMS — never at night.

For every open complaint whose clock runs, the deadline that runs now — the first contact while it
is registered, the solution until it is solved (`services.SOLVING`), the follow-up while it is
solved — reaches, in turn:

- NEAR, told to the DCRC supervisor, when the clock's time left is at most the severity's
  `warn_percent` of the deadline's hours (the follow-up's are COMPLAINT_FOLLOW_UP_DAYS × 24 calendar
  hours);
- PASSED, told to the manager of the department concerned (`services.manager_role`), at the deadline;
- LATE, told to the general manager, once it is past by as long again on its clock.

A level is recorded once it is reached, with the levels below it (a job that was down finds a
complaint past its deadline and tells the supervisor as well as the manager). Each is one
`Escalation` row per complaint, deadline, level and round: the unique constraint `escalation_once`
is the idempotency — the rows are inserted with ON CONFLICT DO NOTHING, so a second run, a restart
or two workers at once record and send nothing twice. An escalation reached out of hours is to be
told at the store's next opening (`notify_at`); `escalations_notify` also sends nothing while the
store is closed, whenever it runs.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.services import MOBILE, staff_alert_queue, staff_alerts_dispatch

from .clock import StoreClock
from .models import Complaint, Escalation, Severity
from .services import SOLVING, manager_role, store_days

S = Complaint.Status
D = Escalation.Deadline
L = Escalation.Level

# The order of the chain, and whose desk each level goes to (PASSED: the department's manager).
LEVELS = (L.NEAR, L.PASSED, L.LATE)
NOTIFY_BATCH = 200

DEADLINE_WORDS = {
    D.CONTACT: gettext_lazy("the first contact deadline"),
    D.SOLVE: gettext_lazy("the solution deadline"),
    D.FOLLOW_UP: gettext_lazy("the follow-up deadline"),
}
LEVEL_WORDS = {
    L.NEAR: gettext_lazy("%(deadline)s is near"),
    L.PASSED: gettext_lazy("%(deadline)s has passed"),
    L.LATE: gettext_lazy("%(deadline)s is long past"),
}


def escalation_label(escalation: Escalation) -> str:
    """What happened, in the reader's language: "the solution deadline has passed"."""
    return str(LEVEL_WORDS[escalation.level]) % {"deadline": DEADLINE_WORDS[escalation.deadline]}


def follow_up_hours() -> Decimal:
    return Decimal(settings.COMPLAINT_FOLLOW_UP_DAYS * 24)


def _duration(hours: Decimal) -> timedelta:
    return timedelta(microseconds=int(hours * 3_600_000_000))


@dataclass(frozen=True)
class RunningDeadline:
    deadline: str  # Escalation.Deadline
    due_at: datetime
    hours: Decimal  # the deadline's own length on its clock
    clock: StoreClock


def running_deadlines(complaint: Complaint, *, working: StoreClock, calendar: StoreClock) -> list[RunningDeadline]:
    """The deadlines of the complaint whose clock runs now (none while it is paused or closed):
    a registered complaint's first contact and solution, the solution until it is solved, the
    follow-up while it is solved."""
    if complaint.status == S.CLOSED or complaint.paused_at is not None:
        return []
    severity = complaint.severity
    clock = working if severity.clock == Severity.Clock.WORKING else calendar
    found = []
    if complaint.status == S.REGISTERED:
        found.append(RunningDeadline(D.CONTACT, complaint.contact_due_at, severity.first_contact_hours, clock))
    if complaint.status in SOLVING:
        found.append(RunningDeadline(D.SOLVE, complaint.solve_due_at, severity.solve_hours, clock))
    if complaint.status == S.SOLVED and complaint.follow_up_due_at is not None:
        found.append(RunningDeadline(D.FOLLOW_UP, complaint.follow_up_due_at, follow_up_hours(), calendar))
    return found


def levels_reached(running: RunningDeadline, *, warn_percent: int, now: datetime) -> list[str]:
    """The levels this deadline has reached at `now`, the chain's order kept."""
    left = running.clock.between(now, running.due_at)
    if left > _duration(running.hours * warn_percent / 100):
        return []
    if now < running.due_at:
        return [L.NEAR]
    # Past by as long again: counted forward from the deadline (as many days as the deadline is
    # long), not back from now (as many days as it has been overdue, which grows without end).
    if running.clock.add(running.due_at, running.hours) > now:
        return [L.NEAR, L.PASSED]
    return [L.NEAR, L.PASSED, L.LATE]


def role_for(level: str, complaint: Complaint) -> Role:
    if level == L.NEAR:
        return Role.DCRC_SUPERVISOR
    if level == L.PASSED:
        return manager_role(complaint.department)
    return Role.GENERAL_MANAGER


# --- finding them ----------------------------------------------------------------------------------
def _warn_bound(clock: StoreClock, now: datetime, hours: Decimal) -> datetime:
    """The latest deadline whose clock time left at `now` is at most `hours`: a deadline after it
    has more (on the working clock the hours run out at some moment of an open day, or at a
    closing, where the next opening is still no more: nothing counts in between)."""
    reached = clock.add(now, hours)
    return clock.next_opening(reached) if clock.working else reached


def _candidates(*, severities: list[Severity], working: StoreClock, calendar: StoreClock, now: datetime):
    """The open, running complaints whose deadline may be near or past, in one query on the open
    complaints' index: per severity, a deadline no later than the moment its warning time is left
    (`_warn_bound`), so that only what may escalate is read; the exact test is `levels_reached`."""
    if not severities:
        return Complaint.objects.none()
    reach = Q()
    for severity in severities:
        clock = working if severity.clock == Severity.Clock.WORKING else calendar
        share = Decimal(severity.warn_percent) / 100
        reach |= Q(severity=severity, status=S.REGISTERED,
                   contact_due_at__lte=_warn_bound(clock, now, severity.first_contact_hours * share))
        reach |= Q(severity=severity, status__in=SOLVING,
                   solve_due_at__lte=_warn_bound(clock, now, severity.solve_hours * share))
        reach |= Q(severity=severity, status=S.SOLVED,
                   follow_up_due_at__lte=_warn_bound(calendar, now, follow_up_hours() * share))
    return (Complaint.objects.filter(~Q(status=S.CLOSED), reach, paused_at__isnull=True)
            .select_related("severity").order_by("id"))


_INSERT = """
INSERT INTO {table} (complaint_id, deadline, level, round, role, due_at, created_at, notify_at)
VALUES {values}
ON CONFLICT DO NOTHING
RETURNING level
"""


def _insert(rows: list[tuple]) -> Counter:
    """Insert the escalations not there yet (ON CONFLICT on `escalation_once`): the levels of those
    this run made, exactly, whoever else inserts at the same time."""
    created = Counter()
    ops = connection.ops
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        params = []
        for complaint_id, deadline, level, round_, role, due_at, created_at, notify_at in chunk:
            params += [complaint_id, deadline, level, round_, role, ops.adapt_datetimefield_value(due_at),
                       ops.adapt_datetimefield_value(created_at), ops.adapt_datetimefield_value(notify_at)]
        sql = _INSERT.format(table=connection.ops.quote_name(Escalation._meta.db_table),
                             values=", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk)))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            created.update(level for (level,) in cursor.fetchall())
    return created


def complaints_escalate(*, now: datetime | None = None) -> dict[str, int]:
    """Record the escalations every running deadline has reached by `now` (see the module's text).
    Idempotent: a level already recorded for the complaint's deadline and round is not again.
    A fixed number of queries whatever the number of complaints: the severities, the store's
    calendar days, the candidates, and an insert per 500 rows."""
    now = now or timezone.now()
    overrides = store_days()
    working = StoreClock(working=True, overrides=overrides)
    calendar = StoreClock(working=False, overrides=overrides)
    # The store's hours, whatever the complaint's clock: an SMS out of hours waits for the opening.
    notify_at = working.next_opening(now)
    severities = list(Severity.objects.all())
    rows, checked = [], 0
    candidates = list(_candidates(severities=severities, working=working, calendar=calendar, now=now))
    # A deadline already escalated to the last level has nothing more to reach: not computed again.
    done = set(Escalation.objects.filter(complaint__in=[complaint.pk for complaint in candidates], level=L.LATE)
               .values_list("complaint_id", "deadline", "round"))
    for complaint in candidates:
        checked += 1
        for running in running_deadlines(complaint, working=working, calendar=calendar):
            if (complaint.pk, running.deadline, complaint.round) in done:
                continue
            for level in levels_reached(running, warn_percent=complaint.severity.warn_percent, now=now):
                rows.append((complaint.pk, running.deadline, level, complaint.round,
                             role_for(level, complaint).value, running.due_at, now, notify_at))
    created = _insert(rows) if rows else Counter()
    return {"checked": checked, **{level.value: created[level] for level in LEVELS}}


# --- telling them by SMS ---------------------------------------------------------------------------
def _still_running(escalation: Escalation) -> bool:
    """Whether the deadline the escalation is about still runs: an SMS about a first contact made
    since, or a complaint closed, would only mislead."""
    complaint = escalation.complaint
    if complaint.status == S.CLOSED or complaint.round != escalation.round:
        return False
    if escalation.deadline == D.CONTACT:
        return complaint.status == S.REGISTERED
    if escalation.deadline == D.SOLVE:
        return complaint.status in SOLVING
    return complaint.status == S.SOLVED


def sms_text(escalation: Escalation) -> str:
    """The SMS, in the store's language (the worker has no reader's)."""
    with translation.override(settings.LANGUAGE_CODE):
        what = escalation_label(escalation)
        return _("Complaint %(number)s: %(what)s (due %(due)s).") % {
            "number": escalation.complaint.number, "what": what,
            "due": f"{timezone.localtime(escalation.due_at):%m-%d %H:%M}"}


def _staff_with_mobiles(roles: set[str]) -> dict[str, list[tuple[int, str]]]:
    """role → (user id, mobile) of the active users who hold it and have a mobile: one query."""
    memberships = (User.groups.through.objects
                   .filter(group__name__in=roles, user__is_active=True).exclude(user__mobile="")
                   .values_list("group__name", "user_id", "user__mobile").order_by("user_id"))
    staff = defaultdict(list)
    for role, user_id, mobile in memberships:
        if MOBILE.match(mobile):
            staff[role].append((user_id, mobile))
    return staff


def escalations_notify(*, now: datetime | None = None) -> dict[str, int]:
    """Text each escalation that has come due (`notify_at`) and was not told yet to every active
    user holding its role who has a mobile, once: the rows are claimed with SELECT … FOR UPDATE
    SKIP LOCKED and marked (`notified_at`) in the transaction that queues their SMS, each under the
    key complaint-escalation:<escalation>:<user>, so that two workers neither wait for nor repeat
    each other. The SMS go out once that transaction has committed.

    Nothing is sent unless COMPLAINT_ESCALATION_SMS, and nothing while the store is closed (a job
    that runs at night, catching up, waits for the opening). An escalation whose deadline no
    longer runs (the contact was made, the complaint closed) is marked without an SMS."""
    now = now or timezone.now()
    counts = Counter({"notified": 0, "dropped": 0, "sms": 0})
    if not settings.COMPLAINT_ESCALATION_SMS:
        return dict(counts)
    if not StoreClock(working=True, overrides=store_days()).is_open(now):
        return dict(counts)
    while True:
        with transaction.atomic():
            due = list(Escalation.objects.filter(notified_at__isnull=True, notify_at__lte=now)
                       .select_related("complaint").select_for_update(skip_locked=True, of=("self",))
                       .order_by("notify_at", "id")[:NOTIFY_BATCH])
            if not due:
                break
            staff = _staff_with_mobiles({escalation.role for escalation in due})
            for escalation in due:
                if not _still_running(escalation):
                    counts["dropped"] += 1
                    continue
                counts["notified"] += 1
                text = sms_text(escalation)
                for user_id, mobile in staff.get(escalation.role, []):
                    _alert, created = staff_alert_queue(
                        mobile=mobile, text=text, idempotency_key=f"complaint-escalation:{escalation.pk}:{user_id}",
                        user_id=user_id, now=now)
                    counts["sms"] += created
            Escalation.objects.filter(id__in=[escalation.id for escalation in due]).update(notified_at=now)
        if len(due) < NOTIFY_BATCH:
            break
    staff_alerts_dispatch(now=now)
    return dict(counts)
