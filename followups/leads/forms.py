"""The leads' forms: the list's filters, handing a lead over (with the archive's customers that have
the mobile typed, offered before a new person is made), and the sales side's steps (assign, contact,
won, lost, reopen, link). A form checks the input's shape; the rules are the services' (a refused
step comes back as a LeadError message)."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from customers.catalogue.models import VehicleModel
from customers.normalize import MOBILE_RE, normalize_phone
from followups.callbacks.forms import MarksInvalid

from . import selectors
from .models import Lead

SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
NUMBER = re.compile(r"^(?:XS)?0*(\d{1,9})$", re.IGNORECASE)
DATE_INVALID = gettext_lazy("Enter a date, e.g. 2026-12-31.")
# Said most often when a lead is lost: offered as the reason's suggestions, any other text is fine.
LOST_REASONS = [
    gettext_lazy("Bought a car at another store"),
    gettext_lazy("Chose another brand"),
    gettext_lazy("Over budget"),
    gettext_lazy("Not buying for now"),
    gettext_lazy("Cannot be reached"),
    gettext_lazy("Duplicate lead"),
]


def _date(label, *, required: bool, message=None) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
                           error_messages={"invalid": DATE_INVALID, **({"required": message} if message else {})})


def _text(label, *, required: bool, max_length: int, rows: int = 2, message=None, placeholder="") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length, strip=True,
                           error_messages={"required": message} if message else {},
                           widget=forms.Textarea(attrs={"rows": rows, "class": "form-control", "placeholder": placeholder}))


class ConsultantChoiceField(forms.ChoiceField):
    """A consultant among those given (read once per page)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        kwargs.setdefault("error_messages", {"required": gettext_lazy("Choose the consultant."),
                                             "invalid_choice": gettext_lazy("Choose someone from the list.")})
        super().__init__(**kwargs)
        self.users: dict[str, object] = {}

    def set_users(self, users) -> None:
        self.users = {str(user.pk): user for user in users}
        self.choices = [("", "—")] + [(key, str(user)) for key, user in self.users.items()]

    def clean(self, value):
        value = super().clean(value)
        return self.users.get(value) if value else None


# --- the list --------------------------------------------------------------------------------------
class LeadFilterForm(forms.Form):
    tab = forms.ChoiceField(required=False, choices=[(tab, tab) for tab in selectors.TABS], widget=forms.HiddenInput)
    due = forms.ChoiceField(label=gettext_lazy("Next contact"), required=False, widget=forms.Select(attrs=SMALL_SELECT),
                            choices=[("", gettext_lazy("Any date")),
                                     (selectors.DUE, gettext_lazy("Due today or overdue")),
                                     (selectors.OVERDUE, gettext_lazy("Overdue only"))])
    consultant = forms.ChoiceField(label=gettext_lazy("Sales consultant"), required=False,
                                   widget=forms.Select(attrs=SMALL_SELECT))
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False, widget=forms.Select(attrs=SMALL_SELECT),
                               choices=[("", gettext_lazy("All"))] + Lead.Source.choices)
    q = forms.CharField(label=gettext_lazy("Prospect or number"), required=False, max_length=50, strip=True,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, whole mobile or XS number"),
                                                      "type": "search", "size": 26, **SMALL_INPUT}))
    order = forms.ChoiceField(required=False, choices=[(key, key) for key in selectors.SORTS], widget=forms.HiddenInput)

    def __init__(self, *args, consultants=None, **kwargs):
        super().__init__(*args, **kwargs)
        if consultants is None:  # who sees only their own leads has no one to choose among
            del self.fields["consultant"]
        else:
            self.fields["consultant"].choices = [("", _("Everyone")), (selectors.UNASSIGNED, _("Nobody yet")),
                                                 *[(str(user.pk), str(user)) for user in consultants]]

    def filters(self) -> selectors.LeadFilters:
        """The filters asked for; a value not offered (an old link) counts as not given."""
        if not self.is_bound:
            return selectors.LeadFilters()
        self.is_valid()
        data = self.cleaned_data
        text = data.get("q") or ""
        name, number, mobile = "", None, ""
        if MOBILE_RE.match(text):
            mobile = text
        elif (found := NUMBER.match(text)) is not None:
            number = int(found.group(1))
        else:
            name = text
        return selectors.LeadFilters(
            tab=data.get("tab") or selectors.OPEN, due=data.get("due") or "", consultant=data.get("consultant") or "",
            source=data.get("source") or "", name=name, number=number, mobile=mobile,
            order=data.get("order") or selectors.DEFAULT_SORT)


# --- handing a lead over ---------------------------------------------------------------------------
NEW_PERSON = "new"


