"""Building the day's callback queues from the rules, closing what expired, and the callbacks
customers ask for.

The build (`callbacks_build`) is one INSERT … SELECT per rule and wave, straight from the archive:
no Python loop over deliveries or repair orders. For the day `on` (Asia/Shanghai) a rule's wave of
day N takes every source whose wave day has come (source date + N ≤ on) and whose expiry has not
passed (source date + expires_after_days ≥ on, and the end of that day is still ahead of `now`):

- thank-you and SSI: a vehicle's delivery, for its current owner (the open-ended owner role);
- CSI: a repair order closed N days before, for the visit's customer, one rule per visit type;
  internal orders (内部单) have no rule, so they never give a callback.

Counting the waves back to their expiry is the catch-up: a day the job did not run (the server was
down, the catch-up window of run_daily_jobs was shorter) is picked up by the next build, and a
callback is never built once it could only expire. What was built before is found by the
database's one-per-source constraint (`callback_one_per_source`): a second build of the same day,
or two builds at once, insert nothing more. A callback once built is never built again, whatever
became of it (completed, skipped, expired).

Each callback is due on its wave's day at the start of the agents' shift (CALLBACK_SHIFT_START) and
expires at the end of its expiry day. Its priority is the rule's plus the customer's boosts
(`IMPORTANCE_BOOST`, and `COMPLAINT_BOOST` for an open complaint — the complaints app says who has
one, `complaint_boost_sql_register` — or `OPEN_PROBLEM_BOOST`), so that complainers and important
customers come first in the queue.

Who is not called:
- merged customers (the survivor has the vehicles and visits) are not built at all;
- a customer without any phone is built SKIPPED with `no_phone`;
- a customer who refuses phone calls for service (their contact preferences, read in the same order
  as the SMS platform reads them: phone for service, phone for anything, any channel for service,
  any channel for anything — `customers.messaging`) and also SMS is SKIPPED with `refuses_contact`;
  one who takes SMS gets the rule's route: `sms` builds the callback already closed as SMS_SENT and
  queues the rule's text through the SMS platform (once: the message's key is the callback's), or
  `skip` builds it SKIPPED with `no_calls`.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import ContactPreference, Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from customers.services import timeline_add
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.models import Purpose, SmsTemplate

from ..models import Callback, CallbackKind, CallbackRule, OutcomeRule, Problem

logger = logging.getLogger(__name__)

# Priority boosts, added to the rule's priority when the callback is built.
IMPORTANCE_BOOST = {Customer.Importance.IMPORTANT: 5, Customer.Importance.VIP: 10}
# A customer with an open problem (waiting for the department or for the customer's confirmation);
# an open complaint instead counts for more (the boosts do not add up).
OPEN_PROBLEM_BOOST = 10
COMPLAINT_BOOST = 20

# Who has an open complaint is the complaints app's to say (it sits above the callback centre): it
# registers a condition on the build's `customer` row from its AppConfig.ready(), read for the new
# rows only. Without it, nobody has one.
_NO_COMPLAINT_SQL = "1 = 0"
_complaint_sql = _NO_COMPLAINT_SQL


def complaint_boost_sql_register(sql: str) -> None:
    """The SQL condition, true when the build's `customer` (the alias) has an open complaint; plain
    SQL that PostgreSQL and SQLite both run, on an index by customer (it runs once per new row),
    without a % (the statement's parameters are %(name)s)."""
    global _complaint_sql
    _complaint_sql = sql or _NO_COMPLAINT_SQL


# The kinds the daily build makes. Second callbacks come from problems (services.problems), and
# requested ones from `callback_request`; their rules hold their attempt policy and expiry.
BUILT_KINDS = (CallbackKind.THANK_YOU, CallbackKind.SSI, CallbackKind.CSI)
DELIVERY_KINDS = (CallbackKind.THANK_YOU, CallbackKind.SSI)


class CloseReason:
    """The codes a callback closes with when no agent completed it (`Callback.close_reason`)."""

    NO_PHONE = "no_phone"
    NO_CALLS = "no_calls"
    REFUSES_CONTACT = "refuses_contact"
    NO_MOBILE = "no_mobile"
    SMS_NOT_SENT = "sms_not_sent"
    EXPIRED = "expired"

    LABELS = {
        NO_PHONE: gettext_lazy("No phone number"),
        NO_CALLS: gettext_lazy("Takes no calls"),
        REFUSES_CONTACT: gettext_lazy("Refuses all contact"),
        NO_MOBILE: gettext_lazy("Takes no calls, and has no mobile for an SMS"),
        SMS_NOT_SENT: gettext_lazy("Takes no calls, and the SMS could not be sent"),
        EXPIRED: gettext_lazy("Expired before anyone reached the customer"),
    }


def close_reason_label(code: str) -> str:
    """The reason in the reader's language (the code itself when this module does not know it)."""
    return str(CloseReason.LABELS.get(code, code))


def shift_start() -> time:
    return time.fromisoformat(settings.CALLBACK_SHIFT_START)


def callback_window(*, source_on: date, due_day: int, expires_day: int) -> tuple[datetime, datetime]:
    """When a callback counted from `source_on` is due (its day, at the shift's start) and when it
    expires (the end of its expiry day, i.e. the next midnight), in the store's time zone. The
    build computes the same in SQL."""
    tz = timezone.get_current_timezone()
    due_at = datetime.combine(source_on + timedelta(days=due_day), shift_start(), tzinfo=tz)
    expires_at = datetime.combine(source_on + timedelta(days=max(expires_day, due_day) + 1), time(0), tzinfo=tz)
    return due_at, expires_at


# --- the build -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    """Where a rule's callbacks come from: a FROM clause joined to the wave's dates (`wave`: its
    columns are the source date, the due time and the expiry), with the columns customer_id,
    vehicle_id, visit_id, source_id, due_at and expires_at."""

    sql: str
    key_prefix: str


def _tables() -> dict[str, str]:
    return {
        "callback": Callback._meta.db_table, "customer": Customer._meta.db_table,
        "vehicle": Vehicle._meta.db_table, "role": VehicleRole._meta.db_table,
        "visit": ServiceVisit._meta.db_table, "preference": ContactPreference._meta.db_table,
        "problem": Problem._meta.db_table,
    }


# The VALUES of the wave's dates name their columns column1, column2, column3 (PostgreSQL and SQLite).
_DELIVERIES = _Source(key_prefix="delivery", sql="""
    SELECT role.customer_id, vehicle.id AS vehicle_id, CAST(NULL AS BIGINT) AS visit_id, vehicle.id AS source_id,
           wave.column2 AS due_at, wave.column3 AS expires_at
      FROM {wave} wave
      JOIN {vehicle} vehicle ON vehicle.delivery_date = wave.column1
      JOIN {role} role ON role.vehicle_id = vehicle.id AND role.kind = 'owner' AND role.ended_on IS NULL
