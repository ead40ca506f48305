"""The birthdays' daily job (dealer_crm.jobs.registry), after retention's (300–320): the day's
greetings, the children's greetings to their parents and the important customers' birthday calls.
Idempotent: a second run of the same day creates nothing (one greeting per person and year, one
birthday call per customer and year, one SMS per key). A day the job missed is not caught up (the
catch-up's past days make nothing): a greeting that says "today" belongs to its day."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services import birthdays_greet


@daily_job("birthdays.greet", label=_("Send the day's birthday greetings and queue the important customers' calls"),
           order=400)
def greet(*, on: date) -> dict[str, int]:
    if on < timezone.localdate():  # catching up a missed day: its greetings would say "today" a day late
        return {"created": 0, "sms": 0, "calls": 0, "skipped": 0}
    counts = birthdays_greet(on=on)
    return {"created": counts["created"], "sms": counts["sms"], "calls": counts["calls"], "skipped": counts["refused"]}
