"""The appointments' forms: choosing a time (a suggested quiet slot, or another day and hour picked
by hand), booking with the jobs and the customer's own words, moving and cancelling with a reason,
the calendar's and the desk's day pickers, and the workshop's capacity. A form checks the input's
shape and finds the slot it names; the rules (a full slot, a time past, a second booking of the
same car) are the services' and come back as their message."""

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from followups.callbacks.forms import MarksInvalid

from . import selectors, services
from .models import Appointment, DayType, ServiceResource

OTHER = "other"
JOBS_MAX = 20
JOB_MAX_LENGTH = 100
WORDS_MAX = 1000
REASON_MAX = 200
# The hours the capacity form offers: a workshop opens in the morning and closes in the evening.
CAPACITY_HOURS = range(6, 22)
PLACES_MAX = 50  # as Capacity.places allows
SMALL_SELECT = {"class": "form-select form-select-sm"}
DATE_INPUT = {"type": "date", "class": "form-control form-control-sm"}


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def _resource_choices(resources, *, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [(str(resource.pk), resource.name) for resource in resources]


def _slots_made(day: date) -> None:
    """The day's slots, made now if the daily job has not made them yet (a day just inside the
    booking horizon, or a capacity changed today); days past or beyond the horizon are not made."""
    today = timezone.localdate()
    if today <= day <= today + timedelta(days=settings.APPOINTMENT_DAYS_AHEAD):
        services.slots_ensure(start=day, days=1)


class SlotChoiceForm(MarksInvalid):
    """A time for the booking: one of the suggested slots (`slot` is its id), or `other` with a day,
    an hour and optionally who takes the car. `clean` puts the Slot found in cleaned_data["slot"]."""

    slot = forms.CharField(required=False)
    other_day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))
    other_hour = forms.TypedChoiceField(label=_("Hour"), required=False, coerce=int, empty_value=None,
                                        widget=forms.Select(attrs=SMALL_SELECT))
    other_resource = forms.ChoiceField(label=_("Taken by"), required=False, widget=forms.Select(attrs=SMALL_SELECT))

    def __init__(self, *args, resources, hours, **kwargs):
        super().__init__(*args, **kwargs)
        self.resources = {str(resource.pk): resource for resource in resources}
        self.fields["other_hour"].choices = [("", "—")] + [(hour, hour_label(hour)) for hour in hours]
        self.fields["other_resource"].choices = _resource_choices(resources, empty_label=_("Whoever is free"))

    @property
    def chose_other(self) -> bool:
        return (self["slot"].value() or "") == OTHER

    def clean(self):
        data = super().clean()
        chosen = (data.get("slot") or "").strip()
        if chosen == OTHER:
            day, hour = data.get("other_day"), data.get("other_hour")
            if day is None and "other_day" not in self.errors:
                self.add_error("other_day", _("Choose the day."))
            if hour is None and "other_hour" not in self.errors:
                self.add_error("other_hour", _("Choose the hour."))
            if day is None or hour is None:
                return data
            resource = self.resources.get(data.get("other_resource") or "")
            _slots_made(day)
            slot = selectors.slot_at(day=day, hour=hour, resource=resource)
            if slot is None:
                self.add_error("other_day", _("The workshop takes no bookings then (a closed day, an hour without "
                                              "places, or a day not yet open for booking): choose another time."))
                return data
            data["slot"] = slot
        elif chosen.isascii() and chosen.isdigit() and 0 < int(chosen) < 2**63:
            slot = selectors.slot_for_booking(pk=int(chosen))
            if slot is None:
                self.add_error(None, _("That time is no longer offered: choose another."))
                return data
            data["slot"] = slot
        else:
            self.add_error(None, _("Choose a time: one of the suggested ones, or another day and hour."))
        return data


