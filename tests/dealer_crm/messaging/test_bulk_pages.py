"""The bulk-send pages: the new send and its check, confirming once, the bulk send's page with its
progress and recipients, resending the failed only, and the list."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.http import urlencode

from customers import services as archive
from customers.models import ContactPreference, Vehicle
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.gateways.base import ACCEPTED, REJECTED, Gateway, Result
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose, SmsTemplate
from tests.customers.factories import valid_vin
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning, outside the quiet hours
MITSUBISHI = "brand=mitsubishi"
Status = OutboundMessage.Status


def mitsubishi_archive() -> dict:
    """Ten Mitsubishi owners: two refuse marketing SMS, one has no mobile, one shares the mobile of
    an owner entered before him — six get a marketing text; three Renault owners are not in the filter."""
    keeper = UserFactory(roles=[Role.CALLBACK_AGENT])
    owners = []
    for n in range(10):
        mobile = {8: "", 9: "13900000000"}.get(n, f"1390000000{n}")
        customer = archive.customer_create(by=keeper, name=f"三菱车主{n}", mobile=mobile, gender="M")
        archive.vehicle_add(customer=customer, by=keeper, vin=valid_vin(5000 + n), plate=f"皖C5{n:04d}",
                            brand=Vehicle.Brand.MITSUBISHI, model_name="欧蓝德", delivery_date=date(2014, 5, 1))
        owners.append(customer)
    for customer in owners[1:3]:
        archive.contact_preference_set(customer=customer, channel=ContactPreference.Channel.SMS,
                                       purpose=ContactPreference.Purpose.MARKETING, allowed=False,
                                       reason="电话里说不要促销短信", by=keeper, on=date(2026, 11, 1))
    renault = []
    for n in range(3):
        customer = archive.customer_create(by=keeper, name=f"雷诺车主{n}", mobile=f"1370000000{n}")
        archive.vehicle_add(customer=customer, by=keeper, vin=valid_vin(6000 + n), brand=Vehicle.Brand.RENAULT,
                            model_name="科雷傲", delivery_date=date(2020, 5, 1))
        renault.append(customer)
    template = SmsTemplate.objects.create(key="spring_event", name="春季保养活动", purpose=Purpose.MARKETING,
                                          text="{name}{title}您好，{store}将于{date}举办春季保养活动，欢迎光临。")
    return {"owners": owners, "renault": renault, "template": template, "keeper": keeper,
            "refusing": owners[1:3], "no_mobile": owners[8], "duplicate": owners[9]}


@pytest.fixture
def store(db):
    sync_role_permissions()
    return mitsubishi_archive()


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


def new_page(query: str = MITSUBISHI) -> str:
    return f"{reverse('messaging:bulk_new')}?{urlencode({'filter': query})}"


def check(client, template: SmsTemplate, *, query: str = MITSUBISHI, **extra):
    return client.post(reverse("messaging:bulk_new"), {"source": "filter", "filter": query, "template": template.pk,
                                                        "date": "2026-12-12", **extra})


def confirm(client, response):
    return client.post(reverse("messaging:bulk_confirm"), {"token": response.context["check"]["token"]})


def exclusion_rows(html: str) -> dict[str, int]:
    import re

    table = html.split('id="check-exclusions"', 1)[1].split("</table>", 1)[0]
    return {label: int(n) for label, n in re.findall(r"<tr><td>([^<]+)</td><td class=\"text-end\">(\d+)</td></tr>", table)}


class AnswersGateway(Gateway):
    """The gateway's answer, decided by the test: numbers in `refuse` are rejected."""

    name = "console"
    refuse: set[str] = set()

    def send(self, messages):
        return [Result(id=m.id, outcome=REJECTED, reason="空号") if m.phone in self.refuse
                else Result(id=m.id, outcome=ACCEPTED, ref=f"t-{m.id}") for m in messages]


# --- the check ------------------------------------------------------------------------------------
def test_the_check_counts_who_gets_it_and_who_is_left_out_for_which_reason(supervisor_client, store, daytime):
    response = check(supervisor_client, store["template"])
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["check"]["recipients"] == 6
    assert '<strong class="d-block fs-4 text-success">6</strong>' in html
    assert '<strong class="d-block fs-4 text-danger">4</strong>' in html
    assert exclusion_rows(html) == {str(Exclusion.OPTED_OUT.label): 2, str(Exclusion.NO_MOBILE.label): 1,
                                    str(Exclusion.DUPLICATE_MOBILE.label): 1}
    assert OutboundMessage.objects.count() == 0 and BulkSend.objects.count() == 0  # a check sends nothing


