"""The bulk send's form, the uploaded list of mobiles, and the customer filter told in words.

The page and the `sms_send_bulk` command read an uploaded list the same way (`read_mobiles`):
an xlsx whose column headed 手机/手机号/mobile (or, without such a header, the first column) holds
the numbers. A workbook is a zip: before it is parsed, a file too big, a member that unpacks to
far more than it weighs (a zip bomb), an encrypted workbook or something that is not a workbook at
all is refused with a message for staff; the sheet is then streamed (openpyxl's read-only mode,
defusedxml installed) and at most MAX_UPLOAD_ROWS rows are read.
"""

import io
import re
import zipfile
from datetime import date

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import texts
from .audience import audience
from .gateways import get_gateway
from .models import Purpose, SmsTemplate
from .services import MessagingError, template_check

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # a member that unpacks to over 100 times its size is a bomb, not a list of numbers
RATIO_FLOOR_BYTES = 1024 * 1024  # members this small cannot hurt, however well they compress
MAX_UPLOAD_ROWS = 100_000
MOBILE_HEADERS = {"手机", "手机号", "手机号码", "移动电话", "mobile", "mobile phone", "phone", "联系电话", "电话"}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and Office's wrapper around an encrypted .xlsx
ZIP = b"PK\x03\x04"
SOURCE_FILTER, SOURCE_UPLOAD = "filter", "upload"


class UploadError(ValueError):
    """The uploaded list cannot be read; the message says why, for staff."""


