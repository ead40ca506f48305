"""The dispatcher: each due row goes to one sender, quiet hours hold what may wait, a refusal after
queueing cancels, temporary errors back off and give up, a rejection fails with the gateway's reason,
and what the gateway may have is never sent again by itself."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import translation

from customers.models import ContactPreference, TimelineEntry
from dealer_crm.messaging import reasons, services
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Gateway, Outgoing, Result
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose, SmsTemplate
from tests.customers.factories import CustomerFactory, make_vehicle

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
Status = OutboundMessage.Status


class FakeGateway(Gateway):
    """The outside world: answers `outcome` for every message (or per phone) and records each call."""

    name = "fake"
    batch_size = 10

    def __init__(self, outcome: str = ACCEPTED, reason: str = "", by_phone: dict[str, str] | None = None):
        self.outcome, self.reason, self.by_phone = outcome, reason, by_phone or {}
        self.sent: list[Outgoing] = []
        self.lock = threading.Lock()

    def send(self, messages: list[Outgoing]) -> list[Result]:
        with self.lock:
            self.sent.extend(messages)
        results = []
        for m in messages:
            outcome = self.by_phone.get(m.phone, self.outcome)
            results.append(Result(id=m.id, outcome=outcome, reason=self.reason if outcome != ACCEPTED else "",
                                  ref=f"ref-{m.id}" if outcome == ACCEPTED else ""))
        return results


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    settings.SMS_RATE_LIMIT = 0
    settings.SMS_MAX_ATTEMPTS = 3
    settings.SMS_RETRY_BACKOFF_SECONDS = 10
    settings.SMS_CLAIM_LEASE_SECONDS = 300
    settings.SMS_MARKETING_WEEKLY_CAP = 2
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def queue(customer, *, key: str, purpose=Purpose.SERVICE, template=None, text="您的车已修好，可以来取车了。"):
    return services.message_queue(customer_id=customer.pk, purpose=purpose, template=template, text=text,
                                  idempotency_key=key).message


def customers(n: int):
    return [CustomerFactory(name=f"客户{i}", mobile=f"139{i:08d}") for i in range(n)]


def reload(message) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=message.pk)


# --- claiming -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_claimed_row_is_not_claimed_again(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    (claimed,) = services.claim(batch_size=10, gateway_name="fake")
    assert claimed.pk == message.pk and claimed.status == Status.SENDING and claimed.attempts == 1
    assert services.claim(batch_size=10, gateway_name="fake") == []


@pytest.mark.django_db
def test_a_message_not_yet_due_is_not_claimed(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    OutboundMessage.objects.filter(pk=message.pk).update(not_before=NOON + timedelta(minutes=5))
    assert services.claim(batch_size=10, gateway_name="fake") == []
    clock.move_to(NOON + timedelta(minutes=5))
    assert len(services.claim(batch_size=10, gateway_name="fake")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_share_the_rows_without_overlap():
    with time_machine.travel(NOON, tick=False):
        # written directly: queueing each would ask the broker for a dispatch 60 times
        OutboundMessage.objects.bulk_create([
            OutboundMessage(customer=c, phone=c.mobile, text="通知", purpose=Purpose.NOTICE, idempotency_key=f"k{c.pk}",
                            not_before=NOON) for c in customers(60)])
        barrier = threading.Barrier(3)
        taken: list[list[int]] = [[], [], []]

        def sender(n: int):
            try:
                barrier.wait(timeout=10)
                while rows := services.claim(batch_size=7, gateway_name="fake"):
                    taken[n].extend(row.pk for row in rows)
            finally:
                connection.close()

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    every = [pk for ids in taken for pk in ids]
    assert len(every) == 60 and len(set(every)) == 60
    assert OutboundMessage.objects.filter(status=Status.SENDING, attempts=1).count() == 60


@pytest.mark.django_db
def test_quiet_hours_hold_what_may_wait_and_let_exempt_rows_go(clock):
    confirmation = SmsTemplate.objects.create(key="appointment", name="预约确认", purpose=Purpose.SERVICE,
                                              text="您已预约明天到店", quiet_hours_exempt=True)
    a, b = customers(2)
    waiting = queue(a, key="reminder")  # queued at noon, due at noon, still waiting at 21:30
    clock.move_to(datetime(2026, 12, 1, 21, 30, tzinfo=SHANGHAI))
    exempt = queue(b, key="confirmation", template=confirmation, text="")
    gateway = FakeGateway()
    services.dispatch(gateway=gateway)
    assert [m.id for m in gateway.sent] == [exempt.pk]
    assert reload(waiting).status == Status.QUEUED
    clock.move_to(datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI))
    services.dispatch(gateway=gateway)
    assert [m.id for m in gateway.sent] == [exempt.pk, waiting.pk]


# --- sending --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_accepted_message_is_sent_once_with_our_id_as_the_out_id(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    gateway = FakeGateway()
    outcome = services.dispatch(gateway=gateway)
    assert dict(outcome.outcomes) == {ACCEPTED: 1} and not outcome.more
    assert [(m.id, m.phone, m.text) for m in gateway.sent] == [(message.pk, "13812345678", "您的车已修好，可以来取车了。")]
    message = reload(message)
    assert (message.status, message.gateway, message.gateway_ref, message.sent_at) == (Status.SENT, "fake", f"ref-{message.pk}", NOON)
    services.dispatch(gateway=gateway)
    assert len(gateway.sent) == 1


@pytest.mark.django_db
def test_a_template_goes_with_its_code_and_values(clock):
    class CodeGateway(FakeGateway):
        def template_code(self, template):
            return template.aliyun_code

    reminder = SmsTemplate.objects.create(key="m", name="保养到期提醒", purpose=Purpose.SERVICE, text="{name}您好",
                                          aliyun_code="SMS_100000001")
    queue(CustomerFactory(name="张三", mobile="13812345678"), key="a", template=reminder, text="")
    gateway = CodeGateway()
    services.dispatch(gateway=gateway)
    assert (gateway.sent[0].template_code, gateway.sent[0].params) == ("SMS_100000001", {"name": "张三"})


@pytest.mark.django_db
def test_a_customer_who_refuses_after_queueing_is_never_sent_it(clock):
    customer = CustomerFactory(mobile="13812345678")
    message = queue(customer, key="event", purpose=Purpose.MARKETING, text="周六试驾会")
    ContactPreference.objects.create(customer=customer, channel="sms", purpose="marketing", allowed=False,
                                     recorded_on=date(2026, 12, 1))
    gateway = FakeGateway()
    services.dispatch(gateway=gateway)
    assert gateway.sent == []
    message = reload(message)
    assert message.status == Status.CANCELLED and message.settled_at == NOON
    assert not TimelineEntry.objects.exists()


@pytest.mark.django_db
def test_a_refusal_of_marketing_after_queueing_lets_a_service_message_go(clock):
    customer = CustomerFactory(mobile="13812345678")
    marketing = queue(customer, key="event", purpose=Purpose.MARKETING, text="周六试驾会")
    service = queue(customer, key="pickup", purpose=Purpose.SERVICE)
    ContactPreference.objects.create(customer=customer, channel="sms", purpose="marketing", allowed=False,
                                     recorded_on=date(2026, 12, 1))
    gateway = FakeGateway()
    services.dispatch(gateway=gateway)
    assert [m.id for m in gateway.sent] == [service.pk]
    assert reload(marketing).status == Status.CANCELLED


@pytest.mark.django_db
def test_a_temporary_error_backs_off_doubling_then_fails_after_the_last_attempt(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    gateway = FakeGateway(TEMPORARY, reason="HTTP 503")
    services.dispatch(gateway=gateway)
    message = reload(message)
    assert (message.status, message.attempts, message.reason) == (Status.QUEUED, 1, "HTTP 503")
    assert message.not_before == NOON + timedelta(seconds=10)
    assert message.claim is None

    clock.move_to(NOON + timedelta(seconds=9))
    services.dispatch(gateway=gateway)
    assert len(gateway.sent) == 1  # not yet due

    second_try = NOON + timedelta(seconds=10)
    clock.move_to(second_try)
    services.dispatch(gateway=gateway)
    message = reload(message)
    assert (message.status, message.attempts) == (Status.QUEUED, 2)
    assert message.not_before == second_try + timedelta(seconds=20)

    third_try = second_try + timedelta(seconds=20)
    clock.move_to(third_try)
    services.dispatch(gateway=gateway)
    message = reload(message)
    assert (message.status, message.attempts, message.settled_at) == (Status.FAILED, 3, third_try)
    assert (message.reason_code, message.reason) == (reasons.TEMPORARY_GAVE_UP, "HTTP 503")
    assert len(gateway.sent) == 3

    clock.move_to(third_try + timedelta(hours=1))
    services.dispatch(gateway=gateway)
    assert len(gateway.sent) == 3


@pytest.mark.django_db
def test_a_temporary_error_then_success_is_one_message_sent(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    services.dispatch(gateway=FakeGateway(TEMPORARY, reason="HTTP 500"))
    clock.move_to(NOON + timedelta(seconds=10))
    services.dispatch(gateway=FakeGateway(ACCEPTED))
    message = reload(message)
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert TimelineEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_rejection_fails_at_once_with_the_gateways_reason(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    gateway = FakeGateway(REJECTED, reason="isv.MOBILE_NUMBER_ILLEGAL")
    services.dispatch(gateway=gateway)
    message = reload(message)
    assert (message.status, message.reason, message.attempts) == (Status.FAILED, "isv.MOBILE_NUMBER_ILLEGAL", 1)
    clock.move_to(NOON + timedelta(hours=1))
    services.dispatch(gateway=gateway)
    assert len(gateway.sent) == 1


@pytest.mark.django_db
def test_an_unknown_outcome_stays_unknown_and_is_not_sent_again(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    gateway = FakeGateway(UNKNOWN, reason="The gateway did not answer in time.")
    services.dispatch(gateway=gateway)
    message = reload(message)
    assert (message.status, message.reason) == (Status.UNKNOWN, "The gateway did not answer in time.")
    assert message.settled_at is None
    for hours in (1, 25, 49):
        clock.move_to(NOON + timedelta(hours=hours))
        services.sweep_in_doubt()
        services.dispatch(gateway=gateway)
    assert len(gateway.sent) == 1
    assert reload(message).status == Status.UNKNOWN
    assert list(services.unknown_overdue()) == [message]


@pytest.mark.django_db
def test_our_own_failure_around_the_call_is_unknown_not_failed(clock):
    class Broken(FakeGateway):
        def send(self, messages):
            super().send(messages)
            raise RuntimeError("a bug after the request left")

    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    services.dispatch(gateway=Broken())
    assert reload(message).status == Status.UNKNOWN


@pytest.mark.django_db
def test_each_outcome_in_one_batch_is_recorded_for_its_own_message(clock):
    ok, bad, later = customers(3)
    m_ok, m_bad, m_later = (queue(c, key=str(c.pk)) for c in (ok, bad, later))
    gateway = FakeGateway(by_phone={bad.mobile: REJECTED, later.mobile: TEMPORARY}, reason="x")
    outcome = services.dispatch(gateway=gateway)
    assert dict(outcome.outcomes) == {ACCEPTED: 1, REJECTED: 1, TEMPORARY: 1}
    assert [reload(m).status for m in (m_ok, m_bad, m_later)] == [Status.SENT, Status.FAILED, Status.QUEUED]


# --- senders that stopped -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_claim_older_than_the_lease_becomes_unknown(clock):
    old, fresh = customers(2)
    m_old = queue(old, key="old")
    services.claim(batch_size=10, gateway_name="fake")  # the sender is killed during the call
    clock.move_to(NOON + timedelta(seconds=200))
    m_fresh = queue(fresh, key="fresh")
    services.claim(batch_size=10, gateway_name="fake")
    clock.move_to(NOON + timedelta(seconds=301))
    assert services.sweep_in_doubt() == 1
    assert reload(m_old).status == Status.UNKNOWN
    assert reload(m_fresh).status == Status.SENDING
    gateway = FakeGateway()
    services.dispatch(gateway=gateway)
    assert gateway.sent == []  # neither is sent again


@pytest.mark.django_db
def test_a_late_answer_of_a_swept_sender_changes_nothing(clock):
    message = queue(CustomerFactory(mobile="13812345678"), key="a")
    claimed = services.claim(batch_size=10, gateway_name="fake")
    clock.move_to(NOON + timedelta(seconds=301))
    services.sweep_in_doubt()
    services.results_record(messages=claimed, results=[Result(id=message.pk, outcome=REJECTED, reason="late")])
    assert reload(message).status == Status.UNKNOWN


# --- bulk sends ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_bulk_send_is_done_when_nothing_waits(clock, supervisor):
    people = customers(3)
    bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.NOTICE, text="本店已迁至胜利路88号。")
    assert bulk.status == BulkSend.Status.QUEUED and bulk.recipients == 3
    gateway = FakeGateway(by_phone={people[2].mobile: TEMPORARY}, reason="HTTP 503")
    services.dispatch(gateway=gateway)
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.QUEUED and bulk.finished_at is None  # one is still waiting
    clock.move_to(NOON + timedelta(seconds=10))
    services.dispatch(gateway=FakeGateway())
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.DONE and bulk.finished_at == NOON + timedelta(seconds=10)
    assert bulk.messages.filter(status=Status.SENT).count() == 3


@pytest.mark.django_db
def test_a_bulk_send_with_an_unknown_message_is_done(clock, supervisor):
    customers(2)
    bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.NOTICE, text="本店已迁至胜利路88号。")
    services.dispatch(gateway=FakeGateway(UNKNOWN))
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.DONE


# --- the timeline ------------------------------------------------------------------------------------------
@pytest.fixture
def _store_language_after():
    yield
    translation.activate("zh-hans")


@pytest.mark.django_db
def test_each_sent_message_is_on_its_customers_timeline_in_chinese_and_english(clock, login, agent,
                                                                                _store_language_after):
    customer = CustomerFactory(name="张三", mobile="13812345678")
    make_vehicle(customer, serial=1, plate="皖C12345")
    reminder = SmsTemplate.objects.create(key="m", name="保养到期提醒", purpose=Purpose.SERVICE,
                                          text="{name}您好，您的爱车保养到期。")
    queue(customer, key="a", template=reminder, text="")
    queue(customer, key="b", purpose=Purpose.CARE, text="祝您生日快乐！")
    services.dispatch(gateway=FakeGateway(by_phone={}))
    entries = TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.SMS)
    assert entries.count() == 2
    entry = entries.get(params__template="保养到期提醒")
    assert entry.params["text"] == "张三您好，您的爱车保养到期。"
    assert entry.occurred_at == NOON
    client = login(agent)
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/customers/{customer.pk}/").content.decode().split('id="timeline"')[1]
    assert "已发短信 · 服务提醒" in chinese and "张三您好，您的爱车保养到期。" in chinese
    assert "已发短信 · 关怀" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(f"/customers/{customer.pk}/").content.decode().split('id="timeline"')[1]
    assert "SMS sent · Service (reminders, appointments)" in english and "SMS sent · Care (greetings)" in english


@pytest.mark.django_db
def test_a_message_that_is_not_sent_is_not_on_the_timeline(clock):
    customer = CustomerFactory(mobile="13812345678")
    queue(customer, key="a")
    services.dispatch(gateway=FakeGateway(REJECTED, reason="空号"))
    assert not TimelineEntry.objects.filter(customer=customer).exists()
