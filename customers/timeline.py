"""How a timeline entry reads: its kind names the message, its parameters fill it in.

An entry is stored as a kind plus parameters — codes, numbers and names, never display text — and
is formatted when the page is shown, in the reader's language: an entry recorded while the page
was in Chinese reads in English for an English reader, and the other way round. A feature that
adds entries (`services.timeline_add`) adds its messages to `MESSAGES` here; the customer page does
not change.

A message is looked up by the entry's kind, or by kind and variant ("ownership/ended") when one
kind reads in more than one way. Entries stored before parameters existed (`params` empty), or of
a kind with no message here, show the title and detail stored with them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from .amounts import format_yuan


class EntryText(NamedTuple):
    title: str
    body: str


@dataclass(frozen=True)
class Message:
    """Title and detail as translatable templates with named placeholders, and `values`, which turns
    the stored parameters into the placeholders' text for the active language."""

    title: str
    body: str = ""
    values: Callable[[dict], dict] = dict


def service_visit_params(*, kind: str, ro_number: str, mileage: int | None, total_amount, advisor: str) -> dict:
    """A service visit's parameters, the same from the form, the import and the demo store. The
    amount is kept as text, exact as the visit has it."""
    return {"visit_kind": kind, "ro": ro_number, "km": mileage,
            "total": None if total_amount is None else str(total_amount), "advisor": advisor}


def _visit_values(params: dict) -> dict:
    from .models import ServiceVisit  # the models import this module

    total = params.get("total")
    return {
        "visit_kind": ServiceVisit.Kind(params["visit_kind"]).label,
        "ro": params["ro"],
        "km": params.get("km") or "—",
        "total": format_yuan(Decimal(total) if total not in (None, "") else None),
        "advisor": params.get("advisor") or "—",
    }


def _sms_values(params: dict) -> dict:
    from dealer_crm.messaging.models import Purpose

    return {"purpose": Purpose(params["purpose"]).label, "template": params.get("template") or "—"}


def _preference_values(params: dict) -> dict:
    from .models import ContactPreference

    return {"channel": ContactPreference.Channel(params["channel"]).label,
            "purpose": ContactPreference.Purpose(params["purpose"]).label}


MESSAGES: dict[str, Message] = {
    "visit": Message(
        title="%(visit_kind)s · %(ro)s",  # the same in every language: its parts are translated
        body=_("Mileage %(km)s km, total %(total)s, advisor %(advisor)s"),
        values=_visit_values,
    ),
    "ownership": Message(title=_("Became the owner of %(vehicle)s")),
    "ownership/ended": Message(title=_("Is no longer the owner of %(vehicle)s")),
    "merge": Message(title=_("Merged with duplicate record #%(id)s (%(name)s)")),
    "sms/sent": Message(title=_("SMS sent · %(purpose)s"), body="%(text)s", values=_sms_values),
    "sms/opt_out": Message(title=_("Opted out of marketing SMS by replying “%(text)s”")),
    "note/opt_in": Message(title=_("Agrees again to %(channel)s · %(purpose)s"), body="%(reason)s",
                           values=_preference_values),
}


def messages_register(messages: dict[str, Message]) -> None:
    """Add the messages of a feature that sits above the archive (the callback centre, complaints),
    called from its AppConfig.ready(): the archive does not import the features that use it."""
    clashes = set(messages) & set(MESSAGES)
    if clashes:
        raise ValueError(f"Timeline messages registered twice: {sorted(clashes)}")
    MESSAGES.update(messages)


def entry_text(*, kind: str, params: dict, title: str, body: str) -> EntryText:
    """The entry's title and detail in the active language (its stored text when it has no parameters)."""
    if not params:
        return EntryText(title, body)
    key = f"{kind}/{params['variant']}" if params.get("variant") else kind
    message = MESSAGES.get(key)
    if message is None:
        return EntryText(title, body)
    values = {**params, **message.values(params)}
    return EntryText(str(message.title) % values, str(message.body) % values if message.body else "")
