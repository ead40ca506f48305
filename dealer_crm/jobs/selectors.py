from django.db.models import QuerySet

from .models import JobRun


def job_runs() -> QuerySet[JobRun]:
    return JobRun.objects.order_by("-run_date", "job_name")


def job_runs_on(*, day) -> list[JobRun]:
    return list(JobRun.objects.filter(run_date=day).order_by("job_name"))
