"""The store's clock for the complaints' deadlines: working hours, or plain calendar hours.

A severity says how soon a complaint must be answered ("first contact within 2 working hours")
and on which clock. Working time is the store's working days times its opening hours. The working
days are China's official ones as `chinese_calendar` publishes them: weekends and public holidays
off, and the make-up working days (调休, e.g. Saturday 2026-10-10) on, because the store keeps the
national arrangement — a complaint made before National Day is not due on Saturday 3 October but
may well be due on Saturday 10 October. The library only knows the years it was released for
(2004–2026 in 1.11.0); for any other year the clock counts Monday to Friday rather than fail, so a
deadline can still be set, and `covered` tells the pages that the year is a guess. The store can
open or close single days itself (`overrides`, which win over both).

Every moment is computed in the store's zone (the current time zone, Asia/Shanghai), whatever zone
the datetimes come in; arithmetic is done in UTC so that a zone with summer time would still count
real hours. This module holds no models and reads no table: the caller hands it the overrides.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

import chinese_calendar
from django.conf import settings
from django.utils import timezone

DEFAULT_WORKDAY_START = "08:30"
DEFAULT_WORKDAY_END = "17:30"

# How many days `add` and `next_opening` walk before giving up: a year and a month is more than any
# complaint's deadline, so going further means the calendar has no working day (every day closed
# by the overrides) or the hours are absurd — an error to show, not a loop to hang in.
MAX_DAYS = 400

_MICROSECONDS_PER_HOUR = 3_600_000_000


@cache
def _official_workday(day: date) -> bool | None:
    """China's official answer for `day`, None for a year the library lacks. Cached: the library
    checks each date against the bounds of its whole table (about 50 µs a call), and the escalation
    check asks for the same few hundred days thousands of times."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _setting_time(name: str, default: str) -> time:
    # getattr: the settings may not define the opening hours (they are optional, with the defaults).
    return time.fromisoformat(getattr(settings, name, default))


def _hours(hours: Decimal | float | int) -> timedelta:
    """`hours` as a timedelta rounded to the microsecond. Through Decimal, so that 0.1 or a
    Decimal with many digits (a `between` turned back into hours) lands on the exact microsecond
    rather than one off from a float's rounding."""
    value = Decimal(hours)
    if not value.is_finite() or value < 0:
        raise ValueError(f"A number of hours must be finite and not negative, not {hours!r}.")
    microseconds = int((value * _MICROSECONDS_PER_HOUR).to_integral_value(ROUND_HALF_EVEN))
    return timedelta(microseconds=microseconds)


