"""The due state's refresh: the whole archive on the first run (in chunks), then only what changed
since, whoever changed it; the catalogue's intervals per model."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.services import vehicle_change_owner, vehicle_update
from followups.retention.models import RefreshMark, ServiceDue
from followups.retention.services import refresh as refresh_module
from followups.retention.services import service_due_refresh
from tests.followups.factories import CustomerFactory, make_vehicle, service_visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SERIALS = iter(range(870_000, 880_000))


def at(day: date, hour: int = 5, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def car(delivered: date = date(2026, 1, 15), model_name: str = "科雷傲", customer=None):
    with time_machine.travel(at(delivered, 10), tick=False):
        return make_vehicle(customer or CustomerFactory(), serial=next(SERIALS), model_name=model_name, delivered=delivered)


def refresh(day: date) -> dict:
    with time_machine.travel(at(day), tick=False):
        return service_due_refresh()


def test_the_first_refresh_fills_every_vehicle_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(refresh_module, "FILL_CHUNK", 2)
    cars = [car() for _n in range(5)]
    assert refresh(date(2026, 2, 1))["refreshed"] == 5
    assert set(ServiceDue.objects.values_list("vehicle_id", flat=True)) == {c.pk for c in cars}
    mark = RefreshMark.objects.get()
    assert (mark.vehicle_id, mark.filled_at) == (max(c.pk for c in cars), at(date(2026, 2, 1)))


def test_a_second_refresh_with_nothing_new_reads_nothing(django_assert_max_num_queries):
    car()
    refresh(date(2026, 2, 1))
    with django_assert_max_num_queries(12):
        assert refresh(date(2026, 2, 2))["refreshed"] == 0


def test_a_new_car_and_a_new_repair_order_are_read_by_the_next_refresh():
    first = car()
    refresh(date(2026, 2, 1))
    second = car(date(2026, 2, 1))
    with time_machine.travel(at(date(2026, 2, 1), 11), tick=False):
        visit = service_visit(first, on=date(2026, 2, 1), kind="repair", mileage=1200)
    assert refresh(date(2026, 2, 2))["refreshed"] == 2
    assert ServiceDue.objects.get(vehicle=second).due_on == date(2026, 5, 1)
    due = ServiceDue.objects.get(vehicle=first)
    assert (due.last_visit_on, due.last_mileage) == (visit.opened_on, 1200)


def test_a_corrected_delivery_date_is_read_from_the_vehicles_history(supervisor):
    vehicle = car()
    refresh(date(2026, 2, 1))
    with time_machine.travel(at(date(2026, 2, 1), 14), tick=False):
        vehicle_update(vehicle=vehicle, by=supervisor, delivery_date=date(2026, 1, 20))
    assert refresh(date(2026, 2, 2))["refreshed"] == 1
    assert ServiceDue.objects.get(vehicle=vehicle).due_on == date(2026, 4, 20)


def test_a_new_owner_is_the_one_reminded(supervisor):
    vehicle = car()
    refresh(date(2026, 2, 1))
    buyer = CustomerFactory(name="新车主")
    with time_machine.travel(at(date(2026, 2, 1), 14), tick=False):
        vehicle_change_owner(vehicle=vehicle, new_owner=buyer, on=date(2026, 2, 1), by=supervisor)
    refresh(date(2026, 2, 2))
    assert ServiceDue.objects.get(vehicle=vehicle).customer == buyer


def test_the_catalogue_models_intervals_apply_after_the_first_maintenance():
    # 科雷傲 in the store's catalogue: first maintenance at 3 months, then every 12 months or 10,000 km.
    vehicle = car()
    with time_machine.travel(at(date(2026, 4, 10), 10), tick=False):
        service_visit(vehicle, on=date(2026, 4, 10), kind="first", mileage=1700)
    refresh(date(2026, 4, 11))
    due = ServiceDue.objects.get(vehicle=vehicle)
    # 1,700 km in 85 days: 20 km a day; 10,000 km more would take 500 days, after 10 April 2027.
    assert (due.due_on, due.due_by, due.km_per_day) == (date(2027, 4, 10), "time", 20)


def test_given_vehicles_are_recomputed_without_moving_the_mark():
    vehicle = car()
    refresh(date(2026, 2, 1))
    before = RefreshMark.objects.get()
    assert service_due_refresh(vehicle_ids=[vehicle.pk])["refreshed"] == 1
    after = RefreshMark.objects.get()
    assert (after.visit_id, after.vehicle_id, after.updated_at) == (before.visit_id, before.vehicle_id, before.updated_at)
