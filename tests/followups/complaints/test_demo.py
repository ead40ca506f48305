"""The complaints' demo: a small seeded store's complaints, checked with the workflow's own rules (its
table of moves, the severities' clocks, the case analysis before closing) rather than the demo's."""

import hashlib
import sys
import types
from collections import Counter
from datetime import date, datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer, TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.roles import Role
from followups.callbacks.demo import demo_seed as callbacks_seed
from followups.callbacks.models import CallbackKind
from followups.complaints import demo
from followups.complaints.demo import complaint_count, demo_seed
from followups.complaints.models import (
    CaseAnalysis,
    Complaint,
    ComplaintStep,
    Escalation,
    ImprovementPlan,
    ManufacturerItem,
    Severity,
)
from followups.complaints.services import PAUSABLE, SOLVING, TRANSITIONS, clock_for, follow_up_due
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)  # a Monday afternoon
CUSTOMERS = 300
S = Complaint.Status
A = ComplaintStep.Action
DEMO_OWNERS = {"supervisor", "service", "sales", "gm"}


@pytest.fixture
def staff(db):
    # the data migrations' rows, also in a reused test database a transactional test emptied
    default_callback_rules()
    import_module("followups.scripts.migrations.0002_seed_scripts").seed(apps, None)
    import_module("followups.complaints.migrations.0002_default_severities").create(apps, None)
    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("agent", "李娜", Role.CALLBACK_AGENT), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
        ("service", "赵强", Role.SERVICE_MANAGER), ("sales", "孙伟", Role.SALES_MANAGER),
        ("gm", "陈建国", Role.GENERAL_MANAGER), ("interviewer", "吴静", Role.INTERVIEWER),
        ("lounge", "郑丽", Role.LOUNGE_HOST))}


def _customers(seed: int, count: int) -> range:
    """A store of `count` customers with the callback centre's 90 days, as seed_demo makes it."""
    first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
    seed_customers(count=count, seed=seed, today=TODAY, messages=False)
    ids = range(first, first + count)
    callbacks_seed(seed=seed, customer_ids=ids, now=NOW)
    return ids


@pytest.fixture
def store(staff):
    with timezone.override(SHANGHAI):
        ids = _customers(5, CUSTOMERS)
        counts = demo_seed(seed=5, customer_ids=ids, now=NOW)
    return {"ids": ids, "counts": counts}


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, SHANGHAI)


def test_every_state_is_there_within_the_last_90_days_and_nothing_after_now(store):
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert set(statuses) == set(S.values)
    assert statuses[S.CLOSED] >= 4  # several closed with their case analyses
    assert Complaint.objects.count() == complaint_count(CUSTOMERS) == 20
    assert min(Complaint.objects.values_list("registered_at", flat=True)) >= NOW - timedelta(days=90)
    assert not ComplaintStep.objects.filter(at__gt=NOW).exists()
    assert not ImprovementPlan.objects.filter(done_at__gt=NOW).exists()
    counts = store["counts"]
    assert counts["complaint"] == 20 and counts["complaintstep"] == ComplaintStep.objects.count()
    assert counts["caseanalysis"] == CaseAnalysis.objects.count()
    assert counts["timelineentry"] == TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMPLAINT).count()


def test_each_complaint_moved_only_as_the_workflows_table_allows(store):
    for complaint in Complaint.objects.prefetch_related("steps"):
        steps = list(complaint.steps.all())
        assert steps[0].action == A.REGISTERED and steps[0].to_status == S.REGISTERED
        state = S.REGISTERED
        for step in steps[1:]:
            if step.action in TRANSITIONS:
                move = TRANSITIONS[step.action]
                assert step.from_status == state and state in move.sources and step.to_status == move.target
                state = step.to_status
        assert state == complaint.status
        assert complaint.round == 1 + sum(step.action == A.REOPENED for step in steps)
        moments = [step.at for step in steps]
        assert moments == sorted(moments) and moments[0] == complaint.registered_at


def test_the_owners_are_the_demos_managers_and_supervisor_and_only_a_new_one_is_unassigned(store):
    owned = Complaint.objects.filter(owner__isnull=False)
    assert set(owned.values_list("owner__username", flat=True)) <= DEMO_OWNERS
    assert {"supervisor", "service", "sales"} <= set(owned.values_list("owner__username", flat=True))
    unassigned = Complaint.objects.filter(owner__isnull=True)
    assert unassigned.exists() and set(unassigned.values_list("status", flat=True)) == {S.REGISTERED}
    for complaint in owned:
        assigned = complaint.steps.filter(action=A.ASSIGNED).latest("at", "id")
        assert assigned.params["owner"] == complaint.owner_id and assigned.by.username == "supervisor"


