"""The interviews' and the lounge's pages: the interview list with its filters, the interview form
(opened from the customer's page, or from the lounge board for someone waiting), one interview with all
it brought; the lounge board (who waits now and for how long, one tap when they leave, today's
appointments and repair orders to seat with one tap, a search for anyone else), one lounge visit's form.

Each view checks the right first, then calls one service; a refusal (CareError) shows the form again
as typed with the reason above it. A PermissionDenied from a service is a 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.models import FamilyMember, ServiceVisit
from dealer_crm.access import require_perm

from . import forms, selectors, services
from .models import Interview, LoungeVisit

PAGE_SIZE = 30
VIEW_INTERVIEW, VIEW_VISIT = "care.view_interview", "care.view_loungevisit"
SEARCH_MIN = 1


def _id(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


def _gift_menu() -> list:
    from events.gifts.selectors import gift_menu

    return list(gift_menu())


# --- the interview list ---------------------------------------------------------------------------------
@require_GET
def interview_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW_INTERVIEW)
    form = forms.InterviewFilterForm(request.GET or None, interviewers=list(selectors.interviewers()))
    rows = selectors.interview_list(filters=form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "care/interview_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
    })


# --- one interview --------------------------------------------------------------------------------------
@require_GET
def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, VIEW_INTERVIEW)
    get_object_or_404(Interview.objects.only("pk"), pk=pk)
    interview = selectors.interview_detail(pk=pk)
    return render(request, "care/interview_detail.html", {"interview": interview, "customer": interview.customer})


# --- the interview form ---------------------------------------------------------------------------------
def _interview_forms(request, customer, family, gifts, data=None):
    family_initial = forms.family_initial(family)
    return {
        "form": forms.InterviewForm(data, customer=customer, gifts=gifts, family=family),
        "family_forms": forms.FamilyFormSet(data, prefix="family", initial=family_initial),
        "suggestion_forms": forms.SuggestionFormSet(data, prefix="suggestion"),
        "referral_forms": forms.ReferralFormSet(data, prefix="referral"),
        "important_form": forms.ImportantForm(data, prefix="important"),
    }


def _rows(formset, names) -> list[dict]:
    return [{name: form.cleaned_data.get(name) for name in names} for form in formset.forms
            if form.cleaned_data and any(form.cleaned_data.get(name) for name in names if name != "member")]


@require_http_methods(["GET", "POST"])
def interview_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.can_interview(user):
        raise PermissionDenied
    pk = _id(request.GET.get("customer"))
    if pk is None:
        return render(request, "care/interview_create.html", {"broken_link": True}, status=400)
    customer = get_customer_for_user(user, pk)
    lounge_visit = None
    if request.GET.get("lounge"):
        lounge_visit = LoungeVisit.objects.filter(pk=_id(request.GET["lounge"]), customer=customer).first()
    family = list(FamilyMember.objects.filter(customer=customer).order_by("relation", "birthday", "id"))
    gifts = _gift_menu() if user.has_perm(services.REQUEST_GIFT) else []
    bound = _interview_forms(request, customer, family, gifts, request.POST if request.method == "POST" else None)
    context = {"customer": customer, "lounge_visit": lounge_visit, "gifts": gifts,
               "may_raise": user.has_perm(services.RAISE_PROBLEM), "may_refer": user.has_perm(services.HAND_LEAD),
               "may_gift": user.has_perm(services.REQUEST_GIFT), **bound}
    if request.method != "POST":
        return render(request, "care/interview_create.html", context)
    valid = all(item.is_valid() for item in bound.values())
    if not valid:
        context["invalid"] = True
        return render(request, "care/interview_create.html", context, status=400)
    form, family_by_pk = bound["form"], {member.pk: member for member in family}
    data = form.cleaned_data
    family_rows = []
    for row in _rows(bound["family_forms"], ("member", "relation", "name", "birthday", "note")):
        member = family_by_pk.get(row.pop("member")) if row.get("member") else None
        family_rows.append({"member": member, **row})
    important = bound["important_form"].cleaned_data
    try:
        interview = services.interview_record(
            customer=customer, by=user, place=data["place"], summary=data["summary"], file=form.file_values(),
            file_base=forms.opened_base(data["opened"]), family=family_rows,
            suggestions=_rows(bound["suggestion_forms"], ("text", "department", "category")),
            referrals=_rows(bound["referral_forms"], ("name", "mobile", "model_interest", "timing", "note")),
            gift=data.get("gift_object"), gift_quantity=data["gift_quantity"],
            gift_family_member=data.get("gift_for_object"), gift_delivery=data["gift_delivery"],
            gift_address=data["gift_address"], important=important, lounge_visit=lounge_visit)
    except services.CareError as error:
        for message in error.messages:
            form.add_error(None, message)
        # Saved again, what the user typed is written: the file as it is now becomes the form's base.
        data = request.POST.copy()
        data["opened"] = forms.opened_token(type(customer).objects.get(pk=customer.pk), forms.InterviewForm.FILE_FIELDS)
        retry = _interview_forms(request, customer, family, gifts, data)
        for item in retry.values():
            item.is_valid()
        for message in error.messages:
            retry["form"].add_error(None, message)
        context.update(retry)
        return render(request, "care/interview_create.html", context, status=400)
    messages.success(request, _("Interview %(number)s is recorded in %(name)s's file.")
                     % {"number": interview.number, "name": customer.name})
    return redirect("care:interview_detail", pk=interview.pk)


# --- the lounge board -----------------------------------------------------------------------------------
@require_GET
def lounge(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW_VISIT)
    now = timezone.now()
    today = timezone.localdate(now)
    query = (request.GET.get("q") or "").strip()[:50]
    hits, withheld = [], ""
    if query and services.can_host(request.user):
        from customers.search import customer_search_for

        outcome = customer_search_for(user=request.user, query=query)
        hits, withheld = outcome.hits[:10], outcome.phones_withheld
    waiting = selectors.lounge_waiting()
    for visit in waiting:
        visit.waited = visit.minutes_waited(now)
    return render(request, "care/lounge.html", {
        "waiting": waiting, "left": selectors.lounge_left_on(day=today),
        "expected": selectors.lounge_expected(day=today) if services.can_host(request.user) else [],
        "query": query, "hits": hits, "withheld": withheld, "now": now, "today": today,
        "can_host": services.can_host(request.user), "can_change": services.can_change_visit(request.user),
        "can_interview": services.can_interview(request.user),
    })


@require_POST
def lounge_arrive(request: HttpRequest) -> HttpResponse:
    if not services.can_host(request.user):
        raise PermissionDenied
    form = forms.ArriveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who arrived."))
        return redirect("care:lounge")
    data = form.cleaned_data
    customer = get_customer_for_user(request.user, data["customer"])
    appointment = service_visit = None
    if data.get("appointment"):
        from followups.appointments.models import Appointment

        appointment = Appointment.objects.select_related("visit", "vehicle").filter(pk=data["appointment"]).first()
    if data.get("service_visit"):
        service_visit = ServiceVisit.objects.select_related("vehicle").filter(pk=data["service_visit"]).first()
    try:
        visit = services.lounge_arrive(customer=customer, by=request.user, appointment=appointment,
                                       service_visit=service_visit)
    except services.CareError as error:
        messages.error(request, str(error))
        return redirect("care:lounge")
    messages.success(request, _("%(name)s is waiting in the lounge.") % {"name": customer.name})
    if request.POST.get("next") == "visit":
        return redirect("care:lounge_visit", pk=visit.pk)
    return redirect("care:lounge")


@require_POST
def lounge_leave(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_change_visit(request.user):
        raise PermissionDenied
    visit = get_object_or_404(LoungeVisit.objects.select_related("customer"), pk=pk)
    try:
        visit = services.lounge_leave(visit=visit, by=request.user)
    except services.CareError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s left after %(minutes)d minutes.")
                         % {"name": visit.customer.name, "minutes": visit.minutes_waited()})
    return redirect("care:lounge")


@require_http_methods(["GET", "POST"])
def lounge_visit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, VIEW_VISIT)
    get_object_or_404(LoungeVisit.objects.only("pk"), pk=pk)
    visit = selectors.lounge_visit_detail(pk=pk)
    can_change = services.can_change_visit(request.user)
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    form = forms.LoungeVisitForm(request.POST if request.method == "POST" else None, visit=visit)
    context = {"visit": visit, "customer": visit.customer, "form": form, "can_change": can_change,
               "now": timezone.now(), "can_interview": services.can_interview(request.user)}
    if request.method != "POST":
        return render(request, "care/loungevisit_form.html", context)
    if not form.is_valid():
        return render(request, "care/loungevisit_form.html", context, status=400)
    data = form.cleaned_data
    try:
        services.lounge_visit_update(visit=visit, by=request.user, offered=data["offered"],
                                     offered_note=data["offered_note"], needs=data["needs"], note=data["note"],
                                     file=form.file_values(), file_base=forms.opened_base(data["opened"]))
    except services.CareError as error:
        retry_data = request.POST.copy()
        retry_data["opened"] = forms.opened_token(type(visit.customer).objects.get(pk=visit.customer_id),
                                                  forms.LoungeVisitForm.FILE_FIELDS)
        form = forms.LoungeVisitForm(retry_data, visit=visit)
        form.is_valid()
        for message in error.messages:
            form.add_error(None, message)
        context["form"] = form
        return render(request, "care/loungevisit_form.html", context, status=400)
    messages.success(request, _("Saved: what %(name)s was offered and what you learned.") % {"name": visit.customer.name})
    return redirect("care:lounge")


urlpatterns = [
    path("interviews/", interview_list, name="interview_list"),
    path("interviews/new/", interview_create, name="interview_create"),
    path("interviews/<int:pk>/", interview_detail, name="interview_detail"),
    path("lounge/", lounge, name="lounge"),
    path("lounge/arrive/", lounge_arrive, name="lounge_arrive"),
    path("lounge/<int:pk>/", lounge_visit, name="lounge_visit"),
    path("lounge/<int:pk>/left/", lounge_leave, name="lounge_leave"),
]
