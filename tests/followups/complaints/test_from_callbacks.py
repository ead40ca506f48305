"""转投诉 from the callback centre (`services.problems.complaint_open`, the workbench's one click on a
low score) files a complaint of the complaints app: channel callback, with the callback and the
answer it came from, to the department the call was about — and no problem flagged as a complaint,
as the callback centre raised before the complaints had their own records."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from customers.models import TimelineEntry
from followups.callbacks.models import Callback, CallbackKind, CallbackRule, Problem
from followups.callbacks.services import problems
from followups.callbacks.services.calls import ProblemRaised, callback_complete, callback_take_next
from followups.complaints.models import Complaint, ComplaintStep, Severity
from followups.complaints.services import clock_for
from tests.followups.factories import CustomerFactory, make_callback, make_vehicle, publish_script, raise_problem

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def general(db) -> Severity:
    """The default severity the complaints' migration ships (a transactional test run before may have
    emptied the table), and the second-callback rule for the problem's second callback."""
    CallbackRule.objects.update_or_create(kind=CallbackKind.SECOND, visit_kind="", defaults={
        "due_days": [1], "expires_after_days": 7, "priority": 30, "enabled": True})
    Severity.objects.get_or_create(code="general", defaults={
        "name": "一般", "rank": 1, "first_contact_hours": Decimal(24), "solve_hours": Decimal(72)})
    return Severity.objects.filter(active=True).order_by("rank", "code").first()


def a_callback(customer, kind: str, **kwargs) -> Callback:
    return Callback.objects.create(customer=customer, kind=kind, source_key=f"test:{kind}:{customer.pk}",
                                   due_at=MONDAY_10, created_on=MONDAY_10.date(), **kwargs)


def test_complaint_open_files_a_complaint_of_the_callback_channel_and_raises_no_problem(agent, general):
    customer = CustomerFactory()
    complaint = problems.complaint_open(customer=customer, description="服务顾问态度恶劣，要投诉", by=agent, now=MONDAY_10)

    assert isinstance(complaint, Complaint)
    complaint.refresh_from_db()
    assert (complaint.customer, complaint.channel, complaint.status) == (customer, "callback", "registered")
    assert (complaint.department, complaint.category, complaint.severity) == ("service", "service", general)
    assert (complaint.registered_by, complaint.registered_at, complaint.owner) == (agent, MONDAY_10, None)
    assert complaint.description == "服务顾问态度恶劣，要投诉"
    assert list(complaint.steps.values_list("action", flat=True)) == [ComplaintStep.Action.REGISTERED]
    assert TimelineEntry.objects.filter(customer=customer, kind="complaint").count() == 1
    assert not Problem.objects.filter(customer=customer).exists()


def test_a_complaint_from_an_ssi_call_goes_to_sales_as_a_sales_promise(agent):
    customer = CustomerFactory()
    callback = a_callback(customer, CallbackKind.SSI)
    complaint = problems.complaint_open(customer=customer, description="交车时没讲解功能", by=agent, callback=callback)
    assert (complaint.department, complaint.category, complaint.callback) == ("sales", "promise", callback)


def test_a_complaint_from_a_csi_call_is_of_repair_quality_for_after_sales(agent):
    customer = CustomerFactory()
    callback = a_callback(customer, CallbackKind.CSI)
    complaint = problems.complaint_open(customer=customer, description="修完还是异响", by=agent, callback=callback)
    assert (complaint.department, complaint.category, complaint.channel) == ("service", "repair", "callback")


def test_a_complaint_from_a_second_callback_stays_with_the_problems_department(agent, service_manager):
    problem = raise_problem(by=agent, customer=CustomerFactory(), now=MONDAY_10)
    problem = problems.problem_reassign(problem=problem, department="parts", note="配件问题", by=service_manager)
    problem = problems.problem_fix(problem=problem, cause="c", fix="f", by=service_manager)
    second = problem.second_callbacks.get()
    complaint = problems.complaint_open(customer=problem.customer, description="还是没解决，要投诉", by=agent,
                                        callback=second)
    assert (complaint.department, complaint.callback) == ("parts", second)


def test_a_complaint_without_a_call_keeps_its_car_and_its_deadlines_count_from_the_moment(agent, general):
    customer = CustomerFactory()
    vehicle = make_vehicle(customer, serial=13)
    complaint = problems.complaint_open(customer=customer, description="展厅接待不理人", by=agent, vehicle=vehicle,
                                        now=MONDAY_10)
    complaint.refresh_from_db()
    clock = clock_for(general)
    assert (complaint.vehicle, complaint.registered_at) == (vehicle, MONDAY_10)
    assert complaint.contact_due_at == clock.add(MONDAY_10, general.first_contact_hours)
    assert complaint.solve_due_at == clock.add(MONDAY_10, general.solve_hours)


# --- from the answers of a completed call ---------------------------------------------------------
def held(agent, kind: str = "ssi") -> Callback:
    callback = make_callback(kind=kind, due_at=MONDAY_10 - timedelta(hours=1), expires_at=MONDAY_10 + timedelta(days=5))
    assert callback_take_next(agent=agent, now=MONDAY_10).pk == callback.pk
    callback.refresh_from_db()
    return callback


def complete(agent, callback, version, *, problems_raised):
    q1, q2, q3, q4 = version.questions.order_by("position")
    return callback_complete(callback=callback, agent=agent, version=version, now=MONDAY_10, problems=problems_raised,
                             answers={q1.pk: "3", q2.pk: "no", q3.pk: "会", q4.pk: ""})


def test_a_complaint_raised_from_an_answer_names_the_callback_and_the_answer_beside_a_plain_problem(agent):
    version = publish_script("ssi", published_at=MONDAY_10)
    callback = held(agent)
    q1, q2, *_rest = version.questions.order_by("position")
    response = complete(agent, callback, version, problems_raised=[
        ProblemRaised(question_id=q2.pk, category="staff", department="service", description="顾问没解释"),
        ProblemRaised(question_id=q1.pk, category="", department="", description="只给3分", as_complaint=True)])

    complaint = Complaint.objects.get(callback=callback)
    assert (complaint.answer.question_id, complaint.answer.response_id) == (q1.pk, response.pk)
    assert (complaint.channel, complaint.department, complaint.category) == ("callback", "sales", "promise")
    assert (complaint.description, complaint.registered_at, complaint.vehicle_id) == (
        "只给3分", MONDAY_10, callback.vehicle_id)
    problem = Problem.objects.get(callback=callback)  # the plain problem only
    assert (problem.answer.question_id, problem.is_complaint, problem.raised_at) == (q2.pk, False, MONDAY_10)


def test_one_answer_escalated_twice_is_one_complaint(agent):
    version = publish_script("csi", published_at=MONDAY_10)
    callback = held(agent, kind="csi")
    q1, *_rest = version.questions.order_by("position")
    complete(agent, callback, version, problems_raised=[
        ProblemRaised(question_id=q1.pk, category="", department="", description="只给3分", as_complaint=True)])
    answer = Complaint.objects.get(callback=callback).answer
    again = problems.complaint_open(customer=callback.customer, description="又点了一次", by=agent, callback=callback,
                                    answer=answer)
    assert Complaint.objects.filter(callback=callback).count() == 1 and again.answer == answer
