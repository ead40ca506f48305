"""Importing delivered-customer archives: one customer per person, one vehicle per VIN (or plate).

The same engine reads the manufacturer programme's handbook records (诺相随), which add the date
the maintenance handbook was checked to the vehicle's delivery file.

Rows are cleaned first (every problem reported with its row, column and reason). Rows of the same
person — same mobile, or same name at the same address — become one customer with several
vehicles. An existing customer or vehicle is updated only where the file says something new, and
that change lands in its history; a file imported twice changes nothing the second time. Writes
go in chunks, each in one transaction: a failure leaves no half-written person, and the report
says which rows were committed.
"""

from array import array
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..catalogue.selectors import catalogue_snapshot
from ..models import Customer, DeliveryFile, Vehicle, VehicleRole
from ..normalize import name_pinyin, name_pinyin_mixed, normalize_name, plate_search_key
from .table import RowError, Table, rows_without_vin
from .values import parse_amount, parse_date, phones_of, plate_of, text, truncated, vin_of
from .writing import Outcome, history_from_rows, insert_rows, new_row, pack, update_rows, write_chunks

BRANDS = {"雷诺": Vehicle.Brand.RENAULT, "RENAULT": Vehicle.Brand.RENAULT, "三菱": Vehicle.Brand.MITSUBISHI,
          "MITSUBISHI": Vehicle.Brand.MITSUBISHI}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}
CUSTOMER_FIELDS = ("name", "mobile", "phone2", "address", "gender", "birthday", "id_number")
VEHICLE_FIELDS = ("vin", "plate", "brand", "model_name", "colour", "delivery_date", "sales_consultant",
                  "invoice_amount")
VIN = len(CUSTOMER_FIELDS)  # where the vehicle's columns start in `CleanRows`
CHECKED = VIN + len(VEHICLE_FIELDS)  # the handbook check date's column
CHUNK = 5000  # rows per transaction
REASON = "import"


class DeliveryRow:
    """One clean row: a view of its place in the file's `CleanRows`, which hold the values as
    columns (a row object of its own per value set would cost a 300,000-row file ~100 MB more)."""

    __slots__ = ("row", "_rows", "_index")

    def __init__(self, *, row: int, rows: "CleanRows", index: int):
        self.row, self._rows, self._index = row, rows, index

    @classmethod
    def of(cls, *, row: int, customer: tuple, vehicle: tuple, handbook_checked_on: date | None = None):
        """A row on its own (tests, one-off uses)."""
        return cls(row=row, rows=CleanRows([row], [[value] for value in (*customer, *vehicle, handbook_checked_on)]),
                   index=0)

    def _values(self, start: int, stop: int) -> list:
        index = self._index
        return [column[index] for column in self._rows.columns[start:stop]]

    @property
    def customer(self) -> dict:
        return dict(zip(CUSTOMER_FIELDS, self._values(0, VIN), strict=True))

    @property
    def vehicle(self) -> dict:
        return dict(zip(VEHICLE_FIELDS, self._values(VIN, CHECKED), strict=True))

    def filled_customer(self) -> dict:
        """The customer's fields this row gives a value (an empty cell says nothing)."""
        return self._filled(CUSTOMER_FIELDS, 0)

    def filled_vehicle(self) -> dict:
        """The vehicle's fields this row gives a value."""
        return self._filled(VEHICLE_FIELDS, VIN)

    def _filled(self, names: tuple, start: int) -> dict:
        index = self._index
        # `is`/type tests first: comparing a Decimal or a date with "" is slow, and this runs per row.
        return {name: value for name, column in zip(names, self._rows.columns[start:start + len(names)])
                if (value := column[index]) is not None and (type(value) is not str or value)}

    @property
    def vin(self) -> str:
        return self._rows.columns[VIN][self._index]

    @property
    def plate(self) -> str:
        return self._rows.columns[VIN + 1][self._index]

    @property
    def handbook_checked_on(self) -> date | None:
        return self._rows.columns[CHECKED][self._index]

    @property
    def key(self) -> tuple:
        """One person: the same mobile; without a mobile, the same name at the same address."""
        columns, index = self._rows.columns, self._index
        mobile = columns[1][index]
        return ("mobile", mobile) if mobile else ("name+address", columns[0][index], columns[3][index] or "")


