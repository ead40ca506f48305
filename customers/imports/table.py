"""Cleaning a sheet column by column: each distinct cell value is parsed once.

Archives repeat themselves (the same model, colour, consultant, date or address on thousands of
rows), so a column's parser runs once per distinct value and the answer, or its error, is reused.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .headers import Header


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

    def __len__(self) -> int:
        return len(self.numbers)

    def parse(self, name: str, parse: Callable, *, cache: bool = True) -> list:
        """The field's parsed values (None where absent or invalid); a bad cell adds a RowError."""
        cells = self.cells.get(name)
        if cells is None:
            return [None] * len(self.numbers)
        column = self.column_names[name]
        errors = self.errors
        known: dict = {}
        values = []
        append = values.append
        for number, cell in zip(self.numbers, cells, strict=True):
            if cache:
                try:
                    value, message = known[cell]
                except KeyError:
                    value, message = known[cell] = _parse_one(parse, cell)
            else:
                value, message = _parse_one(parse, cell)
            if message:
                errors.append(RowError(number, column, message))
            append(value)
        return values


def _parse_one(parse: Callable, cell) -> tuple:
    try:
        return parse(cell), ""
    except ValueError as error:
        return None, str(error)


def _blank(row: list) -> bool:
    return not any(cell.strip() if isinstance(cell, str) else cell not in (None, "") for cell in row)


def table(rows: list[list], header: Header) -> Table:
    """The non-blank rows below the header, as columns of the mapped fields."""
    numbers, data = [], []
    for index in range(header.row_index + 1, len(rows)):
        row = rows[index]
        if row and not _blank(row):
            numbers.append(index + 1)
            data.append(row)
    cells = {}
    for position, name in header.columns.items():
        cells[name] = [row[position] if position < len(row) else None for row in data]
    names = {name: str(rows[header.row_index][position]).strip() for position, name in header.columns.items()}
    return Table(numbers=numbers, cells=cells, column_names=names)
