"""The event list (upcoming and past, with each event's invited, coming and checked-in counts), creating
and editing an event, its page (overview, counts, cost against the budget with the checklist and the
gifts, outcomes), and cancelling it after a confirmation."""

from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import require_perm

from .. import audience, selectors, services
from ..forms import CancelForm, EventForm, OutcomeForm
from ..models import ChecklistItem, Event, Invitation
from .common import add_errors, ADD, CHANGE, READ, get_event_for_user, is_open, rights

PAGE_SIZE = 20
UPCOMING, PAST = "upcoming", "past"
TABS = {UPCOMING: gettext_lazy("Upcoming"), PAST: gettext_lazy("Past")}
OPEN_STATUSES = (Event.Status.PLANNING, Event.Status.INVITING)


def _day_start(today) -> datetime:
    return timezone.make_aware(datetime.combine(today, time.min))


def _upcoming_q(today) -> Q:
    return Q(status__in=OPEN_STATUSES, starts_at__gte=_day_start(today))


def _with_counts(events):
    """Each event with its invited, coming and checked-in counts, in the same query."""
    return events.select_related("organiser").annotate(
        n_invited=Count("invitations", filter=~Q(invitations__channel=Invitation.Channel.WALK_IN)),
        n_coming=Count("invitations", filter=Q(invitations__rsvp=Invitation.Rsvp.YES)),
        n_checked_in=Count("invitations", filter=Q(invitations__checked_in_at__isnull=False)))


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, READ)
    today = timezone.localdate()
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else UPCOMING
    upcoming = _upcoming_q(today)
    totals = Event.objects.aggregate(upcoming=Count("id", filter=upcoming), past=Count("id", filter=~upcoming))
    rows = Event.objects.filter(upcoming).order_by("starts_at", "id") if tab == UPCOMING else \
        Event.objects.exclude(upcoming).order_by("-starts_at", "-id")
    paginator = Paginator(_with_counts(rows), PAGE_SIZE)
    paginator.count = totals[tab]  # counted above with the tabs: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    tabs = [{"key": key, "label": label, "count": totals[key], "active": key == tab, "href": f"?tab={key}"}
            for key, label in TABS.items()]
    return render(request, "events/event_list.html", {
        "page": page, "tabs": tabs, "tab": tab, "query": f"tab={tab}", "today": today,
        "can_add": request.user.has_perm(ADD)})


@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    form = EventForm(request.POST or None, initial={"organiser": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(by=request.user, **form.fields_for_service())
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The event “%(title)s” is planned: now choose its target group.") % {
                "title": event.title})
            return redirect("events:event_detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form, "event": None},
                  status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=CHANGE)
    if not is_open(event):
        messages.error(request, _("This event is %(status)s: it can no longer be changed.") % {
            "status": event.get_status_display()})
        return redirect("events:event_detail", pk=event.pk)
    form = EventForm(request.POST or None, initial=EventForm.initial_of(event))
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(event=event, by=request.user, **form.fields_for_service())
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("events:event_detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form, "event": event},
                  status=400 if form.is_bound else 200)


def _detail(request: HttpRequest, event: Event, *, outcome_form=None, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    checklist = list(event.checklist.select_related("owner"))
    gifts = list(event.gift_requests.select_related("gift", "customer").order_by("-requested_at"))
    context = {
        "event": event, "today": today, "counts": selectors.event_counts(event=event),
        "costs": selectors.event_costs(event=event), "checklist": checklist, "gifts": gifts,
        "checklist_open": sum(1 for item in checklist if item.done_at is None),
        "checklist_late": sum(1 for item in checklist if item.done_at is None and item.due_on and item.due_on < today),
        "audience_words": audience.audience_describe(event.audience) if event.audience else [],
        "is_open": is_open(event), "past": event.starts_at < timezone.now(), **rights(request.user),
    }
    if context["can_change"] and event.status != Event.Status.CANCELLED:
        context["outcome_form"] = outcome_form or OutcomeForm(initial={
            "orders_signed": event.orders_signed, "feedback": event.feedback})
    return render(request, "events/event_detail.html", context, status=status)


@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_event_for_user(request.user, pk))


@require_POST
def event_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk, perm=CHANGE)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.event_outcome_record(event=event, by=request.user, **form.cleaned_data)
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The outcomes are recorded: the event is held."))
            return redirect("events:event_detail", pk=event.pk)
    return _detail(request, event, outcome_form=form, status=400)


@require_http_methods(["GET", "POST"])
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A page that says what cancelling does (the invited are not told by the CRM) and asks why."""
    event = get_event_for_user(request.user, pk, perm=CHANGE)
    if not is_open(event):
        messages.error(request, _("This event is %(status)s: it can no longer be cancelled.") % {
            "status": event.get_status_display()})
        return redirect("events:event_detail", pk=event.pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(event=event, by=request.user, reason=form.cleaned_data["reason"])
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The event is cancelled."))
            return redirect("events:event_detail", pk=event.pk)
    return render(request, "events/event_cancel.html", {
        "event": event, "form": form, "counts": selectors.event_counts(event=event),
        "open_items": ChecklistItem.objects.filter(event=event, done_at__isnull=True).count()},
        status=400 if form.is_bound else 200)


urlpatterns = [
    path("", event_list, name="event_list"),
    path("new/", event_create, name="event_create"),
    path("<int:pk>/", event_detail, name="event_detail"),
    path("<int:pk>/edit/", event_edit, name="event_edit"),
    path("<int:pk>/outcome/", event_outcome, name="event_outcome"),
    path("<int:pk>/cancel/", event_cancel, name="event_cancel"),
]
