"""An open complaint holds the customer's marketing: the SMS platform leaves them out of marketing
sends (the check, the send, and again just before dispatch) and sends service and care texts as
before; once the complaint is closed, marketing flows again. Everyone who could send a cheerful
text sees it first: the customer page lists the open complaints at the top, the send form warns
before a marketing text, the callback queue and workbench mark the customer 投诉中."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import holds
from customers.messaging import CustomerAudience
from customers.models import ContactPreference
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging import services as sms
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.gateways.base import ACCEPTED, Gateway, Result
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose, SmsTemplate
from followups.complaints.models import Complaint, Severity
from followups.complaints.services import PlanInput, analysis_write, complaint_move, complaint_register
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, default_callback_rules, make_callback

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning, outside the quiet hours
Status = OutboundMessage.Status
PURPOSES = [Purpose.SERVICE, Purpose.CARE, Purpose.MARKETING, Purpose.NOTICE]
HELD = str(Exclusion.COMPLAINT_OPEN.label)


@pytest.fixture(autouse=True)
def _store(db, settings):
    """The roles' rights and the shipped general severity (a transactional test run before may have
    emptied the table), the console gateway, no rate limit."""
    sync_role_permissions()
    Severity.objects.get_or_create(code="general", defaults={
        "name": "一般", "rank": 1, "first_contact_hours": Decimal(24), "solve_hours": Decimal(72)})
    settings.SMS_GATEWAY = "console"
    settings.SMS_RATE_LIMIT = 0


@pytest.fixture
def clock():
    with time_machine.travel(DAYTIME, tick=False) as traveller:
        yield traveller


@pytest.fixture
def marketer(db):
    return UserFactory(username="marketing_he", display_name="何静", roles=[Role.MARKETING])


@pytest.fixture
def invitation(db):
    return SmsTemplate.objects.create(key="winter_event", name="冬季试驾会", purpose=Purpose.MARKETING,
                                      text="{name}您好，{store}本周六举办冬季试驾会，欢迎光临。")


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="pickup", name="取车提醒", purpose=Purpose.SERVICE,
                                      text="{name}您好，您的爱车已修好，可以来取车了。")


def complain(customer, *, by, owner=None, now=DAYTIME, category="attitude") -> Complaint:
    return complaint_register(customer=customer, channel=Complaint.Channel.PHONE, category=category,
                              description="服务顾问态度恶劣，要投诉", department="service", by=by, owner=owner, now=now)


def close(complaint: Complaint, *, owner, start=DAYTIME) -> Complaint:
    """The whole workflow by its owner, an hour a step, to closed with its case analysis."""
    at = start
    for action, note in [("contacted", "电话致歉"), ("investigating", ""), ("agreed", "店长致歉并赠送保养"),
                         ("solved", "已赠送保养"), ("followed_up", "客户表示接受"), ("satisfied", "")]:
        at += timedelta(hours=1)
        complaint = complaint_move(complaint=complaint, action=action, by=owner, note=note, now=at)
    analysis_write(complaint=complaint, root_cause="attitude", root_cause_text="顾问未耐心解释", by=owner, now=at,
                   plans=[PlanInput(action="服务礼仪培训", department="service", owner=owner, due_on=date(2026, 12, 31))])
    complaint = complaint_move(complaint=complaint, action="closed", by=owner, now=at + timedelta(hours=1))
    assert complaint.status == Complaint.Status.CLOSED
    return complaint


def refusals(customer) -> dict[str, str]:
    """purpose → why this customer is left out (the purposes they get are absent)."""
    audience = CustomerAudience()
    found = {}
    for purpose in PURPOSES:
        refusing = audience.refusals(purpose=purpose, customer_ids=[customer.pk])
        if customer.pk in refusing:
            found[purpose] = refusing[customer.pk]
    return found


class FakeGateway(Gateway):
    name = "fake"
    batch_size = 10

    def __init__(self):
        self.sent = []

    def send(self, messages):
        self.sent.extend(messages)
        return [Result(id=m.id, outcome=ACCEPTED, ref=f"ref-{m.id}") for m in messages]


# --- the archive's answer to the SMS platform ------------------------------------------------------
def test_an_open_complaint_holds_marketing_only_and_service_care_and_notices_still_go(agent):
    customer = CustomerFactory()
    assert refusals(customer) == {}
    complaint = complain(customer, by=agent)
    assert complaint.status == Complaint.Status.REGISTERED
    assert refusals(customer) == {Purpose.MARKETING: Exclusion.COMPLAINT_OPEN}


def test_every_state_but_closed_holds_marketing_and_the_close_lets_it_flow_again(agent, service_manager):
    customer = CustomerFactory()
    complaint = complain(customer, by=agent, owner=service_manager)
    for status in set(Complaint.Status.values) - {Complaint.Status.CLOSED}:
        Complaint.objects.filter(pk=complaint.pk).update(status=status)
        assert refusals(customer) == {Purpose.MARKETING: Exclusion.COMPLAINT_OPEN}, status
    Complaint.objects.filter(pk=complaint.pk).update(status=Complaint.Status.REGISTERED)
    close(complaint, owner=service_manager)
    assert refusals(customer) == {}


def test_the_customers_own_refusal_names_the_reason_when_both_apply(agent):
    customer = CustomerFactory()
    ContactPreference.objects.create(customer=customer, channel="sms", purpose="marketing", allowed=False,
                                     recorded_on=date(2026, 11, 1))
    complain(customer, by=agent)
    assert refusals(customer) == {Purpose.MARKETING: Exclusion.OPTED_OUT}


def test_everyone_held_is_read_in_one_query_however_many_complain(agent, django_assert_num_queries):
    complainers = [CustomerFactory() for _n in range(3)]
    for customer in complainers:
        complain(customer, by=agent)
    complain(complainers[0], by=agent, category="price")  # a second complaint of the same customer
    CustomerFactory()
    with django_assert_num_queries(1):
        held = holds.marketing_held()
    assert held == {customer.pk: Exclusion.COMPLAINT_OPEN for customer in complainers}
    with django_assert_num_queries(1):
        assert holds.marketing_held([complainers[1].pk, complainers[2].pk + 1000]) == {
            complainers[1].pk: Exclusion.COMPLAINT_OPEN}
    with django_assert_num_queries(0):
        assert holds.marketing_held([]) == {}


def test_a_hold_registered_twice_is_refused():
    with pytest.raises(ValueError):
        holds.hold_register("complaint_open", lambda ids: set(), reason=Exclusion.COMPLAINT_OPEN, badge="", title="")


# --- the SMS platform: queueing, bulk sends and the dispatch ------------------------------------------
def test_a_marketing_text_to_a_complainer_is_not_queued_a_service_text_is_and_after_the_close_marketing_is(
        clock, agent, service_manager):
    customer = CustomerFactory(mobile="13812345678")
    complaint = complain(customer, by=agent, owner=service_manager)
    refused = sms.message_queue(customer_id=customer.pk, purpose=Purpose.MARKETING, text="周六试驾会", idempotency_key="a")
    assert (refused.message, refused.excluded) == (None, Exclusion.COMPLAINT_OPEN)
    care = sms.message_queue(customer_id=customer.pk, purpose=Purpose.CARE, text="生日快乐", idempotency_key="b")
    service = sms.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, text="您的车已修好", idempotency_key="c")
    assert care.created and service.created

    close(complaint, owner=service_manager)
    again = sms.message_queue(customer_id=customer.pk, purpose=Purpose.MARKETING, text="周六试驾会", idempotency_key="d")
    assert again.created and again.message.status == Status.QUEUED


def test_a_queued_marketing_text_is_not_sent_when_the_customer_complains_before_the_dispatch(clock, agent):
    customer = CustomerFactory(mobile="13812345678")
    marketing = sms.message_queue(customer_id=customer.pk, purpose=Purpose.MARKETING, text="周六试驾会",
                                  idempotency_key="event").message
    service = sms.message_queue(customer_id=customer.pk, purpose=Purpose.SERVICE, text="您的车已修好",
                                idempotency_key="pickup").message
    assert marketing.status == service.status == Status.QUEUED
    complain(customer, by=agent)  # between the queueing and the dispatcher's claim

    gateway = FakeGateway()
    sms.dispatch(gateway=gateway)

    assert [m.id for m in gateway.sent] == [service.pk]
    held = OutboundMessage.objects.get(pk=marketing.pk)
    assert (held.status, held.reason_code) == (Status.CANCELLED, "held_at_send")
    assert OutboundMessage.objects.get(pk=service.pk).status == Status.SENT


def test_a_queued_marketing_text_goes_when_the_complaint_closed_before_the_dispatch(clock, agent, service_manager):
    customer = CustomerFactory(mobile="13812345678")
    complaint = complain(customer, by=agent, owner=service_manager, now=DAYTIME - timedelta(days=2))
    close(complaint, owner=service_manager, start=DAYTIME - timedelta(days=2))
    marketing = sms.message_queue(customer_id=customer.pk, purpose=Purpose.MARKETING, text="周六试驾会",
                                  idempotency_key="event").message
    gateway = FakeGateway()
    sms.dispatch(gateway=gateway)
    assert [m.id for m in gateway.sent] == [marketing.pk]


def test_the_bulk_check_counts_the_complainers_left_out_and_the_send_leaves_them_out(
        clock, login, supervisor, agent, invitation):
    calm = [CustomerFactory(mobile=f"1390000000{n}") for n in range(3)]
    angry = [CustomerFactory(mobile=f"1380000000{n}") for n in range(2)]
    for customer in angry:
        complain(customer, by=agent)
    client = login(supervisor)

    check = client.post(reverse("messaging:bulk_new"), {"source": "filter", "filter": "", "template": invitation.pk})
    assert check.status_code == 200
    table = check.content.decode().split('id="check-exclusions"', 1)[1].split("</table>", 1)[0]
    assert f'<tr><td>{HELD}</td><td class="text-end">2</td></tr>' in table
    assert check.context["check"]["recipients"] == 3

    bulk = sms.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, template=invitation, query="")
    assert bulk.excluded == {Exclusion.COMPLAINT_OPEN: 2}
    assert set(OutboundMessage.objects.filter(bulk=bulk).values_list("customer_id", flat=True)) == {c.pk for c in calm}
    page = client.get(reverse("messaging:bulk_detail", args=[bulk.pk])).content.decode()
    assert f"{HELD} 2" in page


def test_a_bulk_service_send_reaches_the_complainers(clock, supervisor, agent, reminder):
    customer = CustomerFactory(mobile="13800000001")
    complain(customer, by=agent)
    bulk = sms.bulk_send_create(by=supervisor, purpose=Purpose.SERVICE, template=reminder, query="")
    assert bulk.excluded == {} and OutboundMessage.objects.filter(bulk=bulk, customer=customer).exists()
    assert BulkSend.objects.get(pk=bulk.pk).recipients == 1


# --- the customer page ------------------------------------------------------------------------------
def detail(client, customer) -> str:
    return client.get(reverse("customers:detail", args=[customer.pk])).content.decode()


def hold_block(page: str) -> str:
    return page.split('id="hold-complaint_open"', 1)[1].split("</section>", 1)[0]


def test_the_customer_page_lists_the_open_complaints_at_the_top_with_their_deadline_and_link(
        clock, login, supervisor, agent, service_manager):
    customer = CustomerFactory(name="王晓")
    first = complain(customer, by=agent, now=DAYTIME - timedelta(days=7))  # its 24 working hours have passed
    second = complain(customer, by=agent, owner=service_manager, category="price")
    complaint_move(complaint=second, action="contacted", by=service_manager, note="电话致歉", now=DAYTIME)
    settled = close(complain(customer, by=agent, owner=service_manager, now=DAYTIME - timedelta(days=9)),
                    owner=service_manager, start=DAYTIME - timedelta(days=9))

    page = detail(login(supervisor), customer)
    block = hold_block(page)
    assert page.index('id="hold-complaint_open"') < page.index('id="profile-heading"')  # at the top
    assert '<section class="alert alert-danger py-2 mb-3 customer-hold" id="hold-complaint_open"' in page
    assert "未结投诉：结案前不发营销短信" in block
    second.refresh_from_db()
    for complaint, category, state in [(first, Complaint.Category.ATTITUDE, Complaint.Status.REGISTERED),
                                       (second, Complaint.Category.PRICE, Complaint.Status.CONTACTED)]:
        assert f'href="{reverse("complaints:complaint_detail", args=[complaint.pk])}">{complaint.number}</a>' in block
        assert f"· {category.label} · 一般 · {state.label}" in block
    assert settled.number not in block
    # the first is past its first-contact deadline (red, overdue first); the second runs to its solution
    assert block.index(first.number) < block.index(second.number)
    assert "已超时" in block.split(second.number)[0]
    assert f"({timezone.localtime(second.solve_due_at):%m-%d %H:%M})" in block
    assert "剩余" in block.split(second.number)[1]


def test_a_paused_complaint_says_its_clock_is_paused(clock, login, supervisor, agent, service_manager):
    customer = CustomerFactory()
    complaint = complain(customer, by=agent, owner=service_manager)
    complaint = complaint_move(complaint=complaint, action="contacted", by=service_manager, note="电话致歉", now=DAYTIME)
    from followups.complaints.services import complaint_pause

    complaint_pause(complaint=complaint, by=service_manager, note="等客户提供维修单据", now=DAYTIME)
    assert "计时已暂停" in hold_block(detail(login(supervisor), customer))


def test_an_agent_sees_the_complaints_but_links_only_those_they_may_open(clock, login, agent, supervisor):
    customer = CustomerFactory()
    theirs = complain(customer, by=agent)
    others = complain(customer, by=supervisor, category="price")
    block = hold_block(detail(login(agent), customer))
    assert f'href="{reverse("complaints:complaint_detail", args=[theirs.pk])}"' in block
    assert others.number in block and reverse("complaints:complaint_detail", args=[others.pk]) not in block
    assert login(agent).get(reverse("complaints:complaint_detail", args=[others.pk])).status_code == 403


def test_a_role_that_reads_no_complaints_is_told_only_that_marketing_is_held(clock, login, marketer, agent):
    customer = CustomerFactory()
    complaint = complain(customer, by=agent)
    block = hold_block(detail(login(marketer), customer))
    assert "该客户暂不接收营销短信。" in block
    assert complaint.number not in block and "href" not in block


def test_no_block_without_an_open_complaint(clock, login, supervisor, agent, service_manager):
    customer = CustomerFactory()
    assert 'id="hold-complaint_open"' not in detail(login(supervisor), customer)
    close(complain(customer, by=agent, owner=service_manager), owner=service_manager)
    assert 'id="hold-complaint_open"' not in detail(login(supervisor), customer)


def test_the_customer_page_runs_the_same_queries_for_one_complaint_or_several(
        clock, login, supervisor, agent, django_assert_num_queries):
    customer = CustomerFactory()
    complain(customer, by=agent)
    client = login(supervisor)
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for category in ("price", "parts", "waiting"):
        complain(customer, by=agent, category=category)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert hold_block(page).count('class="hold-case"') == 4


# --- the send form for one customer ------------------------------------------------------------------
def test_the_send_form_warns_before_a_marketing_text_to_a_complainer_and_it_is_not_sent(
        clock, login, supervisor, agent, invitation, reminder):
    customer = CustomerFactory(mobile="13812345678")
    complain(customer, by=agent)
    client = login(supervisor)
    preview = reverse("customers:sms_preview", args=[customer.pk])
    warned = client.post(preview, {"template": invitation.pk}).content.decode()
    assert 'id="preview-held"' in warned and f"{HELD}。此短信暂不会发给该客户。" in warned
    assert 'id="preview-held"' not in client.post(preview, {"template": reminder.pk}).content.decode()

    send = reverse("customers:sms_send", args=[customer.pk])
    token = client.get(send).context["form"].initial["token"]
    response = client.post(send, {"template": invitation.pk, "token": token}, follow=True)
    assert f"未发送：{HELD}。" in response.content.decode()
    assert not OutboundMessage.objects.filter(customer=customer).exists()


def test_the_send_form_does_not_warn_without_an_open_complaint(clock, login, supervisor, invitation):
    customer = CustomerFactory(mobile="13812345678")
    page = login(supervisor).post(reverse("customers:sms_preview", args=[customer.pk]),
                                  {"template": invitation.pk}).content.decode()
    assert 'id="preview-text"' in page and 'id="preview-held"' not in page


# --- the callback queue and workbench ----------------------------------------------------------------
def due(customer):
    now = timezone.now()
    return make_callback(customer=customer, due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=5))


def row_of(page: str, callback) -> str:
    return page.split(f'id="callback-{callback.pk}"', 1)[1].split("</tr>", 1)[0]


def test_the_queue_marks_the_complainers_in_a_fixed_number_of_queries(login, agent, django_assert_num_queries):
    default_callback_rules()
    angry, calm = CustomerFactory(name="王晓"), CustomerFactory(name="周敏")
    complain(angry, by=agent, now=timezone.now())
    angry_call, calm_call = due(angry), due(calm)
    client = login(agent)
    client.get(reverse("callbacks:workbench"))
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("callbacks:workbench")).content.decode()
    assert "投诉中" in row_of(page, angry_call) and "投诉中" not in row_of(page, calm_call)
    for n in range(5):
        other = CustomerFactory(name=f"客户{n}")
        complain(other, by=agent, now=timezone.now())
        due(other)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("callbacks:workbench")).content.decode()
    assert page.count("customer-hold-badge") == 6


def test_the_agent_calling_a_complainer_sees_it_on_the_queue_and_the_workbench(login, agent):
    default_callback_rules()
    customer = CustomerFactory(name="王晓")
    complain(customer, by=agent, now=timezone.now())
    callback = due(customer)
    client = login(agent)
    client.post(reverse("callbacks:take_next"))
    queue = client.get(reverse("callbacks:workbench")).content.decode()
    assert "投诉中" in queue.split('id="in-progress"', 1)[1].split("</a>", 1)[0]
    bench = client.get(reverse("callbacks:callback_detail", args=[callback.pk])).content.decode()
    head = bench.split('id="callback-head"', 1)[1].split('id="callback-status"', 1)[0]
    assert 'id="hold-complaint_open"' in head and "投诉中" in head


def test_the_workbench_of_a_customer_without_a_complaint_has_no_mark(login, agent, service_manager):
    default_callback_rules()
    customer = CustomerFactory()
    close(complain(customer, by=agent, owner=service_manager), owner=service_manager)
    callback = due(customer)
    bench = login(agent).get(reverse("callbacks:callback_detail", args=[callback.pk])).content.decode()
    assert "customer-hold-badge" not in bench
