"""Only the customer can opt back in: staff who record "agrees" over a refusal say when and how the
customer asked; the change is in the audit log and on the timeline. And a merge moves the duplicate's
messages to the survivor."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from customers import services as archive
from customers.models import ContactPreference, TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.audit.models import AuditEvent
from dealer_crm.messaging import services as sms
from dealer_crm.messaging.gateways.base import Reply
from dealer_crm.messaging.models import OutboundMessage, Purpose
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
Channel, PrefPurpose = ContactPreference.Channel, ContactPreference.Purpose


@pytest.fixture(autouse=True)
def roles(db):
    sync_role_permissions()


@pytest.fixture
def wang(db):
    keeper = UserFactory(roles=[Role.CALLBACK_AGENT])
    return archive.customer_create(by=keeper, name="王建国", mobile="13912345678")


@pytest.fixture
def replied_stop(wang):
    """王建国 replied 退订 to a marketing text: the reply recorded his refusal."""
    sms.reply_record(gateway_name="http", reply=Reply(phone="13912345678", text="退订"))
    preference = ContactPreference.objects.get(customer=wang, channel=Channel.SMS, purpose=PrefPurpose.MARKETING)
    assert preference.allowed is False
    return preference


def agree(client, customer, *, reason: str, channel: str = Channel.SMS, purpose: str = PrefPurpose.MARKETING):
    url = reverse("customers:preference_set", args=[customer.pk])
    opened = client.get(url).context["form"].initial["opened"]  # what the form knew when it was opened
    return client.post(url, {"channel": channel, "purpose": purpose, "allowed": "yes", "reason": reason,
                             "opened": opened})


def test_a_refusal_from_an_sms_reply_is_not_lifted_without_a_reason(login, agent, wang, replied_stop):
    response = agree(login(agent), wang, reason="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "只有客户本人才能恢复接收" in page and "短信回复“退订”" in page
    replied_stop.refresh_from_db()
    assert replied_stop.allowed is False
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT_OPT_IN).exists()


def test_the_customer_asking_again_is_recorded_audited_and_on_the_timeline(login, agent, wang, replied_stop):
    response = agree(login(agent), wang, reason="客户来电要求恢复接收活动短信")
    assert response.status_code == 302
    replied_stop.refresh_from_db()
    assert replied_stop.allowed is True and replied_stop.reason == "客户来电要求恢复接收活动短信"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_OPT_IN)
    assert event.actor == agent and event.target_id == str(wang.pk)
    assert event.detail["reason"] == "客户来电要求恢复接收活动短信"
    assert event.detail["refused"][0]["reason"] == "短信回复“退订”"
    assert event.get_action_display() == "恢复接收"
    entry = TimelineEntry.objects.filter(customer=wang, kind=TimelineEntry.Kind.NOTE).get()
    text = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body)
    assert text.title == "恢复接收：短信 · 营销与活动"
    assert text.body == "客户来电要求恢复接收活动短信"
    page = login(agent).get(reverse("customers:detail", args=[wang.pk])).content.decode()
    assert "恢复接收：短信" in page


def test_the_customer_can_again_receive_marketing_after_opting_in(agent, wang, replied_stop):
    assert wang.pk in sms.audience().refusals(purpose=Purpose.MARKETING, customer_ids=[wang.pk])
    archive.contact_preference_set(customer=wang, channel=Channel.SMS, purpose=PrefPurpose.MARKETING, allowed=True,
                                   reason="客户到店时要求恢复", by=agent)
    assert wang.pk not in sms.audience().refusals(purpose=Purpose.MARKETING, customer_ids=[wang.pk])


def test_an_agreement_over_a_refusal_of_every_channel_needs_a_reason_too(agent, wang):
    archive.contact_preference_set(customer=wang, channel=Channel.ANY, purpose=PrefPurpose.ALL, allowed=False,
                                   reason="投诉后要求不再联系", by=agent, on=date(2026, 10, 1))
    with pytest.raises(archive.OptInWithoutReason):
        archive.contact_preference_set(customer=wang, channel=Channel.SMS, purpose=PrefPurpose.SERVICE, allowed=True,
                                       reason="", by=agent)
    archive.contact_preference_set(customer=wang, channel=Channel.SMS, purpose=PrefPurpose.SERVICE, allowed=True,
                                   reason="客户来电同意接收保养提醒短信", by=agent)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT_OPT_IN, target_id=str(wang.pk)).count() == 1


def test_an_agreement_where_nothing_was_refused_needs_no_reason_and_no_audit(agent, wang):
    archive.contact_preference_set(customer=wang, channel=Channel.SMS, purpose=PrefPurpose.SERVICE, allowed=True,
                                   reason="", by=agent)
    archive.contact_preference_set(customer=wang, channel=Channel.PHONE, purpose=PrefPurpose.ALL, allowed=False,
                                   reason="", by=agent)  # a refusal of calls: no reason needed, nothing lifted
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT_OPT_IN).exists()


def test_a_merge_moves_the_duplicates_messages_to_the_survivor(agent, supervisor, wang):
    survivor = archive.customer_create(by=agent, name="王建国", mobile="13912345679")
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    message = OutboundMessage.objects.create(customer=wang, phone=wang.mobile, text="您好", purpose=Purpose.SERVICE,
                                             idempotency_key="merge-test", not_before=at)
    merge = archive.customer_merge(survivor=survivor, duplicate=wang, by=supervisor)
    message.refresh_from_db()
    assert message.customer_id == survivor.pk
    assert merge.moved["sms_messages"] == 1
    assert ("短信", 1) in merge.moved_display
