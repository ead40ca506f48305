"""The callback centre's demo: 90 days of a department's work on a small seeded store, checked with
the models' own rules and the services' (the daily build finds nothing left to queue)."""

import hashlib
import random
from collections import Counter
from importlib import import_module
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle
from customers.timeline import entry_text
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from followups.callbacks import demo
from followups.callbacks.demo import demo_seed
from followups.callbacks.models import (
    Answer,
    CallAttempt,
    Callback,
    CallbackKind,
    CallbackRule,
    Outcome,
    Problem,
    ProblemStep,
    ScriptResponse,
)
from followups.callbacks.services.building import IMPORTANCE_BOOST, callbacks_build, callbacks_expire
from followups.callbacks.services.calls import callback_take_next
from followups.callbacks.services.problems import ROUTING
from followups.scripts.selectors import published_version
from followups.scripts.services import answer_clean, answer_is_dissatisfied
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)
CUSTOMERS = 800
TABLES = (Callback, CallAttempt, ScriptResponse, Answer, Problem, ProblemStep)


@pytest.fixture
def staff(db):
    # the data migrations' rules and scripts, also in a reused test database a transactional test emptied
    default_callback_rules()
    import_module("followups.scripts.migrations.0002_seed_scripts").seed(apps, None)
    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("agent", "李娜", Role.CALLBACK_AGENT), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
        ("service", "赵强", Role.SERVICE_MANAGER), ("sales", "孙伟", Role.SALES_MANAGER),
        ("gm", "陈建国", Role.GENERAL_MANAGER))}


def _seed(seed: int = 5, count: int = CUSTOMERS, now: datetime = NOW) -> dict[str, int]:
    first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
    seed_customers(count=count, seed=seed, today=timezone.localdate(now), messages=False)
    return demo_seed(seed=seed, customer_ids=range(first, first + count), now=now)


@pytest.fixture
def history(staff):
    with timezone.override(SHANGHAI):
        counts = _seed()
    return counts


RETENTION_KINDS = {CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK, CallbackKind.NO_SHOW}
# Customer care's calls come from its demos (tests/events/birthdays, tests/events), counted apart too.
CARE_KINDS = {CallbackKind.BIRTHDAY, CallbackKind.INVITATION}


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def test_it_has_each_kind_of_callback_of_the_last_90_days_in_each_state(history):
    by_kind = Counter(Callback.objects.values_list("kind", flat=True))
    # the callback centre's own kinds: retention's calls come from its demo (tests/followups/retention)
    assert set(by_kind) == set(CallbackKind.values) - RETENTION_KINDS - CARE_KINDS
    assert by_kind["requested"] < by_kind["second"] < by_kind["ssi"] < by_kind["csi"]
    statuses = Counter(Callback.objects.values_list("status", flat=True))
    assert {"completed", "open", "lost_contact", "wrong_number", "refused", "expired"} <= set(statuses)
    assert statuses["completed"] > 0.8 * sum(statuses.values())
    assert not {"in_progress", "sms_sent", "skipped", "cancelled"} & set(statuses)
    first_due = min(Callback.objects.values_list("due_at", flat=True))
    assert _local_day(first_due) >= TODAY - timedelta(days=90)
    # due after today: a second callback of a fix made today, a time a customer asked for, or the next
    # try of a call made today
    later = Callback.objects.filter(due_at__gte=datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=SHANGHAI))
    assert not later.exclude(kind__in=[CallbackKind.SECOND, CallbackKind.REQUESTED]).filter(attempts=0).exists()
    assert not Callback.objects.filter(due_at__gte=datetime.combine(TODAY + timedelta(days=5), time(0), tzinfo=SHANGHAI))
    assert history["callback"] == Callback.objects.count()


