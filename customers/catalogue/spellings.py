"""How a model name is compared: the same key for every way staff and files write it.

科雷傲, 科雷傲 , ＫＯＬＥＯＳ and Koleos differ only in width, case, spaces and punctuation; the key
drops all of that (NFKC, case-folded, accents, spaces, punctuation and control characters removed),
so 帕杰罗·劲畅 and 帕杰罗劲畅 are one spelling, and Mégane is Megane.
"""

import re
import unicodedata

# Between aliases in one cell: commas, 、, semicolons, slashes and new lines (never a space: "Pajero Sport").
ALIAS_SEPARATORS = re.compile(r"[,，、;；/／|\n\r]+")
ALIAS_JOIN = "、"


def spelling_key(text: str) -> str:
    """The key a spelling of a model name is matched by."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or "").casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC"
                   and unicodedata.category(ch) != "Mn")


def tidy_name(text: str) -> str:
    """A name as it is kept: full-width letters made plain, spaces trimmed and single."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def split_aliases(text: str) -> list[str]:
    """The aliases written in one text (a cell, a form field), tidied, each once (by its key)."""
    aliases, keys = [], set()
    for part in ALIAS_SEPARATORS.split(text or ""):
        alias = tidy_name(part)
        key = spelling_key(alias)
        if key and key not in keys:
            keys.add(key)
            aliases.append(alias)
    return aliases


def join_aliases(aliases: list[str]) -> str:
    return ALIAS_JOIN.join(aliases)
