"""The outbox: filters (status, purpose, template, local dates, a customer), newest first, paged in a
fixed number of queries, masked phones only; the messages in doubt and a person's two decisions;
the replies with their opt-outs; who may see and do what."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from customers import services as archive
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging.models import InboundReply, OutboundMessage, Purpose, SmsTemplate
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
OUTBOX = reverse("messaging:outbox")
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def roles(db):
    sync_role_permissions()


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


@pytest.fixture
def keeper(db):
    return UserFactory(roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance_due", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}您好，您的爱车该保养了。")


def customer(keeper, n: int, name: str = ""):
    return archive.customer_create(by=keeper, name=name or f"客户{n}", mobile=f"1391234{n:04d}")


def message(who, *, at: datetime, status: str = Status.DELIVERED, purpose: str = Purpose.SERVICE, template=None,
            text: str = "您好，您的爱车该保养了。", reason: str = "", claimed_at: datetime | None = None) -> OutboundMessage:
    row = OutboundMessage.objects.create(customer=who, phone=who.mobile, text=text, purpose=purpose, template=template,
                                         idempotency_key=f"test:{who.pk}:{at.isoformat()}:{text[:10]}:{status}",
                                         status=status, reason=reason, not_before=at, claimed_at=claimed_at)
    OutboundMessage.objects.filter(pk=row.pk).update(created_at=at)  # auto_now_add: the time it was queued
    row.refresh_from_db()
    return row


def test_the_outbox_lists_the_newest_first_with_masked_phones_only(login, supervisor, keeper, reminder):
    wang = customer(keeper, 1, "王建国")
    old = message(wang, at=DAYTIME - timedelta(days=2), template=reminder)
    new = message(wang, at=DAYTIME - timedelta(hours=1), status=Status.FAILED, reason="空号")
    page = login(supervisor).get(OUTBOX).content.decode()
    assert page.index(f'id="message-{new.pk}"') < page.index(f'id="message-{old.pk}"')
    assert "139****0001" in page and "13912340001" not in page
    assert "王建国" in page and reverse("customers:detail", args=[wang.pk]) in page
    assert "失败" in page and "空号" in page and "保养到期提醒" in page
    assert "2026-11-29 10:00" in page  # the local time


def test_a_long_text_is_folded_and_shown_whole_on_expand(login, supervisor, keeper):
    text = "尊敬的客户您好，" + "您的爱车保养时间已到，" * 5
    message(customer(keeper, 1), at=DAYTIME, text=text)
    page = login(supervisor).get(OUTBOX).content.decode()
    assert "<details" in page and text in page and f'title="{text}"' in page


def test_the_filters_narrow_by_status_purpose_template_customer_and_local_dates(login, supervisor, keeper, reminder):
    first, second = customer(keeper, 1), customer(keeper, 2)
    delivered = message(first, at=datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI), template=reminder)  # 15:30 UTC
    failed = message(first, at=datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), status=Status.FAILED)  # the 30th in UTC
    marketing = message(second, at=datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), purpose=Purpose.MARKETING)
    client = login(supervisor)

    def shown(**query) -> set[int]:
        return {m.pk for m in client.get(OUTBOX, query).context["page"].object_list}

    assert shown() == {delivered.pk, failed.pk, marketing.pk}
    assert shown(status=Status.FAILED) == {failed.pk}
    assert shown(purpose=Purpose.MARKETING) == {marketing.pk}
    assert shown(template=reminder.pk) == {delivered.pk}
    assert shown(customer=second.pk) == {marketing.pk}
    assert shown(since="2026-12-01") == {failed.pk, marketing.pk}  # the store's day, not UTC's
    assert shown(until="2026-11-30") == {delivered.pk}
    bad = client.get(OUTBOX, {"since": "2026-12-02", "until": "2026-12-01"})
    assert "结束日期早于开始日期" in bad.content.decode() and not bad.context["page"].object_list


def test_the_customer_filter_names_the_customer(login, supervisor, keeper):
    wang = customer(keeper, 1, "王建国")
    message(wang, at=DAYTIME)
    page = login(supervisor).get(OUTBOX, {"customer": wang.pk}).content.decode()
    assert 'id="outbox-customer"' in page and "王建国" in page


def test_the_outbox_runs_a_fixed_number_of_queries(login, supervisor, keeper, reminder, django_assert_num_queries):
    client = login(supervisor)
    message(customer(keeper, 1), at=DAYTIME, template=reminder)
    client.get(OUTBOX)  # the session and the permissions are read once per test like on any page
    # session, user, permissions, the template choices, the count, the page, the messages in doubt …
    with django_assert_num_queries(9) as few:
        client.get(OUTBOX)
    for n in range(2, 40):
        message(customer(keeper, n), at=DAYTIME - timedelta(minutes=n), template=reminder,
                status=Status.UNKNOWN if n % 5 == 0 else Status.DELIVERED,
                claimed_at=DAYTIME - timedelta(days=3) if n % 5 == 0 else None)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(OUTBOX)
    assert len(response.context["page"].object_list) == 39


def test_the_outbox_pages_by_fifty(login, supervisor, keeper):
    who = customer(keeper, 1)
    for n in range(55):
        message(who, at=DAYTIME - timedelta(minutes=n), text=f"第{n}条")
    client = login(supervisor)
    assert len(client.get(OUTBOX).context["page"].object_list) == 50
    second = client.get(OUTBOX, {"page": 2}).context["page"].object_list
    assert [m.text for m in second] == [f"第{n}条" for n in range(50, 55)]


def test_messages_in_doubt_are_listed_and_resent_after_a_persons_check(login, supervisor, keeper, daytime):
    who = customer(keeper, 1)
    overdue = message(who, at=DAYTIME - timedelta(days=2), status=Status.UNKNOWN, reason="网关超时",
                      claimed_at=DAYTIME - timedelta(days=2))
    recent = message(who, at=DAYTIME - timedelta(hours=1), status=Status.UNKNOWN, text="刚超时的",
                     claimed_at=DAYTIME - timedelta(hours=1))
    client = login(supervisor)
    page = client.get(OUTBOX)
    assert [m.pk for m in page.context["in_doubt"]] == [overdue.pk]
    html = page.content.decode()
    assert "1 条短信状态不明" in html and "重新发送（已确认未收到）" in html and "标记为失败" in html
    assert html.count("data-confirm=") >= 2
    response = client.post(reverse("messaging:outbox_decide", args=[overdue.pk]), {"decision": "resend"})
    assert response.status_code == 302
    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert overdue.status == Status.QUEUED and supervisor.username in overdue.reason
    assert recent.status == Status.UNKNOWN
    assert "短信将重新发送" in client.get(OUTBOX).content.decode()


def test_a_message_in_doubt_is_marked_failed_once(login, supervisor, keeper, daytime):
    overdue = message(customer(keeper, 1), at=DAYTIME - timedelta(days=2), status=Status.UNKNOWN,
                      claimed_at=DAYTIME - timedelta(days=2))
    client = login(supervisor)
    client.post(reverse("messaging:outbox_decide", args=[overdue.pk]), {"decision": "fail"})
    overdue.refresh_from_db()
    assert overdue.status == Status.FAILED
    again = client.post(reverse("messaging:outbox_decide", args=[overdue.pk]), {"decision": "resend"}, follow=True)
    assert "此短信的状态已确定。" in again.content.decode()
    overdue.refresh_from_db()
    assert overdue.status == Status.FAILED


def test_an_agent_reads_the_outbox_but_decides_nothing(login, agent, keeper, daytime):
    overdue = message(customer(keeper, 1), at=DAYTIME - timedelta(days=2), status=Status.UNKNOWN,
                      claimed_at=DAYTIME - timedelta(days=2))
    client = login(agent)
    page = client.get(OUTBOX).content.decode()
    assert f'id="message-{overdue.pk}"' in page
    assert 'id="in-doubt"' not in page and "重新发送（已确认未收到）" not in page
    assert client.post(reverse("messaging:outbox_decide", args=[overdue.pk]), {"decision": "resend"}).status_code == 403
    overdue.refresh_from_db()
    assert overdue.status == Status.UNKNOWN
    assert reverse("messaging:replies") not in page


def test_a_role_without_the_outbox_gets_403_and_no_menu_item(login, admin_user):
    client = login(admin_user)
    assert client.get(OUTBOX).status_code == 403
    assert OUTBOX not in client.get(reverse("home")).content.decode()
    assert OUTBOX in login(UserFactory(roles=[Role.CALLBACK_AGENT])).get(reverse("home")).content.decode()


def test_the_replies_mark_the_opt_outs_with_masked_phones(login, supervisor, agent):
    InboundReply.objects.create(phone="13912340001", text="退订", gateway="http", opt_out=True, customers=1)
    InboundReply.objects.create(phone="13912340002", text="好的，谢谢", gateway="http")
    client = login(supervisor)
    page = client.get(reverse("messaging:replies")).content.decode()
    assert "已退订营销短信" in page and "好的，谢谢" in page
    assert "139****0001" in page and "13912340001" not in page
    only = client.get(reverse("messaging:replies"), {"opt_out": "1"}).content.decode()
    assert "退订" in only and "好的，谢谢" not in only
    assert login(agent).get(reverse("messaging:replies")).status_code == 403


def test_the_outbox_links_to_the_replies_for_whoever_reads_them(login, supervisor):
    assert reverse("messaging:replies") in login(supervisor).get(OUTBOX).content.decode()


def test_a_queued_message_in_quiet_hours_says_when_it_goes(login, supervisor, keeper):
    at = datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI)
    row = message(customer(keeper, 1), at=at, status=Status.QUEUED)
    OutboundMessage.objects.filter(pk=row.pk).update(not_before=at + timedelta(hours=10))
    page = login(supervisor).get(OUTBOX).content.decode()
    assert "2026-12-02 08:00 起发送" in page
