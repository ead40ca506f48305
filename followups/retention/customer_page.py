"""Retention on the customer page (customers/sections.py), registered from RetentionConfig.ready():

- the 招揽 section: when each of the customer's cars is next due for maintenance (by time or by
  mileage, from ServiceDue) and the last solicitations and reminders with what came of them; two
  queries, whatever the customer's history;
- the 车已卖 button on each car the customer owns: a confirmation page, then `vehicle_sold`, which ends
  the owner role and stops the car's reminders and retention calls.
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.sections import section_register, vehicle_action_register

from .models import Reminder, ServiceDue

REMINDER_ROWS = 5


def retention_context(*, customer, user, now: datetime) -> dict:
    dues = list(ServiceDue.objects.filter(customer_id=customer.pk).select_related("vehicle")
                .order_by("due_on", "vehicle_id"))
    reminders = list(Reminder.objects.filter(customer_id=customer.pk).select_related("vehicle")
                     .order_by("-created_on", "-id")[:REMINDER_ROWS])
    return {"dues": dues, "reminders": reminders, "today": timezone.localdate(now)}


class VehicleSoldForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Sold on"),
                         widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),  # what type=date reads
                         initial=timezone.localdate)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False,
                           help_text=gettext_lazy("e.g. sold to a friend; the new owner may come to us"))

    def clean_on(self) -> date:
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise ValidationError(_("The day the car was sold cannot be in the future."))
        return on


def vehicle_sold_act(*, customer, vehicle, by, on: date, note: str) -> str:
    from .services import vehicle_sold

    vehicle_sold(vehicle=vehicle, by=by, on=on, note=note)
    return _("Recorded: %(vehicle)s sold. The customer is no longer its owner; its reminders and retention calls "
             "have stopped.") % {"vehicle": vehicle.plate or vehicle.vin}


def register() -> None:
    section_register("retention", title=gettext_lazy("Maintenance due and reminders"), icon="bi-bell",
                     template="customers/partials/section_retention.html", context=retention_context,
                     perm="retention.view_reminder", order=20)
    vehicle_action_register(
        "sold", label=gettext_lazy("Car sold"), icon="bi-car-front", perm="retention.add_lapsereason",
        title=gettext_lazy("The customer sold this car"),
        explanation=gettext_lazy("The customer's role as owner ends on that day and stays in the vehicle's "
                                 "history; the car gets no more maintenance reminders, and its open retention "
                                 "calls are cancelled."),
        form=VehicleSoldForm, act=vehicle_sold_act)
