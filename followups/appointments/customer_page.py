"""The customer page's 预约 section (customers/sections.py), registered from AppointmentsConfig.ready():
the customer's bookings ahead and the last ones past, with their jobs and what became of them. One
query, whatever the customer's history."""

from datetime import datetime, time

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from customers.sections import section_register

from .models import Appointment

ROWS = 10


def appointments_context(*, customer, user, now: datetime) -> dict:
    start_of_today = datetime.combine(timezone.localdate(now), time(0), tzinfo=timezone.get_current_timezone())
    rows = list(Appointment.objects.filter(customer_id=customer.pk).select_related("slot__resource", "vehicle")
                .order_by("-starts_at", "-id")[:ROWS])
    ahead = [row for row in rows if row.starts_at >= start_of_today and row.status == Appointment.Status.BOOKED]
    return {"ahead": ahead[::-1], "past": [row for row in rows if row not in ahead],
            "may_book": user.has_perm("appointments.book_appointment")}


def register() -> None:
    section_register("appointments", title=pgettext_lazy("customer page section", "Appointments"), icon="bi-calendar-event",
                     template="customers/partials/section_appointments.html", context=appointments_context,
                     perm="appointments.view_appointment", order=10)
