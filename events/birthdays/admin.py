"""The birthday greetings in the admin: looked up only — the daily job writes them."""

from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import BirthdayGreeting


@admin.register(BirthdayGreeting)
class BirthdayGreetingAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "family_member", "celebrated_on", "age", "status", "refused_reason", "callback",
                    "call_skipped"]
    list_filter = ["status", "refused_reason", "call_skipped"]
    date_hierarchy = "celebrated_on"
    raw_id_fields = ["customer", "family_member", "message", "callback"]
    search_fields = ["customer__name", "family_member__name"]
