"""Reads of the birthdays: who has a birthday in the days ahead (customers and their children), with
the greeting each got this year, the birthday call and the child's gift.

`birthdays_ahead` is the contract (the whole window, for the home panel and the other apps);
`birthdays_page` is the list page's: one page of the window in SQL (a UNION of the customers and the
children ordered by the day, then importance), then the page's people, greetings and gifts — six
queries whatever the page holds. Both read the month-and-day indexes (customers/migrations/0021).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, CharField, IntegerField, Q, Value, When

from customers.models import Customer, FamilyMember
from dealer_crm.paging import UncountedPage, uncounted_page

from .days import GIFT_POST_DAYS_BEFORE, age_on, birthday_q, next_birthday, position_of, window
from .models import BirthdayGreeting

CUSTOMER, CHILD = "customer", "child"
IMPORTANT = (Customer.Importance.IMPORTANT, Customer.Importance.VIP)
# The gift requests that count as "requested" for a child's birthday: made in the weeks before it.
GIFT_LOOKBACK_DAYS = 45


@dataclass(frozen=True)
class BirthdayFilters:
    day: date | None = None  # one day of the window
    kind: str = ""  # CUSTOMER, CHILD or both
    important: bool = False  # only important and VIP customers (and their children)


@dataclass
class BirthdayRow:
    kind: str
    customer: Customer
    on: date  # the day it is celebrated
    age: int
    family_member: FamilyMember | None = None
    greeting: BirthdayGreeting | None = None
    gift_requests: list = field(default_factory=list)
    today: date | None = None

    @property
    def name(self) -> str:
        return self.family_member.name if self.family_member is not None else self.customer.name

    @property
    def is_today(self) -> bool:
        return self.on == self.today

    @property
    def is_child(self) -> bool:
        return self.kind == CHILD

    @property
    def important(self) -> bool:
        return self.customer.importance in IMPORTANT

    @property
    def gift_by(self) -> date:
        """The last day to request a child's gift for it to come by post in time."""
        return self.on - timedelta(days=GIFT_POST_DAYS_BEFORE)

    @property
    def gift_late(self) -> bool:
        return self.today is not None and self.today > self.gift_by

    @property
    def greeting_state(self) -> str:
        """"queued", "sent", "failed", "refused", or "" (not greeted yet: the day has not come)."""
        greeting = self.greeting
        if greeting is None:
            return ""
        if greeting.status == BirthdayGreeting.Status.REFUSED:
            return "refused"
        message = greeting.message
        if message is None:
            return "queued"
        if message.status in ("sent", "delivered"):
            return "sent"
        if message.status in ("failed", "cancelled", "unknown"):
            return "failed"
        return "queued"

    @property
    def refused_label(self) -> str:
        from .services import reason_label

        return reason_label(self.greeting.refused_reason) if self.greeting else ""

    @property
    def call_skipped_label(self) -> str:
        from .services import reason_label

        return reason_label(self.greeting.call_skipped) if self.greeting and self.greeting.call_skipped else ""


def _importance_rank(field_name: str) -> Case:
    return Case(When(**{field_name: Customer.Importance.VIP}, then=Value(2)),
                When(**{field_name: Customer.Importance.IMPORTANT}, then=Value(1)),
                default=Value(0), output_field=IntegerField())


def _window_days(*, today: date, days: int, filters: BirthdayFilters) -> list[date]:
    days_ahead = window(today=today, days=days)
    if filters.day is not None:
        return [filters.day] if filters.day in days_ahead else []
    return days_ahead


def _keys(*, today: date, days: int, filters: BirthdayFilters):
    """The window's rows as (kind, id, position, rank, name), in the order the page shows them."""
    days_ahead = _window_days(today=today, days=days, filters=filters)
    customers = (Customer.objects.filter(birthday_q(days_ahead), birthday__lt=today)
                 .annotate(row_kind=Value(CUSTOMER, output_field=CharField()), position=position_of(days_ahead),
                           rank=_importance_rank("importance")))
    children = (FamilyMember.objects.filter(birthday_q(days_ahead), birthday__lt=today,
                                            relation=FamilyMember.Relation.CHILD, customer__merged_into__isnull=True)
                .annotate(row_kind=Value(CHILD, output_field=CharField()), position=position_of(days_ahead),
                          rank=_importance_rank("customer__importance")))
    if filters.important:
        customers = customers.filter(importance__in=IMPORTANT)
        children = children.filter(customer__importance__in=IMPORTANT)
    columns = ("row_kind", "id", "position", "rank", "name")
    if not days_ahead:
        return Customer.objects.none().values_list("id", flat=True), False
    parts = []
    if filters.kind in ("", CUSTOMER):
        parts.append(customers.values_list(*columns).order_by())
    if filters.kind in ("", CHILD):
        parts.append(children.values_list(*columns).order_by())
    keys = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return keys.order_by("position", "-rank", "name", "id"), True


