"""Retention in the demo store (招揽): the last 60 days of solicitations and reminders, a year of
lapsed customers, and today's work made by the daily jobs themselves.

`manage.py seed_demo` calls `demo_seed` after the callback centre's and the complaints' demos
(INSTALLED_APPS order), for the customers it has just made. What the history holds is what the
daily jobs would have made had they run every morning at 05:30, worked out with their own rules
(`due.due_compute` for each vehicle's state as the repair orders came in, the jobs' lead days,
catch-up and "came since" tests, `channel_choose` for the channel, `concern_of`, the call rules'
dates and priorities, the win-back routing):

- for each day of the last `HISTORY_DAYS`, each vehicle's first-maintenance solicitation, chase and
  maintenance reminder whose window opened that day; by SMS (queued at 05:30, sent when the quiet
  hours end, delivered or failed as real gateways do, with the platform's timeline entry), by call
  (the callback, its attempts and the script's answers, played by the callback centre's demo; most
  completed, some never reached, refused or expired) or by letter (printed on Mondays and
  Thursdays; those made since the last printing wait on the letters page);
- a vehicle that came (a repair order) cancels what still waited for it the next morning, its call
  too; the visit converts the reminder when it falls in its window (matched by the refresh, below);
- for each day of the last `LAPSE_DAYS`, the customers who crossed a lapse band, with their win-back
  call (or the rule's text for those who take no calls), each played out; a customer who came back
  returns their lapses the next morning; on some completed win-back calls the agent recorded why the
  customer stays away (`lapse_reason_record`: a price, a shop nearer home, a move, a sold car — which
  ends the owner's role in the archive —, a past visit or complaint).

Then the jobs of today run as beat runs them at 05:30 (`service_due_refresh`, which fills every
vehicle's due state and converts the history's reminders by the visits that answer them,
`reminders_build`, `lapses_build`), so today's solicitation, reminder and win-back calls are in the
queue and today's letters wait; the texts they queued are settled as sent once the quiet hours are
over (nothing waits in the outbox for the worker), those queued for later in the day stay queued.

A store bigger than `SAMPLE` customers gets the history for every k-th customer only (the jobs of
today still cover everyone): a million-customer store adds a few minutes, not an hour. The rows
of the history are made in memory and written with COPY (batched INSERTs elsewhere); the same
seed, customers and `now` give the same rows.
"""

import calendar
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from customers.demo import Batch, DemoOutbox, Ids, _copy, _insert, _may_skip_triggers
from customers.messaging import CustomerAudience
from customers.models import ContactPreference, Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from dealer_crm.accounts.models import User
from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage, SmsTemplate
from followups.callbacks.demo import DemoCallCentre, Source, _staff, _versions
from followups.callbacks.models import (
    Answer,
    CallAttempt,
    Callback,
    CallbackKind,
    CallbackRule,
    OutcomeRule,
    Problem,
    ProblemStep,
    ScriptResponse,
)

from .due import AFTER_PREFIX, FIRST_CYCLE, Visit, due_compute
from .models import Channel, Lapse, LapseBand, LapseReason, Reminder, ReminderKind, ServiceDue
from .services import (channel_choose, concern_of, lapse_reason_record, lapses_build, reminders_build,
                       service_due_refresh)
from .services.common import Reason, catch_up_days, chunks, preferences_of
from .services.lapses import _route
from .services.refresh import _Intervals
from .services.reminders import BUILT, CALL_KIND, TEMPLATE_KEY, call_fields, came_since, lead_days, sms_date

HISTORY_DAYS = 60  # solicitations and reminders
LAPSE_DAYS = 365  # lapses: an open one stays on the list until the customer comes back
SAMPLE = 30_000  # customers with a history at most (every k-th customer of a bigger store)
JOBS_AT = time(5, 30)  # when beat runs the daily jobs
PRINT_WEEKDAY = 0  # the letters go out on Mondays: those made at least PRINT_AFTER_DAYS before
PRINT_AFTER_DAYS = 3
PRINT_AT = time(10, 0)
LETTER_SHARE = 0.06  # customers who asked for their service reminders by letter, not SMS
WAITING_LETTERS = 3  # ... and of the customers reminded these last days, so many (some letters wait to be printed)
WAITING_DAYS = 6
LETTER_NOTES = ("客户年纪大，不看短信，要求保养提醒邮寄纸质信件", "客户要求保养提醒寄信到家，不要发短信")
BACKLOG_DAYS = 3  # of the retention calls made in the last days, a share not called yet: still in the queue
BACKLOG_SHARE = 0.5
UNHAPPY_SHARE = 0.08  # retention calls answered with a complaint about something
REASON_SHARE = 0.2  # of the completed win-back calls of the last REASON_DAYS, a reason recorded
REASON_DAYS = 90
REASONS_AT_MOST = 30
K = ReminderKind
R = LapseReason.Reason

