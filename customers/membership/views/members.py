"""Members (会员): the list (by tier, by name, mobile ending or HY number, with their balances, last
paid visit and when their points expire), one member's page (the customer, the tier with its
benefits and how far the next one is, the two balances, the statement with its running balance,
the points that will expire and when), enrolling a customer (入会, confirmed first), redeeming points
(a reward and a quantity; the balance after is shown before confirming), and the supervisor's
correction (points and a note).

Every change is one call of customers.membership.services; a refusal (a ValidationError: the
balance or the stock is short, the customer is a member already) comes back in the form with what
was typed. Phone endings follow the archive's search rules (customers.search.customer_search_for):
only who may reveal numbers searches by one, audited and limited per hour."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.access import get_customer_for_user
from customers.phone_privacy import (PHONE_ENDING, phone_search_limit_reached, phone_search_record,
                                     whole_number_check_allowed)
from dealer_crm.access import require_perm
from dealer_crm.paging import sort_headers

from .. import selectors
from ..forms import SORTS, AdjustForm, MemberFilterForm, RedeemForm
from ..models import Member, Tier
from .display import EXPIRING_SOON_DAYS, add_months, benefit_lines, expires_on, expiring_soon, tier_progress

VIEW, ENROL, REDEEM, ADJUST = ("membership.view_member", "membership.add_member", "membership.redeem_points",
                               "membership.adjust_points")
PAGE_SIZE = 30
STATEMENT_PAGE_SIZE = 20
ORDER_FIELDS = {
    "number": ("id",), "-number": ("-id",),
    "usable": ("usable", "id"), "-usable": ("-usable", "-id"),
    "cumulative": ("cumulative", "id"), "-cumulative": ("-cumulative", "-id"),
    "visit": (F("last_paid_visit_on").asc(nulls_first=True), "id"),
    "-visit": (F("last_paid_visit_on").desc(nulls_last=True), "-id"),
    "expires": (F("last_paid_visit_on").asc(nulls_last=True), "id"),
    "-expires": (F("last_paid_visit_on").desc(nulls_last=True), "-id"),
}


# --- access -----------------------------------------------------------------------------------------
def get_member_for_user(user, pk: int, *, perm: str = VIEW) -> Member:
    """The member with their customer and tier: 403 without the right to read members or without
    `perm` (before anything is looked up), 404 for no such member."""
    require_perm(user, VIEW)
    require_perm(user, perm)
    return get_object_or_404(Member.objects.select_related("customer", "tier"), pk=pk)


# --- the list ---------------------------------------------------------------------------------------
def _members(*, form: MemberFilterForm, filters: dict, today: date):
    """The members the filters ask for (selectors.members_list), expiring soon if asked, in the order asked."""
    tier = filters["tier"]
    rows = selectors.members_list(query=filters["query"], tier=tier)
    if filters["expiring"]:
        # usable > 0 and the last paid visit long enough ago: the partial index member_expiry_idx
        since = add_months(today + timedelta(days=EXPIRING_SOON_DAYS), -settings.POINTS_EXPIRY_MONTHS)
        rows = rows.filter(Q(last_paid_visit_on__lte=since)
                           | Q(last_paid_visit_on__isnull=True, joined_on__lte=since), usable__gt=0)
    return rows.order_by(*ORDER_FIELDS.get(filters["order"], ORDER_FIELDS["-number"]))


def _phone_allowed(request: HttpRequest, filters: dict) -> bool:
    """Whether the phone look-up the search asks for may run (the archive search's rules); a refusal
    is said in a message."""
    user = request.user
    if filters["mobile"]:
        if whole_number_check_allowed(user=user, number=filters["mobile"], via="member_list"):
            return True
        messages.error(request, _("Too many searches by phone number in the last hour: try again later, "
                                  "or search by name."))
        return False
    if filters["ending"]:
        if not user.has_perm("customers.reveal_phone"):
            messages.error(request, _("Searching by a mobile's ending needs the right to see whole numbers: "
                                      "search by name, whole mobile or HY number."))
            return False
        if phone_search_limit_reached(user=user):
            messages.error(request, _("Too many searches by phone number in the last hour: try again later, "
                                      "or search by name."))
            return False
        phone_search_record(user=user, match=[PHONE_ENDING], digits=len(filters["ending"]), via="member_list")
    return True


@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    today = timezone.localdate()
    tiers = list(Tier.objects.order_by("threshold"))
    form = MemberFilterForm(request.GET or None, tiers=tiers)
    filters = form.filters()
    rows = _members(form=form, filters=filters, today=today)
    if not _phone_allowed(request, filters):
        rows = rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for member in page.object_list:
        member.expires_on = expires_on(member)
        member.expiring = expiring_soon(member.expires_on, today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "membership/member_list.html", {
        "form": form, "page": page, "today": today, "query": query.urlencode(), "tiers": tiers,
        "sort_headers": sort_headers(query, columns=SORTS, current=filters["order"]),
        "filtered": any(value for name, value in request.GET.items() if name not in ("page", "order")),
        "expiry_months": settings.POINTS_EXPIRY_MONTHS, "soon_days": EXPIRING_SOON_DAYS,
    })


# --- one member -------------------------------------------------------------------------------------
@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    today = timezone.localdate()
    tiers = list(Tier.objects.order_by("threshold"))
    statement = selectors.member_statement(member=member)
    page = Paginator(statement.entries, STATEMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    forecast = selectors.points_expiry(member=member)  # as the expiry job will run
    expiry, expiring_points = forecast.on, forecast.points
    return render(request, "membership/member_detail.html", {
        "member": member, "customer": member.customer, "page": page, "totals": statement.totals, "today": today,
        "expiring_points": expiring_points, "later_points": member.usable - expiring_points if expiry else 0,
        "progress": tier_progress(member, tiers), "benefits": benefit_lines(member.tier), "tiers": tiers,
        "expires_on": expiry, "expiring": expiring_soon(expiry, today),
        "expiry_months": settings.POINTS_EXPIRY_MONTHS,
        "can_redeem": request.user.has_perm(REDEEM) and member.status == Member.Status.ACTIVE,
        "can_adjust": request.user.has_perm(ADJUST),
    })


# --- enrolling --------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def member_enrol(request: HttpRequest, customer_pk: int) -> HttpResponse:
    require_perm(request.user, VIEW)
    customer = get_customer_for_user(request.user, customer_pk)
    require_perm(request.user, ENROL)
    already = Member.objects.filter(customer=customer, status=Member.Status.ACTIVE).only("pk").first()
    if already is not None:
        messages.info(request, _("%(name)s is a member already.") % {"name": customer.name})
        return redirect("membership:member_detail", pk=already.pk)
    error = ""
    if request.method == "POST":
        from .. import services

        try:
            member = services.member_enrol(customer=customer, by=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, _("%(name)s is a member: card number %(number)s.")
                             % {"name": customer.name, "number": member.number})
            return redirect("membership:member_detail", pk=member.pk)
    return render(request, "membership/member_enrol.html", {
        "customer": customer, "tiers": list(Tier.objects.order_by("threshold")), "error": error,
    }, status=400 if error else 200)


# --- redeeming --------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def points_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """A reward and a quantity; sent once, the page asks to confirm with the balance after; confirmed,
    the service takes the points (and the accessory from stock). A refusal shows the form again."""
    member = get_member_for_user(request.user, pk, perm=REDEEM)
    if member.status != Member.Status.ACTIVE:
        raise PermissionDenied
    rewards = selectors.rewards_offered()
    initial = {"reward": request.GET["reward"]} if request.GET.get("reward", "").isdigit() else {}
    form = RedeemForm(request.POST or None, rewards=rewards, initial=initial)
    context = {"member": member, "customer": member.customer, "form": form}
    if request.method != "POST" or request.POST.get("back"):  # the confirmation's 返回修改: as typed
        context["rewards"] = list(rewards)
        return render(request, "membership/points_redeem.html", context)
    if form.is_valid():
        reward, quantity = form.cleaned_data["reward"], form.cleaned_data["quantity"]
        cost = form.cost()
        after = member.usable - cost
        if after < 0:
            form.add_error(None, _("Not enough points: %(cost)s needed, %(usable)s usable.")
                           % {"cost": cost, "usable": member.usable})
        elif reward.stock is not None and reward.stock < quantity:
            form.add_error("quantity", _("Only %(stock)s left in stock.") % {"stock": reward.stock})
        elif not form.cleaned_data["confirmed"]:
            context.update({"reward": reward, "quantity": quantity, "cost": cost, "after": after})
            return render(request, "membership/points_redeem_confirm.html", context)
        else:
            from .. import services

            try:
                services.points_redeem(member=member, reward=reward, quantity=quantity, by=request.user,
                                       note=form.cleaned_data["note"])
            except ValidationError as refused:
                form.add_error(None, refused.messages)
            else:
                member.refresh_from_db(fields=["usable"])
                messages.success(request, _("Redeemed: %(quantity)s × %(reward)s for %(cost)s points; "
                                            "%(usable)s points left.")
                                 % {"quantity": quantity, "reward": reward.name, "cost": cost, "usable": member.usable})
                return redirect("membership:member_detail", pk=member.pk)
    context["rewards"] = list(rewards)
    return render(request, "membership/points_redeem.html", context, status=400)


# --- the supervisor's correction ---------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def points_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk, perm=ADJUST)
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        points, note = form.cleaned_data["points"], form.cleaned_data["note"]
        if member.usable + points < 0:
            form.add_error("points", _("The usable balance is %(usable)s: at most %(usable)s points can be taken off.")
                           % {"usable": member.usable})
        else:
            from .. import services

            try:
                services.points_adjust(member=member, points=points, by=request.user, note=note)
            except ValidationError as refused:
                form.add_error(None, refused.messages)
            else:
                member.refresh_from_db(fields=["usable"])
                messages.success(request, _("The correction of %(points)+d points is recorded; "
                                            "%(usable)s points usable.")
                                 % {"points": points, "usable": member.usable})
                return redirect("membership:member_detail", pk=member.pk)
    return render(request, "membership/points_adjust.html", {"member": member, "customer": member.customer,
                                                             "form": form},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("", member_list, name="member_list"),
    path("<int:pk>/", member_detail, name="member_detail"),
    path("<int:pk>/redeem/", points_redeem, name="points_redeem"),
    path("<int:pk>/correct/", points_adjust, name="points_adjust"),
    path("enrol/<int:customer_pk>/", member_enrol, name="member_enrol"),
]
