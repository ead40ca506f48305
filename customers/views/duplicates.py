from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import require_perm

from .. import selectors, services
from ..access import get_duplicate_for_user
from ..forms import MergeForm
from ..models import DuplicateCandidate


@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.merge_customer")
    page = Paginator(selectors.open_duplicates(), 50).get_page(request.GET.get("page"))
    return render(request, "customers/duplicate_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_duplicate_for_user(request.user, pk)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        messages.info(request, _("This pair was already handled."))
        return redirect("customers:duplicates")
    first = selectors.customer_detail(pk=candidate.first_id)
    second = selectors.customer_detail(pk=candidate.second_id)
    form = MergeForm(request.POST or None, first=first, second=second)
    if request.method == "POST" and form.is_valid():
        survivor, duplicate = form.survivor_and_duplicate()
        try:
            services.customer_merge(survivor=survivor, duplicate=duplicate, by=request.user)
        except services.ArchiveError as error:
            messages.error(request, str(error))
            return redirect("customers:duplicates")
        messages.success(request, _("Merged: everything of #%(old)s is now on this customer.") % {"old": duplicate.pk})
        return redirect("customers:detail", pk=survivor.pk)
    return render(request, "customers/duplicate_merge.html", {
        "candidate": candidate, "form": form, "pair": [first, second],
        "comparison": selectors.merge_comparison(first, second)})


@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_duplicate_for_user(request.user, pk)
    services.duplicate_dismiss(candidate=candidate, by=request.user)
    messages.success(request, _("Marked as two different customers."))
    return redirect("customers:duplicates")
