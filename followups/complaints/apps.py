from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints (投诉) until the customer is satisfied, their deadlines and escalations, the case
    analyses, and the manufacturer's dissatisfaction items."""

    name = "followups.complaints"
    label = "complaints"
    verbose_name = _("Complaints")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register
        from followups.callbacks.services.problems import complaint_opener_register

        from . import holds, panels, services, timeline

        messages_register(timeline.MESSAGES)
        complaint_opener_register(services.complaint_from_callback)
        holds.register()  # the marketing hold, the flags and the callback build's boost
        panels.register()  # after the callback centre's (installed first): the open complaints panel is ours
