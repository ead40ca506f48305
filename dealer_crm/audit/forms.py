from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All actions")), *AuditEvent.Action.choices],
                               widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    actor = forms.ModelChoiceField(label=_("By"), required=False, queryset=get_user_model().objects.all(),
                                   empty_label=_("Everyone"),
                                   widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    since = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    until = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
