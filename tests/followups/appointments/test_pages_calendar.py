"""The appointment calendar (/appointments/calendar/): a week of hours by days, each cell the free
and total places over the advisors in use or one of them; closed days and holidays by name, the
make-up working days (调休上班) marked; a free cell links to booking; a fixed number of queries."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .test_pages_support import (
    CALENDAR,
    MAKE_UP_SATURDAY,
    WEDNESDAY_0930,
    appointment,
    element,
    html,
    marketing_user,  # noqa: F401 - a fixture
    slot,
    slots,
    text_of,
    workshop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("workshop")]
NATIONAL_DAY_WEEK = "2026-10-05"  # Monday: 5–7 October still the holiday, 10 October worked (调休)


@pytest.fixture(autouse=True)
def _wednesday():
    with time_machine.travel(WEDNESDAY_0930, tick=False):
        yield


def cell(page: str, day: str, hour: int) -> str:
    """The cell's "free/places" (or "—"), spaces left out."""
    return "".join(text_of(element(page, f"cell-{day}-{hour}")).split())


def test_each_cell_says_the_free_places_of_all_advisors_and_a_booking_takes_one(login, agent, workshop):
    made = slots(workshop, *[MAKE_UP_SATURDAY.replace(day=day) for day in (8, 9)])
    appointment(made["wang", MAKE_UP_SATURDAY.replace(day=8), 9])
    page = html(login(agent).get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}"))
    assert cell(page, "2026-10-08", 9) == "2/3"  # 王 2 places and 李 1, one booked
    assert cell(page, "2026-10-08", 10) == "3/3" and cell(page, "2026-10-09", 11) == "3/3"
    assert "calendar-quiet" in element(page, "cell-2026-10-08-10")
    assert text_of(element(page, "total-2026-10-08")).strip() == "剩 8 / 共 9"


def test_one_advisor_alone(login, agent, workshop):
    made = slots(workshop, MAKE_UP_SATURDAY.replace(day=8))
    appointment(made["li", MAKE_UP_SATURDAY.replace(day=8), 9])
    page = html(login(agent).get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}&resource={workshop['li'].pk}"))
    assert cell(page, "2026-10-08", 9) == "0/1" and cell(page, "2026-10-08", 10) == "1/1"
    assert "calendar-full" in element(page, "cell-2026-10-08-9")
    assert "李顾问" in text_of(element(page, "calendar-week"))
    # A full hour offers no booking; a free one books that hour with that advisor.
    assert "href" not in element(page, "cell-2026-10-08-9")
    assert f'?day=2026-10-08&amp;hour=10&amp;resource={workshop["li"].pk}' in element(page, "cell-2026-10-08-10")


def test_the_national_day_holiday_is_closed_by_name_and_the_make_up_saturday_is_marked(login, agent, workshop):
    slots(workshop, MAKE_UP_SATURDAY)
    page = html(login(agent).get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}"))
    for day in ("2026-10-05", "2026-10-06", "2026-10-07"):
        head = text_of(element(page, f"day-{day}"))
        assert "国庆节" in head and "不接受预约" in head, head
        assert cell(page, day, 9) == "—"
    saturday = text_of(element(page, "day-2026-10-10"))
    assert "调休上班" in saturday
    assert cell(page, "2026-10-10", 9) == "3/3"  # the working days' capacity, on a Saturday
    assert "周末" in text_of(element(page, "day-2026-10-11"))  # Sunday: the weekend's hours
    assert "调休上班" not in text_of(element(page, "day-2026-10-11"))


def test_the_mid_autumn_festival_says_its_name(login, agent):
    page = html(login(agent).get(f"{CALENDAR}?week=2026-09-21"))
    assert "中秋节" in text_of(element(page, "day-2026-09-25"))
    earlier = html(login(agent).get(f"{CALENDAR}?week=2026-09-14"))
    assert "调休上班" in text_of(element(earlier, "day-2026-09-20"))  # a Sunday worked for National Day


def test_a_day_the_store_closes_itself_says_so(login, agent, workshop):
    from followups.complaints.models import StoreDay

    StoreDay.objects.create(day=MAKE_UP_SATURDAY.replace(day=9), is_workday=False, note="盘点")
    page = html(login(agent).get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}"))
    assert "本店休息" in text_of(element(page, "day-2026-10-09"))


def test_the_hours_past_are_not_offered(login, agent, workshop):
    slots(workshop, WEDNESDAY_0930.date())
    page = html(login(agent).get(CALENDAR))  # this week: Monday 28 September
    assert "2026-09-28 – 2026-10-04" in text_of(element(page, "calendar-week"))
    assert "href" not in element(page, "cell-2026-09-30-9")  # 9:00 has begun
    assert "?day=2026-09-30&amp;hour=10" in element(page, "cell-2026-09-30-10")
    assert "calendar-today" in element(page, "day-2026-09-30")


def test_previous_and_next_weeks_keep_the_advisor(login, agent, workshop):
    page = html(login(agent).get(f"{CALENDAR}?week=2026-10-07&resource={workshop['wang'].pk}"))
    assert "2026-10-05 – 2026-10-11" in text_of(element(page, "calendar-week"))  # any day names its week
    assert "week=2026-09-28" in element(page, "previous-week") and "week=2026-10-12" in element(page, "next-week")
    assert f"resource={workshop['wang'].pk}" in element(page, "next-week")


def test_a_week_without_places_says_why(login, agent):
    page = html(login(agent).get(f"{CALENDAR}?week=2026-11-02"))
    assert "本周没有可预约的名额" in text_of(element(page, "calendar-empty"))


def test_a_bad_week_shows_this_week_with_the_error(login, agent):
    page = html(login(agent).get(f"{CALENDAR}?week=2026-13-40"))
    assert "2026-09-28 – 2026-10-04" in text_of(element(page, "calendar-week")) and "有效的日期" in page


def test_who_may_not_book_sees_the_places_without_links(login, general_manager, workshop):
    slots(workshop, MAKE_UP_SATURDAY.replace(day=8))
    page = html(login(general_manager).get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}"))
    assert cell(page, "2026-10-08", 10) == "3/3" and "href" not in element(page, "cell-2026-10-08-10")
    assert "/appointments/book/" not in page


def test_it_needs_a_login_and_the_right_to_read_appointments(client, login, marketing_user):
    assert client.get(CALENDAR)["Location"].startswith("/accounts/login/")
    assert login(marketing_user).get(CALENDAR).status_code == 403


def test_the_calendar_runs_the_same_queries_for_3_and_30_bookings(login, agent, workshop, django_assert_num_queries):
    client = login(agent)
    made = slots(workshop, *[MAKE_UP_SATURDAY.replace(day=day) for day in (8, 9, 10)])
    for key in list(made)[:3]:
        appointment(made[key])
    client.get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}")  # the session and the permission caches
    with CaptureQueriesContext(connection) as three:
        assert client.get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}").status_code == 200
    for day in (8, 9, 10):
        for hour in (9, 10, 11):
            extra = slot(workshop["wang"], MAKE_UP_SATURDAY.replace(day=day), hour + 3, places=5)
            for _ in range(3):
                appointment(extra)
    with django_assert_num_queries(len(three)):
        page = html(client.get(f"{CALENDAR}?week={NATIONAL_DAY_WEEK}"))
    assert cell(page, "2026-10-10", 14) == "2/5"  # 30 bookings shown, in the same queries
    assert len(three) <= 10
