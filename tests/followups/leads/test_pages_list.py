"""The lead list (/leads/): who sees which leads, the tabs with their counts, the filters (the next
contact due or overdue, the consultant, the source, a name, a whole mobile or a number), the pages, the
phone masked, and a fixed number of queries."""

from datetime import date, timedelta

import pytest
import time_machine

from dealer_crm.accounts.roles import Role
from followups.leads import services
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

from .conftest import LIST, MONDAY_10, hand_over, html

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 30)


@pytest.fixture
def store(agent, sales_manager, consultant, other_consultant):
    """Five leads: a caller the agent handed over (nobody has it yet), one the manager gave to the
    consultant (due today), one the consultant follows with a contact overdue since Friday, one the
    consultant handed over themselves (nobody has it yet), and one given to the other consultant."""
    with time_machine.travel(MONDAY_10 - timedelta(days=5), tick=False):
        new = hand_over(by=agent, name="王新", mobile="18655551001", now=MONDAY_10 - timedelta(days=5))
        given = hand_over(by=agent, name="李分", mobile="18655551002", now=MONDAY_10 - timedelta(days=5))
        services.lead_assign(lead=given, to=consultant, by=sales_manager, next_contact_on=TODAY)
        late = hand_over(by=agent, name="赵迟", mobile="18655551003", now=MONDAY_10 - timedelta(days=5))
        services.lead_assign(lead=late, to=consultant, by=sales_manager)
        services.lead_contact(lead=late, by=consultant, note="下周再联系", next_contact_on=date(2026, 11, 27))
        own = hand_over(by=consultant, name="周自", mobile="18655551004", source="visitor",
                        now=MONDAY_10 - timedelta(days=4))
        other = hand_over(by=agent, name="吴他", mobile="18655551005", now=MONDAY_10 - timedelta(days=4))
        services.lead_assign(lead=other, to=other_consultant, by=sales_manager, next_contact_on=date(2026, 12, 3))
    return {"new": new, "given": given, "late": late, "own": own, "other": other}


def shown(page: str, store: dict) -> set[str]:
    return {key for key, lead in store.items() if f'id="lead-{lead.pk}"' in page}


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


# --- who sees what ------------------------------------------------------------------------------
def test_the_sales_manager_sees_every_lead(login, sales_manager, store):
    assert shown(html(login(sales_manager).get(LIST)), store) == set(store)


def test_a_consultant_sees_the_leads_given_to_them_and_those_they_handed_over(login, consultant, other_consultant, store):
    assert shown(html(login(consultant).get(LIST)), store) == {"given", "late", "own"}
    assert shown(html(login(other_consultant).get(LIST)), store) == {"other"}


def test_an_agent_sees_the_leads_they_handed_over(login, agent, store):
    assert shown(html(login(agent).get(LIST)), store) == {"new", "given", "late", "other"}
    other_agent = UserFactory(username="agent_zhou", roles=[Role.CALLBACK_AGENT])
    page = html(login(other_agent).get(LIST))
    assert shown(page, store) == set() and 'id="lead-empty"' in page and "这里还没有销售线索" in page


def test_the_general_manager_reads_every_lead_without_the_consultant_filter_s_actions(login, general_manager, store):
    page = html(login(general_manager).get(LIST))
    assert shown(page, store) == set(store)
    assert 'id="lead-new"' not in page  # reads, does not hand over


def test_a_colleague_without_the_right_is_refused(login, outsider, store):
    assert login(outsider).get(LIST).status_code == 403


def test_signed_out_goes_to_the_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- rows -------------------------------------------------------------------------------------------
def test_a_row_shows_the_lead_with_the_mobile_masked_and_the_next_contact(login, sales_manager, store):
    page = html(login(sales_manager).get(LIST))
    for lead in store.values():
        assert lead.mobile not in page
    assert "186****1003" in page
    late = page.split(f'id="lead-{store["late"].pk}"')[1].split("</tr>")[0]
    assert "赵迟" in late and "周敏" in late and "跟进中" in late and "2026-11-27" in late and "已超时" in late
    assert f'<tr id="lead-{store["late"].pk}" class="table-danger lead-overdue">' in page
    assert f'<tr id="lead-{store["given"].pk}" class="">' in page  # due today: not late yet
    given = page.split(f'id="lead-{store["given"].pk}"')[1].split("</tr>")[0]
    assert "今天" in given and "已分派" in given
    new = page.split(f'id="lead-{store["new"].pk}"')[1].split("</tr>")[0]
    assert "尚未分派" in new and "新线索" in new and "未建档" in new and "来电" in new


