"""Interviews and lounge visits in the admin: for looking them up only. Every change goes through the
services (the file's history, the problems, the leads and the gift requests they make), on the pages."""

from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import ImportantCustomerForm, Interview, LoungeVisit, Referral, Suggestion


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SuggestionInline(_ReadOnlyInline):
    model = Suggestion
    fields = readonly_fields = ["text", "problem"]


class ReferralInline(_ReadOnlyInline):
    model = Referral
    fields = readonly_fields = ["lead"]


class ImportantFormInline(admin.StackedInline):
    model = ImportantCustomerForm
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in ImportantCustomerForm._meta.concrete_fields if field.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "held_at", "place", "interviewer", "gift_request"]
    list_filter = ["place"]
    list_select_related = ["customer", "interviewer", "gift_request__gift"]
    date_hierarchy = "held_at"
    search_fields = ["customer__name"]
    fields = readonly_fields = ["customer", "held_at", "place", "interviewer", "summary", "file_fields",
                                "family_changed", "gift_request", "lounge_visit", "created_at"]
    raw_id_fields = ["customer", "gift_request", "lounge_visit"]
    inlines = [SuggestionInline, ReferralInline, ImportantFormInline]

    @admin.display(description=Interview._meta.verbose_name, ordering="id")
    def number(self, obj: Interview) -> str:
        return obj.number


@admin.register(LoungeVisit)
class LoungeVisitAdmin(ReadOnlyAdmin):
    list_display = ["customer", "arrived_at", "left_at", "host", "needs"]
    list_select_related = ["customer", "host"]
    date_hierarchy = "arrived_at"
    search_fields = ["customer__name"]
    fields = readonly_fields = ["customer", "appointment", "service_visit", "arrived_at", "left_at", "host", "left_by",
                                "offered", "offered_note", "needs", "note", "file_fields"]
