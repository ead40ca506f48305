from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Customer care: in-store events, invitations, birthdays, gifts and their approval."""

    name = "events"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import panels, timeline, workbench

        messages_register(timeline.MESSAGES)
        panels.register()
        workbench.register()
