"""Reads of the appointments' pages: the week's calendar of places, the service desk's day, one
appointment, the slots a time picked by hand names, the workshop's capacities, and the home panel's
arrivals. Each page runs a fixed number of queries whatever the number of bookings: the rows come
with their `select_related`, the week's places are summed in the database, and the store's own
calendar days are read once (`calendar.store_days`) and handed to `calendar.day_type`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from customers.models import Customer, Vehicle, VehicleRole

from .calendar import day_type, holiday_name, make_up_for, store_days
from .models import Appointment, Capacity, DayType, ServiceResource, Slot

# What the desk expects (or saw) that day; a cancelled or moved booking is listed apart.
EXPECTED = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED, Appointment.Status.NO_SHOW)
GONE = (Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED)
# The hours the calendar shows when no capacity names any (a store not set up yet).
DEFAULT_HOURS = range(8, 18)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The store's day as two instants (its local midnight and the next)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class DayInfo:
    """What kind of day it is for the workshop: its capacity's day type (None: closed), the public
    holiday's name if any, and whether it is a make-up working day (调休上班) or a day the store
    itself opens or closes."""

    day: date
    day_type: str | None
    holiday: str = ""
    make_up: bool = False  # a weekend day China works (调休): the working day's capacity
    store_says: bool | None = None  # the store's own calendar: True opens, False closes, None follows China

    @property
    def closed(self) -> bool:
        return self.day_type is None

    @property
    def weekend(self) -> bool:
        return self.day.weekday() >= 5


def day_info(day: date, *, overrides: dict[date, bool]) -> DayInfo:
    """`overrides`: the store's own days (`calendar.store_days`), read once by the caller."""
    kind = day_type(day, overrides=overrides)
    # China's make-up working day (调休上班) says so, with the holiday it makes up for: staff would
    # otherwise take it for a Saturday on the weekend's places.
    made_up = make_up_for(day) if kind == DayType.WORKDAY else ""
    return DayInfo(day=day, day_type=kind, holiday=holiday_name(day) or made_up, make_up=bool(made_up),
                   store_says=overrides.get(day))


# --- the week's calendar ---------------------------------------------------------------------------
@dataclass
class Cell:
    """One hour of one day: the places over the resources shown, and how many are booked."""

    day: date
    hour: int
    places: int = 0
    booked: int = 0
    bookable: bool = False  # in the future, on an open day, with a free place

    @property
    def free(self) -> int:
        return max(self.places - self.booked, 0)

    @property
    def load(self) -> str:
        """How full, for the cell's colour: "full", "busy" (two thirds or more), "quiet", or "" (no places)."""
        if not self.places:
            return ""
        if self.booked >= self.places:
            return "full"
        return "busy" if self.booked * 3 >= self.places * 2 else "quiet"


@dataclass
class CalendarDay:
    info: DayInfo
    cells: dict[int, Cell] = field(default_factory=dict)
    places: int = 0
    booked: int = 0

    @property
    def day(self) -> date:
        return self.info.day

    @property
    def free(self) -> int:
        return max(self.places - self.booked, 0)


@dataclass
class CalendarWeek:
    start: date
    days: list[CalendarDay]
    hours: list[int]
    resource: ServiceResource | None

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def has_places(self) -> bool:
        return any(day.places for day in self.days)

    @property
    def rows(self) -> list[tuple[int, list[Cell]]]:
        return [(hour, [day.cells[hour] for day in self.days]) for hour in self.hours]


def calendar_week(*, start: date, resource: ServiceResource | None = None, now: datetime | None = None
                  ) -> CalendarWeek:
    """The seven days from `start`, each hour's places and bookings summed over the active resources
    (or the one asked for). Three queries: the capacities' hours, the slots' sums, the store's days."""
    now = now or timezone.now()
    days = [start + timedelta(days=offset) for offset in range(7)]
    capacities = Capacity.objects.filter(resource__active=True, places__gt=0)
    slots = Slot.objects.filter(day__gte=days[0], day__lte=days[-1], resource__active=True)
    if resource is not None:
        capacities, slots = capacities.filter(resource=resource), slots.filter(resource=resource)
    hours = set(capacities.order_by().values_list("hour", flat=True).distinct())
    sums = list(slots.order_by().values("day", "hour").annotate(places=Sum("places"), booked=Sum("booked"))
                .values_list("day", "hour", "places", "booked"))
    hours |= {hour for _day, hour, _places, _booked in sums}
    hours = sorted(hours) or list(DEFAULT_HOURS)
    overrides = store_days(start=days[0], days=7)
    week = [CalendarDay(info=day_info(day, overrides=overrides),
                        cells={hour: Cell(day=day, hour=hour) for hour in hours}) for day in days]
    by_day = {calendar_day.day: calendar_day for calendar_day in week}
    for day, hour, places, booked in sums:
        cell = by_day[day].cells[hour]
        cell.places, cell.booked = places or 0, booked or 0
        by_day[day].places += cell.places
        by_day[day].booked += cell.booked
    local_now = timezone.localtime(now)
    for calendar_day in week:
        for cell in calendar_day.cells.values():
            starts = (calendar_day.day, cell.hour) > (local_now.date(), local_now.hour)
            cell.bookable = starts and not calendar_day.info.closed and cell.free > 0
    return CalendarWeek(start=start, days=week, hours=hours, resource=resource)


def bookable_resources() -> list[ServiceResource]:
    return list(ServiceResource.objects.filter(active=True).order_by("position", "name"))


