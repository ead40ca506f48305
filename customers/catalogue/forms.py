"""The admin's upload of the catalogue: a list of a few dozen models is a few kilobytes, so anything
much larger, or a workbook that would unpack to much more, is refused before it is read."""

import io
import zipfile

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ImportForm

MAX_FILE_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024


class CatalogueImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("A catalogue file is at most 1 MB."))
        data = upload.read()
        upload.seek(0)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as workbook:
                unpacked = sum(member.file_size for member in workbook.infolist())
        except zipfile.BadZipFile as error:
            raise forms.ValidationError(_("This is not an .xlsx workbook.")) from error
        if unpacked > MAX_UNPACKED_BYTES:
            raise forms.ValidationError(_("The workbook would unpack to an unreasonable size: it was not opened."))
        return upload
