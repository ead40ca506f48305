"""Who has a birthday in the days ahead (`birthdays_ahead`, the contract): customers and their
children, the window across the year's end, 29 February in a common year, the order of the rows."""

from datetime import date

import pytest

from events.birthdays.days import celebrated_on, next_birthday, window
from events.birthdays.selectors import BirthdayFilters, birthdays_ahead, birthdays_count

from .conftest import child, customer

pytestmark = pytest.mark.django_db


def names(rows) -> list[tuple[str, str, int]]:
    return [(row.name, f"{row.on:%m-%d}", row.age) for row in rows]


def test_seven_days_from_28_december_reach_3_january_with_next_years_age():
    customer(name="跨年前", born=date(1980, 12, 31))
    customer(name="元旦", born=date(1990, 1, 1))
    customer(name="第八天", born=date(1990, 1, 4))
    customer(name="昨天", born=date(1990, 12, 27))
    rows = birthdays_ahead(today=date(2026, 12, 28), days=7)
    assert names(rows) == [("跨年前", "12-31", 46), ("元旦", "01-01", 37)]
    assert rows[1].on == date(2027, 1, 1)


def test_a_29_february_birthday_is_in_the_window_on_28_february_of_a_common_year():
    customer(name="闰日", born=date(1992, 2, 29))
    assert names(birthdays_ahead(today=date(2027, 2, 25), days=7)) == [("闰日", "02-28", 35)]
    assert birthdays_ahead(today=date(2027, 3, 1), days=7) == []
    assert names(birthdays_ahead(today=date(2028, 2, 25), days=7)) == [("闰日", "02-29", 36)]
    assert celebrated_on(date(1992, 2, 29), year=2027) == date(2027, 2, 28)
    assert next_birthday(date(1992, 2, 29), today=date(2027, 3, 1)) == date(2028, 2, 29)


def test_children_come_with_their_parent_and_the_important_first_within_a_day():
    parent = customer(name="王建国", born=date(1979, 6, 1))
    child(parent, name="王小明", born=date(2016, 12, 5))
    child(parent, name="王太太", born=date(1982, 12, 5), relation="spouse")  # only children are listed
    customer(name="普通", born=date(1985, 12, 5))
    customer(name="贵宾", born=date(1975, 12, 5), importance="vip")
    customer(name="今天", born=date(1988, 12, 3))
    rows = birthdays_ahead(today=date(2026, 12, 3), days=7)
    assert names(rows) == [("今天", "12-03", 38), ("贵宾", "12-05", 51), ("普通", "12-05", 41),
                           ("王小明", "12-05", 10)]
    assert rows[0].is_today and not rows[1].is_today
    assert rows[3].is_child and rows[3].customer == parent


def test_the_filters_and_the_count():
    vip = customer(name="贵宾", born=date(1975, 12, 5), importance="vip")
    child(vip, name="贵宾之子", born=date(2010, 12, 4))
    customer(name="普通", born=date(1985, 12, 5))
    today = date(2026, 12, 3)
    assert birthdays_count(today=today) == 3
    assert names(birthdays_ahead(today=today, filters=BirthdayFilters(important=True))) == [
        ("贵宾之子", "12-04", 16), ("贵宾", "12-05", 51)]
    assert names(birthdays_ahead(today=today, filters=BirthdayFilters(kind="child"))) == [("贵宾之子", "12-04", 16)]
    assert [row.name for row in birthdays_ahead(today=today, filters=BirthdayFilters(day=date(2026, 12, 5)))] == [
        "贵宾", "普通"]
    assert birthdays_ahead(today=today, filters=BirthdayFilters(day=date(2026, 12, 25))) == []  # not in the window


def test_the_window_starts_today():
    assert window(today=date(2026, 12, 30), days=3) == [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)]
    # A window of one day (or a setting of 0) is today alone.
    assert window(today=date(2026, 12, 30), days=1) == window(today=date(2026, 12, 30), days=0) == [date(2026, 12, 30)]
