"""The manufacturer's dissatisfaction items (厂家不满意事项): their list, the import (upload → check →
confirm), entering one by hand, and the export that reports them back in the manufacturer's columns.

The rules are `followups.complaints.manufacturer`'s; these views check the right, validate a form
and call it. The checked file waits for the confirmation in the page itself, signed (a confirm
cannot bring another file than the one checked, nor someone else's), so any server can import it.
"""

import base64
import binascii
import zlib
from datetime import date

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.imports.reading import ImportFileError
from dealer_crm.access import require_perm
from dealer_crm.exports import ExportTooLarge
from followups.callbacks.forms import MarksInvalid

from .. import manufacturer
from ..manufacturer import ADD, VIEW
from ..models import Complaint, ManufacturerItem

PAGE_SIZE = 50
UPLOAD_SALT = "complaints.manufacturer.upload"
UPLOAD_MAX_AGE = 60 * 60  # a check waits an hour for its confirmation


# --- forms ----------------------------------------------------------------------------------------
def _date_input(css: str) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": css}, format="%Y-%m-%d")  # what type=date reads


def _month(value: str) -> date | None:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return None


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("State"), required=False,
        choices=[("", gettext_lazy("All")), (manufacturer.OPEN, gettext_lazy("Not closed"))] + Complaint.Status.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    month = forms.CharField(label=gettext_lazy("Received in"), required=False, max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}))
    overdue = forms.BooleanField(label=gettext_lazy("Reply overdue"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def clean_month(self) -> str:
        value = self.cleaned_data["month"]
        if value and _month(value) is None:
            raise forms.ValidationError(_("Choose a month."))
        return value


class ExportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Received from"),
                            widget=_date_input("form-control form-control-sm"))
    end = forms.DateField(label=gettext_lazy("to"),
                          widget=_date_input("form-control form-control-sm"))
    report_back = forms.BooleanField(
        label=gettext_lazy("Report back: mark the exported items as reported to the manufacturer"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the range is before its start."))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The manufacturer's file"),
        help_text=gettext_lazy(".xlsx, .xls or .csv (UTF-8 or GBK), at most 1 MB and 1,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv", "class": "form-control"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > manufacturer.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB: the manufacturer's items of a month "
                                          "fit in much less. Split it and import the parts.")
                                        % {"limit": manufacturer.MAX_BYTES // (1024 * 1024)})
        return upload


def _text_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class ItemEntryForm(MarksInvalid):
    """One item as the manufacturer's file has it; its cells are cleaned as a file's are."""

    reference = forms.CharField(label=gettext_lazy("Manufacturer's number"), max_length=40, widget=_text_input())
    received_on = forms.DateField(label=gettext_lazy("Sent on"), required=False,
                                  widget=_date_input("form-control"))
    reply_due_on = forms.DateField(label=gettext_lazy("Reply due on"), required=False,
                                   widget=_date_input("form-control"))
    customer_name = forms.CharField(label=gettext_lazy("Customer's name"), max_length=50, required=False,
                                    widget=_text_input())
    mobile = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False,
                             widget=_text_input(inputmode="tel"))
    vin = forms.CharField(label=gettext_lazy("VIN"), max_length=30, required=False,
                          widget=_text_input(autocapitalize="characters"))
    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=20, required=False, widget=_text_input())
    item_type = forms.CharField(label=gettext_lazy("Item type"), max_length=60, required=False,
                                widget=_text_input(placeholder=gettext_lazy("e.g. 服务态度, 维修质量, 配件")))
    description = forms.CharField(label=gettext_lazy("What the customer was dissatisfied with"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))

    def mark_invalid(self) -> None:
        """The fields the service refused show red too."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


# --- the checked file, kept in the page until it is confirmed ---------------------------------------
def upload_token(*, data: bytes, filename: str, user) -> str:
    payload = {"user": user.pk, "name": filename[:255], "data": base64.b64encode(zlib.compress(data)).decode()}
    return signing.dumps(payload, salt=UPLOAD_SALT)


def upload_from_token(token: str, *, user) -> tuple[bytes, str]:
    try:
        payload = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
        if payload.get("user") != user.pk:
            raise signing.BadSignature
        return zlib.decompress(base64.b64decode(payload["data"])), str(payload.get("name", ""))
    except signing.SignatureExpired as error:
        raise ImportFileError(_("The check is more than an hour old: upload the file again.")) from error
    except (signing.BadSignature, KeyError, TypeError, ValueError, binascii.Error, zlib.error) as error:
        raise ImportFileError(_("The checked file was not found: upload it again.")) from error


# --- pages ----------------------------------------------------------------------------------------
def complaint_url(complaint_id: int | None) -> str:
    """The complaint's page, once the complaint pages are there."""
    if complaint_id is None:
        return ""
    try:
        return reverse("complaints:complaint_detail", args=[complaint_id])
    except NoReverseMatch:
        return ""


@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    form = ItemFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    items = manufacturer.manufacturer_items(status=data.get("status") or "", month=_month(data.get("month") or ""),
                                            overdue=bool(data.get("overdue")), today=today)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.overdue = manufacturer.is_overdue(item, today)
        item.complaint_url = complaint_url(item.complaint_id)
    query = request.GET.copy()
    query.pop("page", None)
    first = today.replace(day=1)
    return render(request, "complaints/manufacturer_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "today": today,
        "overdue_count": ManufacturerItem.objects.filter(manufacturer.overdue_filter(today)).count(),
        "export_form": ExportForm(initial={"start": first, "end": today}),
        "can_add": request.user.has_perm(ADD),
    })


def _report_page(request: HttpRequest, report, *, token: str = "", status: int = 200) -> HttpResponse:
    for item in report.items:
        item["complaint_url"] = complaint_url(item["complaint_id"])
    return render(request, "complaints/manufacturer_import_report.html", {
        "report": report, "token": token, "errors": report.errors}, status=status)


@require_http_methods(["GET", "POST"])
def item_import(request: HttpRequest) -> HttpResponse:
    """The upload; the check's report comes back as the answer, with the confirm button."""
    require_perm(request.user, ADD)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = manufacturer.manufacturer_import(data=data, filename=upload.name, by=request.user, dry_run=True)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            token = upload_token(data=data, filename=upload.name, user=request.user) if report.created else ""
            return _report_page(request, report, token=token)
    return render(request, "complaints/manufacturer_import.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_POST
def item_import_confirm(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    try:
        data, filename = upload_from_token(request.POST.get("token", ""), user=request.user)
        report = manufacturer.manufacturer_import(data=data, filename=filename, by=request.user)
    except ImportFileError as error:
        messages.error(request, str(error))
        return redirect("complaints:manufacturer_import")
    return _report_page(request, report)


@require_http_methods(["GET", "POST"])
def item_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    form = ItemEntryForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            item = manufacturer.manufacturer_item_enter(by=request.user, **form.cleaned_data)
        except manufacturer.ManufacturerItemError as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Item %(reference)s is registered as complaint %(number)s, for the "
                                        "supervisor to assign.") % {"reference": item.reference,
                                                                     "number": item.complaint.number})
            return redirect("complaints:manufacturer_list")
            form.mark_invalid()
    return render(request, "complaints/manufacturer_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_POST
def item_export(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("complaints:manufacturer_list")
    report_back = form.cleaned_data["report_back"]
    if report_back:
        require_perm(request.user, ADD)
    try:
        return manufacturer.manufacturer_export(start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                                                by=request.user, report_back=report_back)
    except ExportTooLarge as error:
        messages.error(request, str(error))
        return redirect("complaints:manufacturer_list")


urlpatterns = [
    path("manufacturer/", item_list, name="manufacturer_list"),
    path("manufacturer/import/", item_import, name="manufacturer_import"),
    path("manufacturer/import/confirm/", item_import_confirm, name="manufacturer_import_confirm"),
    path("manufacturer/new/", item_new, name="manufacturer_new"),
    path("manufacturer/export/", item_export, name="manufacturer_export"),
]
