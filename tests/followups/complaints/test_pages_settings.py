"""The complaints' settings, the DCRC supervisor's: the severities (deadlines, clock, warning, in use)
and the store's calendar days, with a warning when the official calendar does not know next year."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from followups.complaints.clock import StoreClock
from followups.complaints.models import Severity, StoreDay

from .test_pages_support import SHANGHAI, html, row_of, severity, text_of

pytestmark = pytest.mark.django_db
SEVERITIES = reverse("complaints:severity_list")
CALENDAR = reverse("complaints:storeday_list")


def edit_url(severity_row) -> str:
    return reverse("complaints:severity_edit", args=[severity_row.pk])


def severity_post(row: Severity, **fields) -> dict:
    data = {"name": row.name, "rank": row.rank, "first_contact_hours": row.first_contact_hours,
            "solve_hours": row.solve_hours, "clock": row.clock, "warn_percent": row.warn_percent,
            "active": "on" if row.active else ""}
    data.update(fields)
    return {key: value for key, value in data.items() if value != ""}


# --- severities ---------------------------------------------------------------------------------------
def test_the_supervisor_sees_the_deadlines_of_each_severity(login, supervisor):
    page = html(login(supervisor).get(SEVERITIES))
    major = text_of(row_of(page, "severity-major"))
    assert "重大" in major and "2 小时" in major and "24 小时" in major and "25%" in major
    assert text_of(row_of(page, "severity-general")).count("小时") == 2
    assert page.index('id="severity-major"') < page.index('id="severity-general"')  # the most serious first


def test_the_supervisor_changes_a_severitys_deadlines_and_clock(login, supervisor):
    major = severity("major")
    client = login(supervisor)
    response = client.post(edit_url(major), severity_post(major, first_contact_hours="1.5", solve_hours="12",
                                                          clock="calendar", warn_percent="40"))
    assert response.status_code == 302 and response["Location"] == SEVERITIES
    major.refresh_from_db()
    assert (major.first_contact_hours, major.solve_hours, major.clock, major.warn_percent) == (
        Decimal("1.5"), Decimal("12"), "calendar", 40)
    assert "严重程度“重大”已保存" in html(client.get(SEVERITIES))


def test_a_solution_due_before_the_first_contact_is_refused_in_chinese(login, supervisor):
    major = severity("major")
    response = login(supervisor).post(edit_url(major), severity_post(major, first_contact_hours="30", solve_hours="24"))
    page = html(response)
    assert response.status_code == 400 and "解决时限不能早于首次联系时限。" in page
    assert "severity_solve_after_contact" not in page  # the constraint's own words are not shown
    major.refresh_from_db()
    assert major.first_contact_hours == Decimal("2")


def test_a_severity_is_taken_out_of_use_and_back(login, supervisor):
    serious = severity("serious")
    client = login(supervisor)
    client.post(edit_url(serious), severity_post(serious, active=""))
    serious.refresh_from_db()
    assert serious.active is False
    assert "text-body-secondary" in row_of(html(client.get(SEVERITIES)), "severity-serious")


def test_a_new_severity(login, supervisor):
    response = login(supervisor).post(reverse("complaints:severity_create"), {
        "code": "vip", "name": "VIP", "rank": "4", "first_contact_hours": "1", "solve_hours": "8",
        "clock": "calendar", "warn_percent": "50", "active": "on"})
    assert response.status_code == 302 and Severity.objects.get(code="vip").solve_hours == Decimal("8")


def test_the_code_of_a_severity_stays(login, supervisor):
    major = severity("major")
    assert 'name="code"' not in html(login(supervisor).get(edit_url(major)))
    login(supervisor).post(edit_url(major), severity_post(major, code="changed"))
    major.refresh_from_db()
    assert major.code == "major"


def test_only_the_supervisor_sees_and_edits_the_severities(login, service_manager, general_manager, agent):
    major = severity("major")
    for user in (service_manager, general_manager, agent):
        client = login(user)
        assert client.get(SEVERITIES).status_code == 403
        assert client.get(edit_url(major)).status_code == 403
        assert client.post(edit_url(major), severity_post(major, solve_hours="100")).status_code == 403
    major.refresh_from_db()
    assert major.solve_hours == Decimal("24")


# --- the store's calendar -----------------------------------------------------------------------------
def test_the_supervisor_enters_a_closed_day_and_an_open_sunday(login, supervisor):
    client = login(supervisor)
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=SHANGHAI), tick=False):
        response = client.post(CALENDAR, {"day": "2026-12-07", "is_workday": "0", "note": "店庆休息"})
        assert response.status_code == 302
        client.post(CALENDAR, {"day": "2026-12-13", "is_workday": "1", "note": "周日营业"})
        page = html(client.get(CALENDAR))
    assert dict(StoreDay.objects.values_list("day", "is_workday")) == {date(2026, 12, 7): False,
                                                                      date(2026, 12, 13): True}
    closed = text_of(row_of(page, f"storeday-{StoreDay.objects.get(day=date(2026, 12, 7)).pk}"))
    assert "2026-12-07" in closed and "当天休息" in closed and "店庆休息" in closed
    assert "当天营业" in text_of(row_of(page, f"storeday-{StoreDay.objects.get(day=date(2026, 12, 13)).pk}"))


def test_a_day_entered_again_is_changed(login, supervisor):
    client = login(supervisor)
    client.post(CALENDAR, {"day": "2026-12-07", "is_workday": "0"})
    response = client.post(CALENDAR, {"day": "2026-12-07", "is_workday": "1", "note": "改为营业"})
    assert "2026-12-07 已修改" in html(client.get(response["Location"]))
    assert StoreDay.objects.get().is_workday is True


def test_a_bad_day_is_refused_in_chinese(login, supervisor):
    response = login(supervisor).post(CALENDAR, {"day": "明天", "is_workday": "0", "note": "保留这句"})
    page = html(response)
    assert response.status_code == 400 and "请填写日期，如 2026-12-31。" in page and 'value="保留这句"' in page
    assert not StoreDay.objects.exists()


def test_a_day_is_removed_after_a_confirmation(login, supervisor):
    day = StoreDay.objects.create(day=date(2026, 12, 7), is_workday=False)
    client = login(supervisor)
    page = html(client.get(CALENDAR))
    delete = reverse("complaints:storeday_delete", args=[day.pk])
    form = page[page.index(f'action="{delete}"'):]
    assert "data-confirm=" in form[:form.index("</form>")]
    response = client.post(delete)
    assert response.status_code == 302 and not StoreDay.objects.exists()
    assert "已恢复按国家日历计算" in html(client.get(CALENDAR))


def test_a_warning_when_the_official_calendar_does_not_know_next_year(login, supervisor):
    next_year = 2027
    assert not StoreClock(working=True).covered(date(next_year, 1, 1))  # chinese-calendar as installed
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=SHANGHAI), tick=False):
        page = html(login(supervisor).get(CALENDAR))
    assert f'id="calendar-uncovered-{next_year}"' in page and "本系统尚无 2027 年的国家法定节假日安排" in page
    assert 'id="calendar-uncovered-2026"' not in page


def test_no_warning_while_both_years_are_known(login, supervisor):
    with time_machine.travel(datetime(2025, 6, 2, 10, tzinfo=SHANGHAI), tick=False):
        page = html(login(supervisor).get(CALENDAR))
    assert "calendar-uncovered" not in page


def test_only_the_supervisor_keeps_the_calendar(login, service_manager, general_manager):
    day = StoreDay.objects.create(day=date(2026, 12, 7), is_workday=False)
    for user in (service_manager, general_manager):
        client = login(user)
        assert client.get(CALENDAR).status_code == 403
        assert client.post(CALENDAR, {"day": "2026-12-08", "is_workday": "0"}).status_code == 403
        assert client.post(reverse("complaints:storeday_delete", args=[day.pk])).status_code == 403
    assert list(StoreDay.objects.values_list("day", flat=True)) == [date(2026, 12, 7)]
