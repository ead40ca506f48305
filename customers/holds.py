"""Holds on marketing: customers who get no marketing SMS for now, and why.

A feature above the archive whose records put a customer's marketing on hold (an open complaint, in
followups.complaints) registers a hold from its AppConfig.ready(), as the timeline's messages are
registered: the archive imports nothing of it. Everything that may send a customer something
cheerful asks here, so that nobody texts a promotion to an angry customer:

- the SMS platform, through `CustomerAudience.refusals` for the marketing purpose, when a send is
  screened and again just before dispatch (the hold's reason is an `Exclusion` code);
- the customer page (the red block of the open cases at the top, `customers.selectors.customer_holds`);
- the callback queue and workbench (the hold's badge next to the customer);
- the maintenance reminders, when they come, must ask the same (`marketing_held`).

Service and care messages are never held: an appointment confirmation still goes.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise


@dataclass(frozen=True)
class HeldCase:
    """One open record that holds a customer's marketing, as the customer page lists it: its number,
    what it is about, how serious, where it stands and its running deadline (None: none runs)."""

    number: str
    category: str
    severity: str
    state: str
    due_at: datetime | None
    paused: bool = False
    url: str = ""  # empty when the reader may not open the record


@dataclass(frozen=True)
class Hold:
    name: str
    reason: str  # why a send leaves the customer out: a dealer_crm.messaging.audience.Exclusion code
    badge: str | Promise  # the word a list shows next to a held customer (投诉中)
    title: str | Promise  # the customer page's block
    # (customer ids, or None for everyone) -> the ids held: one indexed query
    held: Callable[[list[int] | None], set[int]]
    # (customer id, the reader) -> the open records that hold them, for the customer page: one query
    cases: Callable[[int, object], list[HeldCase]] | None = None
    # who may read what the records are about (the page tells the others only that marketing is held)
    view_perm: str = ""


HOLDS: dict[str, Hold] = {}


def hold_register(name: str, held: Callable[[list[int] | None], set[int]], *, reason: str, badge, title,
                  cases: Callable[[int, object], list[HeldCase]] | None = None, view_perm: str = "") -> Hold:
    """Register a hold (from the AppConfig.ready() of the feature that owns it); a name registered
    twice is refused, as a timeline kind is."""
    if name in HOLDS:
        raise ValueError(f"Marketing hold registered twice: {name}")
    hold = Hold(name=name, reason=reason, badge=badge, title=title, held=held, cases=cases, view_perm=view_perm)
    HOLDS[name] = hold
    return hold


def marketing_held(customer_ids: Iterable[int] | None = None) -> dict[int, str]:
    """customer id → the reason (an Exclusion code) of those whose marketing is held; everyone held
    when no ids are given. One query per registered hold; the first hold registered names the reason."""
    ids = None if customer_ids is None else list(customer_ids)
    if ids is not None and not ids:
        return {}
    reasons: dict[int, str] = {}
    for hold in HOLDS.values():
        for customer_id in hold.held(ids):
            reasons.setdefault(customer_id, hold.reason)
    return reasons


def holds_of(customer_ids: Iterable[int]) -> dict[int, list[Hold]]:
    """customer id → the holds on them, for these customers only (a page of a list): one query per
    registered hold, whatever the number of customers."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, list[Hold]] = {}
    if not ids:
        return found
    for hold in HOLDS.values():
        for customer_id in hold.held(ids):
            found.setdefault(customer_id, []).append(hold)
    return found