""")

_VISITS = _Source(key_prefix="visit", sql="""
    SELECT visit.customer_id, visit.vehicle_id, visit.id AS visit_id, visit.id AS source_id,
           wave.column2 AS due_at, wave.column3 AS expires_at
      FROM {wave} wave
      JOIN {visit} visit ON visit.closed_on = wave.column1
     WHERE visit.kind = %(visit_kind)s AND visit.customer_id IS NOT NULL
""")

# One wave of one rule. The sources not built before are looked at first, so that a second run
# reads the customers of no one: a subquery per source, not NOT EXISTS, which the planner turned
# into a nested loop over the whole callback table when its statistics were stale (right after a
# big first build), one scan per source. ON CONFLICT is what makes two runs at once safe. The preferences: the most specific answer decides (the same order
# as customers.messaging's for SMS), no answer allows. Plain SQL that PostgreSQL and SQLite (the
# embedded default of `make run`) both run: the dates are computed in Python (`callback_window`).
_INSERT = """
WITH source AS (
    SELECT source.*, %(key_prefix)s || ':' || source.source_id || ':d' || %(day)s AS source_key
      FROM ({source}) source
), fresh AS MATERIALIZED (  -- each new row's preferences, problems and complaints read once, not per use
    SELECT source.*, customer.mobile, customer.phone2, customer.importance,
           (SELECT preference.allowed FROM {preference} preference
             WHERE preference.customer_id = customer.id AND preference.channel IN ('phone', 'any')
               AND preference.purpose IN ('service', 'all')
             ORDER BY preference.channel = 'any', preference.purpose = 'all' LIMIT 1) AS takes_calls,
           (SELECT preference.allowed FROM {preference} preference
             WHERE preference.customer_id = customer.id AND preference.channel IN ('sms', 'any')
               AND preference.purpose IN ('service', 'all')
             ORDER BY preference.channel = 'any', preference.purpose = 'all' LIMIT 1) AS takes_sms,
           ({has_complaint}) AS has_complaint,
           EXISTS (SELECT 1 FROM {problem} problem WHERE problem.customer_id = customer.id
                      AND problem.status IN ('open', 'fixed')) AS has_problem
      FROM source
      JOIN {customer} customer ON customer.id = source.customer_id AND customer.merged_into_id IS NULL
     WHERE (SELECT 1 FROM {callback} callback
             WHERE callback.customer_id = source.customer_id
               AND COALESCE(callback.vehicle_id, 0) = COALESCE(source.vehicle_id, 0)
               AND callback.kind = %(kind)s AND callback.source_key = source.source_key LIMIT 1) IS NULL
), routed AS (
    SELECT fresh.*, {status} AS status, {reason} AS close_reason FROM fresh
)
INSERT INTO {callback} (customer_id, vehicle_id, kind, source_key, visit_id, rule_id, status, priority,
                        due_at, expires_at, attempts, last_outcome, close_reason, closed_at, note,
                        created_on, created_at)
