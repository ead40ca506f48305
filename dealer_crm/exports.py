"""Exporting a list to xlsx or CSV: one service for every list and report of the CRM.

A caller (the customer list today; callback lists and reports later) gives the rows, the columns as
(header, getter) pairs, and what was filtered; `export_response` writes the file, records the
export in the audit log and returns the download. The caller checks the permission, checks the
size with `export_row_count` first, and masks personal data in its getters: this module writes
exactly what the getters return.
"""

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import IO, Any

from django.db.models import Model, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

XLSX = "xlsx"
CSV = "csv"
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}
FORMATS = tuple(CONTENT_TYPES)

# Enough for any list a person works through; more is a copy of the archive, which is not what an
# export button is for (and a 50,000-row workbook already takes seconds to write).
ROW_LIMIT = 50_000
CHUNK_SIZE = 2_000

# A spreadsheet runs a cell that starts with one of these as a formula (CSV/formula injection):
# "=HYPERLINK(...)" typed into a note would run on the manager's computer. In CSV a leading ' makes
# it text; in xlsx the cell is written as a text cell (and marked so, as Excel marks text typed
# after a '), so it shows exactly as typed and cannot run. The full-width forms are there because
# Chinese input methods type them, and some spreadsheet programs read them as the ASCII ones.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Control characters that xlsx (XML) cannot hold; openpyxl refuses the whole file over one of them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

Column = tuple[str | Promise, Callable[[Any], Any]]


class ExportTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(_(
            "These filters match more than %(limit)s rows, the most one export may hold. "
            "Narrow the filters (e.g. a shorter date range) and export again."
        ) % {"limit": f"{limit:,}"})


def export_row_count(*, queryset: QuerySet, limit: int | None = None) -> int:
    """The number of rows to export; `ExportTooLarge` if more than `limit` (default `ROW_LIMIT`).

    Counts at most `limit + 1` rows, so a filter matching the whole archive costs no full count.
    """
    limit = ROW_LIMIT if limit is None else limit
    count = queryset.order_by()[: limit + 1].count()
    if count > limit:
        raise ExportTooLarge(limit)
    return count


def export_iter_chunks(queryset: QuerySet, *, chunk_size: int = CHUNK_SIZE,
                       prepare: Callable[[list], Any] | None = None) -> Iterator[Model]:
    """The rows of `queryset`, read `chunk_size` at a time (with its prefetches per chunk), so a big
    export holds one chunk in memory. `prepare` gets each chunk as a list before its rows are
    written: for per-row values read in one query per chunk."""
    rows = queryset.iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        if prepare is not None:
            prepare(chunk)
        yield from chunk


def escape_text(value: str) -> str:
    """Text for a CSV cell: control characters out, a ' before what would start a formula."""
    value = CONTROL_CHARACTERS.sub("", value)  # first: removing one must not uncover a formula start
    return "'" + value if value.startswith(FORMULA_START) else value


def _xlsx_text(sheet, value: str) -> Any:
    """Text for an xlsx cell: control characters out; what would start a formula becomes a typed
    text cell, never a formula, showing what was typed without a visible '."""
    value = CONTROL_CHARACTERS.sub("", value)
    if not value.startswith(FORMULA_START):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl took the leading = for a formula
    cell.quotePrefix = True  # Excel's own mark for text typed after a ': editing keeps it text
    return cell


def cell_value(value: Any, fmt: str) -> Any:
    """A getter's value as the file holds it: numbers, dates and times keep their type in xlsx (so
    they sort and add up); text is escaped for CSV (xlsx text is made safe as it is written, see
    `_xlsx_text`); yes/no and empty values read as the list shows them."""
    if value is None:
        return None if fmt == XLSX else ""
    if isinstance(value, bool):  # before int: a bool is an int
        return _("Yes") if value else _("No")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            # Excel has no time zones: write the time the staff read on their clock.
            value = timezone.make_naive(value)
        value = value.replace(microsecond=0)
        return value if fmt == XLSX else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value if fmt == XLSX else value.isoformat()
    return str(value) if fmt == XLSX else escape_text(str(value))


def _sheet_title(label: str) -> str:
    return SHEET_TITLE_FORBIDDEN.sub("", label)[:31] or "Sheet1"


def write_xlsx(file: IO[bytes], *, rows: Iterable, columns: Sequence[Column], title: str) -> int:
    """Write the workbook to `file`; the number of rows written."""
    book = Workbook(write_only=True)  # rows go to a temporary file, not into memory
    sheet = book.create_sheet(_sheet_title(title))
    # Headers may come from an uploaded file (the invalid-rows download): escaped like any cell.
    headers = [str(header) for header, _getter in columns]
    for index, header in enumerate(headers, start=1):
        # Chinese characters are about two columns wide; dates need about twelve.
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(header) + 4)
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_text(sheet, header) for header in headers])
    count = 0
    for row in rows:
        values = (cell_value(getter(row), XLSX) for _header, getter in columns)
        sheet.append([_xlsx_text(sheet, value) if isinstance(value, str) else value for value in values])
        count += 1
    book.save(file)
    return count


def write_csv(file: IO[bytes], *, rows: Iterable, columns: Sequence[Column]) -> int:
    """Write UTF-8 CSV with a byte-order mark (without it Excel reads the Chinese as GBK); the
    number of rows written."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([escape_text(str(header)) for header, _getter in columns])
    count = 0
    for row in rows:
        writer.writerow([cell_value(getter(row), CSV) for _header, getter in columns])
        count += 1
    text.flush()
    text.detach()  # hand `file` back open: the response reads it
    return count


def _loggable(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that were set, as JSON values."""
    loggable = {}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, date | time):
            value = value.isoformat()
        elif not isinstance(value, bool | int | float | str):
            value = str(value)
        loggable[key] = value
    return loggable


def export_response(*, rows: Iterable, columns: Sequence[Column], filename: str, fmt: str, by,
                    target_label: str | Promise, filters: dict[str, Any],
                    target: Model | None = None) -> FileResponse:
    """Write `rows` as an xlsx or CSV download and record the export in the audit log.

    The file is written completely (to a temporary file on disk) before anything is sent, so the
    audit event holds the exact number of rows, and it is recorded before the first byte leaves.
    `filters` and `target_label` go into the audit log: they must say what was exported, never
    whom (no names or phone numbers in a filter).
    """
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown export format: {fmt!r}")
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it after sending
    try:
        if fmt == XLSX:
            count = write_xlsx(file, rows=rows, columns=columns, title=str(target_label))
        else:
            count = write_csv(file, rows=rows, columns=columns)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    audit_record(actor=by, action=AuditEvent.Action.EXPORT, target=target, detail={
        "list": str(target_label), "format": fmt, "rows": count, "filters": _loggable(filters),
    })
    return FileResponse(file, as_attachment=True, filename=f"{filename}.{fmt}", content_type=CONTENT_TYPES[fmt])
