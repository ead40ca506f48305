"""Uploading an archive in the admin: background check, preview, confirm, progress, history."""

import io
import time
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.imports import batches
from customers.imports.models import ImportBatch
from customers.imports.reading import ImportFileError
from customers.models import Customer, Vehicle
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import valid_vin
from tests.customers.test_import_deliveries import ROWS, workbook
from tests.factories import UserFactory

BAD_ROW = ["王五", "12345", "", valid_vin(6), "", "", "", "", ""]  # not a phone number


@pytest.fixture
def checked(admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch = batches.import_batch_upload(kind="deliveries", filename="交车档案.xlsx",
                                            content=workbook(*ROWS, BAD_ROW), by=admin_user)
    assert len(queued) == 1  # the check is queued for a worker, after the upload commits
    return batches.import_batch_check(batch_id=batch.pk)


@pytest.mark.django_db
def test_the_check_counts_and_lists_invalid_rows_and_writes_nothing(checked):
    assert checked.status == ImportBatch.Status.CHECKED
    assert {k: checked.preview[k] for k in ("rows", "created", "updated", "unchanged", "invalid")} == {
        "rows": 5, "created": 4, "updated": 0, "unchanged": 0, "invalid": 1}
    assert checked.preview["errors"][0]["row"] == 7 and checked.preview["errors"][0]["column"] == "手机号码"
    assert (checked.progress_done, checked.progress_total) == (5, 5)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_confirming_imports_and_keeps_the_history(checked, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batches.import_batch_confirm(batch=checked, by=admin_user)
    assert len(queued) == 1
    done = batches.import_batch_run(batch_id=checked.pk)
    assert done.status == ImportBatch.Status.DONE and done.confirmed_by == admin_user
    assert done.result["created"] == 4 and done.result["committed_rows"] == [3, 4, 5, 6]
    assert bytes(done.content) == b""  # the file is not kept once imported
    assert Vehicle.objects.filter(plate="皖C12345").exists()
    with pytest.raises(ImportFileError):
        batches.import_batch_confirm(batch=done, by=admin_user)  # once only


@pytest.mark.django_db
def test_the_same_file_cannot_be_checked_twice_at_once(admin_user):
    data = workbook(*ROWS)
    batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=data, by=admin_user)
    with pytest.raises(ImportFileError, match="正在"):
        batches.import_batch_upload(kind="deliveries", filename="copy of a.xlsx", content=data, by=admin_user)


@pytest.mark.django_db
def test_a_stalled_run_does_not_block_the_file_forever(admin_user):
    data = workbook(*ROWS)
    stalled = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=data, by=admin_user)
    ImportBatch.objects.filter(pk=stalled.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    again = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=data, by=admin_user)
    stalled.refresh_from_db()
    assert stalled.status == ImportBatch.Status.FAILED and "中断" in stalled.message
    assert again.status == ImportBatch.Status.CHECKING


@pytest.mark.django_db
def test_a_file_that_is_no_spreadsheet_fails_the_check_with_a_message(admin_user):
    batch = batches.import_batch_upload(kind="deliveries", filename="setup.xlsx", content=b"MZ\x90\x00" + bytes(100),
                                        by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.FAILED and "不是表格文件" in batch.message


@pytest.mark.django_db
def test_cancelling_writes_nothing(checked, admin_user):
    batches.import_batch_cancel(batch=checked, by=admin_user)
    checked.refresh_from_db()
    assert checked.status == ImportBatch.Status.CANCELLED and not Customer.objects.exists()


@pytest.mark.django_db
def test_progress_is_reported_chunk_by_chunk(admin_user, monkeypatch):
    from customers.imports import deliveries

    monkeypatch.setattr(deliveries, "CHUNK", 1)
    seen = []
    original = batches._progress

    def spying(batch_id, status):
        report = original(batch_id, status)
        return lambda done, total: (seen.append((done, total)), report(done, total))

    monkeypatch.setattr(batches, "_progress", spying)
    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=workbook(*ROWS), by=admin_user)
    batches.import_batch_check(batch_id=batch.pk)
    assert seen == [(2, 4), (4, 4)]  # two persons (two rows each), one chunk each