class BookingForm(SlotChoiceForm):
    vehicle = forms.ChoiceField(label=_("Vehicle"), widget=forms.Select(attrs={"class": "form-select"}),
                                error_messages={"required": _("Choose the car to be serviced."),
                                                "invalid_choice": _("Choose one of the customer's cars.")})
    jobs = forms.CharField(
        label=_("Jobs"), max_length=JOBS_MAX * (JOB_MAX_LENGTH + 1), strip=True,
        help_text=_("One job a line, e.g. 首保 or 更换雨刮."),
        error_messages={"required": _("Write at least one job, so the service desk can prepare.")},
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    customer_words = forms.CharField(
        label=_("In the customer's words"), required=False, max_length=WORDS_MAX, strip=True,
        help_text=_("What the customer said, as they said it: the desk does not ask again."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    parts_note = forms.CharField(label=_("Parts to check"), required=False, max_length=200, strip=True,
                                 widget=forms.TextInput(attrs={"class": "form-control"}))
    source = forms.ChoiceField(label=_("Booked from"), choices=Appointment.Source.choices,
                               widget=forms.Select(attrs={"class": "form-select"}))

    field_order = ["vehicle", "jobs", "customer_words", "parts_note", "source"]

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.vehicles = {str(vehicle.pk): vehicle for vehicle in vehicles}
        field = self.fields["vehicle"]
        field.choices = [(key, " ".join(filter(None, [vehicle.plate, vehicle.model_name, f"…{vehicle.vin[-6:]}"])))
                         for key, vehicle in self.vehicles.items()]
        if not vehicles:  # a caller whose car is not in the archive yet: booked without one
            field.required, field.choices = False, [("", _("No car in the archive"))]

    def clean_vehicle(self):
        return self.vehicles.get(self.cleaned_data["vehicle"])

    def clean_jobs(self):
        jobs = [line.strip() for line in self.cleaned_data["jobs"].splitlines() if line.strip()]
        if not jobs:
            raise forms.ValidationError(_("Write at least one job, so the service desk can prepare."))
        if len(jobs) > JOBS_MAX:
            raise forms.ValidationError(_("At most %(n)d jobs, one a line.") % {"n": JOBS_MAX})
        if any(len(job) > JOB_MAX_LENGTH for job in jobs):
            raise forms.ValidationError(_("A job is at most %(n)d characters: write it shorter, or in the "
                                          "customer's words.") % {"n": JOB_MAX_LENGTH})
        return jobs


def _reason(label, message) -> forms.CharField:
    return forms.CharField(label=label, max_length=REASON_MAX, strip=True, error_messages={"required": message},
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class RescheduleForm(SlotChoiceForm):
    reason = _reason(_("Why it moves"), _("Say why the appointment moves (the customer asked, the workshop is full, …)."))


class CancelForm(MarksInvalid):
    reason = _reason(_("Why it is cancelled"), _("Say why the appointment is cancelled."))


# --- the pages' pickers ------------------------------------------------------------------------------
class CalendarFilterForm(forms.Form):
    week = forms.DateField(label=_("Week of"), required=False, widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))
    resource = forms.ChoiceField(label=_("Taken by"), required=False,
                                 widget=forms.Select(attrs={**SMALL_SELECT, "data-autosubmit": ""}))

    def __init__(self, *args, resources, **kwargs):
        super().__init__(*args, **kwargs)
        self.resources = {str(resource.pk): resource for resource in resources}
        self.fields["resource"].choices = _resource_choices(resources, empty_label=_("All resources"))

    def week_of(self, today: date) -> date:
        day = (self.cleaned_data.get("week") if self.is_valid() else None) or today
        return selectors.week_start(day)

    def chosen_resource(self) -> ServiceResource | None:
        return self.resources.get(self.cleaned_data.get("resource") or "") if self.is_valid() else None


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))

    def day_or(self, today: date) -> date:
        return (self.cleaned_data.get("day") if self.is_valid() else None) or today


# --- capacity ------------------------------------------------------------------------------------------
class CapacityForm(MarksInvalid):
    """One resource's places per hour on each type of day: a number a cell (empty: none)."""

    def __init__(self, *args, places: dict[str, dict[int, int]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        places = places or {}
        self.grid: list[tuple[int, list]] = []
        for hour in CAPACITY_HOURS:
            for kind in DayType.values:
                self.fields[self.key(kind, hour)] = forms.IntegerField(
                    label=f"{DayType(kind).label} {hour_label(hour)}", required=False, min_value=0,
                    max_value=PLACES_MAX,
                    initial=places.get(kind, {}).get(hour) or None,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm capacity-input"}))
        self.grid = [(hour_label(hour), [self[self.key(kind, hour)] for kind in DayType.values])
                     for hour in CAPACITY_HOURS]

    @staticmethod
    def key(day_type: str, hour: int) -> str:
        return f"{day_type}_{hour}"

    def places(self) -> dict[str, dict[int, int]]:
        return {kind: {hour: self.cleaned_data.get(self.key(kind, hour)) or 0 for hour in CAPACITY_HOURS}
                for kind in DayType.values}


class ResourceForm(forms.ModelForm):
    class Meta:
        model = ServiceResource
        fields = ["name", "kind", "position", "active"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "kind": forms.Select(attrs={"class": "form-select"}),
            "position": forms.NumberInput(attrs={"class": "form-control"}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
