"""What the retention services share: reason codes and their words, the customers' preferences for
the three channels, and the bulk statements every job uses."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

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
    """A date or time as the database takes it in raw SQL: psycopg2 types them itself (a VALUES list
    needs the type), SQLite takes Django's text form."""
    if connection.vendor == "postgresql":
        return value
    ops = connection.ops
    if isinstance(value, Decimal):
        return str(value)
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
        if connection.vendor == "postgresql":  # psycopg2 builds the VALUES lists itself, in C
            from psycopg2.extras import execute_values

            return execute_values(cursor.cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s "
                                  f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}", rows, page_size=size,
                                  fetch=True) if rows else []
        for chunk in chunks(rows, size):
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(chunk))} "
                   f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}")
            cursor.execute(sql, [_adapt(value) for row in chunk for value in row])
            inserted.extend(cursor.fetchall())
    return inserted


CALLBACK_COLUMNS = ("customer_id", "vehicle_id", "kind", "source_key", "rule_id", "status", "priority", "due_at",
                    "expires_at", "attempts", "last_outcome", "close_reason", "closed_at", "note", "created_on",
                    "created_at")


def callbacks_insert(calls: list[dict], *, now: datetime) -> dict[str, int]:
    """Queue these calls (each a dict of Callback columns: customer_id, vehicle_id, kind, source_key,
    rule_id, status, priority, due_at, expires_at, created_on, and close_reason and closed_at for one
    closed at once) in one insert per chunk; a call already queued for the same source is left as it
    is (`callback_one_per_source`). Returns source key → id of those inserted."""
    rows = [(call["customer_id"], call.get("vehicle_id"), call["kind"], call["source_key"], call.get("rule_id"),
             call["status"], call["priority"], call["due_at"], call["expires_at"], 0, "", call.get("close_reason", ""),
             call.get("closed_at"), "", call["created_on"], now) for call in calls]
    return {key: pk for pk, key in insert_returning(Callback._meta.db_table, CALLBACK_COLUMNS, rows, ("id", "source_key"))}


def upsert_rows(table: str, columns: Sequence[str], key: str, rows: list[tuple], size: int = 1000) -> None:
    """INSERT the rows, or UPDATE every other column of the row already there with the same `key`
    (the first column): on PostgreSQL a VALUES list of `size` rows per statement built by psycopg2
    (`execute_values`), a fraction of what bulk_create's model instances cost for a million rows."""
    if not rows:
        return
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column != key)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, head + "%s" + tail, rows, page_size=size)
        else:
            cursor.executemany(head + "(" + ", ".join(["%s"] * len(columns)) + ")" + tail,
                               [[_adapt(value) for value in row] for row in rows])


def update_values(model, columns: Sequence[str], rows: list[tuple], size: int = 1000) -> None:
    """Set `columns` (database column names) of each row (primary key, *values) of the model's
    table: one UPDATE per `size` rows, joined to a VALUES list. Django's bulk_update writes a CASE
    per row and column, which took seconds for the thousands of a day's rows. No value may be None
    (PostgreSQL types a VALUES list's columns from its values)."""
    if not rows:
        return
    table, pk = model._meta.db_table, model._meta.pk.column
    names = ", ".join(columns)
    sets = ", ".join(f"{column} = v.{column}" for column in columns)
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, f"WITH v(pk, {names}) AS (VALUES %s) UPDATE {table} SET {sets} FROM v "
                           f"WHERE {table}.{pk} = v.pk", rows, page_size=size)
            return
        for chunk in chunks(rows, size):
            cursor.execute(f"WITH v(pk, {names}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                           f"UPDATE {table} SET {sets} FROM v WHERE {table}.{pk} = v.pk",
                           [_adapt(value) for row in chunk for value in row])


def jit_off() -> None:
    """Short statements over the day's rows: compiling them (PostgreSQL's JIT) costs more than running them."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def catch_up_days() -> int:
    """How many days back a daily build still makes what it missed (the server was down), as the
    daily jobs' catch-up does."""
    return max(settings.DAILY_JOBS_CATCH_UP_DAYS, 0)


def catch_up_from(on: date) -> date:
    """The first day whose windows a build on `on` still makes: `catch_up_days` back, but never
    before the day the archive was first filled (`RefreshMark.filled_at`): what opened before
    retention began was not missed, and would be days of reminders on its first morning."""
    from ..models import RefreshMark

    first = on - timedelta(days=catch_up_days())
    filled_at = RefreshMark.objects.filter(pk=1).values_list("filled_at", flat=True).first()
    return max(first, min(timezone.localdate(filled_at), on)) if filled_at else first
