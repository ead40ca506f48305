"""The template editor's form, the rules a template's text and gateway ids obey, and the form of a
single send from a customer's page.

The rules a template obeys live in `services` (`template_errors`, `template_validate`), and
`services.template_save` is the one way a template is saved: the editor, the admin and the
spreadsheet import (resources.py) all go through it, so a template imported from Excel is held to
what the form holds.
"""

import re
import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import texts
from .bulk_forms import date_value
from .gateways import gateway_class
from .models import OutboundMessage, Purpose, SmsTemplate
from .selectors import OutboxFilters
from .services import template_errors, template_normalize

# The field that holds a template's approved id at each gateway that sends only approved templates.
CODE_FIELDS = {"aliyun": "aliyun_code", "tencent": "tencent_id"}
GATEWAY_LABELS = {
    "console": gettext_lazy("the console (nothing leaves the machine)"),
    "http": gettext_lazy("the HTTP gateway"),
    "aliyun": gettext_lazy("Aliyun"),
    "tencent": gettext_lazy("Tencent Cloud"),
}
# What one person sends from a customer's page; marketing only with messaging.send_marketing.
SINGLE_SEND_PURPOSES = (Purpose.SERVICE, Purpose.CARE, Purpose.NOTICE)
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def gateway_label(name: str | None = None) -> str:
    name = name or settings.SMS_GATEWAY
    return str(GATEWAY_LABELS.get(name, name))


def approved_code(template: SmsTemplate, gateway_name: str | None = None) -> str | None:
    """The template's approved id at the gateway; None when the gateway sends any text (no id needed)."""
    name = gateway_name or settings.SMS_GATEWAY
    if gateway_class(name).free_text:
        return None
    return getattr(template, CODE_FIELDS.get(name, ""), "") or ""


def sendable(template: SmsTemplate, gateway_name: str | None = None) -> bool:
    """Whether the gateway of the settings can send this template (in use, and approved there if it must be)."""
    return template.active and approved_code(template, gateway_name) != ""


class SmsTemplateForm(forms.ModelForm):
    class Meta:
        model = SmsTemplate
        fields = ["key", "name", "purpose", "text", "aliyun_code", "tencent_id", "tencent_params",
                  "quiet_hours_exempt", "active"]
        widgets = {
            "key": forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "purpose": forms.Select(attrs={"class": "form-select"}),
            "text": forms.Textarea(attrs={"class": "form-control", "rows": 4, "maxlength": 500}),
            "aliyun_code": forms.TextInput(attrs={"class": "form-control", "placeholder": "SMS_123456789"}),
            "tencent_id": forms.TextInput(attrs={"class": "form-control", "placeholder": "1234567"}),
            "tencent_params": forms.TextInput(attrs={"class": "form-control", "placeholder": "name,plate,date"}),
            "quiet_hours_exempt": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def _post_clean(self):
        super()._post_clean()
        template_normalize(self.instance)
        for field, messages in template_errors(self.instance).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class SingleSendForm(forms.Form):
    """One message to one customer: an active template of a purpose the sender may send, a date for
    {date}, and the one-time token of the page it was shown on (its idempotency key)."""

    template = forms.ModelChoiceField(label=gettext_lazy("Template"), queryset=SmsTemplate.objects.none(),
                                      widget=forms.Select(attrs={"class": "form-select"}))
    date = forms.DateField(label=gettext_lazy("Date ({date})"), required=False,
                           widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
                           help_text=gettext_lazy("For a text that says {date}, e.g. the day of the appointment."))
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", secrets.token_urlsafe(18))
        purposes = list(SINGLE_SEND_PURPOSES)
        if user.has_perm("messaging.send_marketing"):
            purposes.append(Purpose.MARKETING)
        self.fields["template"].queryset = SmsTemplate.objects.filter(active=True, purpose__in=purposes).order_by(
            "purpose", "name")
        self.fields["template"].label_from_instance = lambda t: f"{t.name} · {t.get_purpose_display()}"
        self.fields["template"].empty_label = _("— choose a template —")

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not TOKEN.match(token):
            raise ValidationError(_("The page is out of date: open it again."))
        return token

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None and "date" in texts.variables_used(template.text) and not data.get("date"):
            self.add_error("date", _("The text says {date}: give the date."))
        return data

    def variables(self) -> dict:
        day = self.cleaned_data.get("date")
        return {"date": date_value(day)} if day else {}


class OutboxFilterForm(forms.Form):
    """The outbox's filters; dates are the store's local days, both included."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All statuses")), *OutboundMessage.Status.choices],
                               widget=forms.Select(attrs=SMALL_SELECT))
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), required=False,
                                choices=[("", gettext_lazy("All purposes")), *Purpose.choices],
                                widget=forms.Select(attrs=SMALL_SELECT))
    template = forms.ModelChoiceField(label=gettext_lazy("Template"), required=False,
                                      queryset=SmsTemplate.objects.order_by("purpose", "name"),
                                      empty_label=gettext_lazy("All templates"), widget=forms.Select(attrs=SMALL_SELECT))
    since = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    until = forms.DateField(label=gettext_lazy("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date", **SMALL_INPUT}))
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filters(self) -> "OutboxFilters | None":
        """The filters, or None when one is not valid (the page then shows the form's errors)."""
        if not self.is_bound:
            return OutboxFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if data["since"] and data["until"] and data["since"] > data["until"]:
            self.add_error("until", _("The end is before the start."))
            return None
        return OutboxFilters(status=data["status"], purpose=data["purpose"],
                             template_id=data["template"].pk if data["template"] else None,
                             customer_id=data["customer"], since=data["since"], until=data["until"])
