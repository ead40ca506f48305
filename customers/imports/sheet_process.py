"""The workbook reader's own process: python-calamine reads an untrusted file here, under limits.

`reading.py` starts it as `python -m customers.imports.sheet_process MEMORY_MB SECONDS MAX_CELLS KIND`
and writes the file to its stdin. A workbook can make the reader ask for any amount of memory (two
cells, A1 and XFD1048576, make calamine allocate 549 GB and abort the process); here that ends
this process, under its own address-space and CPU-time limits, and never the worker that started it.

Before calamine opens an xlsx, each sheet's declared `<dimension ref>` and its largest cell
reference are checked against MAX_CELLS (calamine allocates rows × columns of the used range).

To stdout go length-prefixed pickled frames of plain values only (the parent unpickles with no
class but the datetime types): ("sheet", name, other sheets with data), then ("rows", [row, …])
blocks, then ("end",); or one ("error", code, …). No Django here: the process starts in a blink.
"""

import io
import pickle
import re
import resource
import struct
import sys
import zipfile
from itertools import islice

BLOCK = 5000  # rows per frame, as the engine cleans them
FRAME = struct.Struct(">I")
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?\"")
# A cell's r="B12" (rows' r="12" have no letters), as every writer puts it: after a space. Two patterns
# of one group each cost half of one with two (no tuple per cell); the reader's limits catch the rest.
CELL_COLUMN = re.compile(rb" r=\"([A-Z]+)[0-9]")
CELL_ROW = re.compile(rb" r=\"[A-Z]+([0-9]+)\"")
SCAN_CHUNK = 1 << 20


def _limit(memory_mb: int, seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))  # SIGXCPU at the soft limit
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an aborted reader leaves no core file behind


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _is_worksheet(archive: zipfile.ZipFile, name: str) -> bool:
    """A sheet wherever it lies in the package: its root element is a worksheet."""
    with archive.open(name) as member:
        start = member.read(2048)
    return re.search(rb"<(?:\w+:)?worksheet[\s>]", start) is not None


def _sheet_extent(archive: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(rows, columns) the sheet declares or reaches, whichever is larger: a streamed scan of its XML."""
    rows = columns = 0
    tail = b""
    with archive.open(name) as member:
        first = True
        while chunk := member.read(SCAN_CHUNK):
            text = tail + chunk
            if first:
                declared = DIMENSION.search(text)
                if declared:
                    start_col, start_row, end_col, end_row = declared.groups()
                    end_col, end_row = end_col or start_col, end_row or start_row
                    rows = int(end_row) - int(start_row) + 1
                    columns = _column(end_col) - _column(start_col) + 1
                first = False
            columns = max(columns, max(map(_column, set(CELL_COLUMN.findall(text))), default=0))
            rows = max(rows, max(map(int, CELL_ROW.findall(text)), default=0))
            tail = text[-40:]  # a reference cut between two chunks is found in the next
    return rows, columns


def oversized_sheet(data: bytes, max_cells: int) -> tuple[int, int] | None:
    """(rows, columns) of the first sheet that would need more than `max_cells` cells, else None."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml") or not _is_worksheet(archive, name):
                continue
            rows, columns = _sheet_extent(archive, name)
            if rows * columns > max_cells:
                return rows, columns
    return None


def _has_data(sheet) -> bool:
    return any(any(cell not in ("", None) for cell in row) for row in sheet.iter_rows())


def _send(out, message: tuple) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME.pack(len(payload)))
    out.write(payload)


def read(data: bytes, kind: str, max_cells: int, out) -> None:
    """The first sheet with data, frame by frame; its name and the other sheets with data first."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    if kind == "xlsx":
        try:
            oversized = oversized_sheet(data, max_cells)
        except (zipfile.BadZipFile, EOFError, OSError):
            oversized = None  # calamine says what is damaged
        if oversized:
            _send(out, ("error", "cells", *oversized))
            return
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        chosen, others = None, []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            if not _has_data(sheet):
                continue
            if chosen is None:
                chosen = name, sheet
            else:
                others.append(name)
            del sheet
        if chosen is None:
            _send(out, ("error", "no-data"))
            return
        name, sheet = chosen
        _send(out, ("sheet", name, others))
        rows = sheet.iter_rows()
        while block := list(islice(rows, BLOCK)):
            _send(out, ("rows", block))
    except PasswordError:
        _send(out, ("error", "password"))
        return
    except CalamineError:
        _send(out, ("error", "damaged"))
        return
    _send(out, ("end",))


def main(argv: list[str]) -> int:
    memory_mb, seconds, max_cells, kind = int(argv[0]), int(argv[1]), int(argv[2]), argv[3]
    _limit(memory_mb, seconds)
    out = sys.stdout.buffer
    try:
        read(sys.stdin.buffer.read(), kind, max_cells, out)
    except MemoryError:
        _send(out, ("error", "memory"))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
