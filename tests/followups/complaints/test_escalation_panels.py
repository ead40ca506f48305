"""The home panels the complaints fill: 未结投诉 (the user's open complaints, the nearest deadline first,
red once past, with the time left) and 投诉升级 (the escalations of the last seven days told to the
user's roles about complaints still open), as each role sees them at "/", in a fixed number of queries."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealer_crm.accounts.roles import Role
from dealer_crm.home import ROLE_HOME
from followups.complaints.escalation import complaints_escalate
from followups.complaints.services import complaint_pause
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_1330 = datetime(2026, 11, 25, 13, 30, tzinfo=SHANGHAI)  # first contact due Monday 30th, 10:30
MONDAY_1200 = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)


def panel(html: str, key: str) -> str:
    start = html.index(f'id="panel-{key}"')
    return html[start:html.index("</section>", start)]


def rows_of(html: str, key: str) -> list[str]:
    """Each row's text as the page shows it (link text and meta), whitespace folded."""
    part = panel(html, key)
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', part, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def home(login, user, *, at=MONDAY_1200) -> str:
    with time_machine.travel(at, tick=False):
        return login(user).get("/").content.decode()


def at_thursday(hour: int) -> datetime:
    return datetime(2026, 11, 26, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store(register, sales_manager):
    """Four open complaints registered at different moments, so that their first contacts fall due
    in turn on Monday (10:30, 11:30, 13:30, 16:00), in the service, sales and parts departments."""
    late = register(now=WEDNESDAY_1330, customer=CustomerFactory(name="王晓"))  # due Mon 10:30: late
    soon = register(now=WEDNESDAY_1330 + timedelta(hours=3), customer=CustomerFactory(name="周敏"))  # Mon 13:30
    sales = register(now=WEDNESDAY_1330 + timedelta(hours=1), customer=CustomerFactory(name="孙丽"),
                     department="sales", category="promise", owner=sales_manager)  # due Mon 11:30: late
    parts = register(now=at_thursday(10), customer=CustomerFactory(name="钱坤"), department="parts",
                     category="parts", owner=None)
    return {"late": late, "soon": soon, "sales": sales, "parts": parts}


def test_the_supervisor_the_managers_and_the_general_manager_have_both_panels():
    for role in (Role.DCRC_SUPERVISOR, Role.SERVICE_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER):
        assert {"complaints", "complaint_escalations"} <= set(ROLE_HOME[role])
    assert "complaint_escalations" not in ROLE_HOME[Role.CALLBACK_AGENT]


def label(complaint) -> str:
    """The row's words for a complaint: its number, the customer, the category as the page names it."""
    return f"{complaint.number} · {complaint.customer.name} · {complaint.get_category_display()}"


def test_the_supervisor_sees_every_open_complaint_the_nearest_deadline_first(login, supervisor, store):
    html = home(login, supervisor)
    # Monday 12:00, on the working clock: 王晓's first contact was due at 10:30, 孙丽's at 11:30,
    # 周敏's is due at 13:30 and 钱坤's at 16:00.
    assert rows_of(html, "complaints") == [
        f"{label(store['late'])} 超时 1 小时",
        f"{label(store['sales'])} 超时 30 分钟",
        f"{label(store['soon'])} 剩 1 小时",
        f"{label(store['parts'])} 剩 4 小时",
    ]
    part = panel(html, "complaints")
    assert f'href="/complaints/{store["late"].pk}/"' in part
    assert part.count("text-danger") == 2  # the two past their first contact
    assert part.count("text-warning") == 2  # and two with less than a quarter of their 24 hours left
    assert '<span class="badge rounded-pill text-bg-primary ms-auto">4</span>' in part


def test_a_manager_sees_their_departments_and_their_own(login, service_manager, sales_manager, store):
    # The after-sales manager: service and parts (the parts complaint has nobody yet), not sales.
    assert [row.split(" · ")[1] for row in rows_of(home(login, service_manager), "complaints")] == ["王晓", "周敏", "钱坤"]
    assert [row.split(" · ")[1] for row in rows_of(home(login, sales_manager), "complaints")] == ["孙丽"]


def test_anyone_else_sees_only_those_they_handle(register, severities):
    from django.contrib.auth.models import Permission

    from dealer_crm.home import PANELS

    handler = UserFactory()  # no role: handles complaints by a permission of their own
    handler.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="complaints", codename__in=["view_complaint", "handle_complaint"]))
    mine = register(now=WEDNESDAY_1330, owner=handler, customer=CustomerFactory(name="冯雪"))
    register(now=WEDNESDAY_1330, customer=CustomerFactory(name="别人"))

    with time_machine.travel(MONDAY_1200, tick=False):
        shown = PANELS["complaints"].items(user=handler, today=MONDAY_1200.date())
    assert (shown.total, [row.text for row in shown.rows]) == (1, [label(mine)])


