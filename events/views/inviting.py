"""The target group and the invitations: the group built from the archive's filters (its size shown as
the filters change, through htmx, before anything is sent), saved on the event; then the invitation
list made from it, and the invitations sent by SMS with a marketing template (who would be refused
and why is shown before the send is confirmed) or handed to the callback centre as invitation calls."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.messaging.audience import audience as messaging_audience
from dealer_crm.messaging.models import Purpose
from dealer_crm.messaging.services import recipients_screen

from .. import audience, services
from ..forms import AudienceForm, InviteSmsForm
from ..models import Event, Invitation
from .common import add_errors, INVITE, get_event_for_user, id_or_none, is_open, rights


def _closed(request: HttpRequest, event: Event) -> HttpResponse | None:
    if is_open(event):
        return None
    messages.error(request, _("This event is %(status)s: nobody more is invited.") % {
        "status": event.get_status_display()})
    return redirect("events:event_detail", pk=event.pk)


def _invited_count(event: Event) -> int:
    return event.invitations.exclude(channel=Invitation.Channel.WALK_IN).count()


@require_http_methods(["GET", "POST"])
def event_audience(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=INVITE)
    if (closed := _closed(request, event)) is not None:
        return closed
    initial = AudienceForm.initial_of(event.audience)
    if event.members_only:
        initial.setdefault("members_only", True)
    form = AudienceForm(request.POST or None, initial=initial)
    size = None
    if request.method == "POST" and form.is_valid():
        filters = form.filters()
        try:
            services.event_audience_set(event=event, filters=filters, by=request.user)
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The target group is saved: %(n)s customers.") % {
                "n": audience.audience_count(filters=filters)})
            return redirect("events:event_invite", pk=event.pk)
    elif not form.is_bound:
        size = audience.audience_count(filters=event.audience or ({"members_only": True} if event.members_only else {}))
    return render(request, "events/event_audience.html", {
        "event": event, "form": form, "size": size, "invited": _invited_count(event),
        "words": audience.audience_describe(event.audience) if event.audience else []},
        status=400 if form.is_bound else 200)


@require_GET
def audience_count(request: HttpRequest, pk: int) -> HttpResponse:
    """The size of the group the filters typed so far make (htmx, as they change)."""
    event = get_event_for_user(request.user, pk, perm=INVITE)
    form = AudienceForm(request.GET)
    context = {"event": event, "form": form, "size": None}
    if form.is_valid():
        filters = form.filters()
        context.update(size=audience.audience_count(filters=filters), words=audience.audience_describe(filters))
    return render(request, "events/partials/audience_count.html", context)


def _pending(event: Event):
    """Invitations not answered and not yet sent a text nor given a call."""
    return event.invitations.filter(rsvp=Invitation.Rsvp.PENDING, customer__isnull=False, message__isnull=True,
                                    callback__isnull=True).exclude(channel=Invitation.Channel.WALK_IN)


def _sms_preview(event: Event, template) -> dict:
    """Who of the pending invitations the text would reach, and how many are refused for which reason
    (the platform's own screening: preferences, the weekly cap, the same template today, a complaint's hold)."""
    ids = list(_pending(event).values_list("customer_id", flat=True))
    screened = recipients_screen(messaging_audience().of(ids), purpose=Purpose.MARKETING, template=template,
                                 customer_ids=ids)
    return {"pending": len(ids), "reached": screened.count, "refused": screened.excluded_labels(),
            "refused_total": sum(screened.excluded.values())}


@require_GET
def event_invite(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=INVITE)
    if (closed := _closed(request, event)) is not None:
        return closed
    form = InviteSmsForm(request.GET if "template" in request.GET else None)
    pending = _pending(event)
    invited = _invited_count(event)
    preview = _sms_preview(event, form.cleaned_data["template"]) if form.is_bound and form.is_valid() else None
    return render(request, "events/event_invite.html", {
        "event": event, "form": form, "preview": preview, "invited": invited,
        "pending": pending.count() if preview is None else preview["pending"],
        "size": audience.audience_count(filters=event.audience) if event.audience and not invited else None,
        "words": audience.audience_describe(event.audience) if event.audience else [],
        "calls_open": event.invitations.filter(callback__isnull=False, rsvp=Invitation.Rsvp.PENDING).count(),
        "sms_sent": event.invitations.filter(message__isnull=False).count(), **rights(request.user)})


@require_POST
def invitations_create(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=INVITE)
    if (closed := _closed(request, event)) is not None:
        return closed
    try:
        made = services.invitations_create(event=event, by=request.user)
    except services.EventError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, ngettext("%(n)d customer is on the invitation list.",
                                           "%(n)d customers are on the invitation list.", made) % {"n": made})
    return redirect("events:event_invite", pk=event.pk)


@require_POST
def invitations_send_sms(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=INVITE)
    if (closed := _closed(request, event)) is not None:
        return closed
    form = InviteSmsForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("template", []):
            messages.error(request, error)
        return redirect("events:event_invite", pk=event.pk)
    try:
        outcome = services.invitations_send_sms(event=event, by=request.user, template=form.cleaned_data["template"])
    except services.EventError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{_invite_url(event)}?template={form.cleaned_data['template'].pk}")
    queued, refused = outcome.get("queued", 0), outcome.get("refused_total", 0)
    text = ngettext("%(n)d invitation SMS is queued.", "%(n)d invitation SMS are queued.", queued) % {"n": queued}
    if refused:
        text += " " + ngettext("%(n)d customer is not texted (see the reasons on the invitation page).",
                               "%(n)d customers are not texted (see the reasons on the invitation page).",
                               refused) % {"n": refused}
    messages.success(request, text)
    return redirect("events:invitation_list", pk=event.pk)


@require_POST
def invitations_call(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=INVITE)
    if (closed := _closed(request, event)) is not None:
        return closed
    ids = [value for value in map(id_or_none, request.POST.getlist("invitation")) if value] or None
    try:
        made = services.invitations_call(event=event, by=request.user, invitation_ids=ids)
    except services.EventError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("events:event_invite", pk=event.pk)
    messages.success(request, ngettext("%(n)d invitation call is on the callback queue.",
                                       "%(n)d invitation calls are on the callback queue.", made) % {"n": made})
    return redirect("events:invitation_list", pk=event.pk)


def _invite_url(event: Event) -> str:
    return reverse("events:event_invite", args=[event.pk])


urlpatterns = [
    path("<int:pk>/audience/", event_audience, name="event_audience"),
    path("<int:pk>/audience/count/", audience_count, name="audience_count"),
    path("<int:pk>/invite/", event_invite, name="event_invite"),
    path("<int:pk>/invite/list/", invitations_create, name="invitations_create"),
    path("<int:pk>/invite/sms/", invitations_send_sms, name="invitations_send_sms"),
    path("<int:pk>/invite/calls/", invitations_call, name="invitations_call"),
]