TABLES = (ContactPreference, OutboundMessage, DeliveryReceipt, Callback, CallAttempt, ScriptResponse, Answer, Problem,
          ProblemStep, Reminder, Lapse, TimelineEntry)

# Why customers stay away, as the agents hear it on a win-back call (weights, notes).
REASONS = (
    (R.ELSEWHERE, 0.24, ("现在在家附近的修理厂保养，觉得方便", "朋友开的修理厂，一直在那里做", "在保险公司合作的店做了")),
    (R.PRICE, 0.18, ("觉得4S店保养太贵，外面便宜一半", "上次保养花了一千多，觉得不值")),
    (R.DISTANCE, 0.14, ("搬到新区住了，过来要一个多小时", "单位调到外地，平时不在蚌埠")),
    (R.MOVED, 0.08, ("已经搬到合肥定居，以后不方便回店", "全家去了上海，车也开过去了")),
    (R.SOLD, 0.12, ("车已经卖给朋友了", "车子置换了别的品牌")),
    (R.SERVICE_PROBLEM, 0.12, ("上次保养等了太久，不想再来", "上次维修后问题没解决，对店里有意见")),
    (R.OTHER, 0.12, ("车子平时很少开，还没到保养里程", "最近身体不好，车放着没开")),
)


def _weighted(rng: random.Random, pairs) -> object:
    return rng.choices([value for value, _share in pairs], weights=[share for _value, share in pairs])[0]


def _crossing(since: date, months: int) -> date:
    """The first morning the lapse job sees `since` as `months` months ago (`lapse_window`, whose
    months count as relativedelta's): the same day `months` later, or the first of the month after
    when that month has no such day (31 August + 6 months: 1 March)."""
    month = since.month - 1 + months
    year, month = since.year + month // 12, month % 12 + 1
    if since.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, since.day)
    return date(year + month // 12, month % 12 + 1, 1)


class RetentionCalls(DemoCallCentre):
    """The callback centre's demo playing retention calls: the same attempts and answers; a customer
    unhappy about something says so in the answers, but the agent raises no problem from a
    retention call in the demo (the department's problems are the callbacks' demo's)."""

    def problem(self, *args, **kwargs) -> None:
        return None


def next_ids(tables) -> Ids:
    """The next id of each of these tables, for rows that point at each other before they are written."""
    return Ids({model: (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1 for model in tables})


def calls_centre(*, seed: int, now: datetime, staff: dict, ids: Ids) -> RetentionCalls:
    """The callback centre's demo, set to play this app's (and the appointments') calls."""
    rules = {(rule.kind, rule.visit_kind): rule for rule in CallbackRule.objects.filter(enabled=True)}
    return RetentionCalls(
        rng=random.Random(seed * 7_907 + 31), now=now, ids=ids, staff=staff, rules=rules,
        outcomes=dict(OutcomeRule.objects.values_list("outcome", "retry_after_minutes")), versions=_versions(),
        content_types={model: ContentType.objects.get_for_model(model).pk for model in (Callback, Problem)})


def rows_write(rows: dict[type[models.Model], list[dict]]) -> dict[str, int]:
    """Write rows made in memory, in the order given (COPY on PostgreSQL, batched INSERTs elsewhere), in
    one transaction, then move the tables' sequences past them. Returns the rows written per table."""
    write = _copy if connection.vendor == "postgresql" else _insert
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _may_skip_triggers(cursor):
            cursor.execute("SET LOCAL session_replication_role = replica")  # consistent by construction
        target = cursor.cursor if write is _copy else cursor
        for model, made in rows.items():
            if made:
                write(target, model, made)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in rows:
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT MAX(id) FROM {table}), 1))")
    return {model._meta.model_name: len(made) for model, made in rows.items()}


