"""Gifts in the Django admin: the catalogue with its Excel import and export (django-import-export,
as the vehicle catalogue does it); budgets and requests for looking up only, since their rules (periods
that never overlap, approvals charged by conditional updates) are the services' and the pages'."""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage

from customers.catalogue.forms import CatalogueImportForm
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .models import Gift, GiftBudget, GiftRequest
from .resources import GiftResource
from .services import gift_save


@admin.register(Gift)
class GiftAdmin(ImportExportModelAdmin):
    list_display = ["name", "unit_cost", "stock", "on_menu", "for_children", "active"]
    list_filter = ["active", "on_menu", "for_children"]
    search_fields = ["name", "description"]
    fields = ["name", ("unit_cost", "stock"), ("on_menu", "for_children", "active"), "description"]
    resource_classes = [GiftResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    # Every column, always: the file is made to be edited and imported back (the package's column
    # picker needs an inline handler, which the Content-Security-Policy refuses).
    export_form_class = ExportForm
    import_form_class = CatalogueImportForm  # at most 1 MB, and no workbook that unpacks to much more
    tmp_storage_class = CacheStorage

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # a gift once requested stays (PROTECT); one no longer given is switched off

    def get_readonly_fields(self, request, obj=None):
        # An existing gift's stock moves on the gifts' page (by the difference typed) or by approvals:
        # the admin and the Excel import never overwrite it with a possibly stale figure.
        return ["stock"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        gift_save(gift=obj)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, detail={
            "list": str(Gift._meta.verbose_name_plural), "format": file_format.get_extension(),
            "rows": queryset.count(), "filters": {}})
        return data


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GiftBudget)
class GiftBudgetAdmin(ReadOnlyAdmin):
    list_display = ["name", "starts_on", "ends_on", "amount", "committed", "set_by"]
    date_hierarchy = "starts_on"


@admin.register(GiftRequest)
class GiftRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "customer", "reason", "quantity", "unit_cost", "status", "requested_by", "requested_at",
                    "decided_by"]
    list_filter = ["status", "reason", "delivery"]
    list_select_related = ["customer", "gift", "requested_by", "decided_by"]
    raw_id_fields = ["customer", "family_member", "gift", "event", "budget"]
    search_fields = ["customer__name", "tracking_number"]
    date_hierarchy = "requested_at"
