"""A department manager's inbox (我的待办): the problems routed to their departments and the
complaints on their desk, in one list by deadline — the late first — each row saying which it is.
The supervisor's and the general manager's hold what their problem inbox and complaint list hold."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm
from dealer_crm.paging import UncountedPage, page_number

from .. import selectors

HANDLE = "complaints.handle_complaint"
PAGE_SIZE = 30
MAX_INBOX_PAGE = 100  # 3,000 rows deep: far past any real desk, and each page reads its rows again


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, HANDLE)
    now = timezone.now()
    number, _last = page_number(request.GET.get("page"), per_page=PAGE_SIZE)
    number = min(number, MAX_INBOX_PAGE)
    rows, has_next = selectors.inbox(user=request.user, page=number, per_page=PAGE_SIZE, now=now)
    page = UncountedPage(object_list=rows, number=number, has_next=has_next and number < MAX_INBOX_PAGE,
                         per_page=PAGE_SIZE)
    return render(request, "complaints/inbox.html", {
        "page": page, "now": now, "counts": selectors.inbox_counts(user=request.user, now=now),
        "query": "", "query_items": [],
        "departments": selectors.managed_departments(request.user),
        "sees_every_complaint": selectors.sees_every_complaint(request.user),
        "sees_problems": request.user.has_perm("callbacks.view_problem"),
    })


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
]
