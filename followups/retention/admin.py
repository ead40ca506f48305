"""Retention in the admin: the lapse bands are edited (also on their own page), the records are
looked up only — the services write them."""

from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import Lapse, LapseBand, LapseReason, RefreshMark, Reminder, ServiceDue


@admin.register(LapseBand)
class LapseBandAdmin(admin.ModelAdmin):
    list_display = ["months", "name", "win_back_call", "active"]
    list_editable = ["name", "win_back_call", "active"]


@admin.register(ServiceDue)
class ServiceDueAdmin(ReadOnlyAdmin):
    list_display = ["vehicle", "customer", "cycle", "due_on", "due_by", "window_end", "km_per_day", "refreshed_at"]
    list_filter = ["due_by"]
    date_hierarchy = "due_on"
    raw_id_fields = ["vehicle", "customer"]
    search_fields = ["vehicle__plate", "vehicle__vin"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "vehicle", "customer", "channel", "status", "skip_reason", "due_on", "created_on",
                    "converted_on"]
    list_filter = ["kind", "channel", "status"]
    date_hierarchy = "created_on"
    raw_id_fields = ["vehicle", "customer", "callback", "message", "converted_visit"]


@admin.register(Lapse)
class LapseAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "band", "since", "created_on", "status", "returned_on"]
    list_filter = ["band", "status"]
    date_hierarchy = "created_on"
    raw_id_fields = ["customer", "callback", "returned_visit"]


@admin.register(LapseReason)
class LapseReasonAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "reason", "vehicle", "recorded_by", "recorded_at"]
    list_filter = ["reason"]
    raw_id_fields = ["customer", "vehicle", "lapse"]


@admin.register(RefreshMark)
class RefreshMarkAdmin(ReadOnlyAdmin):
    list_display = ["id", "visit_id", "vehicle_id", "role_id", "updated_at"]
