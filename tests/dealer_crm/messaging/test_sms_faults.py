"""Faults, with real workers and a real broker: every recipient gets exactly one message.

Each test starts its own redis-server on a free port and its own worker processes (the machine's
PostgreSQL and Redis are never stopped); the gateway is a local HTTP server that records every
message id it receives (fakes.FakeSmsGateway); the test itself plays beat, queueing the minutely
task through the broker every half second. "Exactly one message" means the gateway received each
recipient's id once; rows the gateway may have (a killed sender) become UNKNOWN and are settled by
the receipts of what it received, as its pushes would.
"""

import os
import threading
import time
from contextlib import contextmanager

import kombu.pools
import pytest
from django.db import connections
from django.db.models import Count

from customers.models import ContactPreference, Customer, TimelineEntry
from customers.services import contact_preference_set
from dealer_crm.messaging import reasons, services, tasks
from dealer_crm.messaging.gateways.base import Receipt
from dealer_crm.messaging.gateways.http import HttpGateway
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose
from tests.conftest import database_url_of_the_test_database
from tests.dealer_crm.messaging.fakes import CeleryWorker, FakeSmsGateway, RedisServer
from tests.factories import UserFactory

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]
Status = OutboundMessage.Status
LEASE_SECONDS = 2  # a claim older than this belongs to a stopped sender
HTTP_TIMEOUT = 1.0
NOTICE = "本店将于周六搬至新址，欢迎来访。"


# --- the servers -----------------------------------------------------------------------------
@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@contextmanager
def celery_app_on(url: str):
    """This process's Celery app sends to our own Redis while the test runs (dispatch_soon, beat)."""
    from dealer_crm.celery import app

    def forget_connections():
        # kombu keeps its pools per broker in a registry of its own: close and forget them all, so
        # that the app opens new ones to the broker it names next.
        kombu.pools.reset()
        app._pool, app.amqp._producer_pool = None, None

    before = app.conf.broker_url
    forget_connections()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        forget_connections()
        app.conf.broker_url = before


@pytest.fixture
def broker(redis_server):
    with celery_app_on(redis_server.url):
        yield redis_server


@pytest.fixture
def gateway():
    with FakeSmsGateway() as fake:
        yield fake


@pytest.fixture
def sms_settings(settings, gateway):
    """This process queues and dispatches as the workers do: through the fake gateway, at any hour."""
    settings.SMS_GATEWAY = "http"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_TIMEOUT = HTTP_TIMEOUT
    settings.SMS_QUIET_HOURS = ""
    settings.SMS_CLAIM_LEASE_SECONDS = LEASE_SECONDS
    settings.SMS_RETRY_BACKOFF_SECONDS = 1
    settings.SMS_RATE_LIMIT = 0
    return settings