def test_the_check_shows_the_text_of_the_first_recipient_with_its_length(supervisor_client, store, daytime, settings):
    settings.SMS_SIGN_NAME, settings.SMS_STORE_NAME = "合肥雷诺4S店", "合肥雷诺4S店"
    html = check(supervisor_client, store["template"]).content.decode()
    text = "三菱车主0先生您好，合肥雷诺4S店将于12月12日举办春季保养活动，欢迎光临。 回T退订"
    assert f'id="check-preview">【合肥雷诺4S店】{text}</div>' in html
    characters = len("【合肥雷诺4S店】") + len(text)
    assert response_length(html) == characters


def response_length(html: str) -> int:
    import re

    return int(re.search(r'id="check-length">\D*(\d+)', html).group(1))


def test_a_text_that_says_date_needs_the_date(supervisor_client, store, daytime):
    response = check(supervisor_client, store["template"], date="")
    assert response.context["check"] is None
    assert response.context["form"].errors["date"]


def test_a_marketing_check_by_sales_says_it_waits_for_the_supervisor(client, store, daytime):
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    html = check(client, store["template"]).content.decode()
    assert 'id="check-approval"' in html


def test_a_supervisors_marketing_check_does_not_wait(supervisor_client, store, daytime):
    assert 'id="check-approval"' not in check(supervisor_client, store["template"]).content.decode()


def test_free_text_needs_its_purpose(supervisor_client, store, daytime):
    response = supervisor_client.post(reverse("messaging:bulk_new"), {"source": "filter", "filter": MITSUBISHI,
                                                                      "text": "本周六门店停电，暂停营业一天。"})
    assert response.context["form"].errors["purpose"]
    response = supervisor_client.post(reverse("messaging:bulk_new"), {"source": "filter", "filter": MITSUBISHI,
                                                                      "text": "本周六门店停电，暂停营业一天。", "purpose": "notice"})
    assert response.context["check"]["recipients"] == 8  # a notice: the two who refuse marketing get it too


def test_the_new_page_shows_the_filter_it_was_given(supervisor_client, store):
    html = supervisor_client.get(new_page()).content.decode()
    assert 'name="filter" value="brand=mitsubishi"' in html
    assert 'href="/customers/?brand=mitsubishi"' in html


def test_a_role_without_bulk_sends_is_refused(client, store, colleague):
    client.force_login(colleague)
    assert client.get(new_page()).status_code == 403
    assert client.get(reverse("messaging:bulk_list")).status_code == 403


# --- confirming -----------------------------------------------------------------------------
def test_confirming_queues_one_message_per_recipient_and_none_to_who_refuses(supervisor_client, store, daytime):
    response = confirm(supervisor_client, check(supervisor_client, store["template"]))
    bulk = BulkSend.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("messaging:bulk_detail", args=[bulk.pk])
    assert bulk.status == BulkSend.Status.QUEUED and bulk.recipients == 6
    assert bulk.excluded == {"opted_out": 2, "no_mobile": 1, "duplicate_mobile": 1}
    queued = set(bulk.messages.values_list("customer_id", flat=True))
    assert queued == {c.pk for c in store["owners"][:1] + store["owners"][3:8]}
    assert not queued & {c.pk for c in store["refusing"]}
    assert bulk.filter_query == MITSUBISHI and bulk.variables == {"date": "12月12日"}


def test_a_double_submit_of_the_confirm_makes_one_bulk_send(supervisor_client, store, daytime):
    checked = check(supervisor_client, store["template"])
    first = confirm(supervisor_client, checked)
    second = confirm(supervisor_client, checked)
    assert BulkSend.objects.count() == 1
    assert OutboundMessage.objects.count() == 6
    assert first["Location"].startswith("/sms/bulk/") and second["Location"] == reverse("messaging:bulk_list")


def test_a_confirm_without_a_checked_token_sends_nothing(supervisor_client, store, daytime):
    response = supervisor_client.post(reverse("messaging:bulk_confirm"), {"token": "made-up"})
    assert response["Location"] == reverse("messaging:bulk_list")
    assert BulkSend.objects.count() == 0


def test_two_checks_are_two_bulk_sends_but_the_second_leaves_out_who_got_it_today(supervisor_client, store, daytime):
    first, second = check(supervisor_client, store["template"]), check(supervisor_client, store["template"])
    confirm(supervisor_client, first)
    confirm(supervisor_client, second)
    assert BulkSend.objects.count() == 2
    assert OutboundMessage.objects.count() == 6
    assert BulkSend.objects.order_by("id").last().excluded["same_template"] == 6


