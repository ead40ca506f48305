"""The workshop's calendar: China's holidays closed with their names, the make-up working days (调休)
on the working day's places, weekends on the rest day's, and the store's own days over both.

The oracles are the State Council's published arrangement for 2026 (国务院办公厅关于2026年部分节假日
安排的通知), written here by hand: 国庆节 10月1日–7日 off, 9月20日（周日）and 10月10日（周六）worked;
中秋节 9月25日–27日 off; 劳动节 5月1日–5日 off, 5月9日（周六）worked. 2027 is not in chinese-calendar
1.11.0: Monday to Friday then, until the store enters that year's days.
"""

from datetime import date

import pytest
from django.utils import translation

from followups.appointments.calendar import day_type, day_types, holiday_name, make_up_for
from followups.appointments.models import DayType, Slot
from followups.appointments.services import slots_ensure, slots_suggest
from followups.complaints.models import StoreDay

from .services_support import (FRIDAY, MAKE_UP_SATURDAY, REST_DAY_HOURS, SUNDAY, THURSDAY, WEDNESDAY,
                               WORKDAY_HOURS, at, shipped_workshop)

NATIONAL_DAY = [date(2026, 10, day) for day in range(1, 8)]


@pytest.mark.parametrize("day", NATIONAL_DAY)
def test_every_day_of_the_national_day_holiday_is_closed_and_named(day, db):
    assert day_type(day) is None
    assert holiday_name(day) == "国庆节"


@pytest.mark.parametrize("day", [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)])
def test_the_mid_autumn_festival_is_closed_and_named(day, db):
    assert day_type(day) is None
    assert holiday_name(day) == "中秋节"


def test_labour_day_is_closed_and_its_make_up_saturday_works(db):
    assert [day_type(date(2026, 5, day)) for day in range(1, 6)] == [None] * 5
    assert holiday_name(date(2026, 5, 3)) == "劳动节"
    assert day_type(date(2026, 5, 9)) == DayType.WORKDAY


@pytest.mark.parametrize("day", [MAKE_UP_SATURDAY, date(2026, 9, 20)])
def test_a_make_up_weekend_day_is_a_working_day_named_after_its_holiday(day, db):
    assert day.weekday() >= 5
    assert day_type(day) == DayType.WORKDAY
    assert holiday_name(day) == ""  # it is no holiday
    assert make_up_for(day) == "国庆节"


def test_plain_days_take_their_own_capacity(db):
    assert day_type(WEDNESDAY) == DayType.WORKDAY
    assert day_type(SUNDAY) == DayType.REST_DAY  # the Sunday after the make-up Saturday rests
    assert day_type(date(2026, 10, 17)) == DayType.REST_DAY
    assert holiday_name(WEDNESDAY) == holiday_name(SUNDAY) == ""
    assert make_up_for(SUNDAY) == make_up_for(WEDNESDAY) == ""


def test_the_holiday_reads_in_the_readers_language(db):
    with translation.override("en"):
        assert holiday_name(date(2026, 10, 1)) == "National Day"
        assert make_up_for(MAKE_UP_SATURDAY) == "National Day"


def test_the_stores_closed_day_wins_over_a_working_day(db):
    StoreDay.objects.create(day=THURSDAY, is_workday=False, note="店庆盘点")
    assert day_type(THURSDAY) is None


def test_a_holiday_the_store_opens_takes_the_rest_days_places(db):
    StoreDay.objects.create(day=date(2026, 10, 3), is_workday=True, note="国庆值班")
    assert day_type(date(2026, 10, 3)) == DayType.REST_DAY


def test_the_overrides_given_are_used_instead_of_the_table(db, django_assert_num_queries):
    StoreDay.objects.create(day=THURSDAY, is_workday=False)
    with django_assert_num_queries(0):
        assert day_type(THURSDAY, overrides={}) == DayType.WORKDAY
        assert day_type(FRIDAY, overrides={FRIDAY: False}) is None


def test_a_year_the_calendar_lacks_counts_monday_to_friday_and_the_stores_days(db):
    monday, saturday, sunday = date(2027, 3, 1), date(2027, 3, 6), date(2027, 3, 7)
    assert day_type(monday) == DayType.WORKDAY
    assert day_type(saturday) == DayType.REST_DAY
    assert holiday_name(date(2027, 10, 1)) == ""
    # The supervisor enters 2027's days as store days: a closed holiday, a make-up Sunday.
    StoreDay.objects.create(day=date(2027, 10, 1), is_workday=False, note="国庆节")
    StoreDay.objects.create(day=sunday, is_workday=True, note="调休上班")
    assert day_type(date(2027, 10, 1)) is None
    assert day_type(sunday) == DayType.WORKDAY


def test_day_types_read_the_stores_days_once(db, django_assert_num_queries):
    StoreDay.objects.create(day=THURSDAY, is_workday=False)
    with django_assert_num_queries(1):
        types = day_types(start=WEDNESDAY, days=12)
    assert types == {
        WEDNESDAY: DayType.WORKDAY, **{day: None for day in NATIONAL_DAY}, THURSDAY: None,
        FRIDAY: DayType.WORKDAY, MAKE_UP_SATURDAY: DayType.WORKDAY, SUNDAY: DayType.REST_DAY,
    }


# --- the slots made from it ----------------------------------------------------------------------------
def _made(day: date) -> list[tuple[int, int]]:
    """(hour, places) of the day's slots, over the three advisors."""
    return sorted(Slot.objects.filter(day=day).values_list("hour", "places"))


def test_slots_follow_the_calendar_holidays_closed_make_up_saturday_at_working_day_places(db):
    shipped_workshop()
    StoreDay.objects.create(day=FRIDAY, is_workday=False, note="停电检修")
    made = slots_ensure(start=WEDNESDAY, days=12)
    # Wednesday 30 September, Thursday 8 October and the make-up Saturday: 3 advisors × 8 hours each;
    # Sunday 11 October: 3 × 6; the holiday and the Friday the store closed: none.
    assert made == 3 * (3 * 8) + 3 * 6
    assert _made(WEDNESDAY) == sorted((hour, 2) for hour in WORKDAY_HOURS for _advisor in range(3))
    assert _made(THURSDAY) == _made(WEDNESDAY)
    assert _made(MAKE_UP_SATURDAY) == _made(WEDNESDAY)
    assert _made(SUNDAY) == sorted((hour, 1) for hour in REST_DAY_HOURS for _advisor in range(3))
    for closed in [*NATIONAL_DAY, FRIDAY]:
        assert _made(closed) == []


def test_making_the_slots_again_makes_none(db):
    shipped_workshop()
    assert slots_ensure(start=WEDNESDAY, days=12) > 0
    count = Slot.objects.count()
    assert slots_ensure(start=WEDNESDAY, days=12) == 0
    assert Slot.objects.count() == count


def test_a_day_closed_after_its_slots_were_made_is_not_suggested(db):
    advisors = shipped_workshop()
    slots_ensure(start=THURSDAY, days=2)
    StoreDay.objects.create(day=THURSDAY, is_workday=False, note="临时停业")
    suggested = slots_suggest(start=THURSDAY, days=2, limit=50, now=at(WEDNESDAY, 18))
    assert suggested and {slot.day for slot in suggested} == {FRIDAY}
    assert advisors[0].slots.filter(day=THURSDAY).exists()  # kept, for the customers already booked
