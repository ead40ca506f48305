"""The birthday list's filters: one day of the window, customers or children, important only."""

from datetime import date

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from followups.callbacks.forms import MarksInvalid

from . import selectors
from .days import window

SMALL_SELECT = {"class": "form-select form-select-sm"}


class BirthdayFilterForm(MarksInvalid):
    day = forms.TypedChoiceField(label=gettext_lazy("Day"), required=False, coerce=date.fromisoformat,
                                 empty_value=None, widget=forms.Select(attrs=SMALL_SELECT),
                                 error_messages={"invalid_choice": gettext_lazy("Choose one of the next days.")})
    kind = forms.ChoiceField(label=gettext_lazy("Whose birthday"), required=False, widget=forms.Select(attrs=SMALL_SELECT),
                             choices=[("", gettext_lazy("Customers and children")),
                                      (selectors.CUSTOMER, gettext_lazy("Customers")),
                                      (selectors.CHILD, gettext_lazy("Children"))])
    importance = forms.ChoiceField(label=gettext_lazy("Importance"), required=False,
                                   widget=forms.Select(attrs=SMALL_SELECT),
                                   choices=[("", gettext_lazy("All customers")),
                                            ("important", gettext_lazy("Important and VIP only"))])

    def __init__(self, *args, today: date, days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", gettext_lazy("The next %(days)d days") % {"days": days})] + [
            (day.isoformat(), date_format(day, "m-d l")) for day in window(today=today, days=days)]

    def filters(self) -> selectors.BirthdayFilters | None:
        """The filters asked for, or None when one is not valid (the page shows the errors)."""
        if not self.is_bound:
            return selectors.BirthdayFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return selectors.BirthdayFilters(day=data["day"], kind=data["kind"], important=data["importance"] == "important")