def test_a_referral_says_who_referred_them(login, sales_manager, agent):
    lead = hand_over(by=agent, name="新朋友", mobile="18655551006", referred_by=CustomerFactory(name="老客户"),
                     source="referral")
    row = html(login(sales_manager).get(LIST)).split(f'id="lead-{lead.pk}"')[1].split("</tr>")[0]
    assert "由 老客户 转介绍" in row and "转介绍" in row


# --- tabs and filters -----------------------------------------------------------------------------
def test_the_list_opens_on_the_open_leads_and_the_tabs_count_them(login, sales_manager, consultant, store):
    services.lead_lose(lead=store["other"], by=sales_manager, reason="重复线索")
    client = login(sales_manager)
    page = html(client.get(LIST))
    assert shown(page, store) == {"new", "given", "late", "own"}
    tab = lambda key: page.split(f'id="tab-{key}"')[1].split("</a>")[0]  # noqa: E731
    assert ">4<" in tab("open") and ">2<" in tab("new") and ">1<" in tab("assigned") and ">1<" in tab("following")
    assert ">1<" in tab("lost") and ">0<" in tab("won") and ">5<" in tab("all")
    assert shown(html(client.get(LIST, {"tab": "lost"})), store) == {"other"}
    assert shown(html(client.get(LIST, {"tab": "all"})), store) == set(store)


def test_due_shows_the_contacts_due_today_or_overdue_and_overdue_only_those_past(login, sales_manager, store):
    client = login(sales_manager)
    assert shown(html(client.get(LIST, {"due": "due"})), store) == {"given", "late"}
    assert shown(html(client.get(LIST, {"due": "overdue"})), store) == {"late"}


def test_the_manager_filters_by_consultant_and_nobody_yet(login, sales_manager, consultant, store):
    client = login(sales_manager)
    assert shown(html(client.get(LIST, {"consultant": consultant.pk})), store) == {"given", "late"}
    assert shown(html(client.get(LIST, {"consultant": "none"})), store) == {"new", "own"}


def test_a_consultant_has_no_consultant_filter(login, consultant, store):
    assert 'name="consultant"' not in html(login(consultant).get(LIST))


def test_filter_by_source_name_number_and_whole_mobile(login, sales_manager, store):
    client = login(sales_manager)
    assert shown(html(client.get(LIST, {"source": "visitor"})), store) == {"own"}
    assert shown(html(client.get(LIST, {"q": "赵迟"})), store) == {"late"}
    assert shown(html(client.get(LIST, {"q": store["other"].number})), store) == {"other"}
    assert shown(html(client.get(LIST, {"q": "18655551002"})), store) == {"given"}


def test_filters_that_match_nothing_say_so(login, sales_manager, store):
    page = html(login(sales_manager).get(LIST, {"q": "没有这个人"}))
    assert shown(page, store) == set() and "没有符合筛选条件的线索" in page


def test_the_next_contact_column_sorts(login, sales_manager, store):
    page = html(login(sales_manager).get(LIST, {"order": "next"}))
    positions = [page.index(f'id="lead-{store[key].pk}"') for key in ("late", "given", "other")]
    assert positions == sorted(positions)  # 11-27, today, 12-03: the earliest first


# --- pages and queries ----------------------------------------------------------------------------
def test_the_list_pages_by_thirty(login, sales_manager, agent):
    for number in range(31):
        hand_over(by=agent, name=f"客户{number}", mobile=f"186666{number:05d}")
    client = login(sales_manager)
    first = html(client.get(LIST))
    assert first.count('class="fw-semibold" href="/leads/') == 30 and "1 / 2" in first
    second = html(client.get(LIST, {"page": 2}))
    assert second.count('class="fw-semibold" href="/leads/') == 1


def test_the_list_runs_the_same_queries_for_few_and_many_leads(login, sales_manager, agent, consultant,
                                                               django_assert_max_num_queries):
    client = login(sales_manager)
    referrer = CustomerFactory(name="老客户")

    def make(count: int, start: int):
        for number in range(count):
            lead = hand_over(by=agent, name=f"客户{number}", mobile=f"18677{start + number:06d}", referred_by=referrer,
                             customer=CustomerFactory(mobile=f"13977{start + number:06d}"), source="referral")
            services.lead_assign(lead=lead, to=consultant, by=sales_manager)

    make(2, 0)
    client.get(LIST)  # the session and the user cached like any later page
    with django_assert_max_num_queries(9) as few:
        assert client.get(LIST).status_code == 200
    make(25, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200
