"""Appointments in the demo store (预约): the last three weeks' bookings and who came, today's day at
the service desk, and the two weeks ahead.

`manage.py seed_demo` calls `demo_seed` after retention's demo (INSTALLED_APPS order), for the
customers it has just made.

- The past `PAST_DAYS` are history, made in memory with the services' rules and written with COPY
  (as the callback centre's demo writes its calls): about a third of each day's repair orders were
  booked one to seven days before, by phone, on the customer page, at the car's delivery, or in a
  reminder call retention's demo completed (the reminder and the call linked); most of those
  customers were checked in at the desk, the others' repair orders linked them the next morning
  (`appointments_link_visits`); a few bookings were moved first (the old one points at the new),
  a few cancelled; some customers did not come, and the next morning's job made them no-shows with
  their follow-up calls (`appointment:<id>`, the no-show rule's dates and priority), played out as
  the callback centre's demo plays calls (most reached; those of the last days still in the queue).
  Each booking has its confirmation text (`appointment-booked:<id>`, 预约确认 or 预约改期), the
  day-before text of those booked by the morning before (`appointment-tomorrow:<id>` at
  APPOINTMENT_REMINDER_AT), sent and delivered, and the timeline entries the services write; the
  slots' `booked` is counted from the appointments that hold a place.
- Today and the next `FUTURE_DAYS` go through the services, at the moment each booking was made
  (`appointment_book`, `appointment_reschedule`, `appointment_cancel`, `appointment_check_in` with
  a past `now`): a full day at the desk (`TODAY_FILL` of the places; those of the hours gone by
  mostly checked in, the rest expected), then bookings thinning out with the distance, some made in
  completed reminder calls, a few moved or cancelled; then today's morning jobs as beat ran them at
  05:30 (the slots ahead, the repair orders linked, yesterday's no-shows, tomorrow's texts).

The number follows the store (a third of its repair orders, `DEMAND_SHARE` of the cars falling due
for each day ahead), never more than the places (the default 3 advisors' capacity), and today's day
view and the weeks ahead are filled even in a small store. The texts the services queued are
settled as sent once they may go (`settle_texts`). The same seed, customers and `now` give the
same appointments.
"""

import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.demo import DemoOutbox
from customers.messaging import CustomerAudience
from customers.models import (ContactPreference, Customer, ServiceVisit, TimelineEntry, Vehicle,
                              VehicleRole)
from dealer_crm.accounts.models import User
from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage, SmsTemplate
from followups.callbacks.demo import Source, _staff
from followups.callbacks.models import (Answer, CallAttempt, Callback, CallbackKind, CallbackRule, Problem, ProblemStep,
                                        ScriptResponse)
from followups.callbacks.services.building import CloseReason, callback_window
from followups.retention.demo import calls_centre, next_ids, rows_write, settle_texts
from followups.retention.models import Reminder, ServiceDue
from followups.retention.services.common import preferences_of

from .models import Appointment, ServiceResource, Slot
from .services import (BOOKED_TEMPLATE, MOVED_TEMPLATE, NO_SHOW_EXPIRES_DAYS, NO_SHOW_PRIORITY, TOMORROW_TEMPLATE,
                       AppointmentError, appointment_book, appointment_cancel, appointment_check_in,
                       appointment_reminders_send, appointment_reschedule, appointments_link_visits,
                       appointments_no_show, slots_ensure)

PAST_DAYS = 21
FUTURE_DAYS = 14
BOOKED_SHARE = 0.35  # of a past day's repair orders, booked beforehand
PAST_FILL = 0.75  # at most this share of a past day's places
TODAY_FILL = 0.6
FUTURE_FILL = 0.55  # tomorrow's share of the places, thinning to a tenth of it two weeks ahead
SMALL_STORE_DAY = 3  # bookings a day ahead at least, however small the store
DEMAND_SHARE = 0.004  # of the cars falling due about now, booked for each day ahead (at most the places)
NO_SHOW_SHARE = 0.1  # of a past day's bookings, nobody came (at least one on each of the last days)
RECENT_NO_SHOW_DAYS = 3
MOVED_SHARE = 0.05
CANCELLED_SHARE = 0.05
CHECKED_IN_SHARE = 0.75  # of the customers who came, checked in at the desk (the others linked by their order)
TODAY_CHECKED_IN = 0.85
FROM_REMINDER_SHARE = 0.3  # of the bookings, made in a completed reminder call when the car had one
JOBS_AT = time(5, 30)
WORK_HOURS = (8, 18)
# Customers like the morning: the hours they ask for, by weight (the suggestions spread them).
HOUR_WEIGHTS = {8: 3.0, 9: 3.0, 10: 2.2, 11: 1.6, 13: 1.0, 14: 1.3, 15: 1.1, 16: 0.9}
S = Appointment.Status
SOURCES = ((Appointment.Source.PHONE_CALL, 0.6), (Appointment.Source.CUSTOMER_PAGE, 0.3),
           (Appointment.Source.DELIVERY, 0.1))
