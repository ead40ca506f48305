"""Reads of the events: each page's figures in a fixed number of queries.

- `event_counts`: the invitations' answers and the door in one aggregate query;
- `event_costs`: the budget against the checklist's costs and the event's gifts (two queries);
- `events_upcoming`: the next events with their counts (one query);
- `door_search`: the archive's search (name, pinyin, phone, plate) with each hit's invitation to
  this event (the search's queries and one more);
- `event_invitations`: the guest list, with the customer, lead, message and call.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer

from .models import ChecklistItem, Event, Invitation

Rsvp, Channel = Invitation.Rsvp, Invitation.Channel
ZERO = Decimal("0.00")


def _counts() -> dict:
    invited = ~Q(invitations__channel=Channel.WALK_IN) & Q(invitations__isnull=False)
    walk_in = Q(invitations__channel=Channel.WALK_IN)
    checked = Q(invitations__checked_in_at__isnull=False)
    return {
        "invited": Count("invitations", filter=invited),
        "yes": Count("invitations", filter=invited & Q(invitations__rsvp=Rsvp.YES)),
        "no": Count("invitations", filter=invited & Q(invitations__rsvp=Rsvp.NO)),
        "maybe": Count("invitations", filter=invited & Q(invitations__rsvp=Rsvp.MAYBE)),
        "pending": Count("invitations", filter=invited & Q(invitations__rsvp=Rsvp.PENDING)),
        "expected_guests": Coalesce(Sum("invitations__party_size", filter=invited & Q(invitations__rsvp=Rsvp.YES)), 0),
        "checked_in": Count("invitations", filter=checked),
        "guests_arrived": Coalesce(Sum("invitations__guests_arrived", filter=checked), 0),
        "walk_ins": Count("invitations", filter=walk_in),
        "prospects": Count("invitations", filter=Q(invitations__lead__isnull=False)),
        "texted": Count("invitations", filter=Q(invitations__message__isnull=False)),
        "called": Count("invitations", filter=Q(invitations__callback__isnull=False)),
    }


COUNT_KEYS = ("invited", "yes", "no", "maybe", "pending", "expected_guests", "checked_in", "guests_arrived",
              "walk_ins", "prospects", "texted", "called")


def event_counts(*, event: Event) -> dict:
    """invited (walk-ins aside), yes, no, maybe, pending, expected_guests (the party sizes of the
    yeses), checked_in (walk-ins included), guests_arrived, walk_ins, prospects (walk-ins handed
    to sales as leads), texted, called: one query."""
    return Event.objects.filter(pk=event.pk).aggregate(**_counts())


def event_costs(*, event: Event) -> dict:
    """budget; checklist (the tasks' costs); gifts (the event's approved and sent gift requests);
    total; remaining (budget − total, negative when over)."""
    from events.gifts.models import GiftRequest

    checklist = ChecklistItem.objects.filter(event=event).aggregate(n=Sum("cost"))["n"] or ZERO
    gifts = GiftRequest.objects.filter(event=event, status__in=[GiftRequest.Status.APPROVED, GiftRequest.Status.SENT]
                                       ).aggregate(n=Sum(ExpressionWrapper(
                                           F("unit_cost") * F("quantity"),
                                           output_field=DecimalField(max_digits=12, decimal_places=2))))["n"] or ZERO
    total = checklist + gifts
    return {"budget": event.budget, "checklist": checklist, "gifts": gifts, "total": total,
            "remaining": event.budget - total, "over": total > event.budget}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def events_upcoming(*, today: date, limit: int = 5) -> list[Event]:
    """The events still to come (planning or inviting, from today on), soonest first, each with its
    counts as attributes (`event.counts`): one query."""
    events = list(Event.objects.filter(status__in=[Event.Status.PLANNING, Event.Status.INVITING],
                                       starts_at__gte=_day_start(today))
                  .select_related("organiser").annotate(**{f"n_{key}": value for key, value in _counts().items()})
                  .order_by("starts_at", "id")[:limit])
    for event in events:
        event.counts = {key: getattr(event, f"n_{key}") for key in COUNT_KEYS}
    return events


def event_invitations(*, event: Event, rsvp: str = "", checked_in: bool | None = None) -> QuerySet[Invitation]:
    """The guest list (for a page: paginate it), walk-ins last, each with its customer, lead,
    message and call."""
    invitations = (event.invitations.select_related("customer", "lead", "message", "callback", "checked_in_by")
                   .order_by(F("checked_in_at").asc(nulls_first=True), "id"))
    if rsvp:
        invitations = invitations.filter(rsvp=rsvp).exclude(channel=Channel.WALK_IN)
    if checked_in is not None:
        invitations = invitations.filter(checked_in_at__isnull=not checked_in)
    return invitations


def event_checklist(*, event: Event) -> list[ChecklistItem]:
    """The preparation tasks, by due date, with their owners."""
    return list(event.checklist.select_related("owner", "done_by").order_by(F("due_on").asc(nulls_last=True), "id"))


@dataclass
class DoorHit:
    customer: Customer | None
    invitation: Invitation | None
    matched: str = ""  # the search's match (name, pinyin, phone_tail, plate…)
    vehicles: list = None

    @property
    def checked_in(self) -> bool:
        return self.invitation is not None and self.invitation.checked_in_at is not None

    @property
    def invited(self) -> bool:
        return self.invitation is not None and self.invitation.channel != Channel.WALK_IN


def door_search(*, event: Event, query: str, limit: int = 20, user=None) -> list[DoorHit]:
    """Who is at the door: the archive's search for the query (name, pinyin, mobile or its ending,
    plate), the invited guests first, each with their invitation to this event (None: not invited,
    a walk-in to add). With `user`, the search is that user's (`customer_search_for`: a mobile's
    ending only for who may reveal numbers, audited)."""
    from customers.search import customer_search, customer_search_for

    query = (query or "").strip()
    if not query:
        return []
    if user is not None:
        hits = customer_search_for(user=user, query=query).hits
    else:
        hits = customer_search(query=query, limit=limit)
    hits = hits[:limit]
    invitations = {invitation.customer_id: invitation for invitation in Invitation.objects.filter(
        event=event, customer_id__in=[hit.customer.pk for hit in hits]).select_related("checked_in_by")}
    found = [DoorHit(customer=hit.customer, invitation=invitations.get(hit.customer.pk), matched=hit.matched,
                     vehicles=hit.vehicles) for hit in hits]
    found.sort(key=lambda hit: (not hit.invited, hit.checked_in))
    return found


def invitation_of_callback(*, callback) -> Invitation | None:
    """The invitation an INVITATION call is about (one query)."""
    return (Invitation.objects.filter(callback_id=callback.pk).select_related("event").first()
            or Invitation.objects.filter(customer_id=callback.customer_id,
                                         event_id=_event_id(callback.source_key)).select_related("event").first())


def _event_id(source_key: str) -> int | None:
    head, _sep, tail = (source_key or "").partition(":")
    return int(tail) if head == "event" and tail.isdigit() else None


def events_of_customer(*, customer: Customer, limit: int = 10) -> list[Invitation]:
    """The customer's invitations, newest event first (the customer page, the workbench)."""
    return list(Invitation.objects.filter(customer=customer).select_related("event")
                .order_by("-event__starts_at", "-id")[:limit])


__all__ = ["DoorHit", "door_search", "event_checklist", "event_costs", "event_counts",
           "event_invitations", "events_of_customer", "events_upcoming", "invitation_of_callback"]
