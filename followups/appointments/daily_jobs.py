"""The appointments' daily jobs (dealer_crm.jobs.registry), after retention's (300–320): the slots
of the days ahead, the repair orders that show who came, the no-shows and their follow-up calls,
the day-before texts. Each is idempotent: a second run for the same day makes, links, calls and
texts nothing more (unique slots, conditional updates, one call per appointment, the SMS keys)."""

from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services import (LINK_DAYS_BACK, appointment_reminders_send, appointments_link_visits, appointments_no_show,
                       slots_ensure)


@daily_job("appointments.slots", label=_("Make the appointment slots of the days ahead"), order=330)
def make_slots(*, on: date) -> dict[str, int]:
    return {"created": slots_ensure(start=on, days=settings.APPOINTMENT_DAYS_AHEAD + 1)}


@daily_job("appointments.visits", label=_("Link the appointments to their repair orders"), order=340)
def link_visits(*, on: date) -> dict[str, int]:
    # The DMS export of a day is often imported the next morning or later: the last days' orders too.
    return {"linked": sum(appointments_link_visits(on=on - timedelta(days=back)) for back in range(LINK_DAYS_BACK + 1))}


@daily_job("appointments.no_shows", label=_("Record the no-shows and queue their follow-up calls"), order=350)
def no_shows(*, on: date) -> dict[str, int]:
    return appointments_no_show(on=on)


@daily_job("appointments.reminders", label=_("Send tomorrow's appointment reminders"), order=360)
def reminders(*, on: date) -> dict[str, int]:
    return {"created": appointment_reminders_send(on=on)}
