"""The invitation call's panel on the callback workbench (followups/callbacks/extras.py), registered
from EventsConfig.ready(): on an event invitation call (CallbackKind.INVITATION), the event the
store invites to (what, when, where, for how many, how many places are left), the answer recorded
so far, and — for the agent who holds the call — the form that records the answer with the party
size (`services.invitation_answer`: a yes beyond the places is refused and the form keeps what was
typed). Two queries: the invitation with its event, the places taken."""

from datetime import datetime

from django.db.models import Sum
from django.utils.translation import gettext as _

from followups.callbacks.extras import ExtraRefused, workbench_extra_register
from followups.callbacks.models import CallbackKind

from .models import Event, Invitation

ANSWERS = [Invitation.Rsvp.YES, Invitation.Rsvp.MAYBE, Invitation.Rsvp.NO]


def invitation_context(*, bench, user, may_record: bool, now: datetime, kept: dict | None) -> dict | None:
    from .selectors import invitation_of_callback

    invitation = invitation_of_callback(callback=bench.callback)
    if invitation is None:
        return None
    event = invitation.event
    left = None
    if event.capacity is not None:
        taken = (event.invitations.filter(rsvp=Invitation.Rsvp.YES).exclude(pk=invitation.pk)
                 .aggregate(n=Sum("party_size"))["n"] or 0)
        left = max(event.capacity - taken, 0)
    is_open = event.status in (Event.Status.PLANNING, Event.Status.INVITING) and event.starts_at > now
    return {"invitation": invitation, "event": event, "places_left": left, "is_open": is_open,
            "may_answer": may_record and is_open, "answers": [(value, Invitation.Rsvp(value).label) for value in ANSWERS],
            "kept": kept or {}}


def answer_record(*, callback, user, data, now: datetime) -> str:
    """Record the customer's answer given on the call: coming (with how many), maybe, not coming."""
    from .selectors import invitation_of_callback
    from .services import EventError, invitation_answer

    rsvp = data.get("rsvp", "")
    party = (data.get("party_size") or "1").strip()
    note = (data.get("note") or "").strip()[:200]
    kept = {"rsvp": rsvp, "party_size": party, "note": note}
    invitation = invitation_of_callback(callback=callback)
    if invitation is None:
        raise ExtraRefused(_("This call invites to no event any more."), kept=kept)
    try:
        invitation = invitation_answer(invitation=invitation, rsvp=rsvp, party_size=party if party else 1, by=user,
                                       note=note, now=now)
    except EventError as error:
        raise ExtraRefused("；".join(str(message) for message in error.messages), kept=kept) from error
    if invitation.rsvp == Invitation.Rsvp.YES:
        return _("Recorded: coming, %(n)s people.") % {"n": invitation.party_size}
    return _("Recorded: %(answer)s.") % {"answer": invitation.get_rsvp_display()}


def register() -> None:
    workbench_extra_register("event-invitation", kinds=(CallbackKind.INVITATION,),
                             template="events/partials/workbench_invitation.html", context=invitation_context,
                             actions={"answer": answer_record}, order=10)
