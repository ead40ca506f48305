"""Supervisor pages benchmark: server time of 回访监控 (today and a past day), 全部回访 and 失联 over
a long callback history.

    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/supervision_bench.py \
        [--history 300000] [--requests 20] [--keep]

Needs a demo store (`manage.py seed_demo --customers N`: its customers, staff and scripts). Adds
`--history` closed callbacks spread over the last two years, two calls each (no answer, then
completed) and a response to each completed call, all with SQL and tagged `bench:` in their
source key; removes them at the end unless `--keep`. Same method as pages_bench.py: the whole
Django stack in-process, signed in as the DCRC supervisor.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
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

HISTORY_SQL = """
INSERT INTO callbacks_callback (customer_id, kind, source_key, status, priority, due_at, attempts, last_outcome,
                                close_reason, note, created_on, created_at, closed_at, assigned_to_id)
SELECT customers[1 + i %% array_length(customers, 1)], (ARRAY['ssi', 'csi', 'csi', 'thank_you'])[1 + i %% 4],
       'bench:' || i, CASE WHEN i %% 50 = 0 THEN 'lost_contact' ELSE 'completed' END, 0,
       now() - interval '2 days' - (i %% 730) * interval '1 day', 2, 'completed', '', '',
       (now() - interval '2 days' - (i %% 730) * interval '1 day')::date, now(),
       now() - interval '2 days' - (i %% 730) * interval '1 day' + interval '3 hours',
       agents[1 + i %% array_length(agents, 1)]
FROM generate_series(1, %(n)s) AS i,
     (SELECT array_agg(id) AS customers FROM (SELECT id FROM customers_customer LIMIT 10000) c) cs,
     (SELECT array_agg(id) AS agents FROM accounts_user) us;
INSERT INTO callbacks_callattempt (callback_id, agent_id, made_at, outcome, note)
SELECT c.id, c.assigned_to_id, c.due_at + k * interval '2 hours', CASE WHEN k = 1 THEN 'no_answer' ELSE 'completed' END, ''
FROM callbacks_callback c CROSS JOIN generate_series(1, 2) AS k WHERE c.source_key LIKE 'bench:%%';
INSERT INTO callbacks_scriptresponse (callback_id, version_id, attempt_id, answered_at, answered_by_id, average_score,
                                      dissatisfied, remark, correction_reason)
SELECT a.callback_id, (SELECT min(id) FROM scripts_scriptversion), a.id, a.made_at + interval '5 minutes', a.agent_id,
       5 + (a.id %% 50) / 10.0, false, '', ''
FROM callbacks_callattempt a JOIN callbacks_callback c ON c.id = a.callback_id
WHERE c.source_key LIKE 'bench:%%' AND a.outcome = 'completed';
ANALYZE callbacks_callback; ANALYZE callbacks_callattempt; ANALYZE callbacks_scriptresponse;
"""
CLEAN_SQL = """
DELETE FROM callbacks_scriptresponse WHERE callback_id IN (SELECT id FROM callbacks_callback WHERE source_key LIKE 'bench:%');
DELETE FROM callbacks_callattempt WHERE callback_id IN (SELECT id FROM callbacks_callback WHERE source_key LIKE 'bench:%');
DELETE FROM callbacks_callback WHERE source_key LIKE 'bench:%';
"""


def pages() -> dict[str, tuple[str, dict]]:
    past = (timezone.localdate() - timedelta(days=180)).isoformat()
    return {
        "回访监控, today": ("/callbacks/supervisor/", {}),
        "回访监控, a day six months ago": ("/callbacks/supervisor/", {"day": past}),
        "全部回访, not closed": ("/callbacks/list/", {}),
        "全部回访, every CSI": ("/callbacks/list/", {"status": "", "kind": "csi"}),
        "全部回访, a customer's name": ("/callbacks/list/", {"status": "", "customer": "王"}),
        "失联": ("/callbacks/lost-contact/", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.history:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(HISTORY_SQL, {"n": args.history})
        print(f"added {args.history:,} callbacks of history in {time.perf_counter() - started:.1f} s")
    user, _created = User.objects.get_or_create(username="bench_supervisor", defaults={"display_name": "bench"})
    user.is_active = True
    user.save(update_fields=["is_active"])
    user_set_roles(user=user, roles={Role.DCRC_SUPERVISOR}, by=None)
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM callbacks_callback), (SELECT count(*) FROM callbacks_callattempt),"
                       " (SELECT count(*) FROM callbacks_scriptresponse)")
        callbacks, attempts, responses = cursor.fetchone()
    print(f"| page | queries | p50 ms | p95 ms | max ms |  ({callbacks:,} callbacks, {attempts:,} attempts, "
          f"{responses:,} responses)")
    try:
        for label, (path, params) in pages().items():
            client.get(path, params)
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(path, params).status_code == 200
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
            print(f"| {label} | {len(queries)} | {statistics.median(timings):.0f} | {p95:.0f} | {timings[-1]:.0f} |")
    finally:
        if args.history and not args.keep:
            with connection.cursor() as cursor:
                cursor.execute(CLEAN_SQL)
        # A supervisor works the queue too: left active, it would stay in the agents' table (its
        # logins are in the audit log, so it is switched off rather than deleted).
        user.is_active = False
        user.save(update_fields=["is_active"])


if __name__ == "__main__":
    main()
