"""Import benchmark: the deliveries import end to end, beside a plain django-import-export import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealer_crm_bench \\
        .venv/bin/python bench/import_bench.py [--rows 100000] [--plain-rows N] [--memory-rows 300000]

The database must be one for benchmarks (its name contains "bench"): the archive tables are
emptied first. Steps, all on the same generated messy workbook (bench/messy_archive.py):
1. plain django-import-export: a `ModelResource` importing the rows into one flat table, row by
   row and then with `use_bulk`, the workbook read with tablib/openpyxl (its usual path);
2. the CRM's import (`customers.imports.services.import_archive`): parse, clean, deduplicate,
   write customers, vehicles, roles, delivery files and history;
3. the same file again: must write nothing;
4. peak memory of an import of a `--memory-rows` file, in a process of its own.
Each CRM import runs in a child process of its own and reports its own peak resident memory (VmHWM).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, models  # noqa: E402

from bench.messy_archive import HEADER, write  # noqa: E402

ARCHIVE_TABLES = ["customers_historicalcustomer", "customers_historicalvehicle", "customers_historicalvehiclerole",
                  "customers_historicaldeliveryfile", "customers_timelineentry", "customers_servicevisit",
                  "customers_deliveryfile", "customers_vehiclerole", "customers_vehicle", "customers_contactpreference",
                  "customers_familymember", "customers_duplicatecandidate", "customers_customermerge",
                  "customers_customer"]


class FlatDelivery(models.Model):
    """One flat table, as a plain import-export setup would have it: every column as it comes."""

    number = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=50, blank=True)
    gender = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=60, blank=True)
    address = models.CharField(max_length=200, blank=True)
    vin = models.CharField(max_length=20, blank=True)
    plate = models.CharField(max_length=20, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    model_name = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=20, blank=True)
    delivered = models.CharField(max_length=30, blank=True)
    consultant = models.CharField(max_length=30, blank=True)
    amount = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "customers"
        db_table = "bench_flat_delivery"
        managed = False


def plain_import(path: Path, rows: int, *, use_bulk: bool) -> float:
    """Rows per second of a plain ModelResource import, reading the workbook as import-export does."""
    import openpyxl
    import tablib
    from import_export import fields, resources

    attrs = {f.name: fields.Field(attribute=f.name, column_name=HEADER[index])
             for index, f in enumerate(FlatDelivery._meta.fields[1:])}
    meta = type("Meta", (), {"model": FlatDelivery, "use_bulk": use_bulk, "batch_size": 1000,
                             "skip_diff": use_bulk, "force_init_instance": True, "import_id_fields": []})
    resource_class = type("FlatDeliveryResource", (resources.ModelResource,), {**attrs, "Meta": meta})
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_flat_delivery")
    started = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True)
    sheet_rows = book.worksheets[0].iter_rows(values_only=True)
    for _ in range(2):  # the title rows, which a plain import cannot skip by itself
        next(sheet_rows)
    dataset = tablib.Dataset(headers=[str(cell) for cell in next(sheet_rows)])
    for index, row in enumerate(sheet_rows):
        if index >= rows:
            break
        dataset.append(["" if cell is None else str(cell) for cell in row])
    result = resource_class().import_data(dataset, dry_run=False, use_transactions=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors(), result.base_errors
    return len(dataset) / elapsed


def child(path: str, kind: str) -> None:
    """Run one CRM import in this process and print its figures."""
    from customers.imports.services import import_archive

    started = time.perf_counter()
    report = import_archive(data=Path(path).read_bytes(), kind=kind, by=None)
    elapsed = time.perf_counter() - started
    # This process's own high-water mark: VmHWM starts anew at exec, where the rusage of a child also
    # counts the parent's memory at the fork.
    peak_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmHWM:"))
    # The workbook reader runs in a process of its own (customers/imports/sheet_process.py): its peak
    # is the largest child's resident memory, reported beside this process's.
    reader_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": elapsed, "rows": report.rows, "created": report.created,
                      "updated": report.updated, "unchanged": report.unchanged, "invalid": report.invalid,
                      "peak_mb": peak_kb / 1024, "reader_peak_mb": reader_kb / 1024}))


def run_child(path: Path) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--child", str(path)], stdout=subprocess.PIPE, text=True,
                               env=os.environ.copy())
    output = process.stdout.read()
    if process.wait() != 0:
        raise SystemExit(f"the import failed: {output}")
    return json.loads(output.strip().splitlines()[-1])


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        result = {}
        for table in ARCHIVE_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            result[table] = cursor.fetchone()[0]
        return result


def empty_archive() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(ARCHIVE_TABLES) + " CASCADE")
        cursor.execute("CHECKPOINT")  # each run starts from the same state, not amid the last one's writes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--plain-rows", type=int, help="rows for the plain import-export runs (default: all)")
    parser.add_argument("--memory-rows", type=int, default=300_000)
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, "deliveries")
        return
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        raise SystemExit("Run it on a PostgreSQL database whose name contains 'bench': its archive is emptied.")
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"PostgreSQL {connection.cursor().connection.server_version} · database {name}")
    folder = ROOT / "var" / "bench"
    path = folder / f"messy-{args.rows}.xlsx"
    if not path.exists():
        write(path, count=args.rows)
    print(f"workbook: {path.name}, {args.rows} data rows, {path.stat().st_size / 1e6:.1f} MB")

    plain = {}
    if not args.skip_plain:
        with connection.schema_editor() as editor:
            editor.execute("DROP TABLE IF EXISTS bench_flat_delivery")
            editor.create_model(FlatDelivery)
        plain_rows = args.plain_rows or args.rows
        for use_bulk in (False, True):
            plain[use_bulk] = plain_import(path, plain_rows, use_bulk=use_bulk)
            print(f"plain import-export{' use_bulk' if use_bulk else ''}: {plain[use_bulk]:,.0f} rows/s "
                  f"({plain_rows} rows)")
        with connection.schema_editor() as editor:
            editor.delete_model(FlatDelivery)

    runs = []
    for _ in range(args.repeat):  # the median run of each kind: one run alone varies by ±15% here
        empty_archive()
        first = run_child(path)
        after_first = counts()
        print(f"  first import: {first['rows'] / first['seconds']:,.0f} rows/s, {first['seconds']:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        again = run_child(path)
        after_again = counts()
        print(f"  same file again: {again['rows'] / again['seconds']:,.0f} rows/s, {again['seconds']:.1f} s, "
              f"rows written: {sum(after_again.values()) - sum(after_first.values())}")
        runs.append((first, again, after_first, after_again))
    runs.sort(key=lambda run: run[0]["seconds"])
    first, _again, after_first, after_again = runs[len(runs) // 2]
    again = sorted((run[1] for run in runs), key=lambda figures: figures["seconds"])[len(runs) // 2]
    print(f"CRM import, first (median of {len(runs)}): {first['rows'] / first['seconds']:,.0f} rows/s, "
          f"{first['seconds']:.1f} s, peak {first['peak_mb']:.0f} MB — {first}")
    print(f"CRM import, same file again (median): {again['rows'] / again['seconds']:,.0f} rows/s, "
          f"{again['seconds']:.1f} s, "
          f"peak {again['peak_mb']:.0f} MB — {again}")
    written = max(sum(run[3].values()) - sum(run[2].values()) for run in runs)
    print(f"  rows written by the second imports: {written} (the most of any run)")
    print(f"  re-import is {first['seconds'] / again['seconds']:.2f}× faster than the first")
    if plain:
        print(f"  CRM import is {first['rows'] / first['seconds'] / plain[False]:.1f}× plain import-export, "
              f"{first['rows'] / first['seconds'] / plain[True]:.1f}× with use_bulk")
    print("  archive after the import:", {k.replace("customers_", ""): v for k, v in after_first.items() if v})

    if args.memory_rows:
        big = folder / f"messy-{args.memory_rows}.xlsx"
        if not big.exists():
            write(big, count=args.memory_rows)
        empty_archive()
        figures = run_child(big)
        print(f"CRM import of {args.memory_rows} rows: {figures['rows'] / figures['seconds']:,.0f} rows/s, "
              f"{figures['seconds']:.1f} s, peak {figures['peak_mb']:.0f} MB, "
              f"reader process {figures.get('reader_peak_mb', 0):.0f} MB")


if __name__ == "__main__":
    main()
