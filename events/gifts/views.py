"""The gifts' pages under /gifts/: the request list (tabs by state, filters by reason and month,
pages), asking for a gift (pre-filled from the link that opened it: the customer's page, an interview,
a birthday, an event), one request with its story and the step its reader may take now (decide, send,
cancel), the general manager's approval queue, the gift catalogue and the budgets.

Who may do what is the services' rule (`can_request`, `can_decide`, `can_send`, `can_cancel`…);
who sees which request the selectors' (`visible_requests`). The page shows a form only to who may
send it, each POST view checks the same function and calls one service; a refused step comes back as
a GiftError message with the form as sent, nothing lost.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.models import FamilyMember
from dealer_crm.access import require_perm

from . import forms, selectors, services
from .models import Gift, GiftBudget, GiftRequest

PAGE_SIZE = 30
S = GiftRequest.Status
TAB_LABELS = {
    S.REQUESTED: S.REQUESTED.label,
    S.APPROVED: gettext_lazy("Approved, to send"),
    S.SENT: gettext_lazy("Posted or handed over"),
    S.REJECTED: S.REJECTED.label,
    S.CANCELLED: S.CANCELLED.label,
    selectors.ALL: gettext_lazy("All"),
}


def _id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


def _with(query, **values) -> str:
    query = query.copy()
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


def get_request_for_user(user, pk: int) -> GiftRequest:
    """The request, if the user may read it: 403 without the right to read requests (before anything
    is looked up), 404 for no such request and for one the user does not see (nobody learns that
    another's request exists)."""
    if not selectors.can_open_requests(user):
        raise PermissionDenied
    try:
        return selectors.request_detail(requests=selectors.visible_requests(user), pk=pk)
    except GiftRequest.DoesNotExist:
        raise Http404 from None


# --- the list ---------------------------------------------------------------------------------------------
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_open_requests(request.user):
        raise PermissionDenied
    user = request.user
    form = forms.RequestFilterForm(request.GET or None)
    filters = form.filters()
    rows = selectors.request_list(user=user, filters=filters)
    counts = selectors.tab_counts(user=user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("tab", None)
    tabs = [{"key": key, "label": label, "count": counts.get(key, 0), "active": key == filters.tab,
             "href": f"?{_with(tab_query, tab=key)}"} for key, label in TAB_LABELS.items()]
    return render(request, "gifts/request_list.html", {
        "form": form, "filters": filters, "page": page, "query": query.urlencode(), "tabs": tabs,
        "sees_every": selectors.sees_every_request(user),
        "filtered": any(value for name, value in request.GET.items() if name not in ("page", "tab")),
    })


# --- asking for a gift --------------------------------------------------------------------------------------
def _starting_point(request: HttpRequest) -> dict | None:
    """What the link that opened the form names: the customer (required), the reason, the child, the
    event, the gift. None for a link that names no valid record."""
    params, user = request.GET, request.user
    start = {"customer": None, "reason": "", "family_member": None, "event": None, "gift": None}
    pk = _id(params.get("customer", ""))
    if pk is None:
        return None
    start["customer"] = get_customer_for_user(user, pk)
    if params.get("reason") in GiftRequest.Reason.values:
        start["reason"] = params["reason"]
    if "family_member" in params:
        pk = _id(params["family_member"])
        member = FamilyMember.objects.filter(pk=pk or 0, customer_id=start["customer"].pk).first()
        if member is None:
            return None
        start["family_member"] = member
    if "event" in params:
        from events.models import Event

        pk = _id(params["event"])
        start["event"] = Event.objects.filter(pk=pk or 0).first()
        if start["event"] is None:
            return None
        start["reason"] = start["reason"] or GiftRequest.Reason.EVENT
    if "gift" in params:
        pk = _id(params["gift"])
        start["gift"] = Gift.objects.filter(pk=pk or 0, active=True).first()
        if start["gift"] is None:
            return None
    if start["family_member"] is not None and not start["reason"]:
        start["reason"] = GiftRequest.Reason.CHILD_BIRTHDAY
    return start


@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    if not services.can_request(request.user):
        raise PermissionDenied
    start = _starting_point(request)
    if start is None:
        return render(request, "gifts/request_create.html", {"broken_link": True}, status=400)
    customer = start["customer"]
    gifts = selectors.gifts_offered(include=start["gift"].pk if start["gift"] else None)
    family = list(customer.family.all())
    initial = {"reason": start["reason"], "address": customer.address, "quantity": 1,
               "delivery": GiftRequest.Delivery.POST}
    if start["gift"] is not None:
        initial["gift"] = start["gift"].pk
    elif start["reason"] == GiftRequest.Reason.CHILD_BIRTHDAY:
        child_gift = next((gift for gift in gifts if gift.for_children), None)
        initial["gift"] = child_gift.pk if child_gift else None
    if start["family_member"] is not None:
        initial["family_member"] = start["family_member"].pk
    form = forms.RequestCreateForm(request.POST or None, initial=initial, gifts=gifts, family=family)
    context = {"form": form, **start, "gifts": gifts}
    if request.method != "POST":
        return render(request, "gifts/request_create.html", context)
    if not form.is_valid():
        return render(request, "gifts/request_create.html", context, status=400)
    data = form.cleaned_data
    member = form.family.get(data.get("family_member")) if data.get("family_member") else None
    try:
        gift_request = services.gift_request_create(
            customer=customer, gift=data["gift"], by=request.user, reason=data["reason"], quantity=data["quantity"],
            family_member=member, event=start["event"], note=data["note"], delivery=data["delivery"],
            address=data["address"])
    except services.GiftError as error:
        form.add_error(None, str(error))
        return render(request, "gifts/request_create.html", context, status=400)
    messages.success(request, _("Gift request %(number)s is waiting for the general manager's approval.")
                     % {"number": gift_request.number})
    return redirect("gifts:request_detail", pk=gift_request.pk)


# --- one request -----------------------------------------------------------------------------------------
def _detail(request: HttpRequest, gift_request: GiftRequest, *, bound: dict | None = None,
            status: int = 200) -> HttpResponse:
    """The request's page; `bound` holds a form sent back with its errors (by its key: "decide",
    "send", "cancel"), shown instead of the empty one so nothing typed is lost."""
    bound = bound or {}
    user = request.user
    is_requested, is_approved = gift_request.status == S.REQUESTED, gift_request.status == S.APPROVED
    context = {"gift_request": gift_request, "decide_form": None, "send_form": None, "cancel_form": None,
               "own": gift_request.requested_by_id == user.pk, "couriers": forms.COURIERS,
               "budget": None, "year_so_far": None}
    if is_requested and services.can_approve(user):
        today = timezone.localdate()
        context["budget"] = services.budget_for(today)
        context["year_so_far"] = services.customer_year_total(customer_id=gift_request.customer_id, year=today.year)
        context["cap"] = Decimal(settings.GIFT_CAP_PER_CUSTOMER_YEAR)
        context["over_cap"] = context["year_so_far"] + gift_request.total > context["cap"]
        if services.can_decide(user, gift_request):
            context["decide_form"] = bound.get("decide") or forms.DecisionForm()
    if is_approved and services.can_send(user):
        context["send_form"] = bound.get("send") or forms.SendForm(
            post=gift_request.delivery == GiftRequest.Delivery.POST, initial={"address": gift_request.address})
    if services.can_cancel(user, gift_request):
        context["cancel_form"] = bound.get("cancel") or forms.CancelForm()
    for key, form in bound.items():  # a form the request's state no longer offers: its refusal as a message
        if context.get(f"{key}_form") is not form:
            for error in form.non_field_errors():
                messages.error(request, error)
    return render(request, "gifts/request_detail.html", context, status=status)


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_request_for_user(request.user, pk))


def _done(request: HttpRequest, gift_request: GiftRequest, *, key: str, form, call, success: str,
          back: str = "") -> HttpResponse:
    try:
        call()
    except services.GiftError as error:
        if back == "queue":
            messages.error(request, f"{gift_request.number}：{error}")
            return redirect("gifts:approval_list")
        form.add_error(None, str(error))
        return _detail(request, gift_request, bound={key: form}, status=400)
    messages.success(request, success)
    if back == "queue":
        return redirect("gifts:approval_list")
    return redirect("gifts:request_detail", pk=gift_request.pk)


@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject (the detail page or the queue: `back=queue` returns there)."""
    gift_request = get_request_for_user(request.user, pk)
    if not services.can_approve(request.user):
        raise PermissionDenied
    back = "queue" if request.POST.get("back") == "queue" else ""
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        if back == "queue":
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"{gift_request.number}：{error}")
            return redirect("gifts:approval_list")
        return _detail(request, gift_request, bound={"decide": form}, status=400)
    data = form.cleaned_data
    if data["decision"] == forms.DecisionForm.APPROVE:
        return _done(request, gift_request, key="decide", form=form, back=back, call=lambda: services.gift_request_approve(
            request=gift_request, by=request.user, comment=data["comment"]),
            success=_("Gift request %(number)s is approved: the DCRC sends it.") % {"number": gift_request.number})
    return _done(request, gift_request, key="decide", form=form, back=back, call=lambda: services.gift_request_reject(
        request=gift_request, by=request.user, comment=data["comment"]),
        success=_("Gift request %(number)s is rejected.") % {"number": gift_request.number})


@require_POST
def request_send(request: HttpRequest, pk: int) -> HttpResponse:
    gift_request = get_request_for_user(request.user, pk)
    if not services.can_send(request.user):
        raise PermissionDenied
    post = gift_request.delivery == GiftRequest.Delivery.POST
    form = forms.SendForm(request.POST, post=post)
    if not form.is_valid():
        return _detail(request, gift_request, bound={"send": form}, status=400)
    data = form.cleaned_data
    return _done(request, gift_request, key="send", form=form, call=lambda: services.gift_request_send(
        request=gift_request, by=request.user, courier=data.get("courier", ""),
        tracking_number=data.get("tracking_number", ""), address=data.get("address", "")),
        success=(_("Gift %(number)s is marked posted.") if post else _("Gift %(number)s is marked handed over."))
        % {"number": gift_request.number})


@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    gift_request = get_request_for_user(request.user, pk)
    if not services.can_cancel(request.user, gift_request):
        raise PermissionDenied
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, gift_request, bound={"cancel": form}, status=400)
    return _done(request, gift_request, key="cancel", form=form, call=lambda: services.gift_request_cancel(
        request=gift_request, by=request.user, reason=form.cleaned_data["reason"]),
        success=_("Gift request %(number)s is cancelled.") % {"number": gift_request.number})


# --- the general manager's queue ------------------------------------------------------------------------
@require_GET
def approval_list(request: HttpRequest) -> HttpResponse:
    """The general manager's queue. Who asks for gifts without deciding them (the home panel's link
    is the same for them) is taken to their own requests waiting."""
    if not services.can_approve(request.user):
        if selectors.can_open_requests(request.user):
            return redirect(f"{reverse('gifts:request_list')}?tab={S.REQUESTED}")
        raise PermissionDenied
    today = timezone.localdate()
    queue, budget = selectors.approval_queue(today=today)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gifts/approval_list.html", {
        "page": page, "budget": budget, "today": today, "query": "",
        "waiting_total": sum((row.request.total for row in queue), start=Decimal(0)),
        "cap": Decimal(settings.GIFT_CAP_PER_CUSTOMER_YEAR),
    })


# --- the catalogue -----------------------------------------------------------------------------------------
@require_GET
def gift_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "gifts.view_gift")
    show_all = request.GET.get("all") == "1"
    page = Paginator(selectors.gift_list(show_all=show_all), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gifts/gift_list.html", {
        "page": page, "show_all": show_all, "query": "all=1" if show_all else "",
        "can_edit": services.can_edit_gifts(request.user), "can_request": services.can_request(request.user),
    })


@require_http_methods(["GET", "POST"])
def gift_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not services.can_edit_gifts(request.user):
        raise PermissionDenied
    require_perm(request.user, "gifts.change_gift" if pk else "gifts.add_gift")
    gift = get_object_or_404(Gift, pk=pk) if pk else None
    form = forms.GiftForm(request.POST or None, instance=gift)
    context = {"form": form, "gift": gift}
    if request.method != "POST":
        return render(request, "gifts/gift_form.html", context)
    if not form.is_valid():
        return render(request, "gifts/gift_form.html", context, status=400)
    try:
        saved = services.gift_save(gift=form.instance, by=request.user,
                                   stock_shown=form.cleaned_data.get("stock_shown") if gift else None)
    except services.GiftError as error:
        form.add_error(None, str(error))
        return render(request, "gifts/gift_form.html", context, status=400)
    messages.success(request, _("%(gift)s is saved.") % {"gift": saved.name})
    return redirect("gifts:gift_list")


# --- the budgets ------------------------------------------------------------------------------------------
@require_GET
def budget_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "gifts.view_giftbudget")
    page = Paginator(selectors.budget_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(request, "gifts/budget_list.html", {
        "page": page, "today": today, "current": services.budget_for(today), "query": "",
        "can_set": services.can_set_budgets(request.user),
    })


def _next_month() -> dict:
    """A new budget starts as the month after the latest period (this month when there is none)."""
    from datetime import date, timedelta

    latest = GiftBudget.objects.order_by("-ends_on").first()
    today = timezone.localdate()
    start = latest.ends_on + timedelta(days=1) if latest and latest.ends_on >= today.replace(day=1) else today.replace(day=1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)  # to the end of its month
    return {"name": f"{start.year}年{start.month}月" if start.day == 1 else "", "starts_on": start,
            "ends_on": following - timedelta(days=1)}


@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not services.can_set_budgets(request.user):
        raise PermissionDenied
    budget = get_object_or_404(GiftBudget, pk=pk) if pk else None
    initial = ({"name": budget.name, "starts_on": budget.starts_on, "ends_on": budget.ends_on, "amount": budget.amount}
               if budget else _next_month())
    form = forms.BudgetForm(request.POST or None, initial=initial)
    context = {"form": form, "budget": budget}
    if request.method != "POST":
        return render(request, "gifts/budget_form.html", context)
    if not form.is_valid():
        return render(request, "gifts/budget_form.html", context, status=400)
    data = form.cleaned_data
    try:
        saved = services.gift_budget_save(by=request.user, budget=budget, **data)
    except services.GiftError as error:
        form.add_error(None, str(error))
        return render(request, "gifts/budget_form.html", context, status=400)
    messages.success(request, _("The budget of %(period)s is set.") % {"period": saved.name})
    return redirect("gifts:budget_list")


urlpatterns = [
    path("", request_list, name="request_list"),
    path("new/", request_create, name="request_create"),
    path("<int:pk>/", request_detail, name="request_detail"),
    path("<int:pk>/decide/", request_decide, name="request_decide"),
    path("<int:pk>/send/", request_send, name="request_send"),
    path("<int:pk>/cancel/", request_cancel, name="request_cancel"),
    path("approvals/", approval_list, name="approval_list"),
    path("catalogue/", gift_list, name="gift_list"),
    path("catalogue/new/", gift_edit, name="gift_create"),
    path("catalogue/<int:pk>/", gift_edit, name="gift_edit"),
    path("budgets/", budget_list, name="budget_list"),
    path("budgets/new/", budget_edit, name="budget_create"),
    path("budgets/<int:pk>/", budget_edit, name="budget_edit"),
]
