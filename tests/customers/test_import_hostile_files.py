"""Hostile archive files (issue 9): a workbook that makes the reader blow up, a bomb hidden by
padding. Each ends as a clear message and a finished batch, never as a dead worker, a batch stuck
at "checking" or a file refused for 30 minutes.

The files are built here, a few KB each: nothing large is committed.
"""

import io
import os
import time
import zipfile

import pytest
from django.urls import reverse

from customers.imports import batches
from customers.imports.models import ImportBatch
from customers.imports.reading import ImportFileError, read_rows
from dealer_crm.accounts.roles import Role
from tests.factories import UserFactory

CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PACKAGE_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def handmade_xlsx(cells: dict[str, str], *, dimension: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal xlsx written member by member: {"A1": "text", …} as inline strings, one row per cell."""
    rows = "".join(f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}" t="inlineStr"><is><t>{value}'
                   f"</t></is></c></row>" for ref, value in cells.items())
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"{declared}<sheetData>{rows}</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


# Two cells: python-calamine would allocate 1,048,576 × 16,384 cells (549 GB) and abort the process.
CORNERS = {"A1": "客户姓名", "XFD1048576": "x"}


def test_a_handmade_workbook_is_read():
    sheet = read_rows(handmade_xlsx({"A1": "客户姓名", "B1": "手机号码"}))
    assert sheet.rows == [["客户姓名", "手机号码"]]


def test_a_sheet_reaching_xfd1048576_is_refused_before_the_reader_allocates():
    data = handmade_xlsx(CORNERS)
    assert len(data) < 2000
    with pytest.raises(ImportFileError, match="文件异常，无法读取：.*1048576.*16384"):
        read_rows(data)


def test_a_sheet_that_declares_a_huge_dimension_is_refused(settings):
    settings.IMPORT_MAX_SHEET_CELLS = 1000
    with pytest.raises(ImportFileError, match="文件异常，无法读取"):
        read_rows(handmade_xlsx({"A1": "客户姓名", "B2": "张三"}, dimension="A1:ZZ200000"))


def test_a_reader_that_blows_up_ends_its_own_process_not_this_one(settings):
    settings.IMPORT_MAX_SHEET_CELLS = 10**15  # past the cheap check: the reader itself meets the 549 GB
    settings.IMPORT_READER_MAX_MEMORY_MB = 512
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="文件异常，无法读取：读取它需要超过 512 MB 的内存"):
        read_rows(handmade_xlsx(CORNERS))
    assert time.monotonic() - started < 30
    assert os.getpid()  # still here to say so


def test_padding_does_not_hide_a_bomb_in_one_member(settings):
    """The ratio of each member, not of the sum: incompressible padding no longer averages it away."""
    settings.IMPORT_MAX_COMPRESSION_RATIO = 50
    padding = os.urandom(300_000)  # stored at about its size
    data = handmade_xlsx({"A1": "客户姓名"}, extra={"xl/worksheets/sheet2.xml": b" " * 5_000_000,
                                                  "xl/media/padding.bin": padding})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    assert sum(m.file_size for m in members) / sum(m.compress_size for m in members) < 50  # the old check passed
    with pytest.raises(ImportFileError, match="文件异常，无法读取：.*解压"):
        read_rows(data)


@pytest.mark.django_db
def test_a_hostile_workbook_ends_as_a_failed_batch_and_frees_the_file(admin_user, settings):
    settings.IMPORT_MAX_SHEET_CELLS = 10**15  # the reader's own limit has to catch it
    settings.IMPORT_READER_MAX_MEMORY_MB = 512
    data = handmade_xlsx(CORNERS)
    batch = batches.import_batch_upload(kind="deliveries", filename="交车档案.xlsx", content=data, by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.FAILED and batch.finished_at is not None
    assert batch.message.startswith("文件异常，无法读取")
    again = batches.import_batch_upload(kind="deliveries", filename="交车档案.xlsx", content=data, by=admin_user)
    assert again.status == ImportBatch.Status.CHECKING  # not refused for 30 minutes


@pytest.mark.broker
def test_a_worker_survives_a_hostile_workbook_and_goes_on(client, celery_worker):
    from tests.customers.test_import_batches import _wait_for
    from tests.customers.test_import_deliveries import ROWS, workbook

    admin = UserFactory(username="admin_hostile", roles=[Role.ADMIN], is_staff=True)
    client.force_login(admin)
    for name, content in (("坏.xlsx", handmade_xlsx(CORNERS)), ("好.xlsx", workbook(*ROWS))):
        upload = io.BytesIO(content)
        upload.name = name
        client.post(reverse("imports:batch_upload"), {"kind": "deliveries", "file": upload})
    hostile, good = ImportBatch.objects.order_by("pk")
    hostile = _wait_for(hostile, ImportBatch.Status.FAILED, celery_worker)
    assert hostile.message.startswith("文件异常，无法读取")
    page = client.get(reverse("imports:batch_detail", args=[hostile.pk])).content.decode()
    assert "文件异常，无法读取" in page and "hx-trigger" not in page  # finished: the page stops polling
    _wait_for(good, ImportBatch.Status.CHECKED, celery_worker)  # the same worker checks the next file
