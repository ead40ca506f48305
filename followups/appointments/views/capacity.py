"""The workshop's capacity (车间产能): who takes the booked cars (service advisors, bays) and how many
each takes per hour on a working day and on a weekend. Everyone at the desk reads it; the DCRC
supervisor (`change_capacity`) changes the places, and adds or retires a resource
(`add_serviceresource`, `change_serviceresource`).

A change counts for the slots not made yet, and for those already made from today on — except a
slot already booked beyond its new places, which keeps them (the customers booked stay booked; the
page says how many slots kept theirs). `services.capacity_apply` does it in one transaction.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dealer_crm.access import get_for_user, require_perm

from .. import forms, selectors, services
from ..models import DayType, ServiceResource

VIEW, CHANGE = "appointments.view_capacity", "appointments.change_capacity"
ADD_RESOURCE, CHANGE_RESOURCE = "appointments.add_serviceresource", "appointments.change_serviceresource"


@require_GET
def capacity(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    rows = selectors.capacities()
    hours = selectors.capacity_hours(rows)
    return render(request, "appointments/capacity.html", {
        "rows": selectors.capacity_table(rows, hours), "hours": hours, "day_types": DayType.choices,
        "can_change": request.user.has_perm(CHANGE),
        "can_add": request.user.has_perm(ADD_RESOURCE) and request.user.has_perm(CHANGE),
    })


def _saved_message(outcome) -> str:
    text = _("The capacity of %(name)s is saved: %(slots)d slots already made follow it.") % {
        "name": outcome.resource.name, "slots": outcome.updated}
    if outcome.kept:
        text += " " + _("%(kept)d slots keep their places: they are already booked beyond the new number.") % {
            "kept": outcome.kept}
    return text


@require_http_methods(["GET", "POST"])
def capacity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """One resource's places per hour (and, for who may, its name, kind, order and whether in use)."""
    require_perm(request.user, CHANGE)
    if pk is None:
        require_perm(request.user, ADD_RESOURCE)
        resource, places = ServiceResource(), {}
    else:
        resource = get_for_user(request.user, ServiceResource.objects.all(), perm=CHANGE, pk=pk)
        places = next(row.places for row in selectors.capacities() if row.resource.pk == resource.pk)
    edits_resource = pk is None or request.user.has_perm(CHANGE_RESOURCE)
    resource_form = forms.ResourceForm(request.POST or None, instance=resource, prefix="resource") \
        if edits_resource else None
    grid = forms.CapacityForm(request.POST or None, places=places, prefix="places")
    if request.method == "POST" and grid.is_valid() and (resource_form is None or resource_form.is_valid()):
        with transaction.atomic():
            if resource_form is not None:
                resource = resource_form.save()
            outcome = services.capacity_apply(resource=resource, places=grid.places(), by=request.user)
        messages.success(request, _saved_message(outcome))
        return redirect("appointments:capacity")
    return render(request, "appointments/capacity_form.html", {
        "resource": resource, "resource_form": resource_form, "grid": grid, "day_types": DayType.choices,
    }, status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("capacity/", capacity, name="capacity"),
    path("capacity/new/", capacity_edit, name="capacity_create"),
    path("capacity/<int:pk>/", capacity_edit, name="capacity_edit"),
]
