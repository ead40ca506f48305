"""Membership benchmark: the daily points jobs (membership.earn, membership.expire) on a big store.

    DATABASE_URL=postgres://.../db .venv/bin/python bench/membership_bench.py [--share 3] [--recent-days 7]

Needs a demo store (`manage.py seed_demo --customers N`, or the archive's `seed_customers`): its
customers with their repair orders. If the store has no members yet, they are built in bulk in SQL
(not through the services, which the timed runs are): one customer in `--share` (by id) of those with
a paid repair order becomes a member on the first of the month of their first paid visit (no timeline
entries), and their ledgers are written as the daily jobs would have written them — each paid visit
finished from joining until `--recent-days` days ago earns once, credited on its finish day at 20:00,
with the running balance; one member in a hundred also has a correction of +500 points credited 180
days ago (a credit younger than the cut-off: expiry's slow path, which reads the member's ledger).
Balances, tiers, last paid visit and last credit are set from the ledger.

`--rebuild` removes the members, their ledgers and the points timeline entries first.

Then, timed, each twice (the second run must make 0):
- `points_earn(on=today)`: the repair orders of the last `--recent-days` days (a catch-up of a week
  of imports), then again;
- `points_expire(on=today)`: on a store where expiry never ran, the whole backlog of members without a
  paid visit for POINTS_EXPIRY_MONTHS months; then again; then `points_expire(on=tomorrow)`, the
  members crossing the cut-off in one day, and again.
Prints the counts, the seconds, and the ledger check (every member's balance is the sum of its lines).
The rows it writes stay: they are the store's members for the other benchmarks.
"""

