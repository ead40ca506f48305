"""Customer care benchmark: the target group of an event counted on the whole store, the daily birthday
job and the membership's points earning and expiry, on a demo store of 100,000 or 1,000,000 customers.

    DATABASE_URL=postgres://.../dealer_crm_bench_1m DJANGO_DEBUG=false .venv/bin/python bench/care_bench.py \
        [audience] [birthdays] [membership] [--on 2026-12-03] [--runs 3] [--explain] [--members 0.3]

Needs a demo store (`manage.py seed_demo --customers N --seed 7`), migrated to the code measured.
Without a part named, all three run, in that order: membership first when it has to enrol the
store's members, so the target groups by tier count real members.

- `audience`: `events.audience.audience_count` for the whole store (no filter) and for each typical
  filter of an event's target group — a model, a brand, interests words, a member tier and the
  non-members, members only, the last visit in a range, a district, a birthday month, the
  importance, a mobile on file — and two combinations, each `--runs` times (the first run on a
  cold statement, the others warm); the count, the best and the worst time and the number of
  statements. The whole store's count is checked against the archive's active, not merged
  customers. With `--explain`, the plan (EXPLAIN ANALYZE, BUFFERS) of each filter's statements.
- `birthdays`: the daily job of `events.birthdays` (as `run_daily_jobs` runs it, its function in its
  own transaction, at 05:30 of `--on`), twice: the first run, then a second run of the same day
  that must create nothing. What it created is counted in the database: the SMS queued, the calls
  made, the timeline entries and the rows of the birthdays app's own models.
- `membership`: `--members` (a share) of the store's customers enrolled as members, if the store has
  none (every n-th customer through `members_enrol_bulk`, joined three years before `--on`), and
  their ledger as three years of daily runs would have left it (`--history sql`, the default: every
  paid visit up to the day before earned in one INSERT … SELECT, credited the morning after, the
  balances, tiers, last paid visit and last credit following from it; untimed set-up) — or
  `--history service`: the daily job `membership.earn` earning the whole history in one first run,
  timed (the day a store turns membership on). Then `--new-visits` paid repair orders of members
  finished yesterday (written in bulk, as an import would), and the day's jobs, each twice:
  `membership.earn` (its second run must create nothing) and `membership.expire` (members without a
  paid visit for POINTS_EXPIRY_MONTHS lose what is left of their old points; its second run must
  create nothing), then the next day's expiry and its second run. Created rows are counted in the
  database (points entries, timeline entries). `--reset` first removes the members, their ledger
  and this benchmark's repair orders.

Each job's slowest statements are printed; `--explain` adds their plans from a pass rolled back
before the timed run (which warms the caches: take the timings from a run without `--explain`).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
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
from django.apps import apps  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db.models import Count, Max, OuterRef, Subquery  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.retention_bench import Statements, machine, short, store_today  # noqa: E402
from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle  # noqa: E402
from dealer_crm.jobs.registry import registered_jobs  # noqa: E402
from dealer_crm.messaging.models import OutboundMessage  # noqa: E402
from followups.callbacks.models import Callback  # noqa: E402

JOBS_AT = clock(5, 30)  # when beat runs the daily jobs
BENCH_RO = "CAREBENCH"  # the repair orders this benchmark writes


def at(day: date, moment: clock = JOBS_AT) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


# --- what a job made, counted in the database ------------------------------------------------------------
class Made:
    """Rows created since `mark()`, by model: the id beyond the largest one before (an index scan, not
    a count of millions of rows)."""

    def __init__(self, models: list):
        self.models = models
        self.tops: dict = {}

    def mark(self) -> None:
        self.tops = {model: model._base_manager.aggregate(top=Max("pk"))["top"] or 0 for model in self.models}

    def since(self) -> dict[str, int]:
        made = {}
        for model, top in self.tops.items():
            count = model._base_manager.filter(pk__gt=top).count()
            made[model._meta.label] = count
        return made


def app_models(label: str) -> list:
    try:
        return list(apps.get_app_config(label).get_models())
    except LookupError:
        return []


def job_of(module_prefix: str, name: str | None = None):
    """The registered daily job named `name`, or the only one whose function lives under `module_prefix`."""
    jobs = [job for job in registered_jobs() if (job.name == name if name else job.func.__module__.startswith(module_prefix))]
    if not jobs:
        sys.exit(f"No daily job of {module_prefix}{f' named {name}' if name else ''} registered yet.")
    return jobs


PROFILE = False  # --profile: each timed job under cProfile as well (its times grow with it)


def run_job(job, on: date, *, title: str, made: Made, slowest: int = 4) -> float:
    """The job's function for `on` at 05:30 of that day in its own transaction, as run_daily_jobs runs it."""
    statements = Statements()
    made.mark()
    profiler = cProfile.Profile() if PROFILE else None
    with time_machine.travel(at(on), tick=True):
        started = time.perf_counter()
        with connection.execute_wrapper(statements), transaction.atomic():
            if profiler:
                profiler.enable()
            counts = job.func(on=on)
            if profiler:
                profiler.disable()
        elapsed = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _sql, _plan in statements.rows)
    created = {name: count for name, count in made.since().items() if count}
    print(f"  {title:44} {elapsed:7.2f} s  {len(statements.rows):5} statements ({in_sql:6.2f} s in the database)  "
          f"{counts}  created {created or 0}")
    for seconds, sql, _plan in statements.slowest(slowest):
        if seconds >= 0.02:
            print(f"      {seconds:6.2f} s  {short(sql)}")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(20)
        print("\n".join("      " + line for line in stream.getvalue().splitlines() if line.strip()))
    return elapsed


