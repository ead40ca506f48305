"""The interviews' and the lounge's forms. A form checks the input's shape; the rules are the services'
(a refused step comes back as a CareError message, the form as typed).

The file's fields are shown as they are stored and carry, signed in a hidden field, a fingerprint of
each (customers.edits): the services write only what the user changed, and a colleague's change made
meanwhile is never undone without the user seeing it."""

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.edits import fingerprints
from customers.models import Customer, FamilyMember
from customers.normalize import MOBILE_RE, normalize_phone
from followups.callbacks.models import Department, Problem
from followups.leads.models import Lead

from .models import ImportantCustomerForm, Interview, LoungeVisit
from .selectors import WITH_FORM, WITH_GIFT, WITH_PROBLEMS, WITH_REFERRALS, WITH_SUGGESTIONS, InterviewFilters

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
DATE_INVALID = _("Enter a date, e.g. 2026-12-31.")
SALT = "care.forms.opened"


def _area(rows: int = 2, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **INPUT, **attrs})


def _date(label, *, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, error_messages={"invalid": DATE_INVALID},
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **INPUT}))


def opened_token(customer: Customer, names) -> str:
    return signing.dumps({name: value for name, value in fingerprints(
        {name: getattr(customer, name) for name in names}).items()}, salt=SALT, compress=True)


def opened_base(token: str) -> dict[str, str]:
    """The fingerprints the form was opened with; empty when it came without them (every field that
    differs from the file then counts as changed by both, and the user is asked)."""
    try:
        return signing.loads(token or "", salt=SALT)
    except (signing.BadSignature, TypeError):
        return {}


# --- the interview list's filters --------------------------------------------------------------------
class InterviewFilterForm(forms.Form):
    HAVING = [("", pgettext_lazy("interview filter", "All")), (WITH_SUGGESTIONS, _("With suggestions")),
              (WITH_PROBLEMS, _("With problems for a department")), (WITH_REFERRALS, _("With referrals")),
              (WITH_GIFT, _("With a gift chosen")), (WITH_FORM, _("With the important-customer form"))]

    q = forms.CharField(label=_("Customer"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={**INPUT, "placeholder": _("Name")}))
    interviewer = forms.TypedChoiceField(label=_("Interviewer"), required=False, coerce=int, empty_value=None,
                                         widget=forms.Select(attrs=SELECT))
    place = forms.ChoiceField(label=_("Place"), required=False, choices=[("", "—"), *Interview.Place.choices],
                              widget=forms.Select(attrs=SELECT))
    held_from = _date(_("From"))
    held_until = _date(_("Until"))
    having = forms.ChoiceField(label=_("Showing"), required=False, choices=HAVING, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, interviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interviewer"].choices = [("", "—")] + [(user.pk, str(user)) for user in interviewers]

    def filters(self) -> InterviewFilters:
        data = {}
        if self.is_bound:
            self.is_valid()  # a filter typed wrong is left out, the others apply
            data = self.cleaned_data
        return InterviewFilters(q=(data.get("q") or "").strip(), interviewer=data.get("interviewer"),
                                place=data.get("place") or "", held_from=data.get("held_from"),
                                held_until=data.get("held_until"), having=data.get("having") or "")


# --- the interview ------------------------------------------------------------------------------------
class InterviewForm(forms.Form):
    """The interview's own fields and the customer's file as it is now."""

    FILE_FIELDS = ("occupation", "social_level", "interests", "expectations", "birthday", "importance")

    place = forms.ChoiceField(label=_("Place"), choices=Interview.Place.choices, initial=Interview.Place.STORE,
                              widget=forms.Select(attrs=SELECT))
    summary = forms.CharField(label=_("What was talked about"), required=False, max_length=4000,
                              widget=_area(3, placeholder=_("How they use the car, what they think of the store…")))
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=50, widget=forms.TextInput(attrs=INPUT))
    social_level = forms.CharField(label=_("Social circle"), required=False, max_length=50,
                                   widget=forms.TextInput(attrs=INPUT))
    interests = forms.CharField(label=_("Hobbies and interests"), required=False, widget=_area(2))
    expectations = forms.CharField(label=_("Expectations of the store"), required=False, widget=_area(2))
    birthday = _date(_("Birthday"))
    importance = forms.ChoiceField(label=_("Importance"), choices=Customer.Importance.choices,
                                   widget=forms.Select(attrs=SELECT))
    opened = forms.CharField(widget=forms.HiddenInput, required=False)
    # The gift chosen from the gift menu (礼品栏).
    gift = forms.TypedChoiceField(label=_("Gift chosen"), required=False, coerce=int, empty_value=None,
                                  widget=forms.Select(attrs=SELECT),
                                  error_messages={"invalid_choice": _("Choose a gift from the menu.")})
    gift_quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=20, initial=1,
                                       widget=forms.NumberInput(attrs=INPUT))
    gift_for = forms.TypedChoiceField(label=_("For"), required=False, coerce=int, empty_value=None,
                                      widget=forms.Select(attrs=SELECT))
    gift_delivery = forms.ChoiceField(label=_("Delivery"), choices=[("post", _("By courier")),
                                                                    ("in_store", _("Handed over in the store"))],
                                      widget=forms.Select(attrs=SELECT))
    gift_address = forms.CharField(label=_("Address to post to"), required=False, max_length=200,
                                   widget=forms.TextInput(attrs={**INPUT, "placeholder": _("The file's address if empty")}))

    def __init__(self, *args, customer: Customer, gifts=(), family=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**{name: getattr(customer, name) for name in self.FILE_FIELDS},
                             "opened": opened_token(customer, self.FILE_FIELDS), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.gifts = {gift.pk: gift for gift in gifts}
        self.family = {member.pk: member for member in family}
        self.fields["gift"].choices = [("", _("No gift chosen"))] + [
            (gift.pk, f"{gift.name} · ¥{gift.unit_cost:.0f}") for gift in gifts]
        self.fields["gift_for"].choices = [("", pgettext_lazy("gift for", "The customer"))] + [(member.pk, str(member)) for member in family]

    def clean(self):
        data = super().clean()
        if data.get("gift") is not None:
            data["gift_object"] = self.gifts.get(data["gift"])
        data["gift_for_object"] = self.family.get(data.get("gift_for")) if data.get("gift_for") else None
        return data

    def file_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FILE_FIELDS}


