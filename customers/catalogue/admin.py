from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .forms import CatalogueImportForm
from .models import VehicleModel
from .resources import VehicleModelResource
from .services import vehicle_model_save


@admin.register(VehicleModel)
class VehicleModelAdmin(ImportExportModelAdmin):
    list_display = ["name", "brand", "aliases", "first_maintenance_km", "first_maintenance_months", "interval_km",
                    "interval_months", "active"]
    list_display_links = ["name"]
    list_filter = ["brand", "active"]
    search_fields = ["name", "aliases"]
    fields = ["brand", "name", "aliases", ("first_maintenance_km", "first_maintenance_months"),
              ("interval_km", "interval_months"), "active"]
    resource_classes = [VehicleModelResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    # Every column, always: the file is made to be edited and imported back. (The package's column
    # picker also needs an inline handler, which the Content-Security-Policy refuses.)
    export_form_class = ExportForm
    import_form_class = CatalogueImportForm
    # The uploaded file waits for the confirmation in the shared cache, not on one server's disk.
    tmp_storage_class = CacheStorage

    def has_import_permission(self, request):
        # django-import-export lets anyone with admin access import unless told otherwise.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def save_model(self, request, obj, form, change):
        vehicle_model_save(vehicle_model=obj)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        # Like every export of the CRM, an audit event (this list holds no personal data).
        audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, detail={
            "list": str(VehicleModel._meta.verbose_name_plural), "format": file_format.get_extension(),
            "rows": queryset.count(), "filters": {}})
        return data
