"""How retention's timeline entries read (kind "reminder"; a variant each).

Registered with the archive's timeline in RetentionConfig.ready(). Entries store codes (the
reminder's kind, the reason) and dates; they are worded here in the reader's language. A call
or SMS reminder has no entry of its own: the call is the callback centre's entry when it is made, the
text the SMS platform's when it is sent; a sold car's end of ownership is the archive's
("ownership/ended")."""

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _values(params: dict) -> dict:
    from .models import LapseReason, ReminderKind  # the models import the archive, which imports this

    kind, reason, due_on = params.get("reminder_kind"), params.get("reason"), params.get("due_on")
    return {
        "reminder_kind": str(ReminderKind(kind).label) if kind in ReminderKind.values else "—",
        "reason": str(LapseReason.Reason(reason).label) if reason in LapseReason.Reason.values else "—",
        "due_on": date_format(date.fromisoformat(due_on), "SHORT_DATE_FORMAT") if due_on else "—",
        "note": params.get("note") or "",
    }


MESSAGES: dict[str, Message] = {
    "reminder/letter": Message(title=_("%(reminder_kind)s letter printed"), body=_("Due on %(due_on)s"),
                               values=_values),
    "reminder/reason": Message(title=_("Why the customer stays away: %(reason)s"), body="%(note)s", values=_values),
}
