"""Imports in the admin: the import history is the list; uploading, the check's preview, confirming,
progress and the invalid-rows download are its pages. Every state change calls `batches`."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import batches
from .forms import ImportUploadForm
from .models import ImportBatch
from .reading import ImportFileError
from .services import MAX_INVALID_ROWS_KEPT


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "filename", "kind", "status", "counts", "created_by", "created_at", "finished_at"]
    list_display_links = ["id", "filename"]
    list_filter = ["kind", "status"]
    search_fields = ["filename"]
    list_select_related = ["created_by"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("new / updated / unchanged / invalid"))
    def counts(self, batch: ImportBatch) -> str:
        if batch.count_created is None:
            return "—"
        return f"{batch.count_created} / {batch.count_updated} / {batch.count_unchanged} / {batch.count_invalid}"

    def get_queryset(self, request):
        # The four counts are read out of the reports by the database: a report can hold thousands
        # of invalid rows, which the list has no use for.
        counts = {f"count_{name}": Coalesce(KT(f"result__{name}"), KT(f"preview__{name}"))
                  for name in ("created", "updated", "unchanged", "invalid")}
        return super().get_queryset(request).defer("content", "preview", "result").annotate(**counts)

    def has_change_permission(self, request, obj=None):
        return False  # batches change only through upload, confirm and cancel

    def has_delete_permission(self, request, obj=None):
        return False  # the history of imports is kept

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", wrap(self.progress_view), name="imports_importbatch_progress"),
            path("<int:pk>/confirm/", wrap(require_POST(self.confirm_view)), name="imports_importbatch_confirm"),
            path("<int:pk>/cancel/", wrap(require_POST(self.cancel_view)), name="imports_importbatch_cancel"),
            path("<int:pk>/invalid-rows/", wrap(self.invalid_rows_view), name="imports_importbatch_invalid_rows"),
            *super().get_urls(),
        ]

    def _batch(self, request: HttpRequest, pk, *, write: bool = False, reports: bool = True,
               look: bool = False) -> ImportBatch:
        """The batch, without its file (up to 50 MB; pages never need it) — nor its reports, for the
        progress bar that polls every second. Looked at (`look`), a stalled run is marked interrupted."""
        if not (self.has_add_permission(request) if write else self.has_view_permission(request)):
            raise PermissionDenied
        batches_ = ImportBatch.objects.select_related("created_by", "confirmed_by").defer("content")
        if not reports:
            batches_ = batches_.defer("preview", "result")
        batch = get_object_or_404(batches_, pk=pk)
        if look and batches.import_batch_fail_if_stalled(batch=batch):
            batch = get_object_or_404(batches_, pk=pk)
        return batch

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
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
                return redirect("admin:imports_importbatch_change", batch.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Import an archive file"),
                   "recent": ImportBatch.objects.defer("content", "preview", "result")
                   .select_related("created_by")[:5]}
        return TemplateResponse(request, "admin/imports/importbatch/upload.html", context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        batch = self._batch(request, object_id, look=True)
        report = batch.report or {}
        errors = report.get("errors", [])
        kept, listed = len(report.get("invalid_rows") or []), len({error["row"] for error in errors})
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "batch": batch,
                   "report": report, "errors": errors[:200], "more_errors": max(len(errors) - 200, 0),
                   "download_capped": kept >= MAX_INVALID_ROWS_KEPT and listed > kept,
                   "title": _("Import #%(id)s: %(file)s") % {"id": batch.pk, "file": batch.filename},
                   "can_confirm": self.has_add_permission(request) and batch.status == ImportBatch.Status.CHECKED,
                   "nothing_to_write": not any(report.get(name) for name in ("created", "updated", "failed_rows"))}
        return TemplateResponse(request, "admin/imports/importbatch/detail.html", context)

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The progress bar, polled by the page; when the batch has moved on, the page reloads."""
        batch = self._batch(request, pk, reports=False, look=True)
        response = TemplateResponse(request, "admin/imports/importbatch/_progress.html", {"batch": batch})
        if not batch.is_running:
            response["HX-Refresh"] = "true"
        return response

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._batch(request, pk, write=True)
        try:
            batches.import_batch_confirm(batch=batch, by=request.user)
        except ImportFileError as error:
            messages.error(request, str(error))
        else:
            messages.info(request, _("Importing. You can leave this page: the import goes on and its result stays "
                                     "in the import history."))
        return redirect("admin:imports_importbatch_change", pk)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._batch(request, pk, write=True)
        try:
            batches.import_batch_cancel(batch=batch, by=request.user)
        except ImportFileError as error:
            messages.error(request, str(error))
        else:
            messages.info(request, _("Cancelled: nothing was imported."))
        return redirect(reverse("admin:imports_importbatch_changelist"))

    def invalid_rows_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._batch(request, pk)
        if not (batch.report or {}).get("invalid_rows"):
            raise Http404
        return batches.import_batch_invalid_rows(batch=batch, by=request.user)