def test_each_callback_comes_from_a_delivery_or_repair_order_of_the_window_with_the_builds_key(history):
    for callback in Callback.objects.filter(kind__in=["thank_you", "ssi"]).select_related("vehicle", "rule"):
        day = (callback.created_on - callback.vehicle.delivery_date).days  # queued on its wave's day
        assert day in callback.rule.due_days and callback.source_key == f"delivery:{callback.vehicle_id}:d{day}"
        assert callback.customer.vehicle_roles.filter(vehicle=callback.vehicle, kind="owner").exists()
    for callback in Callback.objects.filter(kind=CallbackKind.CSI).select_related("visit", "rule"):
        assert callback.visit.kind != ServiceVisit.Kind.INTERNAL and callback.rule.visit_kind == callback.visit.kind
        assert (callback.created_on - callback.visit.closed_on).days == 3
        assert callback.source_key == f"visit:{callback.visit_id}:d3" and callback.customer_id == callback.visit.customer_id
    for callback in Callback.objects.filter(kind=CallbackKind.SECOND).select_related("problem"):
        assert callback.source_key.startswith(f"problem:{callback.problem_id}:")
        assert callback.customer_id == callback.problem.customer_id
    # The day's build finds each wave and repair order queued already, and nothing has to expire.
    assert callbacks_expire(now=NOW) == 0
    counts = callbacks_build(on=TODAY, now=NOW)
    assert (counts["thank_you"], counts["ssi"], counts["csi"]) == (0, 0, 0)


def test_the_attempts_are_counted_when_made_and_none_is_in_the_future(history):
    figures = Callback.objects.annotate(made=Count("call_attempts"), last=Max("call_attempts__made_at"))
    for callback in figures:
        assert callback.attempts == callback.made
        assert callback.last_attempt_at == callback.last
    assert not CallAttempt.objects.filter(made_at__gt=NOW).exists()
    assert not Callback.objects.filter(closed_at__gt=NOW).exists()
    completed = Callback.objects.filter(status="completed")
    assert not completed.exclude(last_outcome=Outcome.COMPLETED).exists()
    # some customers answered only at the second or third try, and some asked to be called back later
    assert completed.filter(attempts__gte=2, call_attempts__outcome=Outcome.NO_ANSWER).exists()
    assert completed.filter(call_attempts__outcome=Outcome.BUSY).exists()
    assert completed.filter(call_attempts__outcome=Outcome.CALL_BACK).exists()
    for callback in Callback.objects.filter(status="lost_contact").select_related("rule").prefetch_related("call_attempts"):
        attempts = list(callback.call_attempts.all())
        assert len(attempts) == callback.rule.max_attempts
        assert {a.outcome for a in attempts} <= {Outcome.NO_ANSWER, Outcome.BUSY}
        days = {_local_day(a.made_at) for a in attempts}  # on different days, at another time of day each
        assert len(days) >= min(callback.rule.attempt_days, callback.rule.max_attempts)
        assert len({timezone.localtime(a.made_at, SHANGHAI).hour for a in attempts}) > 1
    for callback in Callback.objects.filter(status__in=["wrong_number", "refused"]):
        assert callback.last_outcome == callback.status  # the outcome's code is the status's
    for callback in Callback.objects.filter(status="expired"):
        assert callback.expires_at <= callback.closed_at <= NOW and callback.close_reason == "expired"


