"""The callback list as a spreadsheet: the list's columns and a few more to work through it.

Phones are masked as the list shows them (PIPL); the customer is named (whoever exports it works the
callbacks), and the export is audited with its filters, never with the name typed in one.
"""

from django.http import FileResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from customers.normalize import mask_phone
from dealer_crm import exports

from .models import Callback
from .selectors import supervision as selectors


def _label(name: str) -> str:
    return capfirst(Callback._meta.get_field(name).verbose_name)


def _vehicle(callback: Callback) -> str:
    vehicle = callback.vehicle
    return (vehicle.plate or vehicle.vin) if vehicle is not None else ""


def callback_export_columns() -> list[exports.Column]:
    """(header, getter) per column; the headers are the model's names for the fields."""
    return [
        (_("Callback no."), lambda c: c.pk),
        (_label("customer"), lambda c: c.customer.name),
        (_("Mobile"), lambda c: mask_phone(c.customer.mobile)),
        (_label("vehicle"), _vehicle),
        (_label("kind"), lambda c: c.get_kind_display()),
        (_label("status"), lambda c: c.get_status_display()),
        (_label("due_at"), lambda c: c.due_at),
        (_label("expires_at"), lambda c: c.expires_at),
        (_label("assigned_to"), lambda c: str(c.assigned_to) if c.assigned_to_id else ""),
        (_label("attempts"), lambda c: c.attempts),
        (_label("last_outcome"), lambda c: c.get_last_outcome_display() if c.last_outcome else ""),
        (_label("last_attempt_at"), lambda c: c.last_attempt_at),
        (_label("closed_at"), lambda c: c.closed_at),
    ]


def callback_list_export(*, filters: selectors.CallbackFilters, logged_filters: dict, fmt: str, by) -> FileResponse:
    """Every callback the list shows for `filters`, in its order, as an xlsx or CSV download.

    Raises `exports.ExportTooLarge` before reading any row if more than `exports.ROW_LIMIT` match.
    The caller checks the permissions and gives `logged_filters`, the filters as the audit log may
    hold them (no names).
    """
    limit = exports.ROW_LIMIT
    rows = selectors.callback_list(filters=filters)
    exports.export_row_count(queryset=rows, limit=limit)
    label = capfirst(Callback._meta.verbose_name_plural)
    return exports.export_response(
        rows=exports.export_iter_chunks(rows[:limit]),
        columns=callback_export_columns(),
        filename=f"{label}-{timezone.localtime():%Y%m%d-%H%M}",
        fmt=fmt,
        by=by,
        target_label=label,
        filters=logged_filters,
    )
