"""Reads of the SMS platform, each with the joins its page needs, so a page runs a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import pgettext

from .audience import audience
from .models import BulkSend, InboundReply, OutboundMessage, SmsTemplate
from .services import unknown_overdue


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


# --- templates, the outbox, a customer's messages, replies ---------------------------------------
def sms_templates() -> QuerySet[SmsTemplate]:
    """Every template, in use or not, by purpose and name, with who changed it last."""
    return SmsTemplate.objects.select_related("updated_by").order_by("purpose", "-active", "name")


def template_changes(*, template: SmsTemplate, limit: int = 10) -> list:
    """The template's last versions (simple_history), newest first, with who saved each."""
    changes = list(template.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit])
    kinds = {"+": pgettext("template history", "written"), "~": pgettext("template history", "changed"),
             "-": pgettext("template history", "removed")}
    for change in changes:
        change.kind_label = kinds.get(change.history_type, change.history_type)
    return changes


@dataclass(frozen=True)
class OutboxFilters:
    status: str = ""
    purpose: str = ""
    template_id: int | None = None
    customer_id: int | None = None
    since: date | None = None  # local dates, both included
    until: date | None = None


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def outbox(*, filters: OutboxFilters) -> QuerySet[OutboundMessage]:
    """The outbox, newest first, with each message's customer and template (one query a page)."""
    messages = OutboundMessage.objects.select_related("customer", "template")
    if filters.status:
        messages = messages.filter(status=filters.status)
    if filters.purpose:
        messages = messages.filter(purpose=filters.purpose)
    if filters.template_id:
        messages = messages.filter(template_id=filters.template_id)
    if filters.customer_id:
        messages = messages.filter(customer_id=filters.customer_id)
    if filters.since:
        messages = messages.filter(created_at__gte=_local_midnight(filters.since))
    if filters.until:
        messages = messages.filter(created_at__lt=_local_midnight(filters.until + timedelta(days=1)))
    return messages.order_by("-created_at", "-id")


def customer_messages(*, customer_id: int, limit: int = 5) -> list[OutboundMessage]:
    """A customer's latest messages, for the card on their page."""
    return list(OutboundMessage.objects.filter(customer_id=customer_id).select_related("template")
                .order_by("-created_at", "-id")[:limit])


def messages_in_doubt(*, now: datetime | None = None) -> QuerySet[OutboundMessage]:
    """UNKNOWN messages no receipt settled in time (services.unknown_overdue), oldest first, for a person."""
    return unknown_overdue(now=now).select_related("customer", "template").order_by("claimed_at", "id")


def inbound_replies(*, opt_out_only: bool = False) -> QuerySet[InboundReply]:
    replies = InboundReply.objects.all()
    if opt_out_only:
        replies = replies.filter(opt_out=True)
    return replies.order_by("-received_at", "-id")


def recipient_model():
    return apps.get_model(settings.MESSAGING_RECIPIENT_MODEL)


def recipient_view_perm() -> str:
    """The permission to read the recipients' records (customers.view_customer)."""
    meta = recipient_model()._meta
    return f"{meta.app_label}.view_{meta.model_name}"


def preview_customers(*, query: str = "", limit: int = 8) -> list:
    """Customers to preview a template with: those whose name has `query` (a number: that record),
    else the newest ones. Only what the preview shows is read."""
    customers = recipient_model()._default_manager.only("id", "name", "mobile")
    query = query.strip().lstrip("#")
    if query.isdigit():
        customers = customers.filter(pk=int(query))
    elif query:
        customers = customers.filter(name__icontains=query)
    return list(customers.order_by("-id")[:limit])