@pytest.fixture
def start_worker(broker, gateway, sms_settings, tmp_path):
    """start_worker(**env) → a started CeleryWorker on the test database, our Redis and the fake gateway."""
    started: list[CeleryWorker] = []

    def start(**extra) -> CeleryWorker:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealer_crm.settings.test",
               "DATABASE_URL": database_url_of_the_test_database(), "REDIS_URL": broker.url,
               "SMS_GATEWAY": "http", "SMS_HTTP_URL": gateway.url, "SMS_HTTP_TIMEOUT": str(HTTP_TIMEOUT),
               "SMS_QUIET_HOURS": "", "SMS_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
               "SMS_RETRY_BACKOFF_SECONDS": "1", "SMS_RATE_LIMIT": "0",
               **{key: str(value) for key, value in extra.items()}}
        worker = CeleryWorker(env=env, log_path=tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def beat(broker):
    """Beat, quicker: the minutely task through the broker every half second (a failed publish while
    Redis is down is beat's own problem: it tries again next time)."""
    stop = threading.Event()

    def tick():
        while not stop.wait(0.5):
            try:
                tasks.dispatch_minutely_task.apply_async(retry=False)
            except Exception:  # noqa: BLE001 - the broker is down: the next tick tries again
                pass

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


# --- the archive and the send ---------------------------------------------------------------------
def archive(n: int) -> list[int]:
    Customer.objects.bulk_create([Customer(name=f"客户{i}", mobile=f"139{i:08d}") for i in range(n)], batch_size=1000)
    return list(Customer.objects.order_by("id").values_list("id", flat=True))


def bulk_notice(*, purpose=Purpose.NOTICE) -> BulkSend:
    sender = UserFactory(username="supervisor_liu", is_superuser=True)
    return services.bulk_send_create(by=sender, purpose=purpose, text=NOTICE, query="")


def wait_until(condition, *, timeout: float, workers: list[CeleryWorker] = (), what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(worker.output()[-4000:] for worker in workers)
    pytest.fail(f"{what or 'the condition'} did not happen within {timeout} s; counts "
                f"{dict(OutboundMessage.objects.values_list('status').annotate(n=Count('id')))}\n{logs}")


def nothing_pending() -> bool:
    return not OutboundMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).exists()


def receipts_for_what_the_gateway_received(gateway: FakeSmsGateway) -> dict:
    """What the gateway's receipt pushes would record: delivered, for every id it took."""
    received = sorted({int(message_id) for message_id in gateway.counts()})
    return services.receipts_record(gateway_name="http", receipts=[Receipt(id=i, delivered=True) for i in received])


def assert_each_got_exactly_one(gateway: FakeSmsGateway, customer_ids: list[int]) -> None:
    rows = dict(OutboundMessage.objects.values_list("id", "customer_id"))
    assert sorted(rows.values()) == sorted(customer_ids)  # one row per recipient
    counts = gateway.counts()
    assert gateway.duplicates() == {}
    assert {int(message_id) for message_id in counts} == set(rows)  # each row's id reached the gateway once


# --- a killed worker, a restarted broker -----------------------------------------------------------
def test_a_worker_killed_in_the_middle_of_a_bulk_send_and_started_again_sends_each_recipient_one_message(
        gateway, start_worker, beat):
    customer_ids = archive(1000)
    held, release = threading.Event(), threading.Event()

    def hold_the_fourth(number):  # the worker waits for this answer when it is killed
        if number == 4:
            held.set()
            release.wait(30)

    gateway.on_request = hold_the_fourth
    worker = start_worker()
    bulk = bulk_notice()
    assert held.wait(30), worker.output()
    worker.kill()
    release.set()
    in_flight = OutboundMessage.objects.filter(status=Status.SENDING).count()
    assert in_flight == 100  # the batch the gateway took and the worker never recorded
    assert 300 <= OutboundMessage.objects.filter(status=Status.SENT).count() < 1000

    worker.start()
    wait_until(lambda: nothing_pending(), timeout=60, workers=[worker], what="the rest of the send")
    unknown = set(OutboundMessage.objects.filter(status=Status.UNKNOWN).values_list("id", flat=True))
    assert len(unknown) == 100  # the stopped sender's claims: in doubt, not sent again
    assert_each_got_exactly_one(gateway, customer_ids)

    receipts_for_what_the_gateway_received(gateway)
    assert OutboundMessage.objects.filter(status=Status.DELIVERED).count() == 1000
    assert BulkSend.objects.get(pk=bulk.pk).status == BulkSend.Status.DONE
    sent_entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.SMS)
    assert sent_entries.count() == 1000 and sent_entries.values("customer_id").distinct().count() == 1000


def test_redis_restarted_in_the_middle_of_a_bulk_send_it_resumes_and_sends_each_one_once(
        broker, gateway, start_worker, beat):
    customer_ids = archive(1000)
    held, release = threading.Event(), threading.Event()

    def hold_the_third(number):
        if number == 3:
            held.set()
            release.wait(30)

    gateway.on_request = hold_the_third
    # Short rounds: the worker queues its next round while the broker is down.
    worker = start_worker(SMS_DISPATCH_BUDGET_SECONDS=0.2)
    bulk_notice()
    assert held.wait(30), worker.output()
    broker.stop()  # everything queued in it is lost: it keeps nothing on disk
    release.set()
    time.sleep(1.5)
    assert OutboundMessage.objects.filter(status=Status.QUEUED).exists()  # the send did not get far without it
    broker.start()

    wait_until(lambda: nothing_pending(), timeout=60, workers=[worker], what="the send after the restart")
    assert worker.process.poll() is None  # the worker came through it
    assert_each_got_exactly_one(gateway, customer_ids)
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 1000


# --- the gateway's faults ----------------------------------------------------------------------
def test_a_gateway_answering_500_then_200_gets_each_message_once(gateway, start_worker, beat):
    customer_ids = archive(20)
    gateway.fail_first = 1
    worker = start_worker()
    bulk_notice()
    wait_until(lambda: nothing_pending() and gateway.counts(), timeout=30, workers=[worker], what="the retry")
    assert gateway.answered_500 == 1
    assert_each_got_exactly_one(gateway, customer_ids)
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 2)}


def test_a_gateway_timeout_is_unknown_and_never_sent_again_blindly(gateway, start_worker, beat):
    customer_ids = archive(5)
    gateway.delay = HTTP_TIMEOUT + 1  # it takes them, and answers too late
    worker = start_worker()
    bulk_notice()
    wait_until(lambda: nothing_pending(), timeout=30, workers=[worker], what="the timeout")
    time.sleep(LEASE_SECONDS + 2)  # beat ran several times past the lease and the retry back-off
    assert gateway.requests == 1
    assert_each_got_exactly_one(gateway, customer_ids)
    assert set(OutboundMessage.objects.values_list("status", "reason_code", "reason")) == {
        (Status.UNKNOWN, reasons.TIMEOUT, "")}

    receipts_for_what_the_gateway_received(gateway)  # its receipts settle them
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert gateway.requests == 1


