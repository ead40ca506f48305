from django.db.models import QuerySet

from .models import JobRun


def job_runs() -> QuerySet[JobRun]:
    return JobRun.objects.order_by("-run_date", "job_name")