HOLDING = (S.BOOKED, S.ARRIVED, S.NO_SHOW)  # the statuses that keep their place (cancel and move free it)

JOBS = {
    ServiceVisit.Kind.FIRST_MAINTENANCE: (["首次保养"], ["首次保养", "检查轮胎气压"]),
    ServiceVisit.Kind.SCHEDULED: (["常规保养"], ["常规保养", "更换空调滤芯"], ["常规保养", "更换刹车油"],
                                  ["常规保养", "四轮定位"]),
    ServiceVisit.Kind.REPAIR: (["检查底盘异响"], ["检查空调不制冷"], ["更换前刹车片"], ["检查发动机故障灯"]),
    ServiceVisit.Kind.WARRANTY: (["索赔：中控屏黑屏检查"], ["索赔：车窗升降异响"]),
    ServiceVisit.Kind.BODYWORK: (["右后门钣金喷漆"], ["前保险杠补漆"]),
    ServiceVisit.Kind.ACCIDENT: (["事故车定损维修"],),
}
WORDS = ("", "", "", "最近刹车时有点异响，顺便帮忙看看", "空调不太凉，想一起检查一下", "上午十点前能到，希望两个小时内取车",
         "想顺便做个四轮定位", "仪表盘上保养灯亮了", "上次说的刹车片这次一起换", "希望等车时能在休息区办公",
         "车子跑高速时方向盘有点抖", "需要开发票，抬头和上次一样")
PARTS = {ServiceVisit.Kind.FIRST_MAINTENANCE: ("首保套餐：机油、机滤", ""),
         ServiceVisit.Kind.SCHEDULED: ("机油机滤", "机油机滤、空调滤芯", "机油机滤、刹车油", ""),
         ServiceVisit.Kind.REPAIR: ("前刹车片", "空调压缩机皮带", ""),
         ServiceVisit.Kind.WARRANTY: ("", "玻璃升降器（待确认库存）"),
         ServiceVisit.Kind.BODYWORK: ("原厂漆料",), ServiceVisit.Kind.ACCIDENT: ("",)}
MOVE_REASONS = ("客户临时出差，改到下周", "客户当天有事，改约下午", "客户要求改到周末", "客户说那天车要送孩子，改期")
CANCEL_REASONS = ("客户车辆已在外地保养", "客户临时有事，说之后再约", "客户车已卖掉", "客户说里程还不到，晚些再来")

CALL_TABLES = (Callback, CallAttempt, ScriptResponse, Answer, Problem, ProblemStep)
PAST_TABLES = (OutboundMessage, DeliveryReceipt, *CALL_TABLES, Appointment, TimelineEntry)


def _weighted(rng: random.Random, pairs) -> object:
    return rng.choices([value for value, _share in pairs], weights=[share for _value, share in pairs])[0]


