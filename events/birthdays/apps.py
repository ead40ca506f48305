from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BirthdaysConfig(AppConfig):
    """Birthdays (生日关怀): the customers and their children with a birthday in the days ahead, the
    greeting on the day (once a year), the call for important customers and the child's gift to post."""

    name = "events.birthdays"
    label = "birthdays"
    verbose_name = _("Birthdays")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import panels, timeline, workbench

        messages_register(timeline.MESSAGES)
        panels.register()
        workbench.register()
