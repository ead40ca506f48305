"""Callback queue build benchmark: the day's build (`callbacks_build`) on a demo store, its second run,
the expiry, and the plans of the biggest statements.

    DATABASE_URL=postgres://.../db .venv/bin/python bench/callbacks_build.py [--on 2026-12-02] [--explain]

Needs a demo store (`manage.py seed_demo --customers N --seed 7`). Before the first run it removes
what an earlier build of the same day made (the callbacks of the built kinds queued on `--on`, and
their SMS-route messages), so every run measures a first build; `--keep-earlier` leaves them.
`--prepare-days N` first builds the N days before, as the daily job would have (a store without a
callback history otherwise builds every wave still open on its first day). Prints the store's size, the day's work (deliveries and repair orders in the rules' windows), the
times and counts, and with `--explain` the EXPLAIN ANALYZE of the SSI day-3 and the CSI repair
waves before the first build (each in a transaction rolled back).
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from customers.models import Customer, ServiceVisit, Vehicle  # noqa: E402
from dealer_crm.messaging.models import OutboundMessage  # noqa: E402
from followups.callbacks.models import Callback  # noqa: E402
from followups.callbacks.services.building import (  # noqa: E402
    BUILT_KINDS,
    build_wave_sql,
    callbacks_build,
    callbacks_expire,
    rule_waves,
    rules_to_build,
)


def machine() -> str:
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    return (f"nproc {os.cpu_count()}, memory {free[1].split()[1]} GB total / {free[1].split()[-1]} GB available, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def day_work(on: date) -> str:
    rules = rules_to_build()
    lines = []
    for rule in rules:
        first = on - timedelta(days=rule.expires_after_days)
        for day in rule_waves(rule):
            last = on - timedelta(days=day)
            if rule.kind == "csi":
                n = ServiceVisit.objects.filter(kind=rule.visit_kind, closed_on__range=(first, last)).count()
                today = ServiceVisit.objects.filter(kind=rule.visit_kind, closed_on=last).count()
                what = f"repair orders ({rule.visit_kind})"
            else:
                n = Vehicle.objects.filter(delivery_date__range=(first, last)).count()
                today = Vehicle.objects.filter(delivery_date=last).count()
                what = "deliveries"
            lines.append(f"  {rule.kind:9} d{day:<2} {what:28} in the window {first}…{last}: {n:6}, on the wave's day: {today}")
    return "\n".join(lines)


def explain(on: date, now) -> None:
    for rule in rules_to_build():
        if (rule.kind, rule.visit_kind) not in {("ssi", ""), ("csi", "repair")}:
            continue
        day = rule_waves(rule)[0]
        sql, params = build_wave_sql(rule, day=day, on=on, now=now)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # as the build does
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, params)
            print(f"\n--- EXPLAIN ANALYZE {rule} d{day} ---")
            print("\n".join(row[0] for row in cursor.fetchall()))
            transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--on", type=date.fromisoformat, default=None)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep-earlier", action="store_true")
    parser.add_argument("--prepare-days", type=int, default=0,
                        help="first build each of this many days before --on, as the daily job would have")
    args = parser.parse_args()
    on = args.on or timezone.localdate()
    print(f"database {connection.settings_dict['NAME']}, {machine()}")
    print(f"store: {Customer.all_objects.count():,} customers, {Vehicle.objects.count():,} vehicles, "
          f"{ServiceVisit.objects.count():,} service visits, {Callback.objects.count():,} callbacks")
    print(f"the day's work for {on}:\n{day_work(on)}")

    if not args.keep_earlier:
        earlier = Callback.objects.filter(created_on=on, kind__in=BUILT_KINDS, rule__isnull=False)
        keys = [f"callback-sms:{pk}" for pk in earlier.values_list("pk", flat=True)]
        OutboundMessage.objects.filter(idempotency_key__in=keys).delete()
        removed, _detail = earlier.delete()
        print(f"removed what an earlier build of {on} made: {removed} rows")
    for back in range(args.prepare_days, 0, -1):
        day = on - timedelta(days=back)
        started = time.perf_counter()
        counts = callbacks_build(on=day, now=timezone.now())
        print(f"  earlier day {day}: {time.perf_counter() - started:6.2f} s, "
              f"{sum(counts[k] for k in BUILT_KINDS)} created")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE callbacks_callback")

    now = timezone.now()
    if args.explain:
        explain(on, now)
    started = time.perf_counter()
    first = callbacks_build(on=on, now=now)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = callbacks_build(on=on, now=now)
    second_s = time.perf_counter() - started
    with connection.cursor() as cursor:  # what autovacuum does after a big first build
        cursor.execute("ANALYZE callbacks_callback")
    started = time.perf_counter()
    third = callbacks_build(on=on, now=now)
    third_s = time.perf_counter() - started
    started = time.perf_counter()
    expired = callbacks_expire(now=now)
    expire_s = time.perf_counter() - started
    created = sum(first[kind] for kind in BUILT_KINDS)
    print(f"first build:  {first_s:7.2f} s, {created} created {first}")
    print(f"second build: {second_s:7.2f} s, {sum(second[k] for k in BUILT_KINDS)} created")
    print(f"third build, after ANALYZE: {third_s:7.2f} s, {sum(third[k] for k in BUILT_KINDS)} created")
    print(f"expiry:       {expire_s:7.2f} s, {expired} expired")
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
