"""Callback claims and the workbench pages (issue 12, item 3).

    # (a) 20 agents pressing 领取下一条 at once over 5,000 callbacks
    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/callbacks_claim.py claims \
        [--agents 20] [--callbacks 5000] [--keep]
    # (b) server time of the queue and of one callback's workbench (seed_demo --customers N first)
    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/callbacks_claim.py pages \
        [--queue 2000] [--requests 50]

(a) adds `--callbacks` due, unassigned callbacks (source key `bench-claim:…`, priority 1000 so they
come before any other) on the store's customers, then starts `--agents` threads, each with its own
database connection, released together by a barrier. Each thread presses take the next
(`services.calls.callback_take_next`: the real SELECT … FOR UPDATE SKIP LOCKED and UPDATE, in its
own transaction) and closes what it got (one UPDATE, as completing the call would) until nothing
is left. It reports claims per second over the whole run, each press's p50/p95, and checks from
the threads' records and from the database that no callback was given twice and every one was
given. The callbacks are deleted at the end unless `--keep`.
(b) adds a queue of `--queue` callbacks due today for an agent, signs in as that agent with the
Django test client (the whole stack in-process, as pages_bench.py), and times GET /callbacks/ and
GET /callbacks/<pk>/ (the callback the agent holds, with its customer's history) `--requests`
times each after a warm-up; reports p50/p95 and the number of queries. Its callbacks are removed
at the end. With `--queue 0` it adds none and times the store's own queue, as the day's build left
it (every open callback nobody holds is in each agent's queue); the callback it held is given back.
"""

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from customers.models import Customer  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.accounts.roles import Role  # noqa: E402
from dealer_crm.accounts.services import user_set_roles  # noqa: E402
from followups.callbacks.models import Callback  # noqa: E402
from followups.callbacks.services.calls import callback_take_next  # noqa: E402

TAG = "bench-claim:"


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = os.getloadavg()
    return (f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · PostgreSQL {server} · "
            f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def agents(n: int) -> list[User]:
    found = []
    for index in range(n):
        user, created = User.objects.get_or_create(username=f"bench_agent_{index:02d}",
                                                   defaults={"display_name": f"压测专员{index:02d}"})
        if created:
            user.set_unusable_password()
            user.save()
            user_set_roles(user=user, roles={Role.CALLBACK_AGENT}, by=None)
        found.append(user)
    return found


def queue_add(count: int, *, run: str, due_at, priority: int, agent=None) -> list[int]:
    customers = list(Customer.objects.order_by("id").values_list("id", flat=True)[:count])
    if not customers:
        sys.exit("No customers: seed_demo first.")
    today = timezone.localdate()
    rows = [Callback(customer_id=customers[n % len(customers)], kind="requested", source_key=f"{TAG}{run}:{n}",
                     status=Callback.Status.OPEN, priority=priority, due_at=due_at,
                     expires_at=due_at + timedelta(days=3), assigned_to=agent, created_on=today)
            for n in range(count)]
    Callback.objects.bulk_create(rows, batch_size=2000)
    return list(Callback.objects.filter(source_key__startswith=f"{TAG}{run}:").values_list("id", flat=True))


def claims(args) -> None:
    staff = agents(args.agents)
    run = f"{int(time.time())}"
    now = timezone.now()
    created = set(queue_add(args.callbacks, run=run, due_at=now - timedelta(minutes=5), priority=1000))
    given: list[tuple[int, int]] = []
    presses: list[float] = []
    foreign: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(staff) + 1)

    def press(agent):
        mine, times = [], []
        try:
            barrier.wait()
            while True:
                started = time.perf_counter()
                callback = callback_take_next(agent=agent, now=now)
                times.append(time.perf_counter() - started)
                if callback is None:
                    break
                if callback.pk not in created:  # someone else's queue: give it back, stop
                    Callback.objects.filter(pk=callback.pk).update(status=Callback.Status.OPEN, assigned_to=None,
                                                                   claimed_at=None)
                    foreign.append(callback.pk)
                    break
                mine.append((callback.pk, agent.pk))
                Callback.objects.filter(pk=callback.pk).update(status=Callback.Status.COMPLETED, closed_at=now)
        finally:
            with lock:
                given.extend(mine)
                presses.extend(times)
            connections.close_all()

    threads = [threading.Thread(target=press, args=(agent,)) for agent in staff]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    pks = [pk for pk, _agent in given]
    twice = len(pks) - len(set(pks))
    in_db = Callback.objects.filter(pk__in=created)
    not_completed = in_db.exclude(status=Callback.Status.COMPLETED).count()
    holders = dict(in_db.values_list("id", "assigned_to_id"))
    wrong_holder = sum(1 for pk, agent in given if holders.get(pk) != agent)
    presses.sort()
    print(machine())
    print(f"{len(staff)} agents, {len(created)} callbacks: {len(pks)} given in {elapsed:.2f} s = "
          f"{len(pks) / elapsed:.0f} claims/s (take + close)")
    print(f"given twice: {twice}; never given: {len(created - set(pks))}; not completed in the database: "
          f"{not_completed}; recorded holder differs: {wrong_holder}; other queues' callbacks met: {len(foreign)}")
    print(f"press: p50 {statistics.median(presses) * 1000:.1f} ms, "
          f"p95 {presses[int(len(presses) * 0.95)] * 1000:.1f} ms, max {presses[-1] * 1000:.1f} ms")
    if not args.keep:
        Callback.objects.filter(source_key__startswith=f"{TAG}{run}:").delete()


