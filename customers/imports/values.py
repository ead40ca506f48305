"""Parsing cells as the archives write them: dates in many forms, Excel serials, amounts, numbers."""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..normalize import MOBILE_RE, PLATE_RE, VIN_RE, normalize_plate, normalize_vin, split_phones, vin_check_digit

# What PostgreSQL cannot store in text (NUL, lone surrogates) and what no archive means to write: the
# other C0 controls but tab, newline and carriage return, DEL and the C1 controls, the bidirectional
# overrides and isolates (U+202E would show "张三" where the name stores something else) and the
# noncharacters U+FFFE and U+FFFF.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
                                "\ud800-\udfff]")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk)
DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def printable(value: str) -> str:
    """Text as a report or a download can keep it: each control character shown as �."""
    return CONTROL_CHARACTERS.sub("\ufffd", value)


def text(value) -> str:
    """A cell as text: 13900000000.0 → '13900000000', full-width forms made plain, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_date(value) -> date | None:
    """2012年3月5日, 2012/3/5, 2012.03.05, 2012-3-5, 20120305, a date cell or an Excel serial."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 20000 <= value <= 80000:  # 1954 to 2119
        return EXCEL_EPOCH + timedelta(days=int(value))
    raw = text(value)
    if re.fullmatch(r"\d{5}(\.\d+)?", raw) and 20000 <= float(raw) <= 80000:
        return EXCEL_EPOCH + timedelta(days=int(float(raw)))
    for pattern in DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise ValueError(_("“%(value)s” is not a date.") % {"value": raw})


MAX_AMOUNT = Decimal("99999999.99")  # what every amount column of the archive holds (visits: 10 digits)
MAX_COUNT = 2_147_483_647  # a mileage column's limit


def _number(raw: str, value) -> Decimal:
    """A finite number of reasonable size: "NaN", "Infinity" or "1e99999999" are not numbers here."""
    try:
        number = Decimal(raw)
    except InvalidOperation as error:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text(value)}) from error
    if not number.is_finite() or number.adjusted() > 12:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text(value)})
    return number


def parse_amount(value) -> Decimal | None:
    """'¥1,234.50', '1234元', 1234.5 → Decimal('1234.50'); refuses negative and impossible amounts."""
    raw = re.sub(r"[¥￥,，元\s]", "", text(value))
    if not raw:
        return None
    amount = _number(raw, value).quantize(Decimal("0.01"))
    if amount < 0:
        raise ValueError(_("The amount cannot be negative."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("“%(value)s” is larger than any amount the archive holds.") % {"value": text(value)})
    return amount


def parse_count(value) -> int | None:
    """'12,345 km', 12345.0 → 12345."""
    raw = re.sub(r"[,，\s]|km|公里", "", text(value), flags=re.IGNORECASE)
    if not raw:
        return None
    number = int(_number(raw, value))
    if number < 0:
        raise ValueError(_("The number cannot be negative."))
    if number > MAX_COUNT:
        raise ValueError(_("“%(value)s” is larger than any number the archive holds.") % {"value": text(value)})
    return number


def _as_text(cell) -> str | None:
    """A text or whole-number cell as it is, without cleaning; None for anything else."""
    if type(cell) is str:
        return cell
    if type(cell) is float and cell.is_integer() or type(cell) is int:
        return str(int(cell))
    return None


def phones_of(cell) -> tuple[str, str]:
    """Mobile and second number from one cell ('138… / 0552-…'): the first mobile, then the next number."""
    plain = _as_text(cell)
    if plain is not None and MOBILE_RE.fullmatch(plain):  # most cells: one mobile, already clean
        return plain, ""
    numbers = split_phones(text(cell))
    mobiles = [number for number in numbers if MOBILE_RE.match(number)]
    mobile = mobiles[0] if mobiles else ""
    others = [number for number in numbers if number != mobile]
    return mobile, others[0] if others else ""


def vin_of(cell) -> str:
    """A VIN cell, checked (17 characters, check digit); '' for an empty cell."""
    if type(cell) is str and VIN_RE.fullmatch(cell) and vin_check_digit(cell) == cell[8]:
        return cell  # already clean
    value = text(cell)
    return normalize_vin(value) if value else ""


def plate_of(cell) -> str:
    """A plate cell, cleaned and checked ('皖c·12345' → '皖C12345'); '' for an empty cell."""
    if type(cell) is str and PLATE_RE.fullmatch(cell):
        return cell  # already clean
    return normalize_plate(text(cell))


def truncated(length: int) -> Callable:
    """A text cell cut to the column's length."""
    return lambda cell: text(cell)[:length]
