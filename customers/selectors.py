"""Reads of the archive, each with the joins its page needs, so pages run a fixed number of queries."""

import json
from dataclasses import dataclass, fields
from datetime import date

from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from .holds import HOLDS, HeldCase, Hold
from .normalize import mask_id_number, mask_phone
from .models import (
    ContactPreference,
    Customer,
    CustomerMerge,
    DuplicateCandidate,
    FamilyMember,
    ServiceVisit,
    TimelineEntry,
    Vehicle,
    VehicleRole,
)


@dataclass
class CustomerFilters:
    brand: str = ""  # of a car the customer owns or drives now
    model_name: str = ""
    delivered_from: date | None = None
    delivered_until: date | None = None
    visited_since: date | None = None
    not_visited_since: date | None = None
    importance: str = ""
    lost_contact: bool | None = None
    opted_out: bool | None = None
    needs_review: bool | None = None  # None: everyone; True: only those to be checked
    order: str = "-id"

    @property
    def narrows(self) -> bool:
        """Whether any filter leaves customers out (the order alone does not)."""
        return any(getattr(self, field.name) != field.default for field in fields(self) if field.name != "order")


# Customers who never came stay last both ways, on PostgreSQL and SQLite alike; each ordering has
# an index in the same order (or its reverse, read backwards), so a page is read straight from it.
ORDERINGS = {
    "-id": (F("id").desc(),),
    "name": (F("name_pinyin").asc(), F("id").desc()),
    "-name": (F("name_pinyin").desc(), F("id").asc()),
    "-last_visit_on": (F("last_visit_on").desc(nulls_last=True), F("id").desc()),
    "last_visit_on": (F("last_visit_on").asc(nulls_last=True), F("id").asc()),
}


def _current_vehicles() -> Prefetch:
    return Prefetch(
        "vehicle_roles",
        queryset=VehicleRole.objects.filter(ended_on__isnull=True).select_related("vehicle").order_by("kind", "-id"),
        to_attr="current_roles",
    )


def customer_list(*, filters: CustomerFilters) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    vehicle_conditions = Q()
    if filters.brand:
        vehicle_conditions &= Q(vehicle__brand=filters.brand)
    if filters.model_name:
        vehicle_conditions &= Q(vehicle__model_name=filters.model_name)
    if filters.delivered_from:
        vehicle_conditions &= Q(vehicle__delivery_date__gte=filters.delivered_from)
    if filters.delivered_until:
        vehicle_conditions &= Q(vehicle__delivery_date__lte=filters.delivered_until)
    if vehicle_conditions:
        customers = customers.filter(Exists(
            VehicleRole.objects.filter(vehicle_conditions, customer=OuterRef("pk"), ended_on__isnull=True)))
    if filters.visited_since:
        customers = customers.filter(last_visit_on__gte=filters.visited_since)
    if filters.not_visited_since:
        customers = customers.filter(Q(last_visit_on__lt=filters.not_visited_since) | Q(last_visit_on__isnull=True))
    if filters.importance:
        customers = customers.filter(importance=filters.importance)
    if filters.lost_contact is not None:
        customers = customers.filter(lost_contact_since__isnull=not filters.lost_contact)
    if filters.needs_review:  # a partial index holds exactly these
        customers = customers.filter(needs_review=True)
    if filters.opted_out is not None:
        refused = ContactPreference.objects.filter(
            customer=OuterRef("pk"), allowed=False,
            purpose__in=[ContactPreference.Purpose.MARKETING, ContactPreference.Purpose.ALL])
        customers = customers.filter(Exists(refused) if filters.opted_out else ~Exists(refused))
    return customers.order_by(*ORDERINGS.get(filters.order, ORDERINGS["-id"])).prefetch_related(_current_vehicles())


# Up to this many customers the list says exactly how many match; counting more would cost a page
# view what a million-row COUNT(*) costs (half a second and more).
COUNT_EXACT_UP_TO = 10_000
# ...and the count may take this long (PostgreSQL): a filter that matches few customers and has no
# index of its own (who refuses marketing) makes even a capped count read the whole archive.
COUNT_BUDGET_MS = 100


@dataclass(frozen=True)
class ListCount:
    """How many customers a list holds. `kind`: "exact"; "about" (the planner's estimate);
    "over" (more than `value`, when no estimate is worth showing)."""

    value: int
    kind: str

    @property
    def exact(self) -> bool:
        return self.kind == "exact"

    @property
    def shown(self) -> str:
        return f"{self.value:,}"


