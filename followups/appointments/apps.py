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
        from . import customer_page

        customer_page.register()  # the customer page's 预约 section
