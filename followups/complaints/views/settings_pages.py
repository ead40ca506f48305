"""The complaints' settings, for the DCRC supervisor: the severities (how soon each must be first
contacted and solved, on which clock, when the warning comes) and the store's own calendar days
(a closed Monday, an open Sunday, or next year's holidays and make-up working days 调休 before
chinese-calendar knows them). A change counts for the complaints registered or reclassified after
it: the deadlines already set are moments, not rules.
"""

from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import get_for_user, require_perm

from ..clock import StoreClock
from ..forms import SeverityForm, StoreDayForm
from ..models import Severity, StoreDay

VIEW_SEVERITY, CHANGE_SEVERITY, ADD_SEVERITY = (
    "complaints.view_severity", "complaints.change_severity", "complaints.add_severity")
VIEW_DAY, ADD_DAY, CHANGE_DAY, DELETE_DAY = (
    "complaints.view_storeday", "complaints.add_storeday", "complaints.change_storeday", "complaints.delete_storeday")


# --- severities -----------------------------------------------------------------------------------
@require_GET
def severity_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW_SEVERITY)
    return render(request, "complaints/severity_list.html", {
        "severities": list(Severity.objects.order_by("-rank", "code")),
    })


@require_http_methods(["GET", "POST"])
def severity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        require_perm(request.user, ADD_SEVERITY)
        severity = Severity()
    else:
        severity = get_for_user(request.user, Severity.objects.all(), perm=CHANGE_SEVERITY, pk=pk)
    form = SeverityForm(request.POST or None, instance=severity)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The severity “%(name)s” is saved. Complaints registered from now on get "
                                    "its deadlines.") % {"name": form.instance.name})
        return redirect("complaints:severity_list")
    return render(request, "complaints/severity_form.html", {"form": form, "severity": severity},
                  status=400 if request.method == "POST" else 200)


# --- the store's calendar -------------------------------------------------------------------------
def _uncovered_years(today: date) -> list[int]:
    """This year and next, where chinese-calendar does not know them (the working clock then counts
    Monday to Friday unless the store enters that year's days)."""
    clock = StoreClock(working=True)
    return [year for year in (today.year, today.year + 1) if not clock.covered(date(year, 1, 1))]


@require_http_methods(["GET", "POST"])
def storeday_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW_DAY)
    today = timezone.localdate()
    can_add = request.user.has_perm(ADD_DAY) and request.user.has_perm(CHANGE_DAY)
    form = StoreDayForm(request.POST or None) if can_add else None
    if request.method == "POST":
        if form is None:
            require_perm(request.user, ADD_DAY)  # refuses
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                day, created = StoreDay.objects.update_or_create(
                    day=data["day"], defaults={"is_workday": data["is_workday"], "note": data["note"]})
            words = {"day": date_format(day.day, "Y-m-d")}
            messages.success(request, (_("%(day)s is entered.") if created else _("%(day)s is changed.")) % words)
            return redirect("complaints:storeday_list")
    days = list(StoreDay.objects.filter(day__gte=date(today.year - 1, 1, 1)).order_by("day"))
    return render(request, "complaints/storeday_list.html", {
        "form": form, "days": days, "today": today, "uncovered": _uncovered_years(today),
        "earlier": StoreDay.objects.filter(day__lt=date(today.year - 1, 1, 1)).count(),
        "can_delete": request.user.has_perm(DELETE_DAY),
    }, status=400 if request.method == "POST" else 200)


@require_POST
def storeday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_for_user(request.user, StoreDay.objects.all(), perm=DELETE_DAY, pk=pk)
    day.delete()
    messages.success(request, _("%(day)s follows the official calendar again.") % {"day": date_format(day.day, "Y-m-d")})
    return redirect("complaints:storeday_list")


urlpatterns = [
    path("severities/", severity_list, name="severity_list"),
    path("severities/new/", severity_edit, name="severity_create"),
    path("severities/<int:pk>/", severity_edit, name="severity_edit"),
    path("calendar/", storeday_list, name="storeday_list"),
    path("calendar/<int:pk>/delete/", storeday_delete, name="storeday_delete"),
]
