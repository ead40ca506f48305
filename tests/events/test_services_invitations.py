"""Invitations sent: the text through the SMS platform once, with the marketing rules (preferences,
weekly cap, the complaints' hold, quiet hours), and the invitation calls on the callback queue once."""

from datetime import timedelta

import pytest

from customers.models import TimelineEntry
from dealer_crm.messaging.models import OutboundMessage
from events import selectors, services
from events.models import Invitation
from tests.events.conftest import NOW, at, customer_with_car, refuse

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_event, clock, marketing):
    event = make_event()
    services.event_audience_set(event=event, filters={}, by=marketing)
    return event


def invite(event, by, *people):
    services.invitations_create(event=event, by=by)
    return {c.name: Invitation.objects.get(event=event, customer=c) for c in people}


def test_the_invitation_text_goes_once_with_the_events_date_and_the_opt_out_line(event, marketing,
                                                                                   invitation_defaults):
    zhang = customer_with_car(name="张伟", gender="M")
    invitations = invite(event, marketing, zhang)
    outcome = services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert outcome == {"queued": 1, "already": 0, "refused": {}, "refused_total": 0}
    message = OutboundMessage.objects.get()
    assert message.purpose == "marketing" and message.customer_id == zhang.pk
    assert message.text.startswith("张伟先生您好，雷诺汽车4S店诚邀您于12月12日 14:00到店参加车主活动")
    assert message.text.endswith("回T退订")
    invitation = Invitation.objects.get(pk=invitations["张伟"].pk)
    assert (invitation.message_id, invitation.channel, invitation.invited_at) == (message.pk, "sms", NOW)
    again = services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert again["queued"] == 0 and OutboundMessage.objects.count() == 1
    entry = TimelineEntry.objects.get(customer=zhang, kind="event")
    assert entry.text.title == "邀约参加活动“科雷傲车主日”（短信）"


def test_who_refuses_marketing_texts_or_has_no_mobile_is_left_out_with_the_reason(
        event, marketing, invitation_defaults):
    willing = customer_with_car(name="愿意")
    opted_out = customer_with_car(name="退订")
    refuse(opted_out, channel="sms", purpose="marketing")
    no_mobile = customer_with_car(name="无手机", mobile="", phone2="05512345678")
    invitations = invite(event, marketing, willing, opted_out, no_mobile)
    outcome = services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert outcome["queued"] == 1
    assert outcome["refused"] == {"opted_out": 1, "no_mobile": 1}
    assert Invitation.objects.get(pk=invitations["退订"].pk).sms_refused == "opted_out"
    assert set(OutboundMessage.objects.values_list("customer_id", flat=True)) == {willing.pk}


def test_the_weekly_cap_of_marketing_texts_is_honoured(event, marketing, invitation_defaults, make_event):
    from dealer_crm.messaging.services import message_queue

    busy = customer_with_car(name="已收两条")
    for n in range(2):
        message_queue(customer_id=busy.pk, purpose="marketing", idempotency_key=f"promo:{n}", text=f"促销{n}")
    invite(event, marketing, busy)
    outcome = services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert outcome["refused"] == {"weekly_cap": 1}


def test_a_text_queued_in_the_quiet_hours_waits_for_the_morning(event, marketing, invitation_defaults, clock):
    customer_with_car(name="夜间")
    services.invitations_create(event=event, by=marketing)
    clock.move_to(at(NOW.date(), 22, 30))
    services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert OutboundMessage.objects.get().not_before == at(NOW.date() + timedelta(days=1), 8)


def test_only_a_marketing_template_invites(event, marketing):
    from dealer_crm.messaging.models import SmsTemplate

    service_text = SmsTemplate.objects.create(key="svc", name="服务", purpose="service", text="{name}您好")
    with pytest.raises(services.EventError):
        services.invitations_send_sms(event=event, by=marketing, template=service_text)


def test_answered_guests_get_no_text(event, marketing, invitation_defaults):
    said_no = customer_with_car(name="不来")
    invitations = invite(event, marketing, said_no)
    services.invitation_answer(invitation=invitations["不来"], rsvp="no", by=marketing)
    assert services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)["queued"] == 0


def test_invitation_calls_are_queued_once_until_the_event_starts(event, marketing, invitation_defaults):
    from followups.callbacks.models import Callback

    a, b = customer_with_car(name="甲"), customer_with_car(name="乙", importance="vip")
    invitations = invite(event, marketing, a, b)
    assert services.invitations_call(event=event, by=marketing) == 2
    assert services.invitations_call(event=event, by=marketing) == 0
    calls = {call.customer_id: call for call in Callback.objects.filter(kind="invitation")}
    assert set(calls) == {a.pk, b.pk}
    call = calls[a.pk]
    assert (call.source_key, call.due_at, call.expires_at, call.status) == (
        f"event:{event.pk}", NOW, event.starts_at, "open")
    assert call.rule.kind == "invitation" and calls[b.pk].priority > call.priority
    assert Invitation.objects.get(pk=invitations["甲"].pk).callback_id == call.pk
    assert selectors.event_counts(event=event)["called"] == 2


def test_a_call_for_chosen_invitations_only(event, marketing, invitation_defaults):
    a, b = customer_with_car(name="甲"), customer_with_car(name="乙")
    invitations = invite(event, marketing, a, b)
    assert services.invitations_call(event=event, by=marketing, invitation_ids=[invitations["乙"].pk]) == 1
    assert Invitation.objects.get(pk=invitations["甲"].pk).callback_id is None


def test_who_refuses_marketing_calls_or_has_no_phone_is_not_called(event, marketing, invitation_defaults):
    from followups.callbacks.models import Callback

    refuses = customer_with_car(name="不接电话")
    refuse(refuses, channel="phone", purpose="marketing")
    nobody = customer_with_car(name="无电话", mobile="")
    fine = customer_with_car(name="可以")
    invite(event, marketing, refuses, nobody, fine)
    assert services.invitations_call(event=event, by=marketing) == 1
    assert list(Callback.objects.values_list("customer_id", flat=True)) == [fine.pk]


def test_a_switched_off_invitation_rule_refuses_calls(event, marketing, invitation_defaults):
    from followups.callbacks.models import CallbackRule

    CallbackRule.objects.filter(kind="invitation").update(enabled=False)
    customer_with_car()
    services.invitations_create(event=event, by=marketing)
    with pytest.raises(services.EventError):
        services.invitations_call(event=event, by=marketing)


def test_an_open_complaint_holds_the_invitation_text_and_call(event, marketing, invitation_defaults, agent,
                                                              supervisor):
    from followups.callbacks.models import Callback
    from followups.complaints.models import Severity
    from followups.complaints.services import complaint_register

    angry, calm = customer_with_car(name="投诉中"), customer_with_car(name="满意")
    complaint_register(customer=angry, channel="phone", category="service", description="保养后空调有异响",
                       department="service", by=agent, owner=supervisor, severity=Severity.objects.order_by("rank").first(),
                       now=NOW - timedelta(days=1))
    invitations = invite(event, marketing, angry, calm)
    outcome = services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    assert outcome["refused"] == {"complaint_open": 1}
    assert Invitation.objects.get(pk=invitations["投诉中"].pk).sms_refused == "complaint_open"
    assert services.invitations_call(event=event, by=marketing) == 2 - 1
    assert list(Callback.objects.filter(kind="invitation").values_list("customer_id", flat=True)) == [calm.pk]
