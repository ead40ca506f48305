"""The event's life: created in planning, its target group, invitations made once, answers with
party sizes and places, the door (once), walk-ins, the checklist, the outcome, cancelling."""

from datetime import timedelta
from decimal import Decimal

import pytest

from customers.models import Customer, TimelineEntry
from events import selectors, services
from events.models import ChecklistItem, Event, Invitation
from tests.events.conftest import EVENT_START, NOW, customer_with_car

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_event, clock):
    return make_event()


def test_a_new_event_is_in_planning_organised_by_its_creator(event, marketing):
    assert event.status == Event.Status.PLANNING
    assert event.organiser == marketing and event.created_by == marketing


def test_an_event_that_ends_before_it_starts_is_refused_with_the_field(make_event, clock):
    with pytest.raises(services.EventError) as error:
        make_event(ends_at=EVENT_START - timedelta(hours=1))
    assert error.value.message_dict


def test_a_members_only_event_keeps_members_only_in_its_target_group(make_event, clock, marketing):
    trip = make_event(title="会员自驾游", kind="self_drive", members_only=True)
    services.event_audience_set(event=trip, filters={"brands": ["renault"]}, by=marketing)
    trip.refresh_from_db()
    assert trip.audience == {"brands": ["renault"], "members_only": True}


def test_invitations_are_made_once_for_the_target_group(event, marketing):
    renault = [customer_with_car(name=f"雷诺{i}") for i in range(3)]
    customer_with_car(name="三菱车主", brand="mitsubishi")
    services.event_audience_set(event=event, filters={"brands": ["renault"]}, by=marketing)

    assert services.invitations_create(event=event, by=marketing) == 3
    assert services.invitations_create(event=event, by=marketing) == 0

    event.refresh_from_db()
    assert event.status == Event.Status.INVITING
    assert set(event.invitations.values_list("customer_id", flat=True)) == {c.pk for c in renault}
    late = customer_with_car(name="新车主")
    assert services.invitations_create(event=event, by=marketing) == 1
    assert event.invitations.filter(customer=late).count() == 1


def test_the_planned_channel_is_sms_with_a_mobile_and_a_call_without(event, marketing):
    texted = customer_with_car(name="有手机")
    called = customer_with_car(name="座机客户", mobile="", phone2="05512345678")
    services.invitations_create(event=event, by=marketing)
    channels = dict(event.invitations.values_list("customer_id", "channel"))
    assert channels == {texted.pk: "sms", called.pk: "call"}


def test_no_invitations_after_the_event_started(event, marketing, clock):
    customer_with_car()
    clock.move_to(EVENT_START + timedelta(minutes=1))
    with pytest.raises(services.EventError, match="已开始|has started"):
        services.invitations_create(event=event, by=marketing)


def _invite(event, by, n=1, **customer_fields):
    customers = [customer_with_car(name=f"客户{i}", **customer_fields) for i in range(n)]
    services.event_audience_set(event=event, filters={}, by=by)
    services.invitations_create(event=event, by=by)
    return [Invitation.objects.get(event=event, customer=c) for c in customers]


def test_answers_are_counted_with_their_party_sizes(event, marketing):
    a, b, c, d = _invite(event, marketing, 4)
    services.invitation_answer(invitation=a, rsvp="yes", party_size=3, by=marketing)
    services.invitation_answer(invitation=b, rsvp="yes", party_size=2, by=marketing)
    services.invitation_answer(invitation=c, rsvp="no", by=marketing)
    counts = selectors.event_counts(event=event)
    assert counts | {} == counts
    assert (counts["invited"], counts["yes"], counts["no"], counts["maybe"], counts["pending"]) == (4, 2, 1, 0, 1)
    assert counts["expected_guests"] == 5
    services.invitation_answer(invitation=b, rsvp="maybe", party_size=2, by=marketing)
    counts = selectors.event_counts(event=event)
    assert (counts["yes"], counts["maybe"], counts["expected_guests"]) == (1, 1, 3)
    assert d.rsvp == Invitation.Rsvp.PENDING