class LeadCreateForm(MarksInvalid):
    """What sales need to know: who (the archive's customer, or a name and a mobile), what they want
    (a model, a budget, when), and where the lead comes from. `match` is the user's answer once the
    archive's customers with the mobile typed were offered: one of them, or a new person."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=50, strip=True,
                           error_messages={"required": gettext_lazy("Enter the prospect's name.")},
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))
    mobile = forms.CharField(label=gettext_lazy("Mobile"), max_length=30, strip=True,
                             error_messages={"required": gettext_lazy("Enter the prospect's mobile: sales call or text them.")},
                             widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "tel", "autocomplete": "off"}))
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=[("", "—")] + Lead.Source.choices,
                               error_messages={"required": gettext_lazy("Choose where the lead comes from.")},
                               widget=forms.Select(attrs={"class": "form-select"}))
    model_interest = forms.CharField(
        label=gettext_lazy("Model of interest"), max_length=50, required=False, strip=True,
        widget=forms.TextInput(attrs={"class": "form-control", "list": "lead-models", "autocomplete": "off",
                                      "placeholder": gettext_lazy("Choose a model or type one")}))
    budget = forms.CharField(label=gettext_lazy("Budget"), max_length=30, required=False, strip=True,
                             widget=forms.TextInput(attrs={"class": "form-control",
                                                           "placeholder": gettext_lazy("e.g. 200,000 yuan")}))
    timing = forms.ChoiceField(label=gettext_lazy("When to buy"), choices=Lead.Timing.choices, initial=Lead.Timing.UNKNOWN,
                               widget=forms.Select(attrs={"class": "form-select"}))
    note = _text(gettext_lazy("Note"), required=False, max_length=2000, rows=3,
                 placeholder=gettext_lazy("What they said they want, the best time to call"))
    match = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, prospect=None, source: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prospect = prospect
        if prospect is not None:  # the archive's customer: their own name and mobile
            del self.fields["name"], self.fields["mobile"], self.fields["match"]
        if source:  # from a call or a referral: where it comes from is known
            self.fields["source"].initial = source
        self.models = list(VehicleModel.objects.filter(active=True).order_by("brand", "name"))

    def clean_mobile(self):
        raw = self.cleaned_data["mobile"]
        try:
            number = normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if not MOBILE_RE.match(number):
            raise forms.ValidationError(_("Enter a mobile number (11 digits starting with 1): sales call or text the prospect."))
        return number

    def clean_match(self):
        value = self.cleaned_data.get("match") or ""
        return value if value == NEW_PERSON or (value.isascii() and value.isdigit() and len(value) < 19) else ""


# --- the sales side's steps ------------------------------------------------------------------------
class AssignForm(MarksInvalid):
    to = ConsultantChoiceField(label=pgettext_lazy("lead", "Give to"))
    next_contact_on = _date(gettext_lazy("First contact by"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, consultants, **kwargs):
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.fields["to"].set_users(consultants)


class ContactForm(MarksInvalid):
    note = _text(gettext_lazy("What was said"), required=True, max_length=500, rows=3,
                 message=gettext_lazy("Write what was said."),
                 placeholder=gettext_lazy("The call or the visit: what they want, what was offered, what they answered"))
    next_contact_on = _date(gettext_lazy("Next contact"), required=True,
                            message=gettext_lazy("Enter the date of the next contact."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)


class WinForm(MarksInvalid):
    note = forms.CharField(label=gettext_lazy("What they bought"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control",
                                                         "placeholder": gettext_lazy("Model, order number (optional)")}))
    # Offered while customers of the archive have the lead's mobile and the lead is linked to none.
    new_customer = forms.BooleanField(label=gettext_lazy("The buyer is none of them: add them to the archive as a new customer"),
                                      required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, matches: bool = False, **kwargs):
        kwargs.setdefault("prefix", "win")
        super().__init__(*args, **kwargs)
        if not matches:
            del self.fields["new_customer"]


class LoseForm(MarksInvalid):
    reason = forms.CharField(label=gettext_lazy("Why it is lost"), max_length=200, strip=True,
                             error_messages={"required": gettext_lazy("Write why the lead is lost.")},
                             widget=forms.TextInput(attrs={"class": "form-control", "list": "lead-lost-reasons",
                                                           "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "lose")
        super().__init__(*args, **kwargs)


class ReopenForm(MarksInvalid):
    note = forms.CharField(label=gettext_lazy("Why it is reopened"), max_length=500, strip=True,
                           error_messages={"required": gettext_lazy("Write why the lead is reopened.")},
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)


class LinkForm(forms.Form):
    customer = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
