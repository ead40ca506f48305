"""Forms of the archive. They clean what staff type (normalize.py); the rules live in services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ContactPreference, Customer, DeliveryFile, FamilyMember, Vehicle
from .normalize import mask_phone, normalize_name, normalize_phone, normalize_plate, normalize_vin, split_phones
from .selectors import CustomerFilters, vehicle_models

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHOOSE = _("Choose…")


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


class CustomerForm(ChoosePrompt, forms.ModelForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        referrer = self.instance.referred_by if self.instance.pk and self.instance.referred_by_id else None
        # Shown masked: this form reveals the customer's own numbers (and logs it), not the referrer's.
        self._referrer_masked = mask_phone(referrer.mobile) if referrer and referrer.mobile else ""
        self._referrer = referrer
        self.fields["referrer_phone"].initial = self._referrer_masked

    def clean_name(self):
        return normalize_name(self.cleaned_data["name"])

    def clean_birthday(self):
        return _not_in_future(self.cleaned_data["birthday"])

    def clean_mobile(self):
        numbers = _cleaned(split_phones, self.cleaned_data["mobile"])
        if numbers and not numbers[0].startswith("1"):
            raise forms.ValidationError(_("Enter a mobile number here; a landline goes under other phone."))
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
            self.add_error("mobile", _("Two numbers here and another under other phone: keep at most two."))
        elif second:
            data["phone2"] = second
        if bool(data.get("quiet_from")) != bool(data.get("quiet_until")):
            self.add_error("quiet_until", _("Give both the start and the end of the quiet hours."))
        mobile = data.get("mobile")
        self.shared_with = list(Customer.objects.filter(mobile=mobile).exclude(pk=self.instance.pk)[:3]) if (
            mobile and mobile != self.instance.mobile) else []
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


class VehicleForm(ChoosePrompt, forms.ModelForm):
    vin = forms.CharField(label=_("VIN"), max_length=40)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)

    class Meta:
        model = Vehicle
        fields = ["vin", "plate", "brand", "model_name", "colour", "delivery_date", "sales_consultant",
                  "invoice_amount"]
        widgets = {"delivery_date": DATE}

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

    def clean_on(self):
        return _not_in_future(self.cleaned_data["on"])

    def clean_new_owner_phone(self):
        number = _cleaned(normalize_phone, self.cleaned_data["new_owner_phone"])
        owners = list(Customer.objects.filter(mobile=number)[:2])
        if not owners:
            raise forms.ValidationError(_("No customer has the mobile %(number)s.") % {"number": number})
        if len(owners) > 1:
            raise forms.ValidationError(_("Several customers share this mobile; merge them first."))
        return owners[0]


class FamilyMemberForm(ChoosePrompt, forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = ["relation", "name", "gender", "birthday", "note"]
        widgets = {"birthday": DATE}

    def clean_birthday(self):
        return _not_in_future(self.cleaned_data["birthday"])

    def clean_name(self):
        return normalize_name(self.cleaned_data["name"])


class ContactPreferenceForm(ChoosePrompt, forms.ModelForm):
    allowed = forms.TypedChoiceField(
        label=_("The customer"), widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("no", _("refuses this")), ("yes", _("agrees to this"))])

    class Meta:
        model = ContactPreference
        fields = ["channel", "purpose", "allowed", "reason"]

    def validate_unique(self):
        """Saving a channel and purpose already recorded replaces the old answer (the service upserts)."""


class DeliveryFileForm(ChoosePrompt, forms.ModelForm):
    class Meta:
        model = DeliveryFile
        fields = [*DeliveryFile.DOCUMENTS, "handbook_checked_on", "handbook_note"]
        widgets = {"handbook_checked_on": DATE}

    def clean_handbook_checked_on(self):
        return _not_in_future(self.cleaned_data["handbook_checked_on"])


YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}


class CustomerFilterForm(forms.Form):
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
        ("-id", _("Newest first")), ("name", _("Name (pinyin)")), ("-last_visit_on", _("Last visit, recent first")),
        ("last_visit_on", _("Last visit, longest ago first"))])

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
            model_name=data["model_name"], delivered_from=data["delivered_from"],
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