def test_the_answers_are_the_scripts_questions_mostly_satisfied_some_not(history):
    responses = ScriptResponse.objects.select_related("callback__vehicle").prefetch_related("answers__question")
    assert responses.count() == Callback.objects.filter(status="completed").count()
    scores = Counter()
    for response in responses:
        callback = response.callback
        version = published_version(kind=CallbackKind(callback.kind).script_kind, brand=callback.vehicle.brand)
        assert response.version_id == version.pk and response.answered_by_id == callback.closed_by_id
        questions = {q.pk: q for q in version.questions.all()}
        answers = list(response.answers.all())
        assert {a.question_id for a in answers} <= set(questions)
        assert {q.pk for q in questions.values() if q.required} <= {a.question_id for a in answers}
        for answer in answers:
            raw = str(answer.score) if answer.score is not None else answer.value
            assert answer_clean(question=answer.question, raw=raw) == (answer.score, answer.value)
            assert answer.dissatisfied == answer_is_dissatisfied(question=answer.question, score=answer.score,
                                                                 value=answer.value)
            if answer.score is not None:
                scores[answer.score] += 1
        given = [a.score for a in answers if a.score is not None]
        mean = (Decimal(sum(given)) / len(given)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert response.average_score == mean
        assert response.dissatisfied == any(a.dissatisfied for a in answers)
    dissatisfied = responses.filter(dissatisfied=True).count()
    assert 0.05 * responses.count() < dissatisfied < 0.3 * responses.count()
    assert sum(scores[n] for n in (8, 9, 10)) > 0.85 * sum(scores.values())
    assert all(scores[n] for n in (3, 4, 5, 6)) and not any(scores[n] for n in (0, 1, 2))


def test_problems_are_in_every_state_of_their_life(history):
    problems = Problem.objects.all()
    statuses = Counter(problems.values_list("status", flat=True))
    assert set(statuses) == set(Problem.Status.values)
    assert problems.filter(status="open", deadline_at__lt=NOW).exists()  # overdue
    assert problems.filter(status="open", deadline_at__gt=NOW).exists()
    assert problems.filter(round__gte=2).exists()  # not satisfied with the first fix
    assert not problems.filter(is_complaint=True).exists()  # complaints are the complaints' demo's records
    waiting = problems.filter(status="fixed")
    assert Callback.objects.filter(problem__in=waiting, status="open",
                                   due_at__lt=datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=SHANGHAI)).exists()
    for problem in problems.prefetch_related("steps", "second_callbacks"):
        steps = [step.action for step in problem.steps.all()]
        assert steps[0] == ProblemStep.Action.RAISED
        assert ProblemStep.Action.ESCALATED not in steps
        assert problem.round == 1 + steps.count(ProblemStep.Action.REOPENED)
        assert problem.raised_by.has_role(Role.CALLBACK_AGENT)
        assert problem.answer.response.callback_id == problem.callback_id and problem.answer.dissatisfied
        seconds = sorted(problem.second_callbacks.all(), key=lambda c: c.source_key)
        assert [c.source_key for c in seconds] == [f"problem:{problem.pk}:{n}" for n in range(1, len(seconds) + 1)]
        assert len(seconds) == steps.count(ProblemStep.Action.FIXED)
        if problem.status in ("fixed", "satisfied"):
            assert problem.fixed_by.has_role(ROUTING[problem.department]) and problem.cause and problem.fix
        if problem.status == "fixed":
            assert seconds[-1].status in ("open", "expired", "lost_contact", "refused", "wrong_number")
        if problem.status == "satisfied":
            assert steps[-1] == ProblemStep.Action.CONFIRMED
            assert seconds[-1].status == "completed" and not seconds[-1].responses.get().dissatisfied
            assert problem.closed_at == seconds[-1].closed_at
        if problem.status == "closed":
            assert steps[-1] == ProblemStep.Action.CLOSED and problem.close_reason
            assert problem.closed_by.has_role(Role.DCRC_SUPERVISOR)
        if problem.status == "open" and problem.round > 1:
            assert seconds[-1].responses.get().dissatisfied


def test_todays_queue_is_full_given_to_agents_and_to_anyone(history, staff):
    end_of_today = datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    queue = Callback.objects.filter(status="open", due_at__lt=end_of_today)
    assert queue.count() >= 10
    start_of_today = datetime.combine(TODAY, time(0), tzinfo=SHANGHAI)
    assert queue.filter(attempts__gte=1, last_attempt_at__lt=start_of_today).exists()  # yesterday's unreached
    assert queue.filter(assigned_to=staff["agent"]).exists()
    assert queue.filter(assigned_to__isnull=True).count() > queue.count() / 3
    assert queue.filter(kind=CallbackKind.SECOND).exists()
    assert not queue.filter(expires_at__lte=NOW).exists()
    # the agents made calls today too, and a team of agents worked the last 90 days
    assert CallAttempt.objects.filter(made_at__gte=start_of_today).exists()
    agents = set(CallAttempt.objects.values_list("agent", flat=True))
    assert staff["agent"].pk in agents and len(agents) == 1 + len(demo.COLLEAGUES)
    assert all(User.objects.get(pk=pk).has_role(Role.CALLBACK_AGENT) for pk in agents)
    assert not User.objects.get(username=demo.COLLEAGUES[0][0]).has_usable_password()
    # "take the next" gives the demo agent one of theirs first, then anyone's, by priority
    theirs = max(queue.filter(assigned_to=staff["agent"], due_at__lte=NOW).values_list("priority", flat=True))
    taken = callback_take_next(agent=staff["agent"], now=NOW)
    assert taken.assigned_to == staff["agent"] and taken.status == "in_progress" and taken.priority == theirs