# --- cleaning ------------------------------------------------------------------------------------
def _brand(cell) -> str | None:
    value = text(cell).upper()
    return next((code for word, code in BRANDS.items() if word in value), None)


def _catalogued(table: Table, brands: list, models: list) -> tuple[list, list]:
    """Brand and model as the catalogue (车型目录) has them: a model it knows gives its brand (when the
    file names none, or 其他) and its own spelling; any other model keeps its text, and its brand stays
    as the file says (none: for a person). One reading of the catalogue per file: the blocks of a
    file share `table.caches`."""
    catalogue = table.caches.get("vehicle catalogue")
    if catalogue is None:
        catalogue = table.caches["vehicle catalogue"] = catalogue_snapshot()
    pairs = [catalogue.resolve(brand=brand or "", model_text=model) if model else (brand, model)
             for brand, model in zip(brands, models, strict=True)]
    return [brand or None for brand, _model in pairs], [model for _brand, model in pairs]


def clean(table: Table) -> tuple["CleanRows", list[RowError]]:
    """The valid rows, and an error for each bad cell of the others (with its row and column)."""
    errors = table.errors
    names = table.parse("name", lambda cell: normalize_name(text(cell)))
    phones = table.parse("mobile", phones_of, cache=False)
    addresses = table.parse("address", truncated(200))
    id_numbers = table.parse("id_number", truncated(18))
    genders = table.parse("gender", lambda cell: GENDERS.get(text(cell).upper(), ""))
    birthdays = table.parse("birthday", parse_date)
    vins = table.parse("vin", vin_of, cache=False)
    plates = table.parse("plate", plate_of, cache=False)
    brands = table.parse("brand", _brand)
    models = table.parse("model_name", truncated(50))
    brands, models = _catalogued(table, brands, models)
    colours = table.parse("colour", truncated(20))
    consultants = table.parse("sales_consultant", truncated(30))
    delivered = table.parse("delivery_date", parse_date)
    amounts = table.parse("invoice_amount", parse_amount)
    checked = table.parse("handbook_checked_on", parse_date)
    invalid = {error.row for error in errors}
    name_column = table.column_names.get("name", _("name"))
    keep = []
    for i, number in enumerate(table.numbers):
        if not names[i]:
            errors.append(RowError(number, name_column, _("The customer's name is missing.")))
            invalid.add(number)
        if not vins[i] and not plates[i] and number not in invalid:
            errors.append(RowError(number, table.column_names.get("vin", _("VIN")),
                                   _("Neither a VIN nor a plate: the vehicle cannot be identified.")))
            invalid.add(number)
        if number not in invalid:
            keep.append(i)
    phones = [phones[i] or ("", "") for i in keep]
    columns = [[column[i] for i in keep] for column in (names, addresses, genders, birthdays, id_numbers, brands,
                                                         models, colours, delivered, consultants, amounts, checked)]
    name, address, gender, birthday, id_number, brand, model, colour, delivery, consultant, amount, check = columns
    rows = CleanRows(
        numbers=[table.numbers[i] for i in keep],
        columns=[name, [mobile for mobile, _other in phones], [other for _mobile, other in phones], address, gender,
                 birthday, id_number, [vins[i] or "" for i in keep], [plates[i] or "" for i in keep], brand, model,
                 colour, delivery, consultant, amount, check])
    return rows, errors


def doubtful(table: Table, rows: "CleanRows", seen: dict) -> set[int]:
    """Rows of a block that were read but may still turn out invalid when written."""
    return rows_without_vin(table)


class CleanRows:
    """The clean rows of a file, held as columns (one list per field): compact enough for a
    300,000-row file to sit beside the open workbook. Iterating gives a `DeliveryRow` view of each."""

    WIDTH = len(CUSTOMER_FIELDS) + len(VEHICLE_FIELDS) + 1  # … and the handbook check date

    def __init__(self, numbers: list[int] | None = None, columns: list[list] | None = None):
        self.numbers = array("l", numbers or [])  # plain machine integers: a tenth of int objects' size
        self.columns = columns or [[] for _ in range(self.WIDTH)]

    def __len__(self) -> int:
        return len(self.numbers)

    def __iadd__(self, other: "CleanRows") -> "CleanRows":
        self.numbers += other.numbers
        for mine, theirs in zip(self.columns, other.columns, strict=True):
            mine += theirs
        return self

    def __iter__(self):
        for index, number in enumerate(self.numbers):
            yield DeliveryRow(row=number, rows=self, index=index)


