"""SMS templates in the admin, with export to xlsx and import back (resources.py). Messages, bulk
sends and replies are read on the platform's own pages (the outbox, 群发), not here; the alerts sent
to staff (a complaint's escalation), which no page lists, are read here, never changed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from . import services
from .forms import SmsTemplateForm
from .models import SmsTemplate, StaffAlert
from .resources import SmsTemplateResource


@admin.register(SmsTemplate)
class SmsTemplateAdmin(ImportExportModelAdmin):
    form = SmsTemplateForm
    list_display = ["name", "key", "purpose", "aliyun_code", "tencent_id", "quiet_hours_exempt", "active", "updated_at"]
    list_display_links = ["name"]
    list_filter = ["purpose", "active"]
    search_fields = ["key", "name", "text"]
    fields = ["key", "name", "purpose", "text", "aliyun_code", ("tencent_id", "tencent_params"),
              "quiet_hours_exempt", "active"]
    resource_classes = [SmsTemplateResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    export_form_class = ExportForm  # every column: the file is made to be edited and imported back
    tmp_storage_class = CacheStorage

    def has_delete_permission(self, request, obj=None):
        return False  # switched off, never deleted: the outbox and the bulk sends point at it

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def save_model(self, request, obj, form, change):
        services.template_save(template=obj, by=request.user)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, detail={
            "list": str(SmsTemplate._meta.verbose_name_plural), "format": file_format.get_extension(),
            "rows": queryset.count(), "filters": {}})
        return data


@admin.register(StaffAlert)
class StaffAlertAdmin(admin.ModelAdmin):
    """What was texted to whom of the staff, and what the gateway answered: a record, read only."""

    list_display = ["created_at", "user", "phone", "text", "status", "sent_at", "reason_text"]
    list_filter = ["status"]
    search_fields = ["phone", "text", "idempotency_key", "user__username", "user__display_name"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    @admin.display(description=_("reason"))
    def reason_text(self, alert: StaffAlert) -> str:
        return alert.reason_text

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