SELECT routed.customer_id, routed.vehicle_id, %(kind)s, routed.source_key, routed.visit_id, %(rule)s, routed.status,
       %(priority)s + CASE routed.importance WHEN 'important' THEN %(boost_important)s
                                             WHEN 'vip' THEN %(boost_vip)s ELSE 0 END
                    + CASE WHEN routed.has_complaint THEN %(boost_complaint)s
                           WHEN routed.has_problem THEN %(boost_problem)s ELSE 0 END,
       routed.due_at, routed.expires_at, 0, '', routed.close_reason,
       CASE WHEN routed.status = 'open' THEN NULL ELSE %(now)s END, '', %(on)s, %(now)s
  FROM routed
 WHERE 1 = 1  -- SQLite: without a WHERE, the ON CONFLICT would be read as a join's ON
ON CONFLICT DO NOTHING
RETURNING id, status
"""


def _routes(rule: CallbackRule) -> list[tuple[str, str, str]]:
    """Who is called and who is not, in order: (condition on `fresh`, status, close reason)."""
    S, R = Callback.Status, CloseReason
    routes = [("fresh.mobile = '' AND fresh.phone2 = ''", S.SKIPPED, R.NO_PHONE),
              ("fresh.takes_calls IS NOT FALSE", S.OPEN, ""),
              ("fresh.takes_sms IS FALSE", S.SKIPPED, R.REFUSES_CONTACT)]
    if rule.no_calls == CallbackRule.NoCalls.SMS and rule.sms_template_id is not None:
        return routes + [("fresh.mobile = ''", S.SKIPPED, R.NO_MOBILE), ("1 = 1", S.SMS_SENT, R.NO_CALLS)]
    return routes + [("1 = 1", S.SKIPPED, R.NO_CALLS)]


def _case(routes: list[tuple[str, str, str]], column: int) -> str:
    # The values are this module's own codes, never user input.
    return "CASE " + " ".join(f"WHEN {route[0]} THEN '{route[column]}'" for route in routes) + " END"


def rule_waves(rule: CallbackRule) -> list[int]:
    """The rule's due days that can be built: each at most the expiry day, no day twice."""
    return sorted({int(day) for day in rule.due_days or [] if 0 <= int(day) <= rule.expires_after_days})


