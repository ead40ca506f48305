"""The events' forms: the event itself, its target group (the filters of `events.audience`), the
invitations (by SMS with a marketing template, or by call), a guest's answer, the checklist, the
outcomes, the cancellation, and the door's search and walk-in. A form checks the input's shape; the
rules are the services' (a refused step comes back as an EventError shown above the form)."""

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.catalogue.models import VehicleModel
from customers.models import Customer, Vehicle
from customers.normalize import MOBILE_RE, normalize_phone
from dealer_crm.messaging.models import Purpose, SmsTemplate
from followups.callbacks.forms import MarksInvalid

from .models import ChecklistItem, Event, Invitation

SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
DATE_INVALID = _("Enter a date, e.g. 2026-12-31.")
DATETIME_INVALID = _("Enter a date and a time, e.g. 2026-12-31 14:00.")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
NONE_TIER = "none"
MONTHS = [_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
          _("September"), _("October"), _("November"), _("December")]  # the audience's "not a member" among the tiers


def _datetime(label, *, required: bool, message=None) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local", "class": "form-control"}),
        error_messages={"invalid": DATETIME_INVALID, **({"required": message} if message else {})})


def _date(label, *, required: bool = False, message=None, small: bool = False) -> forms.DateField:
    css = "form-control form-control-sm" if small else "form-control"
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": css}),
                           error_messages={"invalid": DATE_INVALID, **({"required": message} if message else {})})


