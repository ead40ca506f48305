"""One import path for the browser, the background job and the command: `import_archive`."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from . import deliveries
from .headers import find_header
from .reading import ImportFileError, read_rows
from .table import table

KINDS = ("deliveries", "handbook")


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

    def as_json(self) -> dict:
        return asdict(self)


def import_archive(*, data: bytes, kind: str, by, dry_run: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Read, clean and write one archive file; with `dry_run`, everything but the final commit."""
    if kind not in KINDS:
        raise ImportFileError(_("Unknown kind of archive: %(kind)s.") % {"kind": kind})
    sheet = read_rows(data)
    header = find_header(sheet.rows, kind)
    if header is None:
        raise ImportFileError(_("No header row was recognised: the file needs columns such as 客户姓名, 手机号码 and "
                                "车架号 in one of its first rows."))
    data = table(sheet.rows, header)
    count = len(data)
    cleaned, errors = deliveries.clean(data)
    outcome = deliveries.DeliveriesImport(by=by, dry_run=dry_run, handbook=kind == "handbook").run(
        cleaned, progress=progress)
    all_errors = sorted(errors + outcome.errors, key=lambda error: error.row)
    invalid_rows = {error.row for error in errors} | {error.row for error in outcome.errors if error.column}
    return ImportReport(
        kind=kind, rows=count, created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged,
        invalid=len(invalid_rows), errors=[asdict(error) for error in all_errors],
        unused_columns=header.unused, encoding=sheet.encoding, dry_run=dry_run,
        committed_rows=outcome.committed_rows, failed_rows=outcome.failed_rows,
    )
