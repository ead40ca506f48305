from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    """Retention (招揽): the first-maintenance solicitation, the maintenance reminders, the lapsed
    customers and their win-back calls, and what each of them brought back (conversion)."""

    name = "followups.retention"
    label = "retention"
    verbose_name = _("Retention")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import customer_page, panels, timeline, workbench

        messages_register(timeline.MESSAGES)  # the reminders' entries on the customer's timeline

        workbench.register()  # the retention call's purpose and lapse reasons on the callback workbench
        customer_page.register()  # the customer page's 招揽 section and its 车已卖 button
        panels.register()  # the agents' home panel: today's retention calls and the letters to print