@pytest.mark.django_db
def test_a_run_marked_interrupted_stops_and_the_file_stays_free(checked, admin_user, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    """Marked interrupted while it still ran (a chunk slower than the stall limit): the run stops at its
    next chunk and never turns the batch back into "done", so a new upload of the file owns it."""
    from customers.imports import deliveries

    monkeypatch.setattr(deliveries, "CHUNK", 1)
    with django_capture_on_commit_callbacks(execute=False):
        batch = batches.import_batch_confirm(batch=checked, by=admin_user)
    original = batches._progress

    def interrupted_meanwhile(batch_id, status):
        report = original(batch_id, status)

        def after_chunk(done, total):
            ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.FAILED, message="中断")
            report(done, total)
        return after_chunk

    monkeypatch.setattr(batches, "_progress", interrupted_meanwhile)
    batch = batches.import_batch_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.FAILED and batch.message == "中断"
    assert Customer.objects.count() == 1  # the first chunk (one person) is committed; the run stopped there


@pytest.mark.django_db
def test_a_check_that_keeps_failing_on_the_database_frees_the_file(admin_user, monkeypatch):
    from django.db import OperationalError

    from customers.imports import tasks

    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=workbook(*ROWS), by=admin_user)
    tries = []

    def database_down(*, batch_id):
        tries.append(batch_id)
        raise OperationalError("the database went away")

    monkeypatch.setattr(tasks, "import_batch_check", database_down)
    result = tasks.import_batch_check_task.apply(args=[batch.pk])  # retries run at once when applied eagerly
    assert isinstance(result.result, OperationalError)
    batch.refresh_from_db()
    assert len(tries) == 4  # the first try and three more
    assert batch.status == ImportBatch.Status.FAILED and "数据库" in batch.message


