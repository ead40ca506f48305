"""What the DCRC supervisor does to the queue: give callbacks to an agent (or back to everyone) in
bulk, and try once more a customer the agents lost contact with.

Reassigning is one UPDATE whose WHERE re-checks each row's status, so it cannot fight "take the next"
(`SELECT … FOR UPDATE SKIP LOCKED` in services/calls.py): a row claimed a moment before is either
waited for and then skipped because it is no longer open, or taken only when the supervisor asked
for the callbacks being called as well.

A callback being called (`in_progress`) belongs to the agent on the phone: it moves only when the
supervisor ticks "also the ones being called" (an agent who went home with one on the screen). It
then goes back to the queue as open, given to the new agent, who takes it from their list; the first
agent's attempt, if they still record one, is kept like any other.

Every bulk move is one audit event with the number of callbacks that moved and to whom.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, F, When
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import TimelineEntry
from customers.services import timeline_add
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .building import callback_window
from ..models import Callback, CallbackKind, CallbackRule

WORK_PERM = "callbacks.work_callback"
# The audit event names the callbacks moved, up to this many (a bulk move of a whole queue names
# its first ones and its count).
AUDITED_IDS = 200
# A retried lost contact stays in the queue this many days when no rule for requested callbacks exists.
RETRY_EXPIRES_DAYS = 7


class SupervisionError(Exception):
    """An act the supervisor may not do (the message says why, in the user's language)."""


def is_callback_agent(user) -> bool:
    """Whoever may be given callbacks: an active account holding `callbacks.work_callback`."""
    return bool(user is not None and user.is_active and user.has_perm(WORK_PERM))


def _movable(callback_ids: list[int], *, include_in_progress: bool):
    statuses = Callback.OPEN_STATUSES if include_in_progress else (Callback.Status.OPEN,)
    return Callback.objects.filter(pk__in=list(callback_ids), status__in=statuses)


def _move(*, callback_ids: list[int], agent, by, include_in_progress: bool) -> int:
    rows = _movable(callback_ids, include_in_progress=include_in_progress)
    rows = rows.exclude(assigned_to=agent) if agent is not None else rows.exclude(assigned_to__isnull=True)
    count = rows.update(
        assigned_to=agent,
        # One taken from the agent on the phone is back in the queue, no longer "being called".
        status=Callback.Status.OPEN,
        claimed_at=Case(When(status=Callback.Status.IN_PROGRESS, then=None), default=F("claimed_at")),
    )
    if count:
        ids = sorted({int(pk) for pk in callback_ids})
        audit_record(actor=by, action=AuditEvent.Action.CALLBACK_REASSIGN, detail={
            "moved": count,
            "to": agent.get_username() if agent is not None else "",
            "being_called": include_in_progress,
            "callbacks": ids[:AUDITED_IDS],
        })
    return count


@transaction.atomic
def callbacks_reassign(*, callback_ids: list[int], agent, by, include_in_progress: bool = False,
                       now: datetime | None = None) -> int:
    """Give the open callbacks among `callback_ids` to `agent`, in one UPDATE; how many moved.

    Closed callbacks, and those being called unless `include_in_progress`, are left as they are
    (the count says how many moved; the caller tells the supervisor about the rest). Raises
    `SupervisionError` if `agent` may not work the queue.
    """
    if not is_callback_agent(agent):
        raise SupervisionError(_("%(name)s is not a callback agent: callbacks can only be given to staff "
                                 "who work the callback queue.") % {"name": agent})
    return _move(callback_ids=callback_ids, agent=agent, by=by, include_in_progress=include_in_progress)


@transaction.atomic
def callbacks_unassign(*, callback_ids: list[int], by, include_in_progress: bool = False,
                       now: datetime | None = None) -> int:
    """Give the open callbacks among `callback_ids` back to the whole team (nobody's); how many moved."""
    return _move(callback_ids=callback_ids, agent=None, by=by, include_in_progress=include_in_progress)


RETRY_PREFIX = "lost:"


def retry_source_key(callback: Callback) -> str:
    return f"{RETRY_PREFIX}{callback.pk}"


def _retry_dates(rule: CallbackRule | None, now: datetime) -> tuple[datetime, datetime]:
    """Due tomorrow at the shift's start; open until the end of the rule's expiry day counted from then."""
    days = rule.expires_after_days if rule is not None else RETRY_EXPIRES_DAYS
    # counted from today: due on day 1, open until the end of day 1 + the rule's days
    return callback_window(source_on=timezone.localdate(now), due_day=1, expires_day=1 + days)


@transaction.atomic
def callback_retry_lost(*, callback: Callback, by, now: datetime | None = None) -> Callback:
    """A requested callback for tomorrow for a customer the agents lost contact with (再试一次).

    One per lost callback (the database's one-per-source constraint): a second click, or a second
    supervisor, gets `SupervisionError`. The customer's timeline shows who asked for it.
    """
    now = now or timezone.now()
    callback = Callback.objects.select_for_update(of=("self",)).select_related("customer", "vehicle").get(
        pk=callback.pk)
    if callback.status != Callback.Status.LOST_CONTACT:
        raise SupervisionError(_("Only a callback closed as lost contact can be tried again."))
    rule = CallbackRule.objects.filter(kind=CallbackKind.REQUESTED, visit_kind="").first()
    due_at, expires_at = _retry_dates(rule, now)
    try:
        with transaction.atomic():
            retry = Callback.objects.create(
                customer=callback.customer, vehicle=callback.vehicle, kind=CallbackKind.REQUESTED,
                source_key=retry_source_key(callback), rule=rule, priority=rule.priority if rule else 0,
                due_at=due_at, expires_at=expires_at, created_on=timezone.localdate(now),
            )
    except IntegrityError:
        raise SupervisionError(_("This customer is already queued to be tried again.")) from None
    timeline_add(
        customer=callback.customer, kind=TimelineEntry.Kind.CALLBACK, vehicle=callback.vehicle, source=retry,
        occurred_at=now, by=by,
        params={"variant": "retry_lost", "callback": retry.pk, "lost": callback.pk, "callback_kind": callback.kind,
                "at": due_at.isoformat()},
    )
    return retry
