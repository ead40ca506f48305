"""The demo store behaves like a real one: checked with SQL over a small seeded store."""

import hashlib
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F

from customers.demo import (
    FIRST_MAINTENANCE_GRACE_DAYS,
    MAINTENANCE_INTERVALS,
    WRITTEN,
    seed_customers,
)
from customers.models import Customer, ServiceVisit, Vehicle, VehicleRole

TODAY = date(2026, 11, 30)
MAINTENANCE = ("first", "scheduled")


@pytest.fixture
def store(db):
    seed_customers(count=300, seed=5, today=TODAY)
    return TODAY


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _visits_in_order() -> dict[int, list[ServiceVisit]]:
    by_vehicle: dict[int, list[ServiceVisit]] = {}
    for visit in ServiceVisit.objects.order_by("vehicle_id", "opened_on", "id"):
        by_vehicle.setdefault(visit.vehicle_id, []).append(visit)
    return by_vehicle


def test_the_mileage_of_a_car_grows_with_every_visit(store):
    going_back = _rows("""
        SELECT id FROM (
            SELECT id, mileage, LAG(mileage) OVER (PARTITION BY vehicle_id ORDER BY opened_on, id) AS before
            FROM customers_servicevisit) v
        WHERE mileage <= before""")
    assert going_back == []
    assert not ServiceVisit.objects.filter(mileage__isnull=True).exists()


def test_each_car_is_driven_at_its_own_pace(store):
    delivered = dict(Vehicle.objects.values_list("id", "delivery_date"))
    paces = []
    for vehicle_id, visits in _visits_in_order().items():
        days = (visits[-1].opened_on - delivered[vehicle_id]).days
        if days >= 60:
            paces.append(visits[-1].mileage / days)
    assert 5 <= min(paces) and max(paces) <= 160
    assert len({round(pace) for pace in paces}) > 40  # not one pace for every car
    assert sum(20 <= pace <= 80 for pace in paces) / len(paces) > 0.75


def test_no_visit_opens_before_its_car_was_delivered(store):
    assert _rows("""
        SELECT v.id FROM customers_servicevisit v JOIN customers_vehicle c ON c.id = v.vehicle_id
        WHERE v.opened_on < c.delivery_date""") == []


def test_a_car_comes_in_at_most_once_a_day_and_after_it_left(store):
    assert _rows("""
        SELECT vehicle_id, opened_on FROM customers_servicevisit
        GROUP BY vehicle_id, opened_on HAVING COUNT(*) > 1""") == []
    assert _rows("""
        SELECT id FROM (
            SELECT id, opened_on, LAG(closed_on) OVER (PARTITION BY vehicle_id ORDER BY opened_on, id) AS left_on
            FROM customers_servicevisit) v
        WHERE opened_on <= left_on""") == []


def test_a_visit_closes_on_its_day_or_the_next_as_a_rule_never_before_it_opened(store):
    assert not ServiceVisit.objects.filter(closed_on__lt=F("opened_on")).exists()
    assert not ServiceVisit.objects.filter(closed_on__gt=store).exists()
    [(quick, closed)] = _rows("""
        SELECT SUM(CASE WHEN closed_on - opened_on <= 1 THEN 1 ELSE 0 END), COUNT(*)
        FROM customers_servicevisit WHERE closed_on IS NOT NULL""")
    assert quick / closed > 0.8
    still_in = ServiceVisit.objects.filter(closed_on__isnull=True)
    assert not still_in.filter(opened_on__lt=store - timedelta(days=15)).exists()


def test_the_first_maintenance_comes_once_20_to_110_days_after_delivery(store):
    assert _rows("""
        SELECT vehicle_id FROM customers_servicevisit WHERE kind = 'first'
        GROUP BY vehicle_id HAVING COUNT(*) > 1""") == []
    firsts = ServiceVisit.objects.filter(kind="first").select_related("vehicle")
    assert firsts.count() > 100
    for visit in firsts:
        days = (visit.opened_on - visit.vehicle.delivery_date).days
        interval = MAINTENANCE_INTERVALS[visit.vehicle.model_name]
        assert 20 <= days <= interval.first_days + FIRST_MAINTENANCE_GRACE_DAYS
        if visit.vehicle.brand == Vehicle.Brand.RENAULT:
            assert days <= 110
    later = _rows("""
        SELECT f.id FROM customers_servicevisit f JOIN customers_servicevisit e
          ON e.vehicle_id = f.vehicle_id AND e.kind IN ('first', 'scheduled') AND e.opened_on < f.opened_on
        WHERE f.kind = 'first'""")
    assert later == []  # no maintenance before the first one