def test_a_yes_beyond_the_places_is_refused_with_what_is_left(make_event, clock, marketing):
    small = make_event(capacity=4)
    a, b = _invite(small, marketing, 2)
    services.invitation_answer(invitation=a, rsvp="yes", party_size=3, by=marketing)
    with pytest.raises(services.EventError) as error:
        services.invitation_answer(invitation=b, rsvp="yes", party_size=2, by=marketing)
    assert "1" in str(error.value)
    services.invitation_answer(invitation=b, rsvp="yes", party_size=1, by=marketing)
    assert selectors.event_counts(event=small)["expected_guests"] == 4


def test_an_answer_must_be_yes_no_or_maybe_and_a_party_from_1_to_20(event, marketing):
    (invitation,) = _invite(event, marketing)
    with pytest.raises(services.EventError):
        services.invitation_answer(invitation=invitation, rsvp="pending", by=marketing)
    with pytest.raises(services.EventError):
        services.invitation_answer(invitation=invitation, rsvp="yes", party_size=0, by=marketing)
    with pytest.raises(services.EventError):
        services.invitation_answer(invitation=invitation, rsvp="yes", party_size=21, by=marketing)


def test_the_answer_is_on_the_customers_timeline(event, marketing):
    (invitation,) = _invite(event, marketing)
    services.invitation_answer(invitation=invitation, rsvp="yes", party_size=2, by=marketing, note="带孩子")
    entry = TimelineEntry.objects.get(customer=invitation.customer, kind="event")
    assert entry.params["variant"] == "answered"
    assert entry.text.title == "活动“科雷傲车主日”：出席，2 人"
    assert entry.text.body == "带孩子"


def test_check_in_counts_the_party_once_and_a_second_tap_says_when(event, marketing, door, clock):
    a, b = _invite(event, marketing, 2)
    services.invitation_answer(invitation=a, rsvp="yes", party_size=3, by=marketing)
    clock.move_to(EVENT_START - timedelta(minutes=20))
    services.invitation_check_in(invitation=a, by=door)
    with pytest.raises(services.AlreadyCheckedIn) as error:
        services.invitation_check_in(invitation=a, by=door)
    assert "13:40" in str(error.value) and "吴婷" in str(error.value)
    services.invitation_check_in(invitation=b, by=door, guests=2)
    counts = selectors.event_counts(event=event)
    assert (counts["checked_in"], counts["guests_arrived"], counts["walk_ins"]) == (2, 5, 0)
    entry = TimelineEntry.objects.get(customer=a.customer, kind="event", params__variant="checked_in")
    assert entry.text.title == "到场参加活动“科雷傲车主日”，共 3 人"


def test_the_door_opens_on_the_events_day(event, marketing, door):
    (invitation,) = _invite(event, marketing)
    with pytest.raises(services.EventError):
        services.invitation_check_in(invitation=invitation, by=door)


def test_the_door_closes_after_the_events_last_day(event, marketing, door, clock):
    invitation, late = _invite(event, marketing, 2)
    clock.move_to(EVENT_START.replace(hour=23, minute=50))  # still the day: late guests come in
    services.invitation_check_in(invitation=invitation, by=door)
    clock.move_to(EVENT_START + timedelta(days=1))
    with pytest.raises(services.EventError, match="活动已结束"):
        services.invitation_check_in(invitation=late, by=door)
    with pytest.raises(services.EventError, match="活动已结束"):
        services.walk_in_check_in(event=event, by=door, customer=late.customer)
    assert selectors.event_counts(event=event)["checked_in"] == 1


def test_a_walk_in_archive_customer_is_checked_in_as_a_walk_in(event, marketing, door, clock):
    _invite(event, marketing, 1)
    stranger = customer_with_car(name="路过客户")
    clock.move_to(EVENT_START)
    walk_in = services.walk_in_check_in(event=event, by=door, customer=stranger, guests=2)
    assert walk_in.channel == Invitation.Channel.WALK_IN and walk_in.checked_in_at is not None
    counts = selectors.event_counts(event=event)
    assert (counts["invited"], counts["walk_ins"], counts["checked_in"], counts["guests_arrived"]) == (1, 1, 1, 2)
    assert TimelineEntry.objects.filter(customer=stranger, params__variant="walk_in").count() == 1


def test_an_invited_customer_at_the_walk_in_form_is_checked_in_on_their_invitation(event, marketing, door, clock):
    (invitation,) = _invite(event, marketing)
    clock.move_to(EVENT_START)
    assert services.walk_in_check_in(event=event, by=door, customer=invitation.customer).pk == invitation.pk
    assert selectors.event_counts(event=event)["walk_ins"] == 0


