from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftsConfig(AppConfig):
    """Gifts (礼品): the catalogue with its stock, the budget per period, the requests the general
    manager approves or rejects, and the gifts sent."""

    name = "events.gifts"
    label = "gifts"
    verbose_name = _("Gifts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import customer_page, panels, timeline

        messages_register(timeline.MESSAGES)
        panels.register()
        customer_page.register()
