"""The gift request's workflow, and the general manager's budgets.

    create ──► REQUESTED ──approve (the general manager, not who asked)──► APPROVED ──send──► SENT
    REQUESTED ──reject (the general manager, a comment)──► REJECTED
    REQUESTED, APPROVED ──cancel (a reason)──► CANCELLED (an approved one gives back its cost and stock)

Never wrong, whatever two approvers do at the same moment:
- the budget of the period containing the day of the approval is charged by one conditional UPDATE
  (`committed + cost <= amount`), under the check constraint `gift_budget_never_exceeded`;
- the gift's stock is taken the same way (`stock >= quantity`), under the column's own `>= 0` check;
- the customer's approved gifts of the calendar year (settings.GIFT_CAP_PER_CUSTOMER_YEAR) are summed
  under the customer's row lock, so two approvals for one customer take turns;
- nobody decides their own request (checked here, and by the constraint `gift_request_not_self_decided`).

The locks are always taken in the same order (the request, the customer, then the gift's and the
budget's rows by their updates), so concurrent approvals wait for each other and never deadlock.
Every step goes on the customer's timeline (kind gift; worded in events/gifts/timeline.py).
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.amounts import format_yuan
from customers.models import Customer, FamilyMember, TimelineEntry
from customers.services import timeline_add

from .models import Gift, GiftBudget, GiftRequest

S = GiftRequest.Status
REQUEST, APPROVE, SEND = "gifts.add_giftrequest", "gifts.approve_giftrequest", "gifts.send_giftrequest"
ADD_GIFT, CHANGE_GIFT = "gifts.add_gift", "gifts.change_gift"
ADD_BUDGET, CHANGE_BUDGET = "gifts.add_giftbudget", "gifts.change_giftbudget"
OPEN = frozenset({S.REQUESTED, S.APPROVED})
CHARGED = (S.APPROVED, S.SENT)  # what counts against a budget and the customer's year
MAX_QUANTITY = 20


class GiftError(ValidationError):
    """A step the request's state, the budget, the stock or the input does not allow (the message
    says why, in the user's language)."""

    def __str__(self) -> str:
        return " ".join(self.messages)


# --- who may act -----------------------------------------------------------------------------------
def can_request(user) -> bool:
    return user.is_authenticated and user.has_perm(REQUEST)


def can_approve(user) -> bool:
    """The general manager (`gifts.approve_giftrequest`)."""
    return user.is_authenticated and user.has_perm(APPROVE)


def can_decide(user, request: GiftRequest) -> bool:
    """Approves or rejects this request: the general manager, unless they asked for it themselves."""
    return can_approve(user) and request.requested_by_id != user.pk


def can_send(user) -> bool:
    """Posts or hands over approved gifts: the DCRC (`gifts.send_giftrequest`)."""
    return user.is_authenticated and user.has_perm(SEND)


def can_cancel(user, request: GiftRequest) -> bool:
    """Who asked, or who posts the gifts, while it is not sent; the general manager an approved one
    (a waiting one they reject, with a comment)."""
    if request.status not in OPEN:
        return False
    if (request.requested_by_id == user.pk and can_request(user)) or can_send(user):
        return True
    return request.status == S.APPROVED and can_approve(user)


def can_edit_gifts(user) -> bool:
    return user.is_authenticated and (user.has_perm(ADD_GIFT) or user.has_perm(CHANGE_GIFT))


def can_set_budgets(user) -> bool:
    return user.is_authenticated and user.has_perm(ADD_BUDGET) and user.has_perm(CHANGE_BUDGET)


# --- helpers ---------------------------------------------------------------------------------------
def _text(value: str, *, required: str = "", limit: int = 500) -> str:
    value = (value or "").strip()
    if required and not value:
        raise GiftError(required)
    return value[:limit]


def _locked(request: GiftRequest) -> GiftRequest:
    """The request's row, locked until the transaction ends: two clicks take turns, the second sees
    what the first did."""
    locked = GiftRequest.objects.select_for_update(of=("self",)).select_related("gift", "customer").get(pk=request.pk)
    return locked


def budget_for(day: date) -> GiftBudget | None:
    """The budget whose period contains `day` (periods never overlap: gift_budget_save)."""
    return GiftBudget.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("-starts_on").first()


def customer_year_total(*, customer_id: int, year: int, exclude: int | None = None) -> Decimal:
    """What the customer's approved and sent gifts decided in `year` cost (the store's calendar year)."""
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    rows = GiftRequest.objects.filter(customer_id=customer_id, status__in=CHARGED, decided_at__gte=start,
                                      decided_at__lt=end)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    total = rows.aggregate(total=Sum(F("unit_cost") * F("quantity")))["total"]
    return Decimal(total or 0)


