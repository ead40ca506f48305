"""Search benchmark: server time of the header search, per kind of query, on a seeded archive.

Usage (against a database seeded with `manage.py seed_demo --customers N`):

    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/search_bench.py [--requests 200]

After a warm-up with 50 other queries of each kind, each request goes through the whole Django stack in-process (middleware, session, permission
check, search, template) with the test client, logged in as a callback agent; the time measured
is the server's time to answer (a single exact hit by whole number, plate or VIN is answered with a
redirect to the customer's page, which is not followed). Queries are drawn at random (fixed seed)
from real rows.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
# Hundreds of phone searches in a row: lift the hourly limit (each one is still counted and audited).
os.environ.setdefault("PHONE_SEARCHES_PER_HOUR", "1000000")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from customers.models import Customer, Vehicle  # noqa: E402
from customers.normalize import name_pinyin_mixed  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.accounts.roles import Role  # noqa: E402
from dealer_crm.accounts.services import user_set_roles  # noqa: E402


def sample_queries(rng: random.Random, n: int) -> dict[str, list[str]]:
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, top + 1), n * 3)
    customers = list(Customer.objects.filter(id__in=ids).exclude(mobile="").values_list("name", "name_initials",
                                                                                          "mobile")[:n])
    vtop = Vehicle.objects.order_by("-id").values_list("id", flat=True).first()
    vehicles = list(Vehicle.objects.filter(id__in=rng.sample(range(1, vtop + 1), n * 3)).exclude(plate="")
                    .values_list("plate", "vin")[:n])
    # Names with a given name of two characters or more (张思阳): its given name alone, and mixed pinyin.
    given = list(Customer.objects.filter(id__in=rng.sample(range(1, top + 1), n * 3)).values_list("name", flat=True))
    given = [name for name in given if len(name) >= 3 and all(name_pinyin_mixed(name))][:n]
    return {
        "name": [name for name, _i, _m in customers],
        "given name inside the name": [name[1:] for name in given],  # e.g. 思阳 for 张思阳
        "pinyin initials": [initials for _n, initials, _m in customers],
        "mixed pinyin, given name as initials": [name_pinyin_mixed(name)[0] for name in given],  # zhangsy
        "mixed pinyin, surname as initial": [name_pinyin_mixed(name)[1] for name in given],  # zsiyang
        "phone last 4": [mobile[-4:] for _n, _i, mobile in customers],
        "full phone": [mobile for _n, _i, mobile in customers],
        "plate fragment": [plate[1:5] for plate, _vin in vehicles],  # e.g. "C530": letter and 3 characters
        "VIN last 6": [vin[-6:] for _plate, vin in vehicles],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests per kind")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    user, _created = User.objects.get_or_create(username="bench_agent", defaults={"display_name": "bench"})
    user_set_roles(user=user, roles={Role.CALLBACK_AGENT}, by=None)
    client = Client()
    client.force_login(user)
    rng = random.Random(args.seed)
    queries = sample_queries(rng, args.requests)
    # Warm up with other queries of each kind, as a running server would be.
    for values in sample_queries(random.Random(args.seed + 1), 50).values():
        for value in values:
            client.get("/customers/search/", {"q": value})

    results = {}
    for kind, values in queries.items():
        timings, hits = [], []
        for value in values:
            started = time.perf_counter()
            response = client.get("/customers/search/", {"q": value})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 302), (kind, value, response.status_code)
            # A single exact hit by whole number, plate or VIN opens the customer (a redirect): one hit.
            hits.append(response.content.count(b"search-hit") if response.status_code == 200 else 1)
        results[kind] = {
            "requests": len(timings), "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1),
            "mean_hits": round(statistics.mean(hits), 1),
        }
    customers = Customer.objects.count()
    report = {
        "database": connection.vendor, "customers": customers, "vehicles": Vehicle.objects.count(),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\n| kind | p50 ms | p95 ms | max ms | mean hits |  ({customers:,} customers, {connection.vendor})")
    for kind, row in results.items():
        print(f"| {kind} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} | {row['mean_hits']} |")


if __name__ == "__main__":
    main()
