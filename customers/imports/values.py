"""Parsing cells as the archives write them: dates in many forms, Excel serials, amounts, numbers."""

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk)
DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


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


def parse_amount(value) -> Decimal | None:
    """'¥1,234.50', '1234元', 1234.5 → Decimal('1234.50'); refuses negative amounts."""
    raw = re.sub(r"[¥￥,，元\s]", "", text(value))
    if not raw:
        return None
    try:
        amount = Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation as error:
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": text(value)}) from error
    if amount < 0:
        raise ValueError(_("The amount cannot be negative."))
    return amount


def parse_count(value) -> int | None:
    """'12,345 km', 12345.0 → 12345."""
    raw = re.sub(r"[,，\s]|km|公里", "", text(value), flags=re.IGNORECASE)
    if not raw:
        return None
    try:
        number = int(Decimal(raw))
    except InvalidOperation as error:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text(value)}) from error
    if number < 0:
        raise ValueError(_("The number cannot be negative."))
    return number
