"""The life of an uploaded archive file: upload → background check (preview) → confirm → background
import → done. Views, the admin and the tasks call these; the engine is `services.import_archive`.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealer_crm.exports import XLSX, export_response

from .models import ImportBatch
from .reading import ImportFileError, max_bytes
from .services import import_archive

# A check or import that has not reported progress for this long was interrupted (a worker stopped).
STALLED_AFTER = timedelta(minutes=30)


def import_batch_fail_if_stalled(*, batch: ImportBatch) -> bool:
    """A check or import without progress for 30 minutes was interrupted (its worker stopped): it is
    marked so — when its page is looked at, or the same file comes again — and frees the file."""
    if batch.status not in ImportBatch.RUNNING or batch.updated_at >= timezone.now() - STALLED_AFTER:
        return False
    _fail(batch, _("Interrupted: no progress for 30 minutes (the worker stopped). Rows committed before "
                   "stay; upload the file again to finish — what is already imported counts as unchanged."))
    return True


def _same_file_running(sha256: str) -> ImportBatch | None:
    """The batch now checking or importing this file, after marking a stalled one as interrupted."""
    running = ImportBatch.objects.defer("content").filter(sha256=sha256, status__in=ImportBatch.RUNNING).first()
    if running is not None and import_batch_fail_if_stalled(batch=running):
        return None
    return running


def _fail(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED, message=message,
                                                   finished_at=timezone.now(), content=b"")


def import_batch_upload(*, kind: str, filename: str, content: bytes, by) -> ImportBatch:
    """Keep the file and queue its check. Refuses an empty or oversized file, and a file that is
    being checked or imported right now."""
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > max_bytes():
        raise ImportFileError(_("The file is larger than %(limit)s MB: split it and import the parts.")
                              % {"limit": max_bytes() // (1024 * 1024)})
    if kind not in ImportBatch.Kind.values:
        raise ImportFileError(_("Unknown kind of archive: %(kind)s.") % {"kind": kind})
    sha256 = hashlib.sha256(content).hexdigest()
    running = _same_file_running(sha256)
    if running is not None:
        raise ImportFileError(_("This file is already being checked or imported (import #%(id)s): wait for it to "
                                "finish.") % {"id": running.pk})
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(kind=kind, filename=filename[:255], size=len(content), sha256=sha256,
                                               content=content, created_by=by)
    except IntegrityError as error:  # the same file uploaded at the same moment
        raise ImportFileError(_("This file is already being checked or imported: wait for it to finish.")) from error
    from .tasks import import_batch_check_task

    transaction.on_commit(lambda: import_batch_check_task.delay(batch.pk))
    return batch


def _reloaded(batch_id: int) -> ImportBatch:
    """The batch as it is now, without its file."""
    return ImportBatch.objects.defer("content").get(pk=batch_id)


class BatchTakenAway(Exception):
    """The batch is no longer this run's: it was marked interrupted (or cancelled) meanwhile."""


def _progress(batch_id: int, status: str):
    def report(done: int, total: int) -> None:
        moved = ImportBatch.objects.filter(pk=batch_id, status=status).update(
            progress_done=min(done, total), progress_total=total, updated_at=timezone.now())
        if not moved:  # someone marked it interrupted: stop here, after a committed chunk
            raise BatchTakenAway
    return report


