"""Membership in the admin, read mostly: the tiers (thresholds and benefits), the points rules and the
reward catalogue are edited here by the DCRC supervisor (the store's own settings); members and their
ledger are looked up only — enrolling, earning, redeeming, correcting and expiry go through the
services (the pages), so each change is a ledger line under the member's lock."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dealer_crm.admin import ReadOnlyAdmin

from .models import Member, PointsEntry, PointsRule, Reward, Tier


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "threshold", "benefits"]
    ordering = ["threshold"]

    def has_delete_permission(self, request, obj=None):
        # A tier members hold stays (PROTECT); an unused one may go.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.members.exists())


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ["visit_kind", "points_per_yuan"]
    list_editable = ["points_per_yuan"]
    list_display_links = ["visit_kind"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "points", "stock", "active"]
    list_filter = ["kind", "active"]
    list_editable = ["points", "stock", "active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # redeemed rewards are in members' ledgers: take one off the catalogue with 在用


class LedgerInline(admin.TabularInline):
    model = PointsEntry
    fields = ["at", "kind", "points", "usable_after", "visit", "reward", "quantity", "amount", "by", "note"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("visit", "reward", "by")


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "status", "tier", "usable", "cumulative", "joined_on", "last_paid_visit_on"]
    list_filter = ["status", "tier"]
    list_select_related = ["customer", "tier"]
    search_fields = ["customer__name"]
    raw_id_fields = ["customer", "joined_by"]
    inlines = [LedgerInline]

    @admin.display(description=_("member number"), ordering="id")
    def number(self, obj: Member) -> str:
        return obj.number


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "member", "kind", "points", "usable_after", "at", "visit", "reward", "by"]
    list_filter = ["kind"]
    list_select_related = ["member__customer", "visit", "reward", "by"]
    date_hierarchy = "at"
    raw_id_fields = ["member", "visit", "reward", "by"]
