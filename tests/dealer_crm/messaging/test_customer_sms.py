"""A customer's SMS on their page: the card of their latest messages, and 发短信 — a template of a
purpose the sender may send, its preview for this customer, one message however often the form is
sent, and what the sender is told (queued, at 08:00, not sent and why)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from customers import services as archive
from customers.models import ContactPreference
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging.models import OutboundMessage, Purpose, SmsTemplate
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 12, 1, 22, 30, tzinfo=SHANGHAI)
Status = OutboundMessage.Status
SHIPPED_KEYS = ("callback_thank_you_sms", "callback_survey_sms", "callback_unreachable_sms",  # the callback centre's
                "retention_first", "retention_reminder", "retention_win_back",  # retention's
                "appointment_booked", "appointment_moved", "appointment_tomorrow")  # the appointments'
# The texts customer care ships: the birthday greetings (care, offered to who sends service texts too)
# and the event invitation (marketing).
SHIPPED_CARE_KEYS = ("birthday_greeting", "birthday_child")
SHIPPED_MARKETING_KEYS = ("event_invitation",)



@pytest.fixture(autouse=True)
def roles(db):
    sync_role_permissions()


@pytest.fixture
def wang(db):
    keeper = UserFactory(roles=[Role.CALLBACK_AGENT])
    return archive.customer_create(by=keeper, name="王建国", mobile="13912345678", gender="M")


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance_due", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}{title}您好，您的爱车已到保养时间，请于{date}前预约。")


@pytest.fixture
def invitation(db):
    return SmsTemplate.objects.create(key="spring_event", name="春季活动邀请", purpose=Purpose.MARKETING,
                                      text="{name}{title}您好，{store}本周六举办春季活动。")


@pytest.fixture
def shipped(db) -> set[SmsTemplate]:
    """The service texts that the data migrations ship (回访·感谢短信, 首保招揽, 预约确认 and the others):
    active, of the service purpose, so offered to everyone who may send service texts."""
    texts = set(SmsTemplate.objects.filter(key__in=SHIPPED_KEYS))
    assert {t.key for t in texts} == set(SHIPPED_KEYS)
    assert all(t.active and t.purpose == Purpose.SERVICE for t in texts)
    care = set(SmsTemplate.objects.filter(key__in=SHIPPED_CARE_KEYS))
    assert {t.key for t in care} == set(SHIPPED_CARE_KEYS) and all(t.purpose == Purpose.CARE for t in care)
    return texts | care


@pytest.fixture
def shipped_marketing(db) -> set[SmsTemplate]:
    texts = set(SmsTemplate.objects.filter(key__in=SHIPPED_MARKETING_KEYS))
    assert {t.key for t in texts} == set(SHIPPED_MARKETING_KEYS)
    return texts


def send_url(customer) -> str:
    return reverse("customers:sms_send", args=[customer.pk])


def token_of(client, customer) -> str:
    return client.get(send_url(customer)).context["form"].initial["token"]


def sent(customer, when: datetime, text: str, status: str = Status.DELIVERED) -> OutboundMessage:
    row = OutboundMessage.objects.create(customer=customer, phone=customer.mobile, text=text, purpose=Purpose.SERVICE,
                                         idempotency_key=f"t:{customer.pk}:{when.isoformat()}", status=status,
                                         not_before=when)
    OutboundMessage.objects.filter(pk=row.pk).update(created_at=when)
    return row


# --- the card --------------------------------------------------------------------------------
def test_the_page_loads_the_card_and_the_card_shows_the_latest_messages(login, agent, wang):
    for n in range(7):
        sent(wang, DAYTIME - timedelta(days=n), f"第{n}条短信")
    client = login(agent)
    page = client.get(reverse("customers:detail", args=[wang.pk])).content.decode()
    assert 'id="sms-card"' in page and reverse("customers:sms_card", args=[wang.pk]) in page
    card = client.get(reverse("customers:sms_card", args=[wang.pk])).content.decode()
    assert "第0条短信" in card and "第4条短信" in card and "第5条短信" not in card  # the latest five
    assert "已送达" in card
    assert f"{reverse('messaging:outbox')}?customer={wang.pk}" in card


def test_the_card_runs_a_fixed_number_of_queries(login, agent, wang, django_assert_num_queries):
    client = login(agent)
    sent(wang, DAYTIME, "一条")
    url = reverse("customers:sms_card", args=[wang.pk])
    client.get(url)
    with django_assert_num_queries(6) as few:  # session, user, permissions, the customer, the messages
        client.get(url)
    for n in range(1, 10):
        sent(wang, DAYTIME - timedelta(hours=n), f"第{n}条")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_detail_page_itself_reads_no_message(login, agent, wang, django_assert_num_queries):
    """The card comes after the page: the page's query count does not grow with the outbox."""
    client = login(agent)
    url = reverse("customers:detail", args=[wang.pk])
    client.get(url)
    # 18: one of them asks whether an open complaint holds marketing, four read the sections of appointments,
    # retention and the gift requests (customers/sections.py)
    with django_assert_num_queries(18) as few:
        client.get(url)
    for n in range(5):
        sent(wang, DAYTIME - timedelta(hours=n), f"第{n}条")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)
    assert not any("messaging_outboundmessage" in q["sql"] for q in few.captured_queries)


def test_without_the_outbox_there_is_no_card_and_no_button(login, admin_user, wang):
    client = login(admin_user)  # reads the archive, not the outbox
    page = client.get(reverse("customers:detail", args=[wang.pk])).content.decode()
    assert 'id="sms-card"' not in page and send_url(wang) not in page
    assert client.get(reverse("customers:sms_card", args=[wang.pk])).status_code == 403
    assert client.get(send_url(wang)).status_code == 403


