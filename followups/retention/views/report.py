"""The retention results (招揽转化): reminders made and converted by month and kind, by channel and
by service advisor; the first-maintenance rate by delivery month; the lapsed customers who came back."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm
from dealer_crm.exports import FORMATS

from .. import exports, selectors
from ..forms import ReportForm

VIEW, VIEW_LAPSE, EXPORT = "retention.view_reminder", "retention.view_lapse", "customers.export_customers"


def _report(request: HttpRequest):
    """The report for the months asked for, or None when they are not valid; and the form."""
    today = timezone.localdate()
    form = ReportForm(request.GET or None, today=today)
    period = form.period()
    if period is None:
        return None, form, ""
    start, end, kind = period
    return selectors.conversion_report(start=start, end=end, kind=kind, today=today,
                                       lapses=request.user.has_perm(VIEW_LAPSE)), form, kind


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    result, form, _kind = _report(request)
    return render(request, "retention/report.html", {
        "form": form, "report": result, "can_export": request.user.has_perm(EXPORT),
        "query": request.GET.urlencode(),
    }, status=200 if result is not None else 400)


@require_GET
def report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The report's tables for the same months and kind, as xlsx or CSV (the lapses' only for who reads them)."""
    require_perm(request.user, VIEW)
    require_perm(request.user, EXPORT)
    if fmt not in FORMATS:
        raise Http404
    result, _form, kind = _report(request)
    if result is None:
        messages.error(request, _("Correct the months before exporting."))
        return redirect(reverse("retention:report") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    return exports.report_export(report=result, kind=kind, fmt=fmt, by=request.user)


urlpatterns = [
    path("report/", report, name="report"),
    path("report/export/<str:fmt>/", report_export, name="report_export"),
]
