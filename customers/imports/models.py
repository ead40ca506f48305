"""An archive file an admin uploaded: checked in the background, confirmed, imported, kept as history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        DELIVERIES = "deliveries", _("Delivered customers (交车档案)")
        SERVICE_VISITS = "service-visits", _("Repair orders (DMS 怀远系统)")
        HANDBOOK = "handbook", _("Handbook records (诺相随)")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the file")
        CHECKED = "checked", _("Checked: waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        NOTHING = "nothing", _("Nothing to import")  # checked: every row invalid or unchanged

    RUNNING = (Status.CHECKING, Status.IMPORTING)

    kind = models.CharField(_("kind of archive"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("file"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    # The file itself, until it is imported or cancelled: the database is the one store every worker reaches.
    content = models.BinaryField(_("content"), editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    preview = models.JSONField(_("check report"), null=True, blank=True)
    result = models.JSONField(_("import report"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last activity"), auto_now=True)

    class Meta:
        verbose_name = _("archive import")
        verbose_name_plural = _("archive imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same file cannot be checked or imported twice at once.
            models.UniqueConstraint(fields=["sha256"], condition=Q(status__in=["checking", "importing"]),
                                    name="one_running_import_per_file"),
            models.CheckConstraint(condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                                   name="import_progress_within_total"),
        ]
        indexes = [models.Index(fields=["-created_at"], name="importbatch_created_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def report(self) -> dict | None:
        """The latest report: the import's once it ran, else the check's."""
        return self.result or self.preview

    @property
    def percent(self) -> int:
        return round(100 * self.progress_done / self.progress_total) if self.progress_total else 0