def explain_job(job, on: date, *, title: str, count: int = 5) -> None:
    print(f"\n--- EXPLAIN ANALYZE, {title} ({on}): the {count} slowest statements, in a pass rolled back ---")
    with time_machine.travel(at(on), tick=True), transaction.atomic():
        statements = Statements(explain=True)
        with connection.execute_wrapper(statements), transaction.atomic():
            job.func(on=on)
        for seconds, sql, plan in statements.slowest(count):
            if plan:
                print(f"\n[{job.name}] {seconds:.3f} s: {short(sql, 600)}\n{plan}")
        transaction.set_rollback(True)


# --- the target group ---------------------------------------------------------------------------------------
def audience_filters(today: date) -> list[tuple[str, dict]]:
    """The typical filters of an event's target group, with values the demo store has."""
    model = (Vehicle.objects.values("model_name").annotate(n=Count("id")).order_by("-n").first() or {}).get(
        "model_name", "科雷傲")
    filters = [
        ("the whole store", {}),
        (f"a model ({model})", {"models": [model]}),
        ("a brand (renault)", {"brands": ["renault"]}),
        ("interests (钓鱼 自驾游)", {"interests": "钓鱼 自驾游"}),
    ]
    try:
        from customers.membership.models import Tier
        tiers = list(Tier.objects.order_by("threshold").values_list("id", "name"))
    except LookupError:
        tiers = []
    if tiers:
        top_id, top_name = tiers[-1]
        filters.append((f"a tier ({top_name})", {"tiers": [top_id]}))
    filters += [
        ("non-members (tiers: none)", {"tiers": ["none"]}),
        ("members only", {"members_only": True}),
        ("last visit 6–12 months ago", {"last_visit_after": (today - timedelta(days=365)).isoformat(),
                                        "last_visit_before": (today - timedelta(days=182)).isoformat()}),
        ("a district (龙子湖区)", {"district": "龙子湖区"}),
        (f"a birthday month ({today.month})", {"birthday_month": today.month}),
        ("important and VIP", {"importance": ["important", "vip"]}),
        ("a mobile on file", {"has_mobile": True}),
        (f"{model} owners who fish, last visit within a year", {
            "models": [model], "interests": "钓鱼", "last_visit_after": (today - timedelta(days=365)).isoformat()}),
        ("district + birthday month + mobile + last visit", {
            "district": "蚌山区", "birthday_month": today.month, "has_mobile": True,
            "last_visit_after": (today - timedelta(days=730)).isoformat()}),
    ]
    return filters


