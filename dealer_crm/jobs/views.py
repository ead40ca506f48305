from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.access import require_perm

from .registry import registered_jobs
from .selectors import job_runs
from .tasks import run_daily_jobs_task

PAGE_SIZE = 50


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "jobs.view_jobrun")
    page = Paginator(job_runs(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/jobrun_list.html",
        {
            "page": page,
            "jobs": registered_jobs(),
            "today": timezone.localdate(),
            "can_run": request.user.has_perm("jobs.run_daily_jobs"),
        },
    )


@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """Queue today's daily jobs on the worker; they are idempotent, so a second click is harmless."""
    require_perm(request.user, "jobs.run_daily_jobs")
    today = timezone.localdate()
    transaction.on_commit(lambda: run_daily_jobs_task.delay(today.isoformat()))
    messages.success(request, _("Today's daily jobs were queued. Refresh in a moment to see the result."))
    return redirect("jobs:run_list")
