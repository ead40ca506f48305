"""The leads' demo: a small seeded store's leads, checked with the workflow's own rules (the states a
story may end in, the steps in order, the referral kept in the archive) rather than the demo's."""

import hashlib
import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.management.commands.seed_demo import app_demo_seeders
from customers.models import Customer, TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.roles import Role
from followups.callbacks.demo import demo_seed as callbacks_seed
from followups.leads import demo
from followups.leads.demo import demo_seed, lead_count
from followups.leads.models import Lead, LeadStep
from followups.leads.selectors import leads_to_follow
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)  # a Monday afternoon
CUSTOMERS = 800
S = Lead.Status
A = LeadStep.Action
OPEN = {S.NEW, S.ASSIGNED, S.FOLLOWING}


@pytest.fixture
def staff(db):
    default_callback_rules()
    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("agent", "李娜", Role.CALLBACK_AGENT), ("sales", "孙伟", Role.SALES_MANAGER),
        ("showroom", "周敏", Role.SALES_SUPERVISOR), ("interviewer", "吴静", Role.INTERVIEWER),
        ("lounge", "郑丽", Role.LOUNGE_HOST))}


def _customers(seed: int, count: int) -> range:
    first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
    seed_customers(count=count, seed=seed, today=TODAY, messages=False)
    ids = range(first, first + count)
    callbacks_seed(seed=seed, customer_ids=ids, now=NOW)
    return ids


@pytest.fixture
def store(staff):
    with timezone.override(SHANGHAI):
        ids = _customers(5, CUSTOMERS)
        started = time.monotonic()
        counts = demo_seed(seed=5, customer_ids=ids, now=NOW)
        seconds = time.monotonic() - started
    return {"ids": ids, "counts": counts, "seconds": seconds}


def test_one_lead_per_40_customers_in_every_state_and_nothing_after_now(store):
    assert Lead.objects.count() == lead_count(CUSTOMERS) == 20
    assert set(Lead.objects.values_list("status", flat=True)) == set(S.values)
    assert min(Lead.objects.values_list("created_at", flat=True)) >= NOW - timedelta(days=demo.HISTORY_DAYS + 1)
    assert not LeadStep.objects.filter(at__gt=NOW).exists()
    counts = store["counts"]
    assert counts["lead"] == 20 and counts["leadstep"] == LeadStep.objects.count()
    assert counts["timelineentry"] == TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LEAD).count() > 0


def test_it_is_fast(store):
    assert store["seconds"] < 5  # 20 leads through the services; a 2,000-customer store has 50


def test_each_lead_moved_only_as_the_workflow_allows(store):
    for lead in Lead.objects.prefetch_related("steps"):
        steps = list(lead.steps.all())
        actions = [step.action for step in steps]
        assert actions[0] == A.CREATED and steps[0].at == lead.created_at
        assert [step.at for step in steps] == sorted(step.at for step in steps)
        state = S.NEW
        for action in actions[1:]:
            if action == A.ASSIGNED:
                assert state in OPEN
                state = S.ASSIGNED if state == S.NEW else state
            elif action == A.CONTACTED:
                assert state in {S.ASSIGNED, S.FOLLOWING}
                state = S.FOLLOWING
            elif action in (A.WON, A.LOST):
                assert state in OPEN
                state = S.WON if action == A.WON else S.LOST
            elif action == A.REOPENED:
                assert state in {S.WON, S.LOST}
                state = S.ASSIGNED
        assert state == lead.status
        if lead.status in OPEN and lead.status != S.NEW:
            assert lead.assigned_to.username in {"showroom", "sales"} and lead.next_contact_on is not None


def test_the_home_panels_have_work_new_due_today_and_overdue(store, staff):
    open_leads = Lead.objects.filter(status__in=OPEN)
    assert open_leads.filter(status=S.NEW, assigned_to__isnull=True).exists()
    assert open_leads.filter(next_contact_on__lt=TODAY).exists()
    assert open_leads.filter(next_contact_on=TODAY).exists()
    assert open_leads.filter(next_contact_on__gt=TODAY).exists()
    assert leads_to_follow(user=staff["sales"], today=TODAY).exists()
    assert leads_to_follow(user=staff["showroom"], today=TODAY).exists()


def test_referrals_keep_who_referred_whom_and_the_buyers_are_in_the_archive(store):
    referrals = Lead.objects.filter(referred_by__isnull=False)
    assert referrals.exists() and set(referrals.values_list("source", flat=True)) == {Lead.Source.REFERRAL}
    for lead in Lead.objects.filter(status=S.WON).select_related("customer"):
        assert lead.customer is not None
        if lead.referred_by_id:
            assert lead.customer.referred_by_id == lead.referred_by_id
    raised_on_calls = Lead.objects.filter(source=Lead.Source.CALLBACK).select_related("callback")
    assert raised_on_calls.exists()
    for lead in raised_on_calls:
        assert lead.callback.customer_id == lead.customer_id


def test_lost_leads_have_their_reason_and_the_texts_are_chinese(store):
    assert all(Lead.objects.filter(status=S.LOST).values_list("close_reason", flat=True))
    entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LEAD)
    titles = {entry_text(kind=e.kind, params=e.params, title=e.title, body=e.body).title for e in entries}
    assert all("线索" in title for title in titles) and len(titles) > 10


def _digest() -> str:
    rows = Lead.objects.order_by("created_at", "name").values_list(
        "name", "mobile", "status", "source", "model_interest", "next_contact_on", "created_at", "close_reason")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def _forget_leads() -> None:
    Customer.all_objects.filter(mobile__startswith=demo.NEW_PERSON_PREFIX).update(referred_by=None)
    TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LEAD).delete()
    Lead.objects.all().delete()
    Customer.all_objects.filter(mobile__startswith=demo.NEW_PERSON_PREFIX).delete()
    Customer.all_objects.update(referred_by=None)


def test_the_same_seed_gives_the_same_leads_and_another_seed_others(store):
    first = _digest()
    with timezone.override(SHANGHAI):
        _forget_leads()
        demo_seed(seed=5, customer_ids=store["ids"], now=NOW)
        assert _digest() == first
        _forget_leads()
        demo_seed(seed=6, customer_ids=store["ids"], now=NOW)
        assert _digest() != first


def test_a_second_run_for_the_same_customers_adds_nothing(store):
    before = (Lead.objects.count(), LeadStep.objects.count(), TimelineEntry.objects.count())
    with timezone.override(SHANGHAI):
        added = demo_seed(seed=5, customer_ids=store["ids"], now=NOW)
    assert set(added.values()) == {0}
    assert (Lead.objects.count(), LeadStep.objects.count(), TimelineEntry.objects.count()) == before


def test_without_a_sales_manager_there_are_no_leads(db):
    with timezone.override(SHANGHAI):
        ids = _customers(8, 80)
        assert set(demo_seed(seed=8, customer_ids=ids, now=NOW).values()) == {0}


def test_a_big_store_gets_one_lead_per_40_customers_up_to_300():
    stories = len(set(demo.STORIES))
    assert lead_count(2_000) == 50
    assert lead_count(100) == stories  # every story, however small the store
    assert lead_count(1_000_000) == demo.MAXIMUM == 300
    assert lead_count(5) == 5 and lead_count(0) == 0


def test_seed_demo_finds_the_leads_demo():
    assert demo_seed in app_demo_seeders()