def test_a_new_walk_in_becomes_a_customer_and_a_number_on_file_is_refused_without_its_owner(event, door, clock):
    clock.move_to(EVENT_START)
    before = Customer.objects.count()
    first = services.walk_in_check_in(event=event, by=door, name="王芳", mobile="+86 139 0000 1111")
    assert Customer.objects.count() == before + 1
    assert first.customer.name == "王芳" and first.customer.mobile == "13900001111"
    known = customer_with_car(name="李强", mobile="13900002222")
    with pytest.raises(services.EventError) as refused:
        services.walk_in_check_in(event=event, by=door, name="随便", mobile="13900002222")
    assert "李强" not in str(refused.value) and "按姓名搜索该客户" in str(refused.value)
    assert not event.invitations.filter(customer=known).exists()
    with pytest.raises(services.EventError):
        services.walk_in_check_in(event=event, by=door, name="", mobile="13900003333")


def test_a_prospect_walk_in_is_a_lead_for_sales(event, clock):
    from dealer_crm.accounts.roles import Role
    from followups.leads.models import Lead
    from tests.factories import UserFactory

    host = UserFactory(username="interviewer_he", roles=[Role.INTERVIEWER])
    clock.move_to(EVENT_START)
    walk_in = services.walk_in_check_in(event=event, by=host, name="赵磊", mobile="13900004444", as_lead=True)
    lead = Lead.objects.get(pk=walk_in.lead_id)
    assert (lead.name, lead.mobile, lead.source, walk_in.customer_id) == ("赵磊", "13900004444", "visitor", None)
    counts = selectors.event_counts(event=event)
    assert (counts["walk_ins"], counts["prospects"], counts["checked_in"]) == (1, 1, 1)


def test_the_checklist_adds_ticks_and_costs_against_the_budget(event, marketing):
    catering = services.checklist_item_add(event=event, by=marketing, kind="catering", title="冷餐", owner=marketing,
                                           due_on=EVENT_START.date() - timedelta(days=2), cost="3200.50")
    services.checklist_item_add(event=event, by=marketing, kind="venue", title="展厅布置", cost=Decimal("1500"))
    services.checklist_item_done(item=catering, by=marketing, done=True)
    catering.refresh_from_db()
    assert catering.done_at == NOW and catering.done_by == marketing
    services.checklist_item_done(item=catering, by=marketing, done=False)
    catering.refresh_from_db()
    assert catering.done_at is None
    costs = selectors.event_costs(event=event)
    assert costs["checklist"] == Decimal("4700.50") and costs["remaining"] == Decimal("15299.50")
    with pytest.raises(services.EventError):
        services.checklist_item_update(item=catering, by=marketing, cost="-1")
    services.checklist_item_remove(item=catering, by=marketing)
    assert ChecklistItem.objects.filter(event=event).count() == 1


def test_the_outcome_marks_it_held_and_only_after_it_started(event, marketing, clock):
    with pytest.raises(services.EventError):
        services.event_outcome_record(event=event, by=marketing, orders_signed=2, feedback="")
    clock.move_to(EVENT_START + timedelta(hours=4))
    services.event_outcome_record(event=event, by=marketing, orders_signed=3, feedback="客户反响好")
    event.refresh_from_db()
    assert (event.status, event.orders_signed, event.feedback) == ("held", 3, "客户反响好")
    with pytest.raises(services.EventError):
        services.event_update(event=event, by=marketing, venue="别处")


