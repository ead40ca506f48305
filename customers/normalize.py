"""Cleaning the values staff type and the DMS exports: phones, plates, VINs, names.

Every path that stores these values (forms, imports, the demo seeder) goes through here, so a
customer's data looks the same whoever entered it. Functions raise `ValueError` with a message
for staff (in Chinese through gettext) when a value cannot be made valid.
"""

import re
import unicodedata
from functools import lru_cache
from operator import mul

import phonenumbers
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

# --- phones ------------------------------------------------------------------------------------
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE_RE = re.compile(r"^0[1-9][0-9]{8,10}$")  # area code (3-4 digits with the 0) + 7-8 digits
_PHONE_NOISE = re.compile(r"[\s\-()（）.·_]+")
_PHONE_SEPARATORS = re.compile(r"\s*[/,;|、，；]\s*|\s{2,}")


def _nfkc(value: str) -> str:
    """Full-width digits, letters and punctuation become their ASCII forms."""
    return unicodedata.normalize("NFKC", value or "").strip()


def normalize_phone(raw: str) -> str:
    """One phone number as digits: '+86 138-1234-5678' → '13812345678', '0552-3012345' → '05523012345'.

    Returns '' for an empty value; raises ValueError for anything that is not one valid number.
    """
    value = _PHONE_NOISE.sub("", _nfkc(raw))
    if not value:
        return ""
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if MOBILE_RE.match(value) or LANDLINE_RE.match(value):
        return value
    raise ValueError(_("“%(value)s” is not a valid phone number: enter a mobile, or a landline with its area code.")
                     % {"value": raw})


def split_phones(raw: str) -> list[str]:
    """Every number in a cell such as '13812345678 / 0552-3012345', mobiles first, no repeats."""
    text = _nfkc(raw)
    if not text:
        return []
    try:
        return [normalize_phone(text)]  # the common case: one number, however it is written
    except ValueError:
        pass
    parts = [part for part in _PHONE_SEPARATORS.split(text) if part.strip()]
    if len(parts) > 1:  # '138… / 0552-…', '138…，139…': each part one number, without the slower matcher
        try:
            found = list(dict.fromkeys(normalize_phone(part) for part in parts))
            return sorted(found, key=lambda number: not MOBILE_RE.match(number))
        except ValueError:
            pass
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.POSSIBLE):
        national = str(match.number.national_number)
        number = national if MOBILE_RE.match(national) else "0" + national
        if number not in found and (MOBILE_RE.match(number) or LANDLINE_RE.match(number)):
            found.append(number)
    if not found:
        raise ValueError(_("No valid phone number in “%(value)s”.") % {"value": raw})
    return sorted(found, key=lambda number: not MOBILE_RE.match(number))


