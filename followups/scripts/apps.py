from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScriptsConfig(AppConfig):
    """Callback scripts (回访话术): versioned questionnaires per brand and kind."""

    name = "followups.scripts"
    label = "scripts"
    verbose_name = _("Callback scripts")
    default_auto_field = "django.db.models.BigAutoField"
