from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import require_perm
from dealer_crm.exports import FORMATS, ExportTooLarge
from dealer_crm.paging import sort_headers, uncounted_page

from .. import exports, selectors, services
from ..access import can_edit_customer, get_customer_for_user
from ..forms import ContactPreferenceForm, CustomerFilterForm, CustomerForm
from ..models import ContactPreference, Customer
from ..sections import sections_for, vehicle_actions_for
from .meanwhile import note_kept

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 30


@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.view_customer")
    form = CustomerFilterForm(request.GET or None)
    filters = form.filters()
    customers = selectors.customer_list(filters=filters) if filters else selectors.customer_list(
        filters=selectors.CustomerFilters()).none()
    count = selectors.customer_list_count(customers=customers, filters=filters or selectors.CustomerFilters())
    page = uncounted_page(customers, request.GET.get("page"), per_page=PAGE_SIZE,
                          rows=count.value if count.exact else None)
    selectors.mark_marketing_refusals(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    template = "customers/partials/customer_table.html" if request.htmx else "customers/customer_list.html"
    return render(request, template, {
        "form": form, "page": page, "count": count, "query": query.urlencode(),
        "query_items": [(name, value) for name, values in query.lists() for value in values],  # the page jump's
        "sort_headers": sort_headers(query, columns=SORTABLE_COLUMNS, current=(filters or selectors.CustomerFilters()).order),
    })


# The columns that sort: the order a first click asks for, and the reverse a second click asks for.
SORTABLE_COLUMNS = {"name": ("name", "-name"), "last_visit": ("-last_visit_on", "last_visit_on")}


@require_GET
def customer_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list as the same filters and order show it, every page of it, as xlsx or CSV."""
    require_perm(request.user, "customers.view_customer")
    require_perm(request.user, "customers.export_customers")
    if fmt not in FORMATS:
        raise Http404
    filters = CustomerFilterForm(request.GET or None).filters()
    back = reverse("customers:list") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if filters is None:
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(back)
    try:
        return exports.customer_list_export(filters=filters, fmt=fmt, by=request.user)
    except ExportTooLarge as error:
        messages.error(request, str(error))
        return redirect(back)


@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk, include_merged=True)
    if customer.merged_into_id:
        messages.info(request, _("This record was merged into the one below."))
        return redirect("customers:detail", pk=customer.merged_into_id)
    customer = selectors.customer_detail(pk=pk)
    timeline = Paginator(selectors.customer_timeline(customer=customer), TIMELINE_PAGE_SIZE).get_page(1)
    now = timezone.now()
    return render(request, "customers/customer_detail.html", {
        "customer": customer,
        "current_roles": [role for role in customer.all_roles if role.is_current],
        "past_roles": [role for role in customer.all_roles if not role.is_current],
        "timeline": timeline,
        "can_edit": can_edit_customer(request.user),
        "holds": selectors.customer_holds(customer=customer, user=request.user),
        # what the features above the archive add (customers/sections.py): appointments, retention
        "sections": sections_for(customer=customer, user=request.user, now=now),
        "vehicle_actions": vehicle_actions_for(request.user),
        "now": now,
    })


@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk, include_merged=True)
    timeline = Paginator(selectors.customer_timeline(customer=customer), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "customers/partials/timeline.html", {"customer": customer, "timeline": timeline})


@require_GET
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk, include_merged=True)
    return render(request, "customers/partials/history.html",
                  {"customer": customer, "changes": selectors.customer_history(customer=customer)})


@require_POST
def customer_phones_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk, perm="customers.reveal_phone")
    phones = services.customer_phones_reveal(customer=customer, by=request.user)
    return render(request, "customers/partials/phones.html", {"customer": customer, "revealed": phones})


@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.add_customer")
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        customer = services.customer_create(by=request.user, **form.service_fields())
        messages.success(request, _("Customer %(name)s added.") % {"name": customer})
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_edit_customer(request.user):  # before the lookup, as get_for_user does
        raise PermissionDenied
    customer = get_customer_for_user(request.user, pk, perm="customers.change_customer", include_merged=True)
    if customer.merged_into_id:  # an old tab: say where the record went, keep what was typed, save nothing
        return _merged_edit(request, customer, survivor=customer.merged_into)
    # The form gets its own copy: validating writes the new values onto its instance, and the
    # service compares them with the customer as stored.
    form = CustomerForm(request.POST or None, instance=Customer.all_objects.get(pk=customer.pk), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.customer_update(customer=customer, by=request.user, base=form.opened_base(),
                                               **form.service_fields())
        except services.CustomerMerged as merged:
            return _merged_edit(request, customer, survivor=merged.survivor)
        if outcome.saved:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": customer})
            note_kept(request, outcome)
            return redirect("customers:detail", pk=customer.pk)
        form = form.second_try(outcome, instance=Customer.all_objects.get(pk=customer.pk))
    if request.method == "GET" or getattr(form, "outcome", None):  # shown again: the numbers as stored now
        services.customer_phones_reveal(customer=customer, by=request.user, via="edit_form")
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


def _merged_edit(request: HttpRequest, customer: Customer, *, survivor: Customer) -> HttpResponse:
    """The edit page of a merged record: no form to save, but what the user had typed, to copy."""
    form = CustomerForm(request.POST, instance=customer).as_typed() if request.method == "POST" else None
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer,
                                                            "merged_into": survivor})


@require_http_methods(["GET", "POST"])
def contact_preference_set(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk, perm="customers.change_contactpreference",
                                     include_merged=True)
    form = ContactPreferenceForm(request.POST or None, instance=ContactPreference(customer=customer))
    context = {"customer": customer, "title": _("Contact preference"),
               "intro": _("Record what the customer said: e.g. “no phone calls, SMS only”, or no marketing at all.")}
    if customer.merged_into_id:  # the answer goes to the record it was merged into, once the user confirms
        return render(request, "customers/simple_form.html", {
            **context, "form": form.as_typed(), "merged_into": customer.merged_into,
            "action": reverse("customers:preference_set", args=[customer.merged_into_id])})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.contact_preference_set(customer=customer, by=request.user, base=form.opened_base(),
                                                      **form.service_fields())
        except services.CustomerMerged as merged:
            return render(request, "customers/simple_form.html", {
                **context, "form": form.as_typed(), "merged_into": merged.survivor,
                "action": reverse("customers:preference_set", args=[merged.survivor.pk])})
        except services.OptInWithoutReason as error:  # only the customer lifts a refusal: say how they asked
            form.add_error("reason", str(error))
            return render(request, "customers/simple_form.html", {**context, "form": form})
        if outcome.saved:
            messages.success(request, _("Contact preference saved."))
            note_kept(request, outcome)
            return redirect("customers:detail", pk=customer.pk)
        form = form.second_try(outcome, instance=ContactPreference(customer=customer))
    return render(request, "customers/simple_form.html", {**context, "form": form})