def timed(client: Client, url: str, requests: int) -> tuple[list[float], int]:
    client.get(url)
    client.get(url)
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return sorted(times), len(queries)


def pages(args) -> None:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # One connection for the whole run, as a pooled server keeps it: the query count is of this page.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    (agent,) = agents(1)
    run = f"pages{int(time.time())}"
    now = timezone.now()
    if args.queue:  # else: the store's own queue, as the day's build left it (nobody's, due today)
        queue_add(args.queue, run=run, due_at=now - timedelta(minutes=30), priority=0)
    Callback.objects.filter(status=Callback.Status.IN_PROGRESS, assigned_to=agent).update(
        status=Callback.Status.OPEN, assigned_to=None, claimed_at=None)
    held = callback_take_next(agent=agent)
    client = Client()
    client.force_login(agent)
    print(machine())
    from followups.callbacks.selectors.queue import callbacks_due

    queue = callbacks_due(agent=agent)
    print(f"customers: {Customer.objects.count():,}; callbacks: {Callback.objects.count():,}; "
          f"added for this agent: {args.queue:,}; the agent's queue today (theirs or nobody's): "
          f"{queue.due_now + queue.later_today:,}")
    try:
        for label, url in (("queue /callbacks/", "/callbacks/"), ("workbench /callbacks/<pk>/", f"/callbacks/{held.pk}/")):
            times, queries = timed(client, url, args.requests)
            print(f"{label}: p50 {statistics.median(times) * 1000:.0f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms, "
                  f"{queries} queries ({args.requests} requests)")
    finally:
        Callback.objects.filter(pk=held.pk, status=Callback.Status.IN_PROGRESS).update(
            status=Callback.Status.OPEN, assigned_to=None, claimed_at=None)
        Callback.objects.filter(source_key__startswith=f"{TAG}{run}:").delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("claims")
    a.add_argument("--agents", type=int, default=20)
    a.add_argument("--callbacks", type=int, default=5000)
    a.add_argument("--keep", action="store_true")
    b = sub.add_parser("pages")
    b.add_argument("--queue", type=int, default=2000, help="callbacks to add; 0: the store's own queue only")
    b.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    {"claims": claims, "pages": pages}[args.what](args)


if __name__ == "__main__":
    main()
