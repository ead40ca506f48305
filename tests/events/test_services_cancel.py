"""An event called off takes its invitations back: the texts still waiting are not sent, the calls
waiting in the queue are cancelled; what has gone has gone."""

from datetime import timedelta

import pytest

from dealer_crm.messaging.models import OutboundMessage
from dealer_crm.messaging.reasons import reason_text
from events import services
from tests.events.conftest import NOW, at, customer_with_car

pytestmark = pytest.mark.django_db


def test_the_invitation_texts_still_waiting_are_not_sent_once_the_event_is_called_off(
        make_event, clock, marketing, invitation_defaults):
    event = make_event()
    services.event_audience_set(event=event, filters={}, by=marketing)
    early, late = customer_with_car(name="白天"), customer_with_car(name="夜间")
    services.invitations_create(event=event, by=marketing)
    services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    sent = OutboundMessage.objects.get(customer=early)
    waiting = OutboundMessage.objects.get(customer=late)
    OutboundMessage.objects.filter(pk=sent.pk).update(status=OutboundMessage.Status.SENT)

    clock.move_to(at(NOW.date(), 22, 30))
    services.event_cancel(event=event, by=marketing, reason="新车延期到货")

    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.status == OutboundMessage.Status.CANCELLED
    assert reason_text(waiting.reason_code, waiting.reason) == f"未发送：{event.title}已取消。"
    assert sent.status == OutboundMessage.Status.SENT  # gone before: nothing to take back


def test_a_text_a_sender_has_claimed_goes_as_it_is(make_event, clock, marketing, invitation_defaults):
    event = make_event()
    services.event_audience_set(event=event, filters={}, by=marketing)
    customer_with_car(name="发送中")
    services.invitations_create(event=event, by=marketing)
    services.invitations_send_sms(event=event, by=marketing, template=invitation_defaults)
    OutboundMessage.objects.update(status=OutboundMessage.Status.SENDING)
    clock.move_to(NOW + timedelta(minutes=5))
    services.event_cancel(event=event, by=marketing, reason="场地取消")
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENDING
