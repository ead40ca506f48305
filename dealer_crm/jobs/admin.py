from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["run_date", "job_name", "status", "runs", "finished_at"]
    list_filter = ["status", "job_name"]
    date_hierarchy = "run_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
