"""The invitation list: every guest with the channel, the SMS or call, the answer and party size and the
check-in; filtered by answer, channel and check-in; an answer recorded on a row (a yes beyond the places
comes back as typed, in Chinese, on its row); masked phones; 50 a page; fixed query counts."""

from datetime import timedelta

import pytest

from events import services
from events.models import Invitation

from .conftest import EVENT_START, customer_with_car
from .pages_support import html, part, plan, reader, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def guests(marketing, clock):
    event = plan(by=marketing, capacity=5)
    people = {name: customer_with_car(name=name, mobile=f"1390000{n:04d}") for n, name in
              enumerate(["钱来", "孙不", "李或", "周未"])}
    services.invitations_create(event=event, by=marketing)
    inv = {name: event.invitations.get(customer=customer) for name, customer in people.items()}
    services.invitation_answer(invitation=inv["钱来"], rsvp="yes", party_size=3, by=marketing)
    services.invitation_answer(invitation=inv["孙不"], rsvp="no", by=marketing)
    services.invitation_answer(invitation=inv["李或"], rsvp="maybe", by=marketing)
    return event, inv


def test_the_list_shows_each_guest_with_the_answer_and_a_masked_phone(login, marketing, guests):
    event, inv = guests
    page = html(login(marketing).get(url("invitation_list", event.pk)))
    row = part(page, f"invitation-{inv['钱来'].pk}")
    assert "钱来" in row and "139****0000" in row and "13900000000" not in page
    assert '<option value="yes" selected>' in row and 'value="3"' in row
    assert "尚未发出" in text(part(page, f"invitation-{inv['周未'].pk}"))
    assert ">4<" in part(page, "count-invited") and "3 位来宾" in text(part(page, "event-counts"))


@pytest.mark.parametrize(("query", "shown"), [
    ({"rsvp": "yes"}, {"钱来"}), ({"rsvp": "pending"}, {"周未"}), ({"checked_in": "yes"}, set()),
    ({"checked_in": "no"}, {"钱来", "孙不", "李或", "周未"}), ({"channel": "call"}, set()),
])
def test_the_filters_narrow_the_list(login, marketing, guests, query, shown):
    event, inv = guests
    page = html(login(marketing).get(url("invitation_list", event.pk), query))
    assert {name for name, invitation in inv.items() if f'id="invitation-{invitation.pk}"' in page} == shown
    if not shown:
        assert "没有符合这些条件的邀请" in text(page)


def test_an_answer_is_recorded_on_its_row_and_the_filters_kept(login, marketing, guests):
    event, inv = guests
    target = inv["周未"]
    response = login(marketing).post(url("invitation_answer", event.pk, target.pk), {
        f"i{target.pk}-rsvp": "yes", f"i{target.pk}-party_size": "2", f"i{target.pk}-note": "带孩子",
        "back": "rsvp=pending"})
    target.refresh_from_db()
    assert (target.rsvp, target.party_size, target.note) == ("yes", 2, "带孩子")
    assert response.status_code == 302 and response["Location"].endswith(f"?rsvp=pending#invitation-{target.pk}")


def test_a_yes_beyond_the_places_comes_back_on_its_row_as_typed(login, marketing, guests):
    event, inv = guests
    target = inv["李或"]
    response = login(marketing).post(url("invitation_answer", event.pk, target.pk), {
        f"i{target.pk}-rsvp": "yes", f"i{target.pk}-party_size": "4", f"i{target.pk}-note": "一家四口"})
    row = part(html(response), f"invitation-{target.pk}")
    assert response.status_code == 400 and "活动仅剩 2 个名额" in text(row)
    assert 'value="4"' in row and 'value="一家四口"' in row
    target.refresh_from_db()
    assert target.rsvp == "maybe"


def test_who_only_reads_sees_the_answers_without_the_forms(login, marketing, guests):
    event, inv = guests
    gm = reader()
    page = html(login(gm).get(url("invitation_list", event.pk)))
    assert "answer-form" not in page and "出席 · 3 人" in text(part(page, f"invitation-{inv['钱来'].pk}"))
    refused = login(gm).post(url("invitation_answer", event.pk, inv["周未"].pk), {f"i{inv['周未'].pk}-rsvp": "no"})
    assert refused.status_code == 403


def test_nobody_invited_yet_is_an_empty_state_that_offers_to_invite(login, marketing, clock):
    event = plan(by=marketing)
    page = html(login(marketing).get(url("invitation_list", event.pk)))
    assert "还没有邀请任何人" in text(part(page, "invitation-empty")) and url("event_invite", event.pk) in page


def test_the_list_runs_a_fixed_number_of_queries(login, marketing, guests, django_assert_max_num_queries):
    event, _inv = guests
    client = login(marketing)
    client.get(url("invitation_list", event.pk))
    with django_assert_max_num_queries(14) as few:
        client.get(url("invitation_list", event.pk))
    for n in range(10):
        customer_with_car(name=f"加{n}")
    services.invitations_create(event=event, by=marketing)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(url("invitation_list", event.pk)))
    assert page.count('class="invitation-row') == 14 and Invitation.objects.count() == 14
    assert EVENT_START - timedelta(days=1) > event.created_at
