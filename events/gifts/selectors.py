"""Reads of gifts: the gift menu (礼品栏), the catalogue, the budgets with what is left, the request
list with its filters, the general manager's queue (each request with the budget left and the
customer's year so far), one request with its story, the home panels' rows and the customer page's
section. Each runs a fixed number of queries whatever the number of rows.

Who sees which request: whoever decides or posts them (`gifts.approve_giftrequest`,
`gifts.send_giftrequest`) every request; whoever only asks for gifts (`gifts.add_giftrequest`) those
they asked for, and any customer's on the customer page.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from . import services
from .models import Gift, GiftBudget, GiftRequest

S = GiftRequest.Status
VIEW = "gifts.view_giftrequest"
ALL = "all"
TABS = (S.REQUESTED, S.APPROVED, S.SENT, S.REJECTED, S.CANCELLED, ALL)


# --- the catalogue ------------------------------------------------------------------------------------
def gift_menu() -> list[Gift]:
    """The gift menu customers choose from: on the menu, in use, in stock (by name)."""
    return list(Gift.objects.filter(on_menu=True, active=True, stock__gt=0).order_by("name"))


def gifts_offered(*, include: int | None = None) -> list[Gift]:
    """What a request may ask for: every gift in use and in stock (the menu first), and `include`
    (the gift a link names) even when it is not."""
    gifts = Gift.objects.filter(Q(active=True, stock__gt=0) | Q(pk=include or 0))
    return list(gifts.order_by("-on_menu", "name"))


def gift_list(*, show_all: bool = False) -> QuerySet[Gift]:
    """The catalogue with, per gift, how many are approved and not yet sent (promised from the stock)."""
    gifts = Gift.objects.all() if show_all else Gift.objects.filter(active=True)
    return gifts.annotate(
        waiting=Count("requests", filter=Q(requests__status=S.REQUESTED)),
    ).order_by("-active", "name")


# --- the budgets ------------------------------------------------------------------------------------
def budget_list() -> QuerySet[GiftBudget]:
    """Every period, the latest first, with its requests approved and sent counted."""
    return (GiftBudget.objects.select_related("set_by")
            .annotate(approved_count=Count("requests", filter=Q(requests__status__in=services.CHARGED)))
            .order_by("-starts_on"))


# --- the requests -------------------------------------------------------------------------------------
def sees_every_request(user) -> bool:
    return user.is_superuser or services.can_approve(user) or services.can_send(user) or (
        user.has_perm(VIEW) and not services.can_request(user))


def can_open_requests(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(VIEW)


def visible_requests(user) -> QuerySet[GiftRequest]:
    requests = GiftRequest.objects.all()
    if sees_every_request(user):
        return requests
    if user.has_perm(VIEW):
        return requests.filter(requested_by=user)
    return requests.none()


@dataclass(frozen=True)
class RequestFilters:
    tab: str = ALL
    reason: str = ""
    month: date | None = None  # the first day of the month asked for (by the request's date)
    name: str = ""
    number: int | None = None


def _filtered(requests: QuerySet[GiftRequest], *, filters: RequestFilters) -> QuerySet[GiftRequest]:
    if filters.reason:
        requests = requests.filter(reason=filters.reason)
    if filters.month is not None:
        tz = timezone.get_current_timezone()
        start = datetime(filters.month.year, filters.month.month, 1, tzinfo=tz)
        end = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=tz)
        requests = requests.filter(requested_at__gte=start, requested_at__lt=end)
    if filters.number is not None:
        requests = requests.filter(pk=filters.number)
    if filters.name:
        requests = requests.filter(customer__name__contains=filters.name)
    return requests


def request_list(*, user, filters: RequestFilters) -> QuerySet[GiftRequest]:
    requests = _filtered(visible_requests(user), filters=filters)
    if filters.tab in S.values:
        requests = requests.filter(status=filters.tab)
    return (requests.select_related("customer", "gift", "family_member", "requested_by", "decided_by", "event")
            .order_by("-requested_at", "-id"))


def tab_counts(*, user, filters: RequestFilters) -> dict[str, int]:
    """How many requests each tab holds with the other filters as they are: one query."""
    requests = _filtered(visible_requests(user), filters=filters)
    return requests.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in S.values},
                              **{ALL: Count("pk")})


def request_detail(*, requests: QuerySet[GiftRequest], pk: int) -> GiftRequest:
    return (requests.select_related("customer", "gift", "family_member", "event", "requested_by", "decided_by",
                                    "sent_by", "cancelled_by", "budget")
            .get(pk=pk))


# --- the general manager's queue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Waiting:
    request: GiftRequest
    year_so_far: Decimal  # the customer's approved gifts this year
    cap_left: Decimal
    over_cap: bool
    over_budget: bool
    out_of_stock: bool


def approval_queue(*, today: date, limit: int | None = None) -> tuple[list[Waiting], GiftBudget | None]:
    """The requests waiting for a decision (the oldest first), each with the customer's year so far
    and whether it would pass the cap, the budget or the stock; and the budget of today's period.
    Three queries whatever the queue holds."""
    from django.conf import settings

    budget = services.budget_for(today)
    waiting = (GiftRequest.objects.filter(status=S.REQUESTED)
               .select_related("customer", "gift", "family_member", "requested_by", "event")
               .order_by("requested_at", "id"))
    rows = list(waiting[:limit] if limit else waiting)
    tz = timezone.get_current_timezone()
    year_start, year_end = datetime(today.year, 1, 1, tzinfo=tz), datetime(today.year + 1, 1, 1, tzinfo=tz)
    totals = dict(GiftRequest.objects.filter(
        customer_id__in={row.customer_id for row in rows}, status__in=services.CHARGED,
        decided_at__gte=year_start, decided_at__lt=year_end,
    ).values("customer_id").annotate(total=Sum(F("unit_cost") * F("quantity"))).values_list("customer_id", "total"))
    cap = Decimal(settings.GIFT_CAP_PER_CUSTOMER_YEAR)
    remaining = budget.remaining if budget is not None else Decimal(0)
    queue = []
    for row in rows:
        so_far = Decimal(totals.get(row.customer_id) or 0)
        queue.append(Waiting(request=row, year_so_far=so_far, cap_left=max(cap - so_far, Decimal(0)),
                             over_cap=so_far + row.total > cap, over_budget=budget is None or row.total > remaining,
                             out_of_stock=row.gift.stock < row.quantity))
    return queue, budget


def waiting_count() -> int:
    return GiftRequest.objects.filter(status=S.REQUESTED).count()


# --- the home panels and the customer page ------------------------------------------------------------------
def my_waiting(*, user) -> QuerySet[GiftRequest]:
    return GiftRequest.objects.filter(status=S.REQUESTED, requested_by=user)


def to_send(*, user) -> QuerySet[GiftRequest]:
    """Approved and not yet sent: all of them for who posts gifts, the user's own for who asked."""
    approved = GiftRequest.objects.filter(status=S.APPROVED)
    if services.can_send(user):
        return approved
    return approved.filter(requested_by=user)


def customer_requests(*, customer_id: int, limit: int, user=None) -> list[GiftRequest]:
    """The customer's requests, the latest first: those `user` may open (their own only for who asks
    for gifts without deciding or sending them), all of them without a user."""
    requests = GiftRequest.objects.all() if user is None else visible_requests(user)
    return list(requests.filter(customer_id=customer_id)
                .select_related("gift", "family_member", "requested_by")
                .order_by("-requested_at", "-id")[:limit])
