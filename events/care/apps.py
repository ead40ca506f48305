from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    """Face-to-face interviews (面访) and the lounge (客休区): what staff learn from customers in person
    goes into the file, their suggestions to the departments, their referrals to sales, their gift
    choice to the general manager."""

    name = "events.care"
    label = "care"
    verbose_name = _("Interviews and lounge")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import customer_page, panels, timeline

        messages_register(timeline.MESSAGES)
        panels.register()
        customer_page.register()
