"""What the retention services share: reason codes and their words, the customers' preferences for
the three channels, and the bulk statements every job uses."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ContactPreference
from dealer_crm.messaging.audience import Exclusion
from followups.callbacks.models import Callback, CallbackKind

CHUNK = 5000
# Retention's own calls: what a sold car, a visit or a move cancels while they wait in the queue.
RETENTION_CALL_KINDS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK)


class Reason:
    """The codes a reminder is skipped or cancelled with (`Reminder.skip_reason`), and a retention
    call cancelled with (`Callback.close_reason`). A reminder the SMS platform refused carries the
    platform's own code (an `Exclusion`: refuses_sms, no_mobile, same_template…); a call reminder
    whose call ended without being completed carries the call's status (expired, lost_contact…)."""

    NO_CONTACT = "no_contact"
    REFUSES_CONTACT = "refuses_contact"
    SMS_NOT_SENT = "sms_not_sent"
    CAME = "came"
    SOLD = "vehicle_sold"
    MOVED = "moved"

    LABELS = {
        NO_CONTACT: _("No mobile, phone or address to reach the customer"),
        REFUSES_CONTACT: _("Refuses every channel the reminder could go by"),
        SMS_NOT_SENT: _("The SMS could not be sent (the text is not in use or has no ID at the gateway)"),
        CAME: _("The vehicle came in meanwhile"),
        SOLD: _("The vehicle was sold"),
        MOVED: _("The customer moved away"),
    }


def reason_label(code: str) -> str:
    """A skip or cancel reason in the reader's language: retention's own, the SMS platform's, a
    call's status; the code itself when none knows it."""
    if code in Reason.LABELS:
        return str(Reason.LABELS[code])
    if code in Exclusion.values:
        return str(Exclusion(code).label)
    if code in Callback.Status.values:
        return str(Callback.Status(code).label)
    return code


# --- preferences -----------------------------------------------------------------------------------
P = ContactPreference


def preferences_of(customer_ids: Iterable[int]) -> dict[int, dict[str, bool | None]]:
    """customer id → {"phone", "sms", "letter"} → what they said for service contacts on that channel
    (True, False, or None: nothing said, which allows). The most specific answer decides, in the
    order the SMS platform reads them: the channel for service, the channel for anything, any channel
    for service, any channel for anything. One query per chunk of customers."""
    ids = list(dict.fromkeys(customer_ids))
    said: dict[int, dict[tuple[str, str], bool]] = {}
    for chunk in chunks(ids):
        for customer_id, channel, purpose, allowed in P.objects.filter(
                customer_id__in=chunk, purpose__in=[P.Purpose.SERVICE, P.Purpose.ALL]).values_list(
                "customer_id", "channel", "purpose", "allowed"):
            said.setdefault(customer_id, {})[(channel, purpose)] = allowed
    answers = {}
    for customer_id in ids:
        mine = said.get(customer_id, {})
        answers[customer_id] = {channel: _decide(mine, channel) for channel in (P.Channel.PHONE, P.Channel.SMS,
                                                                                P.Channel.LETTER)}
    return answers


def _decide(said: dict[tuple[str, str], bool], channel: str) -> bool | None:
    for key in ((channel, P.Purpose.SERVICE), (channel, P.Purpose.ALL), (P.Channel.ANY, P.Purpose.SERVICE),
                (P.Channel.ANY, P.Purpose.ALL)):
        if key in said:
            return said[key]
    return None


# --- bulk helpers ----------------------------------------------------------------------------------
def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def _adapt(value):
    ops = connection.ops
    if isinstance(value, datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return ops.adapt_datefield_value(value)
    return value


def insert_returning(table: str, columns: Sequence[str], rows: list[tuple], returning: Sequence[str],
                     size: int = 500) -> list[tuple]:
    """INSERT the rows, skipping those a unique constraint already holds (a second run, or another
    run at once: the database decides, whichever commits first), and return `returning` of the rows
    inserted. One statement per `size` rows; plain SQL that PostgreSQL and SQLite both run."""
    inserted = []
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for chunk in chunks(rows, size):
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(chunk))} "
                   f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}")
            cursor.execute(sql, [_adapt(value) for row in chunk for value in row])
            inserted.extend(cursor.fetchall())
    return inserted


def jit_off() -> None:
    """Short statements over the day's rows: compiling them (PostgreSQL's JIT) costs more than running them."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def catch_up_days() -> int:
    """How many days back a daily build still makes what it missed (the server was down), as the
    daily jobs' catch-up does."""
    return max(settings.DAILY_JOBS_CATCH_UP_DAYS, 0)
