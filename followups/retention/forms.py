"""The retention pages' forms: the reminder list's filters, the letters ticked as printed, the lapse
list's filters, recording why a customer stopped coming, the report's months, and the lapse bands.
A form checks the input's shape; the rules are the services' (R1's `lapse_reason_record`)."""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from followups.callbacks.forms import MarksInvalid

from . import selectors
from .models import Channel, Lapse, LapseBand, LapseReason, Reminder, ReminderKind

SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
MAX_IDS = 500
# A sold or scrapped car ends its owner's role and stops its reminders: asked for, then confirmed.
NEEDS_VEHICLE = (LapseReason.Reason.SOLD, LapseReason.Reason.SCRAPPED)


def _ids(values) -> list[int]:
    return sorted({int(value) for value in values if value.isascii() and value.isdigit() and 0 < int(value) < 2**63})


# --- the reminder list -----------------------------------------------------------------------------
class ReminderFilterForm(MarksInvalid):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds")), *ReminderKind.choices],
                             widget=forms.Select(attrs=SMALL_SELECT))
    channel = forms.ChoiceField(label=pgettext_lazy("reminder", "Channel"), required=False,
                                choices=[("", gettext_lazy("All channels")), *Channel.choices],
                                widget=forms.Select(attrs=SMALL_SELECT))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All statuses")), *Reminder.Status.choices],
                               widget=forms.Select(attrs=SMALL_SELECT))
    converted = forms.ChoiceField(label=gettext_lazy("Came back"), required=False,
                                  choices=[("", gettext_lazy("Either")), (selectors.YES, gettext_lazy("Came back")),
                                           (selectors.NO, gettext_lazy("Not come back yet"))],
                                  widget=forms.Select(attrs=SMALL_SELECT))
    made_from = forms.DateField(label=gettext_lazy("Made from"), required=False,
                                error_messages={"invalid": gettext_lazy("Enter a date, e.g. 2026-12-31.")},
                                widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **SMALL_INPUT}))
    made_until = forms.DateField(label=gettext_lazy("Made until"), required=False,
                                 error_messages={"invalid": gettext_lazy("Enter a date, e.g. 2026-12-31.")},
                                 widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **SMALL_INPUT}))

    def filters(self) -> selectors.ReminderFilters | None:
        """The filters asked for, or None when one is not valid (the page shows the errors)."""
        if not self.is_bound:
            return selectors.ReminderFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if data["made_from"] and data["made_until"] and data["made_from"] > data["made_until"]:
            self.add_error("made_until", _("The end is before the start."))
            return None
        return selectors.ReminderFilters(kind=data["kind"], channel=data["channel"], status=data["status"],
                                         converted=data["converted"], made_from=data["made_from"],
                                         made_until=data["made_until"])


class LettersPrintedForm(forms.Form):
    """The letters ticked (`reminder`, as many as a page holds): only checked to be ids, the
    service marks those still pending."""

    def clean(self):
        data = super().clean()
        values = self.data.getlist("reminder") if hasattr(self.data, "getlist") else []
        ids = _ids(values)
        if not ids:
            raise forms.ValidationError(_("Tick the letters you printed first."))
        if len(ids) > MAX_IDS:
            raise forms.ValidationError(_("Mark at most %(n)d letters at a time.") % {"n": MAX_IDS})
        data["reminder"] = ids
        return data


# --- the lapse list --------------------------------------------------------------------------------
class LapseFilterForm(forms.Form):
    band = forms.CharField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, initial=Lapse.Status.OPEN,
                               choices=[*Lapse.Status.choices, ("all", gettext_lazy("All statuses"))],
                               widget=forms.Select(attrs=SMALL_SELECT))
    name = forms.CharField(label=gettext_lazy("Customer name"), required=False, max_length=50, strip=True,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name contains"),
                                                         "type": "search", **SMALL_INPUT}))

    def chosen(self) -> tuple[int | None, str, str]:
        """(band id or None for every band, status or "" for every status, name). A value not
        offered (an old link) counts as not given."""
        if not self.is_bound:
            return None, Lapse.Status.OPEN, ""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        raw = data.get("band") or ""
        band = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else None
        status = data.get("status") or Lapse.Status.OPEN
        return band, "" if status == "all" else status, data.get("name") or ""


