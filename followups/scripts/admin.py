"""Callback scripts in the admin: reading scripts and versions, creating a script, and the questions'
export to Excel and import back into a draft (resources.py). Editing a draft and publishing it are
the editor's pages; everything here that changes something calls the same services."""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage

from dealer_crm.admin import ReadOnlyAdmin
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from . import services
from .models import Question, Script, ScriptVersion
from .resources import QuestionResource

EDIT = "scripts.change_scriptversion"


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind", "brand", "active", "created_at"]
    list_filter = ["kind", "brand", "active"]
    search_fields = ["key", "name"]

    def get_fields(self, request, obj=None):
        return ["key", "name", "kind", "brand"] if obj is None else ["key", "name", "kind", "brand", "active"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["key", "kind", "brand", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # taken out of use, never deleted: answers point at its versions

    def save_model(self, request, obj, form, change):
        if change:
            services.script_update(script=obj, name=obj.name)
        else:
            created = services.script_create(key=obj.key, name=obj.name, kind=obj.kind, brand=obj.brand,
                                             by=request.user)
            obj.pk, obj.created_at, obj._state.adding = created.pk, created.created_at, False


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "factor", "text", "kind", "choices", "required", "dissatisfied_below",
              "dissatisfied_answers"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["position"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScriptVersion)
class ScriptVersionAdmin(ReadOnlyAdmin):
    """Read-only: a draft is edited on the editor's pages, a published version never."""

    list_display = ["script", "number", "status", "note", "published_at", "published_by"]
    list_filter = ["status", "script"]
    list_select_related = ["script", "published_by"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(ImportExportModelAdmin, ReadOnlyAdmin):
    """Questions are read here and come and go as a spreadsheet; they are added and changed in a
    draft on the editor's pages or by the import (into a draft only)."""

    list_display = ["version", "position", "factor", "kind", "text", "required"]
    list_filter = ["version__script", "version__status", "kind", "factor"]
    list_select_related = ["version__script"]
    search_fields = ["text"]
    resource_classes = [QuestionResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    export_form_class = ExportForm
    tmp_storage_class = CacheStorage

    def has_import_permission(self, request):
        return request.user.has_perm(EDIT)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("version__script").order_by(
            "version__script__key", "version__number", "position")

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, detail={
            "list": str(Question._meta.verbose_name_plural), "format": file_format.get_extension(),
            "rows": queryset.count(), "filters": {}})
        return data