def build_wave_sql(rule: CallbackRule, *, day: int, on: date, now: datetime) -> tuple[str, dict] | None:
    """The statement that builds one wave of one rule, and its parameters; None when every source
    date of the wave has expired by `now`. The wave's dates: those whose wave day has come and whose
    expiry day is `on` or later, less those already expired at `now` (bench/ explains it)."""
    ops = connection.ops
    dates, params = [], {}
    for back in range(day, rule.expires_after_days + 1):
        source_on = on - timedelta(days=back)
        due_at, expires_at = callback_window(source_on=source_on, due_day=day, expires_day=rule.expires_after_days)
        if expires_at <= now:
            continue
        n = len(dates)
        dates.append(f"(%(on{n})s, %(due{n})s, %(expires{n})s)")
        params |= {f"on{n}": ops.adapt_datefield_value(source_on), f"due{n}": ops.adapt_datetimefield_value(due_at),
                   f"expires{n}": ops.adapt_datetimefield_value(expires_at)}
    if not dates:
        return None
    source = _DELIVERIES if rule.kind in DELIVERY_KINDS else _VISITS
    tables = _tables()
    wave = "(VALUES " + ", ".join(dates) + ")"
    routes = _routes(rule)
    sql = _INSERT.format(source=source.sql.format(wave=wave, **tables), status=_case(routes, 1),
                         reason=_case(routes, 2), has_complaint=_complaint_sql, **tables)
    params |= {
        "key_prefix": source.key_prefix, "day": day, "kind": rule.kind, "rule": rule.pk, "visit_kind": rule.visit_kind,
        "priority": rule.priority, "boost_important": IMPORTANCE_BOOST[Customer.Importance.IMPORTANT],
        "boost_vip": IMPORTANCE_BOOST[Customer.Importance.VIP], "boost_complaint": COMPLAINT_BOOST,
        "boost_problem": OPEN_PROBLEM_BOOST, "on": ops.adapt_datefield_value(on),
        "now": ops.adapt_datetimefield_value(now),
    }
    return sql, params


def _build_wave(rule: CallbackRule, *, day: int, on: date, now: datetime) -> list[tuple[int, str]]:
    statement = build_wave_sql(rule, day=day, on=on, now=now)
    if statement is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.fetchall()


def rules_to_build() -> list[CallbackRule]:
    rules = CallbackRule.objects.filter(enabled=True, kind__in=BUILT_KINDS).select_related("sms_template")
    # A CSI rule is for one visit type; internal orders are never called back, whatever a rule says.
    return [rule for rule in rules if rule.kind != CallbackKind.CSI
            or (rule.visit_kind and rule.visit_kind != ServiceVisit.Kind.INTERNAL)]


