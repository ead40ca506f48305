"""Complaints benchmark: the escalation check over many open complaints (its first run, which
creates the escalations, and the next, which must create none), and the server time of the
complaint pages and the supervisor's home page.

    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/complaints_bench.py \
        [--complaints 20000] [--requests 20] [--keep]

Needs a demo store (`manage.py seed_demo --customers N`: its customers, staff and severities). Adds
`--complaints` open complaints with SQL, spread over the open states, the three severities, the
departments and the last 30 days, their deadlines as registration + the severity's hours (calendar
arithmetic: what the check reads is the stored moment), tagged `bench:` in their description;
removes them and their escalations at the end unless `--keep`. Pages: the whole Django stack
in-process, signed in as the DCRC supervisor (the list, overdue only, a text search, one complaint,
the home page) and as the after-sales manager (the inbox).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.accounts.roles import Role  # noqa: E402
from dealer_crm.accounts.services import user_set_roles  # noqa: E402
from followups.complaints.escalation import complaints_escalate  # noqa: E402

ADD_SQL = """
INSERT INTO complaints_complaint (customer_id, channel, category, severity_id, description, department,
    person_concerned, owner_id, status, registered_at, registered_by_id, round, contact_due_at, solve_due_at,
    follow_up_due_at, contacted_at, solution)
SELECT c.customer_id, (ARRAY['phone', 'walk_in', 'callback', 'online'])[1 + i %% 4],
       (ARRAY['service', 'repair', 'price', 'waiting', 'attitude'])[1 + i %% 5], s.id, 'bench:' || i,
       (ARRAY['service', 'service', 'sales', 'parts'])[1 + i %% 4], '', owners[1 + i %% array_length(owners, 1)],
       st.status, r.at, owners[1], 1,
       r.at + s.first_contact_hours * interval '1 hour', r.at + s.solve_hours * interval '1 hour',
       CASE WHEN st.status = 'solved' THEN r.at + interval '7 days' END,
       CASE WHEN st.status <> 'registered' THEN r.at + interval '1 hour' END, ''
FROM generate_series(1, %(n)s) AS i
CROSS JOIN LATERAL (SELECT now() - (i %% 720) * interval '1 hour' - interval '5 minutes' AS at) r
CROSS JOIN LATERAL (SELECT (ARRAY['registered', 'contacted', 'investigating', 'visited', 'agreed', 'solved'])
                           [1 + i %% 6] AS status) st
CROSS JOIN LATERAL (SELECT id, first_contact_hours, solve_hours FROM complaints_severity
                    ORDER BY id OFFSET i %% 3 LIMIT 1) s
CROSS JOIN LATERAL (SELECT id AS customer_id FROM customers_customer ORDER BY id OFFSET i %% 2000 LIMIT 1) c,
     (SELECT array_agg(u.id ORDER BY u.id) AS owners FROM accounts_user u
      WHERE u.username IN ('supervisor', 'service', 'sales')) us;
ANALYZE complaints_complaint;
"""
CLEAN_SQL = """
DELETE FROM complaints_escalation WHERE complaint_id IN (SELECT id FROM complaints_complaint WHERE description LIKE 'bench:%');
DELETE FROM complaints_complaint WHERE description LIKE 'bench:%';
"""


def signed_in(username: str, role: Role) -> tuple[Client, User]:
    user, _created = User.objects.get_or_create(username=username, defaults={"display_name": "bench"})
    user.is_active = True
    user.save(update_fields=["is_active"])
    user_set_roles(user=user, roles={role}, by=None)
    client = Client()
    client.force_login(user)
    return client, user


def timed(client: Client, path: str, params: dict, requests: int) -> tuple[int, list[float]]:
    client.get(path, params)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, params).status_code == 200, path
        timings.append((time.perf_counter() - started) * 1000)
    return len(queries), sorted(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(ADD_SQL, {"n": args.complaints})
        print(f"added {args.complaints:,} open complaints in {time.perf_counter() - started:.1f} s")
        cursor.execute("SELECT count(*) FROM complaints_complaint WHERE status <> 'closed'")
        open_count = cursor.fetchone()[0]
    supervisor, supervisor_user = signed_in("bench_supervisor", Role.DCRC_SUPERVISOR)
    manager, manager_user = signed_in("bench_service", Role.SERVICE_MANAGER)
    try:
        for run in ("first", "second"):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                result = complaints_escalate(now=timezone.now())
            print(f"escalation check, {run} run over {open_count:,} open complaints: "
                  f"{time.perf_counter() - started:.2f} s, {len(queries)} queries, {result}")
        some = connection.cursor()
        some.execute("SELECT id FROM complaints_complaint WHERE description LIKE 'bench:%%' ORDER BY id LIMIT 1")
        pk = some.fetchone()[0]
        pages = [
            ("投诉列表 (supervisor, open)", supervisor, "/complaints/", {}),
            ("投诉列表, overdue only", supervisor, "/complaints/", {"overdue": "1"}),
            ("投诉列表, a customer's name", supervisor, "/complaints/", {"q": "王"}),
            ("one complaint", supervisor, f"/complaints/{pk}/", {}),
            ("home page (supervisor)", supervisor, "/", {}),
            ("我的待办 (after-sales manager)", manager, "/complaints/inbox/", {}),
        ]
        print("| page | queries | p50 ms | p95 ms | max ms |")
        for label, client, path, params in pages:
            count, timings = timed(client, path, params, args.requests)
            p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
            print(f"| {label} | {count} | {statistics.median(timings):.0f} | {p95:.0f} | {timings[-1]:.0f} |")
    finally:
        if not args.keep:
            with connection.cursor() as cursor:
                cursor.execute(CLEAN_SQL)
        for user in (supervisor_user, manager_user):  # their logins are in the audit log: switched off, kept
            user.is_active = False
            user.save(update_fields=["is_active"])


if __name__ == "__main__":
    main()