def test_punctual_owners_come_back_about_one_interval_later_and_some_are_late(store):
    ratios = []
    models = dict(Vehicle.objects.values_list("id", "model_name"))
    for vehicle_id, visits in _visits_in_order().items():
        interval = MAINTENANCE_INTERVALS[models[vehicle_id]]
        maintenance = [visit for visit in visits if visit.kind in MAINTENANCE]
        for before, after in zip(maintenance, maintenance[1:]):
            ratios.append(max((after.mileage - before.mileage) / interval.every_km,
                              (after.opened_on - before.opened_on).days / interval.every_days))
    assert len(ratios) > 200
    assert min(ratios) >= 0.5  # nobody comes at half the interval
    on_time = sum(0.8 <= ratio <= 1.25 for ratio in ratios) / len(ratios)
    late = sum(ratio > 1.25 for ratio in ratios) / len(ratios)
    assert on_time > 0.5
    assert 0.1 < late < 0.5


def test_some_customers_have_lapsed_for_6_12_and_18_months(store):
    # Customers whose cars are all over two years old: when did they last come?
    rows = _rows("""
        SELECT c.id, c.last_visit_on FROM customers_customer c
        WHERE NOT EXISTS (SELECT 1 FROM customers_vehiclerole r JOIN customers_vehicle v ON v.id = r.vehicle_id
                          WHERE r.customer_id = c.id AND v.delivery_date > %s)""", [store - timedelta(days=730)])
    assert len(rows) > 50

    def share(months_from, months_to=None):
        newest, oldest = store - timedelta(days=round(months_from * 30.44)), (
            store - timedelta(days=round(months_to * 30.44)) if months_to else date.min)
        return sum(1 for _id, last in rows if last and oldest < last <= newest) / len(rows)

    assert share(6, 12) > 0.03
    assert share(12, 18) > 0.03
    assert share(18) > 0.05
    assert 1 - share(12) > 0.5  # most came within the last year


def test_some_cars_were_sold_and_some_customers_moved(store):
    sold = Vehicle.objects.filter(roles__kind="owner", roles__ended_on__isnull=False)
    assert sold.exists()
    assert all("已转卖" in role.customer.note for role in VehicleRole.objects.filter(ended_on__isnull=False))
    assert not ServiceVisit.objects.filter(vehicle__in=sold, vehicle__roles__ended_on__lt=F("opened_on")).exists()
    assert Customer.objects.filter(note__contains="迁居").exists()


def test_cars_were_delivered_on_each_of_the_last_7_days_and_over_3_years(store):
    recent = set(Vehicle.objects.filter(delivery_date__gt=store - timedelta(days=7))
                 .values_list("delivery_date", flat=True))
    assert recent == {store - timedelta(days=n) for n in range(7)}
    renault = Vehicle.objects.filter(brand=Vehicle.Brand.RENAULT)
    assert renault.filter(delivery_date__lt=store - timedelta(days=900)).exists()
    assert not renault.filter(delivery_date__lt=store - timedelta(days=3 * 365 + 1)).exists()
    assert not Vehicle.objects.filter(delivery_date__gt=store).exists()


def test_repair_orders_were_closed_on_each_of_the_last_3_days(store):
    closed = set(ServiceVisit.objects.filter(closed_on__gt=store - timedelta(days=3))
                 .values_list("closed_on", flat=True))
    assert closed == {store, store - timedelta(days=1), store - timedelta(days=2)}


def test_accidents_and_bodywork_are_a_minority_among_all_kinds_of_visit(store):
    kinds = dict(_rows("SELECT kind, COUNT(*) FROM customers_servicevisit GROUP BY kind"))
    assert set(kinds) == set(ServiceVisit.Kind.values)
    total = sum(kinds.values())
    assert (kinds["accident"] + kinds["bodywork"]) / total < 0.15
    assert (kinds["first"] + kinds["scheduled"]) / total > 0.5


def test_a_customers_last_visit_is_their_latest_visit(store):
    assert _rows("""
        SELECT c.id FROM customers_customer c
        LEFT JOIN (SELECT customer_id, MAX(opened_on) AS latest FROM customers_servicevisit GROUP BY customer_id) v
          ON v.customer_id = c.id
        WHERE c.last_visit_on IS DISTINCT FROM v.latest""") == []


def _digest() -> str:
    digest = hashlib.sha256()
    for model in WRITTEN:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("created_at", "updated_at")]
        manager = model.all_objects if model is Customer else model.objects
        for row in manager.order_by("id").values_list(*names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _empty_the_store() -> None:
    with connection.cursor() as cursor:
        for model in reversed(WRITTEN):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_store_and_another_seed_another():
    seed_customers(count=120, seed=9, today=TODAY)
    first = _digest()
    _empty_the_store()
    seed_customers(count=120, seed=9, today=TODAY)
    assert _digest() == first
    _empty_the_store()
    seed_customers(count=120, seed=10, today=TODAY)
    assert _digest() != first
