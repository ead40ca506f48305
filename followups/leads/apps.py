from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    """Sales leads (销售线索): callers, referrals and visitors who want a car, handed to the sales
    department and followed up there."""

    name = "followups.leads"
    label = "leads"
    verbose_name = _("Sales leads")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import panels, timeline, workbench

        messages_register(timeline.MESSAGES)
        panels.register()  # the "leads" home panel of the sales manager and the consultants
        workbench.register()  # 转销售线索 on the retention calls' workbench