def _timeline(request: GiftRequest, variant: str, *, by, at: datetime, **params) -> TimelineEntry:
    family = request.family_member
    return timeline_add(
        customer=request.customer, kind=TimelineEntry.Kind.GIFT, source=request, occurred_at=at, by=by,
        params={"variant": variant, "request": request.pk, "gift": request.gift.name, "quantity": request.quantity,
                "reason": request.reason, "total": str(request.total),
                "child": family.name if family is not None else "", **params},
    )


# --- the request ------------------------------------------------------------------------------------
@transaction.atomic
def gift_request_create(
    *,
    customer: Customer,
    gift: Gift,
    by,
    reason: str,
    quantity: int = 1,
    family_member: FamilyMember | None = None,
    event=None,
    note: str = "",
    delivery: str = GiftRequest.Delivery.POST,
    address: str = "",
    now: datetime | None = None,
) -> GiftRequest:
    """A gift asked for a customer (a birthday, their child's, the gift they chose in an interview, an
    event, a complaint's goodwill…): waiting for the general manager's approval. Its cost is the
    catalogue's price now; a gift posted goes to the address given, or the customer's on file."""
    now = now or timezone.now()
    if not can_request(by):
        raise PermissionDenied
    if customer.merged_into_id:
        raise GiftError(_("This customer was merged into #%(id)s: use that record.") % {"id": customer.merged_into_id})
    if reason not in GiftRequest.Reason.values:
        raise GiftError(_("Choose why the gift is given."))
    if delivery not in GiftRequest.Delivery.values:
        raise GiftError(_("Choose how the gift reaches the customer."))
    gift = Gift.objects.get(pk=gift.pk)  # the price and the stock as they are now
    if not gift.active:
        raise GiftError(_("%(gift)s is no longer in use: choose another gift.") % {"gift": gift.name})
    if not isinstance(quantity, int) or quantity < 1 or quantity > MAX_QUANTITY:
        raise GiftError(_("The quantity is between 1 and %(max)d.") % {"max": MAX_QUANTITY})
    if gift.stock < quantity:
        raise GiftError(_("Only %(stock)d of %(gift)s in stock.") % {"stock": gift.stock, "gift": gift.name})
    if family_member is not None and family_member.customer_id != customer.pk:
        raise GiftError(_("This family member is not in the customer's file."))
    if reason == GiftRequest.Reason.CHILD_BIRTHDAY and family_member is None:
        raise GiftError(_("Choose the child whose birthday it is."))
    if reason == GiftRequest.Reason.EVENT and event is None:
        raise GiftError(_("Choose the event the gift is for."))
    address = _text(address, limit=200)
    if delivery == GiftRequest.Delivery.POST:
        address = address or customer.address
        if not address:
            raise GiftError(_("Enter the address to post the gift to (the customer's file has none)."))
    request = GiftRequest(
        customer=customer, family_member=family_member, gift=gift, quantity=quantity, unit_cost=gift.unit_cost,
        reason=reason, note=_text(note), event=event, status=S.REQUESTED, requested_by=by, requested_at=now,
        delivery=delivery, address=address,
    )
    request.save()
    _timeline(request, "requested", by=by, at=now, note=request.note)
    return request


