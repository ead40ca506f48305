"""Retention benchmark: the daily first-maintenance, reminder and lapse jobs on a demo store.

    DATABASE_URL=postgres://.../dealer_crm_bench1m .venv/bin/python bench/retention_bench.py \
        [--on 2026-12-03] [--new-visits 3000] [--prepare-days 4] [--explain] [--profile] [--reset]

Needs a demo store (`manage.py seed_demo --customers N --seed 7`) whose maintenance due dates were
never filled (a bench store, seeded without the retention demo), or `--reset`, which first removes
what retention and an earlier run of this benchmark made (see `reset`). Steps:

1. the first refresh: `service_due_refresh()` with nothing filled yet reads the whole archive (one
   row per vehicle); timed alone, then VACUUM ANALYZE of its table, as autovacuum would after it;
2. (`--prepare-days N`: the jobs of the N days before, untimed, as beat would have run them, so the
   day measured is an ordinary day; without, its reminders catch up DAILY_JOBS_CATCH_UP_DAYS days
   of windows, as on the first day the jobs ever run) the day's three jobs for `--on` (default: the
   store's today, the day it was seeded), run as
   `run_daily_jobs` runs them (each job's function in its own transaction), at 05:30 of that day:
   retention.refresh, retention.reminders, retention.lapses, each timed, with its counts, its number
   of statements and its slowest statements;
3. the same three again, the same day: a second run, which must create nothing;
4. a day of new repair orders opened on `--on` (`--new-visits`, most of them vehicles due for
   maintenance, the rest repairs, bodywork, warranty and accidents), imported as the DMS export is
   (`import_archive` of a CSV file with the export's Chinese columns), then the next day's three jobs
   at 05:30 of the next day, timed, and their second run.

With `--explain`, before each day's timed run the same jobs run once in a transaction that is rolled
back, with every statement first run under EXPLAIN (ANALYZE, BUFFERS) in a savepoint; the plans of
the slowest statements are printed. That pass warms the caches: take the timings from a run without
`--explain`. With `--profile`, another day of repair orders and the day after's jobs under cProfile
(each job's functions by cumulative time; the profiler slows them).

Rows counted as created are counted in the database (reminders, lapses, retention calls, queued
SMS), whatever names the jobs give their counts.
"""

import argparse
import cProfile
import csv
import io
import os
import platform
import pstats
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from customers.imports.services import import_archive  # noqa: E402
from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.jobs.registry import registered_jobs  # noqa: E402
from dealer_crm.messaging.models import OutboundMessage  # noqa: E402
from followups.callbacks.models import CallAttempt, Callback, CallbackKind  # noqa: E402
from followups.retention.models import Lapse, LapseReason, RefreshMark, Reminder, ServiceDue  # noqa: E402
from followups.retention.services import service_due_refresh  # noqa: E402

JOBS = ("retention.refresh", "retention.reminders", "retention.lapses")
RETENTION_KINDS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK)
RO_PREFIX = "BENCHRO"  # the repair orders this benchmark imports
JOBS_AT = clock(5, 30)  # when beat runs the daily jobs
# A day's repair orders by type: maintenance for vehicles due, the rest for any vehicle.
OTHER_KINDS = (("维修", 0.55), ("钣喷", 0.15), ("索赔", 0.2), ("事故", 0.1))
MAINTENANCE_SHARE = 0.65
ADVISORS = ("马超", "胡军", "郭敏", "何平", "高峰", "林娟")


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    load = os.getloadavg()
    return (f"{platform.node()} · {os.cpu_count()} CPUs · {free[1].split()[1]} GB · Python "
            f"{platform.python_version()} · PostgreSQL {server} · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def store_today() -> date:
    """The day the store was seeded: the seed delivers a car on each of its last 30 days, today too."""
    return Vehicle.objects.aggregate(top=Max("delivery_date"))["top"] or timezone.localdate()


def at(day: date, moment: clock = JOBS_AT) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def made() -> dict[str, int]:
    """What the jobs make, counted in the database."""
    return {
        "reminders": Reminder.objects.count(),
        "lapses": Lapse.objects.count(),
        "calls": Callback.objects.filter(kind__in=RETENTION_KINDS).count(),
        "sms": OutboundMessage.objects.filter(source_type=ContentType.objects.get_for_model(Reminder)).count(),
    }


def difference(after: dict, before: dict) -> dict:
    return {name: after[name] - before[name] for name in after}


# --- statements ------------------------------------------------------------------------------------------
class Statements:
    """Each statement's SQL and time (an `execute_wrapper`); with `explain`, each one's plan first,
    run under EXPLAIN (ANALYZE, BUFFERS) in a savepoint rolled back."""

    EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self, *, explain: bool = False):
        self.explain = explain
        self.rows: list[tuple[float, str, str]] = []  # (seconds, sql, plan)

    def __call__(self, execute, sql, params, many, context):
        plan = ""
        if self.explain and not many and sql.lstrip().upper().startswith(self.EXPLAINABLE):
            raw = context["cursor"].cursor
            raw.execute("SAVEPOINT bench_explain")
            try:
                raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in raw.fetchall())
            except Exception as error:  # noqa: BLE001 - a statement EXPLAIN does not take: say so, run it
                plan = f"(no plan: {type(error).__name__}: {error})"
            finally:
                raw.execute("ROLLBACK TO SAVEPOINT bench_explain")
                raw.execute("RELEASE SAVEPOINT bench_explain")
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((time.perf_counter() - started, sql, plan))

    def slowest(self, count: int) -> list[tuple[float, str, str]]:
        return sorted(self.rows, key=lambda row: -row[0])[:count]


