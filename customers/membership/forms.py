"""The membership pages' forms: the members list's filters, redeeming points (a reward and a
quantity, confirmed once the balance after is shown), the supervisor's correction, and the
catalogue, tiers and points rules the supervisor keeps. Every refusal is a sentence in Chinese next
to the field, and what was typed stays in the form."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PointsRule, Reward, Tier

SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
MEMBER_NUMBER = re.compile(r"^HY0*(\d{1,12})$", re.I)
DIGITS = re.compile(r"^\d+$")
NO_TIER = "none"
# The orders the members list offers (the header's first click, then its reverse).
SORTS = {
    "number": ("-number", "number"),
    "usable": ("-usable", "usable"),
    "cumulative": ("-cumulative", "cumulative"),
    "visit": ("-visit", "visit"),
    "expires": ("expires", "-expires"),
}
DEFAULT_SORT = "-number"


class MarksInvalid:
    """A field that failed shows red (Bootstrap's is-invalid), next to its message."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


# --- the members list ------------------------------------------------------------------------------
class MemberFilterForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), required=False, widget=forms.Select(attrs=SMALL_SELECT))
    q = forms.CharField(label=_("Member"), required=False, max_length=30, strip=True,
                        widget=forms.TextInput(attrs={"type": "search", "size": 24, **SMALL_INPUT,
                                                      "placeholder": _("Name, mobile ending or HY number")}))
    expiring = forms.BooleanField(label=_("Points expiring soon"), required=False,
                                  widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    order = forms.ChoiceField(required=False, widget=forms.HiddenInput,
                              choices=[(value, value) for pair in SORTS.values() for value in pair])

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = ([("", _("All tiers")), (NO_TIER, _("No tier yet"))]
                                       + [(str(tier.pk), tier.name) for tier in tiers])

    def filters(self) -> dict:
        """What the list is filtered by: `tier` (a tier's id, NO_TIER or None), `name`, `number` (a
        member's id from HY000012), `mobile` (a whole mobile), `ending` (any other digits: a mobile's
        ending), `expiring`, `order`, and `query` (what was typed, for selectors.members_list). A value
        not offered (an old link) counts as not given."""
        found = {"tier": None, "name": "", "number": None, "mobile": "", "ending": "", "expiring": False, "query": "",
                 "order": DEFAULT_SORT}
        if not self.is_bound:
            return found
        self.is_valid()
        data = self.cleaned_data
        tier = data.get("tier") or ""
        found["tier"] = NO_TIER if tier == NO_TIER else (int(tier) if tier.isdigit() else None)
        found["expiring"] = bool(data.get("expiring"))
        found["order"] = data.get("order") or DEFAULT_SORT
        text = found["query"] = re.sub(r"\s+", "", data.get("q") or "")
        if (number := MEMBER_NUMBER.match(text)) is not None:
            found["number"] = int(number.group(1))
        elif DIGITS.match(text):
            found["mobile" if len(text) == 11 else "ending"] = text
        else:
            found["name"] = text
        return found


# --- redeeming and correcting ----------------------------------------------------------------------
class RewardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, reward: Reward) -> str:
        if reward.stock is None:
            return _("%(name)s · %(points)s points") % {"name": reward.name, "points": reward.points}
        return _("%(name)s · %(points)s points · %(stock)s in stock") % {
            "name": reward.name, "points": reward.points, "stock": reward.stock}


