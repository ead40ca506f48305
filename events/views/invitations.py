"""The invitation list of an event: every guest with the channel they were invited by, their answer
and party size, whether the SMS went out or the call was made, and whether they came; filtered by
answer, channel and check-in; an answer recorded on a row (what the customer said on the phone)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.messaging.audience import Exclusion

from .. import selectors, services
from ..forms import NO, YES, AnswerForm, InvitationFilterForm
from ..models import Event, Invitation
from .common import add_errors, ANSWER, get_event_for_user, get_invitation_for_user, rights

PAGE_SIZE = 50


def _list(request: HttpRequest, event: Event, *, query, bound: tuple[int, AnswerForm] | None = None,
          status: int = 200) -> HttpResponse:
    form = InvitationFilterForm(query or None)
    filters = form.filters()
    rows = event.invitations.select_related("customer", "lead", "message", "callback").order_by("id")
    if filters.get("rsvp"):
        rows = rows.filter(rsvp=filters["rsvp"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    if filters.get("checked_in") == YES:
        rows = rows.filter(checked_in_at__isnull=False)
    elif filters.get("checked_in") == NO:
        rows = rows.filter(checked_in_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(query.get("page"))
    bound_pk, bound_form = bound or (None, None)
    reasons = dict(Exclusion.choices)
    for invitation in page.object_list:
        invitation.sms_refused_label = reasons.get(invitation.sms_refused, invitation.sms_refused)
        invitation.answer_form = bound_form if invitation.pk == bound_pk else AnswerForm(
            prefix=f"i{invitation.pk}", initial={"rsvp": invitation.rsvp, "party_size": invitation.party_size,
                                                 "note": invitation.note})
    kept = query.copy()
    kept.pop("page", None)
    return render(request, "events/invitation_list.html", {
        "event": event, "form": form, "page": page, "query": kept.urlencode(), "counts": selectors.event_counts(event=event),
        "filtered": bool(filters), "kept": kept.urlencode(), **rights(request.user)}, status=status)


@require_GET
def invitation_list(request: HttpRequest, pk: int) -> HttpResponse:
    return _list(request, get_event_for_user(request.user, pk), query=request.GET)


@require_POST
def invitation_answer(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    invitation = get_invitation_for_user(request.user, event, invitation_pk, perm=ANSWER)
    form = AnswerForm(request.POST, prefix=f"i{invitation.pk}")
    back = request.POST.get("back", "")
    query = _query_of(back)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.invitation_answer(invitation=invitation, rsvp=data["rsvp"], party_size=data["party_size"],
                                       by=request.user, note=data["note"])
        except services.EventError as error:
            add_errors(form, error)
        else:
            name = invitation.customer.name if invitation.customer else str(invitation.lead)
            messages.success(request, _("%(name)s: %(answer)s, %(n)s people.") % {
                "name": name, "answer": Invitation.Rsvp(data["rsvp"]).label, "n": data["party_size"]})
            url = redirect("events:invitation_list", pk=event.pk).url
            return redirect(f"{url}?{query.urlencode()}#invitation-{invitation.pk}" if query else
                            f"{url}#invitation-{invitation.pk}")
    return _list(request, event, query=query, bound=(invitation.pk, form), status=400)


def _query_of(back: str):
    from django.http import QueryDict

    allowed = {"rsvp", "channel", "checked_in", "page"}
    parsed = QueryDict(back[:500], mutable=True)
    for name in list(parsed):
        if name not in allowed:
            del parsed[name]
    return parsed


urlpatterns = [
    path("<int:pk>/invitations/", invitation_list, name="invitation_list"),
    path("<int:pk>/invitations/<int:invitation_pk>/answer/", invitation_answer, name="invitation_answer"),
]