def mask_phone(number: str) -> str:
    """'13812345678' → '138****5678'; a landline keeps its area code: '05523012345' → '0552****2345'."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * (len(number) - 2) + number[-2:]
    head = 3 if MOBILE_RE.match(number) or number[:3] in {"010", "020", "021", "022", "023", "024", "025",
                                                           "027", "028", "029"} else 4
    return number[:head] + "****" + number[-4:]


def mask_id_number(value: str) -> str:
    """An ID card number shows its first 3 and last 4 characters only, wherever it is shown."""
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}" if value and len(value) > 7 else ("*" * len(value or ""))


def format_phone(number: str) -> str:
    """For display: '13812345678' → '138 1234 5678', '05523012345' → '0552-3012345'."""
    if MOBILE_RE.match(number or ""):
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if LANDLINE_RE.match(number or ""):
        head = 3 if number[1] in "12" else 4
        return f"{number[:head]}-{number[head:]}"
    return number or ""


# --- plates ------------------------------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(rf"^[{PROVINCES}][A-Z][A-Z0-9]{{4,5}}[A-Z0-9挂学警港澳领]$")
_PLATE_NOISE = re.compile(r"[\s·•・.\-_]+")


def normalize_plate(raw: str) -> str:
    """'皖C·12345', '皖c 12345' → '皖C12345'. '' stays ''; raises ValueError for a malformed plate."""
    value = _PLATE_NOISE.sub("", _nfkc(raw)).upper()
    if not value:
        return ""
    if not PLATE_RE.match(value):
        raise ValueError(_("“%(value)s” is not a valid plate number (e.g. 皖C12345).") % {"value": raw})
    return value


def plate_search_key(fragment: str) -> str:
    """What a plate search compares: no province character, no dots or spaces, upper case."""
    value = _PLATE_NOISE.sub("", _nfkc(fragment)).upper()
    return value[1:] if value and value[0] in PROVINCES else value


# --- VIN ---------------------------------------------------------------------------------------
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) of a 17-character VIN, as GB 16735 and ISO 3779 define it."""
    if len(vin) != len(_VIN_WEIGHTS):
        raise ValueError(vin)
    total = sum(map(mul, map(_VIN_VALUES.__getitem__, vin), _VIN_WEIGHTS))  # in C: imports check 100k VINs
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(raw: str) -> str:
    """Upper case without spaces; raises ValueError unless it is 17 valid characters with a right check digit."""
    value = re.sub(r"\s+", "", _nfkc(raw)).upper()
    if not VIN_RE.match(value):
        raise ValueError(
            _("A VIN has 17 characters, digits and letters other than I, O and Q: “%(value)s”.") % {"value": raw}
        )
    if vin_check_digit(value) != value[8]:
        raise ValueError(_("The check digit of VIN “%(value)s” is wrong: please check it.") % {"value": raw})
    return value


# --- names -------------------------------------------------------------------------------------
# Surnames read differently from the same character in other words.
SURNAME_READINGS = {"单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
                    "乐": "yue", "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "召": "shao", "种": "chong",
                    "员": "yun", "繁": "po", "隗": "wei", "黑": "he", "秘": "bi", "句": "gou"}


def normalize_name(raw: str) -> str:
    """Collapse spaces; Chinese names lose the spaces people type between the characters."""
    value = re.sub(r"\s+", " ", _nfkc(raw))
    if re.fullmatch(r"[\u4e00-\u9fff·\s]+", value):
        value = value.replace(" ", "")
    return value


@lru_cache(maxsize=20_000)
def _char_pinyin(char: str) -> str:
    syllable = lazy_pinyin(char, style=Style.NORMAL, errors="default")[0].lower()
    return re.sub(r"[^a-z0-9]", "", syllable)


def _syllables(name: str) -> list[str]:
    syllables = [_char_pinyin(char) for char in name]
    if name[0] in SURNAME_READINGS:
        syllables[0] = SURNAME_READINGS[name[0]]
    return syllables


def name_pinyin(name: str) -> tuple[str, str]:
    """('zhangsan', 'zs') for 张三; other characters are kept, lower case, as letters or digits.

    Character by character (names are not phrases), with the surname's own reading.
    """
    if not name:
        return "", ""
    syllables = [syllable for syllable in _syllables(name) if syllable]
    return "".join(syllables)[:100], "".join(syllable[0] for syllable in syllables)[:20]


# Two-character surnames: 欧阳娜娜 is ouyang + nana, not ou + yangnana.
COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
                     "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "申屠", "澹台", "百里", "呼延", "钟离"}
_CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")


def name_pinyin_mixed(name: str) -> tuple[str, str]:
    """('zhangsy', 'zsiyang') for 张思阳: the surname in full and the given name by its initials,
    and the surname's initial with the given name in full — how staff type a name half-remembered.

    Only for Chinese names (two characters or more); ('', '') for any other name.
    """
    if not _CHINESE_NAME.fullmatch(name or ""):
        return "", ""
    cut = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    syllables = _syllables(name)
    surname, given = syllables[:cut], [syllable for syllable in syllables[cut:] if syllable]
    if not all(surname) or not given:
        return "", ""
    return ("".join(surname) + "".join(syllable[0] for syllable in given))[:100], (
        "".join(syllable[0] for syllable in surname) + "".join(given))[:100]