class FamilyRowForm(forms.Form):
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", "—"), *FamilyMember.Relation.choices],
                                 required=False, widget=forms.Select(attrs=SELECT))
    name = forms.CharField(label=_("Name"), required=False, max_length=50, widget=forms.TextInput(attrs=INPUT))
    birthday = _date(_("Birthday"))
    note = forms.CharField(label=_("Note"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={**INPUT, "placeholder": _("School, likes…")}))

    def clean(self):
        data = super().clean()
        if (data.get("name") or data.get("birthday") or data.get("note")) and not data.get("relation"):
            self.add_error("relation", _("Choose how they are related to the customer."))
        if (data.get("relation") or data.get("birthday")) and not data.get("name"):
            self.add_error("name", _("Enter the family member's name."))
        return data


class SuggestionRowForm(forms.Form):
    text = forms.CharField(label=_("Suggestion"), required=False, max_length=2000, widget=_area(2))
    department = forms.ChoiceField(label=_("Send to"), required=False,
                                   choices=[("", _("Only record it")), *Department.choices],
                                   widget=forms.Select(attrs=SELECT))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=Problem.Category.choices,
                                 initial=Problem.Category.OTHER, widget=forms.Select(attrs=SELECT))

    def clean(self):
        data = super().clean()
        if data.get("department") and not data.get("text"):
            self.add_error("text", _("Write what the customer suggested."))
        return data


class ReferralRowForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=50, widget=forms.TextInput(attrs=INPUT))
    mobile = forms.CharField(label=_("Mobile"), required=False, max_length=30, widget=forms.TextInput(attrs=INPUT))
    model_interest = forms.CharField(label=_("Model of interest"), required=False, max_length=50,
                                     widget=forms.TextInput(attrs=INPUT))
    timing = forms.ChoiceField(label=_("When to buy"), choices=Lead.Timing.choices, initial=Lead.Timing.UNKNOWN,
                               widget=forms.Select(attrs=SELECT))
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.TextInput(attrs=INPUT))

    def clean(self):
        data = super().clean()
        if (data.get("mobile") or data.get("model_interest") or data.get("note")) and not data.get("name"):
            self.add_error("name", _("Enter the name of the person referred."))
        if data.get("name") and not data.get("mobile"):
            self.add_error("mobile", _("Enter their mobile: sales call them."))
        elif data.get("mobile"):
            try:
                number = normalize_phone(data["mobile"])
            except ValueError as error:
                self.add_error("mobile", str(error))
            else:
                if not MOBILE_RE.match(number):
                    self.add_error("mobile", _("Enter a mobile number (11 digits starting with 1): sales call or text the prospect."))
        return data


class ImportantForm(forms.ModelForm):
    class Meta:
        model = ImportantCustomerForm
        exclude = ["interview"]
        widgets = {
            "notes": _area(2),
            "preferred_contact": forms.Select(attrs=SELECT),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            if name not in self.Meta.widgets:
                field.widget.attrs.update(INPUT)
        self.fields["preferred_contact"].choices = [("", "—"), *ImportantCustomerForm.Contact.choices]


FamilyFormSet = forms.formset_factory(FamilyRowForm, extra=0)
SuggestionFormSet = forms.formset_factory(SuggestionRowForm, extra=3, max_num=10)
ReferralFormSet = forms.formset_factory(ReferralRowForm, extra=2, max_num=10)


def family_initial(family) -> list[dict]:
    """The customer's family as stored, then two empty rows to add children or a spouse."""
    rows = [{"member": member.pk, "relation": member.relation, "name": member.name, "birthday": member.birthday,
             "note": member.note} for member in family]
    return rows + [{}, {}]


# --- the lounge ----------------------------------------------------------------------------------------
class LoungeVisitForm(forms.Form):
    FILE_FIELDS = ("occupation", "social_level", "interests")

    offered = forms.MultipleChoiceField(label=_("Offered"), required=False, choices=LoungeVisit.Offer.choices,
                                        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    offered_note = forms.CharField(label=_("Something else"), required=False, max_length=100,
                                   widget=forms.TextInput(attrs=INPUT))
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=50, widget=forms.TextInput(attrs=INPUT))
    social_level = forms.CharField(label=_("Social circle"), required=False, max_length=50,
                                   widget=forms.TextInput(attrs=INPUT))
    interests = forms.CharField(label=_("Hobbies and interests"), required=False, widget=_area(2))
    needs = forms.CharField(label=_("Needs heard"), required=False, max_length=2000,
                            widget=_area(2, placeholder=_("Tyres soon, thinking of a second car…")))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_area(2))
    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, visit: LoungeVisit, **kwargs):
        customer = visit.customer
        kwargs["initial"] = {**{name: getattr(customer, name) for name in self.FILE_FIELDS},
                             "opened": opened_token(customer, self.FILE_FIELDS), "offered": visit.offered,
                             "offered_note": visit.offered_note, "needs": visit.needs, "note": visit.note}
        super().__init__(*args, **kwargs)

    def file_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FILE_FIELDS}


class ArriveForm(forms.Form):
    customer = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    appointment = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    service_visit = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