class RedeemForm(MarksInvalid, forms.Form):
    """A reward of the catalogue in use and how many; `confirmed` is set by the confirmation page,
    which shows the balance after before anything is taken."""

    reward = RewardChoiceField(label=_("Reward"), queryset=Reward.objects.none(), empty_label="—",
                               widget=forms.Select(attrs={"class": "form-select"}),
                               error_messages={
                                   "required": _("Choose the reward."),
                                   "invalid_choice": _("This reward is no longer offered: choose another.")})
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1,
                                  widget=forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 99}),
                                  error_messages={"required": _("Enter how many."),
                                                  "invalid": _("Enter a whole number."),
                                                  "min_value": _("At least 1."),
                                                  "max_value": _("At most 99 at a time.")})
    note = forms.CharField(label=_("Note"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs={
                               "class": "form-control",
                               "placeholder": _("e.g. fitted on RO number, for the 4-wheel alignment")}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, rewards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = rewards

    def cost(self) -> int:
        return self.cleaned_data["reward"].points * self.cleaned_data["quantity"]


class AdjustForm(MarksInvalid, forms.Form):
    points = forms.IntegerField(
        label=_("Points (+ to add, − to take off)"), min_value=-1_000_000, max_value=1_000_000,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        error_messages={"required": _("Enter the points to add or take off."),
                        "invalid": _("Enter a whole number of points, e.g. 500 or -500."),
                        "min_value": _("At most 1,000,000 points at a time."),
                        "max_value": _("At most 1,000,000 points at a time.")})
    note = forms.CharField(label=_("Reason for the correction"), max_length=200, strip=True,
                           widget=forms.TextInput(attrs={
                               "class": "form-control",
                               "placeholder": _("e.g. RO number earned no points: imported late")}),
                           error_messages={"required": _("Write why the points are corrected.")})

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("A correction of 0 points changes nothing."))
        return points


# --- the catalogue, the tiers and the points rules -------------------------------------------------
class ModelFormMarksInvalid(MarksInvalid, forms.ModelForm):
    pass


class RewardForm(ModelFormMarksInvalid):
    """The stock it showed travels with it (stock_shown, empty for none): the service writes a new
    stock only while the stock is still that, so redemptions made while the form was open are not undone."""
    stock_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["stock_shown"].initial = "" if self.instance.stock is None else str(self.instance.stock)

    def clean_stock_shown(self):
        value = (self.cleaned_data.get("stock_shown") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("Enter a whole number."))
        return int(value) if value else None

    class Meta:
        model = Reward
        fields = ["kind", "name", "points", "stock", "active"]
        widgets = {
            "kind": forms.Select(attrs={"class": "form-select"}),
            "name": forms.TextInput(attrs={"class": "form-control",
                                           "placeholder": _("e.g. 脚垫一套, 2 labour hours")}),
            "points": forms.NumberInput(attrs={"class": "form-control", "min": 1}),
            "stock": forms.NumberInput(attrs={"class": "form-control", "min": 0}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
        help_texts = {"stock": _("Accessories only: how many are in the store. Labour hours have no stock.")}
        error_messages = {
            "kind": {"required": _("Choose accessory or labour hours.")},
            "name": {"required": _("Name the reward."), "unique": _("A reward of this name exists already.")},
            "points": {"required": _("Enter the points it costs."), "min_value": _("At least 1 point."),
                       "invalid": _("Enter a whole number of points.")},
            "stock": {"min_value": _("The stock cannot be below 0."), "invalid": _("Enter a whole number.")},
        }

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points is not None and points < 1:
            raise forms.ValidationError(_("At least 1 point."))
        return points

    def clean(self):
        data = super().clean()
        kind, stock = data.get("kind"), data.get("stock")
        if kind == Reward.Kind.ACCESSORY and stock is None and "stock" not in self.errors:
            self.add_error("stock", _("Enter how many are in stock (0 if none)."))
        if kind == Reward.Kind.LABOUR and stock is not None:
            self.add_error("stock", _("Labour hours have no stock: leave it empty."))
        return data


class TierForm(ModelFormMarksInvalid):
    class Meta:
        model = Tier
        fields = ["name", "threshold", "benefits"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control", "placeholder": _("e.g. 金卡会员")}),
            "threshold": forms.NumberInput(attrs={"class": "form-control", "min": 0}),
            "benefits": forms.Textarea(attrs={"class": "form-control", "rows": 4,
                                              "placeholder": _("One benefit a line, e.g. 工时九折")}),
        }
        error_messages = {
            "name": {"required": _("Name the tier."), "unique": _("A tier of this name exists already.")},
            "threshold": {"required": _("Enter the cumulative points the tier starts from."),
                          "invalid": _("Enter a whole number of points."),
                          "min_value": _("The points cannot be below 0.")},
        }


class PointsRuleForm(ModelFormMarksInvalid):
    class Meta:
        model = PointsRule
        fields = ["points_per_yuan"]
        widgets = {"points_per_yuan": forms.NumberInput(attrs={"class": "form-control", "min": 0, "step": "0.01"})}
        error_messages = {"points_per_yuan": {
            "required": _("Enter the points a yuan earns (0 for none)."),
            "invalid": _("Enter a number, e.g. 1 or 0.5."),
            "max_digits": _("At most 9999.99 points a yuan."),
            "max_whole_digits": _("At most 9999.99 points a yuan."),
            "max_decimal_places": _("At most two decimals."),
        }}

    def clean_points_per_yuan(self):
        value = self.cleaned_data["points_per_yuan"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("The points a yuan earns cannot be below 0."))
        return value
