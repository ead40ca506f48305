"""Appointments in the admin: the resources can be renamed, ordered and taken out of use here; their
places, the slots and the bookings are for looking up only. Places change on the capacity page
(`services.capacity_apply`, which also moves the slots already made), bookings on the appointments'
pages (the services keep a slot within its places), so nothing here writes them."""

from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import Appointment, Capacity, ServiceResource, Slot


class CapacityInline(admin.TabularInline):
    model = Capacity
    fields = ["day_type", "hour", "places"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceResource)
class ServiceResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "user", "position", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    fields = ["name", "kind", "user", "position", "active"]
    inlines = [CapacityInline]

    def has_delete_permission(self, request, obj=None):
        return False  # taken out of use, never deleted: its slots and bookings point at it


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    list_display = ["day", "hour", "resource", "places", "booked"]
    list_filter = ["resource", "day"]
    date_hierarchy = "day"
    list_select_related = ["resource"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "starts_at", "customer", "vehicle", "status", "source", "booked_by", "booked_at"]
    list_filter = ["status", "source", "starts_at"]
    date_hierarchy = "starts_at"
    list_select_related = ["customer", "vehicle", "booked_by"]
    raw_id_fields = ["customer", "vehicle", "slot", "reminder", "callback", "visit", "rescheduled_to",
                     "no_show_callback"]