def test_important_customers_and_those_with_open_problems_come_first(history):
    rule_priority = {rule.pk: rule.priority for rule in CallbackRule.objects.all()}
    built = Callback.objects.filter(kind__in=[CallbackKind.SSI, CallbackKind.CSI]).select_related("customer")
    boosts = Counter(callback.priority - rule_priority[callback.rule_id] for callback in built)
    assert boosts[0] > 0 and boosts[IMPORTANCE_BOOST["important"]] + boosts[10] > 0
    for callback in built.filter(customer__importance="normal"):
        assert callback.priority - rule_priority[callback.rule_id] in (0, 10)  # no complaint boost: no complaints here


def test_every_row_passes_the_models_checks_and_every_entry_reads(history):
    for model in (*TABLES, TimelineEntry):
        for row in model.objects.order_by("?")[:150]:
            row.full_clean(validate_unique=False)
    entries = TimelineEntry.objects.filter(kind__in=["callback", "problem"])
    variants = Counter(entries.values_list("kind", "params__variant"))
    assert {("problem", "raised"), ("problem", "fixed"), ("problem", "confirmed"),
            ("problem", "reopened"), ("problem", "closed"), ("callback", "requested")} <= set(variants)
    assert ("problem", "escalated") not in variants
    # as services.calls writes them: each call an entry, the completing and the last unanswered one in their own words
    statuses = Counter(Callback.objects.values_list("status", flat=True))
    assert variants[("callback", "completed")] == statuses["completed"] == ScriptResponse.objects.count()
    assert variants[("callback", "lost_contact")] == statuses["lost_contact"]
    calls = CallAttempt.objects.count()
    assert variants[("callback", "attempt")] == calls - statuses["completed"] - statuses["lost_contact"]
    assert variants[("callback", "requested")] == Callback.objects.filter(kind="requested").count()
    for entry in entries:
        text = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body)
        assert text.title and "%(" not in text.title
    steps = Counter(ProblemStep.objects.values_list("action", flat=True))
    assert variants[("problem", "fixed")] == steps["fixed"] and variants[("problem", "closed")] == steps["closed"]
    assert variants[("problem", "raised")] == steps["raised"]
    problems = {str(pk) for pk in Problem.objects.values_list("pk", flat=True)}
    assert set(entries.filter(kind="problem").values_list("source_id", flat=True)) == problems


