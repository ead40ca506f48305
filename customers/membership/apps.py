from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    """Membership and points (会员 / 积分): members and their tiers, the points their paid visits earn
    (once per repair order), redemptions for accessories and labour hours, and expiry."""

    name = "customers.membership"
    label = "membership"
    verbose_name = _("Membership and points")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import customer_page, timeline

        messages_register(timeline.MESSAGES)
        customer_page.register()
