"""The interface every gateway implements.

`send` never raises for what the gateway or the network did: it answers, per message, one of
ACCEPTED (the gateway took it), REJECTED (permanent: never retried, the gateway's reason kept),
TEMPORARY (nothing was sent: retried with back-off) or UNKNOWN (the gateway may have it — a timeout:
never sent again blindly). Pushes of receipts and replies are parsed by the same class; a push it
cannot read raises `BadPush`, which the endpoint answers with 400 and changes nothing.
"""

from dataclasses import dataclass, field
from typing import ClassVar


class BadPush(ValueError):
    """A receipt or reply push that is not in the gateway's format."""


@dataclass(frozen=True)
class Outgoing:
    id: int  # our outbox row: the gateway's out-id, echoed in its receipts
    phone: str
    text: str
    template_code: str = ""  # the template's approved code or id at this gateway ("" for free text)
    params: dict = field(default_factory=dict)  # the template's variables with their values


ACCEPTED, REJECTED, TEMPORARY, UNKNOWN = "accepted", "rejected", "temporary", "unknown"


@dataclass(frozen=True)
class Result:
    id: int
    outcome: str
    # What went wrong, in the gateway's own words, or the detail of `code` (an HTTP status, an error's
    # class): stored as it is, never translated.
    reason: str = ""
    ref: str = ""  # the gateway's own id of the message, where it gives one
    # A code of `messaging.reasons` when the reason is ours, shown in the reader's language;
    # "" when `reason` is the gateway's own words.
    code: str = ""


@dataclass(frozen=True)
class Receipt:
    id: int | None  # our out-id as the gateway echoed it; None when it sent none we can read
    delivered: bool
    reason: str = ""
    # The gateway's own id of the message (Result.ref, kept as gateway_ref): how a receipt is matched
    # when it echoes no out-id (Tencent's receipts carry only the SerialNo, as `sid`).
    ref: str = ""
    # The number it was delivered to (or not), where the receipt names it: the last resort for a
    # message whose send call timed out, so that neither our id nor the gateway's is known.
    phone: str = ""


@dataclass(frozen=True)
class Reply:
    phone: str
    text: str
    ref: str = ""


class Gateway:
    name: ClassVar[str]
    batch_size: ClassVar[int] = 100
    # Whether it sends any text (console, http) or only templates approved in advance (aliyun, tencent).
    free_text: ClassVar[bool] = True
    receipt_answer: ClassVar[tuple[str, str]] = ('{"code": 0}', "application/json")
    reply_answer: ClassVar[tuple[str, str]] = ('{"code": 0}', "application/json")

    @classmethod
    def from_settings(cls) -> "Gateway":
        return cls()

    def template_code(self, template) -> str:
        """The template's approved code at this gateway ("" when it has none)."""
        return ""

    def send(self, messages: list[Outgoing]) -> list[Result]:
        raise NotImplementedError

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        raise BadPush("This gateway pushes no receipts.")

    def parse_replies(self, body: bytes) -> list[Reply]:
        raise BadPush("This gateway pushes no replies.")


def all_results(messages: list[Outgoing], outcome: str, reason: str = "", *, code: str = "") -> list[Result]:
    return [Result(id=message.id, outcome=outcome, reason=reason, code=code) for message in messages]


def read_out_id(value) -> int | None:
    """Our row id as a gateway echoes it (a number, or its text); None for anything else."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
