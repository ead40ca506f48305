"""At the same moment, each on its own database connection: ten taps on one guest at two doors check
them in once; eight yeses for the last four places promise four; two organisers making the invitations
at once invite each customer once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from customers.models import TimelineEntry
from events import selectors, services
from events.models import Invitation
from tests.events.conftest import EVENT_START, NOW, customer_with_car

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(count: int, work) -> tuple[list, list]:
    """Run `work(index)` in `count` threads released together; (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def run(index: int):
        try:
            barrier.wait(20)
            outcome = work(index)
            with lock:
                results.append(outcome)
        except Exception as error:  # noqa: BLE001 — counted by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@pytest.fixture
def event(marketing):
    return services.event_create(by=marketing, title="科雷傲车主日", kind="owners_day", starts_at=EVENT_START,
                                 venue="展厅二楼", capacity=4)


def test_ten_taps_on_one_guest_check_them_in_once(event, marketing, door):
    customer_with_car(name="王建华")
    services.invitations_create(event=event, by=marketing, now=NOW)
    invitation = Invitation.objects.get(event=event)
    results, errors = at_once(10, lambda _i: services.invitation_check_in(
        invitation=invitation, by=door, guests=2, now=EVENT_START - timedelta(minutes=10)))
    assert len(results) == 1
    assert len(errors) == 9 and all(isinstance(error, services.AlreadyCheckedIn) for error in errors)
    counts = selectors.event_counts(event=event)
    assert (counts["checked_in"], counts["guests_arrived"]) == (1, 2)
    assert TimelineEntry.objects.filter(kind="event", params__variant="checked_in").count() == 1


def test_eight_yeses_for_four_places_promise_four(event, marketing):
    for n in range(8):
        customer_with_car(name=f"客户{n}")
    services.invitations_create(event=event, by=marketing, now=NOW)
    invitations = list(Invitation.objects.filter(event=event).order_by("id"))
    results, errors = at_once(8, lambda i: services.invitation_answer(
        invitation=invitations[i], rsvp="yes", party_size=1, by=marketing, now=NOW))
    assert len(results) == 4
    assert len(errors) == 4 and all(isinstance(error, services.EventError) for error in errors)
    assert selectors.event_counts(event=event)["expected_guests"] == 4


def test_two_organisers_inviting_at_once_invite_each_customer_once(event, marketing):
    for n in range(30):
        customer_with_car(name=f"客户{n}")
    results, errors = at_once(2, lambda _i: services.invitations_create(event=event, by=marketing, now=NOW))
    assert errors == [] and sorted(results) == [0, 30]
    assert Invitation.objects.filter(event=event).count() == 30