def customer_list_count(*, customers: QuerySet[Customer], filters: CustomerFilters, exact_up_to: int | None = None,
                        budget_ms: int | None = None) -> ListCount:
    """Count at most `exact_up_to` + 1 customers of the list (a LIMITed subquery, so the cost stops
    there) within `budget_ms`; only when there are more, or the count ran out of time, ask the
    planner: the table's statistics for the whole archive, the filtered query's row estimate
    otherwise. A fixed number of queries either way."""
    limit = COUNT_EXACT_UP_TO if exact_up_to is None else exact_up_to
    counted = _capped_count(customers.order_by()[: limit + 1], budget_ms=budget_ms or COUNT_BUDGET_MS)
    if counted is not None and counted <= limit:
        return ListCount(counted, "exact")
    estimate = _planned_rows(customers) if filters.narrows else _table_rows()
    if counted is None:  # out of time: the estimate is all there is (PostgreSQL always gives one)
        return ListCount(_round_estimate(estimate or 0), "about")
    if estimate is None or estimate <= limit:  # the statistics are behind the count: say only what we know
        return ListCount(limit, "over")
    return ListCount(_round_estimate(estimate), "about")


def _capped_count(capped: QuerySet[Customer], *, budget_ms: int) -> int | None:
    """The count, or None if PostgreSQL cancelled it at the budget. SQLite (the demo) has no budget."""
    if connection.vendor != "postgresql":
        return capped.count()
    try:
        # In a transaction of its own (a savepoint inside one): a cancelled statement aborts it, and
        # SET LOCAL ends with it; set back at once in case it is a savepoint of a longer transaction.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(budget_ms)])
            counted = capped.count()
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) != "57014":  # query_canceled (psycopg2)
            raise
        return None
    return counted


def _table_rows() -> int | None:
    """The customer table's row estimate from the last ANALYZE (autovacuum keeps it fresh)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Customer._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else None  # -1: never analysed


def _planned_rows(customers: QuerySet[Customer]) -> int | None:
    if connection.vendor != "postgresql":
        return None
    plan = json.loads(customers.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _round_estimate(rows: int) -> int:
    """Three significant digits: an estimate must not look like a count (1,003,214 → 1,000,000)."""
    step = 10 ** max(len(str(rows)) - 3, 0)
    return round(rows / step) * step


def mark_marketing_refusals(customers: list[Customer]) -> list[Customer]:
    """Set `refuses_marketing` on a page of customers, in one query for the page (an EXISTS in the
    list query would make PostgreSQL read every preference of the archive first)."""
    refusing = set(ContactPreference.objects.filter(
        customer__in=customers, allowed=False,
        purpose__in=[ContactPreference.Purpose.MARKETING, ContactPreference.Purpose.ALL],
    ).values_list("customer_id", flat=True))
    for customer in customers:
        customer.refuses_marketing = customer.pk in refusing
    return customers


def vehicle_models() -> list[str]:
    """The models in the archive, for the list filter; cached, as it scans every vehicle."""
    return cache.get_or_set(
        "customers:vehicle_models",
        lambda: list(Vehicle.objects.exclude(model_name="").order_by("model_name")
                     .values_list("model_name", flat=True).distinct()),
        timeout=600,
    )


def customer_detail(*, pk: int) -> Customer:
    """One customer with everything the page shows, in a fixed number of queries."""
    return (
        Customer.all_objects.select_related("referred_by", "merged_into")
        .prefetch_related(
            Prefetch("vehicle_roles",
                     queryset=VehicleRole.objects.select_related("vehicle", "vehicle__delivery_file")
                     .order_by("ended_on", "-started_on"),
                     to_attr="all_roles"),
            "family",
            "contact_preferences",
            Prefetch("referrals", queryset=Customer.objects.only("id", "name", "referred_by")),
            Prefetch("merges", queryset=CustomerMerge.objects.select_related("merged", "merged_by")),
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class CustomerHold:
    """A hold on the customer's marketing for their page: the hold, and its open cases when the
    reader may read them (empty: the page only says that marketing is held)."""

    hold: Hold
    cases: list[HeldCase]


def customer_holds(*, customer: Customer, user) -> list[CustomerHold]:
    """What holds this customer's marketing (an open complaint), for the top of their page, so that
    nobody sends them a cheerful text: one query per registered hold, whatever the cases."""
    found = []
    for hold in HOLDS.values():
        if hold.cases is not None and (not hold.view_perm or user.has_perm(hold.view_perm)):
            cases = hold.cases(customer.pk, user)
            if cases:
                found.append(CustomerHold(hold=hold, cases=cases))
        elif customer.pk in hold.held([customer.pk]):
            found.append(CustomerHold(hold=hold, cases=[]))
    return found


def customer_timeline(*, customer: Customer) -> QuerySet[TimelineEntry]:
    return customer.timeline.select_related("vehicle", "created_by").order_by("-occurred_at", "-id")


MASKED_IN_HISTORY = {"mobile": mask_phone, "phone2": mask_phone, "id_number": mask_id_number}


def _display(model, field_name: str, value):
    field = model._meta.get_field(field_name)
    if field_name in MASKED_IN_HISTORY:
        return MASKED_IN_HISTORY[field_name](value or "")
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return f"#{value}" if value else ""
    return value


def customer_history(*, customer: Customer, limit: int = 50) -> list[dict]:
    """Field-level changes of the customer (who, when, old → new), newest first; phones stay masked."""
    records = list(customer.history.select_related("history_user").order_by("-history_date", "-history_id")[
                   : limit + 1])
    changes = []
    for newer, older in zip(records, records[1:] + [None]):
        if older is None:
            if len(records) <= limit:
                changes.append({"record": newer, "created": True, "changes": []})
            continue
        delta = newer.diff_against(older)
        if delta.changes:
            changes.append({"record": newer, "created": False, "changes": [
                {"label": Customer._meta.get_field(change.field).verbose_name,
                 "old": _display(Customer, change.field, change.old),
                 "new": _display(Customer, change.field, change.new)}
                for change in delta.changes]})
    return changes


def vehicle_detail(*, pk: int) -> Vehicle:
    return (
        Vehicle.objects.select_related("delivery_file")
        .prefetch_related(
            Prefetch("roles", queryset=VehicleRole.objects.select_related("customer").order_by("ended_on",
                                                                                                "-started_on")),
            Prefetch("visits", queryset=ServiceVisit.objects.select_related("customer").order_by("-opened_on")),
        )
        .get(pk=pk)
    )


def open_duplicates() -> QuerySet[DuplicateCandidate]:
    return (DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN,
                                              first__merged_into__isnull=True, second__merged_into__isnull=True)
            .select_related("first", "second").order_by("-found_on", "id"))


def vehicle_history(*, vehicle: Vehicle, limit: int = 30) -> tuple[list, list]:
    """The vehicle's own changes and those of its owner/driver roles, newest first."""
    own = list(vehicle.history.select_related("history_user").order_by("-history_date")[:limit])
    roles = list(VehicleRole.history.filter(vehicle_id=vehicle.pk).select_related("history_user")
                 .order_by("-history_date")[:limit])
    return own, roles


