from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    """Retention (招揽): the first-maintenance solicitation, the maintenance reminders, the lapsed
    customers and their win-back calls, and what each of them brought back (conversion)."""

    name = "followups.retention"
    label = "retention"
    verbose_name = _("Retention")
    default_auto_field = "django.db.models.BigAutoField"
