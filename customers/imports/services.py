"""One import path for the browser, the background job and the command: `import_archive`."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from . import deliveries, visits
from .headers import find_header
from .reading import ImportFileError, read_rows
from .table import table

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
    unused_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    dry_run: bool = False
    committed_rows: list[int] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the file's header row, for the invalid-rows download
    invalid_rows: list[dict] = field(default_factory=list)  # {row, cells}: the invalid rows as the file has them

    def as_json(self) -> dict:
        return asdict(self)


def _cell(value):
    """A cell as JSON can keep it: dates and times as ISO text, numbers and text as they are."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def import_archive(*, data: bytes, kind: str, by, dry_run: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Read, clean and write one archive file; with `dry_run`, everything but the final commit.

    `progress(done, total)` is called as rows are written (after the file was read and cleaned).
    """
    if kind not in KINDS:
        raise ImportFileError(_("Unknown kind of archive: %(kind)s.") % {"kind": kind})
    sheet = read_rows(data)
    header = find_header(sheet.rows, kind)
    if header is None:
        raise ImportFileError(_("No header row was recognised: the file needs columns such as 客户姓名, 手机号码 and "
                                "车架号 (or 工单号 for repair orders) in one of its first rows."))
    data_table = table(sheet.rows, header)
    count = len(data_table)
    report_progress = (lambda done: progress(done, count)) if progress else None
    if kind == "service-visits":
        cleaned, errors = visits.clean(data_table)
        outcome = visits.VisitsImport(by=by, dry_run=dry_run).run(cleaned, progress=report_progress)
    else:
        cleaned, errors = deliveries.clean(data_table)
        outcome = deliveries.DeliveriesImport(by=by, dry_run=dry_run, handbook=kind == "handbook").run(
            cleaned, progress=report_progress)
    all_errors = sorted(errors + outcome.errors, key=lambda error: error.row)
    invalid_numbers = sorted({error.row for error in errors} | {error.row for error in outcome.errors if error.column})
    header_cells = sheet.rows[header.row_index]
    return ImportReport(
        kind=kind, rows=count, created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged,
        invalid=len(invalid_numbers), errors=[asdict(error) for error in all_errors],
        unused_columns=header.unused, encoding=sheet.encoding, dry_run=dry_run,
        committed_rows=outcome.committed_rows, failed_rows=outcome.failed_rows,
        header=[str(_cell(cell) or "") for cell in header_cells],
        invalid_rows=[{"row": number, "cells": [_cell(cell) for cell in sheet.rows[number - 1]]}
                      for number in invalid_numbers[:MAX_INVALID_ROWS_KEPT]],
    )
