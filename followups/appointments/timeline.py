"""How the appointments' timeline entries read (kind "appointment"; a variant per step).

Registered with the archive's timeline in AppointmentsConfig.ready(). Entries store the time as an
ISO moment, the resource's name, the source's code and the jobs as written; the time and the codes
are worded here in the reader's language and time zone."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _moment(value: str | None) -> str:
    return date_format(timezone.localtime(datetime.fromisoformat(value)), "SHORT_DATETIME_FORMAT") if value else "—"


def _values(params: dict) -> dict:
    from .models import Appointment  # the models import the archive, which imports this

    source = params.get("source")
    return {
        "at": _moment(params.get("at")),
        "previous": _moment(params.get("previous")),
        "resource": params.get("resource") or "—",
        "source": str(Appointment.Source(source).label) if source in Appointment.Source.values else "—",
        "jobs": pgettext("list separator", ", ").join(params.get("jobs") or []),
        "reason": params.get("reason") or "",
    }


MESSAGES: dict[str, Message] = {
    "appointment/booked": Message(title=_("Appointment booked for %(at)s with %(resource)s (%(source)s)"),
                                  body="%(jobs)s", values=_values),
    "appointment/rescheduled": Message(title=_("Appointment moved from %(previous)s to %(at)s with %(resource)s"),
                                       body="%(reason)s", values=_values),
    "appointment/cancelled": Message(title=_("Appointment of %(at)s cancelled"), body="%(reason)s", values=_values),
    "appointment/arrived": Message(title=_("Arrived for the appointment of %(at)s"), values=_values),
    "appointment/no_show": Message(title=_("Did not come to the appointment of %(at)s"), values=_values),
}
