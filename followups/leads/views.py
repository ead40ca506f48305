"""Sales leads (销售线索): the list with its tabs and the contacts due, handing a lead over (from a
call, the customer's page, or a caller or visitor not in the archive, whose mobile is looked up
there first), and one lead's page with its story and the steps its user may take now.

Who may do what is the services' rule (`can_manage`, `can_follow`, `can_add`); who sees which lead
the selectors' (`visible_leads`). The page shows a form only to who may send it, and each POST view
checks the same function, then calls one service. A refused step comes back as a LeadError message;
a PermissionDenied from a service is a 403.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.forms import TOO_MANY_NUMBER_CHECKS
from customers.phone_privacy import whole_number_check_allowed
from dealer_crm.access import get_for_user
from dealer_crm.paging import sort_headers
from followups.callbacks.models import Callback

from . import forms, selectors, services
from .forms import LOST_REASONS, NEW_PERSON
from .models import Lead

PAGE_SIZE = 30
SORTABLE_COLUMNS = {"created": ("-created", "created"), "next": ("next", "-next")}
TAB_LABELS = {
    selectors.OPEN: pgettext_lazy("leads", "Open"),
    Lead.Status.NEW: Lead.Status.NEW.label,
    Lead.Status.ASSIGNED: Lead.Status.ASSIGNED.label,
    Lead.Status.FOLLOWING: Lead.Status.FOLLOWING.label,
    Lead.Status.WON: Lead.Status.WON.label,
    Lead.Status.LOST: Lead.Status.LOST.label,
    selectors.ALL: gettext_lazy("All"),
}


# --- access ---------------------------------------------------------------------------------------
def _require_door(user) -> None:
    if not selectors.can_open_leads(user):
        raise PermissionDenied


def get_lead_for_user(user, pk: int) -> Lead:
    """The lead with its story, if the user may read it: 403 for a colleague without the right to read
    or hand over leads (before anything is looked up), 404 for no such lead, 403 for one the user does
    not see (selectors.visible_leads)."""
    _require_door(user)
    found = get_object_or_404(Lead.objects.only("pk"), pk=pk)
    try:
        return selectors.lead_detail(leads=selectors.visible_leads(user), pk=found.pk)
    except Lead.DoesNotExist:
        raise PermissionDenied from None


def _id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


# --- the list -------------------------------------------------------------------------------------
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    _require_door(request.user)
    user, today = request.user, timezone.localdate()
    every = selectors.sees_every_lead(user)
    consultants = list(selectors.lead_consultants()) if every else None
    form = forms.LeadFilterForm(request.GET or None, consultants=consultants)
    filters = form.filters()
    rows = selectors.lead_list(user=user, filters=filters, today=today)
    counts = selectors.tab_counts(user=user, filters=filters, today=today)
    if filters.mobile and not whole_number_check_allowed(user=user, number=filters.mobile, via="lead_list"):
        messages.error(request, _("Too many searches by phone number in the last hour: try again later, "
                                  "or search by name."))
        rows, counts = rows.none(), dict.fromkeys(counts, 0)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("tab", None)
    tabs = [{"key": key, "label": label, "count": counts.get(key, 0), "active": key == filters.tab,
             "href": f"?{_with(tab_query, tab=key)}"} for key, label in TAB_LABELS.items()]
    return render(request, "leads/lead_list.html", {
        "form": form, "filters": filters, "page": page, "today": today, "query": query.urlencode(),
        "tabs": tabs, "sees_every": every, "can_add": services.can_add(user),
        "sort_headers": sort_headers(query, columns=SORTABLE_COLUMNS, current=filters.order),
        "filtered": any(value for name, value in request.GET.items() if name not in ("page", "order", "tab")),
    })


def _with(query, **values) -> str:
    query = query.copy()
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


# --- handing a lead over --------------------------------------------------------------------------
def _starting_point(request: HttpRequest) -> dict | None:
    """Where the hand-over starts, from the link that opened the form: a call (its customer is the
    prospect, or with refer=1 refers someone), a customer's page (the prospect), or a referrer's
    (referred_by: someone they refer). None for a link that names no valid record."""
    user, start = request.user, {"customer": None, "referred_by": None, "callback": None, "source": ""}
    params = request.GET
    if "callback" in params:
        pk = _id(params["callback"])
        if pk is None:
            return None
        callback = get_for_user(user, Callback.objects.select_related("customer"), perm="callbacks.view_callback", pk=pk)
        start["callback"], start["source"] = callback, Lead.Source.CALLBACK
        if params.get("refer") == "1":
            start["referred_by"] = callback.customer
        else:
            start["customer"] = callback.customer
        return start
    for name in ("customer", "referred_by"):
        if name in params:
            pk = _id(params[name])
            if pk is None:
                return None
            start[name] = get_customer_for_user(user, pk)
            if name == "referred_by":
                start["source"] = Lead.Source.REFERRAL
            return start
    return start


@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if not services.can_add(request.user):
        raise PermissionDenied
    start = _starting_point(request)
    if start is None:
        return render(request, "leads/lead_create.html", {"broken_link": True}, status=400)
    prospect = start["customer"]
    form = forms.LeadCreateForm(request.POST or None, prospect=prospect, source=start["source"])
    context = {"form": form, **start, "offer": None, "lost_reasons": LOST_REASONS}
    if request.method != "POST":
        return render(request, "leads/lead_create.html", context)
    if not form.is_valid():
        return render(request, "leads/lead_create.html", context, status=400)
    data = form.cleaned_data
    if prospect is None:
        mobile, answer = data["mobile"], data["match"]
        matches = []
        if answer != NEW_PERSON:
            if not whole_number_check_allowed(user=request.user, number=mobile, via="lead_create"):
                form.add_error("mobile", TOO_MANY_NUMBER_CHECKS % {"limit": settings.PHONE_SEARCHES_PER_HOUR})
                return render(request, "leads/lead_create.html", context, status=400)
            matches = selectors.archive_matches(mobile=mobile)
            chosen = next((customer for customer in matches if str(customer.pk) == answer), None)
            if chosen is not None:
                prospect = chosen
            else:
                leads = selectors.open_leads_with(mobile=mobile)
                if matches or leads:  # the person may be on file: the user says who it is first
                    context["offer"] = {"customers": matches, "leads": leads}
                    return render(request, "leads/lead_create.html", context)
    try:
        lead = services.lead_create(
            by=request.user, source=data["source"], name=data.get("name", ""), mobile=data.get("mobile", ""),
            customer=prospect, referred_by=start["referred_by"], callback=start["callback"],
            model_interest=data["model_interest"], budget=data["budget"], timing=data["timing"], note=data["note"])
    except services.LeadError as error:
        form.add_error(None, str(error))
        return render(request, "leads/lead_create.html", context, status=400)
    messages.success(request, _("Lead %(number)s is handed over to sales.") % {"number": lead.number})
    return redirect("leads:lead_detail", pk=lead.pk)


# --- one lead -------------------------------------------------------------------------------------
def _detail(request: HttpRequest, lead: Lead, *, bound: dict | None = None, revealed: str = "",
            status: int = 200) -> HttpResponse:
    """The lead's page; `bound` holds a form sent back with its errors (by its key: "assign",
    "contact", "win", "lose", "reopen"), shown instead of the empty one so nothing typed is lost."""
    bound = bound or {}
    user, today = request.user, timezone.localdate()
    can_manage, can_follow = services.can_manage(user), services.can_follow(user, lead)
    is_open = lead.is_open
    context = {
        "lead": lead, "today": today, "steps": list(lead.steps.all()), "revealed": revealed,
        "can_manage": can_manage, "can_follow": can_follow, "is_open": is_open,
        "overdue": is_open and lead.next_contact_on is not None and lead.next_contact_on < today,
        "can_reveal": bool(lead.mobile) and services.can_reveal_mobile(user, lead),
        "assign_form": None, "contact_form": None, "win_form": None, "lose_form": None, "reopen_form": None,
        "matches": [], "duplicates": [], "lost_reasons": LOST_REASONS,
    }
    if can_manage and is_open:
        context["assign_form"] = bound.get("assign") or forms.AssignForm(
            consultants=list(selectors.lead_consultants()),
            initial={"to": lead.assigned_to_id, "next_contact_on": lead.next_contact_on or today})
    if lead.customer_id is None and _may_link(user, lead):
        context["matches"] = selectors.archive_matches(mobile=lead.mobile)
    if can_follow and is_open:
        if lead.assigned_to_id is not None:
            context["contact_form"] = bound.get("contact") or forms.ContactForm()
        context["win_form"] = bound.get("win") or forms.WinForm(matches=bool(context["matches"]))
        context["lose_form"] = bound.get("lose") or forms.LoseForm()
    if can_manage and not is_open:
        context["reopen_form"] = bound.get("reopen") or forms.ReopenForm()
    if is_open and (can_follow or can_manage):
        context["duplicates"] = selectors.open_leads_with(mobile=lead.mobile, exclude=lead.pk)
    for key, form in bound.items():  # a form the lead's state no longer offers: its refusal as a message
        if context.get(f"{key}_form") is not form:
            for error in form.non_field_errors():
                messages.error(request, error)
    return render(request, "leads/lead_detail.html", context, status=status)


def _may_link(user, lead: Lead) -> bool:
    return services.can_follow(user, lead) or (lead.created_by_id == user.pk and services.can_add(user))


@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_lead_for_user(request.user, pk))


def _done(request: HttpRequest, lead: Lead, *, key: str, form, call, success: str) -> HttpResponse:
    """Run one service: done, its message and the page; refused, the page again with the form as
    sent (nothing typed is lost) and the refusal above it."""
    try:
        call()
    except services.LeadError as error:
        form.add_error(None, str(error))
        return _detail(request, lead, bound={key: form}, status=400)
    messages.success(request, success)
    return redirect("leads:lead_detail", pk=lead.pk)


def _following(request: HttpRequest, pk: int) -> Lead:
    lead = get_lead_for_user(request.user, pk)
    if not services.can_follow(request.user, lead):
        raise PermissionDenied
    return lead


def _managing(request: HttpRequest, pk: int) -> Lead:
    lead = get_lead_for_user(request.user, pk)
    if not services.can_manage(request.user):
        raise PermissionDenied
    return lead


@require_POST
def lead_assign(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _managing(request, pk)
    form = forms.AssignForm(request.POST, consultants=list(selectors.lead_consultants()))
    if not form.is_valid():
        return _detail(request, lead, bound={"assign": form}, status=400)
    data = form.cleaned_data
    return _done(request, lead, key="assign", form=form, call=lambda: services.lead_assign(
        lead=lead, to=data["to"], by=request.user, next_contact_on=data["next_contact_on"], note=data["note"]),
        success=_("The lead is given to %(name)s.") % {"name": data["to"]})


@require_POST
def lead_contact(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _following(request, pk)
    form = forms.ContactForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead, bound={"contact": form}, status=400)
    data = form.cleaned_data
    return _done(request, lead, key="contact", form=form, call=lambda: services.lead_contact(
        lead=lead, by=request.user, note=data["note"], next_contact_on=data["next_contact_on"]),
        success=_("The contact is recorded; next contact on %(date)s.") % {"date": data["next_contact_on"].isoformat()})


@require_POST
def lead_win(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _following(request, pk)
    form = forms.WinForm(request.POST, matches=lead.customer_id is None and bool(
        selectors.archive_matches(mobile=lead.mobile)))
    if not form.is_valid():
        return _detail(request, lead, bound={"win": form}, status=400)
    data = form.cleaned_data
    return _done(request, lead, key="win", form=form,
                 call=lambda: services.lead_win(lead=lead, by=request.user, note=data["note"],
                                                new_customer=data.get("new_customer", False)),
                 success=_("The lead is won: the buyer is in the archive."))


@require_POST
def lead_lose(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _following(request, pk)
    form = forms.LoseForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead, bound={"lose": form}, status=400)
    return _done(request, lead, key="lose", form=form,
                 call=lambda: services.lead_lose(lead=lead, by=request.user, reason=form.cleaned_data["reason"]),
                 success=_("The lead is closed as lost."))


@require_POST
def lead_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _managing(request, pk)
    form = forms.ReopenForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead, bound={"reopen": form}, status=400)
    return _done(request, lead, key="reopen", form=form,
                 call=lambda: services.lead_reopen(lead=lead, by=request.user, note=form.cleaned_data["note"]),
                 success=_("The lead is open again."))


@require_POST
def lead_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The prospect is one of the archive's customers with the lead's mobile (the page offers them)."""
    lead = get_lead_for_user(request.user, pk)
    if not _may_link(request.user, lead):
        raise PermissionDenied
    form = forms.LinkForm(request.POST)
    offered = {customer.pk: customer for customer in selectors.archive_matches(mobile=lead.mobile)}
    customer = offered.get(form.cleaned_data["customer"]) if form.is_valid() else None
    if customer is None:
        messages.error(request, _("Choose one of the customers offered."))
        return redirect("leads:lead_detail", pk=lead.pk)
    try:
        services.lead_link(lead=lead, customer=customer, by=request.user)
    except services.LeadError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The lead is linked to %(name)s of the archive.") % {"name": customer.name})
    return redirect("leads:lead_detail", pk=lead.pk)


@require_POST
def lead_mobile_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_user(request.user, pk)
    number = services.lead_mobile_reveal(lead=lead, by=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "leads/partials/mobile.html", {"lead": lead, "revealed": number, "can_reveal": True})
    return _detail(request, lead, revealed=number)


urlpatterns = [
    path("", lead_list, name="lead_list"),
    path("new/", lead_create, name="lead_create"),
    path("<int:pk>/", lead_detail, name="lead_detail"),
    path("<int:pk>/assign/", lead_assign, name="lead_assign"),
    path("<int:pk>/contact/", lead_contact, name="lead_contact"),
    path("<int:pk>/won/", lead_win, name="lead_win"),
    path("<int:pk>/lost/", lead_lose, name="lead_lose"),
    path("<int:pk>/reopen/", lead_reopen, name="lead_reopen"),
    path("<int:pk>/link/", lead_link, name="lead_link"),
    path("<int:pk>/mobile/", lead_mobile_reveal, name="lead_mobile_reveal"),
]
