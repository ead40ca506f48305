"""The search is no oracle for a masked number: a role that sees 188****4818 cannot learn the
hidden digits by searching endings one digit longer at a time, and the phone searches that could
still be guessed with are audited and limited."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers import services
from customers.search import customer_search
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from tests.factories import UserFactory

NUMBER = "18812344818"
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def customer(db):
    return services.customer_create(by=None, name="钱多多", mobile=NUMBER)


@pytest.fixture
def marketing(db):
    return UserFactory(username="marketing_sun", roles=[Role.MARKETING])


def found(client, query) -> bool:
    """In the results, or opened directly (a whole number that one customer has)."""
    response = client.get("/customers/search/", {"q": query}, follow=True)
    assert response.status_code == 200
    return "钱多多" in response.content.decode()


@pytest.mark.parametrize("persona", ["general_manager", "marketing"])
def test_a_role_that_sees_masked_numbers_learns_nothing_from_endings(request, client, customer, persona):
    """The attack: with the last four shown, try each fifth digit and watch who is still found."""
    client.force_login(request.getfixturevalue(persona))
    assert [digit for digit in "0123456789" if found(client, digit + NUMBER[-4:])] == []
    assert not found(client, NUMBER[-4:]) and not found(client, NUMBER[-7:])
    page = client.get("/customers/search/", {"q": "44818"}).content.decode()
    assert "角色" in page and "完整号码" in page  # it says why, and what works instead


@pytest.mark.parametrize("persona", ["general_manager", "marketing"])
def test_every_role_finds_a_customer_by_the_whole_number_and_sees_it_masked(request, client, customer, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/customers/search/", {"q": "+86 188-1234-4818"}, follow=True)
    assert response.redirect_chain == [(f"/customers/{customer.pk}/", 302)]  # one customer: their page opens
    page = response.content.decode()
    assert "钱多多" in page and "188****4818" in page and NUMBER not in page
    assert AuditEvent.objects.get(action=AuditEvent.Action.PHONE_SEARCH).detail == {
        "match": ["number"], "digits": 11, "results": 1}


def test_an_agent_finds_by_the_last_four_and_each_such_search_is_audited(client, agent, customer):
    client.force_login(agent)
    assert found(client, "4818")
    event = AuditEvent.objects.get(action=AuditEvent.Action.PHONE_SEARCH)
    assert (event.actor, event.detail) == (agent, {"match": ["ending"], "digits": 4, "results": 1})
    assert found(client, NUMBER)  # a whole number is no guess for a role that may reveal it anyway
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_SEARCH).count() == 1


def test_names_and_plates_are_not_audited_as_phone_searches(client, general_manager, customer):
    client.force_login(general_manager)
    assert found(client, "钱多多") and found(client, "qdd")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_SEARCH).exists()


def test_phone_searches_are_limited_per_hour_and_come_back_after_it(client, agent, customer, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 3
    with time_machine.travel(NOON, tick=False):
        client.force_login(agent)
        assert [found(client, "4818") for _ in range(4)] == [True, True, True, False]
        page = client.get("/customers/search/", {"q": "4818"}).content.decode()
        assert "最近一小时" in page and "3" in page
        assert found(client, "钱多多")  # names still work
    with time_machine.travel(NOON + timedelta(minutes=59), tick=False):
        client.force_login(agent)  # an hour idle ends the session: a new one, the same person
        assert not found(client, "4818")
    with time_machine.travel(NOON + timedelta(minutes=61), tick=False):
        client.force_login(agent)
        assert found(client, "4818")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_SEARCH).count() == 4


def test_whole_number_guessing_by_a_masked_role_is_limited_too(client, general_manager, customer, settings):
    """Ten thousand guesses of the four hidden digits would find the number: they hit the limit."""
    settings.PHONE_SEARCHES_PER_HOUR = 5
    client.force_login(general_manager)
    guesses = [f"188{n:04d}4818" for n in range(1229, 1235)]  # the sixth is the right one
    assert [found(client, guess) for guess in guesses] == [False] * 6


def test_the_limit_is_per_person(client, agent, customer, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 1
    colleague = UserFactory(username="agent_zhou", roles=[Role.CALLBACK_AGENT])
    client.force_login(agent)
    assert found(client, "4818") and not found(client, "4818")
    client.force_login(colleague)
    assert found(client, "4818")


def test_a_search_ending_in_the_last_code_point_is_answered(db, client, general_manager):
    services.customer_create(by=None, name="张三", mobile="13800000001")
    client.force_login(general_manager)
    for query in ["皖Z\U0010FFFF", "张\U0010FFFF", "zs\U0010FFFF"]:
        assert client.get("/customers/search/", {"q": query}).status_code == 200
    assert customer_search(query="张\U0010FFFF") == []
