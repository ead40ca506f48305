from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

# Names of the counts daily jobs return; a job with a new count adds its label here. The words
# carry a context: "created" alone is also a field's name (建档时间), and a count must read 新建 7.
COUNT_LABELS = {
    "created": pgettext_lazy("daily job count", "created"),
    "updated": pgettext_lazy("daily job count", "updated"),
    "deleted": pgettext_lazy("daily job count", "deleted"),
    "found": pgettext_lazy("daily job count", "found"),
    "skipped": pgettext_lazy("daily job count", "skipped"),
}


class JobRun(models.Model):
    """The last run of one daily job for one date. A re-run updates the row, it never adds one."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job_name = models.CharField(_("job"), max_length=100)
    run_date = models.DateField(_("for date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("times run"), default=0)
    summary = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("daily job run")
        verbose_name_plural = _("daily job runs")
        ordering = ["-run_date", "job_name"]
        constraints = [
            models.UniqueConstraint(fields=["job_name", "run_date"], name="jobs_one_run_per_job_and_date"),
        ]
        permissions = [("run_daily_jobs", _("Can run the daily jobs by hand"))]

    def __str__(self) -> str:
        return f"{self.label} {self.run_date}"

    @property
    def summary_display(self) -> list[tuple[str, int]]:
        """The counts with their names in the user's language."""
        return [(str(COUNT_LABELS.get(key, key)), value) for key, value in self.summary.items()]

    @property
    def summary_text(self) -> str:
        """The counts as one line: "新建 7、跳过 2" in Chinese, "created 7, skipped 2" in English."""
        return pgettext("list separator", ", ").join(f"{label} {value}" for label, value in self.summary_display)

    @property
    def label(self):
        from .registry import job_label

        return job_label(self.job_name)