class DemoAppointments:
    def __init__(self, *, seed: int, now: datetime, customer_ids: range):
        self.rng = random.Random(seed * 6_007 + 17)
        self.seed, self.now, self.customer_ids = seed, now, customer_ids
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.jobs_on = self.today if timezone.localtime(now).time() >= JOBS_AT else self.today - timedelta(days=1)
        self.staff = _staff()
        users = User.objects.in_bulk(field_name="username", id_list=["agent", "interviewer", "service", "showroom"])
        self.desk = users.get("service")
        self.bookers = [user for user in (users.get("agent"), users.get("interviewer")) if user] + \
            list(User.objects.filter(pk__in=self.staff["agents"]).exclude(username="agent").order_by("id"))
        self.seller = users.get("showroom")
        self.users = {user.pk: user for user in [*self.bookers, *users.values()]}
        self.used: set[int] = set(Appointment.objects.filter(status=S.BOOKED).values_list("vehicle_id", flat=True))
        self.slots: dict[date, list[Slot]] = defaultdict(list)
        self.mine = {"customer_id__gte": customer_ids.start, "customer_id__lt": customer_ids.stop}
        self.changed = Counter()  # the bookings ahead moved and cancelled so far: at least one of each

    # --- time ----------------------------------------------------------------------------------------
    def at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def work_time(self, day: date) -> datetime:
        """A moment of the day when the agents and the desk take bookings."""
        minute = self.rng.randrange(WORK_HOURS[0] * 60 + 30, WORK_HOURS[1] * 60)
        return self.at(day, time(minute // 60, minute % 60, self.rng.randrange(60)))

    def booked_at(self, slot: Slot, *, not_after: datetime) -> datetime:
        """When a booking for `slot` was made: one to seven days before, never after `not_after`."""
        day = timezone.localtime(slot.starts_at).date() - timedelta(days=self.rng.choice((1, 1, 2, 2, 3, 4, 5, 7)))
        return min(self.work_time(day), not_after, slot.starts_at - timedelta(hours=2))

    # --- the slots and the cars ---------------------------------------------------------------------------
    def load_slots(self) -> None:
        start = self.today - timedelta(days=PAST_DAYS)
        slots_ensure(start=start, days=PAST_DAYS + settings.APPOINTMENT_DAYS_AHEAD + 1)
        for slot in (Slot.objects.filter(day__gte=start, day__lte=self.today + timedelta(days=FUTURE_DAYS),
                                         resource__active=True).select_related("resource").order_by("starts_at", "id")):
            self.slots[slot.day].append(slot)

    def places(self, day: date) -> int:
        return sum(slot.places for slot in self.slots.get(day, ()))

    def pick_slot(self, day: date, *, after: datetime | None = None) -> Slot | None:
        """A slot of the day with a place left, the hour the customer asks for by `HOUR_WEIGHTS`."""
        free = [slot for slot in self.slots.get(day, ()) if slot.booked < slot.places
                and (after is None or slot.starts_at > after)]
        if not free:
            return None
        weights = [HOUR_WEIGHTS.get(slot.hour, 0.5) * (slot.places - slot.booked) for slot in free]
        return self.rng.choices(free, weights=weights)[0]

    def pool(self) -> list[tuple[int, int, str]]:
        """Cars that may book (customer, vehicle, the kind of work), drawn from the end: those falling
        due about now (retention's due dates) first, with some of any owner's for repairs."""
        rng = self.rng
        due = list(ServiceDue.objects.filter(due_on__gte=self.today - timedelta(days=30),
                                             due_on__lte=self.today + timedelta(days=45), **self.mine)
                   .order_by("vehicle_id").values_list("customer_id", "vehicle_id", "cycle")[:20_000])
        rows = [(customer_id, vehicle_id, ServiceVisit.Kind.FIRST_MAINTENANCE if cycle == "first"
                 else ServiceVisit.Kind.SCHEDULED) for customer_id, vehicle_id, cycle in due]
        others = list(VehicleRole.objects.filter(kind=VehicleRole.Kind.OWNER, ended_on__isnull=True, **self.mine)
                      .order_by("vehicle_id").values_list("customer_id", "vehicle_id")[:20_000])
        rng.shuffle(others)
        kinds = [ServiceVisit.Kind.REPAIR, ServiceVisit.Kind.REPAIR, ServiceVisit.Kind.WARRANTY,
                 ServiceVisit.Kind.BODYWORK, ServiceVisit.Kind.SCHEDULED]
        extra = [(customer_id, vehicle_id, rng.choice(kinds))
                 for customer_id, vehicle_id in others[:len(rows) // 3 + 200]]
        rng.shuffle(rows)
        taken, unique = set(), []
        for row in extra + rows:
            if row[1] not in taken:
                taken.add(row[1])
                unique.append(row)
        return unique

    def reminder_calls(self, *, since: datetime, until: datetime, not_come: bool = False
                       ) -> dict[int, list[tuple[int, int, datetime, int]]]:
        """vehicle → (reminder, its call, when the call was completed, by whom) of the reminder calls the
        customers answered in that time (`not_come`: of cars that have not come since): a booking made
        in such a call is linked to both."""
        calls = defaultdict(list)
        reminders = Reminder.objects.filter(callback__status=Callback.Status.COMPLETED, callback__closed_at__gte=since,
                                            callback__closed_at__lt=until, **self.mine)
        if not_come:
            reminders = reminders.filter(converted_visit__isnull=True).exclude(status=Reminder.Status.CANCELLED)
        for pk, vehicle_id, callback_id, closed_at, closed_by in (
                reminders
                .order_by("id").values_list("id", "vehicle_id", "callback_id", "callback__closed_at",
                                            "callback__closed_by_id")):
            calls[vehicle_id].append((pk, callback_id, closed_at, closed_by))
        return calls

    # --- the past, in memory ---------------------------------------------------------------------------------
    def past(self) -> dict[str, int]:
        """The past days' bookings and what became of them (the module's docstring), written at once."""
        rng = self.rng
        start = self.today - timedelta(days=PAST_DAYS)
        self.ids = next_ids((*PAST_TABLES, BulkSend, InboundReply, ContactPreference))
        self.centre = calls_centre(seed=self.seed * 3 + 1, now=self.now, staff=self.staff, ids=self.ids)
        templates = {t.key: t for t in SmsTemplate.objects.filter(key__in=[BOOKED_TEMPLATE, MOVED_TEMPLATE,
                                                                          TOMORROW_TEMPLATE])}
        self.outbox = DemoOutbox(seed=self.seed * 5 + 3, today=self.today, templates=templates,
                                 gateway=settings.SMS_GATEWAY)
        self.outbox.ids = self.ids
        self.rows: list[dict] = []
        self.timeline: list[dict] = []
        self.types = {model: ContentType.objects.get_for_model(model).pk for model in (Appointment, Callback)}
        self.no_show_rule = CallbackRule.objects.filter(kind=CallbackKind.NO_SHOW, visit_kind="").first()
        self.reminded = self.reminder_calls(since=self.at(start, time(0)) - timedelta(days=10), until=self.now)
        visits: dict[date, list[tuple]] = defaultdict(list)
        came_on: dict[int, set[date]] = defaultdict(set)
        for opened_on, pk, customer_id, vehicle_id, kind in (
                ServiceVisit.objects.filter(opened_on__gte=start, opened_on__lt=self.today, **self.mine)
                .exclude(kind=ServiceVisit.Kind.INTERNAL).exclude(appointment__isnull=False).order_by("opened_on", "id")
                .values_list("opened_on", "id", "customer_id", "vehicle_id", "kind")):
            visits[opened_on].append((pk, customer_id, vehicle_id, kind))
            came_on[vehicle_id].add(opened_on)
        pool = self.pool()
        plans = []
        for offset in range(PAST_DAYS, 0, -1):
            day = self.today - timedelta(days=offset)
            if not self.slots.get(day):
                continue
            cap = round(self.places(day) * PAST_FILL)
            booked = [row for row in visits.get(day, ()) if row[2] not in self.used and rng.random() < BOOKED_SHARE]
            for visit_id, customer_id, vehicle_id, kind in booked[:cap]:
                plans.append((day, customer_id, vehicle_id, kind, visit_id))
                self.used.add(vehicle_id)
            missed = round(len(booked) * NO_SHOW_SHARE)
            if offset <= RECENT_NO_SHOW_DAYS or rng.random() < NO_SHOW_SHARE * 3:
                missed = max(missed, 1)
            while missed and pool:
                customer_id, vehicle_id, kind = pool.pop()
                if vehicle_id not in self.used and day not in came_on.get(vehicle_id, ()):
                    plans.append((day, customer_id, vehicle_id, kind, None))
                    self.used.add(vehicle_id)
                    missed -= 1
        people = sorted({plan[1] for plan in plans})
        self.values = CustomerAudience().variables(people) if people else {}
        self.mobiles = dict(Customer.objects.filter(pk__in=people).values_list("id", "mobile"))
        self.preferences = preferences_of(people)
        self.cars = {pk: (plate, model) for pk, plate, model in Vehicle.objects.filter(
            pk__in={plan[2] for plan in plans}).values_list("id", "plate", "model_name")}
        for day, customer_id, vehicle_id, kind, visit_id in plans:
            self.past_booking(day, customer_id=customer_id, vehicle_id=vehicle_id, kind=kind, visit_id=visit_id)
        self.day_before_texts()
        written = rows_write({
            OutboundMessage: self.outbox.batch.rows.get(OutboundMessage, []),
            DeliveryReceipt: self.outbox.batch.rows.get(DeliveryReceipt, []),
            **{model: self.centre.batch.rows.get(model, []) for model in CALL_TABLES},
            Appointment: self.rows,
            TimelineEntry: [*self.outbox.batch.rows.get(TimelineEntry, []),
                            *self.centre.batch.rows.get(TimelineEntry, []), *self.timeline]})
        touched = {row["slot_id"] for row in self.rows}
        holding = (Appointment.objects.filter(slot=OuterRef("pk"), status__in=HOLDING).order_by()
                   .values("slot").annotate(n=Count("id")).values("n"))
        Slot.objects.filter(pk__in=touched).update(booked=Coalesce(Subquery(holding), 0))
        for day, slots in self.slots.items():  # the cached slots count what the database now holds
            counts = dict(Slot.objects.filter(pk__in=[slot.pk for slot in slots]).values_list("id", "booked"))
            for slot in slots:
                slot.booked = counts.get(slot.pk, slot.booked)
        return written

    def take(self, slot: Slot) -> None:
        slot.booked += 1

    def free(self, slot: Slot) -> None:
        slot.booked -= 1

    def past_booking(self, day: date, *, customer_id: int, vehicle_id: int, kind: str, visit_id: int | None) -> None:
        rng = self.rng
        slot = self.pick_slot(day)
        if slot is None:
            return
        source, by, reminder_id, callback_id = _weighted(rng, SOURCES), None, None, None
        at = self.booked_at(slot, not_after=self.now)
        latest = slot.starts_at - timedelta(hours=2)
        call = next((c for c in reversed(self.reminded.get(vehicle_id, ())) if c[2] < latest), None)
        if call is not None and rng.random() < FROM_REMINDER_SHARE * 2:
            source, (reminder_id, callback_id, closed_at, by) = Appointment.Source.REMINDER_CALL, call
            at = closed_at + timedelta(minutes=rng.randrange(1, 4))
        elif source == Appointment.Source.DELIVERY:
            by = self.seller.pk if self.seller else None
        if by is None and self.bookers:
            by = rng.choice(self.bookers).pk
        first = None
        if visit_id is not None and rng.random() < MOVED_SHARE:
            first = self.pick_slot(timezone.localtime(at).date() + timedelta(days=rng.randint(1, 3)), after=at)
            if first is not None and first.starts_at >= slot.starts_at:
                first = None
        row = self.appointment(slot=first or slot, customer_id=customer_id, vehicle_id=vehicle_id, source=source,
                               kind=kind, by=by, at=at, reminder_id=reminder_id, callback_id=callback_id)
        if first is not None:  # moved to the day the customer came, before the first time came
            when = min(at + timedelta(hours=rng.randint(2, 30)), first.starts_at - timedelta(hours=1))
            when = max(when, at + timedelta(minutes=10))
            moved = self.appointment(slot=slot, customer_id=customer_id, vehicle_id=vehicle_id, source=source,
                                     kind=kind, by=by, at=when, reminder_id=reminder_id, callback_id=callback_id,
                                     previous=row, reason=rng.choice(MOVE_REASONS))
            row.update(status=S.RESCHEDULED, rescheduled_to_id=moved["id"], closed_at=when, closed_by_id=by,
                       close_reason=moved.pop("reason"))
            self.free(first)
            row = moved
        if visit_id is not None:
            row.update(status=S.ARRIVED, visit_id=visit_id)
            if rng.random() < CHECKED_IN_SHARE:
                arrived = slot.starts_at + timedelta(minutes=rng.randrange(-20, 30))
                row["arrived_at"] = arrived
                self.entry(row, "arrived", at=arrived, by=self.desk.pk if self.desk else None)
            return
        if day + timedelta(days=1) > self.jobs_on:
            return  # tomorrow morning's job will find it
        if rng.random() < CANCELLED_SHARE * 2:  # called to cancel (a no-show's place is kept, a cancel's freed)
            when = min(at + timedelta(hours=rng.randint(3, 40)), slot.starts_at - timedelta(hours=1))
            row.update(status=S.CANCELLED, closed_at=when, closed_by_id=by, close_reason=rng.choice(CANCEL_REASONS))
            self.free(slot)
            self.entry(row, "cancelled", at=when, by=by, reason=row["close_reason"])
            return
        self.no_show(row, on=day + timedelta(days=1))

    def appointment(self, *, slot: Slot, customer_id: int, vehicle_id: int, source: str, kind: str, by: int | None,
                    at: datetime, reminder_id: int | None, callback_id: int | None, previous: dict | None = None,
                    reason: str = "") -> dict:
        """A booking as `appointment_book` (or, moving `previous`, `appointment_reschedule`) stores it, with
        its confirmation text and timeline entry; the day-before text if it was booked by that morning."""
        rng = self.rng
        jobs = previous["jobs"] if previous else list(rng.choice(JOBS.get(kind, JOBS[ServiceVisit.Kind.SCHEDULED])))
        row = dict(
            id=self.ids.take(Appointment), customer_id=customer_id, vehicle_id=vehicle_id, slot_id=slot.pk,
            starts_at=slot.starts_at, status=S.BOOKED, source=source, jobs=jobs,
            customer_words=previous["customer_words"] if previous else rng.choice(WORDS),
            parts_note=previous["parts_note"] if previous else rng.choice(PARTS.get(kind, ("",))),
            reminder_id=reminder_id, callback_id=callback_id, visit_id=None, rescheduled_to_id=None,
            no_show_callback_id=None, booked_by_id=by, booked_at=at, arrived_at=None, closed_at=None, closed_by_id=None,
            close_reason="")
        self.rows.append(row)
        self.take(slot)
        row["resource"] = slot.resource  # for the texts and entries; dropped before writing
        if previous is None:
            self.entry(row, "booked", at=at, by=by, source=source, jobs=jobs)
            self.text(row, template=BOOKED_TEMPLATE, key=f"appointment-booked:{row['id']}", at=at)
        else:
            row["reason"] = reason
            self.entry(row, "rescheduled", at=at, by=by, previous=previous["starts_at"].isoformat(), reason=reason)
            self.text(row, template=MOVED_TEMPLATE, key=f"appointment-booked:{row['id']}", at=at)
        return row

    def day_before_texts(self) -> None:
        """The day-before text of each booking still booked when the morning job of the day before ran."""
        send_at = time.fromisoformat(settings.APPOINTMENT_REMINDER_AT)
        for row in self.rows:
            day = timezone.localtime(row["starts_at"], self.tz).date()
            job = self.at(day - timedelta(days=1), JOBS_AT)
            still = row["status"] in HOLDING or (row["closed_at"] is not None and row["closed_at"] > job)
            if still and row["booked_at"] < job <= self.now:
                self.text(row, template=TOMORROW_TEMPLATE, key=f"appointment-tomorrow:{row['id']}",
                          at=self.at(day - timedelta(days=1), send_at))

    def text(self, row: dict, *, template: str, key: str, at: datetime) -> None:
        if template not in self.outbox.templates or not self.mobiles.get(row["customer_id"]) or at > self.now:
            return
        if self.preferences.get(row["customer_id"], {}).get("sms") is False:
            return  # refuses service texts: the platform would not queue it
        local = timezone.localtime(row["starts_at"], self.tz)
        plate, model = self.cars.get(row["vehicle_id"], ("", ""))
        variables = {"date": f"{local.month}月{local.day}日", "time": f"{local:%H:%M}", "plate": plate, "model": model}
        if row["resource"].kind == ServiceResource.Kind.ADVISOR:
            variables["advisor"] = row["resource"].name
        sent = self.outbox.message((row["customer_id"], self.mobiles[row["customer_id"]]), key=key, values=self.values,
                                   when=at, template=template, variables=variables)
        if sent is not None:
            stored = self.outbox.batch.rows[OutboundMessage][-1]
            stored.update(source_type_id=self.types[Appointment], source_id=str(row["id"]))

    def entry(self, row: dict, variant: str, *, at: datetime, by: int | None, **params) -> None:
        """The appointment's timeline entry, as the services' `_timeline` writes it."""
        self.timeline.append(dict(
            id=self.ids.take(TimelineEntry), customer_id=row["customer_id"], vehicle_id=row["vehicle_id"],
            occurred_at=at, kind=TimelineEntry.Kind.APPOINTMENT, title="", body="",
            params={"variant": variant, "appointment": row["id"], "at": row["starts_at"].isoformat(),
                    "resource": row["resource"].name, **params},
            source_type_id=self.types[Appointment], source_id=str(row["id"]), created_by_id=by))

    def no_show(self, row: dict, *, on: date) -> None:
        """The morning job of `on` found nobody came: NO_SHOW with its follow-up call, as
        `appointments_no_show` makes it, played out until now."""
        job = self.at(on, JOBS_AT)
        rule = self.no_show_rule
        row.update(status=S.NO_SHOW, closed_at=job)
        if rule is not None and not rule.enabled:
            self.entry(row, "no_show", at=job, by=None, call=False)
            return
        expires_day = max(rule.expires_after_days if rule else NO_SHOW_EXPIRES_DAYS, 0)
        due_at, expires_at = callback_window(source_on=on, due_day=0, expires_day=expires_day)
        play_rule = rule or CallbackRule(kind=CallbackKind.NO_SHOW, visit_kind="", due_days=[0],
                                         expires_after_days=NO_SHOW_EXPIRES_DAYS, max_attempts=3, attempt_days=3)
        source = Source(customer_id=row["customer_id"], vehicle_id=row["vehicle_id"], kind=CallbackKind.NO_SHOW,
                        source_key=f"appointment:{row['id']}", brand="", rule=play_rule, due_at=due_at,
                        expires_at=expires_at, created_on=on, created_at=job)
        if self.preferences.get(row["customer_id"], {}).get("phone") is False:
            call = dict(  # takes no calls: the call is skipped at once, as the job makes it
                id=self.ids.take(Callback), customer_id=source.customer_id, vehicle_id=source.vehicle_id,
                kind=source.kind, source_key=source.source_key, visit_id=None, problem_id=None,
                rule_id=rule.pk if rule else None, status=Callback.Status.SKIPPED, priority=0, due_at=due_at,
                expires_at=expires_at, assigned_to_id=None, claimed_at=None, attempts=0, first_attempt_at=None,
                last_attempt_at=None, last_outcome="", closed_at=job, closed_by_id=None,
                close_reason=CloseReason.NO_CALLS, note="", created_on=on, created_at=job)
            self.centre.batch.rows.setdefault(Callback, []).append(call)
        else:
            call = self.centre.callback(source)
        call["priority"] = rule.priority if rule else NO_SHOW_PRIORITY
        row["no_show_callback_id"] = call["id"]
        self.entry(row, "no_show", at=job, by=None, call=True)

    # --- today and ahead, through the services ------------------------------------------------------------
    def book(self, *, customer: Customer, vehicle: Vehicle, slot: Slot, kind: str, at: datetime,
             source: str | None = None, reminder_id: int | None = None, callback_id: int | None = None,
             by: User | None = None) -> Appointment | None:
        rng = self.rng
        source = source or _weighted(rng, SOURCES)
        if source == Appointment.Source.DELIVERY:
            by = by or self.seller
        try:
            appointment = appointment_book(
                customer=customer, vehicle=vehicle, slot=slot,
                by=by or (rng.choice(self.bookers) if self.bookers else None),
                source=source, jobs=list(rng.choice(JOBS.get(kind, JOBS[ServiceVisit.Kind.SCHEDULED]))),
                customer_words=rng.choice(WORDS), parts_note=rng.choice(PARTS.get(kind, ("",))),
                reminder=Reminder.objects.filter(pk=reminder_id).first() if reminder_id else None,
                callback=Callback.objects.filter(pk=callback_id).first() if callback_id else None, now=at)
        except AppointmentError:
            return None  # booked meanwhile, or the slot filled: the customer took another day
        self.used.add(vehicle.pk)
        return appointment

    def today_and_ahead(self) -> None:
        rng = self.rng
        pool = self.pool()
        calls = [(vehicle_id, call) for vehicle_id, found in self.reminder_calls(
            since=self.now - timedelta(days=10), until=self.now, not_come=True).items() for call in found[-1:]]
        rng.shuffle(calls)
        plans = []
        for offset in range(0, FUTURE_DAYS + 1):
            day = self.today + timedelta(days=offset)
            if not self.slots.get(day):
                continue
            if offset == 0:
                count = round(self.places(day) * TODAY_FILL)
            else:
                fill = FUTURE_FILL * (1 - 0.9 * (offset - 1) / max(FUTURE_DAYS - 1, 1))
                count = min(round(self.places(day) * fill), max(SMALL_STORE_DAY, round(len(pool) * DEMAND_SHARE)))
            for _n in range(count):
                if offset and calls and rng.random() < FROM_REMINDER_SHARE:
                    vehicle_id, call = calls.pop()
                    if vehicle_id not in self.used:
                        plans.append((day, None, vehicle_id, None, call))
                        self.used.add(vehicle_id)
                        continue
                while pool and pool[-1][1] in self.used:
                    pool.pop()
                if not pool:
                    break
                customer_id, vehicle_id, kind = pool.pop()
                plans.append((day, customer_id, vehicle_id, kind, None))
                self.used.add(vehicle_id)
        for vehicle_id in [plan[2] for plan in plans]:
            self.used.discard(vehicle_id)  # taken for real by the bookings below
        reminders = Reminder.objects.in_bulk([plan[4][0] for plan in plans if plan[4]])
        vehicles = Vehicle.objects.in_bulk([plan[2] for plan in plans])
        customers = Customer.objects.in_bulk([plan[1] or reminders[plan[4][0]].customer_id for plan in plans])
        for day, customer_id, vehicle_id, kind, call in plans:
            slot = self.pick_slot(day, after=self.now if day > self.today else None)
            if slot is None:
                continue
            if call is not None:
                reminder = reminders[call[0]]
                at = call[2] + timedelta(minutes=rng.randrange(1, 4))
                if at >= slot.starts_at - timedelta(hours=2):
                    continue
                kind = (ServiceVisit.Kind.FIRST_MAINTENANCE if reminder.cycle == "first"
                        else ServiceVisit.Kind.SCHEDULED)
                appointment = self.book(customer=customers[reminder.customer_id], vehicle=vehicles[vehicle_id],
                                        slot=slot, kind=kind, at=at, source=Appointment.Source.REMINDER_CALL,
                                        reminder_id=reminder.pk, callback_id=call[1], by=self.users.get(call[3]))
            else:
                if day > self.today:  # booked on one of the last days
                    at = min(self.work_time(self.today - timedelta(days=rng.randint(0, 9))),
                             self.now - timedelta(minutes=5))
                else:
                    at = self.booked_at(slot, not_after=min(self.now, slot.starts_at - timedelta(hours=2)))
                appointment = self.book(customer=customers[customer_id], vehicle=vehicles[vehicle_id], slot=slot,
                                        kind=kind, at=at)
            if appointment is not None:
                self.later(appointment, offset=(day - self.today).days)

    def later(self, appointment: Appointment, *, offset: int) -> None:
        """What became of a booking of today or ahead by now: checked in (today, an hour gone by),
        moved or cancelled (a few; at least one of each a few days ahead), or still booked."""
        rng = self.rng
        if offset == 0:
            arrived = appointment.starts_at + timedelta(minutes=rng.randrange(-20, 30))
            if arrived <= self.now and rng.random() < TODAY_CHECKED_IN:
                appointment_check_in(appointment=appointment, by=self.desk, now=arrived)
            return
        when = appointment.booked_at + timedelta(hours=rng.randint(3, 48))
        if when >= self.now:
            return
        roll = rng.random()
        due = offset >= 4  # the guaranteed ones away from the next days, which the desk looks at
        if roll < CANCELLED_SHARE or (due and not self.changed["cancelled"] and self.changed["moved"]):
            appointment_cancel(appointment=appointment, by=appointment.booked_by, reason=rng.choice(CANCEL_REASONS),
                               now=when)
            self.changed["cancelled"] += 1
        elif roll < CANCELLED_SHARE + MOVED_SHARE or (due and not self.changed["moved"]):
            day = timezone.localtime(appointment.starts_at).date() + timedelta(days=rng.randint(1, 5))
            slot = self.pick_slot(day, after=when)
            if slot is not None:
                try:
                    appointment_reschedule(appointment=appointment, slot=slot, by=appointment.booked_by,
                                           reason=rng.choice(MOVE_REASONS), now=when)
                except AppointmentError:
                    return
                self.changed["moved"] += 1

    def today_jobs(self) -> None:
        """The morning jobs of the last run as beat ran them at 05:30: the slots ahead, the last days'
        repair orders linked, the no-shows found (none left: the past made them), tomorrow's texts."""
        now = self.at(self.jobs_on, JOBS_AT)
        slots_ensure(start=self.jobs_on, days=settings.APPOINTMENT_DAYS_AHEAD + 1)
        for back in range(0, 4):
            appointments_link_visits(on=self.jobs_on - timedelta(days=back))
        appointments_no_show(on=self.jobs_on, now=now)
        appointment_reminders_send(on=self.jobs_on, now=now)


def _counts() -> dict[str, int]:
    return {"slot": Slot.objects.count(), "appointment": Appointment.objects.count(),
            "no-show call": Callback.objects.filter(kind=CallbackKind.NO_SHOW).count()}


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The appointments of these customers (those seed_demo has just made) up to `now`, today's and
    the next two weeks' (see the module's docstring). Nothing is made for customers who have
    appointments already, so running it twice adds nothing. Returns the rows added per kind."""
    now = now or timezone.now()
    before = _counts()
    if not customer_ids or Appointment.objects.filter(customer_id__gte=customer_ids.start,
                                                      customer_id__lt=customer_ids.stop).exists():
        return dict.fromkeys(before, 0)
    demo = DemoAppointments(seed=seed, now=now, customer_ids=customer_ids)
    demo.load_slots()
    if not demo.slots:
        return dict.fromkeys(before, 0)  # no resource takes bookings
    demo.past()
    first_text = (OutboundMessage.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    demo.today_and_ahead()
    demo.today_jobs()
    settle_texts(first_id=first_text, now=now)
    after = _counts()
    return {name: after[name] - before[name] for name in after}
