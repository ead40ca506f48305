from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Archive imports: the batches staff upload, check and confirm, and their history."""

    name = "customers.imports"
    label = "imports"
    verbose_name = _("Archive imports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import lookups

        lookups.register()
