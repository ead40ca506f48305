"""Sales leads in the admin: for looking a lead and its story up only. Every change is a step of the
workflow, made on the leads' pages through the services, so nothing here writes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.normalize import mask_phone
from dealer_crm.admin import ReadOnlyAdmin

from .models import Lead, LeadStep


class LeadStepInline(admin.TabularInline):
    model = LeadStep
    fields = ["at", "action", "by", "to", "next_contact_on", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "masked_mobile", "source", "model_interest", "status", "assigned_to",
                    "next_contact_on", "created_at"]
    list_filter = ["status", "source", "timing"]
    list_select_related = ["assigned_to"]
    date_hierarchy = "created_at"
    # Shown masked, as on every list: the whole mobile is for whoever calls the prospect.
    fields = ["name", "masked_mobile", "customer", "referred_by", "source", "model_interest", "budget", "timing",
              "note", "status", "assigned_to", "next_contact_on", "callback", "created_by", "created_at", "closed_at",
              "close_reason"]
    readonly_fields = fields
    raw_id_fields = ["customer", "referred_by", "callback"]
    inlines = [LeadStepInline]

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj: Lead) -> str:
        return mask_phone(obj.mobile)

    @admin.display(description=_("number"), ordering="id")
    def number(self, obj: Lead) -> str:
        return obj.number