def audience(today: date, *, runs: int, explain: bool) -> list[float]:
    from events.audience import audience_count, audience_describe

    print(f"\nthe target group: events.audience.audience_count, {runs} runs of each filter")
    worst = []
    for title, filters in audience_filters(today):
        times, count, statements = [], None, None
        for _run in range(runs):
            statements = Statements()
            started = time.perf_counter()
            with connection.execute_wrapper(statements):
                count = audience_count(filters=filters)
            times.append(time.perf_counter() - started)
        worst.append(max(times))
        words = "; ".join(str(word) for word in audience_describe(filters)) or "—"
        print(f"  {title:50} {count:>10,}   first {times[0] * 1000:7.1f} ms, best {min(times) * 1000:7.1f} ms, "
              f"median {statistics.median(times) * 1000:7.1f} ms, {len(statements.rows)} statements   [{words}]")
        if not filters:
            archive = Customer.objects.filter(merged_into__isnull=True).count()
            print(f"  {'':50} {archive:>10,}   active, not merged customers of the archive (the check)")
        if explain:
            statements = Statements(explain=True)
            with transaction.atomic(), connection.execute_wrapper(statements):
                audience_count(filters=filters)
            for seconds, sql, plan in statements.rows:
                print(f"\n    [{title}] {seconds:.3f} s: {short(sql, 900)}\n" + "\n".join(
                    "    " + line for line in plan.splitlines()))
            print()
    print(f"  the slowest count of all: {max(worst) * 1000:.1f} ms")
    return worst


# --- birthdays ----------------------------------------------------------------------------------------------
def birthdays(today: date, *, explain: bool) -> None:
    made = Made([OutboundMessage, Callback, TimelineEntry, *app_models("birthdays"), *app_models("gifts")])
    jobs = job_of("events.birthdays")
    print(f"\nthe birthday job{'s' if len(jobs) > 1 else ''} ({', '.join(job.name for job in jobs)}) for {today}, "
          f"at {JOBS_AT:%H:%M}")
    for job in jobs:
        if explain:
            explain_job(job, today, title=job.name)
        run_job(job, today, title=f"{job.name}, first run", made=made)
        run_job(job, today, title=f"{job.name}, second run (the same day)", made=made)
    tomorrow = today + timedelta(days=1)
    for job in jobs:
        run_job(job, tomorrow, title=f"{job.name}, the next day", made=made)
        run_job(job, tomorrow, title=f"{job.name}, the next day, second run", made=made)


# --- membership ---------------------------------------------------------------------------------------------
def members_enrol(today: date, share: float) -> None:
    """A share of the store's customers enrolled, if it has no members yet: every n-th active customer,
    through `members_enrol_bulk` (the rows and timeline entries of `member_enrol`, in bulk), joined
    three years before the day, so the daily job's first run earns their history."""
    from customers.membership.models import Member
    from customers.membership.services import members_enrol_bulk

    if Member.objects.exists():
        print(f"\nmembers: {Member.objects.count():,} already (none enrolled)")
        return
    joined = today - timedelta(days=3 * 365)
    step = max(round(1 / share), 1)
    ids = list(Customer.objects.filter(merged_into__isnull=True).order_by("id").values_list("id", flat=True)[::step])
    started = time.perf_counter()
    with time_machine.travel(at(joined, clock(10, 0)), tick=True):
        made = members_enrol_bulk(customer_ids=ids, on=joined)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Member._meta.db_table}")
    print(f"\nmembers: {made:,} customers (every {step}th) enrolled through members_enrol_bulk, joined {joined}, "
          f"in {time.perf_counter() - started:.1f} s (untimed set-up)")