def test_the_deadlines_are_the_severitys_clock_from_the_registration(store):
    plain = Complaint.objects.filter(round=1).exclude(steps__action__in=[A.RECLASSIFIED, A.PAUSED]) \
        .select_related("severity")
    assert plain.count() >= 10
    for complaint in plain:
        clock = clock_for(complaint.severity)
        assert complaint.contact_due_at == clock.add(complaint.registered_at, complaint.severity.first_contact_hours)
        assert complaint.solve_due_at == clock.add(complaint.registered_at, complaint.severity.solve_hours)
    for complaint in Complaint.objects.filter(status=S.SOLVED):
        assert complaint.follow_up_due_at == follow_up_due(complaint.solved_at)


def test_some_are_overdue_on_each_deadline_so_the_escalation_job_has_work(store):
    open_ = Complaint.objects.exclude(status=S.CLOSED)
    assert open_.filter(status=S.REGISTERED, contact_due_at__lt=NOW, owner__isnull=False).exists()
    assert open_.filter(status__in=SOLVING - {S.REGISTERED}, solve_due_at__lt=NOW, paused_at__isnull=True).exists()
    assert open_.filter(status=S.SOLVED, follow_up_due_at__lt=NOW).exists()
    # and some on time
    assert open_.filter(status__in=SOLVING, solve_due_at__gt=NOW).exists()


def test_some_wait_for_the_customer_with_the_clock_paused_and_some_are_in_a_second_round(store):
    paused = Complaint.objects.filter(paused_at__isnull=False)
    assert paused.exists()
    for complaint in paused:
        assert complaint.status in PAUSABLE
        last = complaint.steps.latest("at", "id")
        assert last.action == A.PAUSED and last.note and last.at == complaint.paused_at
    resumed = ComplaintStep.objects.filter(action=A.RESUMED)
    assert all(step.params["paused_seconds"] > 0 for step in resumed)
    second = Complaint.objects.filter(round=2)
    assert second.filter(status=S.CLOSED).exists() and second.exclude(status=S.CLOSED).exists()
    for complaint in second:
        reopened = complaint.steps.get(action=A.REOPENED)
        assert reopened.from_status in TRANSITIONS[A.REOPENED].sources and reopened.note


def test_the_closed_ones_have_a_case_analysis_with_plans_some_done_some_open_some_overdue(store):
    closed = Complaint.objects.filter(status=S.CLOSED)
    for complaint in closed:
        analysis = complaint.analysis
        assert analysis.root_cause in CaseAnalysis.RootCause.values and analysis.root_cause_text
        assert analysis.written_at <= complaint.closed_at and analysis.plans.exists()
        assert complaint.closed_at <= NOW and complaint.satisfied_at <= complaint.closed_at
    plans = ImprovementPlan.objects.filter(analysis__complaint__in=closed)
    assert plans.filter(done_at__isnull=False).exclude(done_note="").exists()
    assert plans.filter(done_at__isnull=True, due_on__lt=TODAY).exists()  # overdue
    assert plans.filter(done_at__isnull=True, due_on__gte=TODAY).exists()  # not yet due
    assert set(plans.values_list("owner__username", flat=True)) <= DEMO_OWNERS
    for plan in plans.filter(done_at__isnull=False).select_related("analysis"):
        assert plan.analysis.written_at < plan.done_at and plan.done_by_id == plan.owner_id
    # a case analysis only on a complaint the customer has confirmed
    assert not CaseAnalysis.objects.exclude(complaint__status__in=[S.SATISFIED, S.CLOSED]).exists()


def test_every_channel_and_severity_and_the_callback_ones_come_from_a_low_score(store):
    assert set(Complaint.objects.values_list("channel", flat=True)) == set(Complaint.Channel.values)
    assert set(Complaint.objects.values_list("severity__code", flat=True)) == {"general", "serious", "major"}
    from_calls = Complaint.objects.filter(channel=Complaint.Channel.CALLBACK).select_related(
        "answer__response__callback", "answer__question")
    for complaint in from_calls:
        response = complaint.answer.response
        assert response.callback == complaint.callback and complaint.callback.customer_id == complaint.customer_id
        assert complaint.callback.kind in (CallbackKind.CSI, CallbackKind.SSI)
        assert complaint.answer.dissatisfied and complaint.answer.score <= 6
        assert str(complaint.answer.score) in complaint.description and response.answered_at < complaint.registered_at
    for complaint in Complaint.objects.filter(channel=Complaint.Channel.MANUFACTURER):
        item = complaint.manufacturer_item
        assert item.customer_name == complaint.customer.name and item.description == complaint.description
        assert item.received_on == _local(complaint.registered_at).date()
        assert item.vin == complaint.vehicle.vin
    assert ManufacturerItem.objects.count() == Complaint.objects.filter(channel="manufacturer").count()