class DemoRetention:
    """Makes the history's reminders, lapses, calls and texts in memory; `write` stores them."""

    def __init__(self, *, seed: int, now: datetime, jobs_on: date, staff: dict):
        self.rng = random.Random(seed * 7_907 + 29)
        self.now, self.jobs_on, self.staff = now, jobs_on, staff
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.back = catch_up_days()
        ids = next_ids((*TABLES, BulkSend, InboundReply, ContactPreference))
        self.ids = ids
        rules = {(rule.kind, rule.visit_kind): rule for rule in CallbackRule.objects.filter(enabled=True)
                 .select_related("sms_template")}
        self.rules = {kind: rules.get((kind, "")) for kind in (CallbackKind.SOLICIT, CallbackKind.REMINDER,
                                                                CallbackKind.WIN_BACK)}
        self.content_types = {model: ContentType.objects.get_for_model(model).pk
                              for model in (Callback, Problem, Reminder, OutboundMessage)}
        self.centre = calls_centre(seed=seed, now=now, staff=staff, ids=ids)
        self.templates = {template.key: template for template in SmsTemplate.objects.filter(
            key__in=[*TEMPLATE_KEY.values(), *(rule.sms_template.key for rule in self.rules.values()
                                               if rule is not None and rule.sms_template_id)])}
        self.outbox = DemoOutbox(seed=seed, today=self.today, templates=self.templates, gateway=settings.SMS_GATEWAY)
        self.outbox.ids = ids  # one id counter for the timeline entries both make
        self.batch = Batch()
        self.intervals = _Intervals()
        self.values: dict[int, dict] = {}  # the SMS variables of the customers texted
        self.letters: list[dict] = []
        self.completed_win_backs: list[tuple[dict, dict]] = []  # (lapse, call)

    def keep(self, model: type[models.Model], row: dict) -> None:
        """Add a row that is still changed after it is added (a reminder's call, a lapse's)."""
        self.batch.rows.setdefault(model, []).append(row)

    # --- time ------------------------------------------------------------------------------------------
    def at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def seen_at(self, visit_day: date) -> datetime:
        """When the jobs learn of a repair order opened that day: the next morning's refresh."""
        return self.at(visit_day + timedelta(days=1), JOBS_AT)

    def _rule(self, kind: str) -> CallbackRule:
        return self.rules.get(kind) or CallbackRule(kind=kind, visit_kind="", due_days=[0], expires_after_days=14,
                                                    max_attempts=3, attempt_days=3)

    # --- reading the sample ----------------------------------------------------------------------------
    def load(self, customer_ids: list[int]) -> None:
        self.customers = {pk: row for pk, *row in Customer.objects.filter(pk__in=customer_ids, merged_into__isnull=True)
                          .values_list("id", "mobile", "phone2", "address", "importance")}
        ids = sorted(self.customers)
        self.preferences = preferences_of(ids)
        self.vehicles: dict[int, tuple] = {}  # vehicle → (owner, brand, model, delivered, plate)
        self.current: dict[int, list[tuple]] = defaultdict(list)  # customer → (kind, started, role id, vehicle)
        self.visits: dict[int, list[Visit]] = defaultdict(list)  # vehicle → its visits
        self.customer_visits: dict[int, dict[date, int]] = defaultdict(dict)  # customer → day → first visit id
        for chunk in chunks(ids):
            for customer_id, vehicle_id, kind, started, role_id, brand, model_name, delivered, plate in (
                    VehicleRole.objects.filter(customer_id__in=chunk, ended_on__isnull=True).order_by("id")
                    .values_list("customer_id", "vehicle_id", "kind", "started_on", "id", "vehicle__brand",
                                 "vehicle__model_name", "vehicle__delivery_date", "vehicle__plate")):
                self.current[customer_id].append((kind, started, role_id, vehicle_id))
                if kind == VehicleRole.Kind.OWNER:
                    self.vehicles[vehicle_id] = (customer_id, brand, model_name, delivered, plate)
            for pk, vehicle_id, customer_id, opened_on, kind, mileage, advisor in (
                    ServiceVisit.objects.filter(customer_id__in=chunk).exclude(kind=ServiceVisit.Kind.INTERNAL)
                    .order_by("opened_on", "id").values_list("id", "vehicle_id", "customer_id", "opened_on", "kind",
                                                             "mileage", "advisor")):
                self.visits[vehicle_id].append(Visit(id=pk, opened_on=opened_on, kind=kind, mileage=mileage,
                                                     advisor=advisor))
                self.customer_visits[customer_id].setdefault(opened_on, pk)
        self.values = CustomerAudience().variables(ids) if ids else {}
        self.letter_takers(ids)

    def letter_takers(self, ids: list[int]) -> None:
        """A few customers with an address who said they want their service reminders by letter, not
        SMS (recorded when they bought the car), so the letters page has work; the archive's own
        answers are left as they are."""
        P = ContactPreference
        self.answered = set()
        for chunk in chunks(ids):
            self.answered |= set(P.objects.filter(customer_id__in=chunk, purpose__in=[P.Purpose.SERVICE, P.Purpose.ALL])
                                 .values_list("customer_id", flat=True))
        self.delivered = {owner: day for owner, _b, _m, day, _p in self.vehicles.values() if day}
        for customer_id in ids:
            if self.rng.random() < LETTER_SHARE:
                self.take_letters(customer_id)

    def take_letters(self, customer_id: int) -> bool:
        P = ContactPreference
        if customer_id in self.answered or not self.customers[customer_id][2].strip():
            return False
        self.answered.add(customer_id)
        recorded = self.delivered.get(customer_id) or self.today - timedelta(days=400)
        note = self.rng.choice(LETTER_NOTES)
        for channel, allowed in ((P.Channel.SMS, False), (P.Channel.LETTER, True)):
            self.batch.add(P, id=self.ids.take(P), customer_id=customer_id, channel=channel, purpose=P.Purpose.SERVICE,
                           allowed=allowed, reason=note, recorded_on=recorded, recorded_by_id=None)
        self.preferences[customer_id] = {**self.preferences[customer_id], "sms": False, "letter": True}
        return True

    def main_vehicle(self, customer_id: int) -> int | None:
        """The vehicle a win-back call is about: the newest they own, else drive (`lapses._main_vehicles`)."""
        roles = sorted(self.current.get(customer_id, ()), key=lambda r: (r[0] == VehicleRole.Kind.OWNER, r[1], r[2]))
        return roles[-1][3] if roles else None

    # --- the reminders -----------------------------------------------------------------------------
    def reminders(self) -> None:
        start = self.jobs_on - timedelta(days=HISTORY_DAYS)
        planned = []
        for vehicle_id, (customer_id, brand, model_name, delivered, plate) in sorted(self.vehicles.items()):
            visits = self.visits.get(vehicle_id, [])
            interval = self.intervals.of(brand, model_name)
            changes = sorted({visit.opened_on + timedelta(days=1) for visit in visits
                              if start < visit.opened_on + timedelta(days=1) < self.jobs_on})
            bounds = [start, *changes, self.jobs_on]
            made: set[tuple[str, str]] = set()
            for index, (begin, end) in enumerate(zip(bounds, bounds[1:])):
                due = due_compute(delivered_on=delivered, visits=[v for v in visits if v.opened_on < begin],
                                  interval=interval, return_days=settings.RETENTION_RETURN_DAYS_AFTER)
                if not due.cycle or due.due_on is None:
                    continue
                for kind in BUILT:
                    if kind == K.MAINTENANCE:
                        if not due.cycle.startswith(AFTER_PREFIX):
                            continue
                    elif due.cycle != FIRST_CYCLE or due.first_done_on is not None:
                        continue
                    if (kind, due.cycle) in made:
                        continue
                    opens = due.due_on - timedelta(days=lead_days(kind))
                    if index == 0 and opens < begin:
                        made.add((kind, due.cycle))  # made before the history begins
                        continue
                    day = max(opens, begin)
                    if day >= end or day > opens + timedelta(days=self.back):
                        continue
                    if due.last_visit_on is not None and due.last_visit_on >= came_since(kind, due.due_on):
                        continue
                    made.add((kind, due.cycle))
                    planned.append((day, vehicle_id, customer_id, kind, due, plate, model_name))
        planned.sort(key=lambda row: (row[0], row[1], row[3]))
        recent = sorted({row[2] for row in planned if row[0] >= self.jobs_on - timedelta(days=WAITING_DAYS)
                         and row[3] != K.FIRST_CHASE})
        self.rng.shuffle(recent)
        takers = 0
        for customer_id in recent:
            if takers >= WAITING_LETTERS:
                break
            takers += self.take_letters(customer_id)
        by_day: dict[date, list] = defaultdict(list)
        for row in planned:
            by_day[row[0]].append(row)
        for day, rows in sorted(by_day.items()):
            concerns = concern_of(customer_ids={row[2] for row in rows}, on=day)
            for _day, vehicle_id, customer_id, kind, due, plate, model_name in rows:
                self.reminder(day, vehicle_id=vehicle_id, customer_id=customer_id, kind=kind, due=due, plate=plate,
                              model_name=model_name, concern=concerns.get(customer_id, ""))
        self.print_letters()

    def came(self, vehicle_id: int, since: date) -> date | None:
        """The first day on or after `since` the vehicle came in (opened a repair order), if it did."""
        return next((visit.opened_on for visit in self.visits.get(vehicle_id, ()) if visit.opened_on >= since), None)

    def reminder(self, day: date, *, vehicle_id: int, customer_id: int, kind: str, due, plate: str, model_name: str,
                 concern: str) -> None:
        mobile, phone2, address, importance = self.customers[customer_id]
        said = self.preferences[customer_id]
        call_kind = CALL_KIND[kind]
        rule = self.rules.get(call_kind)
        route = channel_choose(kind=kind, concern=concern, mobile=mobile, phone2=phone2, address=address,
                               takes_sms=said["sms"], takes_calls=said["phone"], takes_letters=said["letter"],
                               calls_on=rule.enabled if rule is not None else True)
        job = self.at(day, JOBS_AT)
        row = dict(id=self.ids.take(Reminder), vehicle_id=vehicle_id, customer_id=customer_id, kind=kind,
                   cycle=due.cycle, channel=route.channel, status=route.status, skip_reason=route.skip_reason,
                   due_on=due.due_on, window_end=due.window_end, created_on=day, advisor=due.last_advisor[:30],
                   concern=concern, callback_id=None, message_id=None, letter_printed_at=None, done_at=None,
                   converted_visit_id=None, converted_on=None, created_at=job)
        self.keep(Reminder, row)
        came = self.came(vehicle_id, day)
        cancel_at = self.seen_at(came) if came is not None else None
        if route.status == Reminder.Status.SKIPPED:
            return
        if route.channel == Channel.CALL:
            self._reminder_call(row, call_kind=call_kind, importance=importance, concern=concern, cancel_at=cancel_at)
        elif route.channel == Channel.SMS:
            self._reminder_text(row, mobile=mobile, plate=plate, model_name=model_name, advisor=due.last_advisor)
        else:
            row["cancel_at"] = cancel_at
            self.letters.append(row)

    def _reminder_call(self, row: dict, *, call_kind: str, importance: str, concern: str,
                       cancel_at: datetime | None) -> None:
        day = row["created_on"]
        job = self.at(day, JOBS_AT)
        fields = call_fields(call_kind, self.rules.get(call_kind), on=day, now=job, importance=importance,
                             concern=bool(concern))
        call = self.play(kind=call_kind, key=f"reminder:{row['id']}", customer_id=row["customer_id"],
                         vehicle_id=row["vehicle_id"], fields=fields, created_at=job, cancel_at=cancel_at)
        row["callback_id"] = call["id"]
        # As call_reminders_settle and the refresh leave them: done, skipped with the call's end, cancelled.
        if call["status"] in (Callback.Status.COMPLETED, Callback.Status.SMS_SENT):
            row.update(status=Reminder.Status.DONE, done_at=call["closed_at"])
        elif call["status"] == Callback.Status.CANCELLED:
            row.update(status=Reminder.Status.CANCELLED, skip_reason=Reason.CAME, done_at=call["closed_at"])
        elif call["status"] not in Callback.OPEN_STATUSES:
            row.update(status=Reminder.Status.SKIPPED, skip_reason=call["status"], done_at=call["closed_at"])

    def _reminder_text(self, row: dict, *, mobile: str, plate: str, model_name: str, advisor: str) -> None:
        template = self.templates.get(TEMPLATE_KEY[row["kind"]])
        day = row["created_on"]
        job = self.at(day, JOBS_AT)
        sent = None
        if template is not None:
            date_of = row["window_end"] if row["kind"] != K.MAINTENANCE else row["due_on"]
            sent = self.outbox.message(
                (row["customer_id"], mobile), key=f"retention-reminder:{row['id']}", values=self.values,
                when=self.quiet_hours_end(job), template=template.key,
                variables={"plate": plate, "model": model_name, "advisor": advisor, "date": sms_date(date_of)})
        if sent is None:  # no text in use, or the customer's second car today: the platform refuses it
            row.update(status=Reminder.Status.SKIPPED,
                       skip_reason=Reason.SMS_NOT_SENT if template is None else "duplicate_mobile")
            return
        self._source(sent, Reminder, row["id"])
        # the SMS platform's entry when it is sent tells it (no reminder entry of its own, as reminders_build)
        row.update(status=Reminder.Status.DONE, message_id=sent["id"], done_at=job)

    def _source(self, sent: dict, model: type[models.Model], pk: int) -> None:
        """The record a text of the demo's outbox is about, on the row it keeps (a copy of `sent`)."""
        stored = self.outbox.batch.rows[OutboundMessage][-1]
        assert stored["id"] == sent["id"]
        stored.update(source_type_id=self.content_types[model], source_id=str(pk))

    def quiet_hours_end(self, moment: datetime) -> datetime:
        """When a text queued at `moment` leaves: at once, or when the quiet hours end."""
        hours = (settings.SMS_QUIET_HOURS or "").split("-")
        if len(hours) != 2:
            return moment
        begin, end = time.fromisoformat(hours[0]), time.fromisoformat(hours[1])
        local = timezone.localtime(moment, self.tz)
        quiet = local.time() >= begin or local.time() < end if begin > end else begin <= local.time() < end
        if not quiet:
            return moment
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        return self.at(day, end) + timedelta(seconds=self.rng.randrange(5, 300))

    def print_letters(self) -> None:
        """The letters made since the last printing go out on the printing days, by the demo agent;
        a vehicle that came first cancels its letter; those made since the last printing wait."""
        printer = self.staff["agent"]
        for row in self.letters:
            day = row["created_on"] + timedelta(days=PRINT_AFTER_DAYS)
            while day.weekday() != PRINT_WEEKDAY:
                day += timedelta(days=1)
            printed = self.at(day, PRINT_AT) + timedelta(minutes=self.rng.randrange(0, 50))
            cancel_at = row.pop("cancel_at")
            if cancel_at is not None and cancel_at <= min(printed, self.now):
                row.update(status=Reminder.Status.CANCELLED, skip_reason=Reason.CAME, done_at=cancel_at)
            elif printed <= self.now:
                row.update(status=Reminder.Status.DONE, letter_printed_at=printed, done_at=printed)
                self.timeline(row, at=printed, by=printer, params={
                    "variant": "letter", "reminder_kind": row["kind"], "due_on": row["due_on"].isoformat()})

    def timeline(self, row: dict, *, at: datetime, params: dict, by: int | None = None) -> None:
        self.batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=row["customer_id"],
                       vehicle_id=row["vehicle_id"], occurred_at=at, kind=TimelineEntry.Kind.REMINDER, params=params,
                       title="", body="", source_type_id=self.content_types[Reminder], source_id=str(row["id"]),
                       created_by_id=by)

    # --- the calls ------------------------------------------------------------------------------------
    def play(self, *, kind: str, key: str, customer_id: int, vehicle_id: int | None, fields: dict, created_at: datetime,
             cancel_at: datetime | None) -> dict:
        """A retention call and its attempts until now, as the callback centre's demo plays them; a
        visit's next-morning refresh cancels it while it still waits."""
        rule = self._rule(kind)
        expires_at = fields["expires_at"]
        stop = min(expires_at, cancel_at) if cancel_at is not None else expires_at
        if fields["created_on"] >= self.jobs_on - timedelta(days=BACKLOG_DAYS) and self.rng.random() < BACKLOG_SHARE:
            # Not called yet (the day's callbacks came first): waiting in the queue, some given to an agent.
            call = self.call_row(kind=kind, key=key, customer_id=customer_id, vehicle_id=vehicle_id, fields=fields,
                                 created_at=created_at, status=Callback.Status.OPEN, reason="")
            if stop < expires_at and stop <= self.now:
                call.update(status=Callback.Status.CANCELLED, close_reason=Reason.CAME, closed_at=stop)
            else:
                self.centre._queue_today(call)
            return call
        source = Source(customer_id=customer_id, vehicle_id=vehicle_id, kind=kind, source_key=key, brand="",
                        rule=rule, due_at=fields["due_at"], expires_at=stop, created_on=fields["created_on"],
                        created_at=created_at)
        call = self.centre.callback(source, satisfied=self.rng.random() >= UNHAPPY_SHARE)
        call.update(priority=fields["priority"], expires_at=expires_at)
        if stop < expires_at and call["status"] == Callback.Status.EXPIRED:
            call.update(status=Callback.Status.CANCELLED, close_reason=Reason.CAME, closed_at=stop, closed_by_id=None)
        elif call["status"] in Callback.OPEN_STATUSES and stop < expires_at and stop <= self.now:
            call.update(status=Callback.Status.CANCELLED, close_reason=Reason.CAME, closed_at=stop)
        return call

    def call_row(self, *, kind: str, key: str, customer_id: int, vehicle_id: int | None, fields: dict,
                 created_at: datetime, status: str, reason: str) -> dict:
        """A retention call the routing closed at once (the text instead, or nobody to call)."""
        rule = self.rules.get(kind)
        row = dict(id=self.ids.take(Callback), customer_id=customer_id, vehicle_id=vehicle_id, kind=kind,
                   source_key=key, visit_id=None, problem_id=None, rule_id=rule.pk if rule else None, status=status,
                   priority=fields["priority"], due_at=fields["due_at"], expires_at=fields["expires_at"],
                   assigned_to_id=None, claimed_at=None, attempts=0, first_attempt_at=None, last_attempt_at=None,
                   last_outcome="", closed_at=None if status == Callback.Status.OPEN else created_at,
                   closed_by_id=None, close_reason=reason, note="",
                   created_on=fields["created_on"], created_at=created_at)
        self.keep(Callback, row)
        return row

    # --- the lapses ---------------------------------------------------------------------------------
    def lapses(self) -> None:
        start = self.jobs_on - timedelta(days=LAPSE_DAYS)
        # Per band, the last visits that can cross it within the history (a few days' margin).
        bands = [(band, start - relativedelta(months=band.months) - timedelta(days=4),
                  self.jobs_on - relativedelta(months=band.months))
                 for band in LapseBand.objects.filter(active=True).order_by("months")]
        planned = []
        for customer_id in sorted(self.customers):
            if not self.current.get(customer_id):
                continue  # every car sold or ended: not lapsed
            days = sorted(self.customer_visits.get(customer_id, {}))
            for index, since in enumerate(days):
                following = days[index + 1] if index + 1 < len(days) else None
                for band, earliest, latest in bands:
                    if not earliest <= since <= latest:
                        continue
                    crossed = _crossing(since, band.months)
                    if not start <= crossed < self.jobs_on:
                        continue
                    if following is not None and following < crossed:
                        continue  # came back before
                    planned.append((crossed, customer_id, band, since, following))
        planned.sort(key=lambda row: (row[0], row[1], row[2].months))
        busy: dict[int, datetime | None] = {}  # customer → when their last win-back call closed (None: open)
        rule = self.rules.get(CallbackKind.WIN_BACK)
        sms_route = (rule is not None and rule.no_calls == CallbackRule.NoCalls.SMS and rule.sms_template_id is not None
                     and rule.sms_template.key in self.templates)
        for crossed, customer_id, band, since, following in planned:
            job = self.at(crossed, JOBS_AT)
            returned = self.seen_at(following) if following is not None else None
            row = dict(id=self.ids.take(Lapse), customer_id=customer_id, band_id=band.pk, since=since,
                       created_on=crossed, status=Lapse.Status.OPEN, callback_id=None, returned_visit_id=None,
                       returned_on=None, closed_at=None)
            if returned is not None and returned <= self.now:
                row.update(status=Lapse.Status.RETURNED, returned_on=following, closed_at=returned,
                           returned_visit_id=self.customer_visits[customer_id][following])
            self.keep(Lapse, row)
            if not band.win_back_call or (rule is not None and not rule.enabled):
                continue
            if customer_id in busy and (busy[customer_id] is None or busy[customer_id] > job):
                continue  # a win-back call of theirs still waits
            mobile, phone2, _address, importance = self.customers[customer_id]
            said = self.preferences[customer_id]
            status, reason = _route(mobile=mobile, phone2=phone2, takes_calls=said["phone"], takes_sms=said["sms"],
                                    sms_route=sms_route)
            fields = call_fields(CallbackKind.WIN_BACK, rule, on=crossed, now=job, importance=importance)
            key, vehicle_id = f"lapse:{row['id']}", self.main_vehicle(customer_id)
            if status == Callback.Status.OPEN:
                call = self.play(kind=CallbackKind.WIN_BACK, key=key, customer_id=customer_id, vehicle_id=vehicle_id,
                                 fields=fields, created_at=job, cancel_at=returned)
                if call["status"] == Callback.Status.COMPLETED and row["status"] == Lapse.Status.OPEN:
                    self.completed_win_backs.append((row, call))
            else:
                call = self.call_row(kind=CallbackKind.WIN_BACK, key=key, customer_id=customer_id,
                                     vehicle_id=vehicle_id, fields=fields, created_at=job, status=status, reason=reason)
                if status == Callback.Status.SMS_SENT and not self._win_back_text(call, rule=rule, mobile=mobile):
                    call.update(status=Callback.Status.SKIPPED, close_reason="sms_not_sent")
            row["callback_id"] = call["id"]
            busy[customer_id] = call["closed_at"] if call["status"] not in Callback.OPEN_STATUSES else None

    def _win_back_text(self, call: dict, *, rule: CallbackRule, mobile: str) -> bool:
        template = rule.sms_template
        sent = self.outbox.message((call["customer_id"], mobile), key=f"callback-sms:{call['id']}", values=self.values,
                                   when=self.quiet_hours_end(call["created_at"]), template=template.key)
        if sent is None:
            return False
        self._source(sent, Callback, call["id"])
        self.batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=call["customer_id"],
                       vehicle_id=call["vehicle_id"], occurred_at=call["created_at"], kind=TimelineEntry.Kind.CALLBACK,
                       params={"variant": "sms_route", "callback_kind": call["kind"], "template": template.name},
                       title="", body="", source_type_id=self.content_types[Callback], source_id=str(call["id"]),
                       created_by_id=None)
        return True

    # --- writing ---------------------------------------------------------------------------------------
    def write(self) -> dict[str, int]:
        return rows_write({model: [*self.outbox.batch.rows.get(model, []), *self.centre.batch.rows.get(model, []),
                                   *self.batch.rows.get(model, [])] for model in TABLES})

    # --- what the agents learnt -------------------------------------------------------------------------
    def reasons(self) -> int:
        """On some win-back calls completed lately, the reason the customer gave, recorded through the
        service (a sold car ends the owner's role, a move loses the lapses): the customer's latest
        lapse only, so nothing recorded then touches a lapse made after it."""
        latest = {}
        for lapse, call in self.completed_win_backs:
            latest[lapse["customer_id"]] = (lapse, call)
        since = self.now - timedelta(days=REASON_DAYS)
        candidates = [(lapse, call) for lapse, call in latest.values()
                      if call["closed_at"] >= since and self.rng.random() < REASON_SHARE]
        users = User.objects.in_bulk({call["closed_by_id"] for _lapse, call in candidates if call["closed_by_id"]})
        recorded = 0
        for lapse, call in candidates[:REASONS_AT_MOST]:
            customer = Customer.objects.get(pk=lapse["customer_id"])
            reason = _weighted(self.rng, [(code, share) for code, share, _notes in REASONS])
            vehicle = None
            if reason == R.SOLD:
                owned = [vehicle_id for kind, _s, _r, vehicle_id in self.current.get(customer.pk, ())
                         if kind == VehicleRole.Kind.OWNER]
                if not owned:
                    reason = R.OTHER
                else:
                    vehicle = Vehicle.objects.get(pk=owned[-1])
            note = self.rng.choice(next(notes for code, _share, notes in REASONS if code == reason))
            lapse_reason_record(customer=customer, reason=reason, by=users.get(call["closed_by_id"]), note=note,
                                vehicle=vehicle, lapse=Lapse.objects.get(pk=lapse["id"]),
                                now=call["closed_at"] + timedelta(minutes=self.rng.randrange(1, 4)))
            recorded += 1
        return recorded


