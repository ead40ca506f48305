"""How the sales leads' timeline entries read (kind "lead"; a variant per step).

Registered with the archive's timeline in LeadsConfig.ready(). Entries store the lead's number, the
prospect's name, the model they want, the consultant's name, dates and the words people wrote; the
message is worded here in the reader's language. The prospect's entries tell their lead's steps; the
referrer's tell that they referred someone, and that the person they referred bought."""

from django.utils.translation import gettext_lazy as _

from customers.timeline import Message


def _values(params: dict) -> dict:
    return {
        "number": f"XS{int(params.get('lead') or 0):06d}",
        "name": params.get("name") or "—",
        "model": params.get("model") or _("a car"),
        "consultant": params.get("consultant") or "—",
        "next": params.get("next") or "—",
        "note": params.get("note") or "",
    }


def _message(title, body: str = "%(note)s") -> Message:
    return Message(title=title, body=body, values=_values)


MESSAGES: dict[str, Message] = {
    "lead/created": _message(_("Sales lead %(number)s: interested in %(model)s, handed over to sales"), body=""),
    "lead/linked": _message(_("Sales lead %(number)s (%(name)s) linked to this customer"), body=""),
    "lead/referred": _message(_("Referred %(name)s to sales (lead %(number)s, interested in %(model)s)"), body=""),
    "lead/assigned": _message(_("Sales lead %(number)s given to %(consultant)s, first contact by %(next)s"), body=""),
    "lead/contacted": _message(_("Sales lead %(number)s: contacted by sales, next contact %(next)s")),
    "lead/won": _message(_("Sales lead %(number)s: bought")),
    "lead/lost": _message(_("Sales lead %(number)s lost")),
    "lead/reopened": _message(_("Sales lead %(number)s reopened")),
    "lead/referral_won": _message(_("%(name)s, whom this customer referred, bought (lead %(number)s)"), body=""),
}