@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_make_one_bulk_send(store, supervisor, daytime):
    """A double click: both requests reach the server together, each on its own database connection."""
    import threading

    from django.test import Client

    first = Client()
    first.force_login(supervisor)
    token = check(first, store["template"]).context["check"]["token"]
    second = Client()
    second.cookies = first.cookies
    barrier, answers = threading.Barrier(2), []

    def post(client):
        from django.db import connections

        barrier.wait()
        try:
            answers.append(client.post(reverse("messaging:bulk_confirm"), {"token": token})["Location"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(client,)) for client in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    bulk = BulkSend.objects.get()
    assert sorted(answers) == sorted([reverse("messaging:bulk_detail", args=[bulk.pk]), reverse("messaging:bulk_list")])
    assert OutboundMessage.objects.count() == 6


# --- the bulk send's page -----------------------------------------------------------------------
@pytest.fixture
def sent_bulk(store, supervisor, daytime):
    bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, template=store["template"],
                                     variables={"date": "12月12日"}, query=MITSUBISHI)
    AnswersGateway.refuse = {"13900000004", "13900000005"}
    services.dispatch(gateway=AnswersGateway())
    return bulk


def test_the_bulk_page_shows_who_sent_it_the_filter_and_the_counts_by_status(supervisor_client, sent_bulk, supervisor):
    response = supervisor_client.get(reverse("messaging:bulk_detail", args=[sent_bulk.pk]))
    html = response.content.decode()
    assert str(supervisor) in html.split('id="bulk-sender">', 1)[1].split("</dd>", 1)[0]
    assert "mitsubishi" in html.split('id="bulk-source">', 1)[1].split("</dd>", 1)[0]
    counts = dict((value, n) for value, _label, n in response.context["counts"])
    assert counts == {"queued": 0, "sending": 0, "sent": 4, "delivered": 0, "failed": 2, "unknown": 0, "cancelled": 0}
    assert 'hx-trigger="every 2s"' not in html  # finished: no polling


def test_the_recipients_show_masked_phones_and_link_to_their_customers(supervisor_client, sent_bulk, store):
    html = supervisor_client.get(reverse("messaging:bulk_detail", args=[sent_bulk.pk])).content.decode()
    table = html.split('id="bulk-recipients"', 1)[1]
    assert "139****0004" in table and "13900000004" not in table
    first = store["owners"][0]
    assert f'<a href="/customers/{first.pk}/">三菱车主0</a>' in table
    assert "空号" in table


def test_the_recipients_filter_by_status_and_page(supervisor_client, sent_bulk, monkeypatch):
    from dealer_crm.messaging.views import bulk as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    url = reverse("messaging:bulk_detail", args=[sent_bulk.pk])
    failed = supervisor_client.get(url, {"status": "failed"})
    assert [m.phone for m in failed.context["page"].object_list] == ["13900000004", "13900000005"]
    second = supervisor_client.get(url, {"page": 2})
    assert second.context["page"].number == 2 and len(second.context["page"].object_list) == 2
    assert 'href="?page=3"' in second.content.decode()


def test_the_bulk_page_runs_a_fixed_number_of_queries(supervisor_client, sent_bulk, django_assert_num_queries,
                                                      supervisor, store):
    url = reverse("messaging:bulk_detail", args=[sent_bulk.pk])
    supervisor_client.get(url)  # the session and the caches warmed
    with django_assert_num_queries(8) as small:
        supervisor_client.get(url)
    more = services.bulk_send_create(by=supervisor, purpose=Purpose.NOTICE, text="本周六门店停电，暂停营业一天。",
                                     query="")
    with django_assert_num_queries(len(small.captured_queries)):
        supervisor_client.get(reverse("messaging:bulk_detail", args=[more.pk]))


def test_the_progress_polls_every_two_seconds_while_sending_and_stops_when_done(supervisor_client, store, supervisor,
                                                                               daytime):
    bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, template=store["template"],
                                     variables={"date": "12月12日"}, query=MITSUBISHI)
    page = supervisor_client.get(reverse("messaging:bulk_detail", args=[bulk.pk])).content.decode()
    assert f'hx-get="/sms/bulk/{bulk.pk}/progress/" hx-trigger="every 2s"' in page
    sending = supervisor_client.get(reverse("messaging:bulk_progress", args=[bulk.pk]))
    assert sending.context["percent"] == 0 and "HX-Refresh" not in sending
    assert 'hx-trigger="every 2s"' in sending.content.decode()
    three = services.claim(batch_size=3, gateway_name="console")
    services.send_claimed(gateway=AnswersGateway(), messages=three)
    half = supervisor_client.get(reverse("messaging:bulk_progress", args=[bulk.pk]))
    assert half.context["percent"] == 50
    assert '<span class="bulk-percent">50%</span>' in half.content.decode()
    services.dispatch(gateway=AnswersGateway())
    done = supervisor_client.get(reverse("messaging:bulk_progress", args=[bulk.pk]))
    assert done["HX-Refresh"] == "true"
    assert "hx-trigger" not in done.content.decode()


