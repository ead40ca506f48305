"""The preparation checklist of an event (invitations, catering 冷餐, venue, gifts, drinks, …): each task
with its owner, due date and cost, the late ones marked; added, edited, marked done or not, and removed
after a confirmation."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..forms import ChecklistItemForm
from ..models import Event
from .common import (add_errors, CHECKLIST_ADD, CHECKLIST_CHANGE, CHECKLIST_REMOVE, get_event_for_user, get_item_for_user,
                     require, rights)


def _page(request: HttpRequest, event: Event, *, form=None, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    items = list(event.checklist.select_related("owner", "done_by").order_by("done_at", "due_on", "id"))
    items.sort(key=lambda item: (item.done_at is not None, item.due_on is None, item.due_on or today, item.pk))
    for item in items:
        item.late = item.done_at is None and item.due_on is not None and item.due_on < today
    context = {"event": event, "items": items, "today": today, **rights(request.user),
               "total_cost": sum(item.cost for item in items),
               "done": sum(1 for item in items if item.done_at), "late": sum(1 for item in items if item.late)}
    if context["can_add_item"] and event.status != Event.Status.CANCELLED:
        context["form"] = form or ChecklistItemForm(initial={"owner": request.user.pk, "cost": 0})
    return render(request, "events/checklist.html", context, status=status)


@require_http_methods(["GET", "POST"])
def checklist(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    if request.method != "POST":
        return _page(request, event)
    require(request.user, CHECKLIST_ADD)
    form = ChecklistItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.checklist_item_add(event=event, by=request.user, **form.fields_for_service())
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("“%(title)s” is on the checklist.") % {"title": item.title})
            return redirect("events:checklist", pk=event.pk)
    return _page(request, event, form=form, status=400)


@require_http_methods(["GET", "POST"])
def checklist_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    item = get_item_for_user(request.user, event, item_pk, perm=CHECKLIST_CHANGE)
    form = ChecklistItemForm(request.POST or None, initial=ChecklistItemForm.initial_of(item))
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_item_update(item=item, by=request.user, **form.fields_for_service())
        except services.EventError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The task is saved."))
            return redirect("events:checklist", pk=event.pk)
    return render(request, "events/checklist_item_form.html", {"event": event, "item": item, "form": form},
                  status=400 if form.is_bound else 200)


@require_POST
def checklist_item_done(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    item = get_item_for_user(request.user, event, item_pk, perm=CHECKLIST_CHANGE)
    done = request.POST.get("done") == "1"
    try:
        services.checklist_item_done(item=item, by=request.user, done=done)
    except services.EventError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, (_("“%(title)s” is done.") if done else _("“%(title)s” is open again.")) % {
            "title": item.title})
    return redirect("events:checklist", pk=event.pk)


@require_http_methods(["GET", "POST"])
def checklist_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    item = get_item_for_user(request.user, event, item_pk, perm=CHECKLIST_REMOVE)
    if request.method == "POST":
        try:
            services.checklist_item_remove(item=item, by=request.user)
        except services.EventError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("“%(title)s” is removed from the checklist.") % {"title": item.title})
        return redirect("events:checklist", pk=event.pk)
    return render(request, "events/checklist_item_remove.html", {"event": event, "item": item})


urlpatterns = [
    path("<int:pk>/checklist/", checklist, name="checklist"),
    path("<int:pk>/checklist/<int:item_pk>/edit/", checklist_item_edit, name="checklist_item_edit"),
    path("<int:pk>/checklist/<int:item_pk>/done/", checklist_item_done, name="checklist_item_done"),
    path("<int:pk>/checklist/<int:item_pk>/remove/", checklist_item_remove, name="checklist_item_remove"),
]