def short(sql: str, width: int = 160) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# --- the jobs ------------------------------------------------------------------------------------------------
def jobs() -> list:
    found = {job.name: job for job in registered_jobs()}
    missing = [name for name in JOBS if name not in found]
    if missing:
        sys.exit(f"Daily jobs not registered: {', '.join(missing)}")
    return [found[name] for name in JOBS]


def run_day(on: date, *, title: str, slowest: int = 3, profile: bool = False, quiet: bool = False) -> float:
    """The three jobs for `on` at 05:30 of that day, each in its own transaction; prints and returns
    the total. With `profile`, each job's Python time by function (cProfile: the times grow with it)."""
    total = 0.0
    before = made()
    if not quiet:
        print(f"\n{title} ({on}, jobs at {JOBS_AT:%H:%M}):")
    with time_machine.travel(at(on), tick=True):
        for job in jobs():
            statements = Statements()
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            with connection.execute_wrapper(statements), transaction.atomic():
                if profiler:
                    profiler.enable()
                counts = job.func(on=on)
                if profiler:
                    profiler.disable()
            elapsed = time.perf_counter() - started
            total += elapsed
            in_sql = sum(seconds for seconds, _sql, _plan in statements.rows)
            if quiet:
                continue
            print(f"  {job.name:20} {elapsed:7.2f} s  {len(statements.rows):4} statements ({in_sql:6.2f} s in the "
                  f"database)  {counts}")
            for seconds, sql, _plan in statements.slowest(slowest):
                if seconds >= 0.05:
                    print(f"      {seconds:6.2f} s  {short(sql)}")
            if profiler:
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(
                    r"followups|messaging|customers", 25)
                print("\n".join("      " + line for line in stream.getvalue().splitlines() if line.strip()))
    created = difference(made(), before)
    print(f"  {title if quiet else 'together':20} {total:7.2f} s  created {created}")
    return total


def explain_day(on: date, *, title: str, count: int = 6) -> None:
    """The three jobs for `on`, rolled back, each statement explained first; the slowest plans."""
    print(f"\n--- EXPLAIN ANALYZE, {title} ({on}): the {count} slowest statements of each job, "
          "in a pass rolled back ---")
    with time_machine.travel(at(on), tick=True), transaction.atomic():
        for job in jobs():
            statements = Statements(explain=True)
            with connection.execute_wrapper(statements), transaction.atomic():
                job.func(on=on)
            for seconds, sql, plan in statements.slowest(count):
                if not plan:
                    continue
                print(f"\n[{job.name}] {seconds:.3f} s: {short(sql, 600)}\n{plan}")
        transaction.set_rollback(True)


