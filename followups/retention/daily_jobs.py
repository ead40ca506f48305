"""Retention's daily jobs (dealer_crm.jobs.registry), after the callback centre's (200, 210): the
due state and what yesterday's repair orders answered first (300), then the day's solicitations and
reminders (310), then the lapses and their win-back calls (320). Each is idempotent: a second run
of the same day creates nothing (the database's one-per-cycle and one-per-band constraints).
Catching up a missed day, run_daily_jobs calls the builds with that day's date."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services import lapses_build, reminders_build, service_due_refresh


@daily_job("retention.refresh", label=_("Refresh the vehicles' maintenance due dates and conversions"), order=300)
def refresh_due(*, on: date) -> dict[str, int]:
    # What the archive gained since the last run, whatever day is being run: it reads ids, not dates.
    counts = service_due_refresh()
    return {"updated": counts["refreshed"], "found": counts["converted"] + counts["returned"]}


@daily_job("retention.reminders", label=_("Make the day's solicitations and maintenance reminders"), order=310)
def build_reminders(*, on: date) -> dict[str, int]:
    counts = reminders_build(on=on)
    return {"created": counts["created"], "skipped": counts["skipped"]}


@daily_job("retention.lapses", label=_("Record the day's lapsed customers and their win-back calls"), order=320)
def build_lapses(*, on: date) -> dict[str, int]:
    counts = lapses_build(on=on)
    return {"created": counts["created"], "skipped": counts["skipped"]}
