"""The supervisor's pages: who may read and act, the day picker, the list's filters, sorting, paging,
bulk reassignment, the xlsx export, the lost contacts, the menu and the home panel, and a fixed
number of queries however many agents or rows."""

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from dealer_crm.navigation import menu_for
from followups.callbacks.models import Callback
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory
from tests.followups.factories import complete, make_attempt, make_callback, raise_problem

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 10, 17, 0, tzinfo=BEIJING)
SUPERVISOR, LIST, LOST = "/callbacks/supervisor/", "/callbacks/list/", "/callbacks/lost-contact/"
REASSIGN, EXPORT = "/callbacks/list/reassign/", "/callbacks/list/export/xlsx/"


def at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def zhao(db):
    return UserFactory(username="agent_zhao", display_name="赵敏", roles=[Role.CALLBACK_AGENT])


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def figure(page: str, name: str) -> str:
    match = re.search(rf'id="figure-{name}">([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


def ids_in(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-callback="(\d+)"', page)]


# --- who may ----------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("url", [SUPERVISOR, LIST, LOST, EXPORT])
def test_an_agent_and_a_colleague_may_not_read_the_supervisors_pages(login, agent, colleague, url):
    assert login(agent).get(url).status_code == 403
    assert login(colleague).get(url).status_code == 403


@pytest.mark.django_db
def test_an_agent_may_not_reassign_or_try_again(login, agent, zhao):
    callback = make_callback(agent=zhao)
    lost = make_callback(status="lost_contact", closed_at=NOW)
    client = login(agent)
    assert client.post(REASSIGN, {"callback": [callback.pk], "agent": agent.pk}).status_code == 403
    assert client.post(f"/callbacks/lost-contact/{lost.pk}/retry/").status_code == 403
    assert Callback.objects.get(pk=callback.pk).assigned_to == zhao
    assert not Callback.objects.filter(kind="requested").exists()


@pytest.mark.django_db
def test_the_general_manager_reads_the_figures_and_the_list_but_changes_nothing(login, general_manager, zhao):
    callback = make_callback(agent=zhao)
    lost = make_callback(status="lost_contact", closed_at=NOW)
    client = login(general_manager)
    assert "回访监控" in html(client.get(SUPERVISOR))
    page = html(client.get(LIST))
    assert 'id="reassign-form"' not in page and 'name="callback"' not in page
    assert "再试一次" not in html(client.get(LOST))
    assert client.post(REASSIGN, {"callback": [callback.pk], "agent": zhao.pk}).status_code == 403
    assert client.post(f"/callbacks/lost-contact/{lost.pk}/retry/").status_code == 403


@pytest.mark.django_db
def test_the_pages_ask_for_a_login(client):
    response = client.get(SUPERVISOR)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_reassigning_needs_the_csrf_token(supervisor, zhao):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    callback = make_callback()
    assert client.post(REASSIGN, {"callback": [callback.pk], "agent": zhao.pk}).status_code == 403
    assert Callback.objects.get(pk=callback.pk).assigned_to is None


# --- the supervisor's page --------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_shows_the_days_figures_and_each_agent(login, supervisor, zhao):
    a, b = make_callback(kind="ssi", status="completed"), make_callback(kind="csi", status="completed")
    c = make_callback()
    complete(a, agent=zhao, at=at(9), score=9)
    complete(b, agent=zhao, at=at(10), score=6)
    make_attempt(c, agent=zhao, at=at(11), outcome="no_answer")
    make_callback(status="lost_contact", closed_at=at(12))
    make_callback(due_at=NOW - timedelta(days=3))  # overdue, nobody's

    page = html(login(supervisor).get(SUPERVISOR))
    # 2 of 3 called callbacks reached: 66.7 %; SSI 9.00; CSI 6.00; queue now: c and the overdue one.
    assert figure(page, "reach") == "66.7%"
    assert (figure(page, "done"), figure(page, "ssi"), figure(page, "csi")) == ("2", "9.00", "6.00")
    assert (figure(page, "open"), figure(page, "overdue"), figure(page, "lost")) == ("2", "1", "1")
    assert "2 条未分配" in page
    row = re.search(r'<tr class="[^"]*" data-agent="agent_zhao">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).split() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    assert cells[0] == ["赵敏"] and cells[1:4] == [["3"], ["3"], ["2"]] and cells[5] == ["2"]
    assert cells[6] == ["7.50", "(2)"]  # (9 + 6) / 2


@pytest.mark.django_db
def test_the_day_picker_shows_another_days_figures(login, supervisor, zhao):
    yesterday = DAY - timedelta(days=1)
    make_attempt(make_callback(), agent=zhao, at=at(10, day=yesterday), outcome="busy")
    make_attempt(make_callback(), agent=zhao, at=at(10), outcome="completed")
    client = login(supervisor)
    today_page = html(client.get(SUPERVISOR))
    assert figure(today_page, "reach") == "100.0%" and "2026-06-10 星期三 · 今天" in today_page
    assert 'value="2026-06-10"' in today_page  # the picker shows the day it shows
    page = html(client.get(SUPERVISOR, {"day": yesterday.isoformat()}))
    assert figure(page, "reach") == "0.0%" and figure(page, "done") == "0"
    assert 'value="2026-06-09"' in page and 'max="2026-06-10"' in page
    assert "回到今天" in page and "回到今天" not in today_page


@pytest.mark.django_db
def test_the_day_picker_refuses_a_day_to_come_and_shows_today(login, supervisor, zhao):
    make_attempt(make_callback(), agent=zhao, at=at(10), outcome="completed")
    page = html(login(supervisor).get(SUPERVISOR, {"day": "2026-06-11"}))
    assert "该日期还没到" in page and figure(page, "done") == "1"
    page = html(login(supervisor).get(SUPERVISOR, {"day": "2026-13-45"}))
    assert figure(page, "done") == "1"


@pytest.mark.django_db
def test_the_overdue_lists_link_to_the_customer_and_the_problem(login, supervisor):
    late = make_callback(due_at=NOW - timedelta(days=2), customer=CustomerFactory(name="欧阳娜"))
    problem = raise_problem(by=supervisor, customer=CustomerFactory(name="司马强"))
    problem.deadline_at = NOW - timedelta(hours=3)
    problem.save()
    page = html(login(supervisor).get(SUPERVISOR))
    assert f'href="{reverse("customers:detail", args=[late.customer_id])}">欧阳娜' in page
    assert f'href="{reverse("callbacks:problem_detail", args=[problem.pk])}">' in page and "司马强" in page
    assert "已超期 3" in page


@pytest.mark.django_db
def test_an_empty_day_reads_as_empty_not_as_zero_percent(login, supervisor):
    page = html(login(supervisor).get(SUPERVISOR))
    assert figure(page, "reach") == "—" and figure(page, "ssi") == "—"
    assert "没有逾期的回访" in page and "所有反馈问题都在处理期限内" in page


def _agents_with_a_day_of_work(n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        agent = UserFactory(username=f"agent{i}", display_name=f"专员{i}", roles=[Role.CALLBACK_AGENT])
        callback = make_callback(kind="ssi" if i % 2 else "csi", agent=agent)
        complete(callback, agent=agent, at=at(10), score=8)
        make_callback(agent=agent, due_at=NOW - timedelta(days=2))


@pytest.mark.django_db
def test_the_supervisors_page_runs_the_same_queries_for_one_agent_or_twenty(login, supervisor):
    client = login(supervisor)
    _agents_with_a_day_of_work(1)
    client.get(SUPERVISOR)  # the session and the permission caches warm up
    with CaptureQueriesContext(connection) as one:
        html(client.get(SUPERVISOR))
    _agents_with_a_day_of_work(20, start=1)
    with CaptureQueriesContext(connection) as twenty:
        page = html(client.get(SUPERVISOR))
    assert page.count("data-agent=") == 22  # 21 agents and the supervisor
    assert len(twenty) == len(one), [q["sql"] for q in twenty.captured_queries]


# --- the list ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_list_filters_by_status_kind_agent_due_dates_customer_and_overdue(login, supervisor, zhao):
    wang = CustomerFactory(name="王建国")
    ssi_zhao = make_callback(kind="ssi", agent=zhao, customer=wang, due_at=at(9))
    csi_nobody = make_callback(kind="csi", due_at=at(9, day=DAY - timedelta(days=3)))
    done = make_callback(kind="ssi", status="completed", due_at=at(9, day=DAY - timedelta(days=1)))
    client = login(supervisor)

    def listed(**query):
        return set(ids_in(html(client.get(LIST, query))))

    assert listed() == {ssi_zhao.pk, csi_nobody.pk}  # it opens on the callbacks still to do
    assert listed(status="") == {ssi_zhao.pk, csi_nobody.pk, done.pk}
    assert listed(status="not_closed") == {ssi_zhao.pk, csi_nobody.pk}
    assert listed(status="completed") == {done.pk}
    assert listed(kind="csi") == {csi_nobody.pk}
    assert listed(agent=zhao.pk) == {ssi_zhao.pk}
    assert listed(agent="none") == {csi_nobody.pk, done.pk}
    assert listed(due_from="2026-06-09", due_until="2026-06-09") == {done.pk}  # a local day, both ends in
    assert listed(due_from="2026-06-10") == {ssi_zhao.pk}
    assert listed(customer="建国") == {ssi_zhao.pk}
    assert listed(overdue="on") == {csi_nobody.pk}


@pytest.mark.django_db
def test_a_wrong_filter_says_why_and_lists_nothing(login, supervisor):
    make_callback()
    page = html(login(supervisor).get(LIST, {"due_from": "2026-06-10", "due_until": "2026-06-01"}))
    assert "结束日期早于开始日期" in page
    assert ids_in(page) == []


@pytest.mark.django_db
def test_the_list_sorts_and_pages(login, supervisor, monkeypatch):
    monkeypatch.setattr("followups.callbacks.views.supervisor.PAGE_SIZE", 2)
    callbacks = [make_callback(due_at=at(8 + i), attempts=i) for i in range(5)]
    client = login(supervisor)
    assert ids_in(html(client.get(LIST))) == [callbacks[0].pk, callbacks[1].pk]
    assert ids_in(html(client.get(LIST, {"page": 3}))) == [callbacks[4].pk]
    assert ids_in(html(client.get(LIST, {"order": "-due"}))) == [callbacks[4].pk, callbacks[3].pk]
    assert ids_in(html(client.get(LIST, {"order": "-attempts"})))[0] == callbacks[4].pk
    page = html(client.get(LIST, {"order": "-due", "page": 2}))
    assert "order=-due&amp;page=3" in page  # the next page keeps the order


@pytest.mark.django_db
def test_the_list_masks_phones(login, supervisor):
    make_callback(customer=CustomerFactory(name="李雷", mobile="13912345678"))
    page = html(login(supervisor).get(LIST))
    assert "139****5678" in page and "13912345678" not in page


@pytest.mark.django_db
def test_only_open_callbacks_have_a_box_to_tick(login, supervisor):
    open_ = make_callback()
    done = make_callback(status="completed")
    page = html(login(supervisor).get(LIST))
    assert f'value="{open_.pk}" form="reassign-form"' in page
    assert f'value="{done.pk}" form="reassign-form"' not in page


def _rows_for_the_list(n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        customer = CustomerFactory(name=f"客户{i}")
        vehicle = make_vehicle(customer, serial=5000 + i, plate=f"皖A{i:05d}")
        make_callback(customer=customer, vehicle=vehicle, agent=UserFactory(roles=[Role.CALLBACK_AGENT]))


@pytest.mark.django_db
def test_the_list_runs_the_same_queries_for_one_row_or_fifty(login, supervisor):
    client = login(supervisor)
    _rows_for_the_list(1)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        assert len(ids_in(html(client.get(LIST)))) == 1
    _rows_for_the_list(49, start=1)
    with CaptureQueriesContext(connection) as fifty:
        assert len(ids_in(html(client.get(LIST)))) == 50
    assert len(fifty) == len(one), [q["sql"] for q in fifty.captured_queries]


# --- reassigning from the list ----------------------------------------------------------------
@pytest.mark.django_db
def test_the_supervisor_reassigns_the_ticked_callbacks_and_returns_to_the_same_list(login, supervisor, agent, zhao):
    first, second = make_callback(agent=agent), make_callback()
    on_the_phone = make_callback(status="in_progress", agent=agent)
    response = login(supervisor).post(REASSIGN, {
        "callback": [first.pk, second.pk, on_the_phone.pk], "agent": zhao.pk, "query": "kind=ssi&page=2"})
    assert response.status_code == 302 and response["Location"] == "/callbacks/list/?kind=ssi&page=2"
    assert {c.assigned_to for c in Callback.objects.filter(pk__in=[first.pk, second.pk])} == {zhao}
    assert Callback.objects.get(pk=on_the_phone.pk).assigned_to == agent
    page = html(login(supervisor).get(response["Location"]))
    assert "已勾选 3 条，其中 2 条已分配给赵敏" in page and "包括正在拨打的" in page
    assert AuditEvent.objects.get(action=AuditEvent.Action.CALLBACK_REASSIGN).detail["moved"] == 2


@pytest.mark.django_db
def test_ticking_also_the_ones_being_called_moves_them(login, supervisor, agent, zhao):
    on_the_phone = make_callback(status="in_progress", agent=agent)
    login(supervisor).post(REASSIGN, {"callback": [on_the_phone.pk], "agent": zhao.pk, "include_in_progress": "on"})
    on_the_phone.refresh_from_db()
    assert (on_the_phone.assigned_to, on_the_phone.status) == (zhao, "open")


@pytest.mark.django_db
def test_giving_back_to_the_whole_team(login, supervisor, agent):
    callback = make_callback(agent=agent)
    login(supervisor).post(REASSIGN, {"callback": [callback.pk], "agent": "none"})
    assert Callback.objects.get(pk=callback.pk).assigned_to is None


@pytest.mark.django_db
def test_a_reassignment_to_someone_who_is_not_an_agent_is_refused_in_chinese(login, supervisor, general_manager):
    callback = make_callback()
    client = login(supervisor)
    response = client.post(REASSIGN, {"callback": [callback.pk], "agent": general_manager.pk}, follow=True)
    assert "请从列表中选择回访专员" in response.content.decode()
    assert Callback.objects.get(pk=callback.pk).assigned_to is None


@pytest.mark.django_db
def test_nothing_ticked_says_so(login, supervisor, zhao):
    response = login(supervisor).post(REASSIGN, {"agent": zhao.pk, "callback": ["abc"]}, follow=True)
    assert "请先勾选要重新分配的回访" in response.content.decode()


@pytest.mark.django_db
def test_the_reassign_form_asks_before_it_moves_anything(login, supervisor):
    make_callback()
    page = html(login(supervisor).get(LIST))
    assert page.count('id="id_agent"') == 1 and page.count('id="reassign_agent"') == 1  # labels find their field
    assert re.search(r'<form method="post" action="/callbacks/list/reassign/" id="reassign-form"[^>]*data-confirm=',
                     page, re.S)


# --- the export -------------------------------------------------------------------------------
def workbook_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_the_export_has_the_filtered_list_with_chinese_headers_and_masked_phones(login, supervisor, zhao):
    customer = CustomerFactory(name="张伟", mobile="13812345678")
    vehicle = make_vehicle(customer, serial=77, plate="皖C88888")
    wanted = make_callback(kind="csi", customer=customer, vehicle=vehicle, agent=zhao, due_at=at(9), attempts=2)
    make_callback(kind="csi", due_at=at(10), customer=CustomerFactory(name="李四"))
    make_callback(kind="ssi", customer=CustomerFactory(name="张三"))
    response = login(supervisor).get(EXPORT, {"kind": "csi", "customer": "张"})
    rows = workbook_rows(response)
    assert rows[0][:4] == ("回访编号", "客户", "手机", "车辆")
    assert all(re.search(r"[\u4e00-\u9fff]", header) for header in rows[0])
    assert len(rows) == 2  # the header and the one CSI callback of a 张
    number, name, mobile, plate, _kind, _status, due, *_rest = rows[1]
    assert (number, name, mobile, plate) == (wanted.pk, "张伟", "138****5678", "皖C88888")
    assert due == datetime(2026, 6, 10, 9, 0)  # a date cell, on the store's clock
    assert "13812345678" not in str(rows)


@pytest.mark.django_db
def test_the_export_is_audited_with_its_filters_but_not_the_name_typed(login, supervisor):
    make_callback(kind="csi", customer=CustomerFactory(name="张伟"))
    login(supervisor).get(EXPORT, {"kind": "csi", "customer": "张伟"})
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == supervisor and event.detail["rows"] == 1 and event.detail["format"] == "xlsx"
    assert event.detail["filters"]["kind"] == "csi" and event.detail["filters"]["customer"] is True
    assert "张伟" not in str(event.detail)


@pytest.mark.django_db
def test_the_export_needs_the_export_permission(login, general_manager):
    from django.contrib.auth.models import Permission

    make_callback()
    assert 'id="export-xlsx"' in html(login(general_manager).get(LIST))
    assert login(general_manager).get(EXPORT).status_code == 200  # the GM takes lists out
    reader = UserFactory(username="reader")  # reads the department's callbacks, takes nothing out
    reader.user_permissions.add(Permission.objects.get(content_type__app_label="callbacks", codename="view_callback"))
    client = login(reader)
    assert client.get(LIST).status_code == 200
    assert 'id="export-xlsx"' not in html(client.get(LIST))
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=reader).exists()


# --- lost contact -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_lost_contact_list_shows_the_newest_first_with_the_calls(login, supervisor, zhao):
    older = make_callback(status="lost_contact", closed_at=at(9, day=DAY - timedelta(days=2)), attempts=1,
                          customer=CustomerFactory(name="上官云"))
    newer = make_callback(status="lost_contact", closed_at=at(9), attempts=3,
                          customer=CustomerFactory(name="诸葛亮", mobile="13700001111"))
    for hour, outcome in ((9, "no_answer"), (13, "busy"), (17, "no_answer")):
        make_attempt(newer, agent=zhao, at=at(hour, day=DAY - timedelta(days=1)), outcome=outcome)
    page = html(login(supervisor).get(LOST))
    assert ids_in(page) == [newer.pk, older.pk]
    assert "137****1111" in page and "13700001111" not in page
    assert "拨打 3 次" in page and page.count("06-09 ") == 3


@pytest.mark.django_db
def test_trying_again_from_the_list_queues_the_customer_once(login, supervisor):
    lost = make_callback(status="lost_contact", closed_at=NOW, customer=CustomerFactory(name="欧阳修"))
    client = login(supervisor)
    response = client.post(f"/callbacks/lost-contact/{lost.pk}/retry/", follow=True)
    page = response.content.decode()
    assert "欧阳修 已重新排入回访队列，应回访时间 2026-06-11 08:30" in page
    assert f'id="retried-{lost.pk}"' in page
    again = client.post(f"/callbacks/lost-contact/{lost.pk}/retry/", follow=True).content.decode()
    assert "该客户已经重新排入回访队列" in again
    assert Callback.objects.filter(kind="requested", customer=lost.customer).count() == 1


@pytest.mark.django_db
def test_the_lost_contact_list_runs_the_same_queries_for_one_or_many(login, supervisor, zhao):
    client = login(supervisor)

    def lost_one():
        callback = make_callback(status="lost_contact", closed_at=NOW)
        make_attempt(callback, agent=zhao, at=at(9), outcome="no_answer")

    lost_one()
    client.get(LOST)
    with CaptureQueriesContext(connection) as one:
        client.get(LOST)
    for _ in range(10):
        lost_one()
    with CaptureQueriesContext(connection) as many:
        assert len(ids_in(html(client.get(LOST)))) == 11
    assert len(many) == len(one)


# --- the menu and the home page ---------------------------------------------------------------
@pytest.mark.django_db
def test_the_supervisors_menu_has_supervision_and_all_callbacks_after_the_workbench_and_problems(supervisor):
    section = next(section for section in menu_for(supervisor) if str(section["label"]) == "回访")
    urls = [item["url"] for item in section["items"]]
    assert urls.index("/callbacks/supervisor/") == urls.index("/callbacks/problems/") + 1
    assert urls.index("/callbacks/list/") == urls.index("/callbacks/supervisor/") + 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["agent", "colleague"])
def test_agents_and_roles_outside_the_callback_centre_do_not_see_the_supervisors_menu_items(request, persona):
    urls = {item["url"] for section in menu_for(request.getfixturevalue(persona)) for item in section["items"]}
    assert "/callbacks/supervisor/" not in urls and "/callbacks/list/" not in urls


@pytest.mark.django_db
def test_the_general_manager_has_the_reading_entries_in_the_menu(general_manager):
    """The pages the GM reads without changing anything (can_read_supervision) are in the GM's menu."""
    urls = {item["url"] for section in menu_for(general_manager) for item in section["items"]}
    assert {"/callbacks/supervisor/", "/callbacks/list/"} <= urls


@pytest.mark.django_db
def test_the_supervisors_home_shows_the_callbacks_nobody_has_yet(login, supervisor, zhao):
    make_callback(customer=CustomerFactory(name="公孙胜"), due_at=at(9))
    make_callback(customer=CustomerFactory(name="明天的"), due_at=at(9, day=DAY + timedelta(days=1)))
    make_callback(customer=CustomerFactory(name="有人的"), agent=zhao, due_at=at(9))
    page = html(login(supervisor).get("/"))
    assert "公孙胜" in page and "明天的" not in page and "有人的" not in page
    assert "/callbacks/list/?agent=none&amp;status=open&amp;due_until=2026-06-10" in page


@pytest.mark.django_db
def test_the_pages_read_in_english_too(login, supervisor, zhao):
    make_attempt(make_callback(status="lost_contact", closed_at=NOW, attempts=1), agent=zhao, at=at(9),
                 outcome="no_answer")
    client = login(supervisor)
    client.cookies["django_language"] = "en"
    page = html(client.get(SUPERVISOR))
    assert "Reach rate" in page and "1 call made" in page and "0 of 1 called" in page
    assert "1 callback" in html(client.get(LIST, {"status": ""}))
    lost = html(client.get(LOST))
    assert ">1 attempt</span>" in lost and "Try again" in lost
