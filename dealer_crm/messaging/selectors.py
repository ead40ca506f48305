"""Reads of the SMS platform, each with the joins its page needs, so a page runs a fixed number of queries."""

from collections import Counter

from django.db.models import Count, QuerySet

from .audience import audience
from .models import BulkSend, OutboundMessage


# --- bulk sends ----------------------------------------------------------------------------------
BULK_STATUSES = [OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING, OutboundMessage.Status.SENT,
                 OutboundMessage.Status.DELIVERED, OutboundMessage.Status.FAILED, OutboundMessage.Status.UNKNOWN,
                 OutboundMessage.Status.CANCELLED]


def bulk_sends(*, status: str = "") -> QuerySet[BulkSend]:
    """The bulk sends, newest first, with their template, sender and approver; without the
    uploaded mobiles (up to 100,000 numbers), which no list needs."""
    found = BulkSend.objects.select_related("template", "created_by", "approved_by").defer("upload_mobiles")
    if status:
        found = found.filter(status=status)
    return found.order_by("-id")


def bulk_sends_awaiting_approval() -> QuerySet[BulkSend]:
    return bulk_sends(status=BulkSend.Status.AWAITING_APPROVAL)


def bulk_status_counts(*, bulk_ids: list[int]) -> dict[int, Counter]:
    """bulk id → {message status: how many}, in one query for all of them."""
    counts: dict[int, Counter] = {bulk_id: Counter() for bulk_id in bulk_ids}
    rows = (OutboundMessage.objects.filter(bulk_id__in=bulk_ids).order_by().values_list("bulk_id", "status")
            .annotate(n=Count("id")))
    for bulk_id, status, n in rows:
        counts[bulk_id][status] = n
    return counts


def bulk_messages(*, bulk: BulkSend, status: str = "") -> QuerySet[OutboundMessage]:
    """The messages of a bulk send in the order they were queued, with their customers."""
    messages = OutboundMessage.objects.filter(bulk=bulk).select_related("customer")
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("id")


def first_recipient_values(*, customer_id: int) -> dict[str, str]:
    """The template variables of one customer (the preview's first recipient)."""
    return audience().variables([customer_id]).get(customer_id, {})