import argparse
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from customers.membership.models import Member, PointsEntry  # noqa: E402
from customers.membership.services import earning_rates, points_earn, points_expire  # noqa: E402
from customers.models import Customer  # noqa: E402


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = os.getloadavg()
    return (f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · PostgreSQL {server} · "
            f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def build(*, share: int, recent_days: int, today) -> None:
    """Members and their ledgers in bulk (see the module's docstring)."""
    rates = earning_rates()
    kinds = list(rates)
    until = today - timedelta(days=recent_days)
    tz = settings.TIME_ZONE
    started = time.monotonic()
    with transaction.atomic():
        sql("SET LOCAL synchronous_commit = off")
        made = sql(f"""
            INSERT INTO membership_member (customer_id, status, joined_on, tier_id, usable, cumulative,
                                           last_paid_visit_on, last_credit_on, joined_by_id)
            SELECT v.customer_id, 'active', date_trunc('month', min(v.closed_on))::date,
                   (SELECT id FROM membership_tier WHERE threshold <= 0 ORDER BY threshold DESC LIMIT 1),
                   0, 0, NULL, NULL, NULL
            FROM customers_servicevisit v JOIN customers_customer c ON c.id = v.customer_id
            WHERE v.kind = ANY(%s) AND v.closed_on IS NOT NULL AND v.total_amount > 0 AND v.customer_id %% %s = 0
              AND c.merged_into_id IS NULL
            GROUP BY v.customer_id""", [kinds, share])
        print(f"  members: {made:,} ({time.monotonic() - started:.1f} s)")
        lines = sql(f"""
            INSERT INTO membership_pointsentry (member_id, kind, points, usable_after, at, visit_id, amount, note)
            SELECT member_id, 'earn', points,
                   sum(points) OVER (PARTITION BY member_id ORDER BY closed_on, visit_id), at, visit_id, amount, ''
            FROM (SELECT m.id AS member_id, v.id AS visit_id, v.closed_on, v.total_amount AS amount,
                         floor(v.total_amount * r.points_per_yuan)::int AS points,
                         (v.closed_on + time '20:00') AT TIME ZONE %s AS at
                  FROM customers_servicevisit v
                  JOIN membership_member m ON m.customer_id = v.customer_id
                  JOIN membership_pointsrule r ON r.visit_kind = v.kind AND r.points_per_yuan > 0
                  WHERE v.closed_on IS NOT NULL AND v.closed_on >= m.joined_on AND v.closed_on < %s
                    AND v.total_amount > 0 AND v.kind <> 'internal'
                    AND floor(v.total_amount * r.points_per_yuan) >= 1) earned""", [tz, until])
        print(f"  earning lines: {lines:,} ({time.monotonic() - started:.1f} s)")
        sql("""
            UPDATE membership_member m SET usable = t.total, cumulative = t.total, last_paid_visit_on = t.last,
                   last_credit_on = t.last
            FROM (SELECT e.member_id, sum(e.points) AS total, max(v.closed_on) AS last
                  FROM membership_pointsentry e JOIN customers_servicevisit v ON v.id = e.visit_id
                  WHERE e.kind = 'earn' GROUP BY e.member_id) t
            WHERE t.member_id = m.id""")
        credited = today - timedelta(days=180)
        corrections = sql("""
            INSERT INTO membership_pointsentry (member_id, kind, points, usable_after, at, note)
            SELECT id, 'adjust', 500, usable + 500, (%s + time '11:00') AT TIME ZONE %s, '压测：积分补录'
            FROM membership_member WHERE id %% 100 = 0""", [credited, tz])
        sql("""UPDATE membership_member SET usable = usable + 500, cumulative = cumulative + 500,
                      last_credit_on = GREATEST(last_credit_on, %s) WHERE id %% 100 = 0""", [credited])
        sql("""
            UPDATE membership_member m SET tier_id = (SELECT t.id FROM membership_tier t WHERE t.threshold <= m.cumulative
                                                        ORDER BY t.threshold DESC LIMIT 1)""")
        print(f"  corrections: {corrections:,}; balances and tiers set ({time.monotonic() - started:.1f} s)")
    sql("VACUUM ANALYZE membership_member")
    sql("VACUUM ANALYZE membership_pointsentry")
    print(f"  built and vacuumed in {time.monotonic() - started:.1f} s")


def timed(label: str, func, **kwargs) -> dict:
    started = time.monotonic()
    counts = func(**kwargs)
    seconds = time.monotonic() - started
    print(f"{label:<44} {seconds:7.2f} s  {counts}")
    return counts


def ledger_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM membership_member m
            LEFT JOIN (SELECT member_id, sum(points) AS total FROM membership_pointsentry GROUP BY member_id) t
              ON t.member_id = m.id
            WHERE m.usable <> coalesce(t.total, 0)""")
        wrong = cursor.fetchone()[0]
    print(f"members whose balance is not the sum of their lines: {wrong}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=int, default=3, help="one customer in SHARE (by id) becomes a member")
    parser.add_argument("--recent-days", type=int, default=7, help="repair orders of these last days are left to earn")
    parser.add_argument("--rebuild", action="store_true",
                        help="remove the store's members, ledgers and points timeline entries first, and build anew")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    today = timezone.localdate()
    print(machine())
    customers = Customer.all_objects.count()
    if not customers:
        sys.exit("No customers: seed_demo --customers N first.")
    if args.rebuild:
        with transaction.atomic():
            sql("DELETE FROM customers_timelineentry WHERE kind = 'points'")
            sql("DELETE FROM membership_pointsentry")
            sql("DELETE FROM membership_member")
    members = Member.objects.count()
    print(f"store: {customers:,} customers, {members:,} members, {PointsEntry.objects.count():,} ledger lines")
    if not members:
        print(f"building members (one in {args.share} of the paying customers) and their ledgers:")
        build(share=args.share, recent_days=args.recent_days, today=today)
        print(f"store: {Member.objects.count():,} members, {PointsEntry.objects.count():,} ledger lines")
    timed(f"earn, the last {args.recent_days} days' repair orders", points_earn, on=today)
    timed("earn, second run", points_earn, on=today)
    timed("expire, first run (the whole backlog)", points_expire, on=today)
    timed("expire, second run", points_expire, on=today)
    timed("expire, the next day", points_expire, on=today + timedelta(days=1))
    timed("expire, the next day's second run", points_expire, on=today + timedelta(days=1))
    ledger_check()


if __name__ == "__main__":
    main()
