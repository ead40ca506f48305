from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dealer_crm.access import require_perm

from .. import selectors, services
from ..access import get_customer_for_user, get_vehicle_for_user
from ..forms import DeliveryFileForm, OwnerChangeForm, VehicleForm
from ..models import DeliveryFile, Vehicle, VehicleRole
from ..sections import VEHICLE_ACTIONS
from .meanwhile import note_kept


@require_GET
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = selectors.vehicle_detail(pk=get_vehicle_for_user(request.user, pk).pk)
    history, role_history = selectors.vehicle_history(vehicle=vehicle)
    return render(request, "customers/vehicle_detail.html", {
        "vehicle": vehicle,
        "roles": list(vehicle.roles.all()),
        "visits": list(vehicle.visits.all()),
        "history": history,
        "role_history": role_history,
        "can_edit": request.user.has_perm("customers.change_vehicle"),
    })


@require_http_methods(["GET", "POST"])
def vehicle_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_pk, perm="customers.add_vehicle", include_merged=True)
    form = VehicleForm(request.POST or None)
    context = {"customer": customer, "title": _("Add a vehicle"),
               "intro": _("The customer becomes its owner from the delivery date.")}
    if customer.merged_into_id:  # an old tab: the vehicle goes to the record it was merged into, if confirmed
        return render(request, "customers/simple_form.html", {
            **context, "form": form.as_typed(), "merged_into": customer.merged_into,
            "action": reverse("customers:vehicle_add", args=[customer.merged_into_id])})
    if request.method == "POST" and form.is_valid():
        vehicle = services.vehicle_add(customer=customer, by=request.user, **form.service_fields())
        messages.success(request, _("Vehicle %(vehicle)s added.") % {"vehicle": vehicle})
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/simple_form.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def vehicle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_vehicle_for_user(request.user, pk, perm="customers.change_vehicle")
    form = VehicleForm(request.POST or None, instance=Vehicle.objects.get(pk=vehicle.pk))  # see customer_edit
    if request.method == "POST" and form.is_valid():
        outcome = services.vehicle_update(vehicle=vehicle, by=request.user, base=form.opened_base(),
                                          **form.service_fields())
        if outcome.saved:
            messages.success(request, _("Vehicle saved."))
            note_kept(request, outcome)
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
        form = form.second_try(outcome, instance=Vehicle.objects.get(pk=vehicle.pk))
    return render(request, "customers/simple_form.html", {"form": form, "vehicle": vehicle,
                                                          "title": _("Edit vehicle")})


@require_http_methods(["GET", "POST"])
def vehicle_change_owner(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_vehicle_for_user(request.user, pk, perm="customers.change_vehicle")
    form = OwnerChangeForm(request.POST or None, initial={"on": timezone.localdate()}, user=request.user)
    if request.method == "POST" and form.is_valid() and "confirm" not in request.POST:
        # First the question, with both names: a mistyped mobile must not move the car silently.
        current = selectors.current_owner(vehicle=vehicle)
        return render(request, "customers/owner_change_confirm.html", {
            "vehicle": vehicle, "form": form, "current": current, "new_owner": form.cleaned_data["new_owner_phone"],
            "on": form.cleaned_data["on"]})
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_change_owner(vehicle=vehicle, new_owner=form.cleaned_data["new_owner_phone"],
                                          on=form.cleaned_data["on"], by=request.user)
        except services.ArchiveError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The owner was changed; the previous owner stays in the vehicle's history."))
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return render(request, "customers/simple_form.html", {
        "form": form, "vehicle": vehicle, "title": _("Change of owner"),
        "intro": _("The current owner's role ends on this date and is kept; the new owner's role starts."),
    })


@require_http_methods(["GET", "POST"])
def delivery_file_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_vehicle_for_user(request.user, pk, perm="customers.change_deliveryfile")
    delivery_file = DeliveryFile.objects.filter(vehicle=vehicle).first() or DeliveryFile(vehicle=vehicle)
    form = DeliveryFileForm(request.POST or None, instance=delivery_file)
    if request.method == "POST" and form.is_valid():
        outcome = services.delivery_file_update(vehicle=vehicle, by=request.user, base=form.opened_base(),
                                                **form.service_fields())
        if outcome.saved:
            messages.success(request, _("Delivery file saved."))
            note_kept(request, outcome)
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
        form = form.second_try(outcome, instance=outcome.record)
    return render(request, "customers/simple_form.html", {
        "form": form, "vehicle": vehicle, "title": _("Delivery file"),
        "intro": _("Tick the documents kept in the delivery file, and when the maintenance handbook was checked."),
    })


@require_http_methods(["GET", "POST"])
def vehicle_act(request: HttpRequest, pk: int, vehicle_pk: int, action: str) -> HttpResponse:
    """An action a feature registered on the customer's vehicles (customers/sections.py, e.g. 车已卖):
    its form and what confirming does, then the action itself on the confirmed form."""
    customer = get_customer_for_user(request.user, pk)
    act = VEHICLE_ACTIONS.get(action)
    if act is None:
        raise Http404
    require_perm(request.user, act.perm)
    role = (VehicleRole.objects.filter(customer=customer, vehicle_id=vehicle_pk, kind__in=act.role_kinds,
                                       ended_on__isnull=True).select_related("vehicle").first())
    if role is None:
        raise Http404
    form = act.form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = act.act(customer=customer, vehicle=role.vehicle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, done)
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/vehicle_action_confirm.html", {
        "customer": customer, "vehicle": role.vehicle, "role": role, "action": act, "form": form})
