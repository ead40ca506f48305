"""The day's first-maintenance solicitations, chases and maintenance reminders, and the letters.

`reminders_build(on=…)` reads the vehicles whose window opens on the day — from the due-date index
(`ServiceDue.due_on`), never the archive — for three kinds:

- first-maintenance solicitation (首保招揽): RETENTION_SOLICIT_DAYS_BEFORE days before the first
  maintenance falls due (by time or mileage, whichever first), while it is not done;
- first-maintenance chase (首保追踪): RETENTION_CHASE_DAYS_BEFORE days before it, a call, to those who
  have not come since they were solicited;
- maintenance reminder (保养提醒): RETENTION_REMINDER_DAYS_BEFORE days before the next maintenance.

A day the job did not run is caught up: a window opened up to DAILY_JOBS_CATCH_UP_DAYS days before
`on` is still made, though none that opened before the archive was first filled (`catch_up_from`). None is made for a vehicle with a booked appointment from `on` on, or one that
came (any repair order) since its window opened; a vehicle gets one reminder of a kind per due cycle,
whatever happens (`reminder_one_per_cycle`: a second run, or two at once, make nothing more).

How it goes (`channel_choose`): by SMS unless the customer refuses service texts or has no mobile;
a call for a chase, and for a customer with a concern (a problem or complaint lately, `concerns`:
the agent asks about it first); a letter for a customer who takes letters but no SMS, or has an
address and no mobile. A customer who refuses every channel there is gets a skipped reminder with
the reason. SMS go through the SMS platform in one bulk insert per text (never in quiet hours: the
platform holds them until the hours end), calls are callbacks of their own kind (source key
`reminder:<id>`), letters wait on the letters page until printed (`letters_mark_printed`).

A call reminder is done when its call is: each build first settles the pending call reminders whose
calls have closed.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from customers.models import TimelineEntry
from dealer_crm.messaging.models import Purpose, SmsTemplate
from dealer_crm.messaging.services import MessagingError, QueueItem, messages_queue_many
from followups.callbacks.models import Callback, CallbackKind, CallbackRule
from followups.callbacks.services.building import IMPORTANCE_BOOST, OPEN_PROBLEM_BOOST, callback_window

from ..due import AFTER_PREFIX, FIRST_CYCLE
from ..models import Channel, Reminder, ReminderKind, ServiceDue
from .common import (Reason, callbacks_insert, catch_up_from, chunks, day_start, insert_returning, jit_off,
                     preferences_of, update_values)
from .concerns import concern_of

logger = logging.getLogger(__name__)

K = ReminderKind
CALL_KIND = {K.FIRST_MAINTENANCE: CallbackKind.SOLICIT, K.FIRST_CHASE: CallbackKind.SOLICIT,
             K.MAINTENANCE: CallbackKind.REMINDER}
TEMPLATE_KEY = {K.FIRST_MAINTENANCE: "retention_first", K.FIRST_CHASE: "retention_first",
                K.MAINTENANCE: "retention_reminder"}
# A call's rule when the supervisor has none (an emptied database): the migration's defaults.
CALL_DEFAULTS = {CallbackKind.SOLICIT: (5, 14), CallbackKind.REMINDER: (0, 14), CallbackKind.WIN_BACK: (0, 14)}
BUILT = (K.FIRST_MAINTENANCE, K.FIRST_CHASE, K.MAINTENANCE)


def lead_days(kind: str) -> int:
    """How many days before the vehicle falls due the kind's window opens."""
    return {K.FIRST_MAINTENANCE: settings.RETENTION_SOLICIT_DAYS_BEFORE, K.FIRST_CHASE: settings.RETENTION_CHASE_DAYS_BEFORE,
            K.MAINTENANCE: settings.RETENTION_REMINDER_DAYS_BEFORE}[kind]


def came_since(kind: str, due_on: date) -> date:
    """A visit on or after this day means the vehicle came: no reminder. For a chase, since the
    solicitation's window opened (it is for those who did not come when solicited)."""
    first = settings.RETENTION_SOLICIT_DAYS_BEFORE
    return due_on - timedelta(days=first if kind in (K.FIRST_MAINTENANCE, K.FIRST_CHASE) else lead_days(kind))


@dataclass(frozen=True)
class Route:
    channel: str
    status: str
    skip_reason: str = ""


