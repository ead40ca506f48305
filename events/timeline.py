"""How the events' timeline entries read (kind "event"; a variant each). Registered with the archive's
timeline in EventsConfig.ready().

Entries store the event's id, title and start, the answer's code and numbers; they are worded here
in the reader's language:
- "event/invited": the invitation went out (by SMS: the platform's own "SMS sent" entry follows when
  the gateway takes it; by call: the call is queued, the callback centre records the call itself);
- "event/answered": coming / not coming / maybe, with the party size;
- "event/checked_in": came through the door, with how many;
- "event/walk_in": came without an invitation and was checked in at the door.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _values(params: dict) -> dict:
    from .models import Invitation  # the models import the archive, which imports this

    starts = params.get("starts_at")
    when = date_format(timezone.localtime(datetime.fromisoformat(starts)), "SHORT_DATETIME_FORMAT") if starts else "—"
    rsvp, channel = params.get("rsvp"), params.get("channel")
    return {
        "title": params.get("title") or "—",
        "when": when,
        "rsvp": str(Invitation.Rsvp(rsvp).label) if rsvp in Invitation.Rsvp.values else "—",
        "channel": str(Invitation.Channel(channel).label) if channel in Invitation.Channel.values else "—",
        "party_size": params.get("party_size") or 1,
        "guests": params.get("guests") or 1,
        "note": params.get("note") or "",
    }


MESSAGES: dict[str, Message] = {
    "event/invited": Message(title=_("Invited to the event “%(title)s” (%(channel)s)"), body=_("On %(when)s"),
                             values=_values),
    "event/answered": Message(title=_("Event “%(title)s”: %(rsvp)s, %(party_size)s people"), body="%(note)s",
                              values=_values),
    "event/checked_in": Message(title=_("Came to the event “%(title)s” with %(guests)s people"),
                                body=_("On %(when)s"), values=_values),
    "event/walk_in": Message(title=_("Walked in at the event “%(title)s” with %(guests)s people"),
                             body=_("On %(when)s"), values=_values),
}
