"""Birthdays benchmark: the daily job birthdays.greet on a big store, twice, and the birthdays page.

    .venv/bin/python bench/birthdays_bench.py --database-url postgres://.../dealer_crm_bench_1m \
        [--on 2026-12-03] [--explain] [--keep] [--synthetic 1000000]

(or DATABASE_URL in the environment). Needs a migrated store with customers (`manage.py seed_demo
--customers N`), or an empty migrated database and `--synthetic N`, which first fills it with N
customers (random birthdays, 3% important, 0.5% VIP, 5% without a birthday, 1% without a mobile) and
a child for every third, in plain SQL. Steps, each timed:

1. the store: customers, birthdays known, children on file; the day's people (born on `--on`, and
   on 28 February of a common year those born on 29 February);
2. with `--explain`: EXPLAIN (ANALYZE, BUFFERS) of the two selections of the day (customers,
   children), which should read the month-and-day indexes of customers/migrations/0021;
3. the job for `--on` (default: today) at 05:30 of that day, as `run_daily_jobs` runs it (one
   transaction): its time, counts, number of statements and the slowest ones;
4. the same job again: a second run, which must create 0;
5. the birthdays page's reads for the 7 days from `--on` (the count and the first page of 50) and
   the home panel's (6 rows).

The SMS are queued, not sent: the dispatcher's wake-up (`dispatch_soon`) is switched off here.
Unless `--keep`, what the run made (greetings, their SMS, the birthday calls) is removed at the end,
so the benchmark can run again on the same store.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _database_url_from_argv() -> None:
    # Django reads DATABASE_URL when it sets up: take --database-url before that.
    for n, arg in enumerate(sys.argv):
        if arg == "--database-url" and n + 1 < len(sys.argv):
            os.environ["DATABASE_URL"] = sys.argv[n + 1]
        elif arg.startswith("--database-url="):
            os.environ["DATABASE_URL"] = arg.split("=", 1)[1]


_database_url_from_argv()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

import dealer_crm.messaging.services as messaging  # noqa: E402
from customers.models import Customer, FamilyMember  # noqa: E402
from dealer_crm.messaging.models import OutboundMessage  # noqa: E402
from events.birthdays.days import birthday_q, window  # noqa: E402
from events.birthdays.models import BirthdayGreeting  # noqa: E402
from events.birthdays.selectors import BirthdayFilters, birthdays_page  # noqa: E402
from events.birthdays.services import birthdays_greet  # noqa: E402
from followups.callbacks.models import Callback, CallbackKind  # noqa: E402

JOBS_AT = clock(5, 30)


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    load = os.getloadavg()
    return (f"{platform.node()} · {os.cpu_count()} CPUs · {free[1].split()[1]} GB · Python "
            f"{platform.python_version()} · PostgreSQL {server} · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def at(day: date, moment: clock = JOBS_AT) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


class Statements:
    """Each statement's SQL and time (an `execute_wrapper`)."""

    def __init__(self):
        self.rows: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((time.perf_counter() - started, sql))

    def slowest(self, count: int) -> list[tuple[float, str]]:
        return sorted(self.rows, key=lambda row: -row[0])[:count]


def short(sql: str, width: int = 160) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# --- a synthetic archive ---------------------------------------------------------------------------------
def _column_sql(field, overrides: dict[str, str]) -> str:
    if field.column in overrides:
        return overrides[field.column]
    if field.null:
        return "NULL"
    if isinstance(field, models.BooleanField):
        return "false"
    if isinstance(field, models.DateTimeField):
        return "now()"
    if field.has_default() and not callable(field.default):
        return f"'{field.default}'"
    return "''"


def synthetic_fill(count: int) -> None:
    """N customers and a child for every third, in two INSERT … SELECT statements (a bench store
    only: no pinyin, no history rows)."""
    if Customer.all_objects.exists():
        sys.exit("--synthetic fills an empty store only; this one has customers.")
    started = time.perf_counter()
    customer = {
        "name": "'客户' || n", "gender": "CASE WHEN n %% 2 = 0 THEN 'M' ELSE 'F' END",
        "mobile": "CASE WHEN n %% 100 = 7 THEN '' ELSE '13' || lpad((n %% 1000000000)::text, 9, '0') END",
        "mobile_rev": "''",
        "birthday": "CASE WHEN n %% 20 = 3 THEN NULL ELSE date '1950-01-01' + (hashint %% 18250) END",
        "importance": "CASE WHEN n %% 200 = 1 THEN 'vip' WHEN n %% 100 < 4 THEN 'important' ELSE 'normal' END",
        "source": "'import'",
    }
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    values = ", ".join(_column_sql(f, customer) for f in fields)
    child = {"customer_id": "id", "relation": "'child'", "name": "name || '之子'", "gender": "''",
             "birthday": "date '2000-01-01' + ((id * 7919) %% 7300)::int", "note": "''"}
    child_fields = [f for f in FamilyMember._meta.concrete_fields if not f.primary_key]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Customer._meta.db_table} ({columns}) SELECT {values} FROM "
                       f"(SELECT n, abs(hashint4(n)) AS hashint FROM generate_series(1, %s) AS n) AS s", [count])
        cursor.execute(f"INSERT INTO {FamilyMember._meta.db_table} ({', '.join(f.column for f in child_fields)}) "
                       f"SELECT {', '.join(_column_sql(f, child) for f in child_fields)} "
                       f"FROM {Customer._meta.db_table} WHERE id %% 3 = 0", [])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Customer._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {FamilyMember._meta.db_table}")
    print(f"synthetic store: {count:,} customers and their children written in {time.perf_counter() - started:.1f} s")


