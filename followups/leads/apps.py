from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    """Sales leads (销售线索): callers, referrals and visitors who want a car, handed to the sales
    department and followed up there."""

    name = "followups.leads"
    label = "leads"
    verbose_name = _("Sales leads")
    default_auto_field = "django.db.models.BigAutoField"