def test_cancelling_needs_a_reason_and_cancels_waiting_invitation_calls(event, marketing, invitation_defaults):
    from followups.callbacks.models import Callback

    _invite(event, marketing, 2)
    assert services.invitations_call(event=event, by=marketing) == 2
    with pytest.raises(services.EventError):
        services.event_cancel(event=event, by=marketing, reason=" ")
    services.event_cancel(event=event, by=marketing, reason="场地冲突")
    event.refresh_from_db()
    assert (event.status, event.cancel_reason) == ("cancelled", "场地冲突")
    assert set(Callback.objects.filter(kind="invitation").values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(services.EventError):
        services.invitations_create(event=event, by=marketing)


def test_costs_count_the_events_approved_and_sent_gifts(event, marketing, general_manager):
    from events.gifts.models import Gift, GiftBudget, GiftRequest

    guest = customer_with_car(name="张伟")
    mug = Gift.objects.create(name="车主保温杯", unit_cost=Decimal("58.00"), stock=100)
    budget = GiftBudget.objects.create(name="2026年12月", starts_on=NOW.date().replace(day=1),
                                       ends_on=NOW.date().replace(day=31), amount=Decimal("5000"),
                                       committed=Decimal("290"))
    for status, quantity in (("approved", 3), ("sent", 2), ("requested", 10), ("rejected", 4)):
        GiftRequest.objects.create(customer=guest, gift=mug, quantity=quantity, unit_cost=mug.unit_cost, reason="event",
                                   event=event, status=status, requested_by=marketing, requested_at=NOW,
                                   budget=budget if status in ("approved", "sent") else None)
    services.checklist_item_add(event=event, by=marketing, kind="catering", title="冷餐", cost="19800")
    costs = selectors.event_costs(event=event)
    assert costs["gifts"] == Decimal("290.00")  # 5 × 58, what was requested or refused is not spent
    assert costs["total"] == Decimal("20090.00") and costs["remaining"] == Decimal("-90.00") and costs["over"]


def test_upcoming_lists_the_next_events_with_their_counts(make_event, marketing, clock):
    later = make_event(title="用车讲堂", kind="class", starts_at=EVENT_START + timedelta(days=7), ends_at=None)
    soon = make_event(title="新车发布会", kind="launch", starts_at=NOW + timedelta(days=2), ends_at=None)
    _invite(soon, marketing, 2)
    upcoming = selectors.events_upcoming(today=NOW.date(), limit=5)
    assert [e.title for e in upcoming][:2] == ["新车发布会", "科雷傲车主日"] or [e.pk for e in upcoming][0] == soon.pk
    assert upcoming[0].counts["invited"] == 2
    assert later.pk in {e.pk for e in upcoming}


def test_the_door_finds_guests_by_name_mobile_ending_and_plate_invited_first(event, marketing, door, clock):
    invited = customer_with_car(name="王建华", mobile="13955501234")
    stranger = customer_with_car(name="王建国", mobile="13955509876")
    services.event_audience_set(event=event, filters={"models": ["科雷傲"]}, by=marketing)
    services.invitations_create(event=event, by=marketing)
    Invitation.objects.filter(event=event).exclude(customer=invited).delete()
    hits = selectors.door_search(event=event, query="王建")
    assert [hit.customer.pk for hit in hits][:2] == [invited.pk, stranger.pk]
    assert hits[0].invited and hits[0].invitation.customer_id == invited.pk and not hits[0].checked_in
    assert hits[1].invitation is None
    assert [hit.customer.pk for hit in selectors.door_search(event=event, query="1234")] == [invited.pk]
    assert selectors.door_search(event=event, query="  ") == []
    # As the door host: the search as they may run it (customer_search_for: phone look-ups audited).
    assert [hit.customer.pk for hit in selectors.door_search(event=event, query="13955509876", user=door)] == [stranger.pk]


def test_a_new_start_moves_the_end_of_the_waiting_invitation_calls(event, marketing, invitation_defaults):
    from followups.callbacks.models import Callback

    _invite(event, marketing, 1)
    services.invitations_call(event=event, by=marketing)
    later = EVENT_START + timedelta(days=1)
    services.event_update(event=event, by=marketing, starts_at=later, ends_at=later + timedelta(hours=3))
    assert Callback.objects.get(kind="invitation").expires_at == later


def test_the_figures_cost_a_fixed_number_of_queries_whatever_the_guest_list(make_event, marketing, clock,
                                                                           django_assert_num_queries):
    event = make_event()
    _invite(event, marketing, 6)
    services.checklist_item_add(event=event, by=marketing, kind="drinks", title="酒水", cost="300")
    make_event(title="用车讲堂", kind="class", starts_at=EVENT_START + timedelta(days=3), ends_at=None)
    with django_assert_num_queries(1):
        assert selectors.event_counts(event=event)["invited"] == 6
    with django_assert_num_queries(2):
        assert selectors.event_costs(event=event)["total"] == Decimal("300")
    with django_assert_num_queries(1):
        assert [e.counts["invited"] for e in selectors.events_upcoming(today=NOW.date(), limit=5)] == [6, 0]
