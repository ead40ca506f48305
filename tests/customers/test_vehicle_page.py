"""The vehicle page: its owner in the breadcrumb, amounts as invoices print them, and cards that say
they are empty instead of showing nothing."""

from datetime import date
from decimal import Decimal

import pytest

from customers import services
from customers.amounts import format_yuan
from customers.models import Vehicle, VehicleRole
from tests.customers.factories import make_vehicle


@pytest.fixture
def vehicle(agent):
    owner = services.customer_create(by=agent, name="张三", mobile="13812345678")
    vehicle = make_vehicle(owner, serial=1, plate="皖C12345", by=agent)
    services.vehicle_update(vehicle=vehicle, by=agent, invoice_amount=Decimal("194800"))
    services.service_visit_record(vehicle=vehicle, ro_number="RO1", opened_on=date(2026, 4, 1), kind="first",
                                  total_amount=Decimal("1234.5"))
    return vehicle


def card(body: str, title: str) -> str:
    start = body.index(f">{title}</h2>")
    return body[start:body.index("</section>", start)]


@pytest.mark.parametrize(("amount", "shown"), [(Decimal("194800"), "¥194,800.00"), (Decimal("0"), "¥0.00"),
                                               (Decimal("1234567.5"), "¥1,234,567.50"), (None, "—")])
def test_amounts_are_grouped_in_thousands(amount, shown):
    assert format_yuan(amount) == shown


@pytest.mark.django_db
def test_the_amounts_have_thousands_separators(login, agent, vehicle):
    client = login(agent)
    body = client.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert "¥194,800.00" in card(body, "车辆") and "¥1,234.50" in card(body, "维修记录")
    owner = vehicle.roles.get().customer
    assert "¥1,234.50" in client.get(f"/customers/{owner.pk}/").content.decode()  # the visit on the timeline


@pytest.mark.django_db
def test_the_breadcrumb_names_the_owner(login, agent, vehicle):
    owner = vehicle.roles.get().customer
    body = login(agent).get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    breadcrumb = body[body.index('class="breadcrumb'):body.index("</ol>")]
    assert f'<a href="/customers/{owner.pk}/">张三</a>' in breadcrumb


@pytest.mark.django_db
def test_an_empty_history_says_so(login, agent, vehicle):
    Vehicle.history.filter(id=vehicle.pk).delete()  # e.g. a car that came in before the history was kept
    VehicleRole.history.filter(vehicle_id=vehicle.pk).delete()
    body = login(agent).get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert "没有变更记录。" in card(body, "变更历史")
