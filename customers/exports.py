"""The customer list as a spreadsheet: its columns, and the export of a filtered list.

The columns are those of the list page and a few more for working through it; phones are masked
as the list shows them (PIPL), and the address, birthday, ID number and notes are left out.
"""

from dataclasses import asdict

from django.http import FileResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from dealer_crm import exports

from . import selectors
from .models import Customer, Vehicle
from .normalize import mask_phone

VEHICLE_SEPARATOR = "、"


def _field_label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def _vehicles(customer: Customer) -> str:
    # The vehicles the customer owns or drives now, as on the list; a driver's is marked.
    return VEHICLE_SEPARATOR.join(
        (role.vehicle.plate or role.vehicle.vin)
        + ("" if role.kind == role.Kind.OWNER else f"（{role.get_kind_display()}）")
        for role in customer.current_roles)


def _models(customer: Customer) -> str:
    # In the order of the vehicles column, so the n-th model is the n-th vehicle's.
    return VEHICLE_SEPARATOR.join(role.vehicle.model_name for role in customer.current_roles)


def customer_export_columns() -> list[exports.Column]:
    """(header, getter) per column; the headers are the models' names for the fields."""
    return [
        (_("Customer no."), lambda c: c.pk),
        (_field_label(Customer, "name"), lambda c: c.name),
        (_field_label(Customer, "gender"), lambda c: c.get_gender_display() if c.gender else ""),
        (_field_label(Customer, "mobile"), lambda c: mask_phone(c.mobile)),
        (_field_label(Customer, "phone2"), lambda c: mask_phone(c.phone2)),
        (capfirst(Vehicle._meta.verbose_name_plural), _vehicles),
        (_field_label(Vehicle, "model_name"), _models),
        (_field_label(Customer, "last_visit_on"), lambda c: c.last_visit_on),
        (_field_label(Customer, "importance"), lambda c: c.get_importance_display()),
        (_field_label(Customer, "lost_contact_since"), lambda c: c.lost_contact_since),
        (_("Refuses marketing"), lambda c: c.refuses_marketing),
        (_field_label(Customer, "source"), lambda c: c.get_source_display()),
        (_field_label(Customer, "created_at"), lambda c: c.created_at),
    ]


def customer_list_export(*, filters: selectors.CustomerFilters, fmt: str, by) -> FileResponse:
    """Every customer the list shows for `filters`, in its order, as an xlsx or CSV download.

    Raises `exports.ExportTooLarge` before reading any row if more than `exports.ROW_LIMIT` match.
    The caller checks `customers.export_customers`.
    """
    limit = exports.ROW_LIMIT
    customers = selectors.customer_list(filters=filters)
    exports.export_row_count(queryset=customers, limit=limit)
    label = capfirst(Customer._meta.verbose_name_plural)
    return exports.export_response(
        # Sliced: customers added since the count do not take the file past the limit.
        rows=exports.export_iter_chunks(customers[:limit], prepare=selectors.mark_marketing_refusals),
        columns=customer_export_columns(),
        filename=f"{label}-{timezone.localtime():%Y%m%d-%H%M}",
        fmt=fmt,
        by=by,
        target_label=label,
        filters=asdict(filters),
    )
