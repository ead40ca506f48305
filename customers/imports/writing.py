"""Writing many new rows fast, with their change history, inside the caller's transaction.

On PostgreSQL new rows get their ids from the table's sequence and go in with COPY; their history
rows are made by the database itself (INSERT … SELECT from the rows just written), so Python never
builds a model instance or a history object for them. Elsewhere (the embedded SQLite default) the
same calls fall back to `bulk_create`. Updates stay on the ORM: they are few, and each must record
what it changed.
"""

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

from django.db import connection, connections, models
from django.utils import timezone
from django.utils.translation import gettext as _

from .table import RowError

logger = logging.getLogger(__name__)
IN_CHUNK = 900  # ids per `IN (…)`: under SQLite's limit on parameters
# Search keys the models derive from other fields (`derive_search_keys`): rewritten with them.
DERIVED = {"name_pinyin", "name_initials", "name_pinyin_given_initials", "name_pinyin_surname_initial", "mobile_rev",
           "phone2_rev", "plate_key", "vin_rev"}


@cache
def _defaults(model) -> dict:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if f.attname != "id"}


def new_row(model: type[models.Model], **values) -> dict:
    """Every column of a new row for `insert_rows`: the model's defaults, then `values`."""
    row = dict(_defaults(model))
    row.update(values)
    return row


@dataclass
class Outcome:
    """What the chunks of one import did, added up as they finish (`write_chunks`)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list = field(default_factory=list)  # RowErrors of rows imported, but worth a look
    errors: list = field(default_factory=list)  # RowErrors of rows not imported
    committed_rows: list[int] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)

    def add(self, numbers: list[int], result, *, committed: bool) -> None:
        """One chunk's result: its counts and notes, or the exception that rolled it back whole."""
        if isinstance(result, Exception):
            # The database's first line says what went wrong; its detail (a row's values) stays in the log.
            reason = (str(result).strip().splitlines() or [type(result).__name__])[0]
            self.failed_rows += numbers
            self.errors += [RowError(number, "", _("Not imported: %(error)s") % {"error": reason})
                            for number in numbers]
            return
        self.created += result["created"]
        self.updated += result["updated"]
        self.unchanged += result["unchanged"]
        self.warnings += result.get("warnings", [])
        self.errors += result.get("errors", [])
        if committed:
            skipped = result.get("skipped", ())
            self.committed_rows += [number for number in numbers if number not in skipped]


