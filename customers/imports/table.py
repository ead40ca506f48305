"""Cleaning a sheet column by column: each distinct cell value is parsed once.

Archives repeat themselves (the same model, colour, consultant, date or address on thousands of
rows), so a column's parser runs once per distinct value and the answer, or its error, is reused.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _

from .headers import Header
from .values import CONTROL_CHARACTERS, printable


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it (1-based)
    column: str
    message: str


@dataclass
class Table:
    """The data rows below the header: their spreadsheet numbers and the cells of each mapped field."""

    numbers: list[int]
    cells: dict[str, list]  # field → one cell per data row
    column_names: dict[str, str]  # field → the column's name as the file writes it
    errors: list[RowError] = field(default_factory=list)  # every bad cell met by `parse`
    # field → ({cell: value}, {bad cell: message}), shared by the blocks of one file: each distinct
    # cell is parsed once per file, and equal cells share one value object.
    caches: dict[str, dict] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    def parse(self, name: str, parse: Callable, *, cache: bool = True) -> list:
        """The field's parsed values (None where absent or invalid); a bad cell adds a RowError."""
        cells = self.cells.get(name)
        if cells is None:
            return [None] * len(self.numbers)
        column = self.column_names[name]
        if not cache:  # mostly distinct cells (phones, VINs): parsed one by one, errors as they come
            values = []
            append = values.append
            for index, cell in enumerate(cells):
                try:
                    append(parse(cell))
                except ValueError as error:
                    append(None)
                    self.errors.append(RowError(self.numbers[index], column, str(error)))
            return values
        known, bad = self.caches.setdefault(name, ({}, {}))  # cell → value; bad cell → its message
        for cell in set(cells).difference(known):
            try:
                known[cell] = parse(cell)
            except ValueError as error:
                known[cell] = None
                bad[cell] = str(error)
        if bad:
            self.errors += [RowError(self.numbers[index], column, bad[cell])
                            for index, cell in enumerate(cells) if cell in bad]
        return list(map(known.__getitem__, cells))


def rows_without_vin(table: Table) -> set[int]:
    """Rows with an empty VIN cell: each fails later if no vehicle has its plate."""
    if "vin" not in table.cells:
        return set()
    return {number for number, cell in zip(table.numbers, table.cells["vin"], strict=True) if cell in (None, "")}


def _blank(row: list) -> bool:
    return not any(cell.strip() if isinstance(cell, str) else cell not in (None, "") for cell in row)


def column_names(header: Header, header_cells: list) -> dict[str, str]:
    """field → the column's name as the file writes it, for messages about its cells."""
    return {name: printable(str(header_cells[position]).strip()) for position, name in header.columns.items()}


def control_character_errors(cells: dict[str, list], numbers: list[int], names: dict[str, str]) -> list[RowError]:
    """A RowError for each cell with a control character (NUL and the like, which the database refuses
    or no archive means), and the cell emptied: its row is invalid, not a chunk that fails to write."""
    errors = []
    for name, column in cells.items():
        texts = [cell for cell in column if type(cell) is str]
        if not CONTROL_CHARACTERS.search("".join(texts)):  # one search per column: most have none
            continue
        for index, cell in enumerate(column):
            if type(cell) is str and CONTROL_CHARACTERS.search(cell):
                column[index] = None
                errors.append(RowError(numbers[index], names[name],
                                       _("The cell holds control characters (such as NUL) that cannot be saved.")))
    return errors


def tables(rows: Iterable[list], header: Header, header_cells: list, *, size: int = 5000
           ) -> Iterator[tuple[Table, dict[int, list]]]:
    """The non-blank rows below the header, `size` rows at a time, as columns of the mapped fields;
    with each table, its rows as the file has them (by row number).

    `rows` are the sheet's rows from its first; only one block of them is held at a time.
    """
    names = column_names(header, header_cells)
    caches: dict[str, dict] = {}
    numbered = enumerate(rows, start=1)
    for _ in range(header.row_index + 1):
        next(numbered, None)
    while True:
        raw = list(islice(numbered, size))
        if not raw:
            return
        block = {number: row for number, row in raw if row and not _blank(row)}
        del raw
        if not block:
            continue
        data = list(block.values())
        width = len(data[0])
        if all(len(row) == width for row in data):  # a workbook's rows all have the sheet's width
            columns = list(zip(*data))
            cells = {name: list(columns[position]) if position < width else [None] * len(data)
                     for position, name in header.columns.items()}
        else:  # a CSV's rows may stop early
            cells = {name: [row[position] if position < len(row) else None for row in data]
                     for position, name in header.columns.items()}
        numbers = list(block)
        errors = control_character_errors(cells, numbers, names)
        yield Table(numbers=numbers, cells=cells, column_names=names, errors=errors, caches=caches), block