def import_batch_check(*, batch_id: int) -> ImportBatch:
    """The dry run: every row read, cleaned and matched, counts and errors kept, nothing written."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportBatch.Status.CHECKING:
        return batch  # delivered twice, or cancelled meanwhile
    data, batch.content = bytes(batch.content), b""  # one copy of the file in memory, not two
    try:
        report = import_archive(data=data, kind=batch.kind, by=batch.created_by, dry_run=True,
                                progress=_progress(batch.pk, ImportBatch.Status.CHECKING))
    except BatchTakenAway:
        return _reloaded(batch_id)
    except ImportFileError as error:
        _fail(batch, str(error))
        return _reloaded(batch_id)
    except OperationalError:
        raise  # the database went away: the task tries again, the batch still checking
    except Exception:
        _fail(batch, _("The check stopped on an unexpected error; the administrator can read it in the worker's log."))
        raise
    if report.created or report.updated or report.failed_rows:  # rows that failed to write may not next time
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.CHECKING).update(
            status=ImportBatch.Status.CHECKED, preview=report.as_json(), progress_done=report.rows,
            progress_total=report.rows)
    else:  # nothing to confirm: the batch ends here, and the file is not kept
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.CHECKING).update(
            status=ImportBatch.Status.NOTHING, preview=report.as_json(), progress_done=report.rows,
            progress_total=report.rows, message=_nothing_to_import(report), finished_at=timezone.now(), content=b"")
    return _reloaded(batch_id)


def _nothing_to_import(report) -> str:
    """Why a checked file has nothing to import, by its counts."""
    if not report.rows:
        return _("Nothing to import: the file has no rows below its header.")
    if not report.unchanged:
        return _("Nothing to import: every row is invalid (%(invalid)s). Download the invalid rows, fix them and "
                 "upload the file again.") % {"invalid": report.invalid}
    if not report.invalid:
        return _("Nothing to import: every row is unchanged (%(unchanged)s): the archive already has what the "
                 "file says.") % {"unchanged": report.unchanged}
    return _("Nothing to import: %(unchanged)s rows are unchanged (the archive already has them) and "
             "%(invalid)s are invalid.") % {"unchanged": report.unchanged, "invalid": report.invalid}


def import_batch_check_given_up(*, batch_id: int) -> None:
    """The check failed on database errors every time it was tried: the file is free to upload again."""
    ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.CHECKING).update(
        status=ImportBatch.Status.FAILED, finished_at=timezone.now(), content=b"",
        message=_("The check could not reach the database, even after three more tries. Upload the file again."))


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch, by) -> ImportBatch:
    """The admin read the check and confirms: the import is queued."""
    batch = ImportBatch.objects.select_for_update().defer("content", "preview", "result").get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportFileError(_("Only a checked file waiting for confirmation can be imported."))
    running = _same_file_running(batch.sha256)
    if running is not None:
        raise ImportFileError(_("This file is being checked or imported in another run (import #%(id)s): wait for "
                                "it to finish.") % {"id": running.pk})
    batch.status, batch.confirmed_by, batch.confirmed_at = ImportBatch.Status.IMPORTING, by, timezone.now()
    batch.progress_done = 0
    try:
        with transaction.atomic():
            batch.save(update_fields=["status", "confirmed_by", "confirmed_at", "progress_done", "updated_at"])
    except IntegrityError as error:
        raise ImportFileError(_("The same file is being imported right now: wait for it to finish.")) from error
    from .tasks import import_batch_run_task

    transaction.on_commit(lambda: import_batch_run_task.delay(batch.pk))
    return batch


def import_batch_run(*, batch_id: int) -> ImportBatch:
    """The import itself. Rows are committed chunk by chunk; the report says which rows were."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportBatch.Status.IMPORTING:
        return batch
    data, batch.content = bytes(batch.content), b""  # one copy of the file in memory, not two
    try:
        report = import_archive(data=data, kind=batch.kind, by=batch.confirmed_by,
                                progress=_progress(batch.pk, ImportBatch.Status.IMPORTING))
    except BatchTakenAway:  # marked interrupted while it ran: it stops after its last committed chunk
        return _reloaded(batch_id)
    except ImportFileError as error:
        _fail(batch, str(error))
        return _reloaded(batch_id)
    except Exception:
        _fail(batch, _("The import stopped on an unexpected error; rows committed before it stay. The administrator "
                       "can read the error in the worker's log."))
        raise
    failed = len(report.failed_rows)
    finished = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.IMPORTING).update(
        status=ImportBatch.Status.DONE if not failed else ImportBatch.Status.FAILED, result=report.as_json(),
        finished_at=timezone.now(), content=b"", progress_done=report.rows, progress_total=report.rows,
        message=_failed_rows_message(report) if failed else "")
    if not finished:  # marked interrupted after its last chunk: it stays so, with the report of what was done
        ImportBatch.objects.filter(pk=batch.pk).update(result=report.as_json())
    return _reloaded(batch_id)


def _failed_rows_message(report) -> str:
    """What an import with rolled-back chunks did, by its counts: never "the other rows are imported"
    when none was, and never more rows than were committed."""
    failed, committed = len(report.failed_rows), len(report.committed_rows)
    if not committed:
        return _("Nothing was imported: %(failed)s rows could not be written.") % {"failed": failed}
    return _("%(failed)s rows could not be written; %(committed)s rows are imported.") % {
        "failed": failed, "committed": committed}


@transaction.atomic
def import_batch_cancel(*, batch: ImportBatch, by) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().defer("content", "preview", "result").get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportFileError(_("Only a file waiting for confirmation can be cancelled."))
    batch.status, batch.finished_at, batch.content = ImportBatch.Status.CANCELLED, timezone.now(), b""
    batch.message = _("Cancelled by %(name)s.") % {"name": by}
    batch.save(update_fields=["status", "finished_at", "content", "message", "updated_at"])
    return batch


SENTENCE_ENDS = "。．.！!；;，, "


def _reasons(labels: list[str]) -> str:
    """A row's reasons in one cell, "手机号码：…号码；车架号：…校验位。": each but the last without its
    full stop, so no "。；"."""
    return "；".join([*(label.rstrip(SENTENCE_ENDS) for label in labels[:-1]), *labels[-1:]])


def import_batch_invalid_rows(*, batch: ImportBatch, by) -> FileResponse:
    """The invalid rows as the file had them, with the reasons in front, to fix and import again.

    Through the export service: cells are escaped and the download is in the audit log.
    """
    report = batch.report or {}
    rows = report.get("invalid_rows") or []
    reasons: dict[int, list[str]] = {}
    for error in report.get("errors", []):
        label = f"{error['column']}：{error['message']}" if error["column"] else error["message"]
        reasons.setdefault(error["row"], []).append(label)
    header = report.get("header") or []
    width = max([len(header), *(len(row["cells"]) for row in rows)])
    columns = [(_("Row in the file"), lambda row: row["row"]),
               (_("Why it was not imported"), lambda row: _reasons(reasons.get(row["row"], [])))]
    columns += [(header[i] if i < len(header) and header[i] else f"#{i + 1}",
                 lambda row, i=i: row["cells"][i] if i < len(row["cells"]) else None) for i in range(width)]
    return export_response(rows=rows, columns=columns, filename=f"import-{batch.pk}-invalid-rows", fmt=XLSX, by=by,
                           target_label=_("Invalid rows of an import"), filters={"import": batch.pk}, target=batch)
