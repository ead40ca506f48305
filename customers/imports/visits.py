"""Importing repair orders (维修工单) from the DMS (怀远系统) export.

A visit attaches to its vehicle by VIN, else by plate. A visit for a vehicle the archive does not
know (with a VIN) creates the vehicle, and the person who brought it in (送修人) becomes a
provisional contact, flagged for review, unless their mobile is already a customer's. The RO number
identifies a visit: importing the same export twice changes nothing; a corrected export updates
only what changed. Each new visit lands on the customer's timeline and moves their last-visit date.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..catalogue.selectors import catalogue_snapshot
from ..models import Customer, DeliveryFile, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from ..normalize import name_pinyin, name_pinyin_mixed, normalize_name, plate_search_key
from ..timeline import service_visit_params
from .table import RowError, Table, rows_without_vin
from .values import parse_amount, parse_count, parse_date, phones_of, plate_of, text, truncated, vin_of
from .writing import Outcome, history_from_rows, insert_rows, new_row, pack, update_rows, write_chunks

CHUNK = 5000
REASON = "import"
RO_LENGTH = ServiceVisit._meta.get_field("ro_number").max_length
VISIT_FIELDS = ("opened_on", "closed_on", "mileage", "kind", "advisor", "sender_name", "labour_amount",
                "parts_amount", "total_amount")
# The words the DMS uses for the kind of work, most specific first.
KINDS = [
    # The store's own work on its cars (内部单, 内部保养, 内部维修): first, as it names other kinds' words too.
    (("内部",), ServiceVisit.Kind.INTERNAL),
    (("首保", "首次保养", "首次免费保养", "免费保养"), ServiceVisit.Kind.FIRST_MAINTENANCE),
    (("索赔", "保修", "三包"), ServiceVisit.Kind.WARRANTY),
    (("事故", "保险"), ServiceVisit.Kind.ACCIDENT),
    (("钣喷", "钣金", "喷漆", "喷涂"), ServiceVisit.Kind.BODYWORK),
    (("定保", "保养", "常规保养", "定期保养"), ServiceVisit.Kind.SCHEDULED),
    (("维修", "机修", "电器", "修理", "一般维修"), ServiceVisit.Kind.REPAIR),
]
WMI_BRANDS = {"VF1": Vehicle.Brand.RENAULT, "VF8": Vehicle.Brand.RENAULT, "LZW": Vehicle.Brand.OTHER,
              "JMB": Vehicle.Brand.MITSUBISHI, "JMY": Vehicle.Brand.MITSUBISHI, "JA4": Vehicle.Brand.MITSUBISHI}


@dataclass
class VisitRow:
    row: int
    vin: str
    plate: str
    model_name: str
    sender_mobile: str
    sender_phone2: str = ""  # a landline, or a second mobile
    visit: dict = field(default_factory=dict)

    def vehicle_key(self) -> str:
        return self.vin or "plate:" + self.plate


def _kind(cell) -> str:
    value = text(cell)
    if not value:
        raise ValueError(_("The type of work is missing."))
    for words, kind in KINDS:
        if any(word in value for word in words):
            return kind
    raise ValueError(_("“%(value)s” is not a type of work the CRM knows (首保, 定保, 维修, 钣喷, 索赔, 事故).")
                     % {"value": value})


def _ro_number(cell) -> str:
    value = text(cell)
    if len(value) > RO_LENGTH:
        raise ValueError(_("An RO number has at most %(count)s characters.") % {"count": RO_LENGTH})
    return value


def _required_date(cell) -> date:
    value = parse_date(cell)
    if value is None:
        raise ValueError(_("The arrival date is missing."))
    return value


def clean(table: Table) -> tuple[list[VisitRow], list[RowError]]:
    errors = table.errors
    ro_numbers = table.parse("ro_number", _ro_number, cache=False)
    opened = table.parse("opened_on", _required_date)
    closed = table.parse("closed_on", parse_date)
    mileage = table.parse("mileage", parse_count, cache=False)
    kinds = table.parse("kind", _kind)
    advisors = table.parse("advisor", truncated(30))
    senders = table.parse("sender_name", lambda cell: normalize_name(text(cell))[:50])
    phones = table.parse("sender_phone", phones_of)
    labour = table.parse("labour_amount", parse_amount)
    parts = table.parse("parts_amount", parse_amount)
    totals = table.parse("total_amount", parse_amount)
    vins = table.parse("vin", vin_of, cache=False)
    plates = table.parse("plate", plate_of)
    models_ = table.parse("model_name", truncated(50))
    invalid = {error.row for error in errors}
    rows = []
    column = table.column_names.get
    for i, number in enumerate(table.numbers):
        if number in invalid:
            continue
        problem = None
        if not ro_numbers[i]:
            problem = RowError(number, column("ro_number", _("RO number")), _("The RO number is missing."))
        elif not vins[i] and not plates[i]:
            problem = RowError(number, column("vin", _("VIN")),
                               _("Neither a VIN nor a plate: the vehicle cannot be identified."))
        elif closed[i] and opened[i] and closed[i] < opened[i]:
            problem = RowError(number, column("closed_on"), _("The finish date is before the arrival date."))
        if problem:
            errors.append(problem)
            continue
        # Empty amounts stay None here: a new visit gets 0 (and labour + parts as its total), a stored one
        # keeps what it has.
        sender_mobile, sender_other = phones[i] or ("", "")
        rows.append(VisitRow(
            row=number, vin=vins[i] or "", plate=plates[i] or "", model_name=models_[i] or "",
            sender_mobile=sender_mobile, sender_phone2=sender_other,
            visit={"ro_number": ro_numbers[i], "opened_on": opened[i], "closed_on": closed[i], "mileage": mileage[i],
                   "kind": kinds[i], "advisor": advisors[i] or "", "sender_name": senders[i] or "",
                   "labour_amount": labour[i], "parts_amount": parts[i], "total_amount": totals[i]},
        ))
    return rows, errors


def doubtful(table: Table, rows: list[VisitRow], seen: dict) -> set[int]:
    """Rows of a block that were read but may still turn out invalid when written: without a VIN, or
    with an RO number met before in the file (`seen` lasts for the whole file)."""
    ro_numbers = seen.setdefault("ro_numbers", set())
    repeated = set()
    for row in rows:
        if row.visit["ro_number"] in ro_numbers:
            repeated.add(row.row)
        ro_numbers.add(row.visit["ro_number"])
    return rows_without_vin(table) | repeated


class VisitsImport:
    def __init__(self, *, by, dry_run: bool, column_names: dict[str, str] | None = None):
        self.by, self.dry_run = by, dry_run
        column_names = column_names or {}  # field → the file's name for its column, for messages
        self.ro_column = column_names.get("ro_number") or _("RO number")
        self.closed_column = column_names.get("closed_on") or _("Finish date")
        self.outcome = Outcome()
        with translation.override(settings.LANGUAGE_CODE):  # a new contact's name in the store's language
            self.unknown_sender = _("Brought in %(ro)s (name unknown)")

    def run(self, rows: list[VisitRow], progress: Callable[[int], None] | None = None) -> Outcome:
        outcome = self.outcome
        self.catalogue = catalogue_snapshot()  # a new car's brand and model, for every chunk
        # A row without VIN is fine only for a car on file under its plate, or named by VIN in this file.
        plates = frozenset(row.plate for row in rows if not row.vin)
        on_file = set(Vehicle.objects.filter(plate__any_of=plates).values_list("plate", flat=True))
        named: dict[str, str] = {}  # plate → VIN of the first row naming that new car
        for row in rows:
            if row.vin and row.plate in plates and row.plate not in on_file:
                named.setdefault(row.plate, row.vin)
        by_vehicle: dict[str, list[VisitRow]] = {}
        seen: set[str] = set()
        for row in rows:
            key = row.vehicle_key()
            if not row.vin and row.plate not in on_file:
                if row.plate not in named:
                    outcome.errors.append(RowError(row.row, _("VIN"),
                                                   _("The VIN is missing and no vehicle has this plate yet.")))
                    continue
                key = named[row.plate]  # with the rows naming the car by its VIN
            # An RO number twice in one file (for one car or two, new or on file): the first row counts.
            ro_number = row.visit["ro_number"]
            if ro_number in seen:
                outcome.errors.append(RowError(row.row, self.ro_column, _(
                    "This RO number appears twice in the file: only its first row was read.")))
                continue
            seen.add(ro_number)
            by_vehicle.setdefault(key, []).append(row)
        del seen
        chunks = pack(([(key, group)] for key, group in by_vehicle.items()), size=CHUNK)
        done = 0
        # One writer: two chunks could otherwise each create the same new sender as a customer.
        for numbers, result in write_chunks(self._write_chunk, chunks, parallel=False):
            outcome.add(numbers, result, committed=not self.dry_run)
            if not isinstance(result, Exception):
                done += len(numbers)
                if progress:
                    progress(done)
        return outcome

    def _write_chunk(self, chunk) -> dict:
        with transaction.atomic():
            result = self._write(chunk)
            if self.dry_run:
                transaction.set_rollback(True)
        return result

    def _write(self, chunk: list[tuple[str, list[VisitRow]]]) -> dict:
        now = timezone.now()
        result = {"created": 0, "updated": 0, "unchanged": 0, "errors": [], "skipped": set()}
        rows = [row for _key, group in chunk for row in group]
        ro_numbers = frozenset(row.visit["ro_number"] for row in rows)
        stored_visits = {stored["ro_number"]: stored for stored in ServiceVisit.objects.filter(
            ro_number__any_of=ro_numbers).values("id", "ro_number", "vehicle_id", "customer_id", *VISIT_FIELDS)}
        vehicles = {v["vin"]: v for v in Vehicle.objects.filter(vin__any_of=frozenset(r.vin for r in rows if r.vin))
                    .values("id", "vin", "plate")}
        by_plate = {v["plate"]: v for v in Vehicle.objects.filter(
            plate__any_of=frozenset(r.plate for r in rows if not r.vin)).order_by("-id").values("id", "vin", "plate")}
        # The visit's customer: the car's current owner, else its current driver (a car first met in a
        # repair order has only the person who brought it in).
        owners: dict[int, int] = {}
        for vehicle_id, customer_id, _role in VehicleRole.objects.filter(
                vehicle_id__any_of=frozenset(v["id"] for v in (*vehicles.values(), *by_plate.values())),
                ended_on__isnull=True).order_by("kind", "-id").values_list("vehicle_id", "customer_id", "kind"):
            owners[vehicle_id] = customer_id  # "driver" < "owner": the owner comes last and wins
        mobiles = frozenset(r.sender_mobile for r in rows if r.sender_mobile)
        senders: dict = {c["mobile"]: c for c in Customer.objects.filter(mobile__any_of=mobiles).order_by("-id")
                         .values("id", "mobile")}
        # A sender with only a landline is the customer with that name and that number (a landline alone
        # may be a family's or a company's).
        landlines = frozenset(r.sender_phone2 for r in rows if not r.sender_mobile and r.sender_phone2)
        if landlines:
            for known in (Customer.objects.filter(phone2__any_of=landlines).order_by("-id")
                          .values("id", "name", "phone2")):
                senders[(known["name"], known["phone2"])] = known

        new_vehicles, new_contacts, new_roles, new_visits, changed = [], [], [], [], {}
        for _key, group in chunk:
            first = next((row for row in group if row.vin), group[0])  # a new car is made from a row with its VIN
            vehicle = vehicles.get(first.vin) if first.vin else by_plate.get(first.plate)
            if vehicle is None and not first.vin:  # not on file after all (deleted since the run began)
                for row in group:
                    self._skip(result, row, _("VIN"), _("The VIN is missing and no vehicle has this plate yet."))
                continue
            fresh = []  # rows of visits the archive does not have yet
            for row in group:
                stored = stored_visits.get(row.visit["ro_number"])
                if stored is None:
                    fresh.append(row)
                elif vehicle is None or stored["vehicle_id"] != vehicle["id"]:
                    self._skip(result, row, self.ro_column, _(
                        "This RO number is on file for another vehicle; the row was not imported. Check the RO "
                        "number and the VIN or plate."))
                else:
                    self._update(row, stored, changed, result)
            if not fresh:
                continue
            customer = owners.get(vehicle["id"]) if vehicle else None
            if vehicle is None:
                # The brand from the VIN's maker code, else from the model if the catalogue knows it.
                brand, model_name = self.catalogue.resolve(brand=WMI_BRANDS.get(first.vin[:3], ""),
                                                           model_text=first.model_name)
                vehicle = new_row(Vehicle, vin=first.vin, plate=first.plate, model_name=model_name,
                                     brand=brand or Vehicle.Brand.OTHER, created_at=now,
                                     plate_key=plate_search_key(first.plate), vin_rev=first.vin[::-1])
                new_vehicles.append(vehicle)
                contact = self._sender(fresh[0], senders, new_contacts, now)
                new_roles.append((vehicle, contact, min(row.visit["opened_on"] for row in fresh)))
                customer = contact
            for row in fresh:
                labour, parts = row.visit["labour_amount"] or Decimal(0), row.visit["parts_amount"] or Decimal(0)
                total = row.visit["total_amount"]
                amounts = {"labour_amount": labour, "parts_amount": parts,
                           "total_amount": labour + parts if total is None else total}
                visit = new_row(ServiceVisit, **{**row.visit, **amounts}, created_at=now)
                new_visits.append((visit, vehicle, customer))
                result["created"] += 1

        insert_rows(Customer, new_contacts)
        history_from_rows(Customer, [c["id"] for c in new_contacts], by=self.by, reason=REASON)
        insert_rows(Vehicle, new_vehicles)
        history_from_rows(Vehicle, [v["id"] for v in new_vehicles], by=self.by, reason=REASON)
        insert_rows(DeliveryFile, [new_row(DeliveryFile, vehicle_id=v["id"]) for v in new_vehicles])
        roles = [new_row(VehicleRole, vehicle_id=vehicle["id"], customer_id=contact["id"],
                            kind=VehicleRole.Kind.DRIVER, started_on=started)
                 for vehicle, contact, started in new_roles if contact is not None]
        insert_rows(VehicleRole, roles)
        history_from_rows(VehicleRole, [r["id"] for r in roles], by=self.by, reason=REASON)

        visits = []
        for visit, vehicle, customer in new_visits:
            visit["vehicle_id"] = vehicle["id"]
            visit["customer_id"] = customer["id"] if isinstance(customer, dict) else customer
            visits.append(visit)
        insert_rows(ServiceVisit, visits)
        update_rows(ServiceVisit, {pk: changes for pk, (changes, _stored) in changed.items()}, by=self.by,
                    reason=REASON)
        self._timeline(visits, [{**stored, **changes, "stored_opened_on": stored["opened_on"]}
                                for changes, stored in changed.values()])
        return result

    @staticmethod
    def _skip(result: dict, row: VisitRow, column: str, message: str) -> None:
        result["errors"].append(RowError(row.row, column, message))
        result["skipped"].add(row.row)

    def _update(self, row: VisitRow, stored: dict, changed: dict, result: dict) -> None:
        """A corrected export: what the row says new about a stored visit (an empty cell changes nothing)."""
        values = dict(row.visit)
        labour, parts = values["labour_amount"], values["parts_amount"]
        if values["total_amount"] is None and (labour is not None or parts is not None):
            # The total follows the amounts the visit will have, the stored ones where the row has none.
            values["total_amount"] = ((labour if labour is not None else stored["labour_amount"])
                                      + (parts if parts is not None else stored["parts_amount"]))
        changes = {name: values[name] for name in VISIT_FIELDS
                   if values[name] not in ("", None) and stored[name] != values[name]}
        if not changes:
            result["unchanged"] += 1
            return
        closed = changes.get("closed_on", stored["closed_on"])
        if closed and closed < changes.get("opened_on", stored["opened_on"]):
            self._skip(result, row, self.closed_column, _(
                "With this row, the stored visit would finish before it arrived; the row was not imported."))
            return
        changed[stored["id"]] = (changes, stored)
        result["updated"] += 1

    def _sender(self, row: VisitRow, senders: dict, new_contacts: list, now) -> dict | None:
        """The customer who brought the car in: known by mobile (or by name and landline), else a new
        provisional contact."""
        sender_name = row.visit["sender_name"]
        key = row.sender_mobile or ((sender_name, row.sender_phone2) if sender_name and row.sender_phone2 else None)
        if key and key in senders:
            return senders[key]
        name = sender_name or self.unknown_sender % {"ro": row.visit["ro_number"]}
        pinyin, initials = name_pinyin(name)
        given_initials, surname_initial = name_pinyin_mixed(name[:50])
        contact = new_row(Customer, name=name[:50], mobile=row.sender_mobile, phone2=row.sender_phone2,
                             source=Customer.Source.SERVICE, needs_review=True, created_at=now, updated_at=now,
                             name_pinyin=pinyin, name_initials=initials, name_pinyin_given_initials=given_initials,
                             name_pinyin_surname_initial=surname_initial, mobile_rev=row.sender_mobile[::-1],
                             phone2_rev=row.sender_phone2[::-1])
        new_contacts.append(contact)
        if key:
            senders[key] = contact
        return contact

    def _timeline(self, visits: list[dict], updated: list[dict]) -> None:
        """Each new visit on its customer's timeline, an updated one's entry rewritten, and the
        customer's last visit moved forward."""
        source_type = ContentType.objects.get_for_model(ServiceVisit).pk
        entries, latest = [], {}
        for visit in visits:
            if visit["customer_id"] is not None:
                entries.append(new_row(
                    TimelineEntry, customer_id=visit["customer_id"], vehicle_id=visit["vehicle_id"],
                    kind=TimelineEntry.Kind.SERVICE_VISIT, source_type_id=source_type, source_id=str(visit["id"]),
                    created_by_id=getattr(self.by, "pk", None), **self._entry(visit)))
        insert_rows(TimelineEntry, entries)
        if updated:
            by_source = {str(visit["id"]): visit for visit in updated}
            update_rows(TimelineEntry, {entry_id: self._entry(by_source[source_id]) for entry_id, source_id in
                                        TimelineEntry.objects.filter(source_type_id=source_type,
                                                                     source_id__any_of=frozenset(by_source))
                                        .values_list("id", "source_id")}, by=self.by, reason=REASON)
        for visit in (*visits, *updated):
            customer_id = visit["customer_id"]
            if customer_id is not None and visit["opened_on"] > latest.get(customer_id, date.min):
                latest[customer_id] = visit["opened_on"]
        by_date: dict[date, list[int]] = {}
        for customer_id, opened in latest.items():
            by_date.setdefault(opened, []).append(customer_id)
        for opened, ids in by_date.items():
            # Conditional in the database: an older visit imported later never moves the date back.
            Customer.all_objects.filter(pk__any_of=frozenset(ids)).filter(
                models.Q(last_visit_on__lt=opened) | models.Q(last_visit_on__isnull=True)).update(last_visit_on=opened)
        # A corrected arrival date may move a customer's latest visit back: read it again from their visits.
        moved = frozenset(visit["customer_id"] for visit in updated
                          if visit["customer_id"] is not None and visit["opened_on"] != visit["stored_opened_on"])
        if moved:
            latest_visit = ServiceVisit.objects.filter(customer_id=models.OuterRef("pk")).order_by("-opened_on")
            Customer.all_objects.filter(pk__any_of=moved).update(
                last_visit_on=models.Subquery(latest_visit.values("opened_on")[:1]))

    @staticmethod
    def _entry(visit: dict) -> dict:
        """A visit's timeline entry: when, and its message's parameters (read in the reader's language)."""
        return {"occurred_at": datetime.combine(visit["opened_on"], time(9), tzinfo=timezone.get_current_timezone()),
                "params": service_visit_params(kind=visit["kind"], ro_number=visit["ro_number"],
                                               mileage=visit["mileage"], total_amount=visit["total_amount"],
                                               advisor=visit["advisor"])}
