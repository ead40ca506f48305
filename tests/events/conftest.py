"""The events' personas and records: the marketing organiser, the door host, an event two weeks ahead
with the store's clock at a Tuesday morning, customers with cars, members and preferences."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.accounts.roles import Role
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # a Tuesday, 10:00 in the store
EVENT_START = datetime(2026, 12, 12, 14, 0, tzinfo=TZ)  # a Saturday afternoon
_serials = count(900_000)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def clock():
    """The store's clock at NOW (ticking off: what a test sees is what it set)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def marketing(db):
    return UserFactory(username="marketing_zhou", display_name="周敏", roles=[Role.MARKETING])


@pytest.fixture
def door(db):
    """A DCRC agent at the door (EVENT_DOOR)."""
    return UserFactory(username="door_wu", display_name="吴婷", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def invitation_defaults(db):
    """The invitation call's rule and text the migration ships (also after a transactional test emptied them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("events.migrations.0003_invitation_defaults").create(apps, None)
    from dealer_crm.messaging.models import SmsTemplate

    return SmsTemplate.objects.get(key="event_invitation")


def customer_with_car(*, name: str = "张伟", mobile: str | None = None, brand: str = "renault",
                      model_name: str = "科雷傲", ended: bool = False, **fields):
    from customers.models import Customer, VehicleRole

    customer = CustomerFactory(name=name, **({"mobile": mobile} if mobile is not None else {}), **fields)
    vehicle = make_vehicle(customer, serial=next(_serials), model_name=model_name)
    if brand != "renault":
        type(vehicle).objects.filter(pk=vehicle.pk).update(brand=brand)
    if ended:
        VehicleRole.objects.filter(vehicle=vehicle).update(ended_on=date(2026, 6, 1))
    return Customer.objects.get(pk=customer.pk)


def enrol(customer, *, tier=None, status: str = "active"):
    from customers.membership.models import Member

    return Member.objects.create(customer=customer, joined_on=date(2025, 1, 1), tier=tier, status=status)


def tier(name: str, threshold: int):
    from customers.membership.models import Tier

    return Tier.objects.get_or_create(name=name, defaults={"threshold": threshold})[0]


def refuse(customer, *, channel: str, purpose: str):
    from customers.models import ContactPreference

    return ContactPreference.objects.create(customer=customer, channel=channel, purpose=purpose, allowed=False,
                                            recorded_on=date(2026, 11, 1))


@pytest.fixture
def make_event(marketing):
    def _make(**fields):
        from events.services import event_create

        values = {"title": "科雷傲车主日", "kind": "owners_day", "starts_at": EVENT_START,
                  "ends_at": EVENT_START + timedelta(hours=3), "venue": "展厅二楼", "budget": Decimal("20000")}
        return event_create(by=marketing, **(values | fields))

    return _make
