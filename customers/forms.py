"""Forms of the archive. They clean what staff type (normalize.py); the rules live in services."""

from django import forms
from django.conf import settings
from django.core import signing
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue.selectors import vehicle_model_resolve
from .edits import EditOutcome, fingerprint, fingerprints
from .models import ContactPreference, Customer, DeliveryFile, FamilyMember, Vehicle
from .phone_privacy import whole_number_check_allowed
from .normalize import mask_phone, normalize_name, normalize_phone, normalize_plate, normalize_vin, split_phones
from .selectors import CustomerFilters, vehicle_models

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHOOSE = _("Choose…")
TOO_MANY_NUMBER_CHECKS = _("You have looked up phone numbers %(limit)s times in the last hour; try again later.")


def _not_in_future(day):
    if day and day > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return day


def _cleaned(function, value):
    try:
        return function(value)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from error


class ChoosePrompt:
    """Select boxes read “please choose” (请选择) where Django would write “---------”."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = CHOOSE
            elif isinstance(field, forms.ChoiceField):
                choices = list(field.choices)
                if choices and choices[0] == ("", "---------"):
                    field.choices = [("", CHOOSE), *choices[1:]]


class OpenedValues:
    """The form carries, signed in a hidden field, a fingerprint of each value it was opened with,
    so that saving it writes only what this user changed (customers.edits.edit_plan).

    `opened_fields` are the record's fields the form shows; `second_try` gives the form back after a
    conflict, with the record as stored now as its new base.
    """

    opened_fields: tuple[str, ...] = ()
    SALT = "customers.forms.opened"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.initial["opened"] = self.opened_token()

    def opened_values(self) -> dict:
        return {name: getattr(self.instance, name) for name in self.opened_fields}

    def opened_token(self) -> str:
        return signing.dumps({"base": fingerprints(self.opened_values())}, salt=self.SALT, compress=True)

    def _opened(self) -> dict[str, str] | None:
        try:
            return signing.loads(self.data.get(self.add_prefix("opened"), ""), salt=self.SALT)["base"]
        except (signing.BadSignature, KeyError, TypeError):
            return None

    def opened_base(self) -> dict[str, str]:
        """The fingerprints the form was opened with; empty when it came without them (every field
        that differs from the record then asks the user)."""
        return self._opened() or {}

    def widget_field(self, name: str, value) -> tuple[str, object]:
        """The form field showing the record's field `name`, and the value it shows for `value`."""
        return name, value

    def second_try(self, outcome: EditOutcome, **kwargs):
        """The form again, bound to what the user typed, except the fields changed meanwhile that the
        user left alone (shown as stored now), based on the record as stored now, with each
        conflicting field marked. Saving it writes the user's values; nothing else is needed."""
        data = self.data.copy()
        for change in outcome.kept:
            name, value = self.widget_field(change.field, getattr(outcome.record, change.field))
            bound = self[name]
            if isinstance(bound.field.widget, forms.CheckboxInput):
                data.setlist(bound.html_name, ["on"] if value else [])
            else:
                shown = bound.field.widget.format_value(bound.field.prepare_value(value))
                data.setlist(bound.html_name, shown if isinstance(shown, list) else ["" if shown is None else shown])
        form = type(self)(data, **kwargs)
        data[form.add_prefix("opened")] = form.initial["opened"]
        form.is_valid()
        for change in outcome.conflicts:
            form.add_error(self.widget_field(change.field, None)[0],
                           _("Changed meanwhile to: %(now)s") % {"now": change.now})
        form.outcome = outcome
        return form

    def as_typed(self):
        """Shows what was typed without judging it: the record it was meant for was merged meanwhile."""
        self._errors, self.cleaned_data = ErrorDict(), {}
        return self


