"""One lead's page (/leads/<pk>/): who may open it, the steps each user may take there (the manager
assigns and reopens, the consultant records contacts and wins or loses it), the forms sent back filled
in on bad input, confirmations before closing, the archive's customers with the lead's mobile offered
for linking, the whole mobile for who calls, and a fixed number of queries."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from customers.models import Customer
from dealer_crm.audit.models import AuditEvent
from followups.leads import services
from followups.leads.models import Lead
from tests.customers.factories import CustomerFactory

from .conftest import MONDAY_10, hand_over, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def url(lead: Lead, action: str = "") -> str:
    return reverse(f"leads:lead_{action}" if action else "leads:lead_detail", args=[lead.pk])


@pytest.fixture
def lead(agent):
    return hand_over(by=agent, name="王小明", mobile="18655553001", budget="20万", note="想换七座车")


@pytest.fixture
def given(lead, sales_manager, consultant):
    return services.lead_assign(lead=lead, to=consultant, by=sales_manager)


# --- who opens it ---------------------------------------------------------------------------------
def test_the_page_tells_the_lead_and_its_story(login, sales_manager, given):
    page = html(login(sales_manager).get(url(given)))
    assert f"{given.number} · 王小明 · 科雷傲" in page and "20万" in page and "想换七座车" in page
    assert "186****3001" in page and "18655553001" not in page
    assert "登记" in page and "已分派" in page and "分派给 周敏" in page and "周敏" in page


def test_the_consultant_and_the_creator_open_it_another_consultant_does_not(login, given, agent, consultant,
                                                                          other_consultant, general_manager):
    assert login(consultant).get(url(given)).status_code == 200
    assert login(agent).get(url(given)).status_code == 200
    assert login(general_manager).get(url(given)).status_code == 200
    assert login(other_consultant).get(url(given)).status_code == 403


def test_a_colleague_without_the_right_is_refused_before_the_lead_is_looked_up(login, outsider, given):
    client = login(outsider)
    assert client.get(url(given)).status_code == 403
    assert client.get(reverse("leads:lead_detail", args=[999_999])).status_code == 403
    assert client.post(url(given, "lose"), {"lose-reason": "x"}).status_code == 403


def test_no_such_lead_is_a_404(login, sales_manager):
    assert login(sales_manager).get(reverse("leads:lead_detail", args=[999_999])).status_code == 404


# --- what each one may do -------------------------------------------------------------------------
def test_an_unassigned_lead_puts_the_managers_assignment_first(login, sales_manager, consultant, lead):
    page = html(login(sales_manager).get(url(lead)))
    assert 'id="lead-assign-form"' in page and "分派给销售顾问" in page and "周敏" in page
    assert 'id="lead-contact-form"' not in page  # nobody to record a contact yet
    assert 'id="lead-win-form"' in page and 'id="lead-lose-form"' in page  # the manager may close (a duplicate)


def test_the_consultant_records_contacts_and_closes_but_does_not_assign(login, consultant, given):
    page = html(login(consultant).get(url(given)))
    assert 'id="lead-contact-form"' in page and 'id="lead-win-form"' in page and 'id="lead-lose-form"' in page
    assert 'id="lead-assign-form"' not in page and 'id="lead-reopen-form"' not in page
    assert login(consultant).post(url(given, "assign"), {"assign-to": consultant.pk}).status_code == 403


def test_the_creator_and_the_readers_see_no_steps_to_take(login, agent, general_manager, given):
    for user in (agent, general_manager):
        page = html(login(user).get(url(given)))
        assert 'id="lead-contact-form"' not in page and 'id="lead-assign-form"' not in page
        assert 'id="lead-win-form"' not in page and "周敏 正在跟进此线索" in page
    assert login(agent).post(url(given, "contact"), {"contact-note": "x", "contact-next_contact_on": "2026-12-01"}
                             ).status_code == 403


def test_the_manager_gives_the_lead(login, sales_manager, consultant, lead):
    response = login(sales_manager).post(url(lead, "assign"), {
        "assign-to": consultant.pk, "assign-next_contact_on": "2026-12-01", "assign-note": "优先跟进"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.assigned_to, lead.next_contact_on, lead.status) == (consultant, date(2026, 12, 1), "assigned")
    assert "线索已分派给 周敏" in html(login(sales_manager).get(url(lead)))


def test_a_first_contact_in_the_past_comes_back_with_the_form_filled_in(login, sales_manager, consultant, lead):
    response = login(sales_manager).post(url(lead, "assign"), {
        "assign-to": consultant.pk, "assign-next_contact_on": "2026-11-01", "assign-note": "优先跟进"})
    page = html(response)
    assert response.status_code == 400 and "下次联系日期不能早于今天" in page
    assert 'value="2026-11-01"' in page and 'value="优先跟进"' in page
    assert f'<option value="{consultant.pk}" selected>' in page
    assert Lead.objects.get(pk=lead.pk).assigned_to is None


def test_the_consultant_records_a_contact(login, consultant, given):
    response = login(consultant).post(url(given, "contact"), {
        "contact-note": "客户周六来店试驾", "contact-next_contact_on": "2026-12-05"})
    assert response.status_code == 302
    given.refresh_from_db()
    assert (given.status, given.next_contact_on) == ("following", date(2026, 12, 5))
    page = html(login(consultant).get(url(given)))
    assert "联系已记录；下次联系日期 2026-12-05" in page and "客户周六来店试驾" in page and "下次联系 2026-12-05" in page


def test_a_contact_without_what_was_said_comes_back_in_chinese_with_the_date_kept(login, consultant, given):
    response = login(consultant).post(url(given, "contact"), {"contact-note": " ", "contact-next_contact_on": "2026-12-05"})
    page = html(response)
    assert response.status_code == 400 and "请填写沟通内容" in page and 'value="2026-12-05"' in page
    response = login(consultant).post(url(given, "contact"), {"contact-note": "已联系", "contact-next_contact_on": ""})
    assert response.status_code == 400 and "请填写下次联系日期" in html(response) and "已联系" in html(response)


def test_lost_needs_a_reason_and_asks_first(login, consultant, given):
    page = html(login(consultant).get(url(given)))
    assert 'data-confirm="确定将此线索记为战败并关闭吗？"' in page
    assert '<datalist id="lead-lost-reasons">' in page and "已在他店购车" in page
    response = login(consultant).post(url(given, "lose"), {"lose-reason": ""})
    assert response.status_code == 400 and "请填写战败原因" in html(response)
    assert login(consultant).post(url(given, "lose"), {"lose-reason": "已在他店购车"}).status_code == 302
    given.refresh_from_db()
    assert (given.status, given.close_reason) == ("lost", "已在他店购车")


def test_won_adds_the_buyer_to_the_archive_and_links_them(login, consultant, given):
    page = html(login(consultant).get(url(given)))
    assert "购车客户将加入档案" in page  # the confirmation says what happens
    assert login(consultant).post(url(given, "win"), {"win-note": "订购科雷傲"}).status_code == 302
    given.refresh_from_db()
    buyer = Customer.objects.get(mobile="18655553001")
    assert (given.status, given.customer, buyer.name) == ("won", buyer, "王小明")
    page = html(login(consultant).get(url(given)))
    assert "线索已成交" in page and reverse("customers:detail", args=[buyer.pk]) in page
    assert 'id="lead-win-form"' not in page and 'id="lead-reopen-form"' not in page  # reopening is the manager's


def test_the_manager_reopens_a_closed_lead_with_a_reason(login, sales_manager, consultant, given):
    services.lead_lose(lead=given, by=consultant, reason="暂不购车")
    page = html(login(sales_manager).get(url(given)))
    assert 'id="lead-reopen-form"' in page and "data-confirm" in page
    response = login(sales_manager).post(url(given, "reopen"), {"reopen-note": ""})
    assert response.status_code == 400 and "请填写重新打开的原因" in html(response)
    assert login(sales_manager).post(url(given, "reopen"), {"reopen-note": "客户回电"}).status_code == 302
    given.refresh_from_db()
    assert (given.status, given.next_contact_on) == ("assigned", date(2026, 11, 30))


def test_a_step_a_closed_lead_no_longer_takes_is_refused_with_its_reason(login, consultant, given):
    services.lead_win(lead=given, by=consultant)
    response = login(consultant).post(url(given, "lose"), {"lose-reason": "重复"})
    assert response.status_code == 400 and "此线索已关闭" in html(response)


# --- the archive, the mobile ----------------------------------------------------------------------
def test_the_archives_customers_with_the_mobile_are_offered_and_linked(login, agent, lead):
    on_file = Customer.objects.create(name="王晓明", mobile="18655553001")
    client = login(agent)
    page = html(client.get(url(lead)))
    assert 'id="lead-matches"' in page and "王晓明" in page and 'data-confirm="将此线索关联到该客户' in page
    assert client.post(url(lead, "link"), {"customer": on_file.pk}).status_code == 302
    lead.refresh_from_db()
    assert lead.customer == on_file
    assert 'id="lead-matches"' not in html(client.get(url(lead)))


def test_won_asks_whether_the_buyer_is_the_customer_on_file_or_a_new_one(login, consultant, given):
    on_file = Customer.objects.create(name="王晓明", mobile="18655553001")
    client = login(consultant)
    page = html(client.get(url(given)))
    assert 'name="win-new_customer"' in page and "购车的不是以上客户" in page
    response = client.post(url(given, "win"), {"win-note": "订购科雷傲"})
    assert response.status_code == 400 and "档案中的 王晓明 使用此手机号" in html(response)
    assert 'value="订购科雷傲"' in html(response)
    assert client.post(url(given, "win"), {"win-note": "订购科雷傲", "win-new_customer": "on"}).status_code == 302
    given.refresh_from_db()
    assert given.status == "won" and given.customer not in (None, on_file)


def test_only_a_customer_offered_can_be_linked(login, agent, lead):
    stranger = CustomerFactory(name="别人")
    response = login(agent).post(url(lead, "link"), {"customer": stranger.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.customer is None


def test_another_open_lead_with_the_same_mobile_is_pointed_out(login, sales_manager, agent, lead):
    second = hand_over(by=agent, mobile="18655553001")
    page = html(login(sales_manager).get(url(second)))
    assert 'id="lead-duplicates"' in page and lead.number in page


def test_who_calls_the_prospect_sees_the_whole_mobile_and_it_is_logged(login, consultant, given):
    client = login(consultant)
    assert "查看完整号码" in html(client.get(url(given)))
    response = client.post(url(given, "mobile_reveal"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'href="tel:18655553001"' in html(response)
    assert "186 5555 3001" in html(response) and "<html" not in html(response)  # the fragment only
    assert AuditEvent.objects.filter(actor=consultant, action=AuditEvent.Action.PHONE_REVEAL,
                                     target_id=str(given.pk)).count() == 1


def test_a_reader_who_calls_nobody_sees_the_mobile_masked_only(login, general_manager, given):
    client = login(general_manager)
    assert "查看完整号码" not in html(client.get(url(given)))
    assert client.post(url(given, "mobile_reveal")).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_REVEAL).exists()


# --- queries ------------------------------------------------------------------------------------
def test_the_page_runs_the_same_queries_for_a_short_and_a_long_story(login, sales_manager, consultant, given,
                                                                    django_assert_max_num_queries):
    client = login(sales_manager)
    client.get(url(given))
    with django_assert_max_num_queries(11) as short:
        assert client.get(url(given)).status_code == 200
    for day in range(10):
        services.lead_contact(lead=given, by=consultant, note=f"第{day}次联系", next_contact_on=date(2026, 12, 1),
                              now=MONDAY_10 + timedelta(minutes=day))
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert client.get(url(given)).status_code == 200


def test_the_lead_is_given_only_among_those_who_follow_leads_up(login, sales_manager, consultant, other_consultant,
                                                                agent, lead):
    page = html(login(sales_manager).get(url(lead)))
    form = page.split('id="lead-assign-form"')[1].split("</form>")[0]
    for person in (consultant, other_consultant, sales_manager):
        assert f'<option value="{person.pk}">{person}</option>' in form
    assert f'value="{agent.pk}"' not in form
    response = login(sales_manager).post(url(lead, "assign"), {"assign-to": agent.pk})
    assert response.status_code == 400 and "请从列表中选择人员" in html(response)
