"""Reading an uploaded file into rows of cells, safely.

The file's type is decided by its content, not its name. Before anything is parsed, a file that is
too big, a zip bomb (a member's declared uncompressed size or compression ratio too high), an
encrypted workbook, or something that is not a spreadsheet at all is refused with a message for
staff. Workbooks are parsed in a process of their own under memory and time limits
(`WorkbookProcess`): a file that makes the reader blow up ends as a message, not a dead worker.
"""

import csv
import io
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from . import sheet_process

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and Office's wrapper around encrypted .xlsx
ZIP = b"PK\x03\x04"
# Leading bytes of common non-spreadsheet files people upload by mistake.
NOT_SPREADSHEETS = (b"MZ", b"%PDF", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then GBK and its superset
# A zip member this small cannot be a bomb, however well it compresses (styles, rels, an empty sheet).
RATIO_FLOOR_BYTES = 1024 * 1024
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where `python -m customers.imports…` starts
MAX_FRAME_BYTES = 512 * 1024 * 1024  # a block of 5,000 rows of the widest sheet stays far below

logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file cannot be imported; the message says why, for staff."""


@dataclass
class SheetRows:
    kind: str  # "xlsx", "xls" or "csv"
    encoding: str  # for CSV: the encoding found; "" otherwise
    rows: list[list]


@dataclass
class Sheet:
    """An opened sheet whose rows are made one by one: a big file never exists twice in memory
    (the workbook's own copy, and every cell as a Python object)."""

    kind: str
    encoding: str
    rows: Iterator[list]
    name: str = ""  # a workbook's sheet that is read
    other_sheets: list[str] = field(default_factory=list)  # the workbook's other sheets with data, not read


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def read_rows(data: bytes) -> SheetRows:
    """The rows of the file's first sheet that has any content, all at once."""
    sheet = open_sheet(data)
    return SheetRows(sheet.kind, sheet.encoding, list(sheet.rows))


def open_sheet(data: bytes) -> Sheet:
    """The file's first sheet that has any content, its rows read as they are iterated."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > max_bytes():
        raise ImportFileError(_("The file is larger than %(limit)s MB: split it and import the parts.")
                              % {"limit": max_bytes() // (1024 * 1024)})
    if data.startswith(NOT_SPREADSHEETS):
        raise ImportFileError(_("This is not a spreadsheet. Upload an .xlsx, .xls or .csv file."))
    if data.startswith(ZIP):
        _check_zip(data)
        return _read_workbook(data, "xlsx")
    if data.startswith(OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ImportFileError(_("The workbook is protected by a password: save it without one and upload again."))
        return _read_workbook(data, "xls")
    return _read_csv(data)


def _check_zip(data: bytes) -> None:
    """Each member on its own, and all together, within the size limit; each sizeable member within the
    ratio limit (a sum over all members lets a few MB of incompressible padding hide a bomb)."""
    limit = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024)
    ratio_limit = getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", 200)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
    except zipfile.BadZipFile as error:
        raise ImportFileError(_("The file is damaged: it cannot be opened.")) from error
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise ImportFileError(_("This is not a spreadsheet. Upload an .xlsx, .xls or .csv file."))
    if sum(member.file_size for member in members) > limit or any(
            member.file_size > limit
            or member.file_size > RATIO_FLOOR_BYTES and member.file_size / max(member.compress_size, 1) > ratio_limit
            for member in members):
        raise ImportFileError(_("The file is abnormal and cannot be read: a part of it would unpack to an "
                                "unreasonable size, so it was not opened."))


class _Cells(pickle.Unpickler):
    """The reader's frames hold plain values: no class may be loaded from them but the datetime types."""

    ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")
        return super().find_class(module, name)


class _ReaderStopped(Exception):
    pass


class WorkbookProcess:
    """python-calamine in a process of its own (`sheet_process`), under an address-space and a CPU-time
    limit: a workbook that makes the reader blow up ends that process, and this side says why.

    Rows come back through a pipe in blocks of 5,000 as they are iterated; the pipe's buffer holds the
    reader when the engine is behind, so neither side keeps more than a block of the other's rows.
    """

    def __init__(self, data: bytes, kind: str):
        self.memory_mb = getattr(settings, "IMPORT_READER_MAX_MEMORY_MB", 2048)
        self.seconds = getattr(settings, "IMPORT_READER_MAX_SECONDS", 300)
        max_cells = getattr(settings, "IMPORT_MAX_SHEET_CELLS", 10_000_000)
        self.stderr = tempfile.TemporaryFile()
        # subprocess, not multiprocessing: a Celery prefork child is daemonic and may not have children
        # of multiprocessing's kind; and a fresh interpreter shares no memory with the worker.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "customers.imports.sheet_process", str(self.memory_mb), str(self.seconds),
             str(max_cells), kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0, cwd=PROJECT_ROOT,
            env={**os.environ, "RUST_BACKTRACE": "0"})
        self.timed_out = False
        try:
            self.process.stdin.write(data)
        except BrokenPipeError:
            pass  # it stopped before reading the file: `receive` says why
        finally:
            self.process.stdin.close()

    def _read(self, size: int, deadline: float) -> bytes:
        fd, received = self.process.stdout.fileno(), bytearray()
        while len(received) < size:
            ready, _w, _x = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                self.timed_out = True
                raise _ReaderStopped
            chunk = os.read(fd, size - len(received))
            if not chunk:
                raise _ReaderStopped
            received += chunk
        return bytes(received)

    def receive(self) -> tuple:
        """The next frame; an ImportFileError if the reader stopped, was too slow, or sent what it may not."""
        deadline = time.monotonic() + self.seconds  # waiting for the reader, not the engine's own time
        try:
            (size,) = sheet_process.FRAME.unpack(self._read(sheet_process.FRAME.size, deadline))
            if size > MAX_FRAME_BYTES:
                raise ValueError(f"a frame of {size} bytes")
            return _Cells(io.BytesIO(self._read(size, deadline))).load()
        except _ReaderStopped:
            raise self._why() from None
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            self.close()
            logger.warning("The workbook reader sent a frame that is not cells: %s", error)
            raise ImportFileError(_("The file is abnormal and cannot be read.")) from error

    def _why(self) -> ImportFileError:
        self._stop()
        status = self.process.returncode
        self.stderr.seek(0)
        said = self.stderr.read(4000).decode("utf-8", "replace").strip()
        self.close()
        logger.warning("The workbook reader stopped (status %s, timed out: %s): %s", status, self.timed_out, said)
        if self.timed_out or status == -signal.SIGXCPU:
            return ImportFileError(_("The file is abnormal and cannot be read: reading it takes more than %(seconds)s "
                                     "seconds.") % {"seconds": self.seconds})
        if status == -signal.SIGABRT or "memory allocation" in said or "MemoryError" in said:
            return ImportFileError(_("The file is abnormal and cannot be read: reading it needs more than "
                                     "%(limit)s MB of memory.") % {"limit": self.memory_mb})
        return ImportFileError(_("The file is abnormal and cannot be read: the reader stopped (status %(status)s).")
                               % {"status": status})

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """The reader ended (killed if it still runs) and its pipes closed; safe to call twice."""
        self._stop()
        self.process.stdout.close()
        self.stderr.close()

    def rows(self) -> Iterator[list]:
        try:
            while (message := self.receive())[0] == "rows":
                yield from message[1]
            if message[0] != "end":
                raise self._error(message)
        finally:
            self.close()

    def _error(self, message: tuple) -> ImportFileError:
        code = message[1] if message[0] == "error" else ""
        if code == "password":
            return ImportFileError(_("The workbook is protected by a password: save it without one and upload again."))
        if code == "no-data":
            return ImportFileError(_("The workbook has no data."))
        if code == "memory":
            return ImportFileError(_("The file is abnormal and cannot be read: reading it needs more than "
                                     "%(limit)s MB of memory.") % {"limit": self.memory_mb})
        if code == "cells":
            rows, columns = message[2], message[3]
            return ImportFileError(_("The file is abnormal and cannot be read: a sheet reaches row %(rows)s and column "
                                     "%(columns)s, more than the %(limit)s cells a sheet may have.")
                                   % {"rows": rows, "columns": columns,
                                      "limit": getattr(settings, "IMPORT_MAX_SHEET_CELLS", 10_000_000)})
        return ImportFileError(_("The file is damaged: it cannot be opened."))


def _read_workbook(data: bytes, kind: str) -> Sheet:
    """The first sheet with data, read in a process of its own; the names of the other sheets with data
    are noted, for the report."""
    reader = WorkbookProcess(data, kind)
    first = reader.receive()
    if first[0] != "sheet":
        reader.close()
        raise reader._error(first)
    _tag, name, others = first
    return Sheet(kind, "", reader.rows(), name=name, other_sheets=others)


def _read_csv(data: bytes) -> Sheet:
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("This is not a spreadsheet. Upload an .xlsx, .xls or .csv file."))
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        found = "utf-8" if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") else encoding
        if not any(any(cell for cell in row) for row in _csv_rows(text)):
            raise ImportFileError(_("The file has no data."))
        return Sheet("csv", found, _csv_rows(text))
    raise ImportFileError(_("The text file is in an unknown encoding: save it as UTF-8 or GBK."))


def _csv_rows(text: str) -> Iterator[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)
