"""The check-in at the event's door, made for a tablet at the entrance: one search box (name, pinyin,
the mobile's last digits, a plate) and a large 签到 button per guest found; the counts follow each tap;
a second tap is told the guest is already in. Someone not invited is added on the spot: an archive
customer the search found, a new customer, or a prospect handed to sales as a lead.

With htmx the search and the taps swap only the live part of the page (the counts and the guests);
without it, the forms post and come back to the same search."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..forms import WalkInForm
from ..models import Event, Invitation
from .common import add_errors, DOOR, get_event_for_user, get_invitation_for_user

QUERY_MAX = 50


def _query(raw: str) -> str:
    return " ".join((raw or "").split())[:QUERY_MAX]


def _context(request: HttpRequest, event: Event, *, query: str, walk_in_form=None, notice=None,
             walk_in_sent: bool = False) -> dict:
    """The guests the search found (events.selectors.DoorHit: the customer and their invitation to this
    event, None for who was not invited), the counts, the walk-in form and what the last tap did."""
    hits = selectors.door_search(event=event, query=query, limit=20, user=request.user) if query else []
    # The customers' search runs a number's ending only for who may reveal numbers (customer_search_for).
    tail_withheld = query.isdigit() and 3 <= len(query) < 11 and not request.user.has_perm("customers.reveal_phone")
    return {"event": event, "query": query, "hits": hits, "counts": selectors.event_counts(event=event),
            "tail_withheld": tail_withheld,
            "walk_in_form": walk_in_form or WalkInForm(), "notice": notice, "walk_in_sent": walk_in_sent, "open": event.status != Event.Status.CANCELLED}


def _partial(request: HttpRequest) -> bool:
    """An htmx request for the live part (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _answer(request: HttpRequest, event: Event, *, query: str, notice: dict, walk_in_form=None,
            walk_in_sent: bool = False, status: int = 200) -> HttpResponse:
    """htmx: the live part with the notice in it (and the walk-in form again, out of band, after it was
    sent: emptied, or with its errors); otherwise the notice as a message and the search again."""
    if _partial(request):  # htmx swaps only a 2xx answer: a refusal is said in the notice
        return render(request, "events/partials/door_live.html",
                      _context(request, event, query=query, walk_in_form=walk_in_form, notice=notice,
                               walk_in_sent=walk_in_sent))
    if walk_in_form is not None and status >= 400:
        return render(request, "events/door.html",
                      _context(request, event, query=query, walk_in_form=walk_in_form, notice=notice), status=status)
    getattr(messages, notice["level"])(request, notice["text"])
    params = QueryDict(mutable=True)
    if query:
        params["q"] = query
    url = reverse("events:door", args=[event.pk])
    return redirect(f"{url}?{params.urlencode()}" if query else url)


@require_GET
def door(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=DOOR)
    query = _query(request.GET.get("q", ""))
    template = "events/partials/door_live.html" if _partial(request) else "events/door.html"
    return render(request, template, _context(request, event, query=query))


@require_POST
def door_check_in(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=DOOR)
    invitation = get_invitation_for_user(request.user, event, invitation_pk, perm=DOOR)
    query = _query(request.POST.get("q", ""))
    name = invitation.customer.name if invitation.customer else str(invitation.lead)
    if invitation.checked_in_at is not None:
        return _answer(request, event, query=query, notice=_already(invitation, name))
    try:
        services.invitation_check_in(invitation=invitation, by=request.user, guests=_guests(request.POST.get("guests")))
    except services.AlreadyCheckedIn:  # a second tap (or a colleague at the other door got there first)
        invitation.refresh_from_db(fields=["checked_in_at"])
        return _answer(request, event, query=query, notice=_already(invitation, name))
    except services.EventError as error:
        return _answer(request, event, query=query, notice={"level": "error", "text": " ".join(error.messages)})
    return _answer(request, event, query=query, notice={
        "level": "success", "text": _("%(name)s is checked in. Welcome!") % {"name": name}, "pk": invitation.pk})


def _guests(raw) -> int | str | None:
    """How many came through the door with the guest, as typed beside the button (empty: the party they
    announced; the service refuses what is not 1 to 20)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else (raw or None)


def _already(invitation: Invitation, name: str) -> dict:
    return {"level": "warning", "pk": invitation.pk,
            "text": _("%(name)s is already checked in (at %(time)s).") % {
                "name": name, "time": f"{timezone.localtime(invitation.checked_in_at):%H:%M}"}}


@require_POST
def door_walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=DOOR)
    query = _query(request.POST.get("q", ""))
    form = WalkInForm(request.POST)
    if not form.is_valid():
        return _answer(request, event, query=query, walk_in_form=form, walk_in_sent=True, status=400,
                       notice={"level": "error", "text": _("Check the walk-in's details below.")})
    data = form.cleaned_data
    customer = None
    if data["mode"] == WalkInForm.CUSTOMER:
        from customers.access import get_customer_for_user

        customer = get_customer_for_user(request.user, data["customer"])
    if data["mode"] == WalkInForm.NEW and data.get("mobile"):
        from django.conf import settings

        from customers.forms import TOO_MANY_NUMBER_CHECKS
        from customers.phone_privacy import whole_number_check_allowed

        if not whole_number_check_allowed(user=request.user, number=data["mobile"], via="door_walk_in"):
            form.add_error("mobile", TOO_MANY_NUMBER_CHECKS % {"limit": settings.PHONE_SEARCHES_PER_HOUR})
            return _answer(request, event, query=query, walk_in_form=form, walk_in_sent=True, status=400,
                           notice={"level": "error", "text": " ".join(form.errors["mobile"])})
    try:
        invitation = services.walk_in_check_in(
            event=event, by=request.user, customer=customer, name=data.get("name", ""), mobile=data.get("mobile", ""),
            as_lead=data["mode"] == WalkInForm.LEAD, note=data.get("note", ""))
    except services.EventError as error:
        add_errors(form, error)
        return _answer(request, event, query=query, walk_in_form=form, walk_in_sent=True, status=400,
                       notice={"level": "error", "text": " ".join(error.messages)})
    name = invitation.customer.name if invitation.customer else (data.get("name") or str(invitation.lead))
    if data["mode"] == WalkInForm.LEAD:
        text = _("%(name)s is checked in and handed to sales as a lead.") % {"name": name}
    else:
        text = _("%(name)s is checked in as a walk-in. Welcome!") % {"name": name}
    return _answer(request, event, query=query, walk_in_sent=True,
                   notice={"level": "success", "text": text, "pk": invitation.pk})


urlpatterns = [
    path("<int:pk>/door/", door, name="door"),
    path("<int:pk>/door/<int:invitation_pk>/check-in/", door_check_in, name="door_check_in"),
    path("<int:pk>/door/walk-in/", door_walk_in, name="door_walk_in"),
]
