from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    """Appointments (预约): the workshop's slots and their capacity, the bookings, the service
    desk's day, arrivals and no-shows."""

    name = "followups.appointments"
    label = "appointments"
    verbose_name = _("Appointments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register
        from followups.callbacks.services.building import CloseReason

        from . import customer_page, panels, timeline, workbench
        from .services import CallbackCloseReason

        messages_register(timeline.MESSAGES)
        # The callback centre words the reasons its pages show; a call this app closes gives its own.
        CloseReason.LABELS.update(CallbackCloseReason.LABELS)

        customer_page.register()  # the customer page's 预约 section
        workbench.register()  # booking from a retention call on the callback workbench
        panels.register()  # the home panel 今日预约: today's expected arrivals
