"""The CRM's import pages: the import history, the upload, the check's preview, confirming, progress
and the invalid-rows download. Thin views: each checks the right, then calls one of `batches`."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import get_for_user, require_perm

from . import batches
from .forms import ImportUploadForm
from .models import ImportBatch
from .reading import ImportFileError
from .services import MAX_INVALID_ROWS_KEPT

VIEW, ADD = "imports.view_importbatch", "imports.add_importbatch"
PAGE_SIZE = 50
ERRORS_SHOWN = 200


def import_history(*, kind: str = "", status: str = "") -> QuerySet[ImportBatch]:
    """The batches, newest first, with their four counts read out of the reports by the database:
    a report can hold thousands of invalid rows, which the list has no use for."""
    counts = {f"count_{name}": Coalesce(KT(f"result__{name}"), KT(f"preview__{name}"))
              for name in ("created", "updated", "unchanged", "invalid")}
    history = ImportBatch.objects.defer("content", "preview", "result").select_related("created_by").annotate(**counts)
    if kind:
        history = history.filter(kind=kind)
    if status:
        history = history.filter(status=status)
    return history


def _get_batch_for_user(user, pk: int, *, perm: str = VIEW, reports: bool = True, look: bool = False) -> ImportBatch:
    """The batch, without its file (up to 50 MB; pages never need it) — nor its reports, for the
    progress bar that polls every second. Looked at (`look`), a stalled run is marked interrupted."""
    found = ImportBatch.objects.select_related("created_by", "confirmed_by").defer("content")
    if not reports:
        found = found.defer("preview", "result")
    batch = get_for_user(user, found, perm=perm, pk=pk)
    if look and batches.import_batch_fail_if_stalled(batch=batch):
        batch = get_for_user(user, found, perm=perm, pk=pk)
    return batch


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    kind = request.GET.get("kind", "") if request.GET.get("kind") in ImportBatch.Kind.values else ""
    status = request.GET.get("status", "") if request.GET.get("status") in ImportBatch.Status.values else ""
    page = Paginator(import_history(kind=kind, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "imports/batch_list.html", {
        "page": page, "query": query.urlencode(), "kind": kind, "status": status,
        "kinds": ImportBatch.Kind.choices, "statuses": ImportBatch.Status.choices,
        "can_upload": request.user.has_perm(ADD),
    })


@require_http_methods(["GET", "POST"])
def batch_upload(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in ImportBatch.Kind.values else {}
    form = ImportUploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = batches.import_batch_upload(kind=form.cleaned_data["kind"], filename=upload.name,
                                                content=upload.read(), by=request.user)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            messages.info(request, _("The file is being checked. Nothing is imported before you confirm."))
            return redirect("imports:batch_detail", batch.pk)
    recent = ImportBatch.objects.defer("content", "preview", "result").select_related("created_by")[:5]
    return render(request, "imports/batch_upload.html", {"form": form, "recent": recent})


@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for_user(request.user, pk, look=True)
    report = batch.report or {}
    errors = report.get("errors", [])
    kept, listed = len(report.get("invalid_rows") or []), len({error["row"] for error in errors})
    return render(request, "imports/batch_detail.html", {
        "batch": batch, "report": report, "errors": errors[:ERRORS_SHOWN],
        "more_errors": max(len(errors) - ERRORS_SHOWN, 0),
        "download_capped": kept >= MAX_INVALID_ROWS_KEPT and listed > kept,
        "can_upload": request.user.has_perm(ADD),
        "can_confirm": request.user.has_perm(ADD) and batch.status == ImportBatch.Status.CHECKED,
        "nothing_to_write": not any(report.get(name) for name in ("created", "updated", "failed_rows")),
    })


@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by the page; when the batch has moved on, the page reloads."""
    batch = _get_batch_for_user(request.user, pk, reports=False, look=True)
    response = render(request, "imports/partials/batch_progress.html", {"batch": batch})
    if not batch.is_running:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for_user(request.user, pk, perm=ADD)
    try:
        batches.import_batch_confirm(batch=batch, by=request.user)
    except ImportFileError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _("Importing. You can leave this page: the import goes on and its result stays "
                                 "in the import history."))
    return redirect("imports:batch_detail", pk)


@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for_user(request.user, pk, perm=ADD)
    try:
        batches.import_batch_cancel(batch=batch, by=request.user)
    except ImportFileError as error:
        messages.error(request, str(error))
        return redirect("imports:batch_detail", pk)
    messages.info(request, _("Cancelled: nothing was imported."))
    return redirect("imports:batch_list")


@require_GET
def batch_invalid_rows(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for_user(request.user, pk)
    if not (batch.report or {}).get("invalid_rows"):
        raise Http404
    return batches.import_batch_invalid_rows(batch=batch, by=request.user)


@require_http_methods(["GET", "HEAD", "POST"])
def old_admin_page(request: HttpRequest, pk: int | None = None, page: str = "") -> HttpResponse:
    """An address of the admin's former import pages: the CRM's page for the same thing (a POST to
    the old confirm or cancel lands on the batch's page, which asks again)."""
    if pk is not None:
        return redirect("imports:batch_invalid_rows" if page == "invalid-rows" else "imports:batch_detail", pk)
    if page == "add":
        target, names = reverse("imports:batch_upload"), {"kind": "kind"}
    else:
        target, names = reverse("imports:batch_list"), {"kind__exact": "kind", "status__exact": "status"}
    query = urlencode({ours: request.GET[theirs] for theirs, ours in names.items() if request.GET.get(theirs)})
    return redirect(f"{target}?{query}" if query else target)
