"""The service desk's day (/appointments/day/): the cars expected by hour with everything the desk
prepares from, the check-in button for the desk, other days, the printed page, a fixed number of
queries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .test_pages_support import (
    DAY,
    WEDNESDAY,
    WEDNESDAY_0930,
    appointment,
    customer_with_car,
    element,
    html,
    marketing_user,  # noqa: F401 - a fixture
    slot,
    slots,
    text_of,
    workshop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("workshop")]


@pytest.fixture(autouse=True)
def _wednesday():
    with time_machine.travel(WEDNESDAY_0930, tick=False):
        yield


@pytest.fixture
def today_slots(workshop):
    return slots(workshop, WEDNESDAY)


def test_each_arrival_shows_what_the_desk_prepares_from(login, agent, service_manager, today_slots):
    customer, vehicle = customer_with_car(name="王建华", mobile="13912345678", plate="皖A51000", model_name="科雷傲")
    booked = appointment(today_slots["wang", WEDNESDAY, 10], customer=customer, vehicle=vehicle, by=agent,
                         source="reminder", jobs=["首保", "检查刹车"], words="刹车时有异响，尤其是早上",
                         parts="刹车片")
    page = html(login(service_manager).get(DAY))
    row = text_of(element(page, f"appointment-{booked.pk}"))
    assert "10:00" in row and "王顾问" in row
    assert "王建华" in row and "139****5678" in row and "13912345678" not in page
    assert "皖A51000" in row and "科雷傲" in row
    assert "首保" in row and "检查刹车" in row
    assert "“刹车时有异响，尤其是早上”" in row and "刹车片" in row
    assert "李娜" in row and "招揽回访" in row  # who booked it, and from where
    assert "已预约" in row and "办理到店" in row  # the desk checks the customer in from here


def test_the_day_is_in_order_of_the_hour_and_counts_what_came(login, service_manager, today_slots):
    late = appointment(today_slots["li", WEDNESDAY, 11])
    early = appointment(today_slots["wang", WEDNESDAY, 9], status="arrived", arrived_at=WEDNESDAY_0930)
    page = html(login(service_manager).get(DAY))
    assert page.index(f"appointment-{early.pk}") < page.index(f"appointment-{late.pk}")
    counts = text_of(element(page, "desk-counts"))
    assert "2 个预约" in counts and "已预约 1" in counts and "已到店 1" in counts
    assert "办理到店" not in text_of(element(page, f"appointment-{early.pk}"))  # already in


def test_cancelled_and_moved_bookings_are_listed_apart(login, service_manager, today_slots):
    gone = appointment(today_slots["wang", WEDNESDAY, 10], status="cancelled", close_reason="客户临时出差")
    page = html(login(service_manager).get(DAY))
    assert f"appointment-{gone.pk}" not in page
    assert "客户临时出差" in text_of(element(page, "gone")) and "已取消" in text_of(element(page, "gone"))
    assert "没有预约" in text_of(element(page, "desk-empty"))


def test_the_check_in_button_is_the_desks_and_only_on_the_day(login, agent, service_manager, workshop, today_slots):
    booked = appointment(today_slots["wang", WEDNESDAY, 10])
    tomorrow = appointment(slot(workshop["wang"], WEDNESDAY + timedelta(days=8), 9, places=2))
    yesterday = appointment(slot(workshop["wang"], WEDNESDAY - timedelta(days=1), 9, places=2))
    assert "办理到店" not in text_of(element(html(login(agent).get(DAY)), f"appointment-{booked.pk}"))
    desk = html(login(service_manager).get(DAY))
    assert f'action="/appointments/{booked.pk}/check-in/"' in desk
    ahead = html(login(service_manager).get(f"{DAY}?day={(WEDNESDAY + timedelta(days=8)).isoformat()}"))
    assert f"appointment-{tomorrow.pk}" in ahead and "check-in" not in element(ahead, f"appointment-{tomorrow.pk}")
    before = html(login(service_manager).get(f"{DAY}?day={(WEDNESDAY - timedelta(days=1)).isoformat()}"))
    assert "check-in" not in element(before, f"appointment-{yesterday.pk}")  # the no-show job's, not the desk's


def test_other_days_and_back_to_today(login, service_manager, workshop):
    page = html(login(service_manager).get(f"{DAY}?day=2026-10-08"))
    assert "2026-10-08" in text_of(element(page, "desk-day"))
    assert "day=2026-10-07" in element(page, "previous-day") and "day=2026-10-09" in element(page, "next-day")
    assert 'href="/appointments/day/"' in element(page, "today")
    holiday = html(login(service_manager).get(f"{DAY}?day=2026-10-02"))
    assert "国庆节" in text_of(element(holiday, "desk-day")) and "当天不接受预约" in text_of(element(holiday, "desk-empty"))


def test_a_bad_day_shows_today_with_the_error(login, service_manager):
    page = html(login(service_manager).get(f"{DAY}?day=2026-02-30"))
    assert "2026-09-30" in text_of(element(page, "desk-day")) and "有效的日期" in page


def test_the_page_prints_without_the_menu_and_the_buttons(login, service_manager, today_slots):
    appointment(today_slots["wang", WEDNESDAY, 10])
    page = html(login(service_manager).get(DAY))
    assert 'href="/static/css/appointments.css"' in page and "data-print" in element(page, "print")
    assert "d-print-none" in element(page, "day-form").split(">")[0]
    from pathlib import Path

    css = (Path(__file__).resolve().parents[3] / "static/css/appointments.css").read_text()
    printed = css[css.index("@media print"):]
    for hidden in (".app-header", ".app-sidebar", ".btn"):
        assert hidden in printed.split("{")[1]
    assert "<script>" not in page and ' style="' not in page


def test_it_needs_a_login_and_the_right_to_read_appointments(client, login, marketing_user):
    assert client.get(DAY)["Location"].startswith("/accounts/login/")
    assert login(marketing_user).get(DAY).status_code == 403


def test_the_day_runs_the_same_queries_for_3_and_30_appointments(login, agent, service_manager, workshop,
                                                                 django_assert_num_queries):
    client = login(service_manager)
    for hour in (9, 10, 11):
        appointment(slot(workshop["wang"], WEDNESDAY, hour, places=10), by=agent, parts="机油滤芯")
    client.get(DAY)  # the session and the permission caches
    with CaptureQueriesContext(connection) as three:
        assert client.get(DAY).status_code == 200
    extra = [slot(workshop["li"], WEDNESDAY, hour, places=10) for hour in (12, 13, 14)]
    for index in range(27):
        appointment(extra[index % 3], by=agent, status="arrived" if index % 4 == 0 else "booked", words="空调不凉")
    with django_assert_num_queries(len(three)):
        page = html(client.get(DAY))
    assert page.count('class="arrival arrival-') == 30
    assert len(three) <= 10
