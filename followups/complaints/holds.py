"""An open complaint holds the customer's marketing, and flags them wherever they could be sent
something cheerful.

Registered from ComplaintsConfig.ready() (`register`), since the archive and the callback centre sit
below the complaints and import nothing of them:

- the archive's marketing hold (`customers.holds`): the SMS platform leaves the customer out of
  marketing sends (`Exclusion.COMPLAINT_OPEN`), when a send is screened and again at dispatch; the
  customer page lists the open complaints at the top; the callback queue and workbench show 投诉中;
- the callback build's priority boost (`building.complaint_boost_sql_register`): a complainer's
  new callbacks come first.

A complaint is open until it is closed (with its case analysis): "satisfied" still waits for it.
"""

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.holds import HeldCase

from .models import Complaint
from .selectors import current_deadline, visible_complaints

S = Complaint.Status
OPEN = ~Q(status=S.CLOSED)
VIEW = "complaints.view_complaint"


def customers_held(customer_ids: list[int] | None) -> set[int]:
    """The customers (of these, or all) with an open complaint: one query on the open complaints'
    partial index (all of them), or on the customer's index (a page's or a batch's customers)."""
    complaints = Complaint.objects.filter(OPEN)
    if customer_ids is not None:
        complaints = complaints.filter(customer_id__in=customer_ids)
    return set(complaints.order_by().values_list("customer_id", flat=True))


def open_complaints(customer_id: int, user) -> list[HeldCase]:
    """The customer's open complaints for the top of their page, the nearest running deadline first
    (`selectors.current_deadline`), each linked when the reader may open it (`visible_complaints`):
    one query."""
    complaints = (Complaint.objects.filter(OPEN, customer_id=customer_id).select_related("severity")
                  .annotate(due_at=current_deadline(),
                            may_open=Exists(visible_complaints(user).filter(pk=OuterRef("pk"))))
                  .order_by(F("due_at").asc(nulls_last=True), "registered_at", "id"))
    return [
        HeldCase(number=complaint.number, category=complaint.get_category_display(), severity=complaint.severity.name,
                 state=complaint.get_status_display(), due_at=complaint.due_at, paused=complaint.paused_at is not None,
                 url=reverse("complaints:complaint_detail", args=[complaint.pk]) if complaint.may_open else "")
        for complaint in complaints
    ]


# The callback build's test of "this customer has an open complaint", on its `customer` row: the
# customer's index, for the build's new rows only.
BOOST_SQL = ("EXISTS (SELECT 1 FROM {table} complaint WHERE complaint.customer_id = customer.id"
             " AND complaint.status <> '{closed}')")


def register() -> None:
    from customers.holds import hold_register
    from dealer_crm.messaging.audience import Exclusion
    from followups.callbacks.services.building import complaint_boost_sql_register

    hold_register("complaint_open", customers_held, reason=Exclusion.COMPLAINT_OPEN, badge=_("Complaint open"),
                  title=_("Open complaints: no marketing SMS until they close"), cases=open_complaints, view_perm=VIEW)
    complaint_boost_sql_register(BOOST_SQL.format(table=Complaint._meta.db_table, closed=S.CLOSED.value))