def test_a_role_that_reads_no_complaints_gets_an_empty_panel(colleague, store):
    from dealer_crm.home import PANELS

    assert PANELS["complaints"].items(user=colleague, today=MONDAY_1200.date()).total == 0
    assert PANELS["complaint_escalations"].items(user=colleague, today=MONDAY_1200.date()).total == 0


def test_a_paused_complaint_says_so_and_a_closed_one_is_gone(login, supervisor, register, walk, service_manager):
    paused = walk(register(now=WEDNESDAY_1330, customer=CustomerFactory(name="王晓")), "investigating")
    complaint_pause(complaint=paused, by=service_manager, note="等客户提供发票", now=at_thursday(13))
    walk(register(now=WEDNESDAY_1330, customer=CustomerFactory(name="冯雪")), "closed")
    assert rows_of(home(login, supervisor), "complaints") == [f"{label(paused)} 已暂停"]


def test_the_escalations_go_to_the_homes_of_the_roles_they_were_told_to(
        login, supervisor, service_manager, sales_manager, general_manager, store):
    complaints_escalate(now=MONDAY_1200)
    near, passed = "首次联系期限临近 11-30 12:00", "首次联系期限已过 11-30 12:00"

    # The supervisor: each first contact with less than a quarter of its time left, the latest first.
    assert rows_of(home(login, supervisor), "complaint_escalations") == [
        f"{store[key].number} · {store[key].customer.name} · {near}" for key in ("parts", "sales", "soon", "late")]
    # The managers: the first contacts passed in their departments.
    assert rows_of(home(login, service_manager), "complaint_escalations") == [
        f"{store['late'].number} · 王晓 · {passed}"]
    assert rows_of(home(login, sales_manager), "complaint_escalations") == [
        f"{store['sales'].number} · 孙丽 · {passed}"]
    # The general manager: nothing is late by 24 working hours yet.
    gm = home(login, general_manager)
    assert rows_of(gm, "complaint_escalations") == []
    assert "近 7 天没有投诉升级。" in panel(gm, "complaint_escalations")

    part = panel(home(login, service_manager), "complaint_escalations")
    assert "text-danger" in part and f'href="/complaints/{store["late"].pk}/"' in part
    assert "text-warning" in panel(home(login, supervisor), "complaint_escalations")


def test_escalations_older_than_a_week_or_of_closed_complaints_are_not_shown(login, supervisor, store, walk):
    complaints_escalate(now=MONDAY_1200)
    walk(store["late"], "closed", start=MONDAY_1200)
    shown = rows_of(home(login, supervisor, at=MONDAY_1200 + timedelta(days=6)), "complaint_escalations")
    assert [row.split(" · ")[1] for row in shown] == ["钱坤", "孙丽", "周敏"]
    assert rows_of(home(login, supervisor, at=MONDAY_1200 + timedelta(days=7, minutes=1)),
                   "complaint_escalations") == []


def test_the_home_page_runs_the_same_queries_with_few_or_many_complaints(login, supervisor, register,
                                                                          django_assert_num_queries):
    client = login(supervisor)
    register(now=WEDNESDAY_1330)
    complaints_escalate(now=MONDAY_1200)
    with time_machine.travel(MONDAY_1200, tick=False):
        client.get("/")  # the first request of a session does its own bookkeeping
        with CaptureQueriesContext(connection) as few:
            client.get("/")
        for _ in range(10):
            register(now=WEDNESDAY_1330)
        complaints_escalate(now=MONDAY_1200)
        with django_assert_num_queries(len(few.captured_queries)):
            html = client.get("/").content.decode()
    assert len(rows_of(html, "complaints")) == 6 and len(rows_of(html, "complaint_escalations")) == 6
    assert '<span class="badge rounded-pill text-bg-primary ms-auto">11</span>' in panel(html, "complaints")
    # The panels' own: the complaints and their count, the store's calendar, the escalations and their count.
    mine = [q["sql"] for q in few.captured_queries if "complaints_" in q["sql"]]
    assert len(mine) == 5
