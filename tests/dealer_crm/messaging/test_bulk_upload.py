"""A bulk send to an uploaded list of mobiles: the column it reads, the numbers of no customer, and
the files it refuses before parsing them."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.bulk_forms import UploadError, read_mobiles
from dealer_crm.messaging.models import BulkSend
from tests.customers.factories import workbook
from tests.dealer_crm.messaging.test_bulk_pages import daytime, exclusion_rows, store  # noqa: F401 - fixtures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes, template, name: str = "活动名单.xlsx"):
    return client.post(reverse("messaging:bulk_new"), {
        "source": "upload", "upload": SimpleUploadedFile(name, data, content_type=XLSX), "template": template.pk,
        "date": "2026-12-12"})


def test_the_mobile_column_is_found_by_its_header():
    data = workbook(["姓名", "手机号", "备注"], ["甲", "139 0000 0000", "x"], ["乙", 13900000003, ""], ["丙", None, "无号"],
                    title=None)
    assert read_mobiles(data) == ["13900000000", "13900000003", ""]


def test_without_a_header_the_first_column_is_read():
    data = workbook([13900000000], ["+86 139-0000-0003"], [13900000003.0], title=None)
    assert read_mobiles(data) == ["13900000000", "13900000003", "13900000003"]


def test_an_english_header_counts_too():
    assert read_mobiles(workbook(["Name", "Mobile"], ["A", "13900000000"], title=None)) == ["13900000000"]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"name,mobile\n", "not an xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    (b"PK\x03\x04 broken", "damaged"),
], ids=["empty", "csv", "xls", "broken-zip"])
def test_files_that_are_not_workbooks_are_refused_with_a_reason(data, message, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadError, match=message):
        read_mobiles(data)


def test_a_zip_bomb_is_refused_before_it_is_parsed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (60 * 1024 * 1024))
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadError, match="unpacks to far more"):
        read_mobiles(buffer.getvalue())


def test_a_list_longer_than_the_limit_is_refused(monkeypatch):
    from dealer_crm.messaging import bulk_forms

    monkeypatch.setattr(bulk_forms, "MAX_UPLOAD_ROWS", 3)
    book = openpyxl.Workbook()
    for n in range(5):
        book.active.append([f"1390000000{n}"])
    buffer = io.BytesIO()
    book.save(buffer)
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadError, match="more than 3 rows"):
        read_mobiles(buffer.getvalue())


def test_the_check_of_an_upload_counts_numbers_of_no_customer_and_invalid_ones(client, supervisor, store, daytime):
    client.force_login(supervisor)
    data = workbook(["姓名", "手机"], ["甲", "13900000000"], ["乙", "13900000003"], ["丙", "13900000001"],
                    ["丁", "13912345678"], ["戊", "12345"], ["己", None], ["庚", "13900000003"], title=None)
    response = upload(client, data, store["template"])
    html = response.content.decode()
    assert response.context["check"]["recipients"] == 2
    assert exclusion_rows(html) == {str(Exclusion.NOT_A_CUSTOMER.label): 1, str(Exclusion.INVALID_MOBILE.label): 1,
                                    str(Exclusion.NO_MOBILE.label): 1, str(Exclusion.OPTED_OUT.label): 1,
                                    str(Exclusion.DUPLICATE_MOBILE.label): 1}
    client.post(reverse("messaging:bulk_confirm"), {"token": response.context["check"]["token"]})
    bulk = BulkSend.objects.get()
    assert bulk.upload_name == "活动名单.xlsx" and bulk.filter_query == ""
    assert sorted(bulk.messages.values_list("phone", flat=True)) == ["13900000000", "13900000003"]
    page = client.get(reverse("messaging:bulk_detail", args=[bulk.pk])).content.decode()
    assert "活动名单.xlsx" in page.split('id="bulk-source">', 1)[1].split("</dd>", 1)[0]


def test_an_unreadable_upload_is_an_error_on_the_form(client, supervisor, store, daytime):
    client.force_login(supervisor)
    response = upload(client, b"%PDF-1.4 not a list", store["template"], name="名单.pdf")
    assert response.context["check"] is None
    assert response.context["form"].errors["upload"]
    assert BulkSend.objects.count() == 0
