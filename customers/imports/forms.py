from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportBatch
from .reading import max_bytes


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of archive"), choices=ImportBatch.Kind.choices,
                             initial=ImportBatch.Kind.DELIVERIES)
    file = forms.FileField(label=_("File"), help_text=_(".xlsx, .xls or .csv (UTF-8 or GBK), at most 50 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(_("The file is larger than %(limit)s MB: split it and import the parts.")
                                        % {"limit": max_bytes() // (1024 * 1024)})
        return upload