class LapseReasonForm(MarksInvalid):
    """Why the customer stopped coming. A sold or scrapped car names which of their cars it is;
    `confirmed` is set by the confirmation page, once the user has read what it does."""

    reason = forms.ChoiceField(label=gettext_lazy("Reason"),
                               choices=[("", gettext_lazy("Reason…")), *LapseReason.Reason.choices],
                               error_messages={"required": gettext_lazy("Choose the reason."),
                                               "invalid_choice": gettext_lazy("Choose a reason from the list.")},
                               widget=forms.Select(attrs=SMALL_SELECT))
    vehicle = forms.TypedChoiceField(label=gettext_lazy("Which car"), required=False, coerce=int, empty_value=None,
                                     error_messages={"invalid_choice": gettext_lazy("Choose one of the customer's cars.")},
                                     widget=forms.Select(attrs=SMALL_SELECT))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, strip=True,
                           max_length=LapseReason._meta.get_field("note").max_length,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("What the customer said"),
                                                         **SMALL_INPUT}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.vehicles = {vehicle.pk: vehicle for vehicle in vehicles}
        self.fields["vehicle"].choices = [("", _("Which car (sold or scrapped)"))] + [
            (vehicle.pk, " ".join(filter(None, [vehicle.plate or vehicle.vin, vehicle.model_name])))
            for vehicle in vehicles]

    def clean(self):
        data = super().clean()
        if data.get("reason") in NEEDS_VEHICLE and not data.get("vehicle") and "vehicle" not in self.errors:
            self.add_error("vehicle", _("Say which car was sold or scrapped."))
        if data.get("vehicle"):
            data["vehicle"] = self.vehicles[data["vehicle"]]
        return data

    @property
    def needs_confirmation(self) -> bool:
        return self.cleaned_data["reason"] in NEEDS_VEHICLE and not self.cleaned_data.get("confirmed")


# --- the report ------------------------------------------------------------------------------------
def _month_start(value: date) -> date:
    return value.replace(day=1)


def _next_month(value: date) -> date:
    return date(value.year + value.month // 12, value.month % 12 + 1, 1)


class MonthField(forms.DateField):
    """A month (an <input type=month>: 2026-03), as its first day."""

    input_formats = ["%Y-%m"]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(format="%Y-%m", attrs={"type": "month", **SMALL_INPUT}))
        kwargs.setdefault("error_messages", {"invalid": gettext_lazy("Enter a month, e.g. 2026-03.")})
        super().__init__(**kwargs)


class ReportForm(MarksInvalid):
    MAX_MONTHS = 36
    DEFAULT_MONTHS = 6

    start = MonthField(label=gettext_lazy("From month"), required=False)
    end = MonthField(label=gettext_lazy("To month"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds")), *ReminderKind.choices],
                             widget=forms.Select(attrs=SMALL_SELECT))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        last = _month_start(today)
        first = last
        for _month in range(self.DEFAULT_MONTHS - 1):
            first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        self.default_start, self.default_end = first, last
        if not self.is_bound:
            self.initial = {"start": first, "end": last}

    def period(self) -> tuple[date, date, str] | None:
        """(first month's first day, the first day after the last month, kind), or None when the
        months are not valid (the page shows the errors). Months not given: the last six."""
        if not self.is_bound:
            return self.default_start, _next_month(self.default_end), ""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        start, end = data["start"] or self.default_start, data["end"] or self.default_end
        if start > end:
            self.add_error("end", _("The last month is before the first."))
            return None
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months > self.MAX_MONTHS:
            self.add_error("end", _("Show at most %(n)d months at a time.") % {"n": self.MAX_MONTHS})
            return None
        return start, _next_month(end), data["kind"]


# --- the lapse bands -------------------------------------------------------------------------------
class LapseBandForm(forms.ModelForm):
    class Meta:
        model = LapseBand
        fields = ["months", "name", "win_back_call", "active"]
        widgets = {
            "months": forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 120}),
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "win_back_call": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
        error_messages = {
            "months": {"required": gettext_lazy("Give the number of months without a visit."),
                       "unique": gettext_lazy("Another band already counts this many months."),
                       "min_value": gettext_lazy("At least 1 month."),
                       "max_value": gettext_lazy("At most 120 months."),
                       "invalid": gettext_lazy("Enter a whole number of months.")},
            "name": {"required": gettext_lazy("Give the band a name, e.g. 流失6个月.")},
        }

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
