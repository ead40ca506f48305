"""The vehicles' maintenance due state (`ServiceDue`) kept up with the archive, and what the new
repair orders bring back.

`service_due_refresh()` reads what the archive gained since its last run (`RefreshMark`): repair
orders, vehicles and owner roles of higher ids, whoever added them (a form, an import, the demo),
and the vehicles and roles changed since (their history: a delivery date corrected, a merge that
moved a car to the kept customer, an owner role ended). It recomputes the due state of those
vehicles only (`due.due_compute`) and, for the new repair orders:

1. converts the reminders they answer: an unconverted reminder (not skipped) of the vehicle whose
   window the visit falls in (made on or before the visit's day, by `window_end`) gets the visit —
   the earliest one when several do;
2. cancels the vehicle's reminders still pending (a letter not printed, a call not made): it came,
   and their calls waiting in the queue with them;
3. marks the customer's open lapses as returned with the visit, and cancels their win-back calls
   waiting in the queue.

Its first run (no mark yet) fills the whole archive, a chunk of vehicles at a time, and records when
(`RefreshMark.filled_at`: the builds catch up no window that opened before); the archive's past is
not conversion, so only the reminders already there are matched then. Two runs at once take turns
on the mark's row: the second finds nothing new. A row committed after a run read its table, under
an id lower than the highest that run read (a long import still open while the job ran), is not
read by the next: the mark is a high-water mark, the job runs at 05:30.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from customers.catalogue.selectors import catalogue_snapshot
from customers.models import ServiceVisit, Vehicle, VehicleRole
from followups.callbacks.models import Callback

from ..due import Interval, Visit, due_compute
from ..models import Lapse, RefreshMark, Reminder, ServiceDue
from .common import RETENTION_CALL_KINDS, Reason, chunks, jit_off, update_values, upsert_rows

logger = logging.getLogger(__name__)

FILL_CHUNK = 20_000  # vehicle ids per chunk of the first fill
# History rows written while the last run read are read again: the refresh is idempotent.
HISTORY_OVERLAP = timedelta(minutes=5)
# What due.due_compute gives, by ServiceDue's column names (its fields of the same names).
DUE_COMPUTED = ("first_done_on", "last_maintenance_on", "last_maintenance_km", "last_visit_on", "last_advisor",
                "last_mileage", "last_mileage_on", "km_per_day", "cycle", "due_on", "due_by", "window_end")
DUE_COLUMNS = ("vehicle_id", "customer_id", "delivered_on", *DUE_COMPUTED, "refreshed_at")
INTERNAL = ServiceVisit.Kind.INTERNAL


def default_interval() -> Interval:
    return Interval(first_km=settings.RETENTION_FIRST_KM, first_months=settings.RETENTION_FIRST_MONTHS,
                    every_km=settings.RETENTION_INTERVAL_KM, every_months=settings.RETENTION_INTERVAL_MONTHS)


class _Intervals:
    """Each brand and model's intervals from one reading of the catalogue; the settings' for a model
    the catalogue does not know."""

    def __init__(self):
        self.catalogue = catalogue_snapshot()
        self.fallback = default_interval()
        self.known: dict[tuple[str, str], Interval] = {}

    def of(self, brand: str, model_name: str) -> Interval:
        key = (brand, model_name)
        if key not in self.known:
            model = self.catalogue.model_for(brand=brand, model_text=model_name)
            self.known[key] = self.fallback if model is None else Interval(
                first_km=model.first_maintenance_km, first_months=model.first_maintenance_months,
                every_km=model.interval_km, every_months=model.interval_months)
        return self.known[key]


def _recompute(intervals: _Intervals, *, vehicle_ids: list[int] | None = None,
               id_range: tuple[int, int] | None = None) -> int:
    """Compute and store the due state of these vehicles (a list of ids, or ids lo ≤ id < hi): three
    reads and one upsert. Returns how many rows were written."""
    if id_range is not None:
        by_vehicle = {"vehicle_id__gte": id_range[0], "vehicle_id__lt": id_range[1]}
        by_id = {"id__gte": id_range[0], "id__lt": id_range[1]}
    else:
        by_vehicle, by_id = {"vehicle_id__in": vehicle_ids}, {"id__in": vehicle_ids}
    vehicles = list(Vehicle.objects.filter(**by_id).order_by().values_list("id", "brand", "model_name", "delivery_date"))
    if not vehicles:
        return 0
    owners = dict(VehicleRole.objects.filter(kind=VehicleRole.Kind.OWNER, ended_on__isnull=True, **by_vehicle)
                  .order_by().values_list("vehicle_id", "customer_id"))
    visits: dict[int, list[Visit]] = defaultdict(list)
    for vehicle_id, pk, opened_on, kind, mileage, advisor in (
            ServiceVisit.objects.filter(**by_vehicle).exclude(kind=INTERNAL).order_by()
            .values_list("vehicle_id", "id", "opened_on", "kind", "mileage", "advisor")):
        visits[vehicle_id].append(Visit(id=pk, opened_on=opened_on, kind=kind, mileage=mileage, advisor=advisor))
    return_days, now = settings.RETENTION_RETURN_DAYS_AFTER, timezone.now()
    rows = []
    for vehicle_id, brand, model_name, delivered_on in vehicles:
        due = due_compute(delivered_on=delivered_on, visits=visits.get(vehicle_id, ()),
                          interval=intervals.of(brand, model_name), return_days=return_days)
        rows.append((vehicle_id, owners.get(vehicle_id), delivered_on, *(getattr(due, name) for name in DUE_COMPUTED),
                     now))
    upsert_rows(ServiceDue._meta.db_table, DUE_COLUMNS, "vehicle_id", rows)
    return len(rows)


def service_due_recompute(*, vehicle_ids: list[int]) -> int:
    """The due state of these vehicles, from what the archive holds now (a sold car's, a car whose
    model's intervals changed). Returns how many were written."""
    intervals, written = _Intervals(), 0
    for chunk in chunks(sorted(set(vehicle_ids))):
        written += _recompute(intervals, vehicle_ids=list(chunk))
    return written


@transaction.atomic
def service_due_refresh(*, vehicle_ids: list[int] | None = None, now: datetime | None = None) -> dict:
    """Recompute the due state of `vehicle_ids`, or (None) of whatever changed since the last run,
    and match the new repair orders to the reminders and lapses they answer (see the module's
    docstring). Returns {"refreshed", "converted", "cancelled", "returned"}."""
    now = now or timezone.now()
    counts = {"refreshed": 0, "converted": 0, "cancelled": 0, "returned": 0}
    if vehicle_ids is not None:
        counts["refreshed"] = service_due_recompute(vehicle_ids=vehicle_ids)
        return counts
    jit_off()
    started = timezone.now()  # the history's clock, whatever `now` says
    mark, _created = RefreshMark.objects.select_for_update().get_or_create(pk=1)
    intervals = _Intervals()
    filling = not (mark.visit_id or mark.vehicle_id or mark.role_id)
    if filling:
        top = {"visit": _max_id(ServiceVisit), "vehicle": _max_id(Vehicle), "role": _max_id(VehicleRole)}
        for low in range(0, top["vehicle"] + 1, FILL_CHUNK):
            counts["refreshed"] += _recompute(intervals, id_range=(low, low + FILL_CHUNK))
        # The archive's past answers only the reminders already made (a store that had some before).
        vehicles = set(Reminder.objects.filter(converted_visit__isnull=True).values_list("vehicle_id", flat=True))
        new_visits = _visits_of_vehicles(vehicles, up_to=top["visit"])
    else:
        read = list(ServiceVisit.objects.filter(id__gt=mark.visit_id).order_by()
                    .values_list("id", "vehicle_id", "customer_id", "opened_on", "kind"))
        # The mark moves to the highest id read, not the table's: a row committed after the read and above it
        # is the next run's.
        top_visit = max([mark.visit_id, *(row[0] for row in read)])
        new_visits = [row[:4] for row in read if row[4] != INTERNAL]
        new_vehicles = list(Vehicle.objects.filter(id__gt=mark.vehicle_id).values_list("id", flat=True))
        new_roles = list(VehicleRole.objects.filter(id__gt=mark.role_id).values_list("id", "vehicle_id"))
        since = mark.updated_at - HISTORY_OVERLAP
        changed = set(Vehicle.history.filter(history_date__gte=since).values_list("id", flat=True))
        changed |= set(VehicleRole.history.filter(history_date__gte=since).values_list("vehicle_id", flat=True))
        changed |= {vehicle_id for _pk, vehicle_id, _c, _o in new_visits} | set(new_vehicles)
        changed |= {vehicle_id for _pk, vehicle_id in new_roles}
        for chunk in chunks(sorted(changed)):
            counts["refreshed"] += _recompute(intervals, vehicle_ids=list(chunk))
        top = {"visit": top_visit,
               "vehicle": max([mark.vehicle_id, *new_vehicles]),
               "role": max([mark.role_id, *(pk for pk, _v in new_roles)])}
    counts |= _answers(new_visits, now=now)
    filled = {"filled_at": started} if filling else {}
    RefreshMark.objects.filter(pk=1).update(visit_id=top["visit"], vehicle_id=top["vehicle"], role_id=top["role"],
                                            updated_at=started, **filled)
    logger.info("Retention refresh: %s", counts)
    return counts


def _max_id(model) -> int:
    return model._base_manager.aggregate(top=Max("id"))["top"] or 0


def _visits_of_vehicles(vehicle_ids: set[int], *, up_to: int) -> list[tuple]:
    visits = []
    for chunk in chunks(sorted(vehicle_ids)):
        visits += list(ServiceVisit.objects.filter(vehicle_id__in=chunk, id__lte=up_to).exclude(kind=INTERNAL)
                       .order_by().values_list("id", "vehicle_id", "customer_id", "opened_on"))
    return visits


def _answers(new_visits: list[tuple], *, now: datetime) -> dict[str, int]:
    """What the new repair orders (id, vehicle, customer, opened on) answer: the reminders they
    convert, the pending reminders they cancel, the lapses they end (the module's docstring)."""
    if not new_visits:
        return {"converted": 0, "cancelled": 0, "returned": 0}
    by_vehicle: dict[int, list[tuple]] = defaultdict(list)
    by_customer: dict[int, list[tuple]] = defaultdict(list)
    for pk, vehicle_id, customer_id, opened_on in sorted(new_visits, key=lambda v: (v[3], v[0])):
        by_vehicle[vehicle_id].append((opened_on, pk))
        if customer_id is not None:
            by_customer[customer_id].append((opened_on, pk))
    earliest = min(opened_on for _pk, _v, _c, opened_on in new_visits)
    converted, cancelled, calls = [], [], []
    for chunk in chunks(sorted(by_vehicle)):
        reminders = (Reminder.objects.filter(vehicle_id__in=chunk, window_end__gte=earliest)
                     .filter(converted_visit__isnull=True).exclude(status=Reminder.Status.SKIPPED)
                     .values_list("id", "vehicle_id", "created_on", "window_end", "status", "callback_id"))
        for pk, vehicle_id, created_on, window_end, status, callback_id in reminders:
            visits = by_vehicle[vehicle_id]
            answer = next(((day, visit) for day, visit in visits if created_on <= day <= window_end), None)
            if answer is not None:
                converted.append((pk, answer[1], answer[0]))
            if status == Reminder.Status.PENDING and any(day >= created_on for day, _visit in visits):
                cancelled.append(pk)
                if callback_id:
                    calls.append(callback_id)
    update_values(Reminder, ["converted_visit_id", "converted_on"], converted)
    for chunk in chunks(cancelled):
        Reminder.objects.filter(pk__in=chunk, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, skip_reason=Reason.CAME, done_at=now)
    returned, win_backs = [], []
    for chunk in chunks(sorted(by_customer)):
        for pk, customer_id, since, callback_id in Lapse.objects.filter(
                customer_id__in=chunk, status=Lapse.Status.OPEN).values_list("id", "customer_id", "since", "callback_id"):
            answer = next(((day, visit) for day, visit in by_customer[customer_id] if day > since), None)
            if answer is not None:
                returned.append((pk, Lapse.Status.RETURNED.value, answer[1], answer[0], now))
                if callback_id:
                    win_backs.append(callback_id)
    update_values(Lapse, ["status", "returned_visit_id", "returned_on", "closed_at"], returned)
    calls_cancel(calls + win_backs, reason=Reason.CAME, now=now)
    return {"converted": len(converted), "cancelled": len(cancelled), "returned": len(returned)}


def calls_cancel(callback_ids: list[int], *, reason: str, now: datetime, by=None) -> int:
    """Cancel these retention calls while they wait in the queue; one an agent is on stays theirs."""
    count = 0
    for chunk in chunks(sorted(set(callback_ids))):
        count += Callback.objects.filter(pk__in=chunk, kind__in=RETENTION_CALL_KINDS, status=Callback.Status.OPEN).update(
            status=Callback.Status.CANCELLED, close_reason=reason, closed_at=now, closed_by=by)
    return count