def test_a_reader_of_the_outbox_who_may_not_send_sees_the_card_without_the_button(login, general_manager, wang):
    client = login(general_manager)
    page = client.get(reverse("customers:detail", args=[wang.pk])).content.decode()
    assert 'id="sms-card"' in page and send_url(wang) not in page
    assert client.get(send_url(wang)).status_code == 403
    assert client.post(send_url(wang), {}).status_code == 403


# --- sending ---------------------------------------------------------------------------------
def test_an_agent_sends_once_however_often_the_form_is_sent(login, agent, wang, reminder):
    client = login(agent)
    page = client.get(reverse("customers:detail", args=[wang.pk])).content.decode()
    assert 'id="sms-send-link"' in page
    token = token_of(client, wang)
    data = {"template": reminder.pk, "date": "2026-12-12", "token": token}
    with time_machine.travel(DAYTIME, tick=False):
        first = client.post(send_url(wang), data, follow=True)
        second = client.post(send_url(wang), data, follow=True)
    assert "短信已排队，马上发出。" in first.content.decode()
    assert "这条短信已经发送过（表单提交了两次）：不会重复发送。" in second.content.decode()
    (message,) = OutboundMessage.objects.filter(customer=wang)
    assert message.text == "王建国先生您好，您的爱车已到保养时间，请于12月12日前预约。"
    assert message.created_by == agent and message.template == reminder and message.status == Status.QUEUED


def test_a_new_form_sends_a_new_message(login, agent, wang, reminder):
    client = login(agent)
    with time_machine.travel(DAYTIME, tick=False):
        for _n in range(2):
            client.post(send_url(wang), {"template": reminder.pk, "date": "2026-12-12", "token": token_of(client, wang)})
    # The same template to the same number once a day (SMS_SAME_TEMPLATE_PER_DAY): the second is refused.
    assert OutboundMessage.objects.filter(customer=wang).count() == 1


def test_in_quiet_hours_the_sender_is_told_it_goes_at_eight(login, agent, wang, reminder):
    client = login(agent)
    with time_machine.travel(NIGHT, tick=False):
        response = client.post(send_url(wang), {"template": reminder.pk, "date": "2026-12-12",
                                                "token": token_of(client, wang)}, follow=True)
    assert "现在是免打扰时段：短信将于 08:00 发出。" in response.content.decode()


def test_a_customer_who_refuses_sms_gets_nothing_and_the_sender_is_told_why(login, agent, wang, reminder):
    archive.contact_preference_set(customer=wang, channel=ContactPreference.Channel.SMS,
                                   purpose=ContactPreference.Purpose.ALL, allowed=False, reason="不要短信",
                                   by=agent, on=date(2026, 11, 1))
    client = login(agent)
    with time_machine.travel(DAYTIME, tick=False):
        response = client.post(send_url(wang), {"template": reminder.pk, "date": "2026-12-12",
                                                "token": token_of(client, wang)}, follow=True)
    assert "未发送：拒收短信。" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_a_text_with_a_date_needs_the_date(login, agent, wang, reminder):
    client = login(agent)
    response = client.post(send_url(wang), {"template": reminder.pk, "token": token_of(client, wang)})
    assert "内容中有 {date}：请填写日期。" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_marketing_is_offered_only_to_who_may_send_it(login, agent, supervisor, wang, reminder, invitation,
                                                      shipped, shipped_marketing):
    client = login(agent)
    page = client.get(send_url(wang))
    assert set(page.context["form"].fields["template"].queryset) == {reminder, *shipped}  # service, no marketing
    assert "回访·满意度短信 · 服务" in page.content.decode() and "春季活动邀请" not in page.content.decode()
    refused = client.post(send_url(wang), {"template": invitation.pk, "token": token_of(client, wang)})
    assert refused.status_code == 200 and "选择一个有效的选项" in refused.content.decode()
    assert not OutboundMessage.objects.exists()
    offered = login(supervisor).get(send_url(wang)).context["form"].fields["template"].queryset
    assert set(offered) == {reminder, invitation, *shipped, *shipped_marketing}


def test_a_switched_off_template_is_not_offered(login, agent, wang, reminder, shipped):
    SmsTemplate.objects.filter(pk=reminder.pk).update(active=False)
    form = login(agent).get(send_url(wang)).context["form"]
    assert set(form.fields["template"].queryset) == shipped  # all but the switched-off reminder


def test_the_preview_reads_as_this_customer_with_its_length(login, agent, wang, reminder):
    client = login(agent)
    page = client.post(reverse("customers:sms_preview", args=[wang.pk]),
                       {"template": reminder.pk, "date": "2026-12-12", "token": "x" * 20}).content.decode()
    text = "【雷诺汽车4S店】王建国先生您好，您的爱车已到保养时间，请于12月12日前预约。"
    assert text in page and f"{len(text)} 字 · 1 条" in page
    undated = client.post(reverse("customers:sms_preview", args=[wang.pk]), {"template": reminder.pk}).content.decode()
    assert "请于{date}前预约" in undated


def test_a_forged_token_is_refused(login, agent, wang, reminder):
    response = login(agent).post(send_url(wang), {"template": reminder.pk, "date": "2026-12-12", "token": "a b"})
    assert "页面已过期" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_a_merged_record_takes_no_new_message(login, agent, supervisor, wang, reminder):
    other = archive.customer_create(by=agent, name="王建国", mobile="13912345679")
    archive.customer_merge(survivor=other, duplicate=wang, by=supervisor)
    assert login(agent).get(send_url(wang)).status_code == 404