# --- the CRM's import pages ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_admin_uploads_sees_the_preview_and_downloads_the_invalid_rows(client, admin_user,
                                                                           django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    upload = io.BytesIO(workbook(*ROWS, BAD_ROW))
    upload.name = "交车档案.xlsx"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("imports:batch_upload"), {"kind": "deliveries", "file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:batch_detail",
                                                                   args=[batch.pk])
    batches.import_batch_check(batch_id=batch.pk)
    page = client.get(response.url).content.decode()
    assert "无效" in page and "手机号码" in page and "12345" in page
    download = client.get(reverse("imports:batch_invalid_rows", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("文件中的行号", "未导入原因", "客户姓名", "手机号码")
    assert rows[1][0] == 7 and "手机号码" in rows[1][1] and rows[1][2] == "王五"
    assert AuditEvent.objects.filter(action="export", actor=admin_user).count() == 1


@pytest.mark.django_db
def test_an_upload_error_keeps_the_form_with_a_message(client, admin_user):
    client.force_login(admin_user)
    empty = io.BytesIO(b"")
    empty.name = "空.xlsx"
    response = client.post(reverse("imports:batch_upload"), {"kind": "deliveries", "file": empty})
    assert response.status_code == 200 and not ImportBatch.objects.exists()
    assert response.context["form"].errors["file"]  # the form is shown again, with the reason at the file field
    assert "is-invalid" in response.content.decode()


@pytest.mark.django_db
def test_other_roles_cannot_import(client, supervisor, colleague):
    client.force_login(supervisor)
    assert client.get(reverse("imports:batch_upload")).status_code == 403
    client.force_login(colleague)
    assert client.get(reverse("imports:batch_list")).status_code == 403


# --- the real background job ----------------------------------------------------------------------
@pytest.mark.broker
def test_a_worker_checks_and_imports_through_redis(client, celery_worker):
    admin = UserFactory(username="admin_bg", roles=[Role.ADMIN], is_staff=True)
    client.force_login(admin)
    upload = io.BytesIO(workbook(*ROWS, BAD_ROW))
    upload.name = "交车档案.xlsx"
    client.post(reverse("imports:batch_upload"), {"kind": "deliveries", "file": upload})
    batch = ImportBatch.objects.get()
    _wait_for(batch, ImportBatch.Status.CHECKED, celery_worker)
    progress = client.get(reverse("imports:batch_progress", args=[batch.pk]))
    assert progress.headers.get("HX-Refresh") == "true"  # the page reloads to show the preview
    client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    batch = _wait_for(batch, ImportBatch.Status.DONE, celery_worker)
    assert (batch.progress_done, batch.progress_total) == (5, 5)
    assert batch.result["created"] == 4 and Customer.objects.filter(name="张三").exists()


def _wait_for(batch, status, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and worker.poll() is None:
        batch.refresh_from_db()
        if batch.status == status:
            return batch
        time.sleep(0.2)
    worker.terminate()
    output = worker.communicate(timeout=30)[0]
    raise AssertionError(f"the batch is {batch.status}, not {status}; the worker said:\n{output}")


@pytest.mark.django_db
def test_a_file_that_changes_nothing_offers_no_import_button(client, admin_user):
    from customers.imports.services import import_archive

    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    batch = batches.import_batch_upload(kind="deliveries", filename="again.xlsx", content=workbook(*ROWS),
                                        by=admin_user)
    batches.import_batch_check(batch_id=batch.pk)
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "没有可导入的内容" in page and 'id="confirm-import"' not in page


@pytest.mark.django_db
def test_the_progress_bar_keeps_polling_while_the_check_runs(client, admin_user):
    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=workbook(*ROWS), by=admin_user)
    client.force_login(admin_user)
    response = client.get(reverse("imports:batch_progress", args=[batch.pk]))
    assert response.status_code == 200 and "HX-Refresh" not in response.headers  # still checking: keep polling
    assert 'hx-trigger="every 1s"' in response.content.decode()


@pytest.mark.django_db
def test_the_import_history_reads_a_fixed_number_of_queries(client, admin_user, django_assert_max_num_queries):
    for number in range(3):
        batch = batches.import_batch_upload(kind="deliveries", filename=f"{number}.xlsx",
                                            content=workbook(*ROWS[:number + 1]), by=admin_user)
        batches.import_batch_check(batch_id=batch.pk)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("imports:batch_list")).content.decode()
    assert "2 / 0 / 0 / 0" in page and "1 / 0 / 0 / 0" in page


@pytest.mark.django_db
def test_a_stalled_run_is_marked_interrupted_when_its_page_is_looked_at(client, admin_user):
    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=workbook(*ROWS), by=admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    client.force_login(admin_user)
    response = client.get(reverse("imports:batch_progress", args=[batch.pk]))
    assert response.headers.get("HX-Refresh") == "true"  # the page reloads and shows the interruption
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "中断" in batch.message and bytes(batch.content) == b""


# --- the invalid-rows download, and files with nothing to import ---------------------------------------
def _download(client, batch) -> list[tuple]:
    response = client.get(reverse("imports:batch_invalid_rows", args=[batch.pk]))
    return list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))


