"""Reads of retention (招揽): the reminder list with its filters, the letters waiting to be printed,
the lapse list by band with what is known of why each customer stopped coming, the conversion
report, and the agent's retention calls for the home panel.

Each page's reads run a fixed number of queries whatever the number of rows: related rows come
with select_related, or with one query per kind of fact for the whole page (`lapse_context`); the
report's tables are one aggregate query each.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DateField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncMonth
from django.db.models.lookups import GreaterThanOrEqual

from customers.models import ServiceVisit, VehicleRole

from .models import Channel, Lapse, LapseBand, LapseReason, Reminder, ReminderKind, ServiceDue

YES, NO = "yes", "no"  # the converted filter
RETENTION_CALL_KINDS = ("solicit", "reminder", "win_back", "no_show")  # CallbackKind values retention makes


# --- the reminder list -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReminderFilters:
    kind: str = ""
    channel: str = ""
    status: str = ""
    converted: str = ""  # YES, NO or "" (either)
    made_from: date | None = None
    made_until: date | None = None


def reminder_list(*, filters: ReminderFilters) -> QuerySet[Reminder]:
    """Reminders and solicitations, the newest made first, with their customer, vehicle and call."""
    rows = Reminder.objects.select_related("customer", "vehicle", "callback")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.converted == YES:
        rows = rows.filter(converted_on__isnull=False)
    elif filters.converted == NO:
        rows = rows.filter(converted_on__isnull=True)
    if filters.made_from:
        rows = rows.filter(created_on__gte=filters.made_from)
    if filters.made_until:
        rows = rows.filter(created_on__lte=filters.made_until)
    return rows.order_by("-created_on", "-id")


def letters_pending() -> QuerySet[Reminder]:
    """The letters still to print, the oldest first (the order they were made in), with whom to
    write to and which car it is about."""
    return (Reminder.objects.filter(channel=Channel.LETTER, status=Reminder.Status.PENDING)
            .select_related("customer", "vehicle").order_by("created_on", "id"))


# --- the lapse list --------------------------------------------------------------------------------
def _deepest(lapses: QuerySet[Lapse]) -> QuerySet[Lapse]:
    """Each customer once: a customer 18 months away has crossed the 6- and 12-month bands too (one
    lapse each, since the same last visit); the list shows them in the deepest band they crossed."""
    deeper = Lapse.objects.filter(customer_id=OuterRef("customer_id"), since=OuterRef("since"),
                                  status=OuterRef("status"), band__months__gt=OuterRef("band__months"))
    return lapses.filter(~Exists(deeper))


def lapse_bands_with_counts(*, status: str) -> tuple[list[LapseBand], int]:
    """The bands (those in use, and those no longer in use that still hold lapses of this status),
    each with `count`: the customers whose deepest lapse of `status` ("" for every status) is in
    it; and the count over every band. Two queries."""
    lapses = Lapse.objects.filter(status=status) if status else Lapse.objects.all()
    counts = dict(_deepest(lapses).values("band_id").annotate(n=Count("pk")).values_list("band_id", "n").order_by())
    bands = []
    for band in LapseBand.objects.order_by("months"):
        band.count = counts.get(band.pk, 0)
        if band.active or band.count:
            bands.append(band)
    return bands, sum(counts.values())


def lapse_list(*, band_id: int | None, status: str, name: str = "") -> QuerySet[Lapse]:
    """Lapses of one band (None: all bands) and status ("": all), each customer once in the deepest
    band they crossed, the latest lapsed first, with the customer, the band and the win-back call
    (its agent too)."""
    rows = Lapse.objects.all()
    if status:
        rows = rows.filter(status=status)
    rows = _deepest(rows).select_related("customer", "band", "callback", "callback__assigned_to")
    if band_id is not None:
        rows = rows.filter(band_id=band_id)
    if name:
        rows = rows.filter(customer__name__contains=name)
    return rows.order_by("-created_on", "-id")


def lapse_context(lapses: list[Lapse]) -> None:
    """What is known of why each customer stopped coming, set on each lapse of the page:
    `last_visit` (the repair order of the day they last came, or None), `visit_problems` (the
    problems raised on that visit's callbacks), `csi_score` (the average score of that visit's CSI
    callback as it stands after corrections, or None), `complaints` (the customer's, the latest first),
    `known_reasons` (the customer's, recorded, the latest first) and `vehicles` (the cars they own now, for the reason form).
    Six queries, whatever the number of lapses."""
    from followups.callbacks.models import Problem, ScriptResponse
    from followups.complaints.models import Complaint

    for lapse in lapses:
        lapse.last_visit, lapse.visit_problems, lapse.csi_score = None, [], None
        lapse.complaints, lapse.known_reasons, lapse.vehicles = [], [], []
    if not lapses:
        return
    customer_ids = sorted({lapse.customer_id for lapse in lapses})

    # The visit of the day the lapse counts from (the latest repair order of that day).
    visits: dict[tuple[int, date], ServiceVisit] = {}
    for visit in (ServiceVisit.objects.filter(customer_id__in=customer_ids,
                                              opened_on__in={lapse.since for lapse in lapses})
                  .select_related("vehicle").order_by("opened_on", "id")):
        visits[(visit.customer_id, visit.opened_on)] = visit
    visit_ids = [visit.pk for visit in visits.values()]

    problems: dict[int, list[Problem]] = defaultdict(list)
    scores: dict[int, Decimal | None] = {}
    if visit_ids:
        for problem in (Problem.objects.filter(callback__visit_id__in=visit_ids)
                        .select_related("callback").order_by("raised_at", "id")):
            problems[problem.callback.visit_id].append(problem)
        # The response that counts is the one no correction replaced; the latest call's if there were two.
        for visit_id, score in (ScriptResponse.objects
                                .filter(callback__visit_id__in=visit_ids, callback__kind="csi",
                                        corrected_by__isnull=True)
                                .order_by("answered_at", "id").values_list("callback__visit_id", "average_score")):
            scores[visit_id] = score

    complaints: dict[int, list[Complaint]] = defaultdict(list)
    for complaint in Complaint.objects.filter(customer_id__in=customer_ids).order_by("-registered_at", "-id"):
        complaints[complaint.customer_id].append(complaint)

    reasons: dict[int, list[LapseReason]] = defaultdict(list)
    for reason in (LapseReason.objects.filter(customer_id__in=customer_ids)
                   .select_related("vehicle", "recorded_by").order_by("-recorded_at", "-id")):
        reasons[reason.customer_id].append(reason)

    vehicles: dict[int, list] = defaultdict(list)
    for role in (VehicleRole.objects.filter(customer_id__in=customer_ids, kind=VehicleRole.Kind.OWNER,
                                            ended_on__isnull=True)
                 .select_related("vehicle").order_by("vehicle__plate", "vehicle_id")):
        vehicles[role.customer_id].append(role.vehicle)

    for lapse in lapses:
        visit = visits.get((lapse.customer_id, lapse.since))
        lapse.last_visit = visit
        if visit is not None:
            lapse.visit_problems = problems.get(visit.pk, [])
            lapse.csi_score = scores.get(visit.pk)
        lapse.complaints = complaints.get(lapse.customer_id, [])
        lapse.known_reasons = reasons.get(lapse.customer_id, [])
        lapse.vehicles = vehicles.get(lapse.customer_id, [])


# --- the conversion report -------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    """How many were made and how many of them came back; the rate as the page shows it."""

    made: int = 0
    converted: int = 0

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(self.made + other.made, self.converted + other.converted)

    @property
    def percent(self) -> str:
        """50.0%, one decimal rounded half up; — when nothing was made (no rate, not 0)."""
        if not self.made:
            return "—"
        value = (Decimal(self.converted) * 100 / Decimal(self.made)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{value}%"


@dataclass
class MonthRow:
    month: date
    cells: list[Rate]  # one per kind, in the report's order of kinds
    total: Rate


@dataclass
class LabelRow:
    key: str
    label: str
    rate: Rate


@dataclass
class FirstMaintenanceRow:
    month: date
    delivered: int = 0
    within: int = 0  # the first maintenance done within the window (delivery + the model's months)
    later: int = 0  # done, but after the window
    waiting: int = 0  # not done yet, and the window still open

    @property
    def window_open(self) -> bool:
        """Some of the month's vehicles may still come within their window: the rate may still rise."""
        return self.waiting > 0

    @property
    def missed(self) -> int:
        """Not done, and the window is over: the ones the solicitation did not bring in (here or yet)."""
        return self.delivered - self.within - self.later - self.waiting

    @property
    def rate(self) -> Rate:
        return Rate(self.delivered, self.within)


@dataclass
class LapseRow:
    month: date
    cells: list[Rate]  # one per band, in the report's order of bands
    total: Rate


@dataclass
class Report:
    start: date
    end: date  # the first day of the month after the last one shown
    kinds: list[tuple[str, str]]
    months: list[MonthRow]
    total: Rate
    total_by_kind: list[Rate]
    channels: list[LabelRow]
    advisors: list[LabelRow]
    first_maintenance: list[FirstMaintenanceRow]
    bands: list[LapseBand] = field(default_factory=list)
    lapses: list[LapseRow] = field(default_factory=list)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every month from `start`'s up to (not including) `end`'s."""
    months, month = [], start.replace(day=1)
    while month < end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


class PlusMonths(Func):
    """A date `months` months later, or that month's last day when it has no such day (31 January
    + 1 month = 28 February), as `due.add_months` counts it, in SQL."""

    template = "(%(expressions)s + make_interval(months => %(months)s))::date"  # PostgreSQL clips by itself
    output_field = DateField()

    def __init__(self, expression, *, months: int):
        super().__init__(expression, months=int(months))  # an int: nothing but digits reaches the SQL

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite rolls 31 January + 1 month over to 3 March: the target month's last day caps it.
        template = ("min(date(%(expressions)s, '+%(months)s months'), "
                    "date(%(expressions)s, 'start of month', '+%(after)s months', '-1 day'))")
        return self.as_sql(compiler, connection, template=template, after=self.extra["months"] + 1, **extra_context)


def _first_months_of(catalogue, brand: str, model_name: str) -> int:
    model = catalogue.model_for(brand=brand, model_text=model_name)
    return model.first_maintenance_months if model else settings.RETENTION_FIRST_MONTHS


def first_maintenance_by_month(*, start: date, end: date, today: date) -> list[FirstMaintenanceRow]:
    """The first-maintenance rate by delivery month: the vehicles delivered that month, and how many
    had their first maintenance (首保) within the window, the delivery date plus the model's months
    (the catalogue's, else RETENTION_FIRST_MONTHS). One aggregate query (and three for the catalogue):
    per month and model, a count for each window length in use, the model's own picked here."""
    from customers.catalogue.models import VehicleModel
    from customers.catalogue.selectors import catalogue_snapshot

    catalogue = catalogue_snapshot()
    lengths = sorted({settings.RETENTION_FIRST_MONTHS} | set(
        VehicleModel.objects.filter(active=True).values_list("first_maintenance_months", flat=True).distinct()))
    counts = {}
    for months in lengths:
        window_end = PlusMonths(F("delivered_on"), months=months)
        still_open = GreaterThanOrEqual(window_end, Value(today, output_field=DateField()))
        counts[f"within_{months}"] = Count("pk", filter=Q(first_done_on__lte=window_end))
        counts[f"waiting_{months}"] = Count("pk", filter=Q(still_open, first_done_on__isnull=True))
    rows = {month: FirstMaintenanceRow(month=month) for month in month_starts(start, end)}
    groups = (ServiceDue.objects.filter(delivered_on__gte=start, delivered_on__lt=end)
              .annotate(month=TruncMonth("delivered_on"))
              .values("month", "vehicle__brand", "vehicle__model_name")
              .annotate(delivered=Count("pk"), done=Count("pk", filter=Q(first_done_on__isnull=False)), **counts)
              .order_by())
    for group in groups:
        months = _first_months_of(catalogue, group["vehicle__brand"], group["vehicle__model_name"])
        row = rows[group["month"]]
        row.delivered += group["delivered"]
        row.within += group[f"within_{months}"]
        row.later += group["done"] - group[f"within_{months}"]
        row.waiting += group[f"waiting_{months}"]
    return list(rows.values())


def _counted(rows: QuerySet[Reminder]) -> QuerySet[Reminder]:
    """Reminders that went to someone: a skipped one (nobody to send it to) is no solicitation."""
    return rows.exclude(status=Reminder.Status.SKIPPED)


CONVERSION = {"made": Count("pk"), "converted": Count("pk", filter=Q(converted_on__isnull=False))}


def conversion_report(*, start: date, end: date, kind: str = "", today: date, lapses: bool = True) -> Report:
    """The retention report for the months from `start` up to `end` (first days of months, `end`
    not included): reminders made each month (by the day they were made) and of each kind, how many
    brought the vehicle back within their window (converted), by channel and by service advisor;
    the first-maintenance rate by delivery month; and, with `lapses`, the lapsed customers of each
    month and band and how many came back. One query a table (three for the first maintenance)."""
    kinds = [(value, label) for value, label in ReminderKind.choices if not kind or value == kind]
    made = _counted(Reminder.objects.filter(created_on__gte=start, created_on__lt=end))
    if kind:
        made = made.filter(kind=kind)

    cells: dict[tuple[date, str], Rate] = {}
    for group in (made.annotate(month=TruncMonth("created_on")).values("month", "kind")
                  .annotate(**CONVERSION).order_by()):
        cells[(group["month"], group["kind"])] = Rate(group["made"], group["converted"])
    months = []
    for month in month_starts(start, end):
        row = [cells.get((month, value), Rate()) for value, _label in kinds]
        months.append(MonthRow(month=month, cells=row, total=sum(row, Rate())))
    total_by_kind = [sum((row.cells[index] for row in months), Rate()) for index in range(len(kinds))]

    channel_labels = dict(Channel.choices)
    by_channel = {group["channel"]: Rate(group["made"], group["converted"])
                  for group in made.values("channel").annotate(**CONVERSION).order_by()}
    channels = [LabelRow(key=value, label=str(channel_labels[value]), rate=by_channel.get(value, Rate()))
                for value in Channel.values]

    advisors = [LabelRow(key=group["advisor"], label=group["advisor"], rate=Rate(group["made"], group["converted"]))
                for group in made.values("advisor").annotate(**CONVERSION).order_by("-made", "advisor")]

    report = Report(start=start, end=end, kinds=kinds, months=months,
                    total=sum((row.total for row in months), Rate()), total_by_kind=total_by_kind,
                    channels=channels, advisors=advisors,
                    first_maintenance=first_maintenance_by_month(start=start, end=end, today=today))
    if lapses:
        report.bands, report.lapses = lapse_returns_by_month(start=start, end=end)
    return report


def lapse_returns_by_month(*, start: date, end: date) -> tuple[list[LapseBand], list[LapseRow]]:
    """Customers who lapsed each month (by the day they crossed the band), per band, and how many of
    them have come back since. Two queries."""
    cells: dict[tuple[date, int], Rate] = {}
    for group in (Lapse.objects.filter(created_on__gte=start, created_on__lt=end)
                  .annotate(month=TruncMonth("created_on")).values("month", "band_id")
                  .annotate(made=Count("pk"), converted=Count("pk", filter=Q(status=Lapse.Status.RETURNED)))
                  .order_by()):
        cells[(group["month"], group["band_id"])] = Rate(group["made"], group["converted"])
    used = {band_id for _month, band_id in cells}
    bands = [band for band in LapseBand.objects.order_by("months") if band.active or band.pk in used]
    rows = []
    for month in month_starts(start, end):
        row = [cells.get((month, band.pk), Rate()) for band in bands]
        rows.append(LapseRow(month=month, cells=row, total=sum(row, Rate())))
    return bands, rows


# --- the home panel --------------------------------------------------------------------------------
def letters_waiting_count() -> int:
    return Reminder.objects.filter(channel=Channel.LETTER, status=Reminder.Status.PENDING).count()
