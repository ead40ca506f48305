"""Events in the admin: for looking an event, its guest list and its checklist up only. Every change
goes through the services (the events' pages): an invitation made here would skip the once-only
rules, a check-in would skip the timeline."""

from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import ChecklistItem, Event, Invitation


class ChecklistInline(admin.TabularInline):
    model = ChecklistItem
    fields = ["kind", "title", "owner", "due_on", "cost", "done_at", "done_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "starts_at", "venue", "status", "budget", "capacity", "members_only", "organiser",
                    "orders_signed"]
    list_filter = ["status", "kind", "members_only"]
    list_select_related = ["organiser"]
    date_hierarchy = "starts_at"
    search_fields = ["title", "venue"]
    inlines = [ChecklistInline]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "customer", "lead", "channel", "rsvp", "party_size", "invited_at", "checked_in_at",
                    "guests_arrived", "sms_refused"]
    list_filter = ["channel", "rsvp", "sms_refused"]
    list_select_related = ["event", "customer", "lead"]
    raw_id_fields = ["event", "customer", "lead", "message", "callback"]
    search_fields = ["customer__name", "event__title"]
