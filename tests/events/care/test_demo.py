"""The interviews' and the lounge's demo: a small seeded store, checked with the workflow's own rules
(each interview and visit on the timeline, suggestions of the last week routed as problems, referrals
as leads referred by the customer, gift choices waiting for approval, the important customers' forms,
people waiting now for today's appointments), run twice adding nothing, the same seed giving the same."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.management.commands.seed_demo import app_demo_seeders
from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.roles import Role
from events.care import demo
from events.care.demo import demo_seed
from events.care.models import ImportantCustomerForm, Interview, LoungeVisit, Suggestion
from events.care.selectors import lounge_waiting
from events.gifts.models import Gift, GiftRequest
from followups.leads.models import Lead
from tests.factories import UserFactory
from tests.followups.factories import book

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=SHANGHAI)
CUSTOMERS = 600

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    for name, price, stock in (("品牌定制保温杯", "68.00", 50), ("车载香薰", "45.00", 50), ("儿童绘本套装", "59.00", 50)):
        Gift.objects.create(name=name, unit_cost=Decimal(price), stock=stock)
    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("interviewer", "吴静", Role.INTERVIEWER), ("lounge", "郑丽", Role.LOUNGE_HOST))}


def _customers(seed: int, count: int) -> range:
    first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
    seed_customers(count=count, seed=seed, today=TODAY, messages=False)
    return range(first, first + count)


@pytest.fixture
def store(staff):
    with timezone.override(SHANGHAI):
        ids = _customers(7, CUSTOMERS)
        # Two of the afternoon's customers checked in for their appointments.
        booked = []
        for customer in Customer.objects.filter(pk__in=ids, vehicle_roles__isnull=False).distinct().order_by("id")[:2]:
            vehicle = customer.vehicle_roles.first().vehicle
            booked.append(book(vehicle, at=datetime(2026, 12, 3, 14, 0, tzinfo=SHANGHAI), customer=customer,
                               status="arrived"))
        counts = demo_seed(seed=7, customer_ids=ids, now=NOW)
    return {"ids": ids, "counts": counts, "booked": booked}


def test_it_is_one_of_the_store_s_demos(db):
    assert demo_seed in app_demo_seeders()


def test_the_counts_follow_the_store_s_size(store):
    assert store["counts"]["interview"] == Interview.objects.count() == max(demo.MINIMUM, CUSTOMERS // 50)
    assert store["counts"]["loungevisit"] == LoungeVisit.objects.count() == max(demo.MINIMUM, CUSTOMERS // 25)


def test_every_interview_and_visit_is_on_the_timeline(store):
    interviews = Interview.objects.count()
    assert TimelineEntry.objects.filter(kind="interview").count() == interviews
    visits = LoungeVisit.objects.count()
    assert TimelineEntry.objects.filter(kind="lounge", params__variant="arrived").count() == visits
    assert TimelineEntry.objects.filter(kind="lounge", params__variant="left").count() == \
        LoungeVisit.objects.filter(left_at__isnull=False).count()


def test_today_has_interviews_people_waiting_and_people_who_left(store):
    start = datetime(2026, 12, 3, tzinfo=SHANGHAI)
    assert Interview.objects.filter(held_at__gte=start).count() == 2
    waiting = lounge_waiting()
    assert len(waiting) == demo.WAITING_NOW
    assert all(NOW - timedelta(hours=2) < visit.arrived_at < NOW for visit in waiting)
    assert {visit.appointment for visit in waiting if visit.appointment} == set(store["booked"])
    left_today = LoungeVisit.objects.filter(arrived_at__gte=start, left_at__isnull=False)
    assert left_today.count() == demo.LEFT_TODAY
    assert all(visit.arrived_at <= visit.left_at < NOW for visit in LoungeVisit.objects.filter(left_at__isnull=False))


def test_only_the_last_week_s_suggestions_went_to_the_departments(store):
    week_ago = NOW - timedelta(days=7)
    routed = Suggestion.objects.filter(problem__isnull=False).select_related("interview", "problem")
    assert all(suggestion.interview.held_at >= week_ago for suggestion in routed)
    assert all(suggestion.problem.customer_id == suggestion.interview.customer_id for suggestion in routed)
    assert Suggestion.objects.filter(interview__held_at__lt=week_ago).exists()


def test_referrals_are_leads_referred_by_the_customer_and_gifts_wait_for_the_general_manager(store):
    interviews = Interview.objects.prefetch_related("referrals__lead").select_related("gift_request")
    leads = [(interview, referral.lead) for interview in interviews for referral in interview.referrals.all()]
    assert leads and all(lead.referred_by_id == interview.customer_id and lead.source == Lead.Source.REFERRAL
                         for interview, lead in leads)
    gifts = [interview.gift_request for interview in interviews if interview.gift_request]
    assert gifts and all(request.reason == "interview" and request.status == GiftRequest.Status.REQUESTED
                         for request in gifts)


def test_the_important_customers_interviewed_have_their_form(store):
    important = Interview.objects.exclude(customer__importance=Customer.Importance.NORMAL)
    assert all(ImportantCustomerForm.objects.filter(interview=interview).exists() for interview in important)
    assert ImportantCustomerForm.objects.exists()


def test_the_file_was_filled_in_by_the_interviewer(store, staff):
    interview = Interview.objects.exclude(file_fields=[]).first()
    latest = interview.customer.history.order_by("-history_id").first()
    assert latest.history_user == staff["interviewer"] or latest.history_user == staff["lounge"]


def test_run_twice_it_adds_nothing(store):
    with timezone.override(SHANGHAI):
        again = demo_seed(seed=7, customer_ids=store["ids"], now=NOW)
    assert set(again.values()) == {0}


def test_the_same_seed_gives_the_same_interviews_and_visits(staff):
    def signature(ids: range) -> list:
        return [(interview.customer_id - ids.start, interview.held_at, interview.place, interview.summary,
                 sorted(interview.file_fields), interview.suggestions.count(), interview.referrals.count(),
                 interview.gift_request.gift.name if interview.gift_request else "")
                for interview in Interview.objects.filter(customer_id__in=ids).order_by("held_at", "customer_id")] + [
            (visit.customer_id - ids.start, visit.arrived_at, visit.left_at, visit.offered, visit.needs)
            for visit in LoungeVisit.objects.filter(customer_id__in=ids).order_by("arrived_at", "customer_id")]

    with timezone.override(SHANGHAI):
        first = _customers(11, 300)
        demo_seed(seed=11, customer_ids=first, now=NOW)
        one = signature(first)
        LoungeVisit.objects.filter(left_at__isnull=True).update(left_at=NOW)  # the second store's may sit down
        second = _customers(11, 300)
        demo_seed(seed=11, customer_ids=second, now=NOW)
    assert one and signature(second) == one