@transaction.atomic
def gift_request_approve(*, request: GiftRequest, by, comment: str = "", now: datetime | None = None) -> GiftRequest:
    """The general manager approves: the cost is charged to the budget of the period containing
    today and the gift taken from the stock, both by conditional updates that refuse to go past the
    budget or below zero; the customer's approved gifts of the year may not pass the cap."""
    now = now or timezone.now()
    if not can_approve(by):
        raise PermissionDenied
    request = _locked(request)
    if request.requested_by_id == by.pk:
        raise GiftError(_("Nobody approves their own request: another general manager decides it."))
    if request.status != S.REQUESTED:
        raise GiftError(_("The request is %(status)s already: nothing to approve.")
                        % {"status": request.get_status_display()})
    today = timezone.localdate(now)
    budget = budget_for(today)
    if budget is None:
        raise GiftError(_("No gift budget covers %(day)s: set the budget of the period first.")
                        % {"day": today.isoformat()})
    cost = request.total
    # The customer's row lock: their approvals take turns, so the year's sum is the truth.
    Customer.all_objects.select_for_update().filter(pk=request.customer_id).values_list("pk", flat=True).get()
    cap = Decimal(settings.GIFT_CAP_PER_CUSTOMER_YEAR)
    so_far = customer_year_total(customer_id=request.customer_id, year=today.year)
    if so_far + cost > cap:
        raise GiftError(_("%(name)s's gifts this year would cost %(total)s, over the cap of %(cap)s a customer "
                          "(%(so_far)s approved so far).")
                        % {"name": request.customer.name, "total": format_yuan(so_far + cost),
                           "cap": format_yuan(cap), "so_far": format_yuan(so_far)})
    taken = Gift.objects.filter(pk=request.gift_id, stock__gte=request.quantity).update(
        stock=F("stock") - request.quantity)
    if not taken:
        stock = Gift.objects.values_list("stock", flat=True).get(pk=request.gift_id)
        raise GiftError(_("Only %(stock)d of %(gift)s left in stock: the request needs %(quantity)d.")
                        % {"stock": stock, "gift": request.gift.name, "quantity": request.quantity})
    charged = GiftBudget.objects.filter(pk=budget.pk, committed__lte=F("amount") - cost).update(
        committed=F("committed") + cost)
    if not charged:
        budget.refresh_from_db()  # the refusal's exception rolls back the stock taken above
        raise GiftError(_("The budget of %(period)s has %(remaining)s left: the gift costs %(cost)s.")
                        % {"period": budget.name, "remaining": format_yuan(budget.remaining), "cost": format_yuan(cost)})
    request.status, request.budget, request.decided_by, request.decided_at = S.APPROVED, budget, by, now
    request.decision_comment = _text(comment)
    request.save(update_fields=["status", "budget", "decided_by", "decided_at", "decision_comment"])
    _timeline(request, "approved", by=by, at=now, comment=request.decision_comment, decider=str(by))
    return request


@transaction.atomic
def gift_request_reject(*, request: GiftRequest, by, comment: str, now: datetime | None = None) -> GiftRequest:
    """The general manager says no, and why (required: who asked reads it)."""
    now = now or timezone.now()
    if not can_approve(by):
        raise PermissionDenied
    request = _locked(request)
    if request.requested_by_id == by.pk:
        raise GiftError(_("Nobody decides their own request: another general manager decides it."))
    if request.status != S.REQUESTED:
        raise GiftError(_("The request is %(status)s already: nothing to reject.")
                        % {"status": request.get_status_display()})
    comment = _text(comment, required=_("Write why the request is rejected."))
    request.status, request.decided_by, request.decided_at, request.decision_comment = S.REJECTED, by, now, comment
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _timeline(request, "rejected", by=by, at=now, comment=comment, decider=str(by))
    return request


@transaction.atomic
def gift_request_send(*, request: GiftRequest, by, courier: str = "", tracking_number: str = "", address: str = "",
                      now: datetime | None = None) -> GiftRequest:
    """An approved gift posted (the courier and the tracking number required; the address the
    request's unless another is given) or handed over in the store."""
    now = now or timezone.now()
    if not can_send(by):
        raise PermissionDenied
    request = _locked(request)
    if request.status != S.APPROVED:
        raise GiftError(_("Only an approved gift is sent (this one is %(status)s).")
                        % {"status": request.get_status_display()})
    fields = ["status", "sent_at", "sent_by"]
    if request.delivery == GiftRequest.Delivery.POST:
        courier = _text(courier, required=_("Enter the courier."), limit=30)
        tracking_number = _text(tracking_number, required=_("Enter the tracking number."), limit=40)
        address = _text(address, limit=200) or request.address
        if not address:
            raise GiftError(_("Enter the address the gift is posted to."))
        request.courier, request.tracking_number, request.address = courier, tracking_number, address
        fields += ["courier", "tracking_number", "address"]
    request.status, request.sent_at, request.sent_by = S.SENT, now, by
    request.save(update_fields=fields)
    if request.delivery == GiftRequest.Delivery.POST:
        _timeline(request, "sent", by=by, at=now, courier=request.courier, tracking=request.tracking_number)
    else:
        _timeline(request, "handed_over", by=by, at=now)
    return request


@transaction.atomic
def gift_request_cancel(*, request: GiftRequest, by, reason: str, now: datetime | None = None) -> GiftRequest:
    """A request withdrawn before the gift leaves (the customer declined, a mistake): an approved one
    gives its cost back to its budget and its gift back to the stock."""
    now = now or timezone.now()
    request = _locked(request)
    if request.status not in OPEN:
        raise GiftError(_("The request is %(status)s: it cannot be cancelled.") % {"status": request.get_status_display()})
    if not can_cancel(by, request):
        raise PermissionDenied
    reason = _text(reason, required=_("Write why the request is cancelled."))
    if request.status == S.APPROVED:  # the gift's row first, then the budget's: the approvals' order
        Gift.objects.filter(pk=request.gift_id).update(stock=F("stock") + request.quantity)
        GiftBudget.objects.filter(pk=request.budget_id).update(committed=F("committed") - request.total)
    request.status, request.cancelled_at, request.cancelled_by, request.cancel_reason = S.CANCELLED, now, by, reason
    request.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _timeline(request, "cancelled", by=by, at=now, note=reason)
    return request