class CustomerForm(OpenedValues, ChoosePrompt, forms.ModelForm):
    # Raw input is longer than the stored value ("+86 138-1234-5678 / 0552-3012345"): cleaned below.
    mobile = forms.CharField(label=_("Mobile"), max_length=60, required=False)
    phone2 = forms.CharField(label=_("Other phone"), max_length=40, required=False,
                             help_text=_("A second mobile or a landline with its area code."))
    confirm_shared_phone = forms.BooleanField(
        label=_("This is a different person (e.g. family sharing the number): save anyway"), required=False)
    referrer_phone = forms.CharField(
        label=_("Referred by (their mobile)"), required=False,
        help_text=_("The mobile number of the customer who referred this one."))

    class Meta:
        model = Customer
        fields = ["name", "gender", "mobile", "phone2", "address", "birthday", "importance", "source",
                  "occupation", "social_level", "interests", "expectations", "id_number", "lost_contact_since",
                  "quiet_from", "quiet_until", "note", "needs_review"]
        widgets = {
            "birthday": DATE, "lost_contact_since": DATE, "quiet_from": TIME, "quiet_until": TIME,
            "interests": forms.Textarea(attrs={"rows": 2}), "expectations": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user  # for a role that sees numbers masked, looking a number up is a phone search
        referrer = self.instance.referred_by if self.instance.pk and self.instance.referred_by_id else None
        # Shown masked: this form reveals the customer's own numbers (and logs it), not the referrer's.
        self._referrer_masked = mask_phone(referrer.mobile) if referrer and referrer.mobile else ""
        self._referrer = referrer
        self.fields["referrer_phone"].initial = self._referrer_masked

    @property
    def opened_fields(self) -> tuple[str, ...]:
        return (*self.Meta.fields, "referred_by")

    def widget_field(self, name: str, value) -> tuple[str, object]:
        if name == "referred_by":  # shown as the referrer's masked mobile
            return "referrer_phone", mask_phone(value.mobile) if value and value.mobile else ""
        return name, value

    def clean_name(self):
        return normalize_name(self.cleaned_data["name"])

    def clean_birthday(self):
        return _not_in_future(self.cleaned_data["birthday"])

    def clean_mobile(self):
        numbers = _cleaned(split_phones, self.cleaned_data["mobile"])
        if numbers and not numbers[0].startswith("1"):
            raise forms.ValidationError(_("Enter a mobile here; a landline goes under “Other phone”."))
        if len(numbers) > 2:
            raise forms.ValidationError(_("Enter at most two numbers here: the mobile and one other."))
        if len(numbers) > 1:
            self._second_number = numbers[1]  # "two numbers in one field": the second becomes the other phone
        return numbers[0] if numbers else ""

    def clean_phone2(self):
        return _cleaned(normalize_phone, self.cleaned_data["phone2"])

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        if value and not (len(value) == 18 and value[:17].isdigit() and value[17] in "0123456789X"):
            raise forms.ValidationError(_("An ID card number has 18 characters: 17 digits and a digit or X."))
        return value

    def clean_referrer_phone(self):
        raw = self.cleaned_data["referrer_phone"]
        if not raw:
            return None
        if raw == self._referrer_masked:
            return self._referrer  # left as it was
        number = _cleaned(normalize_phone, raw)
        if not whole_number_check_allowed(user=self.user, number=number, via="referrer"):
            raise forms.ValidationError(TOO_MANY_NUMBER_CHECKS % {"limit": settings.PHONE_SEARCHES_PER_HOUR})
        matches = list(Customer.objects.filter(mobile=number).exclude(pk=self.instance.pk)[:2])
        if not matches:
            raise forms.ValidationError(_("No customer has the mobile %(number)s.") % {"number": number})
        if len(matches) > 1:
            raise forms.ValidationError(_("Several customers share this mobile; merge them first."))
        return matches[0]

    def clean(self):
        data = super().clean()
        second = getattr(self, "_second_number", "")
        if second and data.get("phone2") and data["phone2"] != second:
            self.add_error("mobile", _("Two numbers here and another under “Other phone”: keep at most two."))
        elif second:
            data["phone2"] = second
        if bool(data.get("quiet_from")) != bool(data.get("quiet_until")):
            self.add_error("quiet_until", _("Give both the start and the end of the quiet hours."))
        mobile = data.get("mobile")
        checked = bool(mobile and mobile != self.instance.mobile)
        if checked and not whole_number_check_allowed(user=self.user, number=mobile, via="customer_form"):
            self.add_error("mobile", TOO_MANY_NUMBER_CHECKS % {"limit": settings.PHONE_SEARCHES_PER_HOUR})
            checked = False
        self.shared_with = list(Customer.objects.filter(mobile=mobile).exclude(pk=self.instance.pk)[:3]) if (
            checked) else []
        if self.shared_with and not data.get("confirm_shared_phone"):
            names = "、".join(f"{other.name}（#{other.pk}）" for other in self.shared_with)
            self.add_error("mobile", _("This mobile is already on file for %(names)s. If this is the same person, "
                                       "open that record instead.") % {"names": names})
        if not data.get("mobile") and not data.get("phone2") and not self.has_error("mobile"):
            self.add_error("mobile", _("Give at least one phone number."))
        return data

    def service_fields(self) -> dict:
        """The cleaned values as the services take them."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["referred_by"] = self.cleaned_data.get("referrer_phone")
        return data


class VehicleForm(OpenedValues, ChoosePrompt, forms.ModelForm):
    vin = forms.CharField(label=_("VIN"), max_length=40)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)

    class Meta:
        model = Vehicle
        fields = ["vin", "plate", "brand", "model_name", "colour", "delivery_date", "sales_consultant",
                  "invoice_amount"]
        widgets = {"delivery_date": DATE}

    opened_fields = tuple(Meta.fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].required = False  # a model the catalogue knows brings its brand
        self.fields["brand"].help_text = _("Leave it empty for a model of the catalogue: its brand is filled in.")

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean(self):
        data = super().clean()
        if data.get("model_name"):
            # The catalogue's brand and spelling for a model it knows (KOLEOS → 雷诺 科雷傲).
            data["brand"], data["model_name"] = vehicle_model_resolve(brand=data.get("brand") or "",
                                                                      model_text=data["model_name"])
            if not data["brand"] and "brand" not in self.errors:
                self.add_error("brand", _("The catalogue does not know this model: choose its brand (Other brand "
                                          "if none fits)."))
        elif not data.get("brand") and "brand" not in self.errors:
            self.add_error("brand", self.fields["brand"].error_messages["required"])
        return data

    def clean_vin(self):
        return _cleaned(normalize_vin, self.cleaned_data["vin"])

    def clean_plate(self):
        return _cleaned(normalize_plate, self.cleaned_data["plate"])

    def clean_invoice_amount(self):
        amount = self.cleaned_data["invoice_amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return amount


class OwnerChangeForm(forms.Form):
    new_owner_phone = forms.CharField(label=_("New owner's mobile"),
                                      help_text=_("Add the new owner as a customer first if they are new."))
    on = forms.DateField(label=_("Date of the change"), widget=DATE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_on(self):
        return _not_in_future(self.cleaned_data["on"])

    def clean_new_owner_phone(self):
        number = _cleaned(normalize_phone, self.cleaned_data["new_owner_phone"])
        if not whole_number_check_allowed(user=self.user, number=number, via="owner_change"):
            raise forms.ValidationError(TOO_MANY_NUMBER_CHECKS % {"limit": settings.PHONE_SEARCHES_PER_HOUR})
        owners = list(Customer.objects.filter(mobile=number)[:2])
        if not owners:
            raise forms.ValidationError(_("No customer has the mobile %(number)s.") % {"number": number})
        if len(owners) > 1:
            raise forms.ValidationError(_("Several customers share this mobile; merge them first."))
        return owners[0]


class FamilyMemberForm(OpenedValues, ChoosePrompt, forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = ["relation", "name", "gender", "birthday", "note"]
        widgets = {"birthday": DATE}

    opened_fields = tuple(Meta.fields)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean_birthday(self):
        return _not_in_future(self.cleaned_data["birthday"])

    def clean_name(self):
        return normalize_name(self.cleaned_data["name"])


class ContactPreferenceForm(OpenedValues, ChoosePrompt, forms.ModelForm):
    allowed = forms.TypedChoiceField(
        label=_("The customer"), widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("no", _("refuses this")), ("yes", _("agrees to this"))])

    class Meta:
        model = ContactPreference
        fields = ["channel", "purpose", "allowed", "reason"]

    def validate_unique(self):
        """Saving a channel and purpose already recorded replaces the old answer (the service upserts)."""

    def opened_values(self) -> dict:
        """Every answer on file for the customer: the form chooses the channel and purpose only later."""
        values = {}
        if self.instance.customer_id:
            for preference in ContactPreference.objects.filter(customer_id=self.instance.customer_id):
                key = f"{preference.channel}.{preference.purpose}"
                values |= {f"{key}.allowed": preference.allowed, f"{key}.reason": preference.reason}
        return values

    def opened_base(self) -> dict[str, str]:
        """The answer the form knew for the chosen channel and purpose (none on file: the empty answer)."""
        base = self._opened()
        if base is None:
            return {}
        key = f"{self.cleaned_data['channel']}.{self.cleaned_data['purpose']}"
        return {name: base.get(f"{key}.{name}", fingerprint(None)) for name in ("allowed", "reason")}

    def widget_field(self, name: str, value) -> tuple[str, object]:
        if name == "allowed":
            return name, "yes" if value else "no"
        return name, value

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("channel", "purpose", "allowed", "reason")}


class DeliveryFileForm(OpenedValues, ChoosePrompt, forms.ModelForm):
    class Meta:
        model = DeliveryFile
        fields = [*DeliveryFile.DOCUMENTS, "handbook_checked_on", "handbook_note"]
        widgets = {"handbook_checked_on": DATE}

    opened_fields = tuple(Meta.fields)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean_handbook_checked_on(self):
        return _not_in_future(self.cleaned_data["handbook_checked_on"])


YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}


class CustomerFilterForm(forms.Form):
    brand = forms.ChoiceField(label=_("Brand"), required=False, choices=[("", _("All brands")), *Vehicle.Brand.choices],
                              widget=forms.Select(attrs=SMALL_SELECT))
    model_name = forms.ChoiceField(label=_("Model"), required=False, widget=forms.Select(attrs=SMALL_SELECT))
    delivered_from = forms.DateField(label=_("Delivered from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    delivered_until = forms.DateField(label=_("Delivered until"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    visited_since = forms.DateField(label=_("Visited since"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    not_visited_since = forms.DateField(label=_("Not back since"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    importance = forms.ChoiceField(label=_("Importance"), required=False,
                                   choices=[("", _("Any")), *Customer.Importance.choices],
                                   widget=forms.Select(attrs=SMALL_SELECT))
    lost_contact = forms.ChoiceField(label=_("Lost contact"), required=False, choices=YES_NO,
                                     widget=forms.Select(attrs=SMALL_SELECT))
    opted_out = forms.ChoiceField(label=_("Refuses marketing"), required=False, choices=YES_NO,
                                  widget=forms.Select(attrs=SMALL_SELECT))
    needs_review = forms.BooleanField(label=_("To be checked only"), required=False,
                                      widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    order = forms.ChoiceField(label=_("Sort by"), required=False, widget=forms.Select(attrs=SMALL_SELECT), choices=[
        ("-id", _("Newest first")), ("name", _("Name (pinyin)")), ("-name", _("Name (pinyin), Z to A")),
        ("-last_visit_on", _("Last visit, recent first")), ("last_visit_on", _("Last visit, longest ago first"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model_name"].choices = [("", _("All models")), *[(m, m) for m in vehicle_models()]]

    def clean(self):
        data = super().clean()
        if data.get("delivered_from") and data.get("delivered_until") and data["delivered_from"] > data[
                "delivered_until"]:
            self.add_error("delivered_until", _("The end is before the start."))
        return data

    def filters(self) -> CustomerFilters | None:
        """The filters, or None when they are wrong: then the list shows the error, not everyone."""
        if not self.is_bound:
            return CustomerFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        as_bool = {"yes": True, "no": False}
        return CustomerFilters(
            brand=data["brand"], model_name=data["model_name"], delivered_from=data["delivered_from"],
            delivered_until=data["delivered_until"], visited_since=data["visited_since"],
            not_visited_since=data["not_visited_since"],
            importance=data["importance"], lost_contact=as_bool.get(data["lost_contact"]),
            opted_out=as_bool.get(data["opted_out"]), needs_review=data["needs_review"] or None,
            order=data["order"] or "-id",
        )


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label=_("Keep"), widget=forms.RadioSelect)

    def __init__(self, *args, first: Customer, second: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.pair = {str(first.pk): (first, second), str(second.pk): (second, first)}
        self.fields["survivor"].choices = [(str(first.pk), first.pk), (str(second.pk), second.pk)]
        self.fields["survivor"].initial = str(first.pk)

    def survivor_and_duplicate(self) -> tuple[Customer, Customer]:
        return self.pair[self.cleaned_data["survivor"]]
