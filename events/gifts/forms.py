"""The gifts' forms: the request list's filters, asking for a gift (from the customer's page, an
interview, a birthday, an event), the general manager's decision, the sending, the cancellation, a
gift of the catalogue and a period's budget. A form checks the input's shape; the rules are the
services' (a refused step comes back as a GiftError message)."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from followups.callbacks.forms import MarksInvalid

from . import selectors
from .models import Gift, GiftRequest

SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
NUMBER = re.compile(r"^(?:LP)?0*(\d{1,9})$", re.IGNORECASE)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DATE_INVALID = gettext_lazy("Enter a date, e.g. 2026-12-31.")
COURIERS = ["顺丰速运", "中通快递", "圆通速递", "韵达快递", "EMS", "京东物流"]


def _date(label, *, message) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
                           error_messages={"invalid": DATE_INVALID, "required": message})


# --- the list ---------------------------------------------------------------------------------------
class RequestFilterForm(forms.Form):
    tab = forms.ChoiceField(required=False, choices=[(tab, tab) for tab in selectors.TABS], widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False, widget=forms.Select(attrs=SMALL_SELECT),
                               choices=[("", gettext_lazy("All"))] + GiftRequest.Reason.choices)
    month = forms.CharField(label=gettext_lazy("Month"), required=False, max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", **SMALL_INPUT}))
    q = forms.CharField(label=gettext_lazy("Customer or number"), required=False, max_length=50, strip=True,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name or LP number"),
                                                      "type": "search", "size": 20, **SMALL_INPUT}))

    def filters(self) -> selectors.RequestFilters:
        """The filters asked for; a value not offered (an old link) counts as not given."""
        if not self.is_bound:
            return selectors.RequestFilters()
        self.is_valid()
        data = self.cleaned_data
        month = None
        if (found := MONTH.match(data.get("month") or "")) and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) > 1900:
            month = date(int(found.group(1)), int(found.group(2)), 1)
        text = data.get("q") or ""
        name, number = "", None
        if (found := NUMBER.match(text)) is not None:
            number = int(found.group(1))
        else:
            name = text
        return selectors.RequestFilters(tab=data.get("tab") or selectors.ALL, reason=data.get("reason") or "",
                                        month=month, name=name, number=number)


# --- asking for a gift ------------------------------------------------------------------------------
class GiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, gift: Gift) -> str:
        from customers.amounts import format_yuan

        marks = [format_yuan(gift.unit_cost), pgettext_lazy("gift stock", "%(n)d in stock") % {"n": gift.stock}]
        if gift.for_children:
            marks.append(str(gettext_lazy("for children")))
        if not gift.on_menu:
            marks.append(str(gettext_lazy("not on the menu")))
        return f"{gift.name}（{'，'.join(str(mark) for mark in marks)}）"


class RequestCreateForm(MarksInvalid):
    gift = GiftChoiceField(label=gettext_lazy("Gift"), queryset=Gift.objects.none(), empty_label="—",
                           error_messages={"required": gettext_lazy("Choose the gift."),
                                           "invalid_choice": gettext_lazy("Choose a gift from the list.")},
                           widget=forms.Select(attrs={"class": "form-select"}))
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=20, initial=1,
                                  error_messages={"required": gettext_lazy("Enter the quantity."),
                                                  "min_value": gettext_lazy("The quantity is between 1 and 20."),
                                                  "max_value": gettext_lazy("The quantity is between 1 and 20.")},
                                  widget=forms.NumberInput(attrs={"class": "form-control"}))
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=[("", "—")] + GiftRequest.Reason.choices,
                               error_messages={"required": gettext_lazy("Choose why the gift is given.")},
                               widget=forms.Select(attrs={"class": "form-select"}))
    family_member = forms.TypedChoiceField(label=gettext_lazy("For the child"), required=False, coerce=int,
                                           empty_value=None, widget=forms.Select(attrs={"class": "form-select"}))
    delivery = forms.ChoiceField(label=gettext_lazy("Delivery"), choices=GiftRequest.Delivery.choices,
                                 initial=GiftRequest.Delivery.POST,
                                 widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    address = forms.CharField(label=gettext_lazy("Address to post to"), required=False, max_length=200, strip=True,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500, strip=True,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control",
                                                        "placeholder": gettext_lazy("Why this gift, what the customer said")}))

    def __init__(self, *args, gifts: list[Gift], family: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].queryset = Gift.objects.filter(pk__in=[gift.pk for gift in gifts]).order_by("-on_menu", "name")
        self.fields["gift"].choices = [("", "—")] + [(gift.pk, self.fields["gift"].label_from_instance(gift))
                                                     for gift in gifts]
        self.family = {member.pk: member for member in family}
        self.fields["family_member"].choices = [("", "—")] + [(member.pk, str(member)) for member in family]
        if not family:
            del self.fields["family_member"]


# --- the steps --------------------------------------------------------------------------------------
class DecisionForm(MarksInvalid):
    APPROVE, REJECT = "approve", "reject"
    decision = forms.ChoiceField(choices=[(APPROVE, APPROVE), (REJECT, REJECT)], widget=forms.HiddenInput,
                                 error_messages={"required": gettext_lazy("Approve or reject.")})
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=500, strip=True,
                              widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                            "placeholder": gettext_lazy("Required to reject")}))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not data.get("comment"):
            self.add_error("comment", gettext_lazy("Write why the request is rejected."))
        return data


class SendForm(MarksInvalid):
    courier = forms.CharField(label=gettext_lazy("Courier"), required=False, max_length=30, strip=True,
                              widget=forms.TextInput(attrs={"class": "form-control", "list": "gift-couriers",
                                                            "autocomplete": "off"}))
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), required=False, max_length=40, strip=True,
                                      widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))
    address = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=200, strip=True,
                              widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, post: bool, **kwargs):
        kwargs.setdefault("prefix", "send")
        super().__init__(*args, **kwargs)
        if not post:
            for name in ("courier", "tracking_number", "address"):
                del self.fields[name]
        else:
            self.fields["courier"].required = True
            self.fields["courier"].error_messages["required"] = gettext_lazy("Enter the courier.")
            self.fields["tracking_number"].required = True
            self.fields["tracking_number"].error_messages["required"] = gettext_lazy("Enter the tracking number.")


class CancelForm(MarksInvalid):
    reason = forms.CharField(label=gettext_lazy("Why it is cancelled"), max_length=500, strip=True,
                             error_messages={"required": gettext_lazy("Write why the request is cancelled.")},
                             widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)


# --- the catalogue and the budgets -------------------------------------------------------------------
class GiftForm(MarksInvalid, forms.ModelForm):
    """The stock it showed travels with it (stock_shown): the service moves the stock by what was typed
    relative to it, so approvals made while the form was open are not undone."""
    stock_shown = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["stock_shown"].initial = self.instance.stock

    class Meta:
        model = Gift
        fields = ["name", "unit_cost", "stock", "on_menu", "for_children", "active", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "unit_cost": forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
            "stock": forms.NumberInput(attrs={"class": "form-control", "min": "0"}),
            "on_menu": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "for_children": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "description": forms.TextInput(attrs={"class": "form-control"}),
        }
        error_messages = {
            "name": {"required": gettext_lazy("Enter the gift's name.")},
            "unit_cost": {"required": gettext_lazy("Enter the unit cost."),
                          "invalid": gettext_lazy("Enter an amount, e.g. 88.00.")},
            "stock": {"required": gettext_lazy("Enter how many are in stock."),
                      "min_value": gettext_lazy("The stock is 0 or more.")},
        }

    def clean_unit_cost(self):
        cost = self.cleaned_data["unit_cost"]
        if cost is not None and cost < 0:
            raise forms.ValidationError(gettext_lazy("The unit cost is 0 or more."))
        return cost


class BudgetForm(MarksInvalid):
    name = forms.CharField(label=gettext_lazy("Period"), max_length=50, strip=True,
                           error_messages={"required": gettext_lazy("Name the period, e.g. 2026年12月.")},
                           widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "2026年12月"}))
    starts_on = _date(gettext_lazy("From"), message=gettext_lazy("Enter the first day of the period."))
    ends_on = _date(gettext_lazy("Until"), message=gettext_lazy("Enter the last day of the period."))
    amount = forms.DecimalField(label=gettext_lazy("Budget (yuan)"), max_digits=12, decimal_places=2, min_value=0,
                                error_messages={"required": gettext_lazy("Enter the budget."),
                                                "invalid": gettext_lazy("Enter an amount, e.g. 5000."),
                                                "min_value": gettext_lazy("The budget is an amount of 0 or more.")},
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}))
