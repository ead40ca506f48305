"""Importing delivered-customer archives: one customer per person, one vehicle per VIN (or plate).

Rows are cleaned first (every problem reported with its row, column and reason). Rows of the same
person — same mobile, or same name at the same address — become one customer with several
vehicles. An existing customer or vehicle is updated only where the file says something new, and
that change lands in its history; a file imported twice changes nothing the second time. Writes
go in chunks, each in one transaction: a failure leaves no half-written person, and the report
says which rows were committed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import Customer, DeliveryFile, Vehicle, VehicleRole
from ..normalize import normalize_name, normalize_plate, normalize_vin, split_phones
from .headers import Header
from .values import parse_amount, parse_date, text

BRANDS = {"雷诺": Vehicle.Brand.RENAULT, "RENAULT": Vehicle.Brand.RENAULT, "三菱": Vehicle.Brand.MITSUBISHI,
          "MITSUBISHI": Vehicle.Brand.MITSUBISHI}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}
CUSTOMER_FIELDS = ("name", "mobile", "phone2", "address", "gender", "birthday", "id_number")
VEHICLE_FIELDS = ("vin", "plate", "brand", "model_name", "colour", "delivery_date", "sales_consultant",
                  "invoice_amount")
CHUNK = 2000


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it (1-based)
    column: str
    message: str


@dataclass
class DeliveryRow:
    row: int
    customer: dict = field(default_factory=dict)
    vehicle: dict = field(default_factory=dict)

    def person_key(self) -> tuple:
        if self.customer.get("mobile"):
            return ("mobile", self.customer["mobile"])
        return ("name+address", self.customer["name"], self.customer.get("address", ""))


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed_rows: list[int] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)


def clean_rows(rows: list[list], header: Header, *, column_names: dict[int, str]) -> tuple[list[DeliveryRow],
                                                                                               list[RowError], int]:
    """Cleaned rows, the errors of the invalid ones, and how many data rows there were."""
    cleaned, errors, count = [], [], 0
    by_field = {name: position for position, name in header.columns.items()}
    for index in range(header.row_index + 1, len(rows)):
        cells = rows[index]
        if not any(text(cell) for cell in cells):
            continue
        count += 1
        number = index + 1
        row, problems = _clean_row(cells, by_field, number, column_names)
        if problems:
            errors += problems
        else:
            cleaned.append(row)
    return cleaned, errors, count


def _clean_row(cells: list, by_field: dict[str, int], number: int, column_names: dict[int, str]):
    def cell(name):
        position = by_field.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    problems: list[RowError] = []

    def parse(name, function):
        try:
            return function(cell(name))
        except ValueError as error:
            problems.append(RowError(number, column_names.get(by_field[name], name), str(error)))
            return None

    row = DeliveryRow(row=number)
    row.customer["name"] = normalize_name(text(cell("name")))
    if not row.customer["name"]:
        problems.append(RowError(number, column_names.get(by_field.get("name"), _("name")),
                                 _("The customer's name is missing.")))
    phones = parse("mobile", lambda value: split_phones(text(value))) if "mobile" in by_field else []
    phones = phones or []
    mobiles = [number_ for number_ in phones if number_.startswith("1")]
    others = [number_ for number_ in phones if number_ not in mobiles[:1]]
    row.customer["mobile"] = mobiles[0] if mobiles else ""
    row.customer["phone2"] = others[0] if others else ""
    for name in ("address", "id_number"):
        if name in by_field:
            row.customer[name] = text(cell(name))[:200 if name == "address" else 18]
    if "gender" in by_field:
        row.customer["gender"] = GENDERS.get(text(cell("gender")).upper(), "")
    if "birthday" in by_field:
        row.customer["birthday"] = parse("birthday", parse_date)

    vin = text(cell("vin")) if "vin" in by_field else ""
    row.vehicle["vin"] = parse("vin", lambda value: normalize_vin(text(value))) if vin else ""
    row.vehicle["plate"] = parse("plate", lambda value: normalize_plate(text(value))) or ""
    if not vin and not row.vehicle["plate"] and not problems:
        problems.append(RowError(number, _("VIN"), _("Neither a VIN nor a plate: the vehicle cannot be identified.")))
    brand_text = text(cell("brand")).upper() if "brand" in by_field else ""
    row.vehicle["brand"] = next((code for word, code in BRANDS.items() if word in brand_text), None)
    for name in ("model_name", "colour", "sales_consultant"):
        if name in by_field:
            row.vehicle[name] = text(cell(name))[:50 if name == "model_name" else 30 if name == "sales_consultant"
                                                 else 20]
    if "delivery_date" in by_field:
        row.vehicle["delivery_date"] = parse("delivery_date", parse_date)
    if "invoice_amount" in by_field:
        row.vehicle["invoice_amount"] = parse("invoice_amount", parse_amount)
    return row, problems


def import_deliveries(rows: list[DeliveryRow], *, by, dry_run: bool,
                      progress: Callable[[int], None] | None = None) -> Outcome:
    """Write the cleaned rows: persons first (grouped), then their vehicles, chunk by chunk."""
    outcome = Outcome()
    # A row without VIN is fine only for a vehicle already on file under that plate.
    plate_only = {row.vehicle["plate"] for row in rows if not row.vehicle["vin"]}
    known = set(Vehicle.objects.filter(plate__in=plate_only).values_list("plate", flat=True)) if plate_only else set()
    for row in [row for row in rows if not row.vehicle["vin"] and row.vehicle["plate"] not in known]:
        outcome.errors.append(RowError(row.row, _("VIN"), _("The VIN is missing and no vehicle has this plate yet.")))
    rows = [row for row in rows if row.vehicle["vin"] or row.vehicle["plate"] in known]
    persons: dict[tuple, list[DeliveryRow]] = {}
    for row in rows:
        persons.setdefault(row.person_key(), []).append(row)
    groups = list(persons.values())
    done = 0
    for start in range(0, len(groups), CHUNK):
        chunk = groups[start:start + CHUNK]
        numbers = [row.row for group in chunk for row in group]
        try:
            with transaction.atomic():
                counts = _write_chunk(chunk, by=by)
                if dry_run:
                    transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001 - reported per row; earlier chunks stay committed
            outcome.failed_rows += numbers
            outcome.errors += [RowError(number, "", _("Not imported: %(error)s") % {"error": error})
                               for number in numbers]
            continue
        outcome.created += counts["created"]
        outcome.updated += counts["updated"]
        outcome.unchanged += counts["unchanged"]
        outcome.committed_rows += [] if dry_run else numbers
        done += len(numbers)
        if progress:
            progress(done)
    return outcome


def _changes(instance, values: dict) -> dict:
    """The fields the file sets to something new; an empty cell never erases what the archive knows."""
    return {name: value for name, value in values.items()
            if value not in ("", None) and getattr(instance, name) != value}


def _write_chunk(groups: list[list[DeliveryRow]], *, by) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    now = timezone.now()
    mobiles = {group[0].customer["mobile"] for group in groups if group[0].customer["mobile"]}
    names = {group[0].customer["name"] for group in groups if not group[0].customer["mobile"]}
    by_mobile = {c.mobile: c for c in Customer.objects.filter(mobile__in=mobiles).order_by("id")}
    by_name_address = {(c.name, c.address): c for c in Customer.objects.filter(name__in=names, mobile="")}
    vins = {row.vehicle["vin"] for group in groups for row in group if row.vehicle["vin"]}
    plates = {row.vehicle["plate"] for group in groups for row in group if row.vehicle["plate"]}
    vehicles_by_vin = {v.vin: v for v in Vehicle.objects.filter(vin__in=vins)}
    vehicles_by_plate = {v.plate: v for v in Vehicle.objects.filter(plate__in=plates)}
    owners = dict(VehicleRole.objects.filter(vehicle__in=[*vehicles_by_vin.values(), *vehicles_by_plate.values()],
                                             kind=VehicleRole.Kind.OWNER, ended_on__isnull=True)
                  .values_list("vehicle_id", "customer_id"))

    new_customers, changed_customers, changed_fields = [], [], set()
    person_of: list[Customer] = []
    new_ids, changed_ids = set(), set()  # identities: the new customers have no primary key yet
    for group in groups:
        merged = {}
        for row in group:  # later rows of the same person fill what earlier ones left empty
            merged.update({k: v for k, v in row.customer.items() if v not in ("", None)})
        first = group[0].customer
        customer = (by_mobile.get(first["mobile"]) if first["mobile"]
                    else by_name_address.get((first["name"], first.get("address", ""))))
        if customer is None:
            customer = Customer(source=Customer.Source.IMPORT, created_at=now, updated_at=now,
                                **{k: v for k, v in merged.items() if k in CUSTOMER_FIELDS})
            customer.derive_search_keys()
            new_customers.append(customer)
            new_ids.add(id(customer))
        else:
            changes = _changes(customer, {k: v for k, v in merged.items() if k != "name"})
            if changes:
                for name, value in changes.items():
                    setattr(customer, name, value)
                customer.derive_search_keys()
                customer.updated_at = now
                changed_customers.append(customer)
                changed_ids.add(id(customer))
                changed_fields |= set(changes)
        person_of.append(customer)

    bulk_create_with_history(new_customers, Customer, default_user=by, default_change_reason="import")
    if changed_customers:
        fields = sorted(changed_fields | {"updated_at", "name_pinyin", "name_initials", "mobile_rev", "phone2_rev"})
        bulk_update_with_history(changed_customers, Customer, fields, default_user=by,
                                 default_change_reason="import")

    new_vehicles, changed_vehicles, vehicle_fields, new_roles = [], [], set(), []
    new_vehicle_ids, changed_vehicle_ids = set(), set()
    for group, customer in zip(groups, person_of, strict=True):
        person_changed = id(customer) in changed_ids
        person_new = id(customer) in new_ids
        row_outcomes = []
        for row in group:
            values = {k: v for k, v in row.vehicle.items() if v not in ("", None)}
            vehicle = vehicles_by_vin.get(row.vehicle["vin"]) or vehicles_by_plate.get(row.vehicle["plate"])
            if vehicle is None:
                vehicle = Vehicle(brand=values.pop("brand", Vehicle.Brand.OTHER),
                                  model_name=values.pop("model_name", ""), created_at=now, **values)
                vehicle.derive_search_keys()
                new_vehicles.append(vehicle)
                new_vehicle_ids.add(id(vehicle))
                vehicles_by_vin[vehicle.vin] = vehicle
                new_roles.append((vehicle, customer, row.vehicle.get("delivery_date") or timezone.localdate()))
                row_outcomes.append("created")
                continue
            changes = _changes(vehicle, values)
            if changes and id(vehicle) not in new_vehicle_ids:
                for name, value in changes.items():
                    setattr(vehicle, name, value)
                vehicle.derive_search_keys()
                if id(vehicle) not in changed_vehicle_ids:
                    changed_vehicles.append(vehicle)
                    changed_vehicle_ids.add(id(vehicle))
                vehicle_fields |= set(changes)
            if vehicle.pk and owners.get(vehicle.pk) is None:
                owners[vehicle.pk] = customer.pk  # once, even if several rows name the vehicle
                new_roles.append((vehicle, customer, row.vehicle.get("delivery_date") or timezone.localdate()))
            row_outcomes.append("updated" if changes else "unchanged")
        for outcome in row_outcomes:
            if person_new or outcome == "created":
                counts["created"] += 1
            elif person_changed or outcome == "updated":
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1

    bulk_create_with_history(new_vehicles, Vehicle, default_user=by, default_change_reason="import")
    if changed_vehicles:
        bulk_update_with_history(changed_vehicles, Vehicle, sorted(vehicle_fields | {"plate_key", "vin_rev"}),
                                 default_user=by, default_change_reason="import")
    DeliveryFile.objects.bulk_create([DeliveryFile(vehicle=vehicle) for vehicle in new_vehicles])
    roles = [VehicleRole(vehicle=vehicle, customer=customer, kind=VehicleRole.Kind.OWNER, started_on=started)
             for vehicle, customer, started in new_roles]
    bulk_create_with_history(roles, VehicleRole, default_user=by, default_change_reason="import")
    return counts