# --- slots named by hand ---------------------------------------------------------------------------
def slot_at(*, day: date, hour: int, resource: ServiceResource | None = None) -> Slot | None:
    """The slot for a day and hour picked by hand ("other time"): the resource's, or among the
    active resources the one with the most free places (the earliest made on a tie). None when the
    workshop has no slot then (a closed day, an hour without capacity, a day not open for booking yet)."""
    slots = Slot.objects.filter(day=day, hour=hour, resource__active=True, places__gt=0).select_related("resource")
    if resource is not None:
        slots = slots.filter(resource=resource)
    found = sorted(slots, key=lambda slot: (-slot.free, slot.resource.position, slot.pk))
    return found[0] if found else None


def slot_for_booking(*, pk: int) -> Slot | None:
    return Slot.objects.select_related("resource").filter(pk=pk).first()


# --- the service desk's day ------------------------------------------------------------------------
def _with_everything(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.select_related("customer", "vehicle", "slot__resource", "booked_by", "closed_by", "visit",
                                       "reminder", "rescheduled_to")


@dataclass
class DeskDay:
    info: DayInfo
    expected: list[Appointment]  # booked, arrived, did not come: by time
    gone: list[Appointment]  # cancelled or moved to another time

    @property
    def by_hour(self) -> list[tuple[int, list[Appointment]]]:
        hours: dict[int, list[Appointment]] = {}
        for appointment in self.expected:
            hours.setdefault(appointment.slot.hour, []).append(appointment)
        return list(hours.items())

    def count(self, status: str) -> int:
        return sum(appointment.status == status for appointment in self.expected)

    @property
    def booked(self) -> int:
        return self.count(Appointment.Status.BOOKED)

    @property
    def arrived(self) -> int:
        return self.count(Appointment.Status.ARRIVED)

    @property
    def no_show(self) -> int:
        return self.count(Appointment.Status.NO_SHOW)


def desk_day(*, day: date) -> DeskDay:
    """The day's appointments for the service desk, with the customer, the car, the resource and
    who booked: two queries (the appointments, the store's calendar for that day)."""
    start, end = day_bounds(day)
    rows = list(_with_everything(Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end))
                .order_by("starts_at", "slot__resource__position", "id"))
    return DeskDay(info=day_info(day, overrides=store_days(start=day, days=1)),
                   expected=[row for row in rows if row.status in EXPECTED],
                   gone=[row for row in rows if row.status in GONE])


def appointment_detail(*, pk: int) -> Appointment:
    return _with_everything(Appointment.objects.all()).select_related("callback", "rescheduled_from").get(pk=pk)


# --- booking -----------------------------------------------------------------------------------------
def customer_vehicles(*, customer: Customer) -> list[Vehicle]:
    """The cars the customer owns or drives now, the owned first (one query)."""
    roles = (VehicleRole.objects.filter(customer=customer, ended_on__isnull=True).select_related("vehicle")
             .order_by("kind", "-started_on", "-id"))
    seen, vehicles = set(), []
    for role in roles:
        if role.vehicle_id not in seen:
            seen.add(role.vehicle_id)
            vehicles.append(role.vehicle)
    return vehicles


def booked_ahead(*, customer: Customer, now: datetime | None = None) -> list[Appointment]:
    """The customer's bookings still to come (shown on the booking page, so nobody books twice)."""
    now = now or timezone.now()
    return list(Appointment.objects.filter(customer=customer, status=Appointment.Status.BOOKED, starts_at__gte=now)
                .select_related("vehicle", "slot__resource").order_by("starts_at"))


# --- capacity ------------------------------------------------------------------------------------------
@dataclass
class ResourceCapacity:
    resource: ServiceResource
    places: dict[str, dict[int, int]]  # day type → hour → places

    lines: list[tuple[str, list[int | None], int]] = field(default_factory=list)  # for the table: see capacity_table

    def total(self, day_type: str) -> int:
        return sum(self.places.get(day_type, {}).values())


def capacities() -> list[ResourceCapacity]:
    """Every resource (in use first) with its places per day type and hour: two queries."""
    resources = list(ServiceResource.objects.select_related("user").order_by("-active", "position", "name"))
    by_resource = {resource.pk: ResourceCapacity(resource=resource, places={kind: {} for kind in DayType.values})
                   for resource in resources}
    for capacity in Capacity.objects.filter(resource__in=resources):
        by_resource[capacity.resource_id].places.setdefault(capacity.day_type, {})[capacity.hour] = capacity.places
    return list(by_resource.values())


def capacity_hours(rows: list[ResourceCapacity]) -> list[int]:
    hours = {hour for row in rows for by_hour in row.places.values() for hour, places in by_hour.items() if places}
    return sorted(hours) or list(DEFAULT_HOURS)


def capacity_table(rows: list[ResourceCapacity], hours: list[int]) -> list[ResourceCapacity]:
    """Each row's lines for the table: per day type, its label, the places of each hour shown
    (None: none) and the day's total."""
    for row in rows:
        row.lines = [(label, [row.places.get(kind, {}).get(hour) or None for hour in hours], row.total(kind))
                     for kind, label in DayType.choices]
    return rows


# --- the home panel ------------------------------------------------------------------------------------
def arrivals_expected(*, day: date) -> QuerySet[Appointment]:
    """The day's bookings the desk still waits for, by time."""
    start, end = day_bounds(day)
    return (Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end, status=Appointment.Status.BOOKED)
            .order_by("starts_at", "id"))



def booking_hours() -> list[int]:
    """The hours "another time" offers: those some resource in use takes cars at (one query)."""
    hours = (Capacity.objects.filter(resource__active=True, places__gt=0).order_by("hour")
             .values_list("hour", flat=True).distinct())
    return list(hours) or list(DEFAULT_HOURS)