def channel_choose(*, kind: str, concern: str, mobile: str, phone2: str, address: str, takes_sms: bool | None,
                   takes_calls: bool | None, takes_letters: bool | None, calls_on: bool = True) -> Route:
    """How a reminder reaches the customer (see the module's docstring). `takes_*`: what the customer
    said for service contacts on the channel (None: nothing, which allows); `calls_on`: whether the
    kind's call rule is switched on (off: no calls of that kind, the other channels only)."""
    usable = {
        Channel.SMS: bool(mobile) and takes_sms is not False,
        Channel.CALL: calls_on and bool(mobile or phone2) and takes_calls is not False,
        Channel.LETTER: bool(address.strip()) and takes_letters is not False,
    }
    if kind == K.FIRST_CHASE or concern:
        order = [Channel.CALL, Channel.SMS, Channel.LETTER]
    elif not mobile or (takes_sms is False and takes_letters is True):
        order = [Channel.LETTER, Channel.CALL]
    else:
        order = [Channel.SMS, Channel.CALL, Channel.LETTER]
    for channel in order:
        if usable[channel]:
            return Route(channel=channel, status=Reminder.Status.PENDING)
    refused = False in (takes_sms, takes_calls, takes_letters)
    return Route(channel=order[0], status=Reminder.Status.SKIPPED,
                 skip_reason=Reason.REFUSES_CONTACT if refused else Reason.NO_CONTACT)


@dataclass(frozen=True)
class _Candidate:
    vehicle_id: int
    customer_id: int
    kind: str
    cycle: str
    due_on: date
    window_end: date
    last_visit_on: date | None
    advisor: str
    plate: str
    model_name: str
    mobile: str
    phone2: str
    address: str
    importance: str


_FIELDS = ("vehicle_id", "customer_id", "cycle", "due_on", "window_end", "last_visit_on", "last_advisor",
           "vehicle__plate", "vehicle__model_name", "customer__mobile", "customer__phone2", "customer__address",
           "customer__importance")


def _candidates(on: date) -> list[_Candidate]:
    """The vehicles whose window of a kind opened on `on` or the days it catches up (`catch_up_from`), with an owner,
    no reminder of that kind for the cycle, and neither booked nor come since (one read per kind on
    the due-date index, one for the bookings)."""
    found = []
    first = catch_up_from(on)
    for kind in BUILT:
        lead = timedelta(days=lead_days(kind))
        dues = ServiceDue.objects.filter(customer__isnull=False, customer__merged_into__isnull=True,
                                         due_on__gte=first + lead, due_on__lte=on + lead)
        dues = (dues.filter(cycle=FIRST_CYCLE, first_done_on__isnull=True) if kind != K.MAINTENANCE
                else dues.filter(cycle__startswith=AFTER_PREFIX))
        made = Reminder.objects.filter(vehicle_id=OuterRef("vehicle_id"), kind=kind, cycle=OuterRef("cycle"))
        for row in dues.filter(~Exists(made)).order_by("vehicle_id").values_list(*_FIELDS):
            candidate = _Candidate(row[0], row[1], kind, *row[2:])
            if candidate.last_visit_on is None or candidate.last_visit_on < came_since(kind, candidate.due_on):
                found.append(candidate)
    booked = _booked({candidate.vehicle_id for candidate in found}, on=on)
    return [candidate for candidate in found if candidate.vehicle_id not in booked]


def _booked(vehicle_ids: set[int], *, on: date) -> set[int]:
    """The vehicles with an appointment booked from `on` on (the appointments app's, read by name:
    it sits beside retention)."""
    Appointment = apps.get_model("appointments", "Appointment")
    booked = set()
    for chunk in chunks(sorted(vehicle_ids)):
        booked |= set(Appointment.objects.filter(vehicle_id__in=chunk, status=Appointment.Status.BOOKED,
                                                 starts_at__gte=day_start(on)).values_list("vehicle_id", flat=True))
    return booked


def call_rules() -> dict[str, CallbackRule]:
    return {rule.kind: rule for rule in CallbackRule.objects.filter(
        kind__in=list(CALL_DEFAULTS), visit_kind="").select_related("sms_template")}


def call_fields(kind: str, rule: CallbackRule | None, *, on: date, now: datetime, importance: str,
                concern: bool = False) -> dict:
    """A retention call's rule, priority and dates: due on `on` at the shift's start (or now, when
    that has passed), open the rule's days; the customer's importance and a concern come first."""
    priority, expires_days = CALL_DEFAULTS[kind]
    if rule is not None:
        priority, expires_days = rule.priority, rule.expires_after_days
    due_at, expires_at = callback_window(source_on=on, due_day=0, expires_day=expires_days)
    due_at = max(due_at, min(now, expires_at))
    priority += IMPORTANCE_BOOST.get(importance, 0) + (OPEN_PROBLEM_BOOST if concern else 0)
    return {"kind": kind, "rule_id": rule.pk if rule is not None else None, "priority": priority, "due_at": due_at,
            "expires_at": max(expires_at, due_at), "created_on": on}


