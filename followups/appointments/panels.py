"""The home panel the appointments fill (dealer_crm.home): "appointments", today's expected arrivals,
for the agents who book, the lounge host who welcomes the customers and the after-sales manager's
service desk. Registered in AppointmentsConfig.ready()."""

ARRIVAL_ROWS = 8


def _arrivals_today(*, user, today):
    """Today's bookings still expected, by time: the hour, the customer, the car, the jobs; amber
    once their hour is over without the customer checked in. Two queries: the rows, their count."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors import arrivals_expected

    if not user.has_perm("appointments.view_appointment"):
        return NOTHING
    now = timezone.now()
    expected = arrivals_expected(day=today)
    rows = []
    for appointment in expected.select_related("customer", "vehicle", "slot__resource")[:ARRIVAL_ROWS]:
        vehicle = appointment.vehicle
        car = (vehicle.plate or vehicle.model_name) if vehicle else ""
        rows.append(PanelRow(
            text=" · ".join(filter(None, [appointment.customer.name, car, "、".join(appointment.jobs[:2])])),
            url=reverse("appointments:detail", args=[appointment.pk]),
            meta=f"{timezone.localtime(appointment.starts_at):%H:%M} {appointment.slot.resource.name}",
            tone="warning" if appointment.starts_at + timedelta(hours=1) <= now else ""))
    return PanelRows(rows=rows, total=expected.count())


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("appointments", items=_arrivals_today, link_url_name="appointments:day")