def _digest() -> str:
    digest = hashlib.sha256()
    for model in (*TABLES, TimelineEntry):
        names = [f.attname for f in model._meta.concrete_fields]
        rows = model.objects.filter(kind__in=["callback", "problem"]) if model is TimelineEntry else model.objects
        for row in rows.order_by("id").values_list(*names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _empty():
    from django.db import connection, transaction

    from customers.demo import WRITTEN

    with transaction.atomic(), connection.cursor() as cursor:  # the foreign keys checked at the end
        for model in (*reversed(TABLES), *reversed(WRITTEN)):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def test_the_same_seed_gives_the_same_history_and_another_seed_another(staff):
    with timezone.override(SHANGHAI):
        _seed(seed=9, count=150)
        first = _digest()
        _empty()
        _seed(seed=9, count=150)
        assert _digest() == first
        _empty()
        _seed(seed=10, count=150)
        assert _digest() != first


def test_a_second_run_for_the_same_customers_adds_nothing(history):
    before = {model: model.objects.count() for model in (*TABLES, TimelineEntry)}
    first = Customer.all_objects.order_by("id").values_list("id", flat=True).first()
    assert demo_seed(seed=5, customer_ids=range(first, first + CUSTOMERS), now=NOW) == {
        model._meta.model_name: 0 for model in (*TABLES, TimelineEntry)}
    assert {model: model.objects.count() for model in (*TABLES, TimelineEntry)} == before


def test_the_history_follows_the_deliveries_and_repair_orders_of_the_last_90_days(history):
    window = TODAY - timedelta(days=90)
    delivered = Vehicle.objects.filter(delivery_date__gte=window - timedelta(days=7))
    closed = ServiceVisit.objects.filter(closed_on__gte=window - timedelta(days=3)).exclude(kind="internal")
    assert not Callback.objects.filter(kind__in=["thank_you", "ssi"]).exclude(vehicle__in=delivered).exists()
    assert not Callback.objects.filter(kind="csi").exclude(visit__in=closed).exists()
    assert Callback.objects.filter(kind="thank_you").count() <= delivered.count()
    assert Callback.objects.filter(kind="csi").count() <= closed.count()
    assert Callback.objects.filter(kind="csi").count() > 0.8 * closed.filter(closed_on__lte=TODAY - timedelta(days=3)).count()


@pytest.fixture
def var_dir(staff, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    return tmp_path


def test_seed_demo_adds_the_history_of_the_customers_it_makes_and_with_if_empty_nothing(var_dir, capsys):
    call_command("seed_demo", customers=200, seed=3)
    out = capsys.readouterr().out
    assert Callback.objects.exists() and Problem.objects.exists()
    # retention's and customer care's demos count their calls apart
    centre = Callback.objects.exclude(kind__in=RETENTION_KINDS | CARE_KINDS).count()
    assert f"callback {centre:,}" in out and "Demo store: customer 200" in out
    first_run = set(Callback.objects.values_list("customer_id", flat=True))
    call_command("seed_demo", customers=200, seed=3, if_empty=True)
    assert set(Callback.objects.values_list("customer_id", flat=True)) == first_run
    call_command("seed_demo", customers=100, seed=4)  # more customers: their own history only
    newest = Customer.objects.order_by("-id")[:100]
    added = set(Callback.objects.values_list("customer_id", flat=True)) - first_run
    assert added and added <= {customer.pk for customer in newest}


def _indexes() -> set[tuple[str, str, tuple]]:
    from django.db import connection

    with connection.cursor() as cursor:
        return {(model._meta.db_table, name, tuple(about["columns"]))
                for model in (*TABLES, TimelineEntry)
                for name, about in connection.introspection.get_constraints(cursor, model._meta.db_table).items()
                if about["index"]}


def test_a_big_load_builds_the_indexes_it_dropped_again_but_leaves_the_timelines(staff, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = _indexes()
    assert any(name == "callback_queue_idx" for _table, name, _columns in before)
    monkeypatch.setattr(demo, "BIG_LOAD", 100)  # as a load of 50,000 customers or more
    with timezone.override(SHANGHAI), CaptureQueriesContext(connection) as queries:
        counts = _seed(count=150)
    dropped = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DROP INDEX")]
    assert 'DROP INDEX IF EXISTS "callback_queue_idx"' in dropped
    timeline = {name for table, name, _columns in before if table == TimelineEntry._meta.db_table}
    assert not [sql for sql in dropped if sql.split('"')[1] in timeline]
    assert counts["callback"] > 0 and _indexes() == before


class _SameEveryTime(random.Random):
    """Draws that always come out the same: the first choice, the lowest number, never the rare case."""

    def random(self):
        return 0.99

    def choice(self, seq):
        return seq[0]

    def randrange(self, start, stop=None, step=1):
        return start if stop is not None else 0


def test_a_customer_asking_twice_for_the_same_minute_of_the_same_agent_makes_one_request(history):
    """As services.building.callback_request's get-or-create: one request per agent, customer and minute."""
    rules = {(rule.kind, rule.visit_kind): rule for rule in CallbackRule.objects.all()}
    centre = demo.DemoCallCentre(rng=_SameEveryTime(), now=NOW, ids=demo._next_ids(), staff=demo._staff(),
                                 rules=rules, outcomes={}, versions={}, content_types=dict.fromkeys((Callback, Problem), 1))
    done = Callback.objects.filter(kind="csi", status="completed").select_related("vehicle").first()
    row = {"id": done.pk, "customer_id": done.customer_id, "vehicle_id": done.vehicle_id}
    source = demo.Source(customer_id=done.customer_id, vehicle_id=done.vehicle_id, kind="csi", source_key="x",
                         brand=done.vehicle.brand, rule=done.rule, due_at=done.due_at, expires_at=done.expires_at,
                         created_on=done.created_on, created_at=done.created_at)
    attempt = {"id": 1, "agent_id": centre.staff["agent"], "made_at": NOW - timedelta(days=3)}
    centre._request(row, source, attempt=attempt)
    centre._request(row, source, attempt={**attempt, "id": 2})
    requested = [callback for callback in centre.batch.rows[Callback] if callback["kind"] == "requested"]
    assert len(requested) == 1 and requested[0]["source_key"].startswith(f"request:{centre.staff['agent']}:")
