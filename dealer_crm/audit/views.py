from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm

from .access import get_audit_event_for_user
from .forms import AuditFilterForm
from .selectors import audit_events

PAGE_SIZE = 50


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "audit.view_auditevent")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events(
        action=filters.get("action", ""),
        actor_id=filters["actor"].pk if filters.get("actor") else None,
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "audit/partials/event_table.html" if request.htmx else "audit/event_list.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_audit_event_for_user(request.user, pk)
    return render(request, "audit/event_detail.html", {"event": event})