# --- the uploaded list -----------------------------------------------------------------------
def _check_workbook(data: bytes) -> None:
    if not data:
        raise UploadError(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(_("The file is larger than %(mb)d MB: split the list into smaller files.")
                          % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    if data.startswith(OLE2):
        raise UploadError(_("This is an old .xls workbook or an encrypted one: save it as .xlsx without a password."))
    if not data.startswith(ZIP):
        raise UploadError(_("This is not an xlsx workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise UploadError(_("The workbook is damaged and cannot be read.")) from error
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES or any(
            member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1)
            for member in members):
        raise UploadError(_("The workbook unpacks to far more than it weighs: it is refused."))
    if not any(member.filename.startswith("xl/worksheets/") for member in members):
        raise UploadError(_("This is not an xlsx workbook."))


def _plain_mobile(value) -> str:
    """A cell as a mobile: numbers as Excel stores them (13800000000.0), spaces, dashes and +86 dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\s\-()（）]", "", str(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def _is_mobile_header(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in MOBILE_HEADERS


def read_mobiles(data: bytes) -> list[str]:
    """The mobiles of the workbook's first sheet with data, one per row, in the file's order
    (an empty cell is an empty string: the check counts it as "no mobile")."""
    _check_workbook(data)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UploadError(_("The workbook is damaged and cannot be read.")) from error
    try:
        column, mobiles = None, []
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                if not any(cell not in (None, "") for cell in row):
                    continue
                if column is None:
                    headed = [index for index, cell in enumerate(row) if _is_mobile_header(cell)]
                    column = headed[0] if headed else 0
                    first = _plain_mobile(row[0]) if row else ""
                    if headed or (row and isinstance(row[0], str) and not first.isdigit()):
                        continue  # a header row, not a number
                value = row[column] if column < len(row) else None
                mobiles.append(_plain_mobile(value))
                if len(mobiles) > MAX_UPLOAD_ROWS:
                    raise UploadError(_("The list has more than %(n)s rows: split it into smaller files.")
                                      % {"n": f"{MAX_UPLOAD_ROWS:,}"})
            if column is not None:
                break  # the first sheet with data
    except UploadError:
        raise
    except Exception as error:
        raise UploadError(_("The workbook is damaged and cannot be read.")) from error
    finally:
        book.close()
    if not mobiles:
        raise UploadError(_("The workbook has no mobiles in it."))
    return mobiles


# --- the filter in words ---------------------------------------------------------------------
def filter_in_words(query: str) -> list[tuple[str, str]]:
    """The customer-list filter as (what, which) pairs for people, e.g. ("品牌", "三菱"), as the
    archive tells it; an empty list means every customer."""
    return list(audience().describe_filter(query))


def filter_query_clean(query: str) -> str:
    """The filter without its empty fields, the list's page and its order: what a person reads is what it is."""
    params = QueryDict(query, mutable=True)
    for name in list(params):
        values = [value for value in params.getlist(name) if value]
        if name in {"page", "order"} or not values:
            del params[name]
        else:
            params.setlist(name, values)
    return params.urlencode()


def date_value(day: date) -> str:
    """The {date} variable as a text says it: 12月5日."""
    return f"{day.month}月{day.day}日"


# --- the form --------------------------------------------------------------------------------
class BulkSendForm(forms.Form):
    """What to send to whom. Cleaned, it holds the template or the text with its purpose, the
    variables the same for everyone, and the recipients' source: a filter or the uploaded mobiles."""

    source = forms.ChoiceField(label=gettext_lazy("Recipients"), widget=forms.RadioSelect, initial=SOURCE_FILTER,
                               choices=[(SOURCE_FILTER, gettext_lazy("The customers of a customer-list filter")),
                                        (SOURCE_UPLOAD, gettext_lazy("An uploaded list of mobiles (xlsx)"))])
    filter = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    upload = forms.FileField(label=gettext_lazy("List of mobiles"), required=False,
                             help_text=gettext_lazy("An xlsx with a column headed 手机, 手机号 or mobile (else the first column), "
                                                    "one number a row, at most 100,000 rows."),
                             widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}))
    template = forms.ModelChoiceField(label=gettext_lazy("Template"), required=False, queryset=SmsTemplate.objects.none(),
                                      widget=forms.Select(attrs={"class": "form-select"}))
    text = forms.CharField(label=gettext_lazy("Text"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
                           help_text=gettext_lazy("Variables in braces: {name} {title} {plate} {model} {date} {store} {advisor}. "
                                                  "The store's signature is added by the gateway."))
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), required=False, choices=[("", "—"), *Purpose.choices],
                                widget=forms.Select(attrs={"class": "form-select"}))
    date = forms.DateField(label=gettext_lazy("Date ({date})"), required=False,
                           widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
                           help_text=gettext_lazy("For a text that says {date}, e.g. the day of the event."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gateway = get_gateway()
        self.fields["template"].queryset = SmsTemplate.objects.filter(active=True).order_by("purpose", "name")
        self.fields["template"].label_from_instance = lambda t: f"{t.name} · {t.get_purpose_display()}"
        if self.gateway.free_text:
            self.fields["template"].empty_label = _("— none: write the text below —")
        else:
            self.fields["template"].required = True
            del self.fields["text"], self.fields["purpose"]

    def clean(self):
        data = super().clean()
        template, text = data.get("template"), (data.get("text") or "").strip()
        if template is not None and text:
            self.add_error("text", _("Choose a template or write the text, not both."))
            return data
        if template is None and self.gateway.free_text:
            if not text:
                self.add_error("template", _("Choose a template or write the text."))
                return data
            if not data.get("purpose"):
                self.add_error("purpose", _("Say what the text is for: the customers' preferences are per purpose."))
        try:
            template_check(template=template, text=text, gateway=self.gateway)
        except MessagingError as error:
            self.add_error("template" if template is not None else "text", str(error))
        except forms.ValidationError as error:
            self.add_error("text", error)
        data["text"] = text
        data["filter"] = filter_query_clean(data.get("filter") or "")
        data["purpose"] = template.purpose if template is not None else data.get("purpose", "")
        if "date" in texts.variables_used(template.text if template is not None else text) and not data.get("date"):
            self.add_error("date", _("The text says {date}: give the date."))
        if data.get("source") == SOURCE_UPLOAD:
            upload = data.get("upload")
            if not upload:
                self.add_error("upload", _("Choose the xlsx file with the mobiles."))
            else:
                try:
                    data["mobiles"] = read_mobiles(upload.read(MAX_UPLOAD_BYTES + 1))
                except UploadError as error:
                    self.add_error("upload", str(error))
        return data

    def variables(self) -> dict:
        day = self.cleaned_data.get("date")
        return {"date": date_value(day)} if day else {}
