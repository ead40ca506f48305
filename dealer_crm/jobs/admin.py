from django.contrib import admin

from dealer_crm.admin import ReadOnlyAdmin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["run_date", "job_name", "status", "runs", "finished_at"]
    list_filter = ["status", "job_name"]
    date_hierarchy = "run_date"
