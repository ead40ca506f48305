"""Lapsed customers (流失客户): the list by band, each with what is known of why they stopped coming
(their last visit, its problems and CSI score, their complaints, the reasons recorded) and the
win-back call's state; and recording a reason. A sold or scrapped car asks which car, then asks
to confirm (it ends the owner's role and stops that car's reminders) before the service runs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dealer_crm.access import require_perm
from dealer_crm.paging import uncounted_page

from .. import selectors, services
from ..forms import LapseFilterForm, LapseReasonForm
from ..models import Lapse, LapseReason

VIEW, ADD_REASON = "retention.view_lapse", "retention.add_lapsereason"
PAGE_SIZE = 30


def get_lapse_for_user(user, pk: int, *, perm: str = VIEW) -> Lapse:
    """The lapse with its customer, band and win-back call: 403 without the right to read lapses
    or without `perm` (before anything is looked up), 404 for no such lapse."""
    require_perm(user, VIEW)
    require_perm(user, perm)
    return get_object_or_404(Lapse.objects.select_related("customer", "band", "callback", "callback__assigned_to"),
                             pk=pk)


@require_GET
def lapse_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    form = LapseFilterForm(request.GET or None)
    band_id, status, name = form.chosen()
    bands, all_count = selectors.lapse_bands_with_counts(status=status)
    if band_id is not None and band_id not in {band.pk for band in bands}:
        band_id = None
    rows = selectors.lapse_list(band_id=band_id, status=status, name=name)
    # The tabs have counted the band's (or every band's) customers already: counted again only for a name.
    count = rows.count() if name else next((band.count for band in bands if band.pk == band_id), all_count)
    page = uncounted_page(rows, request.GET.get("page"), per_page=PAGE_SIZE, rows=count)
    selectors.lapse_context(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("band", None)
    can_record = request.user.has_perm(ADD_REASON)
    return render(request, "retention/lapse_list.html", {
        "form": form, "bands": bands, "band_id": band_id, "status": status, "page": page, "count": count,
        "all_count": all_count,
        "query": query.urlencode(), "tab_query": tab_query.urlencode(),
        "query_items": [(key, value) for key, values in query.lists() for value in values],
        "filtered": bool(name) or band_id is not None or status != Lapse.Status.OPEN, "can_record": can_record,
        # each row's reason form: the way back to this page, the reasons, the note's length
        "next_url": request.get_full_path(), "reason_choices": LapseReason.Reason.choices,
        "note_max": LapseReason._meta.get_field("note").max_length,
    })


def _next(request: HttpRequest, value: str) -> str:
    """Back to the list the form was sent from (its filters and page), never elsewhere."""
    home = reverse("retention:lapse_list")
    if value and value.startswith(home) and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return home


@require_http_methods(["GET", "POST"])
def lapse_reason_add(request: HttpRequest, pk: int) -> HttpResponse:
    lapse = get_lapse_for_user(request.user, pk, perm=ADD_REASON)
    selectors.lapse_context([lapse])
    form = LapseReasonForm(request.POST or None, vehicles=lapse.vehicles,
                           initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form.needs_confirmation:
            return render(request, "retention/lapse_reason_confirm.html", {
                "lapse": lapse, "form": form, "vehicle": data["vehicle"], "reason": data["reason"],
                "reason_label": dict(form.fields["reason"].choices)[data["reason"]],
            })
        try:
            services.lapse_reason_record(customer=lapse.customer, reason=data["reason"], by=request.user,
                                         note=data["note"], vehicle=data.get("vehicle"), lapse=lapse)
        except ValidationError as error:
            # The service says which field it refuses (a car the customer no longer owns): shown there.
            errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            for name, words in errors.items():
                form.add_error(name if name in form.fields else None, words)
        else:
            messages.success(request, _("The reason is recorded for %(name)s.") % {"name": lapse.customer.name})
            return redirect(_next(request, data.get("next") or ""))
    return render(request, "retention/lapse_reason_form.html", {"lapse": lapse, "form": form},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("lapses/", lapse_list, name="lapse_list"),
    path("lapses/<int:pk>/reason/", lapse_reason_add, name="lapse_reason_add"),
]
