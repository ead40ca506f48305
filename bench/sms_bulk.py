"""SMS benchmark: a bulk send end to end through real workers, and the recipient list of the archive.

    # (a) a bulk send to every customer of the database (seed_demo --customers 100000 first)
    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/sms_bulk.py send [--workers 2]
    # (b) the recipient list and its exclusions (seed_demo --customers 1000000 first)
    DATABASE_URL=postgres://.../db DJANGO_DEBUG=false .venv/bin/python bench/sms_bulk.py recipients [--runs 3]

(a) starts a redis-server of its own on a free port, the fake gateway of the tests in a process of
its own (measured alone first: it must not be the bottleneck) and `--workers` worker processes
(solo pool, one task at a time each), all on the `http` gateway. It times from the confirm
(`services.bulk_send_create`, marketing, a customer-list filter, in this process) to the last
message settled, then checks what the gateway received: each message once, none to a customer who
refuses marketing SMS. Earlier runs' messages are deleted first (with their timeline entries), so
the weekly cap does not leave anyone out.
(b) times `services.recipients_from_filter` with an empty filter and with brand=mitsubishi.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

from tests.dealer_crm.messaging.fakes import CeleryWorker, RedisServer, free_port  # noqa: E402 - no Django in it


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("send")
    a.add_argument("--workers", type=int, default=2)
    a.add_argument("--filter", default="", help="the customer-list query string (default: everyone)")
    a.add_argument("--redis-url", default="", help="default: a redis-server of its own on a free port")
    b = sub.add_parser("recipients")
    b.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


ARGS = arguments()
# The broker is chosen when the settings load: our own Redis is started before them.
REDIS = RedisServer().start() if ARGS.what == "send" and not ARGS.redis_url else None
if ARGS.what == "send":
    os.environ["REDIS_URL"] = ARGS.redis_url or REDIS.url

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from customers.models import Customer, TimelineEntry  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.messaging import services  # noqa: E402
from dealer_crm.messaging.audience import audience  # noqa: E402
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose  # noqa: E402

TEXT = "{name}{title}您好，{store}本周六举办车主答谢会，欢迎光临。"
Status = OutboundMessage.Status


def machine() -> str:
    memory = os.popen("free -g | awk '/Mem:/ {print $2}'").read().strip()
    return (f"{os.cpu_count()} cores, {memory} GB, Python {platform.python_version()}, "
            f"PostgreSQL {connection.cursor().connection.server_version}, load {os.getloadavg()[0]:.1f}")


def sender() -> User:
    user, _created = User.objects.get_or_create(username="bench_sms", defaults={"display_name": "bench",
                                                                                "is_superuser": True})
    return user


# --- (a) the bulk send ---------------------------------------------------------------------------
def fake_gateway_alone(url: str, *, messages: int, batch: int, threads: int) -> float:
    """Messages a second the fake gateway takes from `threads` clients sending at once."""
    payload = {"messages": [{"id": str(n), "phone": "13800000000", "text": "测" * 40} for n in range(batch)]}

    def client(count):
        session = requests.Session()
        for _n in range(count):
            assert session.post(url, json=payload, timeout=10).status_code == 200

    per_thread = messages // batch // threads
    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(per_thread,)) for _n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads * batch / (time.perf_counter() - started)


def earlier_runs_removed() -> None:
    from django.contrib.contenttypes.models import ContentType

    message_type = ContentType.objects.get_for_model(OutboundMessage)
    TimelineEntry.objects.filter(source_type=message_type).delete()
    with connection.cursor() as cursor:  # the receipts cascade
        cursor.execute(f"TRUNCATE {OutboundMessage._meta.db_table}, messaging_deliveryreceipt")
    BulkSend.objects.all().delete()


def send(args) -> None:
    print(f"machine: {machine()}")
    print(f"customers: {Customer.objects.count():,}")
    earlier_runs_removed()
    scratch = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    redis_url = os.environ["REDIS_URL"]
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "tests.dealer_crm.messaging.fakes", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    fake.stdout.readline()
    url = f"http://127.0.0.1:{port}/send"
    workers: list[CeleryWorker] = []
    try:
        alone = fake_gateway_alone(url, messages=100_000, batch=settings.SMS_HTTP_BATCH, threads=args.workers)
        print(f"fake gateway alone ({args.workers} clients, batches of {settings.SMS_HTTP_BATCH}): {alone:,.0f} msg/s")
        requests.get(f"http://127.0.0.1:{port}/reset", timeout=5)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"], "DJANGO_DEBUG": "false",
               "REDIS_URL": redis_url, "SMS_GATEWAY": "http", "SMS_HTTP_URL": url, "SMS_QUIET_HOURS": "",
               "SMS_DISPATCH_PARALLEL": str(args.workers)}
        for n in range(args.workers):
            workers.append(CeleryWorker(env=env, log_path=scratch / f"worker-{n}.log", name=f"bench{n}").start())
        settings.SMS_GATEWAY, settings.SMS_HTTP_URL, settings.SMS_QUIET_HOURS = "http", url, ""
        settings.SMS_DISPATCH_PARALLEL = args.workers

        started = time.perf_counter()
        bulk = services.bulk_send_create(by=sender(), purpose=Purpose.MARKETING, text=TEXT, query=args.filter)
        queued = time.perf_counter()
        while OutboundMessage.objects.filter(bulk=bulk, status__in=[Status.QUEUED, Status.SENDING]).exists():
            time.sleep(0.2)
        finished = time.perf_counter()
        bulk.refresh_from_db()
        by_status = dict(bulk.messages.values_list("status").annotate(n=Count("id")))
        stats = json.load(urlopen(f"http://127.0.0.1:{port}/stats", timeout=30))
        received = {int(i) for i in json.load(urlopen(f"http://127.0.0.1:{port}/ids", timeout=60))["ids"]}
        sent_ids = set(bulk.messages.filter(status=Status.SENT).values_list("id", flat=True))
        refusing = set(audience().refusals(purpose=Purpose.MARKETING))
        received_customers = set(OutboundMessage.objects.filter(id__in=list(received)).values_list("customer_id", flat=True))
        total = finished - started
        print(f"filter: {args.filter!r}; recipients {bulk.recipients:,}; excluded {bulk.excluded}")
        print(f"confirm (bulk_send_create, list + {bulk.recipients:,} rows): {queued - started:.1f} s")
        print(f"confirm to the last settled message: {total:.1f} s = {bulk.recipients / total:,.0f} msg/s end to end")
        print(f"sending alone (after the confirm): {finished - queued:.1f} s = {bulk.recipients / (finished - queued):,.0f} msg/s")
        print(f"statuses: {by_status}; bulk send {bulk.status}")
        print(f"gateway: {stats['requests']:,} requests, {stats['messages']:,} messages, {stats['duplicates']} duplicates")
        print(f"received == the SENT rows: {received == sent_ids}; sends to customers refusing marketing: "
              f"{len(received_customers & refusing)} (of {len(refusing):,} who refuse)")
    finally:
        for worker in workers:
            worker.stop()
        fake.terminate()
        fake.wait(10)
        if REDIS is not None:
            REDIS.stop()
    print(f"worker logs: {scratch}")


# --- (b) the recipient list ----------------------------------------------------------------------
def recipients(args) -> None:
    print(f"machine: {machine()}")
    print(f"customers: {Customer.objects.count():,}")
    user = sender()
    for query in ("", "brand=mitsubishi"):
        timings = []
        for _run in range(args.runs):
            started = time.perf_counter()
            result = services.recipients_from_filter(query=query, user=user, purpose=Purpose.MARKETING)
            timings.append(time.perf_counter() - started)
        print(f"| {query or '(everyone)'} | {result.count:,} | {dict(result.excluded)} | "
              f"{' / '.join(f'{t:.2f}' for t in timings)} | {statistics.median(timings):.2f} |")


def main() -> None:
    {"send": send, "recipients": recipients}[ARGS.what](ARGS)


if __name__ == "__main__":
    main()
