"""Page benchmark: server time of the customer list (with filters and sorts) and the customer page.

    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/pages_bench.py [--requests 50]

Same method as search_bench.py: the whole Django stack in-process, logged in as a callback agent.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from customers.models import Customer  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.accounts.roles import Role  # noqa: E402
from dealer_crm.accounts.services import user_set_roles  # noqa: E402

PAGES = {
    "list, newest first": ("/customers/", {}),
    "list, page 20": ("/customers/", {"page": "20"}),
    "list, last visit recent first": ("/customers/", {"order": "-last_visit_on"}),
    "list, not back since 6 months": ("/customers/", {"not_visited_since": "2026-05-27"}),
    "list, model 卡缤 delivered this year": ("/customers/", {"model_name": "卡缤", "delivered_from": "2026-01-01"}),
    "list, refuses marketing": ("/customers/", {"opted_out": "yes"}),
    "list, VIP": ("/customers/", {"importance": "vip"}),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    user, _created = User.objects.get_or_create(username="bench_agent", defaults={"display_name": "bench"})
    user_set_roles(user=user, roles={Role.CALLBACK_AGENT}, by=None)
    client = Client()
    client.force_login(user)
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    rng = random.Random(5)
    ids = list(Customer.objects.filter(id__in=rng.sample(range(1, top + 1), args.requests * 2))
               .values_list("id", flat=True)[: args.requests])
    print(f"| page | p50 ms | p95 ms | max ms |  ({Customer.objects.count():,} customers)")
    for label, (path, params) in PAGES.items():
        client.get(path, params)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            assert client.get(path, params).status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
        report(label, timings)
    timings = []
    for customer_id in ids:
        started = time.perf_counter()
        assert client.get(f"/customers/{customer_id}/").status_code == 200
        timings.append((time.perf_counter() - started) * 1000)
    report("customer page (random customers)", timings)


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"| {label} | {statistics.median(timings):.1f} | {p95:.1f} | {max(timings):.1f} |")


if __name__ == "__main__":
    main()