@transaction.atomic
def reminders_build(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """Make the day's solicitations, chases and reminders (see the module's docstring).

    Returns the counts made: per kind ("first", "first_chase", "maintenance"), per channel taken
    ("sms", "call", "letter"), "skipped" (nobody to send to, or the SMS platform refused), their
    total "created", and "settled" (call reminders whose calls closed). A second run creates 0."""
    now = now or timezone.now()
    jit_off()
    counts = {kind.value: 0 for kind in BUILT} | {"sms": 0, "call": 0, "letter": 0, "skipped": 0, "created": 0}
    counts["settled"] = call_reminders_settle(now=now)
    candidates = _candidates(on)
    if not candidates:
        return counts
    customer_ids = {candidate.customer_id for candidate in candidates}
    preferences = preferences_of(customer_ids)
    concerns = concern_of(customer_ids=customer_ids, on=on)
    rules = call_rules()
    planned = {}
    for candidate in candidates:
        said = preferences[candidate.customer_id]
        call_kind = CALL_KIND[candidate.kind]
        route = channel_choose(kind=candidate.kind, concern=concerns.get(candidate.customer_id, ""),
                               mobile=candidate.mobile, phone2=candidate.phone2, address=candidate.address,
                               takes_sms=said["sms"], takes_calls=said["phone"], takes_letters=said["letter"],
                               calls_on=rules[call_kind].enabled if call_kind in rules else True)
        planned[(candidate.vehicle_id, candidate.kind)] = (candidate, route)
    columns = ("vehicle_id", "customer_id", "kind", "cycle", "channel", "status", "skip_reason", "due_on", "window_end",
               "created_on", "advisor", "concern", "created_at")
    rows = [(c.vehicle_id, c.customer_id, c.kind, c.cycle, route.channel, route.status, route.skip_reason, c.due_on,
             c.window_end, on, c.advisor[:30], concerns.get(c.customer_id, ""), now) for c, route in planned.values()]
    made = insert_returning(Reminder._meta.db_table, columns, rows, ("id", "vehicle_id", "kind"))
    calls, texts = [], []
    for pk, vehicle_id, kind in made:
        candidate, route = planned[(vehicle_id, kind)]
        counts[kind] += 1
        if route.status == Reminder.Status.SKIPPED:
            counts["skipped"] += 1
        elif route.channel == Channel.CALL:
            calls.append((pk, candidate))
        elif route.channel == Channel.SMS:
            texts.append((pk, candidate))
        else:
            counts["letter"] += 1
    counts["created"] = len(made)
    counts["call"] = _calls_make(calls, rules=rules, concerns=concerns, on=on, now=now)
    sent, refused = _texts_send(texts, now=now)
    counts["sms"] = sent
    counts["skipped"] += refused
    logger.info("Retention reminders for %s: %s", on, counts)
    return counts


def _calls_make(calls: list[tuple[int, _Candidate]], *, rules: dict, concerns: dict, on: date, now: datetime) -> int:
    """A callback for each call reminder, in one insert, linked back to its reminder."""
    if not calls:
        return 0
    made = callbacks_insert([
        {"customer_id": c.customer_id, "vehicle_id": c.vehicle_id, "source_key": f"reminder:{pk}",
         "status": Callback.Status.OPEN.value, **call_fields(CALL_KIND[c.kind], rules.get(CALL_KIND[c.kind]), on=on,
                                                             now=now, importance=c.importance,
                                                             concern=bool(concerns.get(c.customer_id)))}
        for pk, c in calls], now=now)
    update_values(Reminder, ["callback_id"], [(pk, made[f"reminder:{pk}"]) for pk, _c in calls if f"reminder:{pk}" in made])
    return len(made)


def sms_date(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _texts_send(texts: list[tuple[int, _Candidate]], *, now: datetime) -> tuple[int, int]:
    """Queue the SMS reminders, one bulk insert per text, each under the key `retention-reminder:<id>`;
    a reminder the platform refused is skipped with its reason. Returns (sent, refused). The text is
    on the customer's timeline when it is sent (the SMS platform's entry): no entry of our own."""
    if not texts:
        return 0, 0
    templates = {template.key: template for template in SmsTemplate.objects.filter(key__in=set(TEMPLATE_KEY.values()))}
    done, skipped = [], {}
    by_key: dict[str, list[tuple[int, _Candidate]]] = {}
    for pk, candidate in texts:
        by_key.setdefault(TEMPLATE_KEY[candidate.kind], []).append((pk, candidate))
    for key, reminders in by_key.items():
        template = templates.get(key)
        items = [QueueItem(customer_id=c.customer_id, idempotency_key=f"retention-reminder:{pk}", source_id=str(pk),
                           variables={"plate": c.plate, "model": c.model_name, "advisor": c.advisor,
                                      "date": sms_date(c.window_end if c.kind != K.MAINTENANCE else c.due_on)})
                 for pk, c in reminders]
        try:
            if template is None:
                raise MessagingError(f"no SMS template {key}")
            outcome = messages_queue_many(items=items, purpose=Purpose.SERVICE, template=template, now=now,
                                          source_model=Reminder)
        except MessagingError as error:
            logger.warning("Retention reminders: the text %s was not queued: %s", key, error)
            skipped.setdefault(Reason.SMS_NOT_SENT, []).extend(pk for pk, _c in reminders)
            continue
        for (pk, _candidate), item in zip(reminders, items, strict=True):
            message_id = outcome.queued.get(item.idempotency_key)
            if message_id is None:
                skipped.setdefault(outcome.refused.get(item.idempotency_key, Reason.SMS_NOT_SENT), []).append(pk)
            else:
                done.append((pk, message_id, Reminder.Status.DONE.value, now))
    update_values(Reminder, ["message_id", "status", "done_at"], done)
    for reason, ids in skipped.items():
        for chunk in chunks(ids):
            Reminder.objects.filter(pk__in=chunk).update(status=Reminder.Status.SKIPPED, skip_reason=reason)
    return len(done), sum(len(ids) for ids in skipped.values())


def call_reminders_settle(*, now: datetime) -> int:
    """The pending call reminders whose calls have closed: done when the call was completed (or the
    customer took the SMS instead), else skipped with the call's end as the reason."""
    closed = (Reminder.objects.filter(channel=Channel.CALL, status=Reminder.Status.PENDING, callback__isnull=False)
              .exclude(callback__status__in=Callback.OPEN_STATUSES)
              .values_list("id", "callback__status", "callback__closed_at"))
    settled = []
    for pk, status, closed_at in closed:
        if status in (Callback.Status.COMPLETED, Callback.Status.SMS_SENT):
            settled.append((pk, Reminder.Status.DONE.value, "", closed_at or now))
        else:
            settled.append((pk, Reminder.Status.SKIPPED.value, str(status), closed_at or now))
    update_values(Reminder, ["status", "skip_reason", "done_at"], settled)
    return len(settled)


# --- letters ---------------------------------------------------------------------------------------
@transaction.atomic
def letters_mark_printed(*, reminder_ids: list[int], by, now: datetime | None = None) -> int:
    """The letters of these reminders were printed (and go out): done, each on its customer's
    timeline. Only letters still waiting count; printing one twice counts it once. Returns how many."""
    now = now or timezone.now()
    ids = sorted({int(pk) for pk in reminder_ids})
    waiting = list(Reminder.objects.select_for_update().filter(pk__in=ids, channel=Channel.LETTER,
                                                               status=Reminder.Status.PENDING)
                   .values_list("id", "customer_id", "vehicle_id", "kind", "due_on"))
    if not waiting:
        return 0
    Reminder.objects.filter(pk__in=[row[0] for row in waiting]).update(
        status=Reminder.Status.DONE, letter_printed_at=now, done_at=now)
    source_type = ContentType.objects.get_for_model(Reminder)
    TimelineEntry.objects.bulk_create([
        TimelineEntry(customer_id=customer_id, vehicle_id=vehicle_id, kind=TimelineEntry.Kind.REMINDER,
                      occurred_at=now, source_type=source_type, source_id=str(pk), created_by=by,
                      params={"variant": "letter", "reminder_kind": kind, "due_on": due_on.isoformat()})
        for pk, customer_id, vehicle_id, kind, due_on in waiting], batch_size=1000)
    return len(waiting)


# --- the callbacks' records --------------------------------------------------------------------------
def _source_id(callback, prefix: str) -> int | None:
    head, _sep, tail = (callback.source_key or "").partition(":")
    return int(tail) if head == prefix and tail.isdigit() else None


def reminder_of_callback(*, callback) -> Reminder | None:
    """The reminder a solicitation or reminder call was made for (its source key `reminder:<id>`)."""
    if callback is None or callback.pk is None:
        return None
    reminder = Reminder.objects.filter(callback_id=callback.pk).first()
    pk = _source_id(callback, "reminder")
    if reminder is None and pk is not None:
        reminder = Reminder.objects.filter(pk=pk, customer_id=callback.customer_id).first()
    return reminder