@transaction.atomic
def callbacks_build(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """Build the callbacks due by `on` from the enabled rules (see the module's docstring).

    Returns the counts created: per kind ("thank_you", "ssi", "csi"), and of those, how many went
    the SMS route ("sms_sent") and how many were skipped ("skipped"). A second run creates 0.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # Short statements over the day's rows: compiling them (JIT) took longer than running them.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    counts = {kind.value: 0 for kind in BUILT_KINDS} | {"sms_sent": 0, "skipped": 0}
    routed: list[tuple[int, CallbackRule]] = []
    for rule in rules_to_build():
        for day in rule_waves(rule):
            for pk, status in _build_wave(rule, day=day, on=on, now=now):
                counts[rule.kind] += 1
                if status == Callback.Status.SKIPPED:
                    counts["skipped"] += 1
                elif status == Callback.Status.SMS_SENT:
                    routed.append((pk, rule))
    failed = _sms_route(routed, now=now)
    counts["sms_sent"] = len(routed) - failed
    counts["skipped"] += failed
    return counts


def _sms_route(routed: list[tuple[int, CallbackRule]], *, now: datetime) -> int:
    """Queue the rule's text for each callback built as SMS_SENT, once (the message's key is the
    callback's), with the timeline entry. This loops over the day's few customers who take no calls.
    A message the SMS platform does not queue (say, a mobile it finds invalid) turns the callback
    into SKIPPED with its reason. Returns how many were turned."""
    from dealer_crm.messaging.services import MessagingError, message_queue  # the only way to send

    if not routed:
        return 0
    rules = dict(routed)
    failed = 0
    for callback in Callback.objects.filter(pk__in=list(rules)).select_related("customer", "vehicle"):
        rule = rules[callback.pk]
        try:
            outcome = message_queue(customer_id=callback.customer_id, purpose=Purpose.SERVICE,
                                    idempotency_key=f"callback-sms:{callback.pk}", template=rule.sms_template,
                                    source=callback, now=now)
        except MessagingError as error:  # the template is switched off, or this gateway cannot send it
            logger.warning("Callback %s: the SMS route's text was not queued: %s", callback.pk, error)
            outcome = None
        if outcome is None or outcome.message is None:
            refused = outcome is not None and outcome.excluded in (
                Exclusion.REFUSES_ALL, Exclusion.REFUSES_SMS, Exclusion.OPTED_OUT)
            callback.status = Callback.Status.SKIPPED
            callback.close_reason = CloseReason.REFUSES_CONTACT if refused else CloseReason.SMS_NOT_SENT
            callback.save(update_fields=["status", "close_reason"])
            failed += 1
            continue
        timeline_add(customer=callback.customer, kind=TimelineEntry.Kind.CALLBACK, vehicle=callback.vehicle,
                     occurred_at=now, source=callback,
                     params={"variant": "sms_route", "callback_kind": callback.kind, "template": rule.sms_template.name})
    return failed


# --- expiry --------------------------------------------------------------------------------------
def callbacks_expire(*, now: datetime | None = None) -> int:
    """Close the callbacks still waiting in the queue past their expiry as EXPIRED ("expired"), in
    one UPDATE. A callback being called (IN_PROGRESS) is left to its agent, who is on the phone or
    about to be: the call's outcome closes it, and the next run expires it if it went back to the
    queue. Returns how many closed."""
    now = now or timezone.now()
    # expires_at ≥ due_at (a constraint): the queue's index on due_at narrows the rows to look at.
    return Callback.objects.filter(status=Callback.Status.OPEN, due_at__lte=now, expires_at__lte=now).update(
        status=Callback.Status.EXPIRED, close_reason=CloseReason.EXPIRED, closed_at=now)


# --- a callback the customer asked for -------------------------------------------------------------
# When no rule for requested callbacks exists: open for a week after the time asked for.
REQUESTED_EXPIRES_DAYS = 7


class CallbackRequestError(Exception):
    """A request the queue cannot take: the message says why, in the user's language, and `field`
    names what to correct ("at", "vehicle"; None: the request as a whole)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def request_source_key(*, by, at: datetime) -> str:
    """The same agent asking for the same customer at the same minute is one request (a double
    submit queues it once)."""
    return f"request:{by.pk}:{timezone.localtime(at):%Y%m%d%H%M}"


@transaction.atomic
def callback_request(*, customer: Customer, at: datetime, by, vehicle: Vehicle | None = None, note: str = "",
                     now: datetime | None = None) -> Callback:
    """Queue the call the customer asked for, due at the time they named, open for the requested
    rule's expiry days after it. The customer asked: their preferences against calls do not apply,
    and it is queued even if the requested rule is switched off. Recorded on the timeline."""
    now = now or timezone.now()
    if customer.merged_into_id is not None:
        raise CallbackRequestError(_("This customer was merged into another record: ask on the kept one."))
    if at < now - timedelta(minutes=5):
        raise CallbackRequestError(_("The time asked for has passed: choose a time from now on."), field="at")
    if vehicle is not None and not VehicleRole.objects.filter(vehicle=vehicle, customer=customer).exists():
        raise CallbackRequestError(_("This vehicle is not the customer's."), field="vehicle")
    rule = CallbackRule.objects.filter(kind=CallbackKind.REQUESTED, visit_kind="").first()
    expires_days = rule.expires_after_days if rule is not None else REQUESTED_EXPIRES_DAYS
    local_day = timezone.localtime(at).date()
    _due, expires_at = callback_window(source_on=local_day, due_day=0, expires_day=expires_days)
    callback, created = Callback.objects.get_or_create(
        customer=customer, vehicle=vehicle, kind=CallbackKind.REQUESTED, source_key=request_source_key(by=by, at=at),
        defaults={"rule": rule, "priority": rule.priority if rule is not None else 0, "due_at": at,
                  "expires_at": max(expires_at, at), "note": note.strip()[:200], "created_on": timezone.localdate(now)},
    )
    if created:
        timeline_add(customer=customer, kind=TimelineEntry.Kind.CALLBACK, vehicle=vehicle, occurred_at=now,
                     source=callback, by=by, params={"variant": "requested", "at": at.isoformat(), "note": callback.note})
    return callback


# --- the rules' changes ----------------------------------------------------------------------------
RULE_FIELDS = ("enabled", "due_days", "expires_after_days", "priority", "max_attempts", "attempt_days", "no_calls",
               "sms_template", "unreachable_sms_template")


def due_days_parse(text: str) -> list[int]:
    """ "3, 7" → [3, 7]; commas (either width), 、 or spaces between the days. Raises ValidationError
    with what is wrong, in the user's language."""
    parts = [part for part in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part]
    if not parts:
        raise ValidationError(_("Enter at least one day, e.g. 3 or 3, 7."))
    days = []
    for part in parts:
        if not part.isdigit():
            raise ValidationError(_("“%(part)s” is not a number of days: write whole days separated by commas, "
                                    "e.g. 3, 7.") % {"part": part})
        days.append(int(part))
    if len(set(days)) != len(days):
        raise ValidationError(_("A day is given twice."))
    if max(days) > 365:
        raise ValidationError(_("A callback is due within a year: %(day)s days is too many.") % {"day": max(days)})
    return sorted(days)


def callback_rule_check(rule: CallbackRule) -> None:
    """The rules a rule keeps, whoever changes it (the page, the admin, a script)."""
    errors: dict[str, list[str]] = {}
    days = rule.due_days or []
    if not days:
        errors.setdefault("due_days", []).append(_("Enter at least one day, e.g. 3 or 3, 7."))
    elif rule.expires_after_days < max(days):
        errors.setdefault("expires_after_days", []).append(
            _("The callback would expire before its last due day (day %(day)s): choose day %(day)s or later.")
            % {"day": max(days)})
    if rule.no_calls == CallbackRule.NoCalls.SMS:
        if rule.sms_template is None:
            errors.setdefault("sms_template", []).append(
                _("Choose the text sent to customers who take no calls, or skip them instead."))
        elif rule.sms_template.purpose != Purpose.SERVICE:
            errors.setdefault("sms_template", []).append(_("Choose a service text: this one is for another purpose."))
    unreachable = rule.unreachable_sms_template
    if unreachable is not None and unreachable.purpose != Purpose.SERVICE:
        errors.setdefault("unreachable_sms_template", []).append(
            _("Choose a service text: this one is for another purpose."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def callback_rule_update(*, rule: CallbackRule, by, **changes) -> CallbackRule:
    """Change a rule; the next build uses it (the callbacks already queued keep their dates).
    Records who changed it."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"not a rule's setting: {sorted(unknown)}")
    rule = CallbackRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in changes.items():
        setattr(rule, name, value)
    if "due_days" in changes:
        rule.due_days = sorted({int(day) for day in rule.due_days})
    rule.updated_by = by
    rule.full_clean(exclude=["due_days"])
    callback_rule_check(rule)
    rule.save()
    return rule


@transaction.atomic
def outcome_rule_update(*, rule: OutcomeRule, retry_after_minutes: int | None) -> OutcomeRule:
    """When a customer reappears after a failed call (no answer, busy): those need a delay. Wrong
    number, refused and completed always end the callback, and "call back at…" takes the time the
    customer asks for: those take none (callback_attempt_record decides, not the rule)."""
    if not rule.takes_delay:
        if retry_after_minutes is not None:
            message = (_("“%(outcome)s” takes the time the customer asked for: it has no delay.")
                       if rule.outcome == OutcomeRule.Outcome.CALL_BACK else
                       _("“%(outcome)s” always ends the callback: it has no delay."))
            raise ValidationError({"retry_after_minutes": message % {"outcome": rule}})
    elif retry_after_minutes is None:
        raise ValidationError({"retry_after_minutes": _(
            "Enter after how many minutes the customer is called again (1 to 10080).")})
    if retry_after_minutes is not None and not 1 <= retry_after_minutes <= 7 * 24 * 60:
        raise ValidationError({"retry_after_minutes": _("Between 1 minute and 7 days (10080 minutes).")})
    rule = OutcomeRule.objects.select_for_update().get(pk=rule.pk)
    rule.retry_after_minutes = retry_after_minutes
    rule.save(update_fields=["retry_after_minutes", "updated_at"])
    return rule
