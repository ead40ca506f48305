"""Reading an uploaded file into rows of cells, safely.

The file's type is decided by its content, not its name. Before anything is parsed, a file that is
too big, a zip bomb (declared uncompressed size or compression ratio too high), an encrypted
workbook, or something that is not a spreadsheet at all is refused with a message for staff.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and Office's wrapper around encrypted .xlsx
ZIP = b"PK\x03\x04"
# Leading bytes of common non-spreadsheet files people upload by mistake.
NOT_SPREADSHEETS = (b"MZ", b"%PDF", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then GBK and its superset


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
    declared = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if declared > limit or declared / packed > ratio_limit:
        raise ImportFileError(_("The workbook would unpack to an unreasonable size; it was not opened."))


def _has_data(sheet) -> bool:
    return any(any(cell not in ("", None) for cell in row) for row in sheet.iter_rows())


def _read_workbook(data: bytes, kind: str) -> Sheet:
    """The first sheet with data; the names of the other sheets with data are noted, for the report."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        chosen, others = None, []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            if not _has_data(sheet):
                continue
            if chosen is None:
                chosen = Sheet(kind, "", sheet.iter_rows(), name=name)
            else:
                others.append(name)
            del sheet
    except PasswordError as error:
        raise ImportFileError(_("The workbook is protected by a password: save it without one and upload again.")) \
            from error
    except CalamineError as error:
        raise ImportFileError(_("The file is damaged: it cannot be opened.")) from error
    if chosen is None:
        raise ImportFileError(_("The workbook has no data."))
    chosen.other_sheets = others
    return chosen


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