def _rows(keys: list[tuple], *, today: date) -> list[BirthdayRow]:
    """The page's people, this year's greetings and the children's gifts: four queries."""
    customer_ids = [pk for kind, pk, *_r in keys if kind == CUSTOMER]
    child_ids = [pk for kind, pk, *_r in keys if kind == CHILD]
    customers = Customer.objects.in_bulk(customer_ids) if customer_ids else {}
    children = FamilyMember.objects.select_related("customer").in_bulk(child_ids) if child_ids else {}
    rows = []
    for kind, pk, *_rest in keys:
        if kind == CUSTOMER and pk in customers:
            customer = customers[pk]
            on = next_birthday(customer.birthday, today=today)
            rows.append(BirthdayRow(kind=CUSTOMER, customer=customer, on=on, age=age_on(customer.birthday, day=on),
                                    today=today))
        elif kind == CHILD and pk in children:
            child = children[pk]
            on = next_birthday(child.birthday, today=today)
            rows.append(BirthdayRow(kind=CHILD, customer=child.customer, family_member=child, on=on,
                                    age=age_on(child.birthday, day=on), today=today))
    _greetings_attach(rows)
    _gifts_attach([row for row in rows if row.is_child], today=today)
    return rows


def _greetings_attach(rows: list[BirthdayRow]) -> None:
    if not rows:
        return
    match = Q()
    for row in rows:
        if row.is_child:
            match |= Q(family_member_id=row.family_member.pk, year=row.on.year)
        else:
            match |= Q(customer_id=row.customer.pk, family_member__isnull=True, year=row.on.year)
    found = {}
    for greeting in BirthdayGreeting.objects.filter(match).select_related("message", "callback"):
        found[(greeting.family_member_id or 0, greeting.customer_id if not greeting.family_member_id else 0,
               greeting.year)] = greeting
    for row in rows:
        key = (row.family_member.pk, 0, row.on.year) if row.is_child else (0, row.customer.pk, row.on.year)
        row.greeting = found.get(key)


def _gifts_attach(rows: list[BirthdayRow], *, today: date) -> None:
    """Each child's gift requests for this birthday (a child's-birthday gift asked in the weeks before)."""
    if not rows:
        return
    from events.gifts.models import GiftRequest

    since = min(row.on for row in rows) - timedelta(days=GIFT_LOOKBACK_DAYS)
    by_child: dict[int, list] = {}
    for request in (GiftRequest.objects.filter(family_member_id__in=[row.family_member.pk for row in rows],
                                               reason=GiftRequest.Reason.CHILD_BIRTHDAY, requested_at__date__gte=since)
                    .exclude(status__in=[GiftRequest.Status.REJECTED, GiftRequest.Status.CANCELLED])
                    .select_related("gift").order_by("requested_at", "id")):
        by_child.setdefault(request.family_member_id, []).append(request)
    for row in rows:
        row.gift_requests = by_child.get(row.family_member.pk, [])


def birthdays_ahead(*, today: date, days: int = 7, filters: BirthdayFilters | None = None) -> list[BirthdayRow]:
    """Everyone with a birthday in the `days` days from today — customers and their children on
    file — by day, the important first; 7 days from 28 December reach 3 January, and a 29 February
    birthday is on 28 February in a common year. Each row has this year's greeting when made."""
    keys, any_days = _keys(today=today, days=days, filters=filters or BirthdayFilters())
    return _rows(list(keys), today=today) if any_days else []


def birthdays_count(*, today: date, days: int = 7, filters: BirthdayFilters | None = None) -> int:
    keys, any_days = _keys(today=today, days=days, filters=filters or BirthdayFilters())
    return keys.count() if any_days else 0


def birthdays_page(*, today: date, days: int, filters: BirthdayFilters, page: str | None, per_page: int
                   ) -> tuple[UncountedPage, int]:
    """One page of the window (see the module's docstring) and how many rows it has in all."""
    keys, any_days = _keys(today=today, days=days, filters=filters)
    count = keys.count() if any_days else 0
    found = uncounted_page(keys if any_days else [], page, per_page=per_page, rows=count)
    found.object_list = _rows(list(found.object_list), today=today)
    return found, count


def gifts_before(*, customer: Customer, limit: int = 5) -> list:
    """The gifts the customer was given or chose before (the workbench's birthday panel)."""
    from events.gifts.models import GiftRequest

    return list(GiftRequest.objects.filter(customer=customer)
                .exclude(status__in=[GiftRequest.Status.REJECTED, GiftRequest.Status.CANCELLED])
                .select_related("gift", "family_member").order_by("-requested_at", "-id")[:limit])
