"""What a message says: its variables filled in, the opt-out line, and how many parts it costs.

One part holds 70 characters; a longer text is sent in parts of 67 (the gateway needs 3 for
joining them). The signature 【店名】 that the gateway adds counts as well.
"""

import math
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Purpose

VARIABLES = {
    "name": _("the customer's name"),
    "title": _("先生 or 女士, from the customer's gender"),
    "plate": _("the plate of the customer's car"),
    "model": _("the model of the customer's car"),
    "date": _("a date given when sending (e.g. of the event)"),
    "time": _("a time of day given when sending (e.g. of the appointment)"),
    "store": _("the store's name"),
    "advisor": _("the service advisor of the last visit"),
}
_VARIABLE = re.compile(r"\{(\w*)\}")
SINGLE_PART = 70
PER_PART = 67


def variables_used(text: str) -> list[str]:
    return list(dict.fromkeys(_VARIABLE.findall(text)))


def validate_template_text(text: str) -> None:
    """A template names only variables that exist and never types the signature."""
    unknown = [name for name in variables_used(text) if name not in VARIABLES]
    if unknown:
        raise ValidationError(_("Unknown variable: %(names)s. Use %(known)s."),
                              params={"names": "、".join("{%s}" % n for n in unknown),
                                      "known": " ".join("{%s}" % n for n in VARIABLES)})
    if "【" in text or "】" in text:
        raise ValidationError(_("Do not type the signature 【…】: the gateway adds the store's signature itself."))


def render(text: str, values: dict) -> str:
    """The text with each {variable} replaced by its value ("" for a value the customer lacks)."""
    return _VARIABLE.sub(lambda match: str(values.get(match.group(1)) or ""), text)


def signature() -> str:
    return f"【{settings.SMS_SIGN_NAME}】" if settings.SMS_SIGN_NAME else ""


def opt_out_line(gateway_name: str | None = None) -> str:
    """The refusal line of marketing texts: the setting, else the gateway's own wording."""
    if settings.SMS_OPT_OUT_TEXT:
        return settings.SMS_OPT_OUT_TEXT
    return "拒收请回复R" if (gateway_name or settings.SMS_GATEWAY) == "tencent" else "回T退订"


def with_opt_out(text: str, *, purpose: str, gateway_name: str | None = None) -> str:
    """Marketing texts end with the opt-out line (added once, if the text does not have it)."""
    line = opt_out_line(gateway_name)
    if purpose != Purpose.MARKETING or text.rstrip().endswith(line):
        return text
    return f"{text.rstrip()} {line}"


def length(text: str) -> tuple[int, int]:
    """(characters with the signature, parts billed)."""
    count = len(signature()) + len(text)
    parts = 1 if count <= SINGLE_PART else math.ceil(count / PER_PART)
    return count, parts


# Replies that mean "stop": the gateways' own words (T, TD, R) and what customers write. Not "N":
# it answers a yes/no survey text, and a survey's "no" must not stop the customer's marketing.
OPT_OUT_WORDS = {"T", "TD", "R", "QX", "STOP", "UNSUBSCRIBE", "退订", "退定", "退", "拒收", "取消", "取消订阅", "不要", "TD退订", "T退订"}
OPT_OUT_PHRASES = ("退订", "退定", "拒收", "别再发", "不要再发", "不要发", "别发")


def is_opt_out(text: str) -> bool:
    """A reply that asks to stop: one of the words alone (full-width letters and punctuation
    ignored), or a sentence with 退订, 拒收, 别再发 …"""
    plain = unicodedata.normalize("NFKC", text or "").upper()
    plain = re.sub(r"[\s\W_]+", "", plain)
    return plain in OPT_OUT_WORDS or any(phrase in plain for phrase in OPT_OUT_PHRASES)