# --- writing -------------------------------------------------------------------------------------
def _changes(stored: dict, filled: dict) -> dict:
    """The fields the file sets to something new (`filled`: only fields with a value, so an empty
    cell never erases what the archive knows)."""
    return {name: value for name, value in filled.items() if stored[name] != value}


def _chunks(rows: list[DeliveryRow], plate_vins: dict[str, str] | None = None
            ) -> list[list[tuple[tuple, list[DeliveryRow]]]]:
    """Persons, in chunks of about CHUNK rows, such that no two chunks touch the same vehicle.

    Rows of one person go together; persons who name the same vehicle (by VIN, or by plate when
    the row has no VIN) go together too, so chunks can be written in any order, or at once.
    `plate_vins` gives the VIN of the archive's vehicle with each plate: a row naming a car by its
    plate and another naming it by its VIN are the same car.
    """
    plate_vins = plate_vins or {}
    persons: dict[tuple, list[DeliveryRow]] = {}
    for row in rows:
        persons.setdefault(row.key, []).append(row)
    # Persons sharing a vehicle are rare: they are joined (union-find on the few), the rest stay alone.
    parent: dict[tuple, tuple] = {}

    def root(key: tuple) -> tuple:
        while key in parent:
            key = parent[key]
        return key

    first_person: dict[str, tuple] = {}
    for key, group in persons.items():
        for row in group:
            other = first_person.setdefault(row.vin or plate_vins.get(row.plate) or "plate:" + row.plate, key)
            if other != key and root(other) != root(key):
                parent[root(key)] = root(other)
    del first_person
    together: dict[tuple, list[tuple]] = {}
    for key in parent:
        together.setdefault(root(key), []).append(key)
    placed = set()

    def units():
        for key in persons:
            if key in parent or key in together:
                top = root(key)
                if top in placed:
                    continue
                placed.add(top)
                yield [(member, persons[member]) for member in (top, *together[top])]
            else:
                yield [(key, persons[key])]

    return pack(units(), size=CHUNK)


