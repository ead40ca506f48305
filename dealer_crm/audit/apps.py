from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "dealer_crm.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Django reports logins only through its auth signals; the receivers just record them.
        from . import receivers  # noqa: F401