class UserChoiceField(forms.ModelChoiceField):
    """A colleague (the organiser, a checklist item's owner) by their display name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose someone from the list.")})
        super().__init__(queryset=get_user_model().objects.filter(is_active=True).order_by("display_name", "username"),
                         required=False, empty_label="—", **kwargs)

    def label_from_instance(self, user) -> str:
        return str(user)


# --- the event ------------------------------------------------------------------------------------
class EventForm(MarksInvalid):
    title = forms.CharField(label=_("Title"), max_length=100, strip=True,
                            error_messages={"required": _("Give the event a title.")},
                            widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off",
                                                          "placeholder": _("e.g. New Koleos launch")}))
    kind = forms.ChoiceField(label=_("Type"), choices=[("", "—")] + Event.Kind.choices,
                             error_messages={"required": _("Choose the type of event.")},
                             widget=forms.Select(attrs={"class": "form-select"}))
    starts_at = _datetime(_("Starts"), required=True, message=_("Enter when the event starts."))
    ends_at = _datetime(_("Ends"), required=False)
    venue = forms.CharField(label=_("Venue"), max_length=200, strip=True,
                            error_messages={"required": _("Enter where the event takes place.")},
                            widget=forms.TextInput(attrs={"class": "form-control",
                                                          "placeholder": _("e.g. the showroom, 2nd floor")}))
    budget = forms.DecimalField(label=_("Budget (yuan)"), min_value=0, max_digits=10, decimal_places=2, initial=0,
                                error_messages={"min_value": _("The budget cannot be negative."),
                                                "invalid": _("Enter an amount in yuan, e.g. 5000."),
                                                "required": _("Enter the budget (0 if none).")},
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}))
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=100000, required=False,
                                  help_text=_("How many guests the venue takes; empty: no limit."),
                                  error_messages={"min_value": _("At least one place, or leave it empty for no limit."),
                                                  "invalid": _("Enter a whole number of places.")},
                                  widget=forms.NumberInput(attrs={"class": "form-control", "min": "1"}))
    members_only = forms.BooleanField(label=_("Members only"), required=False,
                                      help_text=_("Members' self-drive trips and the like: only members are invited."),
                                      widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    organiser = UserChoiceField(label=_("Organiser"))
    description = forms.CharField(label=_("Description"), max_length=5000, required=False, strip=True,
                                  widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))

    FIELDS = ("title", "kind", "starts_at", "ends_at", "venue", "budget", "capacity", "members_only", "organiser",
              "description")

    @classmethod
    def initial_of(cls, event: Event) -> dict:
        return {name: getattr(event, name) for name in cls.FIELDS}

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("The event cannot end before it starts."))
        return data

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class OutcomeForm(MarksInvalid):
    orders_signed = forms.IntegerField(label=_("Orders signed"), min_value=0, max_value=10000,
                                       error_messages={"required": _("Enter how many orders were signed (0 if none)."),
                                                       "min_value": _("Orders signed cannot be negative."),
                                                       "invalid": _("Enter a whole number.")},
                                       widget=forms.NumberInput(attrs={"class": "form-control", "min": "0"}))
    feedback = forms.CharField(label=_("Feedback"), max_length=5000, required=False, strip=True,
                               widget=forms.Textarea(attrs={"rows": 3, "class": "form-control",
                                                            "placeholder": _("What guests said, what went well, what to change next time")}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "outcome")
        super().__init__(*args, **kwargs)


class CancelForm(MarksInvalid):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=500, strip=True,
                             error_messages={"required": _("Say why the event is cancelled.")},
                             widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)


# --- the target group -----------------------------------------------------------------------------
class AudienceForm(MarksInvalid):
    """The filters of `events.audience.AUDIENCE_KEYS`; `filters()` gives them as the service takes them
    (only those given, dates as ISO text)."""

    brands = forms.MultipleChoiceField(label=_("Brand"), required=False, choices=Vehicle.Brand.choices,
                                       widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    models = forms.MultipleChoiceField(label=_("Model"), required=False,
                                       widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 5}))
    interests = forms.CharField(label=_("Interests"), max_length=200, required=False, strip=True,
                                help_text=_("Words separated by spaces: any of them in the customer's interests."),
                                widget=forms.TextInput(attrs={"class": "form-control",
                                                              "placeholder": _("e.g. golf fishing travel")}))
    tiers = forms.MultipleChoiceField(label=_("Member tier"), required=False,
                                      widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    members_only = forms.BooleanField(label=_("Members only"), required=False,
                                      widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    importance = forms.MultipleChoiceField(label=_("Importance"), required=False, choices=Customer.Importance.choices,
                                           widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    last_visit_after = _date(_("Last visit from"))
    last_visit_before = _date(_("Last visit until"))
    district = forms.CharField(label=_("District"), max_length=50, required=False, strip=True,
                               help_text=_("A word of the address, e.g. 蜀山区."),
                               widget=forms.TextInput(attrs={"class": "form-control"}))
    birthday_month = forms.TypedChoiceField(label=_("Birthday month"), required=False, coerce=int, empty_value=None,
                                            choices=[("", "—")] + [(m, MONTHS[m - 1]) for m in range(1, 13)],
                                            widget=forms.Select(attrs={"class": "form-select"}))
    has_mobile = forms.BooleanField(label=_("Has a mobile"), required=False,
                                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from customers.membership.models import Tier

        names = (VehicleModel.objects.filter(active=True).order_by("brand", "name")
                 .values_list("name", flat=True).distinct())
        self.fields["models"].choices = [(name, name) for name in dict.fromkeys(names)]
        self.fields["tiers"].choices = [(str(tier.pk), tier.name) for tier in Tier.objects.order_by("threshold")] + [
            (NONE_TIER, _("Not a member"))]

    @staticmethod
    def initial_of(filters: dict) -> dict:
        initial = dict(filters or {})
        if "tiers" in initial:
            initial["tiers"] = [str(tier) for tier in initial["tiers"]]
        return initial

    def clean(self):
        data = super().clean()
        after, before = data.get("last_visit_after"), data.get("last_visit_before")
        if after and before and before < after:
            self.add_error("last_visit_before", _("The last visit's range ends before it starts."))
        return data

    def filters(self) -> dict:
        data, chosen = self.cleaned_data, {}
        for name, value in data.items():
            if value in (None, "", [], False):
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif name == "tiers":
                value = [tier if tier == NONE_TIER else int(tier) for tier in value]
            chosen[name] = value
        return chosen


# --- inviting -------------------------------------------------------------------------------------
class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, template) -> str:
        return template.name


class InviteSmsForm(MarksInvalid):
    template = TemplateChoiceField(label=_("Marketing SMS template"), queryset=SmsTemplate.objects.none(),
                                   empty_label="—",
                                   error_messages={"required": _("Choose the invitation's SMS template."),
                                                   "invalid_choice": _("Choose one of the marketing templates.")},
                                   widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = SmsTemplate.objects.filter(purpose=Purpose.MARKETING, active=True).order_by("name")


# --- the invitations ------------------------------------------------------------------------------
YES, NO = "yes", "no"


class InvitationFilterForm(forms.Form):
    rsvp = forms.ChoiceField(label=_("Answer"), required=False, choices=[("", _("All"))] + Invitation.Rsvp.choices,
                             widget=forms.Select(attrs=SMALL_SELECT))
    channel = forms.ChoiceField(label=pgettext_lazy("invitation", "Channel"), required=False, choices=[("", _("All"))] + Invitation.Channel.choices,
                                widget=forms.Select(attrs=SMALL_SELECT))
    checked_in = forms.ChoiceField(label=_("Checked in"), required=False,
                                   choices=[("", _("All")), (YES, _("Checked in")), (NO, _("Not yet"))],
                                   widget=forms.Select(attrs=SMALL_SELECT))

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class AnswerForm(MarksInvalid):
    rsvp = forms.ChoiceField(label=_("Answer"), choices=Invitation.Rsvp.choices,
                             error_messages={"required": _("Choose the answer."),
                                             "invalid_choice": _("Choose one of the answers.")},
                             widget=forms.Select(attrs=SMALL_SELECT))
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=20, initial=1,
                                    error_messages={"required": _("Enter how many people come (at least 1)."),
                                                    "min_value": _("At least one person."),
                                                    "max_value": _("At most 20 people per invitation."),
                                                    "invalid": _("Enter a whole number of people.")},
                                    widget=forms.NumberInput(attrs={"min": "1", "max": "20", "size": 3, **SMALL_INPUT}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs=SMALL_INPUT))


# --- the checklist --------------------------------------------------------------------------------
class ChecklistItemForm(MarksInvalid):
    kind = forms.ChoiceField(label=_("Type"), choices=ChecklistItem.Kind.choices,
                             error_messages={"required": _("Choose the type of task.")},
                             widget=forms.Select(attrs={"class": "form-select"}))
    title = forms.CharField(label=_("Task"), max_length=100, strip=True,
                            error_messages={"required": _("Say what is to be done.")},
                            widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off",
                                                          "placeholder": _("e.g. order the cold buffet for 60")}))
    owner = UserChoiceField(label=pgettext_lazy("checklist", "Owner"))
    due_on = _date(pgettext_lazy("checklist", "Due"))
    cost = forms.DecimalField(label=_("Cost (yuan)"), min_value=0, max_digits=10, decimal_places=2, initial=0,
                              error_messages={"min_value": _("A cost cannot be negative."),
                                              "invalid": _("Enter an amount in yuan, e.g. 1200."),
                                              "required": _("Enter the cost (0 if none).")},
                              widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    FIELDS = ("kind", "title", "owner", "due_on", "cost", "note")

    @classmethod
    def initial_of(cls, item: ChecklistItem) -> dict:
        return {name: getattr(item, name) for name in cls.FIELDS}

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


# --- the door -------------------------------------------------------------------------------------
class WalkInForm(MarksInvalid):
    """Someone at the door who was not invited: an archive customer found by the search (`customer`),
    a new customer (name and mobile), or a prospect handed to sales as a lead."""

    CUSTOMER, NEW, LEAD = "customer", "new", "lead"
    mode = forms.ChoiceField(label=_("Who is it?"), initial=NEW, required=False,
                             choices=[(NEW, _("A new customer: add to the archive")),
                                      (LEAD, _("A prospect: hand to sales as a lead"))],
                             widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**62)
    name = forms.CharField(label=_("Name"), max_length=50, required=False, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "autocomplete": "off"}))
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False, strip=True,
                             widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "inputmode": "tel",
                                                           "autocomplete": "off"}))
    note = forms.CharField(label=pgettext_lazy("walk-in", "Note"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-lg",
                                                         "placeholder": _("e.g. came with a friend, wants a test drive")}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "walkin")
        super().__init__(*args, **kwargs)

    def clean_mobile(self):
        raw = self.cleaned_data["mobile"]
        if not raw:
            return ""
        try:
            number = normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if not MOBILE_RE.match(number):
            raise forms.ValidationError(_("Enter a mobile number (11 digits starting with 1)."))
        return number

    def clean(self):
        data = super().clean()
        if data.get("customer"):
            data["mode"] = self.CUSTOMER
            return data
        data["mode"] = data.get("mode") or self.NEW
        if not data.get("name"):
            self.add_error("name", _("Enter the guest's name."))
        if not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("Enter the guest's mobile: the store keeps in touch with them."))
        return data
