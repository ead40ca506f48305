from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm

from ..search import CJK, customer_search_for


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.view_customer")
    query = request.GET.get("q", "").strip()[:50]
    too_short = bool(query) and len(query) < 2 and not CJK.search(query)  # one 王 is a search; one "1" is not
    outcome = customer_search_for(user=request.user, query=query) if query and not too_short else None
    # A whole number, plate or VIN typed and sent: one customer has it, so open them. The live results
    # (htmx) stay a list, or typing would jump away from the box.
    if outcome and not request.htmx and len(outcome.hits) == 1 and outcome.hits[0].opens_directly:
        return redirect("customers:detail", outcome.hits[0].customer.pk)
    template = "customers/partials/search_results.html" if request.htmx else "customers/search.html"
    return render(request, template, {
        "query": query, "search_query": query, "too_short": too_short,
        "hits": outcome.hits if outcome else [], "phones_withheld": outcome.phones_withheld if outcome else "",
        "phone_limit": settings.PHONE_SEARCHES_PER_HOUR})
