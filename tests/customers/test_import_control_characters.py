"""Control characters in an archive's cells (issue 9): a NUL or another C0 control is an invalid cell
of its row, wherever it is in the file, not a chunk the database refuses; and no report or batch
message says rows were imported that were not.
"""

import pytest
from django.db import DataError
from django.urls import reverse

from customers.imports import batches, deliveries
from customers.imports.models import ImportBatch
from customers.imports.services import import_archive
from customers.models import Customer
from tests.customers.factories import valid_vin


def nul_csv() -> bytes:
    """61 rows; row 40's address has a NUL, well after the first 4 KB."""
    lines = ["客户姓名,手机号码,车架号,地址"]
    for n in range(1, 62):
        address = "怀远县\x00城关镇" if n == 40 else "怀远县城关镇荆山路" + "一" * 30
        lines.append(f"客户{n},139{n:08d},{valid_vin(n)},{address}")
    data = "\n".join(lines).encode("utf-8")
    assert data.index(b"\x00") > 4096
    return data


@pytest.mark.django_db
def test_a_nul_after_the_first_4_kb_is_an_invalid_cell_and_the_other_rows_are_imported(admin_user):
    report = import_archive(data=nul_csv(), kind="deliveries", by=admin_user)
    assert (report.rows, report.invalid, report.created, report.failed_rows) == (61, 1, 60, [])
    (error,) = report.errors
    assert (error["row"], error["column"]) == (41, "地址") and "控制字符" in error["message"]
    assert "\x00" not in str(report.as_json())  # a report PostgreSQL's jsonb can keep
    assert Customer.objects.count() == 60 and not Customer.objects.filter(name="客户40").exists()


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\u202e", "\u2066",
                                       "\ufffe"])
@pytest.mark.django_db
def test_other_control_characters_are_invalid_cells_too(admin_user, character):
    data = f"客户姓名,手机号码,车架号\n张{character}三,13900000001,{valid_vin(1)}\n李四,13900000002,{valid_vin(2)}\n"
    report = import_archive(data=data.encode("utf-8"), kind="deliveries", by=admin_user, dry_run=True)
    assert (report.invalid, report.created, report.errors[0]["column"]) == (1, 1, "客户姓名")
    assert report.invalid_rows[0]["cells"][0] == "张\ufffd三"  # shown, not dropped, in the download


@pytest.mark.django_db
def test_the_nul_file_goes_through_a_batch_without_a_failed_chunk(admin_user, client):
    batch = batches.import_batch_upload(kind="deliveries", filename="回访.csv", content=nul_csv(), by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.CHECKED and batch.preview["invalid"] == 1
    batches.import_batch_confirm(batch=batch, by=admin_user)
    batch = batches.import_batch_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.DONE and batch.message == ""
    assert batch.result["failed_rows"] == [] and len(batch.result["committed_rows"]) == 60
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "控制字符" in page


@pytest.mark.django_db
def test_when_every_chunk_fails_the_batch_never_says_rows_were_imported(admin_user, client, monkeypatch):
    def refused(self, chunk):
        raise DataError('invalid byte sequence for encoding "UTF8": 0x00')

    monkeypatch.setattr(deliveries, "CHUNK", 20)
    monkeypatch.setattr(deliveries.DeliveriesImport, "_write", refused)
    data = nul_csv().replace(b"\x00", b"")
    batch = batches.import_batch_upload(kind="deliveries", filename="回访.csv", content=data, by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    batches.import_batch_confirm(batch=batch, by=admin_user)
    batch = batches.import_batch_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.message == "没有导入任何一行：61 行未能写入。"
    assert "已导入" not in batch.message and "其余" not in batch.message
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "没有提交任何一行：61 行未能写入" in page and "已提交" not in page and "其余" not in page
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_when_some_chunks_fail_the_batch_counts_the_rows_imported(admin_user, client, monkeypatch):
    original = deliveries.DeliveriesImport._write

    def first_chunk_refused(self, chunk):
        if any(row.row == 2 for _key, group in chunk for row in group):
            raise DataError("refused")
        return original(self, chunk)

    monkeypatch.setattr(deliveries, "CHUNK", 20)
    monkeypatch.setattr(deliveries.DeliveriesImport, "_write", first_chunk_refused)
    batch = batches.import_batch_upload(kind="deliveries", filename="回访.csv",
                                        content=nul_csv().replace(b"\x00", b""), by=admin_user)
    batches.import_batch_confirm(batch=batches.import_batch_check(batch_id=batch.pk), by=admin_user)
    batch = batches.import_batch_run(batch_id=batch.pk)
    failed, committed = len(batch.result["failed_rows"]), len(batch.result["committed_rows"])
    assert failed and committed and failed + committed == 61
    assert batch.message == f"{failed} 行未能写入；已导入 {committed} 行。"
    assert Customer.objects.count() == committed
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert f"{failed} 行未能写入（见下）；已提交 {committed} 行" in page and "其余" not in page
