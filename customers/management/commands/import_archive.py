import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.imports.reading import ImportFileError
from customers.imports.services import KINDS, import_archive


class Command(BaseCommand):
    help = "Import an archive file (.xlsx, .xls or .csv) the same way as the admin's upload."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, path: str, kind: str, dry_run: bool, json: bool, **options):
        try:
            report = import_archive(data=Path(path).read_bytes(), kind=kind, by=None, dry_run=dry_run)
        except (ImportFileError, OSError) as error:
            if json:
                self.stdout.write(_dumps({"error": str(error)}))
            raise CommandError(str(error)) from error
        if json:
            # The invalid rows' cells are for the browser's download; the command names their rows in errors.
            self.stdout.write(_dumps({k: v for k, v in report.as_json().items() if k not in ("header", "invalid_rows")}))
            return
        self.stdout.write(
            f"{report.rows} rows: {report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.invalid} invalid{' (dry run: nothing written)' if dry_run else ''}")
        for error in report.errors[:50]:
            self.stdout.write(f"  row {error['row']} {error['column']}: {error['message']}")
        for warning in report.warnings[:50]:
            self.stdout.write(f"  note, row {warning['row']} {warning['column']}: {warning['message']}")
        if report.unused_columns:
            self.stdout.write("Columns not used: " + ", ".join(report.unused_columns))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
