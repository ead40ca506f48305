"""The events' demo on a small seeded store, checked with the events' own rules: three held events with
their texts, answers, door and outcomes; one being prepared with its checklist partly done and calls in
the queue; the members' self-drive trip in planning; the same seed the same rows; never twice."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import OutboundMessage
from events import selectors
from events.demo import MAX_INVITED, demo_seed
from events.models import ChecklistItem, Event, Invitation
from followups.callbacks.models import Callback
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)  # a Monday afternoon
CUSTOMERS = 300


@pytest.fixture
def store(db, invitation_defaults):
    for name, display, role in (("marketing", "何磊", Role.MARKETING), ("agent", "李娜", Role.CALLBACK_AGENT),
                                ("interviewer", "吴静", Role.INTERVIEWER), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR)):
        UserFactory(username=name, display_name=display, roles=[role])
    with timezone.override(SHANGHAI):
        first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
        seed_customers(count=CUSTOMERS, seed=3, today=TODAY, messages=False)
        ids = range(first, first + CUSTOMERS)
        counts = demo_seed(seed=3, customer_ids=ids, now=NOW)
    return {"ids": ids, "counts": counts}


def test_three_held_events_with_invitations_answers_door_walk_ins_and_outcomes(store):
    held = list(Event.objects.filter(status="held").order_by("starts_at"))
    assert [event.kind for event in held] == ["owners_day", "class", "launch"]
    for event in held:
        counts = selectors.event_counts(event=event)
        assert MAX_INVITED >= counts["invited"] > 0
        assert counts["yes"] > 0 and counts["checked_in"] > 0
        assert counts["walk_ins"] == 4 and counts["prospects"] == 1
        assert counts["guests_arrived"] >= counts["checked_in"]
        assert event.feedback and event.outcome_at > event.starts_at
        assert event.starts_at < NOW and event.starts_at.astimezone(SHANGHAI).weekday() == 5
        assert all(item.done_at is not None for item in event.checklist.all())
        assert selectors.event_costs(event=event)["checklist"] > 0
        texted = OutboundMessage.objects.filter(pk__in=event.invitations.values("message_id"))
        assert texted.exists() and set(texted.values_list("status", flat=True)) == {"delivered"}
        assert set(texted.values_list("purpose", flat=True)) == {"marketing"}


def test_one_event_is_being_prepared_with_its_checklist_partly_done_and_calls_queued(store):
    (event,) = Event.objects.filter(status="inviting")
    assert event.starts_at > NOW
    items = list(ChecklistItem.objects.filter(event=event))
    done = [item for item in items if item.done_at is not None]
    assert 0 < len(done) < len(items)
    assert event.invitations.filter(message__isnull=False).exists()
    calls = Callback.objects.filter(kind="invitation", source_key=f"event:{event.pk}")
    assert set(calls.values_list("status", flat=True)) <= {"open"}
    assert calls.count() == event.invitations.filter(callback__isnull=False).count()
    assert not event.invitations.filter(checked_in_at__isnull=False).exists()


def test_the_members_self_drive_trip_is_planned_for_members_only(store):
    (trip,) = Event.objects.filter(status="planning")
    assert trip.kind == "self_drive" and trip.members_only and trip.audience["members_only"] is True
    assert trip.starts_at > NOW and trip.checklist.count() == 2
    assert not trip.invitations.exists()


def test_the_timeline_tells_invitations_answers_and_check_ins(store):
    variants = set(TimelineEntry.objects.filter(kind="event").values_list("params__variant", flat=True))
    assert variants == {"invited", "answered", "checked_in", "walk_in"}
    entry = TimelineEntry.objects.filter(kind="event", params__variant="checked_in").first()
    assert entry.text.title.startswith("到场参加活动“")
    assert store["counts"]["event"] == 5 and store["counts"]["invitation"] == Invitation.objects.count()


def test_a_second_run_adds_nothing(store):
    again = demo_seed(seed=3, customer_ids=store["ids"], now=NOW)
    assert set(again.values()) == {0}


def _fingerprint() -> list:
    return [(e.title, e.starts_at, e.audience,
             sorted(map(str, e.invitations.values_list("customer__name", "lead__name", "rsvp", "party_size",
                                                       "guests_arrived"))))
            for e in Event.objects.order_by("starts_at")]


def test_the_same_seed_gives_the_same_events(store):
    first = _fingerprint()
    Invitation.objects.all().delete()
    Event.objects.all().delete()
    with timezone.override(SHANGHAI):
        # The walk-ins made new customers: the second run finds them and checks them in again.
        demo_seed(seed=3, customer_ids=store["ids"], now=NOW)
    assert _fingerprint() == first
