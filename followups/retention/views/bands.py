"""The lapse bands (流失分级): how many months without a visit make a customer lapsed, and whether
crossing the band queues a win-back call. A band is switched off, never deleted (its lapses keep
it); a change counts for the lapse job's next run."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dealer_crm.access import get_for_user, require_perm

from ..forms import LapseBandForm
from ..models import Lapse, LapseBand

VIEW, ADD, CHANGE = "retention.view_lapseband", "retention.add_lapseband", "retention.change_lapseband"


@require_GET
def band_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    bands = LapseBand.objects.annotate(open=Count("lapses", filter=Q(lapses__status=Lapse.Status.OPEN))).order_by("months")
    return render(request, "retention/band_list.html", {"bands": list(bands)})


@require_http_methods(["GET", "POST"])
def band_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        require_perm(request.user, ADD)
        band = LapseBand()
    else:
        require_perm(request.user, VIEW)
        band = get_for_user(request.user, LapseBand.objects.all(), perm=CHANGE, pk=pk)
    form = LapseBandForm(request.POST or None, instance=band)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The band “%(name)s” is saved. The lapse job uses it from its next run.")
                         % {"name": form.instance.name})
        return redirect("retention:band_list")
    return render(request, "retention/band_form.html", {"form": form, "band": band},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("bands/", band_list, name="band_list"),
    path("bands/new/", band_edit, name="band_create"),
    path("bands/<int:pk>/", band_edit, name="band_edit"),
]
