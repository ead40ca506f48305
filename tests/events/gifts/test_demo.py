"""The gifts' demo: a small seeded store's catalogue, budgets and requests, checked with the
workflow's own rules (the budget never passed, the stock never below zero, nobody deciding their own,
every state and reason there, the sent ones with a courier, the timeline's entries), deterministic,
and never twice."""

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F, Max, Sum
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.roles import Role
from events.gifts.demo import CATALOGUE, demo_seed, request_count
from events.gifts.models import Gift, GiftBudget, GiftRequest
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=SHANGHAI)
CUSTOMERS = 600


@pytest.fixture
def staff(db):
    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("gm", "陈建国", Role.GENERAL_MANAGER), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
        ("agent", "李娜", Role.CALLBACK_AGENT), ("interviewer", "吴静", Role.INTERVIEWER))}


def _customers(seed: int, count: int) -> range:
    first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
    seed_customers(count=count, seed=seed, today=TODAY, messages=False)
    return range(first, first + count)


@pytest.fixture
def store(staff):
    with timezone.override(SHANGHAI):
        ids = _customers(7, CUSTOMERS)
        counts = demo_seed(seed=7, customer_ids=ids, now=NOW)
    return {"ids": ids, "counts": counts}


def test_the_catalogue_and_the_budgets_of_the_last_months_and_this_one(store):
    assert Gift.objects.count() == len(CATALOGUE)
    assert Gift.objects.filter(for_children=True, active=True, stock__gt=0).exists()
    assert list(GiftBudget.objects.order_by("starts_on").values_list("name", flat=True)) == [
        "2026年9月", "2026年10月", "2026年11月", "2026年12月"]
    assert GiftBudget.objects.get(name="2026年12月").ends_on == date(2026, 12, 31)


def test_requests_in_every_state_and_for_every_reason(store):
    requests = GiftRequest.objects.filter(customer_id__in=store["ids"])
    assert requests.count() == store["counts"]["giftrequest"] >= request_count(CUSTOMERS) - 2
    assert set(requests.values_list("status", flat=True)) == set(GiftRequest.Status.values)
    assert {"birthday", "child_birthday", "interview", "complaint"} <= set(requests.values_list("reason", flat=True))
    assert all(request.family_member.customer_id == request.customer_id and request.family_member.relation == "child"
               for request in requests.filter(reason="child_birthday").select_related("family_member"))
    sent = requests.filter(status="sent")
    assert sent.filter(delivery="post").exclude(courier="").exclude(tracking_number="").exists()
    assert not sent.filter(delivery="post", courier="").exists()
    assert sent.filter(delivery="in_store").exists()


def test_the_demo_keeps_the_rules(store, staff):
    for budget in GiftBudget.objects.all():
        charged = budget.requests.filter(status__in=["approved", "sent"]).aggregate(
            total=Sum(F("unit_cost") * F("quantity")))["total"] or Decimal(0)
        assert budget.committed == charged <= budget.amount
    assert not Gift.objects.filter(stock__lt=0).exists()
    assert not GiftRequest.objects.filter(decided_by=F("requested_by")).exists()
    assert set(GiftRequest.objects.exclude(decided_by=None).values_list("decided_by__username", flat=True)) == {"gm"}
    assert not GiftRequest.objects.filter(status="rejected", decision_comment="").exists()
    cap = Decimal(settings.GIFT_CAP_PER_CUSTOMER_YEAR)
    per_customer = (GiftRequest.objects.filter(status__in=["approved", "sent"], decided_at__year=2026)
                    .values("customer_id").annotate(total=Sum(F("unit_cost") * F("quantity"))))
    assert all(row["total"] <= cap for row in per_customer)
    assert not GiftRequest.objects.filter(requested_at__gt=NOW).exists()


def test_every_step_is_on_the_timeline(store):
    requests = GiftRequest.objects.filter(customer_id__in=store["ids"])
    steps = Counter(TimelineEntry.objects.filter(kind="gift").values_list("params__variant", flat=True))
    assert steps["requested"] == requests.count()
    assert steps["approved"] == requests.exclude(budget=None).count()
    assert steps["rejected"] == requests.filter(status="rejected").count()


def test_the_same_seed_gives_the_same_gifts_and_a_second_run_adds_nothing(store):
    first = list(GiftRequest.objects.order_by("requested_at", "id").values_list(
        "customer_id", "gift__name", "reason", "status", "requested_at"))
    with timezone.override(SHANGHAI):
        again = demo_seed(seed=7, customer_ids=store["ids"], now=NOW)
    assert set(again.values()) == {0}
    GiftRequest.objects.all().delete()
    TimelineEntry.objects.filter(kind="gift").delete()
    Gift.objects.update(stock=0)
    Gift.objects.all().delete()
    GiftBudget.objects.all().delete()
    with timezone.override(SHANGHAI):
        demo_seed(seed=7, customer_ids=store["ids"], now=NOW)
    assert list(GiftRequest.objects.order_by("requested_at", "id").values_list(
        "customer_id", "gift__name", "reason", "status", "requested_at")) == first