# --- the steps ---------------------------------------------------------------------------------------------
def store(on: date) -> None:
    customers = Customer.objects.count()
    known = Customer.objects.filter(birthday__isnull=False).count()
    children = FamilyMember.objects.filter(relation=FamilyMember.Relation.CHILD).count()
    today_people = Customer.objects.filter(birthday_q([on]), birthday__lt=on).count()
    today_children = FamilyMember.objects.filter(birthday_q([on]), birthday__lt=on, relation="child").count()
    print(f"store: {customers:,} customers ({known:,} with a birthday), {children:,} children on file; "
          f"born on {on:%m-%d}: {today_people:,} customers, {today_children:,} children")


def explain(on: date) -> None:
    queries = {
        "customers of the day": Customer.objects.filter(birthday_q([on]), birthday__lt=on)
        .values_list("id", "birthday", "importance", "mobile", "phone2"),
        "children of the day": FamilyMember.objects.filter(birthday_q([on]), birthday__lt=on, relation="child",
                                                           customer__merged_into__isnull=True)
        .values_list("id", "customer_id", "birthday"),
    }
    for title, queryset in queries.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join("    " + row[0] for row in cursor.fetchall())
        print(f"\nEXPLAIN ANALYZE, {title}:\n{plan}")


def made(first: dict) -> dict[str, int]:
    greeting_type = ContentType.objects.get_for_model(BirthdayGreeting)
    return {
        "greetings": BirthdayGreeting.objects.filter(id__gte=first["greeting"]).count(),
        "sms": OutboundMessage.objects.filter(id__gte=first["message"], source_type=greeting_type).count(),
        "calls": Callback.objects.filter(id__gte=first["callback"], kind=CallbackKind.BIRTHDAY).count(),
    }


def run(on: date, *, title: str, first: dict) -> float:
    before = made(first)
    statements = Statements()
    with time_machine.travel(at(on), tick=True):
        started = time.perf_counter()
        with connection.execute_wrapper(statements), transaction.atomic():
            counts = birthdays_greet(on=on)
        elapsed = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _sql in statements.rows)
    after = made(first)
    created = {name: after[name] - before[name] for name in after}
    print(f"\n{title} ({on}, at {JOBS_AT:%H:%M}): {elapsed:.2f} s, {len(statements.rows)} statements "
          f"({in_sql:.2f} s in the database)\n  counts {counts}\n  created, counted in the database: {created}")
    for seconds, sql in statements.slowest(5):
        if seconds >= 0.02:
            print(f"      {seconds:6.3f} s  {short(sql)}")
    return elapsed


def pages(on: date) -> None:
    for title, per_page in (("the birthdays page (count and the first 50)", 50), ("the home panel (6 rows)", 6)):
        statements = Statements()
        started = time.perf_counter()
        with connection.execute_wrapper(statements):
            page, count = birthdays_page(today=on, days=7, filters=BirthdayFilters(), page="1", per_page=per_page)
        elapsed = time.perf_counter() - started
        print(f"{title}: {elapsed * 1000:.0f} ms, {len(statements.rows)} queries, {count:,} birthdays in the "
              f"7 days from {on:%m-%d} ({window(today=on, days=7)[-1]:%m-%d} last), {len(page.object_list)} rows")
        for seconds, sql in statements.slowest(2):
            print(f"      {seconds * 1000:6.0f} ms  {short(sql)}")


def cleanup(first: dict) -> None:
    with transaction.atomic():
        greeting_type = ContentType.objects.get_for_model(BirthdayGreeting)
        greetings = BirthdayGreeting.objects.filter(id__gte=first["greeting"]).delete()[0]
        texts = OutboundMessage.objects.filter(id__gte=first["message"], source_type=greeting_type).delete()[0]
        calls = Callback.objects.filter(id__gte=first["callback"], kind=CallbackKind.BIRTHDAY).delete()[0]
    print(f"\nremoved what the run made: {greetings:,} greetings, {texts:,} rows of SMS, {calls:,} rows of calls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="the store (else DATABASE_URL)")
    parser.add_argument("--on", type=date.fromisoformat, default=None, help="the day (default: today)")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep what the run made")
    parser.add_argument("--synthetic", type=int, default=0, help="first fill an empty store with N customers")
    args = parser.parse_args()
    messaging.dispatch_soon = lambda parallel=1: None  # queued, not sent
    print(machine())
    if args.synthetic:
        synthetic_fill(args.synthetic)
    on = args.on or timezone.localdate()
    store(on)
    if args.explain:
        explain(on)
    first = {"greeting": (BirthdayGreeting.objects.aggregate(top=Max("id"))["top"] or 0) + 1,
             "message": (OutboundMessage.objects.aggregate(top=Max("id"))["top"] or 0) + 1,
             "callback": (Callback.objects.aggregate(top=Max("id"))["top"] or 0) + 1}
    try:
        first_run = run(on, title="the day's job", first=first)
        second_run = run(on, title="the same day again (a second run: creates 0)", first=first)
        print()
        pages(on)
        print(f"\nthe job: {first_run:.2f} s, its second run {second_run:.2f} s")
    finally:
        if not args.keep:
            cleanup(first)


if __name__ == "__main__":
    main()
