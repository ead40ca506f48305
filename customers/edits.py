"""Saving a form that was opened a while ago: which of its fields to write, and what changed meanwhile.

A form shows a record, the user types, and saves minutes later; meanwhile a colleague or a merge
may have changed the same record. The form carries a fingerprint of each value it showed (its
base), so that a save writes only what this user changed and never silently undoes another's work.
The services (`customer_update`, `vehicle_update`, …) apply `edit_plan` to the locked record.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .normalize import mask_id_number, mask_phone


def _canonical(value) -> str:
    """One text per meaning: a browser sends a textarea's line breaks as CRLF and Django strips
    what is typed, so neither makes an untouched field look changed."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def fingerprint(value) -> str:
    """Keyed with the secret key: the form's hidden base tells nothing about the values it stands for."""
    return salted_hmac("customers.edit-base", _canonical(value)).hexdigest()[:16]


def fingerprints(values: dict) -> dict[str, str]:
    return {name: fingerprint(value) for name, value in values.items()}


@dataclass(frozen=True)
class EditPlan:
    write: dict
    conflicts: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


def edit_plan(*, stored: dict, submitted: dict, base: dict[str, str] | None) -> EditPlan:
    """Which submitted fields to write, given what the form showed when it was opened (`base`).

    The user changed a field when the submitted value differs from the base; someone else changed
    it meanwhile when the stored value does. Only the user's changes are written. A field changed
    by both, to different values, is a conflict, and then nothing is written: the user decides. A
    field changed meanwhile that the user left alone is kept as stored. A field whose base is not
    known (a form without one) counts as changed by both when the submitted value differs from the
    stored one. `base=None` is a caller that read the record itself: everything that differs is written.
    """
    if base is None:
        base = fingerprints(stored)
    write, conflicts, kept = {}, [], []
    for name, value in submitted.items():
        mine, theirs, opened = fingerprint(value), fingerprint(stored[name]), base.get(name)
        if mine == theirs:
            continue  # nothing to write: untouched, or both made the same change
        if opened is None or (mine != opened and theirs != opened):
            conflicts.append(name)
        elif mine != opened:
            write[name] = value
        else:
            kept.append(name)
    return EditPlan(write=write, conflicts=tuple(conflicts), kept=tuple(kept))


@dataclass(frozen=True)
class MeanwhileChange:
    """A field someone changed while the user's form was open, as the page names it (phones masked)."""
    field: str
    label: str
    now: str
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class EditOutcome:
    record: models.Model
    written: tuple[str, ...] = ()
    conflicts: tuple[MeanwhileChange, ...] = ()
    kept: tuple[MeanwhileChange, ...] = ()

    @property
    def saved(self) -> bool:
        return not self.conflicts


MASKED = {"mobile", "phone2", "id_number"}


def _shown(model: type[models.Model], name: str, value) -> str:
    field = model._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if name in MASKED:
        return mask_id_number(value) if name == "id_number" else mask_phone(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, models.Model):
        return f"{value} #{value.pk}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def meanwhile_changes(record: models.Model, names: Iterable[str], stored: dict) -> dict[str, MeanwhileChange]:
    """Each field as stored now, with who gave it that value and when, if history knows."""
    names = list(names)
    if not names:
        return {}
    authors: dict[str, models.Model] = {}
    history = getattr(record, "history", None) if record.pk is not None else None
    if history is not None:
        rows = list(history.select_related("history_user").order_by("-history_date", "-history_id")[:30])
        for newer, older in zip(rows, [*rows[1:], None]):
            for name in names:
                attname = record._meta.get_field(name).attname
                if name in authors:
                    continue
                if (getattr(newer, attname) != getattr(older, attname) if older is not None
                        else newer.history_type == "+"):
                    authors[name] = newer
    changes = {}
    for name in names:
        row = authors.get(name)
        changes[name] = MeanwhileChange(
            field=name, label=str(record._meta.get_field(name).verbose_name), now=_shown(type(record), name, stored[name]),
            by=str(row.history_user) if row is not None and row.history_user else "",
            at=row.history_date if row is not None else None)
    return changes
