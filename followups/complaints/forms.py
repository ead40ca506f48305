"""The complaints' forms: the list's filters, registering, each move of the workflow with its note
worded for that move, the supervisor's acts, the case analysis with its plans, and the settings
(severities, the store's calendar days). A form checks the input's shape; the rules are the
services' (a refused move comes back as a ComplaintError message)."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from followups.callbacks.forms import MarksInvalid
from followups.callbacks.models import Department

from . import selectors
from .models import CaseAnalysis, Complaint, ComplaintStep, Severity, StoreDay

A = ComplaintStep.Action
TEXT_MAX = 2000
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
NUMBER = re.compile(r"^(?:TS)?0*(\d{1,9})$", re.IGNORECASE)
MOBILE = re.compile(r"^1\d{10}$")


def _text(label, *, rows: int = 3, required: bool = True, placeholder="", message=None,
          max_length: int = TEXT_MAX) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, strip=True,
        error_messages={"required": message} if message else {},
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control", "placeholder": placeholder}))


def _line(label, *, required: bool = True, max_length: int = 200, message=None) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length, strip=True,
                           error_messages={"required": message} if message else {},
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class HandlerChoiceField(forms.ChoiceField):
    """A member of staff among those given (read once per page, however many forms offer them)."""

    def __init__(self, *, empty_label, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        kwargs.setdefault("error_messages", {"required": gettext_lazy("Choose who handles it."),
                                             "invalid_choice": gettext_lazy("Choose someone from the list.")})
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.users: dict[str, object] = {}

    def set_users(self, users) -> None:
        self.users = {str(user.pk): user for user in users}
        self.choices = [("", self.empty_label)] + [(key, str(user)) for key, user in self.users.items()]

    def clean(self, value):
        value = super().clean(value)
        return self.users.get(value) if value else None


def _handler_choice(label, *, required: bool, empty_label) -> HandlerChoiceField:
    return HandlerChoiceField(label=label, required=required, empty_label=empty_label)


def _offer_handlers(form: forms.Form, name: str, handlers) -> None:
    form.fields[name].set_users(list(selectors.complaint_handlers()) if handlers is None else handlers)


# --- the list --------------------------------------------------------------------------------------
class ComplaintFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False, initial=selectors.OPEN,
                              widget=forms.Select(attrs=SMALL_SELECT))
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), required=False, widget=forms.Select(attrs=SMALL_SELECT))
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False,
                                   choices=[("", gettext_lazy("All"))] + Department.choices,
                                   widget=forms.Select(attrs=SMALL_SELECT))
    owner = forms.ChoiceField(label=gettext_lazy("Handled by"), required=False, widget=forms.Select(attrs=SMALL_SELECT))
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False,
                                choices=[("", gettext_lazy("All"))] + Complaint.Channel.choices,
                                widget=forms.Select(attrs=SMALL_SELECT))
    q = forms.CharField(label=gettext_lazy("Customer or number"), required=False, max_length=50, strip=True,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, whole mobile or TS number"),
                                                      "type": "search", "size": 26, **SMALL_INPUT}))
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    order = forms.ChoiceField(required=False, choices=[(key, key) for key in selectors.SORTS], widget=forms.HiddenInput)

    def __init__(self, *args, handlers, severities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(selectors.OPEN, _("Open (not closed)")), ("", _("All states")),
                                        *Complaint.Status.choices]
        self.fields["severity"].choices = [("", _("All"))] + [(str(s.pk), s.name) for s in severities]
        self.fields["owner"].choices = [("", _("Everyone")), (selectors.UNASSIGNED, _("Nobody yet")),
                                        *[(str(user.pk), str(user)) for user in handlers]]

    def filters(self) -> selectors.ComplaintFilters:
        """The filters asked for; a value not offered (an old link) counts as not given."""
        if not self.is_bound:
            return selectors.ComplaintFilters()
        self.is_valid()
        data = self.cleaned_data
        text = data.get("q") or ""
        name, number, mobile = "", None, ""
        if MOBILE.match(text):
            mobile = text
        elif (found := NUMBER.match(text)) is not None:
            number = int(found.group(1))
        else:
            name = text
        return selectors.ComplaintFilters(
            state=data.get("state", selectors.OPEN) if "state" in data else selectors.OPEN,
            severity=int(data["severity"]) if data.get("severity") else None,
            overdue=bool(data.get("overdue")), department=data.get("department") or "",
            owner=data.get("owner") or "", channel=data.get("channel") or "",
            name=name, number=number, mobile=mobile, order=data.get("order") or selectors.DEFAULT_SORT)


# --- registering -----------------------------------------------------------------------------------
# The ways a complaint comes in that someone registers by hand (the callback centre's come through
# its 转投诉, the manufacturer's items through their own page).
HAND_CHANNELS = [choice for choice in Complaint.Channel.choices
                 if choice[0] not in (Complaint.Channel.CALLBACK, Complaint.Channel.MANUFACTURER)]


class ComplaintRegisterForm(MarksInvalid):
    channel = forms.ChoiceField(label=gettext_lazy("How it came in"), choices=[("", "—")] + HAND_CHANNELS,
                                error_messages={"required": gettext_lazy("Choose how the complaint came in.")},
                                widget=forms.Select(attrs={"class": "form-select"}))
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=[("", "—")] + Complaint.Category.choices,
                                 error_messages={"required": gettext_lazy("Choose the complaint's category.")},
                                 widget=forms.Select(attrs={"class": "form-select"}))
    severity = forms.ModelChoiceField(label=gettext_lazy("Severity"), queryset=Severity.objects.none(), empty_label=None,
                                      error_messages={"invalid_choice": gettext_lazy("Choose a severity in use.")},
                                      widget=forms.Select(attrs={"class": "form-select"}))
    vehicle = forms.ModelChoiceField(label=gettext_lazy("Vehicle"), queryset=None, required=False,
                                     empty_label=gettext_lazy("Not about a vehicle"),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    description = _text(gettext_lazy("What the customer complains of"), rows=5,
                        placeholder=gettext_lazy("In the customer's words: what happened, what they expect"),
                        message=gettext_lazy("Write what the customer complains of."))
    department = forms.ChoiceField(label=gettext_lazy("Department concerned"), choices=[("", "—")] + Department.choices,
                                   error_messages={"required": gettext_lazy("Choose the department concerned.")},
                                   widget=forms.Select(attrs={"class": "form-select"}))
    person_concerned = _line(gettext_lazy("Person concerned"), required=False, max_length=50)
    owner = _handler_choice(gettext_lazy("Handled by"), required=False,
                            empty_label=gettext_lazy("Nobody yet (assign later)"))

    def __init__(self, *args, customer, can_assign: bool, handlers=None, **kwargs):
        from customers.models import Vehicle

        super().__init__(*args, **kwargs)
        vehicles = Vehicle.objects.filter(roles__customer=customer, roles__ended_on__isnull=True).distinct()
        self.fields["vehicle"].queryset = vehicles.order_by("-id")
        only = list(vehicles[:2])
        if len(only) == 1:  # a customer with one car: the complaint is most likely about it
            self.fields["vehicle"].initial = only[0].pk
        severities = selectors.severities_in_use()
        self.fields["severity"].queryset = severities
        default = next((s for s in severities if s.code == "general"), None) or severities.first()
        if default is not None:
            self.fields["severity"].initial = default.pk
        if can_assign:
            _offer_handlers(self, "owner", handlers)
        else:
            del self.fields["owner"]


# --- the workflow ----------------------------------------------------------------------------------
# Per move: the note's label, its hint and whether it is needed (as services.TRANSITIONS says).
MOVE_NOTES = {
    A.CONTACTED: (gettext_lazy("What was said at the first contact (the apology)"),
                  gettext_lazy("Who called whom, the apology made, what the customer expects")),
    A.INVESTIGATING: (gettext_lazy("Note"), gettext_lazy("What will be looked into (optional)")),
    A.VISITED: (gettext_lazy("Visit report"), gettext_lazy("Who went, when, what was seen and said")),
    A.AGREED: (gettext_lazy("Note"), gettext_lazy("Anything else agreed (optional)")),
    A.SOLVED: (gettext_lazy("What was done"), gettext_lazy("The repair, the refund, the gift: what the customer got")),
    A.FOLLOWED_UP: (gettext_lazy("What the customer said at the follow-up"), ""),
    A.SATISFIED: (gettext_lazy("What the customer said"), gettext_lazy("In their words (optional)")),
    A.CLOSED: (gettext_lazy("Note"), gettext_lazy("Optional")),
    A.REOPENED: (gettext_lazy("Why the customer is not satisfied"),
                 gettext_lazy("What is still wrong in the customer's words")),
}
MOVE_BUTTONS = {
    A.CONTACTED: gettext_lazy("Record the first contact"),
    A.INVESTIGATING: gettext_lazy("Start the investigation"),
    A.VISITED: gettext_lazy("Record the home visit"),
    A.AGREED: gettext_lazy("Record the solution agreed"),
    A.SOLVED: gettext_lazy("Record it as solved"),
    A.FOLLOWED_UP: gettext_lazy("Record the follow-up"),
    A.SATISFIED: gettext_lazy("The customer confirms they are satisfied"),
    A.CLOSED: gettext_lazy("Close the complaint"),
    A.REOPENED: gettext_lazy("Reopen: the customer is not satisfied"),
}


class MoveForm(MarksInvalid):
    """One move's form: its note (needed where the workflow asks for it); the solution agreed also
    has the solution and its cost."""

    note = forms.CharField(max_length=TEXT_MAX, strip=True, required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))

    def __init__(self, *args, action: str, **kwargs):
        from .services import TRANSITIONS

        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action
        label, hint = MOVE_NOTES[action]
        note = self.fields["note"]
        note.label = label
        note.widget.attrs["placeholder"] = hint
        needed = TRANSITIONS[action].note_required
        if needed and action != A.AGREED:
            note.required = True
            note.error_messages["required"] = needed
        if action == A.AGREED:
            self.fields["solution"] = _text(gettext_lazy("Solution agreed with the customer"), rows=3,
                                            message=gettext_lazy("Write the solution agreed with the customer."))
            self.fields["cost"] = forms.DecimalField(
                label=gettext_lazy("Cost to the store (yuan)"), required=False, min_value=Decimal(0),
                max_digits=10, decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "step": "0.01"}),
                error_messages={"min_value": gettext_lazy("The cost cannot be negative."),
                                "invalid": gettext_lazy("Enter the cost in yuan, e.g. 350 or 350.50.")})
            self.order_fields(["solution", "cost", "note"])

    @property
    def button(self) -> str:
        return MOVE_BUTTONS[self.action]


class PauseForm(MarksInvalid):
    note = _line(gettext_lazy("Waiting for the customer to…"), max_length=500,
                 message=gettext_lazy("Write what the store is waiting for from the customer."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "pause")
        super().__init__(*args, **kwargs)


class ResumeForm(MarksInvalid):
    note = _line(gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "resume")
        super().__init__(*args, **kwargs)


class NoteForm(MarksInvalid):
    note = _text(gettext_lazy("Note"), rows=2, message=gettext_lazy("Write the note."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "note")
        super().__init__(*args, **kwargs)


class AssignForm(MarksInvalid):
    owner = _handler_choice(pgettext_lazy("complaint", "Give to"), required=True, empty_label="—")
    note = _line(gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, handlers=None, **kwargs):
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        _offer_handlers(self, "owner", handlers)


class ReclassifyForm(MarksInvalid):
    severity = forms.ModelChoiceField(label=gettext_lazy("New severity"), queryset=Severity.objects.none(),
                                      empty_label="—", widget=forms.Select(attrs={"class": "form-select"}),
                                      error_messages={"required": gettext_lazy("Choose the new severity."),
                                                      "invalid_choice": gettext_lazy("Choose a severity in use.")})
    note = _line(gettext_lazy("Why the severity changes"), max_length=500,
                 message=gettext_lazy("Write why the severity changes."))

    def __init__(self, *args, complaint: Complaint, **kwargs):
        kwargs.setdefault("prefix", "reclassify")
        super().__init__(*args, **kwargs)
        self.fields["severity"].queryset = selectors.severities_in_use().exclude(pk=complaint.severity_id)


# --- case analysis and plans ------------------------------------------------------------------------
class AnalysisForm(MarksInvalid):
    root_cause = forms.ChoiceField(label=gettext_lazy("Root cause"), choices=[("", "—")] + CaseAnalysis.RootCause.choices,
                                   error_messages={"required": gettext_lazy("Choose the root cause.")},
                                   widget=forms.Select(attrs={"class": "form-select"}))
    root_cause_text = _text(gettext_lazy("What went wrong"), rows=3, message=gettext_lazy("Write what went wrong."))
    lesson = _text(gettext_lazy("Lesson for the store"), rows=2, required=False)
    shared = forms.BooleanField(label=gettext_lazy("Share with the departments"), required=False,
                                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "analysis")
        super().__init__(*args, **kwargs)


class PlanForm(MarksInvalid):
    """One improvement plan of the case analysis; a row left empty is no plan."""

    action = forms.CharField(label=gettext_lazy("Improvement"), max_length=TEXT_MAX, strip=True, required=False,
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False, choices=[("", "—")] + Department.choices,
                                   widget=forms.Select(attrs=SMALL_SELECT))
    owner = HandlerChoiceField(label=gettext_lazy("Carried out by"), required=False, empty_label="—",
                               widget=forms.Select(attrs=SMALL_SELECT))
    due_on = forms.DateField(label=gettext_lazy("Due on"), required=False,
                             widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **SMALL_INPUT}),
                             error_messages={"invalid": gettext_lazy("Enter a date, e.g. 2026-12-31.")})

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_handlers(self, "owner", handlers)

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("action", "department", "owner", "due_on")):
            return data  # an empty row
        for name, message in (("action", _("Write the improvement.")),
                              ("department", _("Choose the department of the improvement.")),
                              ("owner", _("Choose who carries out the improvement.")),
                              ("due_on", _("Give the improvement's due date."))):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    @property
    def filled(self) -> bool:
        return self.is_valid() and bool(self.cleaned_data.get("action"))


class BasePlanFormSet(forms.BaseFormSet):
    def __init__(self, *args, handlers=None, **kwargs):
        kwargs.setdefault("prefix", "plan")
        self.handlers = handlers
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "handlers": self.handlers}

    def plans(self) -> list:
        from .services import PlanInput

        return [PlanInput(action=form.cleaned_data["action"], department=form.cleaned_data["department"],
                          owner=form.cleaned_data["owner"], due_on=form.cleaned_data["due_on"])
                for form in self.forms if form.filled]


PlanFormSet = forms.formset_factory(PlanForm, formset=BasePlanFormSet, extra=3, max_num=10, absolute_max=10)


class PlanDoneForm(MarksInvalid):
    note = _line(gettext_lazy("What was done"), max_length=TEXT_MAX, message=gettext_lazy("Write what was done."))
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class PlanFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False, initial="open",
                              choices=[("open", gettext_lazy("Open")), ("done", gettext_lazy("Done")),
                                       ("", gettext_lazy("All"))],
                              widget=forms.Select(attrs=SMALL_SELECT))
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False,
                                   choices=[("", gettext_lazy("All"))] + Department.choices,
                                   widget=forms.Select(attrs=SMALL_SELECT))
    month = forms.DateField(label=gettext_lazy("Due in"), required=False, input_formats=["%Y-%m"],
                            widget=forms.DateInput(format="%Y-%m", attrs={"type": "month", **SMALL_INPUT}),
                            error_messages={"invalid": gettext_lazy("Choose a month, e.g. 2026-12.")})

    def filters(self) -> selectors.PlanFilters:
        if not self.is_bound:
            return selectors.PlanFilters()
        self.is_valid()
        data = self.cleaned_data
        return selectors.PlanFilters(state=data.get("state", "open") if "state" in data else "open",
                                     department=data.get("department") or "", month=data.get("month"))


# --- settings --------------------------------------------------------------------------------------
class _MarksInvalidModelForm(forms.ModelForm):
    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class SeverityForm(_MarksInvalidModelForm):
    class Meta:
        model = Severity
        fields = ["code", "name", "rank", "first_contact_hours", "solve_hours", "clock", "warn_percent", "active"]
        widgets = {
            "code": forms.TextInput(attrs={"class": "form-control"}),
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "rank": forms.NumberInput(attrs={"class": "form-control", "min": 0}),
            "first_contact_hours": forms.NumberInput(attrs={"class": "form-control", "min": 0, "step": "0.5"}),
            "solve_hours": forms.NumberInput(attrs={"class": "form-control", "min": 0, "step": "0.5"}),
            "clock": forms.Select(attrs={"class": "form-select"}),
            "warn_percent": forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 90}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the code names it in the steps' details: it stays
            del self.fields["code"]

    def clean(self):
        data = super().clean()
        contact, solve = data.get("first_contact_hours"), data.get("solve_hours")
        if contact is not None and solve is not None and solve < contact:
            self.add_error("solve_hours", _("The solution cannot be due before the first contact."))
        # A field with an error is left out of the model's checks, so the check constraint's
        # own (untranslated) message does not repeat this one.
        return data


class StoreDayForm(MarksInvalid):
    day = forms.DateField(label=gettext_lazy("Date"),
                          widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
                          error_messages={"required": gettext_lazy("Give the date."),
                                          "invalid": gettext_lazy("Enter a date, e.g. 2026-12-31.")})
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("The store"), coerce=lambda value: value == "1",
        choices=[("1", gettext_lazy("works that day")), ("0", gettext_lazy("is closed that day"))],
        error_messages={"required": gettext_lazy("Say whether the store works that day.")},
        widget=forms.Select(attrs={"class": "form-select"}))
    note = _line(gettext_lazy("Note"), required=False, max_length=StoreDay._meta.get_field("note").max_length)
