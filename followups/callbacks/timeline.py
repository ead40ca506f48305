"""How the callback centre's timeline entries read (kind "callback"; variants per outcome).

Registered with the archive's timeline in CallbacksConfig.ready()."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _building_values(params: dict) -> dict:
    """The queue builds' entries (services.building): the callback's kind, the SMS route's text
    and the time a customer asked to be called back at, in the reader's language and time zone."""
    from .models import CallbackKind  # the models import the archive, which imports this

    kind = params.get("callback_kind")
    at = params.get("at")
    return {
        "callback_kind": str(CallbackKind(kind).label) if kind in CallbackKind.values else "—",
        "template": params.get("template") or "—",
        "note": params.get("note") or "",
        "at": date_format(timezone.localtime(datetime.fromisoformat(at)), "SHORT_DATETIME_FORMAT") if at else "—",
    }


MESSAGES: dict[str, Message] = {
    "callback/sms_route": Message(title=_("%(callback_kind)s: takes no calls, sent an SMS instead"),
                                  body=_("Text: %(template)s"), values=_building_values),
    "callback/requested": Message(title=_("Asked to be called back at %(at)s"), body="%(note)s",
                                  values=_building_values),
}

# The supervisor's 再试一次 on a lost contact (services.supervision.callback_retry_lost).
MESSAGES["callback/retry_lost"] = Message(
    title=_("%(callback_kind)s: lost contact, queued again for %(at)s by the supervisor"), values=_building_values)


def _call_values(params: dict) -> dict:
    """The agent's calls (services.calls): the outcome, when the customer comes back in the queue,
    the average score and whether the customer was dissatisfied, in the reader's language."""
    from .models import Outcome

    outcome = params.get("outcome")
    at_next = params.get("at_next")
    average = params.get("average")
    return {
        **_building_values(params),
        "outcome": str(Outcome(outcome).label) if outcome in Outcome.values else "—",
        "attempts": params.get("attempts") or 0,
        "at_next": date_format(timezone.localtime(datetime.fromisoformat(at_next)), "SHORT_DATETIME_FORMAT")
        if at_next else "—",
        "average": average if average not in (None, "") else "—",
        "satisfaction": str(_("dissatisfied") if params.get("dissatisfied") else _("satisfied")),
        "reason": params.get("reason") or "",
        "note": params.get("note") or "",
    }


# The agent's calls (services.calls.callback_attempt_record, callback_complete, response_correct).
MESSAGES.update({
    "callback/attempt": Message(title=_("%(callback_kind)s call %(attempts)s: %(outcome)s, next call %(at_next)s"),
                                body="%(note)s", values=_call_values),
    "callback/completed": Message(title=_("%(callback_kind)s completed · average score %(average)s, %(satisfaction)s"),
                                  values=_call_values),
    "callback/corrected": Message(title=_("%(callback_kind)s answers corrected · average score %(average)s, "
                                          "%(satisfaction)s"), body="%(reason)s", values=_call_values),
    "callback/lost_contact": Message(
        title=_("%(callback_kind)s: not reached after %(attempts)s calls, lost contact"), values=_call_values),
})