def new_paid_visits(on: date, count: int) -> int:
    """`count` paid repair orders of members' vehicles opened and closed on `on`, written in bulk."""
    cars = list(Vehicle.objects.filter(roles__customer__membership__isnull=False, roles__ended_on__isnull=True)
                .order_by("id").values_list("id", "roles__customer_id")[:count * 7:7])
    number = ServiceVisit.objects.filter(ro_number__startswith=BENCH_RO).count()
    visits = []
    for index, (vehicle_id, customer_id) in enumerate(cars):
        labour = 200 + (index * 37) % 600
        parts = (index * 113) % 2500
        visits.append(ServiceVisit(vehicle_id=vehicle_id, customer_id=customer_id,
                                   ro_number=f"{BENCH_RO}{on:%Y%m%d}{number + index:06d}", opened_on=on, closed_on=on,
                                   kind="repair", advisor="马超", labour_amount=labour, parts_amount=parts,
                                   total_amount=labour + parts))
    ServiceVisit.objects.bulk_create(visits, batch_size=2000)
    Customer.all_objects.filter(pk__in={visit.customer_id for visit in visits}).update(last_visit_on=on)
    return len(visits)


def ledger_age(today: date) -> None:
    """The ledger as years of daily runs would have left it (untimed set-up, in SQL): each paid visit of a
    member finished from their joining day up to the day before `today` earns floor(total × points a
    yuan), credited at 05:30 of the next morning, with the running usable balance; the members' two
    balances, tier, last paid visit and last credit then follow from their lines, as the service
    keeps them. Same rules as `points_earn` (the points rules, internal orders never)."""
    from customers.membership.models import Member, PointsEntry, PointsRule, Tier

    params = {"until": today - timedelta(days=1), "zone": settings.TIME_ZONE, "internal": ServiceVisit.Kind.INTERNAL}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {PointsEntry._meta.db_table}
                (member_id, kind, points, usable_after, at, visit_id, reward_id, quantity, amount, by_id, note)
            SELECT member_id, 'earn', points,
                   SUM(points) OVER (PARTITION BY member_id ORDER BY closed_on, visit_id), credited,
                   visit_id, NULL, NULL, total_amount, NULL, ''
            FROM (SELECT m.id AS member_id, v.id AS visit_id, v.closed_on, v.total_amount,
                         FLOOR(v.total_amount * r.points_per_yuan)::integer AS points,
                         ((v.closed_on + 1) + TIME '05:30') AT TIME ZONE %(zone)s AS credited
                  FROM {ServiceVisit._meta.db_table} v
                  JOIN {Member._meta.db_table} m ON m.customer_id = v.customer_id AND m.status = 'active'
                  JOIN {PointsRule._meta.db_table} r ON r.visit_kind = v.kind AND r.points_per_yuan > 0
                                                  AND r.visit_kind <> %(internal)s
                  WHERE v.closed_on IS NOT NULL AND v.total_amount > 0 AND v.closed_on >= m.joined_on
                    AND v.closed_on <= %(until)s
                    AND NOT EXISTS (SELECT 1 FROM {PointsEntry._meta.db_table} e
                                    WHERE e.kind = 'earn' AND e.visit_id = v.id)) AS earned
            WHERE points > 0""", params)
        lines = cursor.rowcount
        cursor.execute(f"""
            UPDATE {Member._meta.db_table} m
            SET usable = s.total, cumulative = s.total, last_paid_visit_on = s.last_paid,
                last_credit_on = (s.last_at AT TIME ZONE %(zone)s)::date,
                tier_id = (SELECT t.id FROM {Tier._meta.db_table} t WHERE t.threshold <= s.total
                           ORDER BY t.threshold DESC LIMIT 1)
            FROM (SELECT e.member_id, SUM(e.points) AS total, MAX(v.closed_on) AS last_paid, MAX(e.at) AS last_at
                  FROM {PointsEntry._meta.db_table} e JOIN {ServiceVisit._meta.db_table} v ON v.id = e.visit_id
                  GROUP BY e.member_id) AS s
            WHERE m.id = s.member_id""", params)
        members = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Member._meta.db_table}, {PointsEntry._meta.db_table}")
    print(f"  the ledger aged: {lines:,} earning lines of the paid visits up to {params['until']}, each credited the "
          f"morning after, {members:,} members' balances, in {time.perf_counter() - started:.1f} s (untimed set-up)")


def membership_reset() -> None:
    """Remove the members, their ledger, their timeline entries and this benchmark's repair orders."""
    from customers.membership.models import Member, PointsEntry

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PointsEntry._meta.db_table}")
        cursor.execute(f"DELETE FROM {TimelineEntry._meta.db_table} WHERE kind = %s", [TimelineEntry.Kind.POINTS])
        cursor.execute(f"DELETE FROM {Member._meta.db_table}")
        visits = ServiceVisit.objects.filter(ro_number__startswith=BENCH_RO)
        customers = set(visits.values_list("customer_id", flat=True))
        visits.delete()
        latest = ServiceVisit.objects.filter(customer_id=OuterRef("pk")).order_by("-opened_on")
        Customer.all_objects.filter(pk__in=customers).update(last_visit_on=Subquery(latest.values("opened_on")[:1]))
    print(f"\nreset: members, their ledger and the benchmark's repair orders removed in "
          f"{time.perf_counter() - started:.1f} s")


