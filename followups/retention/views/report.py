"""The retention results (招揽转化): reminders made and converted by month and kind, by channel and
by service advisor; the first-maintenance rate by delivery month; the lapsed customers who came back."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm

from .. import selectors
from ..forms import ReportForm

VIEW, VIEW_LAPSE = "retention.view_reminder", "retention.view_lapse"


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    today = timezone.localdate()
    form = ReportForm(request.GET or None, today=today)
    period = form.period()
    result = None
    if period is not None:
        start, end, kind = period
        result = selectors.conversion_report(start=start, end=end, kind=kind, today=today,
                                             lapses=request.user.has_perm(VIEW_LAPSE))
    return render(request, "retention/report.html", {"form": form, "report": result, "today": today},
                  status=200 if period is not None else 400)


urlpatterns = [
    path("report/", report, name="report"),
]