def _sample(customer_ids: range) -> list[int]:
    step = max(1, -(-len(customer_ids) // SAMPLE))
    return list(customer_ids[::step])


def settle_texts(*, first_id: int, now: datetime) -> int:
    """The texts today's jobs queued, sent and delivered once they may go (the dispatcher's rows, its
    receipts and the customers' timeline entries, as the demo's outbox makes them); one to go later
    in the day (a seed run in the quiet hours) stays queued."""
    gateway = settings.SMS_GATEWAY
    rng = random.Random(first_id)
    due = list(OutboundMessage.objects.filter(id__gte=first_id, status=OutboundMessage.Status.QUEUED,
                                              not_before__lte=now).select_related("template"))
    entries, receipts = [], []
    for message in due:
        claimed = message.not_before + timedelta(seconds=rng.randrange(1, 20))
        message.status, message.attempts, message.claimed_at = OutboundMessage.Status.DELIVERED, 1, claimed
        message.sent_at = claimed + timedelta(seconds=1)
        message.settled_at = message.sent_at + timedelta(seconds=rng.randrange(3, 90))
        message.gateway, message.gateway_ref = gateway, f"{gateway}-{message.pk}"
        message.created_at = min(message.created_at, message.not_before)  # queued then, whenever the seed ran
        receipts.append(DeliveryReceipt(message=message, delivered=True, gateway=gateway,
                                        received_at=message.settled_at))
        entries.append(TimelineEntry(
            customer_id=message.customer_id, kind=TimelineEntry.Kind.SMS, occurred_at=message.sent_at,
            params={"variant": "sent", "purpose": message.purpose, "text": message.text,
                    "template": message.template.name if message.template_id else ""},
            source_type=ContentType.objects.get_for_model(OutboundMessage), source_id=str(message.pk),
            created_by_id=message.created_by_id))
    OutboundMessage.objects.bulk_update(due, ["status", "attempts", "claimed_at", "sent_at", "settled_at", "gateway",
                                              "gateway_ref", "created_at"], batch_size=1000)
    DeliveryReceipt.objects.bulk_create(receipts, batch_size=1000)
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    return len(due)


def _counts(customer_ids: range) -> dict[str, int]:
    mine = {"customer_id__gte": customer_ids.start, "customer_id__lt": customer_ids.stop}
    return {
        "servicedue": ServiceDue.objects.count(),
        "reminder": Reminder.objects.filter(**mine).count(),
        "lapse": Lapse.objects.filter(**mine).count(),
        "lapsereason": LapseReason.objects.filter(**mine).count(),
        "retention call": Callback.objects.filter(kind__in=[CallbackKind.SOLICIT, CallbackKind.REMINDER,
                                                            CallbackKind.WIN_BACK], **mine).count(),
    }


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """Retention's history of these customers (those seed_demo has just made) up to `now`, then the
    day's jobs (see the module's docstring).

    Nothing is made for customers who have reminders or lapses already, so running it twice for the
    same customers adds nothing. Returns the rows added per kind."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    before = _counts(customer_ids) if customer_ids else {}
    mine = {"customer_id__gte": customer_ids.start, "customer_id__lt": customer_ids.stop} if customer_ids else {}
    if not customer_ids or Reminder.objects.filter(**mine).exists() or Lapse.objects.filter(**mine).exists():
        return dict.fromkeys(before, 0)
    # The jobs of today have run once it is 05:30; before that, the last run was yesterday's.
    jobs_on = today if timezone.localtime(now).time() >= JOBS_AT else today - timedelta(days=1)
    jobs_now = datetime.combine(jobs_on, JOBS_AT, tzinfo=timezone.get_current_timezone())
    staff = _staff()
    demo = DemoRetention(seed=seed, now=now, jobs_on=jobs_on, staff=staff)
    demo.load(_sample(customer_ids))
    demo.reminders()
    demo.lapses()
    written = demo.write()
    demo.reasons()
    first_text = (OutboundMessage.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    service_due_refresh(now=jobs_now)
    reminders_build(on=jobs_on, now=jobs_now)
    lapses_build(on=jobs_on, now=jobs_now)
    settle_texts(first_id=first_text, now=now)
    after = _counts(customer_ids)
    counts = {name: after[name] - before[name] for name in after}
    counts["outboundmessage"] = written["outboundmessage"] + OutboundMessage.objects.filter(id__gte=first_text).count()
    return counts