# --- the first refresh -------------------------------------------------------------------------------------
def first_refresh(today: date) -> None:
    print(f"\nfirst refresh: {ServiceDue.objects.count():,} maintenance due rows before")
    statements = Statements()
    with time_machine.travel(at(today), tick=True):
        started = time.perf_counter()
        with connection.execute_wrapper(statements), transaction.atomic():
            counts = service_due_refresh()
        elapsed = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _sql, _plan in statements.rows)
    print(f"  service_due_refresh(), the whole archive: {elapsed:.2f} s, {len(statements.rows)} statements "
          f"({in_sql:.2f} s in the database), {counts}")
    for seconds, sql, _plan in statements.slowest(5):
        print(f"      {seconds:6.2f} s  {short(sql)}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE retention_servicedue")
    print(f"  VACUUM ANALYZE retention_servicedue: {time.perf_counter() - started:.2f} s; "
          f"{ServiceDue.objects.count():,} rows, {ServiceDue.objects.filter(customer__isnull=False).count():,} "
          f"with an owner")


# --- a day of repair orders --------------------------------------------------------------------------------
def day_of_visits(on: date, count: int, *, seed: int = 11) -> bytes:
    """A DMS export of `count` repair orders opened and closed on `on`, as a CSV file: vehicles due
    for maintenance around that day come for it (首保 before the first one is done, else 定保), other
    vehicles for repairs, bodywork, warranty and accidents. Each vehicle once."""
    rng = random.Random(seed)
    maintenance = round(count * MAINTENANCE_SHARE)
    due = list(ServiceDue.objects.filter(customer__isnull=False, due_on__range=(on - timedelta(days=30),
                                                                                on + timedelta(days=20)))
               .order_by("vehicle_id").values_list("vehicle_id", "first_done_on", "last_mileage", "last_mileage_on",
                                                   "km_per_day"))
    chosen = rng.sample(due, min(maintenance, len(due)))
    taken = {row[0] for row in chosen}
    top = Vehicle.objects.aggregate(top=Max("id"))["top"] or 0
    others = []
    while len(others) < count - len(chosen) and top:
        vehicle_id = rng.randint(1, top)
        if vehicle_id not in taken:
            taken.add(vehicle_id)
            others.append(vehicle_id)
    facts = {row[0]: row for row in ServiceDue.objects.filter(vehicle_id__in=others).values_list(
        "vehicle_id", "first_done_on", "last_mileage", "last_mileage_on", "km_per_day")}
    cars = Vehicle.objects.in_bulk([row[0] for row in chosen] + others)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工单号", "车架号", "车牌号", "进厂日期", "出厂日期", "里程", "维修类型", "服务顾问", "工时费",
                     "材料费", "合计"])
    number = ServiceVisit.objects.filter(ro_number__startswith=RO_PREFIX).count()
    rows = [(vehicle_id, "首保" if first is None else "定保", mileage, read_on, per_day)
            for vehicle_id, first, mileage, read_on, per_day in chosen]
    for vehicle_id in others:
        _id, _first, mileage, read_on, per_day = facts.get(vehicle_id, (vehicle_id, None, None, None, None))
        rows.append((vehicle_id, rng.choices([k for k, _w in OTHER_KINDS], [w for _k, w in OTHER_KINDS])[0], mileage,
                     read_on, per_day))
    rng.shuffle(rows)
    for vehicle_id, kind, mileage, read_on, per_day in rows:
        car = cars.get(vehicle_id)
        if car is None:
            continue
        number += 1
        days = (on - read_on).days if read_on else 180
        km = (mileage or 0) + round(float(per_day or 40) * max(days, 1))
        labour = rng.randrange(150, 800, 10)
        parts = 0 if kind == "首保" else rng.randrange(0, 3000, 10)
        writer.writerow([f"{RO_PREFIX}{on:%Y%m%d}{number:06d}", car.vin, car.plate, on.isoformat(), on.isoformat(),
                         km, kind, rng.choice(ADVISORS), labour, parts, labour + parts])
    return buffer.getvalue().encode("utf-8")


def import_day(on: date, count: int) -> None:
    data = day_of_visits(on, count)
    by = User.objects.filter(username="service").first() or User.objects.filter(is_active=True).order_by("id").first()
    started = time.perf_counter()
    with time_machine.travel(at(on, clock(19, 0)), tick=True):
        report = import_archive(data=data, kind="service-visits", by=by)
    print(f"\nimported {report.created:,} repair orders opened on {on} ({report.rows:,} rows, "
          f"{report.updated} updated, {report.invalid} invalid) in {time.perf_counter() - started:.1f} s, "
          "as the DMS export is imported")