class StoreClock:
    """The time a complaint's deadline is counted in: the store's working hours (`working=True`)
    or calendar hours (`working=False`, every hour counts, nights and holidays included).

    `start` and `end` are the opening hours (local time); by default the settings
    COMPLAINT_WORKDAY_START and COMPLAINT_WORKDAY_END ("08:30" and "17:30"). The calendar clock
    keeps them too, for `next_opening`: "when does the store open" has one answer on both clocks.
    """

    def __init__(self, *, working: bool, overrides: Mapping[date, bool] | None = None,
                 start: time | None = None, end: time | None = None):
        self.working = working
        # Copied, so that a table changed after the clock was made does not move its deadlines.
        self.overrides: dict[date, bool] = dict(overrides or {})
        self.start = start if start is not None else _setting_time("COMPLAINT_WORKDAY_START", DEFAULT_WORKDAY_START)
        self.end = end if end is not None else _setting_time("COMPLAINT_WORKDAY_END", DEFAULT_WORKDAY_END)
        if self.start >= self.end:
            raise ValueError(f"The store must open before it closes ({self.start:%H:%M}–{self.end:%H:%M}).")
        # Taken once: a clock counts in one zone for its whole life, whatever is activated later.
        self.tz = timezone.get_current_timezone()

    def __repr__(self) -> str:
        kind = "working" if self.working else "calendar"
        return f"<StoreClock {kind} {self.start:%H:%M}–{self.end:%H:%M}, {len(self.overrides)} overrides>"

    # --- the calendar -------------------------------------------------------------------------
    def is_workday(self, day: date) -> bool:
        """Whether the store works on `day`: the store's own override first (it knows its day),
        then China's official calendar, then Monday to Friday for a year the calendar lacks."""
        if day in self.overrides:
            return bool(self.overrides[day])
        official = _official_workday(day)
        return day.weekday() < 5 if official is None else official

    def covered(self, day: date) -> bool:
        """Whether the official calendar has `day`'s year; when not, `is_workday` counts Monday to
        Friday, which misses that year's holidays until the library is updated (or the store
        enters them as overrides)."""
        return _official_workday(day) is not None

    def _hours_of(self, day: date) -> tuple[datetime, datetime]:
        """When the store opens and closes on `day`, as UTC instants."""
        opens = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def _local(self, at: datetime) -> datetime:
        # timezone.localtime refuses a naive datetime (ValueError): a deadline needs a real instant.
        return timezone.localtime(at, self.tz)

    def _store_open(self, local: datetime) -> bool:
        return self.is_workday(local.date()) and self.start <= local.time() < self.end

    # --- instants -----------------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        """Whether `at` is this clock's time: on the working clock, a working day from opening up to
        (not including) closing; on the calendar clock, always."""
        local = self._local(at)
        return self._store_open(local) if self.working else True

    def next_opening(self, at: datetime) -> datetime:
        """`at` if the store is open then, else when it opens next (that day's opening if `at` is
        before it on a working day, else the next working day's). On both clocks: it answers when
        the store opens, e.g. for "we will call you back at …", which a calendar deadline needs too."""
        local = self._local(at)
        if self._store_open(local):
            return at
        day = local.date()
        if self.is_workday(day) and local.time() < self.start:
            return datetime.combine(day, self.start, tzinfo=self.tz)
        for _ in range(MAX_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return datetime.combine(day, self.start, tzinfo=self.tz)
        raise ValueError(f"The store does not open within {MAX_DAYS} days after {local:%Y-%m-%d %H:%M}.")

    # --- durations ----------------------------------------------------------------------------
    def add(self, at: datetime, hours: Decimal | float | int) -> datetime:
        """The moment `hours` of this clock's time after `at`, in the store's zone.

        On the working clock the hours are used up day by day (never minute by minute): on each
        working day, from the later of `at` and the opening up to the closing. Time before opening
        therefore counts from the opening; a deadline that uses up a day's last hour exactly is at
        that day's closing (17:30 on Friday is sooner than 08:30 on Monday, and it is what the
        customer was told); `add(at, 0)` is `at` when the store is open, else `next_opening(at)`.
        Walking more than MAX_DAYS days raises ValueError.
        """
        remaining = _hours(hours)
        moment = self._local(at).astimezone(UTC)
        if not self.working:
            return self._local(moment + remaining)
        day = self._local(at).date()
        for _ in range(MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._hours_of(day)
                begin = max(moment, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return self._local(begin + remaining)
                    remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError(f"{hours} hours after {self._local(at):%Y-%m-%d %H:%M} go beyond {MAX_DAYS} days.")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """This clock's time from `a` to `b` (nothing when `b` is not after `a`): the inverse of
        `add`, so `between(a, add(a, h))` is `h` hours — how late a complaint is, counted as its
        deadline was. On the working clock, the overlap of [a, b] with each working day's hours."""
        start, stop = self._local(a).astimezone(UTC), self._local(b).astimezone(UTC)
        if stop <= start:
            return timedelta(0)
        if not self.working:
            return stop - start
        total = timedelta(0)
        day, last = self._local(a).date(), self._local(b).date()
        while day <= last:
            if self.is_workday(day):
                opens, closes = self._hours_of(day)
                overlap = min(stop, closes) - max(start, opens)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total
