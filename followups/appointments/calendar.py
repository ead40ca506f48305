"""Which capacity each day takes (工作日 or 周末), or none because the store is closed.

The workshop keeps China's official arrangement, as the complaints' clock does and through the same
cached look-up (`followups.complaints.clock._official_workday`, chinese-calendar): a public holiday is
closed (国庆节 1–7 October 2026 has no slots), a make-up working day (调休, e.g. Saturday 10 October
2026) is a working day with the working day's places, any other Saturday or Sunday takes the rest-day
places. The store's own days (`followups.complaints.models.StoreDay`, the same table the complaints'
working hours read) win over that: a day it closes has no slots; a day it opens that China rests
(a holiday, a Sunday) takes the rest-day places, since it opens with the weekend's staff.

For a year chinese-calendar does not know yet (beyond 2026 in 1.11.0) the days are Monday to Friday
working, weekends resting, no holiday — until the supervisor enters that year's holidays and make-up
days as store days, as StoreDay's help says. In such a year an opened weekend day is therefore taken
for a make-up working day (the only way to enter one) and gets the working day's places.
"""

from datetime import date, timedelta
from functools import cache

import chinese_calendar
from django.utils.translation import gettext_lazy as _

from followups.complaints.clock import _official_workday

from .models import DayType

# chinese-calendar names its holidays in English (its `Holiday` values): the reader's words here.
HOLIDAY_NAMES = {
    chinese_calendar.Holiday.new_years_day.value: _("New Year's Day"),
    chinese_calendar.Holiday.spring_festival.value: _("Spring Festival"),
    chinese_calendar.Holiday.tomb_sweeping_day.value: _("Tomb-sweeping Day"),
    chinese_calendar.Holiday.labour_day.value: _("Labour Day"),
    chinese_calendar.Holiday.dragon_boat_festival.value: _("Dragon Boat Festival"),
    chinese_calendar.Holiday.national_day.value: _("National Day"),
    chinese_calendar.Holiday.mid_autumn_festival.value: _("Mid-autumn Festival"),
    chinese_calendar.Holiday.anti_fascist_70th_day.value: _("Victory Day"),
}


@cache
def _official_detail(day: date) -> tuple[bool, str | None] | None:
    """chinese-calendar's (is a day off, holiday name) for `day`, None for a year it lacks. Cached
    like `_official_workday`: the calendar page and the slots ask for the same days over and over."""
    try:
        return chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None


def _holiday_of(day: date) -> str | None:
    """The English name of the public holiday `day` is part of (a day off in the official table);
    None on a plain weekend, a working day, a make-up day or a year the calendar lacks."""
    detail = _official_detail(day)
    if detail is None:
        return None
    off, name = detail
    return name if off and name else None


def store_days(*, start: date, days: int) -> dict[date, bool]:
    """The store's own days from `start` for `days` days (date → opens), one query."""
    from followups.complaints.models import StoreDay

    return dict(StoreDay.objects.filter(day__gte=start, day__lt=start + timedelta(days=days))
                .values_list("day", "is_workday"))


def day_type(day: date, *, overrides: dict | None = None) -> DayType | None:
    """The capacity `day` takes, or None when the workshop is closed (module docstring).

    `overrides` are the store's days (date → opens, as `store_days` returns them); None reads `day`'s
    (one query): a caller asking for many days reads them once and passes them.
    """
    if overrides is None:
        overrides = store_days(start=day, days=1)
    store = overrides.get(day)
    if store is False:
        return None
    official = _official_workday(day)
    if official is None:  # a year the calendar lacks: the store's entry is the only arrangement known
        return DayType.WORKDAY if store or day.weekday() < 5 else DayType.REST_DAY
    if official:
        return DayType.WORKDAY
    if store:
        return DayType.REST_DAY
    return None if _holiday_of(day) else DayType.REST_DAY


def day_types(*, start: date, days: int, overrides: dict | None = None) -> dict[date, DayType | None]:
    """`day_type` of each day from `start` for `days` days, the store's days read once."""
    if overrides is None:
        overrides = store_days(start=start, days=days)
    return {start + timedelta(days=n): day_type(start + timedelta(days=n), overrides=overrides)
            for n in range(days)}


def holiday_name(day: date) -> str:
    """The public holiday `day` belongs to, in the reader's language ("国庆节"); "" for any other day,
    a make-up working day included (see `make_up_for`)."""
    name = _holiday_of(day)
    return str(HOLIDAY_NAMES.get(name, name)) if name else ""


def make_up_for(day: date) -> str:
    """The holiday a make-up working day (调休上班) makes up for ("国庆节" for Saturday 10 October
    2026); "" when `day` is not one (a weekday, a weekend off, a year the calendar lacks)."""
    detail = _official_detail(day)
    if detail is None or day.weekday() < 5:
        return ""
    off, name = detail
    return str(HOLIDAY_NAMES.get(name, name)) if not off and name else ""