def membership(today: date, *, share: float, new_visits: int, history: str, reset: bool, explain: bool) -> None:
    from customers.membership.models import Member, PointsEntry

    if reset:
        membership_reset()
    fresh = not Member.objects.exists()
    members_enrol(today, share)
    made = Made([PointsEntry, TimelineEntry, OutboundMessage])
    earn = job_of("customers.membership", "membership.earn")[0]
    expire = job_of("customers.membership", "membership.expire")[0]
    print(f"\nmembership: {Member.objects.count():,} members; the daily jobs at {JOBS_AT:%H:%M}")
    if fresh and history == "service":
        run_job(earn, today - timedelta(days=1), title="membership.earn of the whole history", made=made)
    elif fresh:
        ledger_age(today)
    with time_machine.travel(at(today - timedelta(days=1), clock(18, 0)), tick=True):
        written = new_paid_visits(today - timedelta(days=1), new_visits)
    print(f"  {written:,} paid repair orders of members written for {today - timedelta(days=1)} (yesterday)")
    if explain:
        explain_job(earn, today, title="membership.earn")
    run_job(earn, today, title="membership.earn, first run", made=made)
    run_job(earn, today, title="membership.earn, second run (the same day)", made=made)
    if explain:
        explain_job(expire, today, title="membership.expire")
    run_job(expire, today, title="membership.expire, first run", made=made)
    run_job(expire, today, title="membership.expire, second run (the same day)", made=made)
    tomorrow = today + timedelta(days=1)
    run_job(expire, tomorrow, title="membership.expire, the next day", made=made)
    run_job(expire, tomorrow, title="membership.expire, the next day, second run", made=made)
    entries = dict(PointsEntry.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    print(f"  the ledger: {entries}; members with usable points {Member.objects.filter(usable__gt=0).count():,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", metavar="audience|birthdays|membership")
    parser.add_argument("--on", type=date.fromisoformat, default=None, help="the day (default: the store's today)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each target group count")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--profile", action="store_true", help="each job under cProfile too (a run of its own)")
    parser.add_argument("--members", type=float, default=0.3, help="share of the customers enrolled as members")
    parser.add_argument("--new-visits", type=int, default=3000, help="members' paid repair orders of the day before")
    parser.add_argument("--history", choices=["sql", "service"], default="sql",
                        help="how the new members' history earns: aged in SQL (default) or the job's first run")
    parser.add_argument("--reset", action="store_true", help="first remove the members and their ledger")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    unknown = set(args.parts) - {"audience", "birthdays", "membership"}
    if unknown:
        parser.error(f"unknown part {', '.join(sorted(unknown))}: audience, birthdays or membership")
    parts = args.parts or ["membership", "audience", "birthdays"]
    today = args.on or store_today()
    print(f"database {connection.settings_dict['NAME']}: {machine()}")
    print(f"store: {Customer.all_objects.count():,} customers, {Vehicle.objects.count():,} vehicles; "
          f"the store's today {today}")
    if "membership" in parts:
        membership(today, share=args.members, new_visits=args.new_visits, history=args.history, reset=args.reset,
                   explain=args.explain)
    if "audience" in parts:
        audience(today, runs=args.runs, explain=args.explain)
    if "birthdays" in parts:
        birthdays(today, explain=args.explain)
    print(f"\nafter: {machine()}")


if __name__ == "__main__":
    main()
