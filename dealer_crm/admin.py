"""What the apps' admin classes share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For look-ups only: records are written by the application's services (audit log, job runs,
    the archive), never edited by hand in the admin."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
