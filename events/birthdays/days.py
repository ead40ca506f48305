"""Which birthdays fall on which days: the window ahead across the year's end, 29 February in a
common year (celebrated on 28 February), and the SQL conditions that the month-and-day indexes of
customers/migrations/0021 answer (`EXTRACT(MONTH …)`, `EXTRACT(DAY …)` of the birthday)."""

from calendar import isleap
from datetime import date, timedelta

from django.db.models import Case, IntegerField, Q, Value, When

# A child's gift goes by post: it is requested this many days before the birthday at the latest, so
# that the general manager approves it and the courier brings it in time (the page says by when).
GIFT_POST_DAYS_BEFORE = 5


def window(*, today: date, days: int) -> list[date]:
    """The `days` days from today (today first): 7 days from 28 December reach 3 January."""
    return [today + timedelta(days=offset) for offset in range(max(days, 1))]


def month_days(day: date) -> list[tuple[int, int]]:
    """The (month, day) of the birthdays celebrated on `day`: its own, and on 28 February of a
    common year also 29 February's."""
    pairs = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not isleap(day.year):
        pairs.append((2, 29))
    return pairs


def celebrated_on(birthday: date, *, year: int) -> date:
    """The day of `year` a birthday is celebrated on (28 February for 29 February in a common year)."""
    if birthday.month == 2 and birthday.day == 29 and not isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def next_birthday(birthday: date, *, today: date) -> date:
    """The first day from today the birthday is celebrated on."""
    this_year = celebrated_on(birthday, year=today.year)
    return this_year if this_year >= today else celebrated_on(birthday, year=today.year + 1)


def age_on(birthday: date, *, day: date) -> int:
    """How old one turns on the birthday celebrated on `day`."""
    return day.year - birthday.year


def birthday_q(days: list[date], *, field: str = "birthday") -> Q:
    """Birthdays celebrated on any of these days: one (month, day) pair each, as the index holds them."""
    condition = Q()
    for day in days:
        for month, day_of_month in month_days(day):
            condition |= Q(**{f"{field}__month": month, f"{field}__day": day_of_month})
    return condition


def position_of(days: list[date], *, field: str = "birthday") -> Case:
    """The day's place in the window (0 for today), for ordering a birthday's rows by when they fall."""
    whens = [When(Q(**{f"{field}__month": month, f"{field}__day": day_of_month}), then=Value(position))
             for position, day in enumerate(days) for month, day_of_month in month_days(day)]
    return Case(*whens, default=Value(len(days)), output_field=IntegerField())