def _columns(model: type[models.Model]) -> list[tuple[str, str]]:
    return [(f.attname, f.column) for f in model._meta.concrete_fields]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(model: type[models.Model], rows: list[dict]) -> None:
    """Insert `rows` (attname → value, without `id`); each row gets its new `id`.

    Every concrete column must be present in every row except `id`.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(model, rows)
        return
    instances = [model(**row) for row in rows]
    model._base_manager.bulk_create(instances, batch_size=500)
    for row, instance in zip(rows, instances, strict=True):
        row["id"] = instance.pk


def _copy(model: type[models.Model], rows: list[dict]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        # nextval() per row: safe beside any other writer, which a block taken with setval() is not.
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)])
        for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True):
            row["id"] = new_id
        fields = model._meta.concrete_fields
        buffer = io.StringIO()
        # csv writes None and "" alike, unquoted and empty: that is NULL, except in the columns that
        # cannot be NULL, which FORCE_NOT_NULL reads as "".
        values = map(itemgetter(*(f.attname for f in fields)), rows)
        as_json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        if as_json:  # a JSON column (a timeline entry's parameters) goes in as JSON text
            values = ([json.dumps(v, ensure_ascii=False) if i in as_json else v for i, v in enumerate(row)]
                      for row in values)
        csv.writer(buffer).writerows(values)
        buffer.seek(0)
        names = ", ".join(_quote(f.column) for f in fields)
        not_null = ", ".join(_quote(f.column) for f in fields if not f.null and f.empty_strings_allowed)
        options = f", FORCE_NOT_NULL ({not_null})" if not_null else ""
        cursor.cursor.copy_expert(f"COPY {_quote(table)} ({names}) FROM STDIN WITH (FORMAT csv{options})", buffer)


def history_from_rows(model: type[models.Model], ids: list[int], *, by, reason: str, kind: str = "+") -> None:
    """History rows for rows as they are stored now (created: '+', changed: '~'), by the database.

    The history table has the model's tracked columns plus simple-history's own: date, type,
    reason and user.
    """
    if not ids:
        return
    history = model.history.model
    base_columns = {column for _attname, column in _columns(model)}
    tracked = [f.column for f in history._meta.concrete_fields if f.column in base_columns]
    names = ", ".join(_quote(c) for c in tracked)
    target = ", ".join([names, "history_date", "history_type", "history_change_reason", "history_user_id"])
    insert = (f"INSERT INTO {_quote(history._meta.db_table)} ({target}) "
              f"SELECT {names}, %s, %s, %s, %s FROM {_quote(model._meta.db_table)} WHERE id ")
    values = [timezone.now(), kind, reason, getattr(by, "pk", None)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(insert + "= ANY(%s)", [*values, ids])
            return
        for start in range(0, len(ids), IN_CHUNK):
            part = ids[start:start + IN_CHUNK]
            cursor.execute(insert + f"IN ({', '.join(['%s'] * len(part))})", [*values, *part])


def update_rows(model: type[models.Model], changes: dict[int, dict], *, by, reason: str) -> None:
    """Apply {id: {field: value}}, with one history row per changed row.

    Rows are grouped by the set of fields they change, so each group is one UPDATE per batch.
    """
    if not changes:
        return
    if hasattr(model, "history"):
        # Rows written in bulk before history existed (the demo store) get their stored state first,
        # so the change shows as old → new.
        known = set(model.history.filter(id__in=list(changes)).values_list("id", flat=True).distinct())
        history_from_rows(model, [pk for pk in changes if pk not in known], by=by, reason="baseline")
    groups: dict[tuple[str, ...], list[int]] = {}
    for pk, fields in changes.items():
        groups.setdefault(tuple(sorted(fields)), []).append(pk)
    manager = model._base_manager
    for fields, ids in groups.items():
        instances = list(manager.filter(pk__in=ids))
        for instance in instances:
            for name in fields:
                setattr(instance, name, changes[instance.pk][name])
            if hasattr(instance, "derive_search_keys"):
                instance.derive_search_keys()
        derived = [f.name for f in model._meta.concrete_fields if f.name in DERIVED]
        auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        now = timezone.now()
        for instance in instances:
            for name in auto_now:
                setattr(instance, name, now)
        manager.bulk_update(instances, sorted(set(fields) | set(derived) | set(auto_now)), batch_size=500)
    if hasattr(model, "history"):
        history_from_rows(model, list(changes), by=by, reason=reason, kind="~")


WRITERS = 2  # connections writing chunks at once on PostgreSQL


def pack(units: Iterable[list[tuple[object, list]]], *, size: int) -> list[list[tuple[object, list]]]:
    """Chunks of about `size` rows from units of (key, rows) groups that must stay together."""
    chunks, current, rows = [], [], 0
    for unit in units:
        for key, group in unit:
            current.append((key, group))
            rows += len(group)
        if rows >= size:
            chunks.append(current)
            current, rows = [], 0
    if current:
        chunks.append(current)
    return chunks


def write_chunks(write: Callable[[list], dict], chunks: list[list], *,
                 parallel: bool) -> Iterator[tuple[list[int], object]]:
    """Run `write(chunk)` for every chunk, each in its own transaction (write opens it), and yield
    (row numbers, its result or the exception that rolled it back) as chunks finish.

    On PostgreSQL, with more than one chunk, two threads write at once, each on its own connection:
    the database then works on one chunk while Python prepares the next. The chunks must not touch
    the same rows (the caller groups them so). A caller inside a transaction gets one writer: other
    connections could neither see its rows nor be rolled back with it.
    """
    def numbers(chunk) -> list[int]:
        return [row.row for _key, group in chunk for row in group]

    def guarded(chunk):
        try:
            return write(chunk)
        except Exception as error:  # noqa: BLE001 - this chunk is rolled back and reported; others go on
            logger.exception("An import chunk of %s rows was rolled back", len(numbers(chunk)))
            return error

    if not parallel or connection.vendor != "postgresql" or len(chunks) < 2 or connection.in_atomic_block:
        for chunk in chunks:
            yield numbers(chunk), guarded(chunk)
        return

    def in_thread(chunk):
        try:
            return guarded(chunk)
        finally:
            connections.close_all()  # this thread's connection

    pool = ThreadPoolExecutor(max_workers=WRITERS)
    try:
        futures = {pool.submit(in_thread, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            yield numbers(futures[future]), future.result()
    finally:  # also when the caller stops early: chunks not started are not written
        pool.shutdown(wait=True, cancel_futures=True)
