"""One import path for the browser, the background job and the command: `import_archive`."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import chain, islice

from django.utils.translation import gettext as _

from . import deliveries, visits
from .headers import SCAN_ROWS, ambiguous_notes, file_columns, find_header, key_column_note, missing_columns
from .reading import ImportFileError, open_sheet
from .table import column_names, tables
from .values import printable

KINDS = ("deliveries", "service-visits", "handbook")
MAX_INVALID_ROWS_KEPT = 5000  # the cells of invalid rows kept for the download to fix them


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[dict] = field(default_factory=list)  # {row, column, message}
    warnings: list[dict] = field(default_factory=list)  # {row, column, message}: imported, worth a look
    unused_columns: list[str] = field(default_factory=list)
    column_problems: list[str] = field(default_factory=list)  # about the header, shown before the rows
    encoding: str = ""
    sheet: str = ""  # the workbook's sheet that was read
    other_sheets: list[str] = field(default_factory=list)  # its other sheets with data: not read
    dry_run: bool = False
    committed_rows: list[int] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the file's header row, for the invalid-rows download
    # {row, cells}: every row with an error, as the file has it (up to MAX_INVALID_ROWS_KEPT)
    invalid_rows: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


def _cell(value):
    """A cell as JSON (and PostgreSQL's jsonb) can keep it: dates and times as ISO text, numbers as
    they are, text with any control character shown as �."""
    if isinstance(value, str):
        return printable(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def import_archive(*, data: bytes, kind: str, by, dry_run: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Read, clean and write one archive file; with `dry_run`, everything but the final commit.

    `progress(done, total)` is called as rows are written (after the file was read and cleaned).
    """
    if kind not in KINDS:
        raise ImportFileError(_("Unknown kind of archive: %(kind)s.") % {"kind": kind})
    sheet = open_sheet(data)
    head = list(islice(sheet.rows, SCAN_ROWS))
    header = find_header(head, kind)
    if header is None:
        raise ImportFileError(_("No header row was recognised: the file needs columns such as 客户姓名, 手机号码 and "
                                "车架号 (or 工单号 for repair orders) in one of its first rows."))
    header_cells = head[header.row_index]
    column_problems = ambiguous_notes(header, header_cells, kind)
    missing = missing_columns(header, kind)
    if missing:
        raise ImportFileError(" ".join([
            _("The file has no column for: %(columns)s. Add it (with this name or a usual variant) and upload "
              "again.") % {"columns": "、".join(missing)},
            *column_problems, _("The file's columns: %(columns)s.") % {"columns": file_columns(header_cells)}]))
    names = column_names(header, header_cells)
    engine = visits if kind == "service-visits" else deliveries
    cleaned = [] if kind == "service-visits" else deliveries.CleanRows()
    errors, kept, count, seen = [], {}, 0, {}
    # Block by block: the file's cells become clean rows, and only the cells of rows that are (or may
    # turn out) invalid are kept, for the download of invalid rows.
    for block_table, block in tables(chain(head, sheet.rows), header, header_cells):
        count += len(block_table)
        block_rows, block_errors = engine.clean(block_table)
        cleaned += block_rows
        errors += block_errors
        maybe_invalid = {error.row for error in block_errors} | engine.doubtful(block_table, block_rows, seen)
        for number in sorted(maybe_invalid)[:max(MAX_INVALID_ROWS_KEPT - len(kept), 0)]:
            kept[number] = block[number]
    encoding, sheet_name, other_sheets = sheet.encoding, sheet.name, sheet.other_sheets
    del sheet, head, seen  # the workbook's cells are not needed while writing
    report_progress = (lambda done: progress(done, count)) if progress else None
    if kind == "service-visits":
        outcome = visits.VisitsImport(by=by, dry_run=dry_run, column_names=names).run(
            cleaned, progress=report_progress)
    else:
        cleaned = list(cleaned)  # rows, now that the workbook is closed
        outcome = deliveries.DeliveriesImport(by=by, dry_run=dry_run, handbook=kind == "handbook",
                                              vin_column=names.get("vin", "")).run(cleaned, progress=report_progress)
    all_errors = sorted(errors + outcome.errors, key=lambda error: error.row)
    invalid_numbers = sorted({error.row for error in errors} | {error.row for error in outcome.errors if error.column})
    if "vin" not in header.columns.values():
        # Without a VIN column a row stands only on a plate the archive knows. When that leaves nothing to
        # import, the column is what to fix, not each row; when it leaves some rows out, it is said first.
        unplaced = {error.row for error in all_errors if error.column == _("VIN")}
        if unplaced and not (outcome.created or outcome.updated or outcome.unchanged):
            raise ImportFileError(" ".join([key_column_note(header_cells, kind), *column_problems]))
        if unplaced:
            column_problems.insert(0, key_column_note(header_cells, kind))
    listed = sorted({error.row for error in all_errors})[:MAX_INVALID_ROWS_KEPT]
    _keep_rows_read_again(data, kept, [number for number in listed if number not in kept])
    return ImportReport(
        kind=kind, rows=count, created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged,
        invalid=len(invalid_numbers), errors=[asdict(error) for error in all_errors],
        warnings=[asdict(warning) for warning in outcome.warnings],
        unused_columns=[printable(name) for name in header.unused], column_problems=column_problems,
        encoding=encoding, sheet=sheet_name, other_sheets=other_sheets, dry_run=dry_run,
        committed_rows=outcome.committed_rows, failed_rows=outcome.failed_rows,
        header=[str(_cell(cell) or "") for cell in header_cells],
        invalid_rows=[{"row": number, "cells": [_cell(cell) for cell in kept[number]]}
                      for number in listed if number in kept],
    )


def _keep_rows_read_again(data: bytes, kept: dict[int, list], numbers: list[int]) -> None:
    """The cells of rows found invalid only while writing (an RO number on file for another car, a
    plate the archive does not know), which reading did not keep: the file is read again up to the
    last of them, so the download holds every row the report lists."""
    if not numbers:
        return
    wanted, last = set(numbers), max(numbers)
    rows = open_sheet(data).rows
    try:
        for number, row in enumerate(rows, start=1):
            if number in wanted:
                kept[number] = row
            if number >= last:
                break
    finally:
        rows.close()
