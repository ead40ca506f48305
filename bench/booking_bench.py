"""Booking benchmark: many agents booking the last places of one slot at the same moment.

    DATABASE_URL=postgres://.../db .venv/bin/python bench/booking_bench.py [--threads 20] [--free 5] [--rounds 3]

Needs a demo store (`manage.py seed_demo --customers N`: its customers, vehicles and the appointment
defaults of the migrations). The store's slots of the next days are made first (`slots_ensure`), so
a full slot has next free slots to offer. Each round makes a slot of its own at 10:00 on the next
open day (one more day each round), on a resource kept for the benchmark (压测工位, with no
capacities, so the daily job makes it no slots), with `--free` + 3 places, and books 3 of them one
after the other (so the race is for the last `--free` places of a slot already in use). Then
`--threads` threads, each with its own database connection and its own customer and vehicle, are
released together by a barrier and call `appointment_book` once. Each thread records whether it
booked or got `SlotFull` (with its message and how many next free slots it offered) or anything
else, and how long its call took. The round checks from the database that the slot holds exactly
its places, that it has as many booked appointments as it says, and that exactly `--free` threads
succeeded. The benchmark's rows (the resource, its slots, their appointments, their SMS and
timeline entries) are removed at the end unless `--keep`.
"""

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from customers.models import TimelineEntry, VehicleRole  # noqa: E402
from dealer_crm.accounts.models import User  # noqa: E402
from dealer_crm.messaging.models import OutboundMessage  # noqa: E402
from followups.appointments.models import Appointment, ServiceResource, Slot  # noqa: E402
from followups.appointments.calendar import day_type  # noqa: E402
from followups.appointments.services import SlotFull, appointment_book, slots_ensure  # noqa: E402

RESOURCE = "压测工位"


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = os.getloadavg()
    return (f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · PostgreSQL {server} · "
            f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def owners(count: int, *, skip: int) -> list[tuple[int, int]]:
    """(customer, vehicle) of `count` current owners, each customer once, none with a booked appointment."""
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED).values("customer_id")
    rows = (VehicleRole.objects.filter(kind=VehicleRole.Kind.OWNER, ended_on__isnull=True,
                                       customer__merged_into__isnull=True)
            .exclude(customer_id__in=booked).order_by("customer_id", "vehicle_id")
            .values_list("customer_id", "vehicle_id"))
    found, seen = [], set()
    for customer_id, vehicle_id in rows[skip:skip + count * 3].iterator():
        if customer_id not in seen:
            seen.add(customer_id)
            found.append((customer_id, vehicle_id))
        if len(found) == count:
            return found
    sys.exit("Not enough owners in the store: seed_demo --customers N first.")


def bench_slot(resource: ServiceResource, *, day, places: int) -> Slot:
    tz = timezone.get_current_timezone()
    starts = datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=tz)
    slot, _created = Slot.objects.get_or_create(resource=resource, starts_at=starts,
                                                defaults={"day": day, "hour": 10, "places": places, "booked": 0})
    return slot


