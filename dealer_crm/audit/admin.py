from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is only ever appended to, by the application."""

    list_display = ["at", "actor_name", "action", "target_type", "target_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target_repr", "target_id"]
    date_hierarchy = "at"