def test_the_progress_says_when_quiet_hours_hold_the_messages(supervisor_client, store, supervisor):
    with time_machine.travel(datetime(2026, 12, 1, 22, 30, tzinfo=SHANGHAI), tick=False):
        bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, template=store["template"],
                                         variables={"date": "12月12日"}, query=MITSUBISHI)
        services.dispatch(gateway=AnswersGateway())
        html = supervisor_client.get(reverse("messaging:bulk_progress", args=[bulk.pk])).content.decode()
    assert bulk.messages.filter(status=Status.QUEUED).count() == 6
    assert "08:00" in html


# --- resend the failed only -----------------------------------------------------------------------
def test_resending_the_failed_only_queues_the_failed_rows_and_touches_no_other(supervisor_client, sent_bulk):
    before = {m.pk: (m.status, m.sent_at, m.attempts) for m in sent_bulk.messages.exclude(status=Status.FAILED)}
    failed_ids = set(sent_bulk.messages.filter(status=Status.FAILED).values_list("id", flat=True))
    page = supervisor_client.get(reverse("messaging:bulk_detail", args=[sent_bulk.pk])).content.decode()
    assert f'action="/sms/bulk/{sent_bulk.pk}/resend-failed/"' in page and "data-confirm=" in page
    supervisor_client.post(reverse("messaging:bulk_resend_failed", args=[sent_bulk.pk]))
    assert set(sent_bulk.messages.filter(status=Status.QUEUED).values_list("id", flat=True)) == failed_ids
    after = {m.pk: (m.status, m.sent_at, m.attempts) for m in sent_bulk.messages.exclude(pk__in=failed_ids)}
    assert after == before
    AnswersGateway.refuse = set()
    services.dispatch(gateway=AnswersGateway())
    assert sent_bulk.messages.filter(status=Status.SENT).count() == 6
    assert OutboundMessage.objects.count() == 6  # the same rows sent again, none added


def test_the_resend_button_shows_only_when_some_failed(supervisor_client, store, supervisor, daytime):
    bulk = services.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, template=store["template"],
                                     variables={"date": "12月12日"}, query=MITSUBISHI)
    AnswersGateway.refuse = set()
    services.dispatch(gateway=AnswersGateway())
    page = supervisor_client.get(reverse("messaging:bulk_detail", args=[bulk.pk])).content.decode()
    assert "resend-failed" not in page


# --- the list -----------------------------------------------------------------------------------
def test_the_list_shows_the_newest_first_with_status_counts_sender_and_approver(client, store, supervisor, daytime):
    sales = UserFactory(username="sales_zhou", display_name="周强", roles=[Role.SALES_MANAGER])
    first = services.bulk_send_create(by=supervisor, purpose=Purpose.NOTICE, text="本周六门店停电，暂停营业一天。",
                                      query=MITSUBISHI)
    second = services.bulk_send_create(by=sales, purpose=Purpose.MARKETING, template=store["template"],
                                       variables={"date": "12月12日"}, query=MITSUBISHI)
    services.bulk_send_approve(bulk=second, by=supervisor)
    client.force_login(sales)
    response = client.get(reverse("messaging:bulk_list"))
    assert [bulk.pk for bulk in response.context["page"].object_list] == [second.pk, first.pk]
    rows = response.content.decode().split('id="bulk-sends"', 1)[1].split("<tr>")[2:]
    assert "周强" in rows[0] and str(supervisor) in rows[0]
    assert "0 / 0 / 6" in rows[0] and "0 / 0 / 8" in rows[1]
    assert 'id="bulk-new-link"' in response.content.decode()


def test_the_customer_list_offers_a_bulk_send_of_its_filter_to_who_may_send_one(client, store, supervisor, agent):
    client.force_login(supervisor)
    html = client.get(reverse("customers:list"), {"brand": "mitsubishi", "page": "1"}).content.decode()
    assert 'href="/sms/bulk/new/?filter=brand%3Dmitsubishi"' in html
    client.force_login(agent)  # agents send one by one, no bulk sends
    assert 'id="bulk-sms-link"' not in client.get(reverse("customers:list"), {"brand": "mitsubishi"}).content.decode()