def book_round(number: int, *, threads: int, free: int, by: User, resource: ServiceResource) -> dict:
    from customers.models import Customer, Vehicle

    day = timezone.localdate() + timedelta(days=1)
    for _open in range(number + 1):
        while day_type(day) is None:  # a holiday or a day the store closed: no bookings
            day += timedelta(days=1)
        if _open < number:
            day += timedelta(days=1)
    slot = bench_slot(resource, day=day, places=free + 3)
    people = owners(threads + 3, skip=number * (threads + 3) * 3)
    customers = Customer.objects.in_bulk([customer_id for customer_id, _vehicle in people])
    vehicles = Vehicle.objects.in_bulk([vehicle_id for _customer, vehicle_id in people])
    for customer_id, vehicle_id in people[:3]:  # the places already taken before the race
        appointment_book(customer=customers[customer_id], vehicle=vehicles[vehicle_id], slot=slot, by=by,
                         source="phone", jobs=["常规保养"], customer_words="压测：先约好的")
    racers = people[3:]
    results: list[tuple[str, float, str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(racers))

    def race(customer_id: int, vehicle_id: int) -> None:
        outcome, message, offered = "error", "", 0
        try:
            target = Slot.objects.get(pk=slot.pk)  # read on this thread's own connection
            barrier.wait()
            started = time.perf_counter()
            try:
                appointment_book(customer=customers[customer_id], vehicle=vehicles[vehicle_id], slot=target, by=by,
                                 source="phone", jobs=["常规保养"], customer_words="压测：抢最后的名额")
                outcome = "booked"
            except SlotFull as full:
                outcome, message, offered = "full", str(full), len(full.suggestions)
            except Exception as error:  # noqa: BLE001 - the benchmark reports whatever went wrong
                message = f"{type(error).__name__}: {error}"
            elapsed = time.perf_counter() - started
            with lock:
                results.append((outcome, elapsed, message, offered))
        finally:
            connections.close_all()  # this thread's own connection

    workers = [threading.Thread(target=race, args=pair) for pair in racers]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    slot.refresh_from_db()
    held = Appointment.objects.filter(slot=slot, status=Appointment.Status.BOOKED).count()
    outcomes = [outcome for outcome, *_rest in results]
    full = [result for result in results if result[0] == "full"]
    return {"slot": slot, "places": slot.places, "booked": slot.booked, "appointments": held, "wall": wall,
            "succeeded": outcomes.count("booked"), "full": outcomes.count("full"), "errors": outcomes.count("error"),
            "times": [elapsed for _outcome, elapsed, *_rest in results],
            "messages": sorted({message for outcome, _e, message, _o in results if outcome != "booked"}),
            "offered": sorted({offered for *_rest, offered in full})}


def clean(resource: ServiceResource) -> None:
    appointments = list(Appointment.objects.filter(slot__resource=resource).values_list("id", flat=True))
    OutboundMessage.objects.filter(idempotency_key__in=[f"appointment-booked:{pk}" for pk in appointments]).delete()
    TimelineEntry.objects.filter(source_type=ContentType.objects.get_for_model(Appointment),
                                 source_id__in=[str(pk) for pk in appointments]).delete()
    Appointment.objects.filter(pk__in=appointments).delete()
    Slot.objects.filter(resource=resource).delete()
    resource.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--free", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"database {connection.settings_dict['NAME']}: {machine()}")
    by = User.objects.filter(username="agent").first() or User.objects.filter(is_active=True).order_by("id").first()
    made = slots_ensure(start=timezone.localdate(), days=9)
    print(f"slots of the next days made: {made}")
    resource, _created = ServiceResource.objects.get_or_create(
        name=RESOURCE, defaults={"kind": ServiceResource.Kind.BAY, "active": True, "position": 999})
    failures = 0
    try:
        for number in range(args.rounds):
            result = book_round(number, threads=args.threads, free=args.free, by=by, resource=resource)
            times = sorted(result["times"])
            ok = (result["succeeded"] == args.free and result["booked"] == result["places"]
                  and result["appointments"] == result["places"] and result["errors"] == 0)
            failures += not ok
            starts = timezone.localtime(result["slot"].starts_at)
            print(f"round {number + 1}: slot {starts:%Y-%m-%d %H:%M}, {result['places']} places "
                  f"(3 taken before), {args.threads} threads at once: {result['succeeded']} booked, "
                  f"{result['full']} SlotFull, {result['errors']} errors; slot booked {result['booked']}/"
                  f"{result['places']}, {result['appointments']} booked appointments — {'OK' if ok else 'WRONG'}")
            print(f"  wall {result['wall'] * 1000:.0f} ms for the {args.threads} calls; per call p50 "
                  f"{statistics.median(times) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
                  f"next free slots offered with SlotFull: {result['offered']}")
            for message in result["messages"]:
                print(f"  said: {message}")
    finally:
        if not args.keep:
            clean(resource)
    print(f"after: {machine()}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
