"""The invitation call on the callback workbench: the event the store invites to, and the answer with
the party size recorded from the call (refused beyond the places, the form kept), only by who holds it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealer_crm.accounts.roles import Role
from events import selectors, services
from events.models import Invitation
from followups.callbacks.models import Callback
from followups.callbacks.services.calls import callback_claim
from tests.events.conftest import customer_with_car
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_event, clock, marketing, invitation_defaults):
    event = make_event(capacity=10, description="新款科雷傲试驾，现场抽奖")
    services.event_audience_set(event=event, filters={}, by=marketing)
    return event


@pytest.fixture
def call(event, marketing, agent):
    """The invitation call of 王建华, taken by the agent."""
    customer = customer_with_car(name="王建华", mobile="13955501234")
    services.invitations_create(event=event, by=marketing)
    services.invitations_call(event=event, by=marketing)
    callback = Callback.objects.get(customer=customer, kind="invitation")
    callback_claim(callback=callback, agent=agent)
    return callback


def page(client, callback) -> str:
    response = client.get(reverse("callbacks:callback_detail", args=[callback.pk]))
    assert response.status_code == 200
    return response.content.decode()


def panel(body: str) -> str:
    found = re.search(r'<div class="card-body py-2 small" id="event-invitation">.*?</form>|'
                      r'<div class="card-body py-2 small" id="event-invitation">.*?</dl>', body, re.S)
    assert found, "no invitation panel"
    return found.group(0)


def answer_url(callback) -> str:
    return reverse("callbacks:callback_extra", args=[callback.pk, "event-invitation", "answer"])


def test_the_call_shows_the_event_when_where_and_the_places_left(login, agent, call):
    shown = panel(page(login(agent), call))
    assert "科雷傲车主日" in shown and "车主日" in shown
    assert "2026-12-12 14:00" in shown or "2026年12月12日" in shown
    assert "展厅二楼" in shown and "新款科雷傲试驾，现场抽奖" in shown
    assert re.search(r'id="invitation-places">\s*10 / 10', shown)
    assert 'id="invitation-answer-form"' in shown
    assert "未答复" in shown


def test_the_answer_and_party_size_are_recorded_from_the_call(login, agent, call, event):
    client = login(agent)
    response = client.post(answer_url(call), {"rsvp": "yes", "party_size": "3", "note": "带孩子来"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(callback=call)
    assert (invitation.rsvp, invitation.party_size, invitation.note) == ("yes", 3, "带孩子来")
    assert selectors.event_counts(event=event)["expected_guests"] == 3
    shown = panel(page(client, call))
    assert re.search(r'id="invitation-answer">出席 · 3 人', shown)


def test_a_party_beyond_the_places_is_refused_in_chinese_and_the_form_kept(login, agent, call, event, marketing):
    other = customer_with_car(name="李四")
    services.invitations_create(event=event, by=marketing)
    services.invitation_answer(invitation=Invitation.objects.get(customer=other), rsvp="yes", party_size=8,
                               by=marketing)
    response = login(agent).post(answer_url(call), {"rsvp": "yes", "party_size": "4", "note": "全家"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "活动仅剩 2 个名额。" in body
    assert 'value="4"' in body and 'value="全家"' in body
    assert Invitation.objects.get(callback=call).rsvp == "pending"


def test_only_who_holds_the_call_records_the_answer(login, call, colleague):
    other_agent = UserFactory(username="agent_wu", display_name="吴敏", roles=[Role.CALLBACK_AGENT])
    assert login(other_agent).post(answer_url(call), {"rsvp": "no"}).status_code == 403
    assert login(colleague).post(answer_url(call), {"rsvp": "no"}).status_code == 403
    assert Invitation.objects.get(callback=call).rsvp == "pending"


def test_a_cancelled_event_shows_without_the_form(login, agent, call, event, marketing):
    services.event_cancel(event=event, by=marketing, reason="场地冲突")
    Callback.objects.filter(pk=call.pk).update(status="in_progress")  # still on the agent's screen
    body = page(login(agent), call)
    assert 'id="invitation-closed"' in body and 'id="invitation-answer-form"' not in body


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_panel_costs_the_same_queries_whatever_the_guest_list(login, agent, call, event, marketing):
    client = login(agent)
    url = reverse("callbacks:callback_detail", args=[call.pk])
    _queries(client, url)  # the first view of the session writes it
    few = _queries(client, url)
    for n in range(5):
        customer_with_car(name=f"客户{n}")
    services.invitations_create(event=event, by=marketing)
    for invitation in Invitation.objects.exclude(callback=call)[:3]:
        services.invitation_answer(invitation=invitation, rsvp="yes", party_size=1, by=marketing)
    assert _queries(client, url) == few
