"""Membership's shipped rows (the four tiers and the points rules of migration 0003) for every test
here, also after a transactional test's flush emptied them; and the helpers the tests share: a
member's customer with a car, paid repair orders, a member with points."""

import itertools
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import _is_transactional

_serials = itertools.count(700_000)


def membership_defaults() -> None:
    from importlib import import_module

    from django.apps import apps

    import_module("customers.membership.migrations.0003_defaults").create(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        membership_defaults()


@pytest.fixture(autouse=True)
def _membership_rows(request, _shipped_rows):
    if _is_transactional(request):
        membership_defaults()


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def customer_with_car(name: str = "王建华", *, delivered: date = date(2024, 3, 1)):
    """A customer of the archive with one car they own; returns (customer, vehicle)."""
    from tests.customers.factories import CustomerFactory, make_vehicle

    customer = CustomerFactory(name=name)
    vehicle = make_vehicle(customer, serial=next(_serials), delivered=delivered)
    return customer, vehicle


def paid_visit(vehicle, *, on: date, total: str | Decimal = "1000.00", kind: str = "scheduled", customer=None,
               closed: bool = True):
    """A repair order of `kind` opened and closed on `on` for `total` yuan (the archive's own service)."""
    from customers.services import service_visit_record

    total = Decimal(total)
    return service_visit_record(vehicle=vehicle, customer=customer, ro_number=f"RO{next(_serials)}", opened_on=on,
                                closed_on=on if closed else None, kind=kind, mileage=10_000,
                                labour_amount=total / 2, parts_amount=total - total / 2, total_amount=total)


def member_with_points(points: int, *, joined: date = date(2025, 1, 2), name: str = "王建华", now=None):
    """A member holding `points` usable points, earned from one paid scheduled maintenance (1 point a yuan)."""
    from customers.membership.services import member_enrol, points_earn_visit

    customer, vehicle = customer_with_car(name)
    member = member_enrol(customer=customer, by=None, on=joined, now=at(joined))
    if points:
        visit = paid_visit(vehicle, on=joined, total=str(points))
        points_earn_visit(visit=visit, now=now or at(joined, 18))
    member.refresh_from_db()
    return member


@pytest.fixture
def interviewer(db):
    from dealer_crm.accounts.roles import Role
    from tests.factories import UserFactory

    return UserFactory(username="interviewer_zhou", display_name="周敏", roles=[Role.INTERVIEWER])


@pytest.fixture
def reward_factory(db):
    from customers.membership.models import Reward

    def make(name="车载香薰", *, points=2000, stock=10, kind=Reward.Kind.ACCESSORY, active=True):
        return Reward.objects.create(name=name, points=points, stock=stock, kind=kind, active=active)

    return make