def test_each_step_is_on_the_customers_timeline_in_chinese(store):
    for complaint in Complaint.objects.all():
        entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMPLAINT, params__complaint=complaint.pk)
        shown = set(ComplaintStep.objects.filter(complaint=complaint).exclude(
            action__in=[A.PAUSED, A.RESUMED, A.NOTE, A.RECLASSIFIED]).values_list("action", flat=True))
        assert {entry.params["variant"] for entry in entries} == shown
        assert all(entry.customer_id == complaint.customer_id for entry in entries)
        titles = [entry_text(kind=e.kind, params=e.params, title=e.title, body=e.body).title for e in entries]
        assert all(complaint.number in title for title in titles)
        registered = entries.get(params__variant="registered")
        text = entry_text(kind=registered.kind, params=registered.params, title="", body="")
        assert text.body == complaint.description[:500]
        # the severity it was registered with (the supervisor may have raised it since)
        code = complaint.steps.get(action=A.REGISTERED).params["severity"]
        assert Severity.objects.get(code=code).name in text.title


def test_the_texts_are_chinese_and_vary(store):
    descriptions = list(Complaint.objects.values_list("description", flat=True))
    assert len(set(descriptions)) == len(descriptions)
    solutions = list(ComplaintStep.objects.filter(action=A.AGREED).values_list("note", flat=True))
    assert len(set(solutions)) >= len(solutions) - 2
    causes = list(CaseAnalysis.objects.values_list("root_cause_text", flat=True))
    assert len(set(causes)) == len(causes)
    for text in descriptions + solutions + causes:
        assert "{" not in text and any("\u4e00" <= char <= "\u9fff" for char in text)
    costs = ComplaintStep.objects.filter(action=A.AGREED).values_list("cost", flat=True)
    assert all(cost is not None and cost >= 0 for cost in costs) and len(set(costs)) > 3


def _digest() -> str:
    rows = Complaint.objects.order_by("registered_at", "customer_id").values_list(
        "customer_id", "channel", "category", "severity__code", "status", "round", "owner_id", "registered_at",
        "description", "contact_due_at", "solve_due_at", "paused_at", "closed_at")
    steps = ComplaintStep.objects.order_by("complaint__registered_at", "complaint__customer_id", "at", "id") \
        .values_list("action", "at", "note", "cost")
    return hashlib.sha256(repr((list(rows), list(steps))).encode()).hexdigest()


def _forget_complaints() -> None:
    ManufacturerItem.objects.all().delete()
    TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMPLAINT).delete()
    Complaint.objects.all().delete()


def test_the_same_seed_gives_the_same_complaints_and_another_seed_others(store):
    first = _digest()
    with timezone.override(SHANGHAI):
        _forget_complaints()
        demo_seed(seed=5, customer_ids=store["ids"], now=NOW)
        assert _digest() == first
        _forget_complaints()
        demo_seed(seed=6, customer_ids=store["ids"], now=NOW)
        assert _digest() != first


def test_a_second_run_for_the_same_customers_adds_nothing(store):
    tables = (Complaint, ComplaintStep, CaseAnalysis, ImprovementPlan, ManufacturerItem, Escalation, TimelineEntry)
    before = {model: model.objects.count() for model in tables}
    with timezone.override(SHANGHAI):
        added = demo_seed(seed=5, customer_ids=store["ids"], now=NOW)
    assert set(added.values()) == {0}
    assert {model: model.objects.count() for model in tables} == before


def test_it_runs_the_escalation_job_once_at_now(staff, monkeypatch):
    runs = []
    job = types.ModuleType("followups.complaints.escalation")
    job.complaints_escalate = lambda *, now: runs.append(now) or {}
    monkeypatch.setitem(sys.modules, "followups.complaints.escalation", job)
    with timezone.override(SHANGHAI):
        ids = _customers(7, 150)
        demo_seed(seed=7, customer_ids=ids, now=NOW)
    assert runs == [NOW]


def test_a_big_store_gets_one_complaint_per_150_customers_up_to_400():
    assert complaint_count(2_000) == 20  # 13 by the ratio, but every story and a few more closed
    assert complaint_count(30_000) == 200
    assert complaint_count(100_000) == demo.MAXIMUM == 400
    assert complaint_count(10) == 10 and complaint_count(0) == 0


@pytest.fixture
def var_dir(staff, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    return tmp_path


def test_seed_demo_adds_the_complaints_of_the_customers_it_makes_and_with_if_empty_nothing(var_dir, capsys):
    call_command("seed_demo", customers=150, seed=3)
    out = capsys.readouterr().out
    assert f"complaint {Complaint.objects.count()}," in out and Complaint.objects.count() == 20
    assert Complaint.objects.filter(channel=Complaint.Channel.CALLBACK).exists()  # the callbacks were seeded first
    first_run = set(Complaint.objects.values_list("pk", flat=True))
    call_command("seed_demo", customers=150, seed=3, if_empty=True)
    assert set(Complaint.objects.values_list("pk", flat=True)) == first_run