def merge_comparison(first: Customer, second: Customer) -> list[dict]:
    """The two records field by field for the merge page; rows that differ are marked, so that two
    people who merely share a phone stand out. Phones stay masked."""

    def vehicles(customer: Customer) -> str:
        return "、".join(str(role.vehicle) for role in customer.all_roles if role.is_current) or "—"

    def family(customer: Customer) -> str:
        return "、".join(str(member) for member in customer.family.all()) or "—"

    rows = [
        (Customer._meta.get_field("mobile").verbose_name, lambda c: mask_phone(c.mobile) or "—"),
        (Customer._meta.get_field("phone2").verbose_name, lambda c: mask_phone(c.phone2) or "—"),
        (Customer._meta.get_field("gender").verbose_name, lambda c: c.get_gender_display() or "—"),
        (Customer._meta.get_field("birthday").verbose_name, lambda c: c.birthday.isoformat() if c.birthday else "—"),
        (Customer._meta.get_field("address").verbose_name, lambda c: c.address or "—"),
        (Customer._meta.get_field("occupation").verbose_name, lambda c: c.occupation or "—"),
        (Vehicle._meta.verbose_name_plural, vehicles),
        (FamilyMember._meta.verbose_name_plural, family),
        (Customer._meta.get_field("last_visit_on").verbose_name,
         lambda c: c.last_visit_on.isoformat() if c.last_visit_on else "—"),
        # The local date: a record made at 01:40 in Beijing was made the day before in UTC.
        (Customer._meta.get_field("created_at").verbose_name,
         lambda c: timezone.localdate(c.created_at).isoformat()),
    ]
    comparison = []
    for label, value in rows:
        a, b = value(first), value(second)
        comparison.append({"label": label, "first": a, "second": b, "differs": a != b and "—" not in (a, b)})
    return comparison


def current_owner(*, vehicle: Vehicle) -> VehicleRole | None:
    return (VehicleRole.objects.filter(vehicle=vehicle, kind=VehicleRole.Kind.OWNER, ended_on__isnull=True)
            .select_related("customer").first())
