"""The complaints' clock: working hours on China's official calendar, or plain calendar hours.

The oracles are the State Council's published holiday arrangement for 2026 (国务院办公厅关于2026年
部分节假日安排的通知): 元旦 1月1日–3日, 1月4日（周日）上班; 春节 2月15日–23日, 2月14日（周六）、
2月28日（周六）上班; 清明 4月4日–6日; 劳动节 5月1日–5日, 5月9日（周六）上班; 端午 6月19日–21日;
中秋 9月25日–27日; 国庆 10月1日–7日, 9月20日（周日）、10月10日（周六）上班 — and the store's hours,
08:30 to 17:30 (nine hours a day). 2027 is not in chinese-calendar 1.11.0: Monday to Friday then.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from followups.complaints.clock import StoreClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


WORKING = StoreClock(working=True, start=time(8, 30), end=time(17, 30))
CALENDAR = StoreClock(working=False, start=time(8, 30), end=time(17, 30))


# --- working days ----------------------------------------------------------------------------
def test_two_working_hours_from_friday_afternoon_end_on_monday_morning():
    assert WORKING.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 30, 9, 30)


def test_national_day_is_skipped():
    # Wednesday 30 September 16:30: one hour that day, then 1–7 October off, the next on Thursday 8.
    assert WORKING.add(at(2026, 9, 30, 16, 30), 2) == at(2026, 10, 8, 9, 30)
    # 24 working hours from the morning of 30 September: 9 h that day, 9 h on the 8th, 6 h on the 9th.
    assert WORKING.add(at(2026, 9, 30, 8, 30), 24) == at(2026, 10, 9, 14, 30)


def test_saturday_10_october_is_a_make_up_working_day():
    assert WORKING.is_workday(date(2026, 10, 10))
    assert WORKING.add(at(2026, 10, 9, 16, 30), 2) == at(2026, 10, 10, 9, 30)


def test_sunday_20_september_is_a_make_up_working_day():
    assert WORKING.is_workday(date(2026, 9, 20))
    assert not WORKING.is_workday(date(2026, 9, 19))  # the Saturday before stays a weekend
    assert WORKING.add(at(2026, 9, 18, 16, 30), 2) == at(2026, 9, 20, 9, 30)


def test_the_mid_autumn_festival_is_skipped():
    # Friday 25 September is 中秋节; the weekend follows, so Monday 28 comes next.
    assert WORKING.add(at(2026, 9, 24, 16, 30), 2) == at(2026, 9, 28, 9, 30)


def test_labour_day_is_skipped():
    # Thursday 30 April, then 1–5 May off (Friday to Tuesday): Wednesday 6 May.
    assert WORKING.add(at(2026, 4, 30, 16, 30), 2) == at(2026, 5, 6, 9, 30)
    assert WORKING.is_workday(date(2026, 5, 9))  # Saturday 9 May makes up for it


def test_the_spring_festival_is_skipped_after_its_make_up_saturday():
    # Friday 13 February, then Saturday 14 (上班), then 15–23 off: Tuesday 24 February.
    assert WORKING.add(at(2026, 2, 13, 16, 30), 2) == at(2026, 2, 14, 9, 30)
    assert WORKING.add(at(2026, 2, 14, 16, 30), 2) == at(2026, 2, 24, 9, 30)


def test_the_years_of_the_calendar_are_covered():
    assert WORKING.covered(date(2004, 1, 1))
    assert WORKING.covered(date(2026, 12, 31))
    assert not WORKING.covered(date(2003, 12, 31))
    assert not WORKING.covered(date(2027, 1, 1))


def test_a_year_beyond_the_calendar_counts_monday_to_friday():
    assert WORKING.is_workday(date(2027, 1, 1))  # a Friday: New Year's Day is unknown there
    assert not WORKING.is_workday(date(2027, 1, 9))  # a Saturday
    assert WORKING.add(at(2027, 1, 8, 16, 30), 2) == at(2027, 1, 11, 9, 30)
    assert WORKING.add(at(2026, 12, 31, 16, 30), 2) == at(2027, 1, 1, 9, 30)
    assert not WORKING.is_workday(date(2003, 12, 27))  # a Saturday before the calendar's first year


def test_the_store_closes_a_day_the_fallback_would_count():
    clock = StoreClock(working=True, overrides={date(2027, 1, 1): False}, start=time(8, 30), end=time(17, 30))
    assert clock.add(at(2026, 12, 31, 16, 30), 2) == at(2027, 1, 4, 9, 30)


# --- the store's own days --------------------------------------------------------------------
def test_a_closed_monday_moves_the_deadline_to_tuesday():
    clock = StoreClock(working=True, overrides={date(2026, 11, 30): False}, start=time(8, 30), end=time(17, 30))
    assert not clock.is_workday(date(2026, 11, 30))
    assert clock.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 12, 1, 9, 30)


def test_an_open_sunday_counts():
    clock = StoreClock(working=True, overrides={date(2026, 11, 29): True}, start=time(8, 30), end=time(17, 30))
    assert clock.is_workday(date(2026, 11, 29))
    assert clock.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 29, 9, 30)


def test_overrides_win_over_holidays_and_make_up_days():
    clock = StoreClock(working=True, overrides={date(2026, 10, 1): True, date(2026, 10, 10): False},
                       start=time(8, 30), end=time(17, 30))
    assert clock.is_workday(date(2026, 10, 1))
    assert not clock.is_workday(date(2026, 10, 10))
    assert clock.add(at(2026, 9, 30, 16, 30), 2) == at(2026, 10, 1, 9, 30)
    assert clock.add(at(2026, 10, 9, 16, 30), 2) == at(2026, 10, 12, 9, 30)


def test_a_later_change_to_the_overrides_does_not_move_the_clock():
    overrides = {date(2026, 11, 30): False}
    clock = StoreClock(working=True, overrides=overrides, start=time(8, 30), end=time(17, 30))
    overrides[date(2026, 11, 30)] = True
    assert not clock.is_workday(date(2026, 11, 30))


# --- the calendar clock ----------------------------------------------------------------------
def test_the_calendar_clock_counts_every_hour():
    assert CALENDAR.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 27, 18, 30)
    assert CALENDAR.add(at(2026, 9, 30, 16, 30), 24) == at(2026, 10, 1, 16, 30)
    assert CALENDAR.add(at(2026, 10, 3, 2, 0), Decimal("0.5")) == at(2026, 10, 3, 2, 30)


def test_the_calendar_clock_is_always_open():
    assert CALENDAR.is_open(at(2026, 10, 1, 3, 0))  # a holiday's night
    assert CALENDAR.is_open(at(2026, 11, 28, 12, 0))  # a Saturday


def test_the_calendar_clock_ignores_the_overrides():
    clock = StoreClock(working=False, overrides={date(2026, 11, 27): False}, start=time(8, 30), end=time(17, 30))
    assert clock.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 27, 18, 30)
    assert clock.between(at(2026, 11, 27, 8, 0), at(2026, 11, 27, 10, 0)) == timedelta(hours=2)


def test_the_calendar_clock_counts_a_weekend_whole():
    assert CALENDAR.between(at(2026, 11, 27, 16, 30), at(2026, 11, 30, 9, 30)) == timedelta(hours=65)


# --- open or not -----------------------------------------------------------------------------
@pytest.mark.parametrize(("hour", "minute", "open_"), [(8, 29, False), (8, 30, True), (17, 29, True), (17, 30, False)])
def test_the_store_is_open_from_its_opening_up_to_its_closing(hour, minute, open_):
    assert WORKING.is_open(at(2026, 11, 27, hour, minute)) is open_


def test_the_store_is_closed_on_a_weekend_and_a_holiday_and_open_on_a_make_up_day():
    assert not WORKING.is_open(at(2026, 11, 28, 10, 0))
    assert not WORKING.is_open(at(2026, 10, 1, 10, 0))
    assert WORKING.is_open(at(2026, 10, 10, 10, 0))


def test_a_time_in_another_zone_is_read_in_the_stores():
    # 08:30 UTC is 16:30 in Shanghai: the deadline is Monday's, not Friday 10:30's.
    friday_in_utc = datetime(2026, 11, 27, 8, 30, tzinfo=ZoneInfo("UTC"))
    assert WORKING.is_open(friday_in_utc)
    assert WORKING.add(friday_in_utc, 2) == at(2026, 11, 30, 9, 30)
    assert WORKING.add(friday_in_utc, 2).tzinfo == SHANGHAI


# --- next opening ----------------------------------------------------------------------------
def test_at_night_the_store_opens_the_next_morning():
    assert WORKING.next_opening(at(2026, 11, 24, 22, 0)) == at(2026, 11, 25, 8, 30)


def test_early_in_the_morning_the_store_opens_that_day():
    assert WORKING.next_opening(at(2026, 11, 25, 6, 0)) == at(2026, 11, 25, 8, 30)


def test_at_closing_the_store_opens_the_next_working_day():
    assert WORKING.next_opening(at(2026, 11, 27, 17, 30)) == at(2026, 11, 30, 8, 30)


def test_on_saturday_the_store_opens_on_monday():
    assert WORKING.next_opening(at(2026, 11, 28, 10, 0)) == at(2026, 11, 30, 8, 30)


def test_on_a_holiday_eve_the_store_opens_after_the_holiday():
    assert WORKING.next_opening(at(2026, 9, 30, 18, 0)) == at(2026, 10, 8, 8, 30)


def test_while_open_the_next_opening_is_now():
    now = at(2026, 11, 25, 11, 17)
    assert WORKING.next_opening(now) == now


def test_the_calendar_clock_answers_when_the_store_opens_too():
    assert CALENDAR.next_opening(at(2026, 11, 28, 10, 0)) == at(2026, 11, 30, 8, 30)
    assert CALENDAR.next_opening(at(2026, 9, 30, 18, 0)) == at(2026, 10, 8, 8, 30)


# --- adding hours ----------------------------------------------------------------------------
def test_time_before_opening_counts_from_the_opening():
    assert WORKING.add(at(2026, 11, 25, 6, 0), 2) == at(2026, 11, 25, 10, 30)


def test_a_deadline_at_closing_stays_at_closing():
    assert WORKING.add(at(2026, 11, 27, 8, 30), 9) == at(2026, 11, 27, 17, 30)
    assert WORKING.add(at(2026, 11, 27, 17, 0), Decimal("0.5")) == at(2026, 11, 27, 17, 30)


def test_half_hours_count():
    assert WORKING.add(at(2026, 11, 27, 17, 15), Decimal("0.5")) == at(2026, 11, 30, 8, 45)
    assert WORKING.add(at(2026, 11, 25, 9, 0), 1.25) == at(2026, 11, 25, 10, 15)


def test_no_hours_is_now_when_open_and_the_opening_when_closed():
    open_now = at(2026, 11, 25, 11, 17)
    assert WORKING.add(open_now, 0) == open_now
    assert WORKING.add(at(2026, 11, 27, 17, 30), 0) == at(2026, 11, 30, 8, 30)
    assert WORKING.add(at(2026, 11, 28, 10, 0), Decimal(0)) == at(2026, 11, 30, 8, 30)


def test_seventy_two_working_hours_are_counted_day_by_day():
    class CountingClock(StoreClock):
        days_asked = 0

        def is_workday(self, day):
            self.days_asked += 1
            return super().is_workday(day)

    clock = CountingClock(working=True, start=time(8, 30), end=time(17, 30))
    # Eight days of nine hours: Monday 23 November to Wednesday 2 December, at its closing.
    assert clock.add(at(2026, 11, 23, 8, 30), 72) == at(2026, 12, 2, 17, 30)
    assert clock.days_asked == 10  # one question per day walked, weekend included


def test_negative_or_endless_hours_are_refused():
    for hours in (-1, Decimal("-0.5"), float("inf"), Decimal("NaN")):
        with pytest.raises(ValueError):
            WORKING.add(at(2026, 11, 25, 9, 0), hours)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        WORKING.add(datetime(2026, 11, 25, 9, 0), 2)


def test_a_store_that_never_opens_is_an_error_not_a_hang():
    never = {date(2026, 11, 25) + timedelta(days=n): False for n in range(500)}
    clock = StoreClock(working=True, overrides=never, start=time(8, 30), end=time(17, 30))
    with pytest.raises(ValueError):
        clock.add(at(2026, 11, 25, 9, 0), 1)
    with pytest.raises(ValueError):
        clock.next_opening(at(2026, 11, 25, 9, 0))


def test_hours_beyond_four_hundred_days_are_refused():
    with pytest.raises(ValueError):
        WORKING.add(at(2026, 1, 5, 8, 30), 10_000)


# --- time between ----------------------------------------------------------------------------
def test_between_across_a_weekend_counts_the_working_hours_only():
    assert WORKING.between(at(2026, 11, 27, 16, 30), at(2026, 11, 30, 9, 30)) == timedelta(hours=2)


def test_between_across_national_day():
    # The whole of 30 September and of 8 October: 18 hours, however long the holiday.
    assert WORKING.between(at(2026, 9, 30, 8, 30), at(2026, 10, 8, 17, 30)) == timedelta(hours=18)


def test_between_outside_hours_counts_nothing():
    assert WORKING.between(at(2026, 11, 27, 17, 30), at(2026, 11, 30, 8, 30)) == timedelta(0)
    assert WORKING.between(at(2026, 11, 25, 19, 0), at(2026, 11, 25, 23, 0)) == timedelta(0)


def test_between_backwards_is_nothing():
    assert WORKING.between(at(2026, 11, 30, 9, 30), at(2026, 11, 27, 16, 30)) == timedelta(0)
    assert CALENDAR.between(at(2026, 11, 30, 9, 30), at(2026, 11, 27, 16, 30)) == timedelta(0)


# --- add and between are inverses ------------------------------------------------------------
moments = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=SHANGHAI))
hours = st.decimals(min_value=0, max_value=120, places=4)  # 0.0001 h is 0.36 s: exact in microseconds
store_days = st.dictionaries(st.dates(min_value=date(2025, 12, 1), max_value=date(2028, 6, 30)), st.booleans(),
                             max_size=30)
INVERSE = hypothesis_settings(max_examples=200, deadline=None, derandomize=True, database=None)


@INVERSE
@given(a=moments, h=hours, overrides=store_days, working=st.booleans())
@example(a=at(2026, 9, 30, 16, 30), h=Decimal(2), overrides={}, working=True)
@example(a=at(2026, 11, 27, 17, 0), h=Decimal("0.5"), overrides={}, working=True)
def test_between_undoes_add(a, h, overrides, working):
    # Stronger than "when a is open": time before opening counts for neither, so any a will do.
    clock = StoreClock(working=working, overrides=overrides, start=time(8, 30), end=time(17, 30))
    assert clock.between(a, clock.add(a, h)) == timedelta(microseconds=int(h * 3_600_000_000))


@INVERSE
@given(a=moments, gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), overrides=store_days)
@example(a=at(2026, 11, 27, 16, 30), gap=timedelta(days=2, hours=17), overrides={})  # Monday 09:30
def test_add_of_between_is_the_first_moment_with_that_much_time(a, gap, overrides):
    """add(a, between(a, b)) is b itself when the store was open just before b; when b is at an
    opening (or closed), it is the closing before it, or b's next opening if no time was spent."""
    clock = StoreClock(working=True, overrides=overrides, start=time(8, 30), end=time(17, 30))
    b = a + gap
    spent = clock.between(a, b)
    reached = clock.add(a, Decimal(spent // timedelta(microseconds=1)) / 3_600_000_000)
    assert clock.between(a, reached) == spent
    assert a <= reached <= clock.next_opening(b)
    assert clock.between(reached, clock.next_opening(b)) == timedelta(0)
    if clock.is_open(b) and clock.is_open(b - timedelta(microseconds=1)):
        assert reached == b


# --- the opening hours come from the settings ------------------------------------------------
def test_the_opening_hours_follow_the_settings(settings):
    settings.COMPLAINT_WORKDAY_START = "09:00"
    settings.COMPLAINT_WORKDAY_END = "18:00"
    clock = StoreClock(working=True)
    assert not clock.is_open(at(2026, 11, 27, 8, 45))
    assert clock.is_open(at(2026, 11, 27, 17, 45))
    assert clock.add(at(2026, 11, 27, 17, 0), 2) == at(2026, 11, 30, 10, 0)
    assert clock.next_opening(at(2026, 11, 28, 10, 0)) == at(2026, 11, 30, 9, 0)


def test_without_the_settings_the_store_opens_from_half_past_eight_to_half_past_five(settings):
    del settings.COMPLAINT_WORKDAY_START
    del settings.COMPLAINT_WORKDAY_END
    clock = StoreClock(working=True)
    assert (clock.start, clock.end) == (time(8, 30), time(17, 30))
    assert clock.add(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 30, 9, 30)


def test_hours_given_to_the_clock_win_over_the_settings(settings):
    settings.COMPLAINT_WORKDAY_START = "09:00"
    settings.COMPLAINT_WORKDAY_END = "18:00"
    clock = StoreClock(working=True, start=time(8, 0), end=time(12, 0))
    assert clock.add(at(2026, 11, 27, 11, 0), 2) == at(2026, 11, 30, 9, 0)


def test_a_store_closing_before_it_opens_is_refused(settings):
    settings.COMPLAINT_WORKDAY_START = "18:00"
    settings.COMPLAINT_WORKDAY_END = "09:00"
    with pytest.raises(ValueError):
        StoreClock(working=True)