@pytest.mark.django_db
def test_the_download_holds_every_invalid_row_the_page_lists(client, admin_user):
    from customers.imports.services import import_archive
    from tests.customers import factories

    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)  # 皖C12345 and 皖C54321 on file
    header = ["客户姓名", "手机号码", "车辆编码", "车牌号", "交车日期"]  # the VIN column is not recognised
    rows = [["张三", "13812345678", valid_vin(1), "皖C12345", ""],  # on file by its plate: unchanged
            ["王五", "12345", valid_vin(6), "皖C66666", "下个月"],  # two bad cells
            ["赵六", "13700000000", valid_vin(7), "皖C77777", ""],  # a plate the archive does not know
            ["孙七", "13600000000", valid_vin(8), "皖C88888", ""],
            ["", "13500000000", valid_vin(9), "皖C99999", ""]]  # no name
    batch = batches.import_batch_upload(kind="deliveries", filename="诺相随导出.xlsx",
                                        content=factories.workbook(header, *rows), by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    client.force_login(admin_user)
    listed = sorted({error["row"] for error in batch.preview["errors"]})
    assert listed == [4, 5, 6, 7]
    download = _download(client, batch)
    assert [row[0] for row in download[1:]] == listed
    assert download[2][2:4] == ("赵六", "13700000000")
    reasons = download[1][1]
    assert "手机号码：" in reasons and "交车日期：" in reasons
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert page.index("没有识别出车架号列；文件的列：客户姓名、手机号码、车辆编码、车牌号、交车日期。") < page.index("import-counts")


@pytest.mark.django_db
def test_a_file_with_only_invalid_rows_ends_as_nothing_to_import(client, admin_user):
    batch = batches.import_batch_upload(kind="deliveries", filename="坏.xlsx", content=workbook(BAD_ROW),
                                        by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.NOTHING and not batch.is_running
    assert batch.finished_at is not None and bytes(batch.content) == b""
    assert "每一行都无效" in batch.message
    with pytest.raises(ImportFileError):
        batches.import_batch_confirm(batch=batch, by=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "没有可导入的内容：每一行都无效（1 行）" in page and 'id="confirm-import"' not in page
    assert f"/{batch.pk}/cancel/" not in page and 'id="download-invalid"' in page
    progress = client.get(reverse("imports:batch_progress", args=[batch.pk]))
    assert progress.headers.get("HX-Refresh") == "true"  # the page stops polling
    again = batches.import_batch_upload(kind="deliveries", filename="坏.xlsx", content=workbook(BAD_ROW),
                                        by=admin_user)
    assert again.status == ImportBatch.Status.CHECKING  # the file is free again


@pytest.mark.django_db
def test_a_file_the_archive_already_has_ends_as_nothing_to_import_saying_why(admin_user):
    from customers.imports.services import import_archive

    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    batch = batches.import_batch_upload(kind="deliveries", filename="again.xlsx", content=workbook(*ROWS),
                                        by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.NOTHING
    assert batch.message == "没有可导入的内容：每一行都未变（4 行），档案中已有文件里的内容。"
    mixed = batches.import_batch_upload(kind="deliveries", filename="mixed.xlsx", content=workbook(*ROWS, BAD_ROW),
                                        by=admin_user)
    assert "4 行未变" in batches.import_batch_check(batch_id=mixed.pk).message


@pytest.mark.django_db
def test_a_rows_reasons_join_without_doubled_punctuation(client, admin_user):
    twice_bad = ["王五", "12345", "", valid_vin(6), "", "下个月", "", "", ""]  # a bad phone and a bad date
    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx", content=workbook(*ROWS, twice_bad),
                                        by=admin_user)
    batches.import_batch_check(batch_id=batch.pk)
    client.force_login(admin_user)
    reasons = _download(client, batch)[1][1]
    assert reasons == "手机号码：“12345”中没有有效的电话号码；交车日期：" + reasons.split("交车日期：")[1]
    assert "。；" not in reasons and reasons.endswith("。")


@pytest.mark.django_db
def test_a_download_cut_at_its_limit_says_so(client, admin_user, monkeypatch):
    from customers.imports import views as imports_views
    from customers.imports import services

    monkeypatch.setattr(services, "MAX_INVALID_ROWS_KEPT", 1)
    monkeypatch.setattr(imports_views, "MAX_INVALID_ROWS_KEPT", 1)
    other_bad = ["赵六", "123", "", valid_vin(7), "", "", "", "", ""]
    batch = batches.import_batch_upload(kind="deliveries", filename="a.xlsx",
                                        content=workbook(*ROWS, BAD_ROW, other_bad), by=admin_user)
    batch = batches.import_batch_check(batch_id=batch.pk)
    assert [row["row"] for row in batch.preview["invalid_rows"]] == [7]
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "下载的文件只含列出的前 1 行" in page
