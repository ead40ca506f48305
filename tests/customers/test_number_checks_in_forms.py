"""Forms that look a typed number up in the archive are phone searches too, for a role that sees
numbers masked (the store's admin may add customers and change owners): each check is audited and
the same hourly limit applies, so guessing the four masked digits through a form stops there."""

import pytest

from customers import services
from customers.models import Customer
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import make_vehicle

NUMBER = "18823074819"


@pytest.fixture
def customer(db):
    customer = services.customer_create(by=None, name="付跃宇", mobile=NUMBER)
    make_vehicle(customer, serial=4711)
    return customer


def new_customer(client, **fields):
    data = {"name": "探针", "gender": "", "importance": "normal", "source": "other", "birthday": "2999-01-01"} | fields
    return client.post("/customers/new/", data).content.decode()


def checks():
    return AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_SEARCH)


def test_the_duplicate_mobile_check_counts_as_a_phone_search_and_stops_at_the_limit(login, admin_user, customer,
                                                                                      settings):
    settings.PHONE_SEARCHES_PER_HOUR = 3
    client = login(admin_user)
    guesses = ["18823074810", "18823074811", "18823074812", NUMBER]  # the right one comes fourth
    pages = [new_customer(client, mobile=guess) for guess in guesses]
    assert ["付跃宇" in page for page in pages] == [False, False, False, False]
    assert "最近一小时" in pages[-1]
    assert [event.detail for event in checks()] == [{"match": ["number"], "digits": 11, "via": "customer_form"}] * 3
    assert not Customer.objects.filter(name="探针").exists()


def test_the_referrer_lookup_counts_too(login, admin_user, customer, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 1
    client = login(admin_user)
    assert "没有客户" in new_customer(client, mobile="", referrer_phone="18823074810")
    blocked = new_customer(client, mobile="", referrer_phone=NUMBER)
    assert "最近一小时" in blocked and "付跃宇" not in blocked
    assert [event.detail["via"] for event in checks()] == ["referrer"]


def test_the_new_owner_lookup_counts_too(login, admin_user, customer, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 2
    services.customer_create(by=None, name="钱多多", mobile="13712345678")
    vehicle = customer.vehicle_roles.get().vehicle
    client = login(admin_user)
    path = f"/customers/vehicles/{vehicle.pk}/owner/"
    for guess in ("13712345670", "13712345671"):
        assert "钱多多" not in client.post(path, {"new_owner_phone": guess, "on": "2026-01-01"}).content.decode()
    page = client.post(path, {"new_owner_phone": "13712345678", "on": "2026-01-01"}).content.decode()
    assert "最近一小时" in page and "钱多多" not in page
    assert [event.detail["via"] for event in checks()] == ["owner_change"] * 2


def test_a_role_that_may_reveal_checks_numbers_unaudited_and_unlimited(login, agent, customer, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 1
    client = login(agent)
    for _ in range(3):
        assert "付跃宇" in new_customer(client, mobile=NUMBER)
    assert not checks().exists()


def test_an_id_number_shows_as_little_in_the_history_as_on_the_page(login, agent, general_manager):
    """First 3 and last 4 everywhere: the history must not show a digit more than the page."""
    customer = services.customer_create(by=agent, name="周敏", mobile="13912345678", id_number="340102199001011234")
    services.customer_update(customer=customer, by=agent, id_number="340102199202021238")
    client = login(general_manager)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    history = client.get(f"/customers/{customer.pk}/history/").content.decode()
    assert "340***********1238" in page
    assert "340***********1234" in history and "340***********1238" in history
    assert "3401" not in history.replace("340***", "")