def test_an_opted_out_customer_in_the_filter_is_counted_as_excluded_and_never_sent(gateway, start_worker, beat):
    customer_ids = archive(30)
    refusing = Customer.objects.filter(pk__in=customer_ids[:3])
    for customer in refusing:
        contact_preference_set(customer=customer, channel=ContactPreference.Channel.SMS,
                               purpose=ContactPreference.Purpose.MARKETING, allowed=False,
                               reason="电话里说不要促销短信", by=None)
    worker = start_worker()
    bulk = bulk_notice(purpose=Purpose.MARKETING)
    assert (bulk.recipients, bulk.excluded) == (27, {"opted_out": 3})
    wait_until(lambda: nothing_pending() and len(gateway.counts()) == 27, timeout=30, workers=[worker])
    assert_each_got_exactly_one(gateway, customer_ids[3:])
    refusing_phones = {customer.mobile for customer in refusing}
    assert not refusing_phones & set(gateway.phones.values())
    assert not OutboundMessage.objects.filter(customer_id__in=customer_ids[:3]).exists()


# --- two senders at once, on PostgreSQL ----------------------------------------------------------
def run_together(n: int, call) -> list:
    """`call()` in n threads at once, each on its own database connection."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(index):
        try:
            barrier.wait(10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_dispatchers_at_once_send_each_message_once(gateway, broker, sms_settings):
    customer_ids = archive(1000)
    bulk_notice()  # its dispatch tasks wait in our Redis, which no worker reads
    outcomes = run_together(2, lambda: services.dispatch(gateway=HttpGateway(gateway.url, batch_size=50),
                                                         budget_seconds=60).outcomes)
    assert sum(outcome["accepted"] for outcome in outcomes) == 1000
    assert all(outcome["accepted"] for outcome in outcomes)  # both sent: they really ran side by side
    assert_each_got_exactly_one(gateway, customer_ids)
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 1000


def test_beat_firing_twice_at_once_sends_each_message_once_and_sweeps_each_stale_claim_once(
        gateway, broker, sms_settings):
    customer_ids = archive(300)
    bulk_notice()
    # A sender stopped holding 40 of them long ago: the gateway may have those.
    stale = list(OutboundMessage.objects.order_by("id").values_list("id", flat=True)[:40])
    OutboundMessage.objects.filter(id__in=stale).update(
        status=Status.SENDING, claimed_at=OutboundMessage.objects.get(pk=stale[0]).created_at.replace(year=2025))
    results = run_together(2, tasks.dispatch_minutely_task)
    assert sum(result["in_doubt"] for result in results) == 40
    assert sum(result.get("accepted", 0) for result in results) == 260
    assert gateway.duplicates() == {}
    assert {int(message_id) for message_id in gateway.counts()} == set(
        OutboundMessage.objects.exclude(id__in=stale).values_list("id", flat=True))
    assert set(OutboundMessage.objects.filter(id__in=stale).values_list("status", flat=True)) == {Status.UNKNOWN}
    assert len(customer_ids) == OutboundMessage.objects.count()


def test_twenty_threads_queueing_the_same_key_make_one_row(sms_settings, broker):
    (customer_id,) = archive(1)
    outcomes = run_together(20, lambda: services.message_queue(
        customer_id=customer_id, purpose=Purpose.SERVICE, text="您的车已修好，可以来取车了。",
        idempotency_key=f"repair-done:{customer_id}:ro:77:2026-12-01"))
    assert OutboundMessage.objects.count() == 1
    assert sum(outcome.created for outcome in outcomes) == 1
    assert {outcome.message.pk for outcome in outcomes} == {OutboundMessage.objects.get().pk}


def test_a_batch_costs_the_same_few_queries_whatever_its_size_so_the_claim_is_soon_followed_by_the_request(
        gateway, broker, sms_settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    archive(110)
    bulk_notice(purpose=Purpose.MARKETING)  # marketing: the refusals are read again at the claim
    queries = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as captured:
            claimed = services.claim(batch_size=size, gateway_name="http")
            claim_queries = len(captured)
            services.send_claimed(gateway=HttpGateway(gateway.url, batch_size=size), messages=claimed)
        assert len(claimed) == size
        queries.append((claim_queries, len(captured)))
    assert queries[0] == queries[1]
    assert queries[1][0] <= 7  # the claim: its transaction, the rows, the refusals, the update
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 110
