"""The manufacturer's dissatisfaction items (厂家不满意事项): imported from the manufacturer's file or
entered by hand, each one a complaint worked through the same workflow, and reported back in the
manufacturer's columns.

    file ──reading.open_sheet (hostile-file checks, calamine in a subprocess)──► rows
         ──headers (kind "manufacturer_items": title rows, Chinese names and variants)──► columns
         ──table.parse with the archive's cleaners (dates, phones, VIN, plate)──► clean rows
         ──match: VIN → the car's current owner, else plate, else mobile──► a customer or an invalid row
         ──one transaction: complaint_register + the item, per new number──► report

The rules are the archive imports': a file without a column it needs is refused before any row,
naming what is missing and what the file has; a bad row is reported (row, column, reason) and the
others go in; a number already imported is skipped, so the same file twice creates nothing; a
refused file changes nothing. Nobody is created: an item whose customer the archive does not know is
an invalid row. The check (`dry_run`) runs every step but the writing. Files are small (the
manufacturer sends a few hundred items a month), so the import runs in the request, up to
`MAX_ROWS` rows.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from itertools import chain, islice

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.imports.headers import (
    SCAN_ROWS,
    ambiguous_notes,
    file_columns,
    find_header,
    missing_columns,
)
from customers.imports.reading import ImportFileError, open_sheet
from customers.imports.table import RowError, Table, tables
from customers.imports.values import parse_date, phones_of, plate_of, printable, text, truncated, vin_of
from customers.models import Customer, Vehicle, VehicleRole
from customers.normalize import mask_phone
from dealer_crm.exports import XLSX, export_response, export_row_count
from followups.callbacks.models import Department

from .models import Complaint, ComplaintStep, ManufacturerItem
from .services import ComplaintError, complaint_register, default_severity

KIND = "manufacturer_items"  # the import engine's header mapping for these files
VIEW, ADD = "complaints.view_manufactureritem", "complaints.add_manufactureritem"
MAX_ROWS = 1000  # a month of items is a few hundred; importing 1,000 takes about 12 s (13 queries an item)
MAX_BYTES = 1024 * 1024  # 1,000 rows of xlsx stay far below
IDENTIFYING = ("vin", "plate", "mobile")

C = Complaint.Category
# The manufacturer's item type → the complaint's category: the first keyword found wins, so
# "服务态度" is attitude and "配件价格" a price before it is parts.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (C.ATTITUDE, ("态度",)),
    (C.WAITING, ("等待", "等候", "时长", "时间", "效率", "及时")),
    (C.PRICE, ("价格", "收费", "费用", "报价", "贵")),
    (C.PARTS, ("配件", "备件", "零件", "缺件")),
    (C.SALES_PROMISE, ("销售", "承诺", "购车", "交车", "新车")),
    (C.REPAIR, ("维修", "质量", "故障", "返修", "技术")),
    (C.SERVICE, ("服务", "接待", "环境")),
)


def category_for(item_type: str) -> str:
    """The complaint's category for the manufacturer's item type (其他 when no keyword fits)."""
    for category, words in CATEGORY_WORDS:
        if any(word in item_type for word in words):
            return category
    return C.OTHER


def department_for(category: str) -> str:
    """Items are after-sales service's, unless they are about what sales promised."""
    return Department.SALES if category == C.SALES_PROMISE else Department.SERVICE