# --- starting again -----------------------------------------------------------------------------------------
def reset() -> None:
    """Remove what retention and this benchmark made: the bench store has no retention demo, so every
    reminder, lapse, retention call and their SMS are the jobs'; the repair orders of RO_PREFIX are
    the benchmark's (their timeline entries go with them, and their customers' last visit is read
    again from the visits left)."""
    started = time.perf_counter()
    reminder_type = ContentType.objects.get_for_model(Reminder)
    with transaction.atomic(), connection.cursor() as cursor:
        calls = Callback.objects.filter(kind__in=RETENTION_KINDS)
        call_ids = list(calls.values_list("id", flat=True))
        OutboundMessage.objects.filter(source_type=reminder_type).delete()
        OutboundMessage.objects.filter(idempotency_key__startswith="callback-sms:",
                                       source_id__in=[str(pk) for pk in call_ids]).delete()
        TimelineEntry.objects.filter(kind__in=[TimelineEntry.Kind.REMINDER]).delete()
        TimelineEntry.objects.filter(source_type=ContentType.objects.get_for_model(Callback),
                                     source_id__in=[str(pk) for pk in call_ids]).delete()
        CallAttempt.objects.filter(callback_id__in=call_ids).delete()
        cursor.execute("UPDATE appointments_appointment SET reminder_id = NULL WHERE reminder_id IS NOT NULL")
        for model in (LapseReason, Reminder, Lapse):
            model.objects.all().delete()
        calls.delete()
        ServiceDue.objects.all().delete()
        RefreshMark.objects.all().delete()
        visits = ServiceVisit.objects.filter(ro_number__startswith=RO_PREFIX)
        visit_ids = list(visits.values_list("id", flat=True))
        customers = set(visits.exclude(customer__isnull=True).values_list("customer_id", flat=True))
        TimelineEntry.objects.filter(source_type=ContentType.objects.get_for_model(ServiceVisit),
                                     source_id__in=[str(pk) for pk in visit_ids]).delete()
        visits.delete()
        latest = ServiceVisit.objects.filter(customer_id=models.OuterRef("pk")).order_by("-opened_on")
        Customer.all_objects.filter(pk__in=customers).update(
            last_visit_on=models.Subquery(latest.values("opened_on")[:1]))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE retention_servicedue, retention_reminder, retention_lapse, "
                       "callbacks_callback, customers_servicevisit")
    print(f"reset: retention's rows and {len(visit_ids):,} benchmark repair orders removed in "
          f"{time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--on", type=date.fromisoformat, default=None,
                        help="the day to run (default: the store's today)")
    parser.add_argument("--new-visits", type=int, default=3000, help="repair orders of the day before the next run")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--reset", action="store_true", help="first remove what retention and this benchmark made")
    parser.add_argument("--prepare-days", type=int, default=0,
                        help="first run the jobs of this many days before --on, as beat would have (so the day "
                             "measured catches up nothing)")
    parser.add_argument("--profile", action="store_true", help="cProfile the next day's jobs (a run of its own)")
    args = parser.parse_args()
    today = args.on or store_today()
    print(f"database {connection.settings_dict['NAME']}: {machine()}")
    print(f"store: {Customer.all_objects.count():,} customers, {Vehicle.objects.count():,} vehicles, "
          f"{ServiceVisit.objects.count():,} service visits; the store's today {today}")
    if args.reset:
        reset()
    if ServiceDue.objects.exists():
        print("maintenance due rows exist already: the first refresh is not measured (--reset to start again)")
    else:
        first_refresh(today)

    for back in range(args.prepare_days, 0, -1):
        day = today - timedelta(days=back)
        run_day(day, title=f"earlier day {day}", quiet=True)
    if args.explain:
        explain_day(today, title="the day's jobs")
    first = run_day(today, title="the day's three jobs")
    second = run_day(today, title="the same day again (a second run)")
    import_day(today, args.new_visits)
    tomorrow = today + timedelta(days=1)
    if args.explain:
        explain_day(tomorrow, title="the next day's jobs")
    next_day = run_day(tomorrow, title="the next day, after a day of repair orders")
    again = run_day(tomorrow, title="the next day again (a second run)")
    if args.profile:
        import_day(tomorrow, args.new_visits)
        run_day(tomorrow + timedelta(days=1), title="the day after, profiled", profile=True)
    print(f"\nsummary: day {first:.2f} s, second run {second:.2f} s, next day {next_day:.2f} s, "
          f"its second run {again:.2f} s")
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
