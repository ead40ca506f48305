"""How the gifts' timeline entries read (kind "gift"; a variant per step of the request).

Registered with the archive's timeline in GiftsConfig.ready(). Entries store the request's number, the
gift's name, the quantity, the reason's code, the cost, the child's name, the decider's name, the
courier and the tracking number, and the words people wrote; the message is worded here in the
reader's language."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from customers.amounts import format_yuan
from customers.timeline import Message


def _reason(code: str) -> str:
    from .models import GiftRequest  # the models import the archive, which imports this module

    return str(GiftRequest.Reason(code).label) if code in GiftRequest.Reason.values else "—"


def _total(raw) -> str:
    try:
        return format_yuan(Decimal(raw))
    except (InvalidOperation, TypeError, ValueError):
        return "—"


def _values(params: dict) -> dict:
    quantity = int(params.get("quantity") or 1)
    gift = params.get("gift") or "—"
    return {
        "number": f"LP{int(params.get('request') or 0):06d}",
        "gift": gift if quantity == 1 else f"{gift} × {quantity}",
        "reason": _reason(params.get("reason") or ""),
        "total": _total(params.get("total")),
        "child": f" · {params['child']}" if params.get("child") else "",
        "decider": params.get("decider") or "—",
        "courier": params.get("courier") or "—",
        "tracking": params.get("tracking") or "—",
        "comment": params.get("comment") or "",
        "note": params.get("note") or "",
    }


def _message(title, body: str = "%(note)s") -> Message:
    return Message(title=title, body=body, values=_values)


MESSAGES: dict[str, Message] = {
    "gift/requested": _message(_("Gift %(number)s requested: %(gift)s for %(reason)s%(child)s, %(total)s")),
    "gift/approved": _message(_("Gift %(number)s approved by %(decider)s: %(gift)s, %(total)s"), body="%(comment)s"),
    "gift/rejected": _message(_("Gift %(number)s rejected by %(decider)s: %(gift)s"), body="%(comment)s"),
    "gift/sent": _message(_("Gift %(number)s posted: %(gift)s by %(courier)s, number %(tracking)s"), body=""),
    "gift/handed_over": _message(_("Gift %(number)s handed over in the store: %(gift)s"), body=""),
    "gift/cancelled": _message(_("Gift %(number)s cancelled: %(gift)s")),
}