class ManufacturerItemError(Exception):
    """A hand-entered item that cannot be saved: `errors` maps each field (or None) to its message."""

    def __init__(self, errors: dict[str | None, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass
class ItemRow:
    row: int
    reference: str
    received_on: date | None
    reply_due_on: date | None
    customer_name: str
    mobile: str
    vin: str
    plate: str
    item_type: str
    description: str
    customer: Customer | None = None
    vehicle: Vehicle | None = None
    matched_by: str = ""  # "vin", "plate" or "mobile"


@dataclass
class ManufacturerReport:
    filename: str = ""
    rows: int = 0
    created: int = 0  # with `dry_run`: would be created
    skipped: int = 0  # numbers already imported
    invalid: int = 0
    dry_run: bool = False
    errors: list[dict] = field(default_factory=list)  # {row, column, message}
    skipped_rows: list[dict] = field(default_factory=list)  # {row, reference, complaint}
    items: list[dict] = field(default_factory=list)  # the new items: {row, reference, customer, …}
    unused_columns: list[str] = field(default_factory=list)
    column_problems: list[str] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    other_sheets: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------------
def _reference(cell) -> str:
    value = text(cell)
    if len(value) > ManufacturerItem._meta.get_field("reference").max_length:
        raise ValueError(_("The number is longer than %(length)s characters.") % {
            "length": ManufacturerItem._meta.get_field("reference").max_length})
    return value


def _description(cell) -> str:
    return text(cell)


def _clean(table: Table, *, today: date) -> tuple[list[ItemRow], list[RowError]]:
    """The rows whose cells are all good; a RowError for each bad cell and each missing value."""
    errors = table.errors
    references = table.parse("reference", _reference, cache=False)
    received = table.parse("received_on", parse_date)
    due = table.parse("reply_due_on", parse_date)
    names = table.parse("name", truncated(50))
    phones = table.parse("mobile", phones_of, cache=False)
    vins = table.parse("vin", vin_of, cache=False)
    plates = table.parse("plate", plate_of, cache=False)
    types = table.parse("item_type", truncated(60))
    descriptions = table.parse("description", _description, cache=False)
    names_of = table.column_names
    bad_cells: dict[str, set[int]] = {}  # column → the rows whose cell in it is bad
    for error in errors:
        bad_cells.setdefault(error.column, set()).add(error.row)
    bad_rows = set().union(*bad_cells.values())
    bad_dates = bad_cells.get(names_of.get("received_on"), set()) | bad_cells.get(names_of.get("reply_due_on"), set())
    rows = []
    for i, number in enumerate(table.numbers):
        found = len(errors)
        if not references[i] and number not in bad_cells.get(names_of["reference"], ()):
            errors.append(RowError(number, names_of["reference"], _("The manufacturer's number is missing.")))
        if not descriptions[i]:
            errors.append(RowError(number, names_of["description"], _("The description is missing.")))
        mobile, other = phones[i] or ("", "")
        if not (vins[i] or plates[i] or mobile or other) and not _any_cell(table, IDENTIFYING, i):
            errors.append(RowError(number, identifying_columns(table),
                                   _("Neither a VIN, a plate nor a phone: the customer cannot be identified.")))
        received_on = received[i] or today
        if number not in bad_dates and due[i] is not None and due[i] < received_on:
            errors.append(RowError(number, names_of["reply_due_on"],
                                   _("The reply is due before the item was sent (%(day)s).")
                                   % {"day": received_on.isoformat()}))
        if number in bad_rows or len(errors) > found:
            continue
        rows.append(ItemRow(row=number, reference=references[i], received_on=received_on, reply_due_on=due[i],
                            customer_name=names[i] or "", mobile=mobile or other, vin=vins[i] or "",
                            plate=plates[i] or "", item_type=types[i] or "", description=descriptions[i]))
    return rows, errors


def _any_cell(table: Table, names: tuple[str, ...], index: int) -> bool:
    """Whether the row has something in one of these columns (a bad cell is reported as such)."""
    return any(text(table.cells[name][index]) for name in names if name in table.cells)


def identifying_columns(table: Table) -> str:
    """The file's columns that identify the customer, as one name for messages: "车架号、联系电话"."""
    return "、".join(table.column_names[name] for name in IDENTIFYING if name in table.column_names)


# --- deciding what each row is ------------------------------------------------------------------
@dataclass
class _Plan:
    new: list[ItemRow]
    skipped: list[dict]
    errors: list[RowError]


def _plan(rows: list[ItemRow], errors: list[RowError], table: Table) -> _Plan:
    """Each clean row: a number seen before in the file (invalid), already imported (skipped), a
    customer the archive does not know (invalid), or a new item with its customer."""
    first_row: dict[str, int] = {}
    unique = []
    for row in rows:
        if row.reference in first_row:
            errors.append(RowError(row.row, table.column_names["reference"],
                                   _("The number %(reference)s is already in row %(row)s of this file.")
                                   % {"reference": row.reference, "row": first_row[row.reference]}))
            continue
        first_row[row.reference] = row.row
        unique.append(row)
    known = dict(ManufacturerItem.objects.filter(reference__in=list(first_row))
                 .values_list("reference", "complaint_id"))
    skipped = [{"row": row.row, "reference": row.reference, "complaint": _number(known[row.reference])}
               for row in unique if row.reference in known]
    new = [row for row in unique if row.reference not in known]
    _match(new)
    for row in new:
        if row.customer is None and not row.matched_by:
            errors.append(RowError(row.row, identifying_columns(table), _("The customer is not in the archive.")))
        elif row.customer is None:  # a mobile that several customers share
            errors.append(RowError(row.row, table.column_names["mobile"],
                                   _("Several customers in the archive have this phone number: give the VIN or "
                                     "the plate.")))
    return _Plan(new=[row for row in new if row.customer is not None], skipped=skipped,
                 errors=sorted(errors, key=lambda error: error.row))


def _number(complaint_id: int) -> str:
    return Complaint(pk=complaint_id).number


def _match(rows: list[ItemRow]) -> None:
    """The customer of each row, in three look-ups for the whole file: the current owner of the car
    with the row's VIN; else of the one car with its plate (when the row gives no VIN, or the
    plate's car has it: a plate does not move a VIN's item to another car); else the one customer
    with its mobile. A mobile shared by several customers matches nobody (`matched_by` says why)."""
    current = VehicleRole.objects.filter(kind=VehicleRole.Kind.OWNER, ended_on__isnull=True,
                                         customer__merged_into__isnull=True).select_related("vehicle", "customer")
    vins = {row.vin for row in rows if row.vin}
    by_vin = {role.vehicle.vin: role for role in current.filter(vehicle__vin__in=list(vins))} if vins else {}
    plates = {row.plate for row in rows if row.plate and row.vin not in by_vin}
    by_plate: dict[str, list[VehicleRole]] = {}
    if plates:
        for role in current.filter(vehicle__plate__in=list(plates)):
            by_plate.setdefault(role.vehicle.plate, []).append(role)
    for row in rows:
        role = by_vin.get(row.vin) if row.vin else None
        if role is None and row.plate:
            found = by_plate.get(row.plate, [])
            if len(found) == 1 and (not row.vin or found[0].vehicle.vin == row.vin):
                role, row.matched_by = found[0], "plate"
        elif role is not None:
            row.matched_by = "vin"
        if role is not None:
            row.customer, row.vehicle = role.customer, role.vehicle
    mobiles = {row.mobile for row in rows if row.customer is None and row.mobile}
    by_mobile: dict[str, list[Customer]] = {}
    if mobiles:
        for customer in Customer.objects.filter(mobile__in=list(mobiles)):
            by_mobile.setdefault(customer.mobile, []).append(customer)
    for row in rows:
        if row.customer is None and row.mobile in by_mobile:
            found = by_mobile[row.mobile]
            row.matched_by = "mobile"
            row.customer = found[0] if len(found) == 1 else None


# --- writing --------------------------------------------------------------------------------------
def _severity():
    """The severity new items start with (the supervisor reclassifies): none in use refuses the file."""
    try:
        return default_severity()
    except ComplaintError as error:
        raise ImportFileError(str(error)) from error


def _write(rows: list[ItemRow], *, by, now: datetime) -> list[ManufacturerItem]:
    """A complaint (channel 厂家不满意事项, unassigned, for the supervisor) and the item for each row,
    in the caller's transaction; the items go in with one INSERT."""
    severity = _severity()
    items = []
    for row in rows:
        category = category_for(row.item_type)
        try:
            complaint = complaint_register(
                customer=row.customer, vehicle=row.vehicle, channel=Complaint.Channel.MANUFACTURER,
                category=category, description=row.description, department=department_for(category), by=by,
                severity=severity, now=now)
        except ComplaintError as error:
            raise ImportFileError(_("Row %(row)s: %(message)s") % {"row": row.row, "message": error}) from error
        items.append(ManufacturerItem(
            reference=row.reference, received_on=row.received_on, reply_due_on=row.reply_due_on,
            customer_name=row.customer_name, mobile=row.mobile, vin=row.vin, plate=row.plate,
            item_type=row.item_type, description=row.description, complaint=complaint, imported_by=by,
            imported_at=now))
    try:
        with transaction.atomic():
            ManufacturerItem.objects.bulk_create(items)
    except IntegrityError as error:  # the same numbers imported by someone else at this moment
        raise ImportFileError(_("Some of these numbers were imported by someone else at the same moment: nothing "
                                "was imported. Import the file again; what is there now is skipped.")) from error
    return items


def _matched_label(how: str) -> str:
    return {"vin": _("by VIN"), "plate": _("by plate"), "mobile": _("by phone")}.get(how, "")


def _item_summary(row: ItemRow, complaint: Complaint | None) -> dict:
    category = category_for(row.item_type)
    return {"row": row.row, "reference": row.reference, "customer_id": row.customer.pk,
            "customer": row.customer.name, "named": row.customer_name, "matched_by": _matched_label(row.matched_by),
            "vehicle": str(row.vehicle) if row.vehicle else "", "category": str(C(category).label),
            "department": str(Department(department_for(category)).label),
            "description": row.description[:200], "complaint": complaint.number if complaint else "",
            "complaint_id": complaint.pk if complaint else None}


# --- the services ---------------------------------------------------------------------------------
def manufacturer_import(*, data: bytes, filename: str, by, dry_run: bool = False,
                        now: datetime | None = None) -> ManufacturerReport:
    """Read the manufacturer's file and, unless `dry_run`, register its new items, all in one
    transaction. Raises ImportFileError (and changes nothing) for a file that cannot be imported:
    empty, not a spreadsheet, too big, without a column it needs, or more than `MAX_ROWS` rows."""
    if not by.has_perm(ADD):
        raise PermissionDenied
    now = now or timezone.now()
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(limit)s MB: the manufacturer's items of a month fit in "
                                "much less. Split it and import the parts.") % {"limit": MAX_BYTES // (1024 * 1024)})
    sheet = open_sheet(data)
    rows_read = sheet.rows
    try:
        head = list(islice(rows_read, SCAN_ROWS))
        header = find_header(head, KIND)
        if header is None:
            raise ImportFileError(_("No header row was recognised: the file needs columns such as 编号 (the "
                                    "manufacturer's number), 问题描述 and 车架号, 车牌号 or 联系电话 in one of its "
                                    "first rows."))
        header_cells = head[header.row_index]
        column_problems = ambiguous_notes(header, header_cells, KIND)
        missing = missing_columns(header, KIND)
        if missing:
            raise ImportFileError(" ".join([
                _("The file has no column for: %(columns)s. Add it (with this name or a usual variant) and upload "
                  "again.") % {"columns": "、".join(missing)},
                *column_problems, _("The file's columns: %(columns)s.") % {"columns": file_columns(header_cells)}]))
        today = timezone.localdate(now)
        clean, errors, count, last = [], [], 0, None
        for table, _block in tables(chain(head, rows_read), header, header_cells):
            count += len(table)
            if count > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(limit)s rows: split it and import the parts.")
                                      % {"limit": f"{MAX_ROWS:,}"})
            block_rows, block_errors = _clean(table, today=today)
            clean += block_rows
            errors += block_errors
            last = table
    finally:
        close = getattr(rows_read, "close", None)
        if close is not None:
            close()  # a workbook's reader process ends here, also when the file was refused
    report = ManufacturerReport(
        filename=printable(filename or "")[:255], rows=count, dry_run=dry_run,
        unused_columns=[printable(name) for name in header.unused], column_problems=column_problems,
        encoding=sheet.encoding, sheet=sheet.name, other_sheets=sheet.other_sheets)
    if last is None:
        return report
    _severity()  # said by the check already, not only when confirming
    with transaction.atomic():
        plan = _plan(clean, errors, last)
        written = [None] * len(plan.new) if dry_run else _write(plan.new, by=by, now=now)
    report.created = len(plan.new)
    report.skipped = len(plan.skipped)
    report.skipped_rows = plan.skipped
    report.errors = [asdict(error) for error in plan.errors]
    report.invalid = len({error.row for error in plan.errors})
    report.items = [_item_summary(row, item.complaint if item else None) for row, item in zip(plan.new, written,
                                                                                                strict=True)]
    return report


FIELDS = ("reference", "received_on", "reply_due_on", "name", "mobile", "vin", "plate", "item_type", "description")


@transaction.atomic
def manufacturer_item_enter(*, by, reference: str, description: str, received_on: date | None = None,
                            reply_due_on: date | None = None, customer_name: str = "", mobile: str = "",
                            vin: str = "", plate: str = "", item_type: str = "",
                            now: datetime | None = None) -> ManufacturerItem:
    """One item typed in by the supervisor, through the same cleaning, matching and writing as a
    file's row. ManufacturerItemError names each field that is wrong (None: the item as a whole)."""
    if not by.has_perm(ADD):
        raise PermissionDenied
    now = now or timezone.now()
    values = {"reference": reference, "received_on": received_on, "reply_due_on": reply_due_on,
              "name": customer_name, "mobile": mobile, "vin": vin, "plate": plate, "item_type": item_type,
              "description": description}
    # The fields' own names stand for the columns, so each message finds its field.
    table = Table(numbers=[1], cells={name: [value] for name, value in values.items()},
                  column_names={name: name for name in FIELDS})
    rows, errors = _clean(table, today=timezone.localdate(now))
    plan = _plan(rows, errors, table)
    if plan.skipped:
        raise ManufacturerItemError({"reference": _("This number is entered already (complaint %(number)s).")
                                     % {"number": plan.skipped[0]["complaint"]}})
    if plan.errors:
        found: dict[str | None, str] = {}
        for error in plan.errors:
            key = error.column if error.column in FIELDS else None
            found[key] = f"{found[key]} {error.message}" if key in found else error.message
        raise ManufacturerItemError({("customer_name" if key == "name" else key): message
                                     for key, message in found.items()})
    try:
        return _write(plan.new, by=by, now=now)[0]
    except ImportFileError as error:
        raise ManufacturerItemError({None: str(error)}) from error


# --- the list -------------------------------------------------------------------------------------
OPEN = "open"


def manufacturer_items(*, status: str = "", month: date | None = None, overdue: bool = False,
                       today: date) -> QuerySet[ManufacturerItem]:
    """The items, newest first, with their complaint, customer and owner. `status` is a complaint
    status, or "open" for every one not closed; `overdue`: the reply date is past and the item has
    not been reported back."""
    items = ManufacturerItem.objects.select_related("complaint__customer", "complaint__owner", "complaint__vehicle")
    if status == OPEN:
        items = items.exclude(complaint__status=Complaint.Status.CLOSED)
    elif status:
        items = items.filter(complaint__status=status)
    if month is not None:
        start = month.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        items = items.filter(received_on__gte=start, received_on__lt=end)
    if overdue:
        items = items.filter(overdue_filter(today))
    return items


def overdue_filter(today: date) -> Q:
    return Q(reply_due_on__lt=today, reported_at__isnull=True)


def is_overdue(item: ManufacturerItem, today: date) -> bool:
    return item.reply_due_on is not None and item.reply_due_on < today and item.reported_at is None


# --- reporting back -------------------------------------------------------------------------------
def _follow_up(item: ManufacturerItem) -> str:
    steps = item.complaint.follow_ups
    return steps[-1].note if steps else ""


def _satisfied(item: ManufacturerItem) -> str:
    """是 once the customer confirmed; 否 while a reopened complaint (the customer was not satisfied)
    is worked on again; empty before the follow-up."""
    complaint = item.complaint
    if complaint.satisfied_at is not None or complaint.status == Complaint.Status.CLOSED:
        return "是"
    return "否" if complaint.round > 1 else ""


def _root_cause(item: ManufacturerItem) -> str:
    analysis = getattr(item.complaint, "analysis", None)
    if analysis is None:
        return ""
    return f"{analysis.get_root_cause_display()}：{analysis.root_cause_text}"


# The manufacturer's own column names, in its order: the file goes back to its system as it is.
EXPORT_COLUMNS = [
    ("编号", lambda item: item.reference),
    ("下发日期", lambda item: item.received_on),
    ("客户姓名", lambda item: item.customer_name or item.complaint.customer.name),
    ("联系电话", lambda item: mask_phone(item.mobile)),
    ("VIN", lambda item: item.vin or (item.complaint.vehicle.vin if item.complaint.vehicle else "")),
    ("处理状态", lambda item: item.complaint.get_status_display()),
    ("首次联系时间", lambda item: item.complaint.contacted_at),
    ("解决方案", lambda item: item.complaint.solution),
    ("解决时间", lambda item: item.complaint.solved_at),
    ("回访结果", _follow_up),
    ("客户是否满意", _satisfied),
    ("处理人", lambda item: str(item.complaint.owner) if item.complaint.owner else ""),
    ("结案时间", lambda item: item.complaint.closed_at),
    ("案例分析（根本原因）", _root_cause),
]


def export_items(*, start: date, end: date) -> QuerySet[ManufacturerItem]:
    follow_ups = ComplaintStep.objects.filter(action=ComplaintStep.Action.FOLLOWED_UP).order_by("at", "id")
    return (ManufacturerItem.objects.filter(received_on__gte=start, received_on__lte=end)
            .select_related("complaint__customer", "complaint__vehicle", "complaint__owner", "complaint__analysis")
            .prefetch_related(Prefetch("complaint__steps", queryset=follow_ups, to_attr="follow_ups"))
            .order_by("received_on", "id"))


def manufacturer_export(*, start: date, end: date, by, report_back: bool = False,
                        now: datetime | None = None) -> FileResponse:
    """The items received from `start` to `end` as xlsx in the manufacturer's columns (phones masked,
    through the export service: formulas escaped, an audit event). With `report_back`, the items
    exported are marked reported back now, with one UPDATE."""
    if not by.has_perm(VIEW) or (report_back and not by.has_perm(ADD)):
        raise PermissionDenied
    if end < start:
        raise ValueError(_("The end of the range is before its start."))
    now = now or timezone.now()
    items = export_items(start=start, end=end)
    export_row_count(queryset=items)
    with translation.override("zh-hans"), transaction.atomic():
        rows = list(items)
        response = export_response(
            rows=rows, columns=EXPORT_COLUMNS, filename=f"厂家不满意事项-{start:%Y%m%d}-{end:%Y%m%d}", fmt=XLSX,
            by=by, target_label=_("Manufacturer's dissatisfaction items"),
            filters={"from": start, "to": end, "report_back": report_back})
        if report_back and rows:
            ManufacturerItem.objects.filter(pk__in=[item.pk for item in rows]).update(reported_at=now)
    return response