# --- the catalogue and the budgets --------------------------------------------------------------------
@transaction.atomic
@transaction.atomic
def gift_save(*, gift: Gift, by=None, stock_shown: int | None = None) -> Gift:
    """A gift of the catalogue added or changed (the page, the admin, its import).

    The stock of an existing gift is never written as an absolute figure from a form or a file that
    may be stale (approvals take from it meanwhile): the page sends the stock it showed (stock_shown)
    and the stock moves by the difference typed (F("stock") + (new - shown)), refused if it would go
    below zero; without stock_shown (the admin's form, the Excel import) an existing gift's stock is
    left as it is. A new gift's stock is written as given."""
    if by is not None and not can_edit_gifts(by):
        raise PermissionDenied
    gift.name = (gift.name or "").strip()
    try:
        gift.full_clean()
    except ValidationError as error:
        raise GiftError(error.messages) from None
    if gift.pk is None or not Gift.objects.filter(pk=gift.pk).exists():
        gift.save()
        return gift
    fields = [f.attname for f in Gift._meta.concrete_fields if not f.primary_key and f.attname != "stock"]
    gift.save(update_fields=fields)
    if stock_shown is not None and gift.stock != stock_shown:
        delta = gift.stock - stock_shown
        moved = Gift.objects.filter(pk=gift.pk, stock__gte=-delta).update(stock=F("stock") + delta)
        if not moved:
            current = Gift.objects.values_list("stock", flat=True).get(pk=gift.pk)
            raise GiftError(_("Only %(n)d are in stock now (some were approved meanwhile): the stock cannot "
                              "go below zero.") % {"n": current})
    gift.stock = Gift.objects.values_list("stock", flat=True).get(pk=gift.pk)
    return gift


def _serialize_budgets() -> None:
    """Budgets are set one at a time (rarely, by the general manager): the overlap check then sees
    every other period. A transaction-scoped advisory lock on PostgreSQL; SQLite writes one at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x6769_6674])  # "gift"


@transaction.atomic
def gift_budget_save(*, by, name: str, starts_on: date, ends_on: date, amount: Decimal,
                     budget: GiftBudget | None = None, now: datetime | None = None) -> GiftBudget:
    """The general manager sets a period's budget (a month, a quarter, a year): periods never overlap,
    and a budget is never set below what is approved from it already."""
    if not can_set_budgets(by):
        raise PermissionDenied
    name = _text(name, required=_("Name the period, e.g. 2026年12月."), limit=50)
    if starts_on is None or ends_on is None:
        raise GiftError(_("Enter the first and the last day of the period."))
    if ends_on < starts_on:
        raise GiftError(_("The period ends before it starts."))
    if amount is None or amount < 0:
        raise GiftError(_("The budget is an amount of 0 or more."))
    _serialize_budgets()
    overlapping = GiftBudget.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
    if budget is not None:
        overlapping = overlapping.exclude(pk=budget.pk)
    clash = overlapping.order_by("starts_on").first()
    if clash is not None:
        raise GiftError(_("The period overlaps %(name)s (%(start)s – %(end)s): periods never overlap.")
                        % {"name": clash.name, "start": clash.starts_on.isoformat(), "end": clash.ends_on.isoformat()})
    if budget is None:
        budget = GiftBudget(set_by=by)
    else:
        budget = GiftBudget.objects.select_for_update().get(pk=budget.pk)
        charged = budget.requests.exists()
        if charged and (starts_on != budget.starts_on or ends_on != budget.ends_on):
            days = budget.requests.filter(status__in=CHARGED).filter(
                Q(decided_at__date__lt=starts_on) | Q(decided_at__date__gt=ends_on)).exists()
            if days:
                raise GiftError(_("Gifts approved outside the new dates are charged to this budget: keep those days."))
        if amount < budget.committed:
            raise GiftError(_("%(committed)s is approved from this budget already: the budget cannot be less.")
                            % {"committed": format_yuan(budget.committed)})
        budget.set_by = by
    budget.name, budget.starts_on, budget.ends_on, budget.amount = name, starts_on, ends_on, amount
    budget.save()
    return budget
