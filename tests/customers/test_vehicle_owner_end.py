"""vehicle_owner_end: a sold or scrapped car's owner role ends with no new owner in the archive."""

from datetime import date

import pytest

from customers.models import TimelineEntry, VehicleRole
from customers.services import ArchiveError, vehicle_owner_end
from tests.customers.factories import CustomerFactory, make_vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def car():
    return make_vehicle(CustomerFactory(name="王磊"), serial=960_001, plate="皖C55555", delivered=date(2025, 3, 1))


def test_the_owner_role_ends_on_the_day_and_stays_in_the_archive(car, supervisor):
    role = vehicle_owner_end(vehicle=car, on=date(2026, 5, 6), by=supervisor, reason="客户来电：车已卖给朋友")
    assert role.ended_on == date(2026, 5, 6)
    assert not VehicleRole.objects.filter(vehicle=car, kind="owner", ended_on__isnull=True).exists()
    assert VehicleRole.objects.filter(vehicle=car).count() == 1
    last = role.history.first()
    assert (last.history_user, last.history_change_reason, last.ended_on) == (supervisor, "客户来电：车已卖给朋友",
                                                                              date(2026, 5, 6))


def test_the_former_owners_timeline_says_so(car, supervisor):
    role = vehicle_owner_end(vehicle=car, on=date(2026, 5, 6), by=supervisor)
    entry = TimelineEntry.objects.get(customer=role.customer, kind="ownership")
    assert entry.text.title == f"不再是 {car} 的车主"
    assert entry.created_by == supervisor and entry.vehicle == car


def test_a_car_without_an_owner_has_nothing_to_end(car, supervisor):
    vehicle_owner_end(vehicle=car, on=date(2026, 5, 6), by=supervisor)
    assert vehicle_owner_end(vehicle=car, on=date(2026, 5, 7), by=supervisor) is None
    assert TimelineEntry.objects.filter(kind="ownership").count() == 1


def test_the_end_cannot_be_before_the_owner_started(car, supervisor):
    with pytest.raises(ArchiveError):
        vehicle_owner_end(vehicle=car, on=date(2025, 2, 1), by=supervisor)
    assert VehicleRole.objects.get(vehicle=car).ended_on is None