class DeliveriesImport:
    """One import of cleaned delivery rows. Chunks of persons, each written in one transaction."""

    def __init__(self, *, by, dry_run: bool, handbook: bool = False, vin_column: str = ""):
        self.by, self.dry_run, self.handbook = by, dry_run, handbook
        self.vin_column = vin_column or _("VIN")
        self.outcome = Outcome()

    def run(self, rows: list[DeliveryRow], progress: Callable[[int], None] | None = None) -> Outcome:
        outcome = self.outcome
        # A row without VIN is fine only for a vehicle already on file under that plate.
        plate_only = list({row.plate for row in rows if not row.vin})
        known: dict[str, str] = {}  # plate → VIN of the archive's vehicle (the oldest, as the writer picks)
        for start in range(0, len(plate_only), CHUNK):
            for plate, vin in (Vehicle.objects.filter(plate__any_of=frozenset(plate_only[start:start + CHUNK]))
                               .order_by("-id").values_list("plate", "vin")):
                known[plate] = vin
        usable = []
        for row in rows:
            if row.vin or row.plate in known:
                usable.append(row)
            else:
                outcome.errors.append(RowError(row.row, _("VIN"),
                                               _("The VIN is missing and no vehicle has this plate yet.")))
        chunks = _chunks(usable, known)
        done = 0
        for numbers, result in write_chunks(self._write_chunk, chunks, parallel=not self.dry_run):
            outcome.add(numbers, result, committed=not self.dry_run)
            if not isinstance(result, Exception):
                done += len(numbers)
                if progress:
                    progress(done)
        outcome.committed_rows.sort()
        outcome.failed_rows.sort()
        return outcome

    def _write_chunk(self, chunk: list[tuple[tuple, list[DeliveryRow]]]) -> dict[str, int]:
        with transaction.atomic():
            counts = self._write(chunk)
            if self.dry_run:
                transaction.set_rollback(True)
        return counts

    def _existing_customers(self, chunk) -> dict[tuple, dict]:
        mobiles = [key[1] for key, _group in chunk if key[0] == "mobile"]
        names = {key[1] for key, _group in chunk if key[0] == "name+address"}
        found: dict[tuple, dict] = {}
        # Oldest first wins when the archive already holds two customers with one mobile.
        same_mobile = Customer.objects.filter(mobile__any_of=frozenset(mobiles)).order_by("-id")
        for stored in same_mobile.values("id", *CUSTOMER_FIELDS):
            found[("mobile", stored["mobile"])] = stored
        if names:
            for stored in (Customer.objects.filter(name__any_of=frozenset(names), mobile="").order_by("-id")
                           .values("id", *CUSTOMER_FIELDS)):
                found[("name+address", stored["name"], stored["address"])] = stored
        return found

    def _existing_vehicles(self, chunk) -> tuple[dict, dict, dict, dict]:
        vins = [row.vin for _key, group in chunk for row in group if row.vin]
        plates = [row.plate for _key, group in chunk for row in group if row.plate and not row.vin]
        by_vin, by_plate = {}, {}
        for stored in Vehicle.objects.filter(vin__any_of=frozenset(vins)).values("id", *VEHICLE_FIELDS):
            by_vin[stored["vin"]] = stored
        if plates:
            for stored in (Vehicle.objects.filter(plate__any_of=frozenset(plates)).order_by("-id")
                           .values("id", *VEHICLE_FIELDS)):
                by_plate[stored["plate"]] = stored
        ids = [stored["id"] for stored in (*by_vin.values(), *by_plate.values())]
        owners = dict(VehicleRole.objects.filter(vehicle_id__any_of=frozenset(ids), kind=VehicleRole.Kind.OWNER,
                                                 ended_on__isnull=True).values_list("vehicle_id", "customer_id"))
        files = {}
        if self.handbook:
            files = {stored["vehicle_id"]: stored for stored in
                     DeliveryFile.objects.filter(vehicle_id__any_of=frozenset(ids))
                     .values("id", "vehicle_id", "handbook_checked_on")}
        return by_vin, by_plate, owners, files

    def _write(self, chunk: list[tuple[tuple, list[DeliveryRow]]]) -> dict[str, int]:
        now = timezone.now()
        today = timezone.localdate()
        counts = {"created": 0, "updated": 0, "unchanged": 0, "warnings": []}
        existing = self._existing_customers(chunk)
        by_vin, by_plate, owners, files = self._existing_vehicles(chunk)

        new_customers, customer_changes, persons = [], {}, []
        for key, group in chunk:
            merged = group[0].filled_customer()
            for row in group[1:]:  # later rows of the same person fill what earlier ones left empty
                merged.update(row.filled_customer())
            stored = existing.get(key)
            if stored is None:
                pinyin, initials = name_pinyin(merged["name"])
                given_initials, surname_initial = name_pinyin_mixed(merged["name"])
                mobile, phone2 = merged.get("mobile", ""), merged.get("phone2", "")
                person = new_row(Customer, **merged, source=Customer.Source.IMPORT, created_at=now, updated_at=now,
                                    name_pinyin=pinyin, name_initials=initials,
                                    name_pinyin_given_initials=given_initials,
                                    name_pinyin_surname_initial=surname_initial, mobile_rev=mobile[::-1],
                                    phone2_rev=phone2[::-1])
                new_customers.append(person)
                persons.append((person, "created"))
                continue
            merged.pop("name", None)  # the key found the person; the archive's spelling of the name stays
            changes = _changes(stored, merged)
            if changes:
                customer_changes[stored["id"]] = changes
            persons.append((stored, "updated" if changes else "unchanged"))

        insert_rows(Customer, new_customers)
        history_from_rows(Customer, [row["id"] for row in new_customers], by=self.by, reason=REASON)
        update_rows(Customer, customer_changes, by=self.by, reason=REASON)

        new_vehicles, vehicle_changes, new_roles, new_files, file_changes = [], {}, [], [], {}
        new_owner_of: dict[str, int] = {}  # VIN of a vehicle created in this chunk → its owner's id
        for (_key, group), (person, person_outcome) in zip(chunk, persons, strict=True):
            for row in group:
                values = row.filled_vehicle()
                vin = row.vin
                started = values.get("delivery_date") or today
                stored = by_vin.get(vin) if vin else by_plate.get(row.plate)
                if stored is None:
                    vehicle = new_row(Vehicle, **values, created_at=now, plate_key=plate_search_key(values.get(
                        "plate", "")), vin_rev=vin[::-1])
                    vehicle["brand"] = vehicle["brand"] or Vehicle.Brand.OTHER  # the file named none we know
                    new_vehicles.append(vehicle)
                    by_vin[vin] = vehicle
                    new_owner_of[vin] = person["id"]
                    new_roles.append((vehicle, person, started))
                    new_files.append((vehicle, row.handbook_checked_on))
                    counts["created"] += 1
                    continue
                changes = _changes(stored, values) if "id" in stored else {}
                if changes:
                    vehicle_changes.setdefault(stored["id"], {}).update(changes)
                    stored.update(changes)  # a second row naming the car compares with the new values
                owner_added = "id" in stored and stored["id"] not in owners
                if owner_added:  # a car on file without an owner (first met in a repair order): now it has one
                    owners[stored["id"]] = person["id"]  # once, even if several rows name the vehicle
                    new_roles.append((stored, person, started))
                else:
                    owner = owners[stored["id"]] if "id" in stored else new_owner_of[stored["vin"]]
                    if owner != person["id"]:
                        # An old file, or a car sold since (or two persons in one file naming one car): an
                        # owner change is confirmed on the vehicle page, never made by an import.
                        counts["warnings"].append(RowError(row.row, self.vin_column, _(
                            "The archive has another owner for this vehicle (customer #%(id)s); the owner was "
                            "left unchanged. If the car was sold, record the owner change on the vehicle page.")
                            % {"id": owner}))
                handbook = self._handbook_change(stored, row.handbook_checked_on, files, new_files, file_changes)
                outcome = "updated" if changes or handbook or owner_added else "unchanged"
                if person_outcome == "created":
                    counts["created"] += 1
                elif person_outcome == "updated" or outcome == "updated":
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1

        insert_rows(Vehicle, new_vehicles)
        history_from_rows(Vehicle, [row["id"] for row in new_vehicles], by=self.by, reason=REASON)
        update_rows(Vehicle, vehicle_changes, by=self.by, reason=REASON)
        delivery_files = [new_row(DeliveryFile, vehicle_id=vehicle["id"], handbook_checked_on=checked)
                          for vehicle, checked in new_files]
        insert_rows(DeliveryFile, delivery_files)
        # A new delivery file's history starts with its first change (a baseline is written then), unless
        # the file brings a handbook check: that is news worth a line of history now.
        history_from_rows(DeliveryFile, [row["id"] for row in delivery_files if row["handbook_checked_on"]],
                          by=self.by, reason=REASON)
        update_rows(DeliveryFile, file_changes, by=self.by, reason=REASON)
        roles = [new_row(VehicleRole, vehicle_id=vehicle["id"], customer_id=person["id"],
                            kind=VehicleRole.Kind.OWNER, started_on=started)
                 for vehicle, person, started in new_roles]
        # A new role's history starts with its first change (a baseline of it is written then); the
        # customer's and the vehicle's creation already say who imported them and when.
        insert_rows(VehicleRole, roles)
        return counts

    def _handbook_change(self, stored: dict, checked: date | None, files: dict, new_files: list,
                         file_changes: dict) -> bool:
        """Whether the handbook check date is new for the vehicle's delivery file (and record the change)."""
        if not self.handbook or checked is None or "id" not in stored:
            return False
        delivery_file = files.get(stored["id"])
        if delivery_file is None:
            new_files.append((stored, checked))
            files[stored["id"]] = {"handbook_checked_on": checked}
            return True
        if delivery_file["handbook_checked_on"] == checked:
            return False
        if "id" in delivery_file:
            file_changes[delivery_file["id"]] = {"handbook_checked_on": checked}
        delivery_file["handbook_checked_on"] = checked
        return True
