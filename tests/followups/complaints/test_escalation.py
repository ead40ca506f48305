"""The escalation chain (followups/complaints/escalation.py): each level's trigger on the store's
working clock, whose desk each goes to, paused and closed complaints left alone, the follow-up on
calendar days, a new round after a reopen, the idempotency (two runs, two workers at once) and the
hour the SMS may go (never at night: the store's next opening, across a public holiday).

The oracles are the published figures: the shipped severities (一般: first contact within 24 working
hours, solved within 72; warned when 25 % of the time is left), the store's hours 08:30–17:30, the
State Council's 2026 calendar (National Day 1–7 October), the follow-up within 7 days.
"""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from followups.complaints.escalation import complaints_escalate
from followups.complaints.models import Escalation, StoreDay
from followups.complaints.services import complaint_move, complaint_pause, complaint_resume

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 25 November 2026, 13:30: 24 working hours later is Monday 30 November, 10:30
# (4 on Wednesday, 9 on Thursday, 9 on Friday, 2 on Monday).
WEDNESDAY_1330 = datetime(2026, 11, 25, 13, 30, tzinfo=SHANGHAI)
CONTACT_DUE = datetime(2026, 11, 30, 10, 30, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def told(complaint) -> set[tuple[str, str, str]]:
    """(deadline, level, role) of the complaint's escalations."""
    return set(Escalation.objects.filter(complaint=complaint).values_list("deadline", "level", "role"))


@pytest.fixture
def wednesday_complaint(register):
    complaint = register(now=WEDNESDAY_1330)
    assert complaint.contact_due_at == CONTACT_DUE  # the clock's own figure, as the oracle above says
    return complaint


# --- each level ----------------------------------------------------------------------------------
def test_the_supervisor_is_told_on_friday_of_a_first_contact_due_on_monday_morning(wednesday_complaint):
    # Friday 13:00: 4.5 working hours on Friday and 2 on Monday are left — more than a quarter of 24.
    complaints_escalate(now=at(11, 27, 13, 0))
    assert told(wednesday_complaint) == set()

    # Friday 13:30: 6 working hours left (4 + 2), although the deadline is 69 hours away.
    result = complaints_escalate(now=at(11, 27, 13, 30))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor")}
    assert result["near"] == 1

    # Over the weekend the working clock stands: nothing passes on Saturday or Sunday.
    complaints_escalate(now=at(11, 28, 12))
    complaints_escalate(now=at(11, 29, 23))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor")}


def test_the_after_sales_manager_is_told_on_monday_morning_when_the_deadline_passes(wednesday_complaint):
    complaints_escalate(now=at(11, 30, 10, 29))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor")}

    complaints_escalate(now=at(11, 30, 10, 30))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor"),
                                         ("contact", "passed", "service_manager")}
    passed = Escalation.objects.get(complaint=wednesday_complaint, level="passed")
    assert passed.due_at == CONTACT_DUE
    assert passed.created_at == at(11, 30, 10, 30)
    assert passed.round == 1


def test_the_general_manager_is_told_once_it_is_late_by_the_deadlines_own_hours(wednesday_complaint):
    # 24 working hours after Monday 10:30: 7 on Monday, 9 on Tuesday, 8 on Wednesday → 16:30.
    complaints_escalate(now=at(12, 2, 16, 29))
    assert ("contact", "late", "general_manager") not in told(wednesday_complaint)

    complaints_escalate(now=at(12, 2, 16, 30))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor"),
                                         ("contact", "passed", "service_manager"),
                                         ("contact", "late", "general_manager")}


def test_a_run_after_a_long_stop_records_every_level_reached_at_once(wednesday_complaint):
    result = complaints_escalate(now=at(12, 3, 9))
    assert told(wednesday_complaint) == {("contact", "near", "dcrc_supervisor"),
                                         ("contact", "passed", "service_manager"),
                                         ("contact", "late", "general_manager")}
    assert (result["near"], result["passed"], result["late"]) == (1, 1, 1)


@pytest.mark.parametrize(("department", "manager"), [
    ("sales", "sales_manager"), ("service", "service_manager"), ("parts", "service_manager"),
    ("finance", "general_manager"), ("other", "dcrc_supervisor"),
])
def test_a_passed_deadline_goes_to_the_manager_of_the_department_concerned(register, department, manager):
    complaint = register(now=WEDNESDAY_1330, department=department, owner=None)
    complaints_escalate(now=CONTACT_DUE)
    assert Escalation.objects.get(complaint=complaint, level="passed").role == manager
    assert Escalation.objects.get(complaint=complaint, level="near").role == "dcrc_supervisor"


def test_after_the_first_contact_the_solution_deadline_escalates_and_the_contacts_no_longer(
        complaint, walk, service_manager):
    complaint = walk(complaint, "investigating")
    complaints_escalate(now=complaint.solve_due_at)
    assert told(complaint) == {("solve", "near", "dcrc_supervisor"), ("solve", "passed", "service_manager")}
    assert Escalation.objects.get(complaint=complaint, level="passed").due_at == complaint.solve_due_at


def test_a_registered_complaint_never_contacted_escalates_its_solution_deadline_too(complaint):
    complaints_escalate(now=complaint.solve_due_at)
    assert {(deadline, level) for deadline, level, _role in told(complaint)} == {
        ("contact", "near"), ("contact", "passed"), ("contact", "late"), ("solve", "near"), ("solve", "passed")}


def test_the_follow_up_is_due_seven_calendar_days_after_the_solution(complaint, walk):
    complaint = walk(complaint, "solved")
    solved_at = complaint.solved_at
    assert complaint.follow_up_due_at == solved_at + timedelta(days=7)

    # A quarter of 7 × 24 calendar hours is 42 hours: nights and the weekend count.
    complaints_escalate(now=complaint.follow_up_due_at - timedelta(hours=42, minutes=1))
    assert told(complaint) == set()
    complaints_escalate(now=complaint.follow_up_due_at - timedelta(hours=42))
    assert told(complaint) == {("follow_up", "near", "dcrc_supervisor")}
    complaints_escalate(now=complaint.follow_up_due_at)
    assert ("follow_up", "passed", "service_manager") in told(complaint)
    complaints_escalate(now=complaint.follow_up_due_at + timedelta(days=7) - timedelta(minutes=1))
    assert ("follow_up", "late", "general_manager") not in told(complaint)
    complaints_escalate(now=complaint.follow_up_due_at + timedelta(days=7))
    assert ("follow_up", "late", "general_manager") in told(complaint)


def test_a_calendar_severity_counts_the_night(register, calendar_severity):
    # First contact within 2 calendar hours: registered at 20:00, passed at 22:00 the same night.
    complaint = register(severity=calendar_severity, now=at(11, 26, 20))
    complaints_escalate(now=at(11, 26, 22))
    assert told(complaint) == {("contact", "near", "dcrc_supervisor"), ("contact", "passed", "service_manager")}


# --- what is left alone --------------------------------------------------------------------------
def test_a_paused_complaint_is_not_escalated_until_its_clock_runs_again(complaint, walk, service_manager):
    complaint = walk(complaint, "investigating")
    paused_at = complaint.steps.latest("at").at + timedelta(minutes=5)
    complaint_pause(complaint=complaint, by=service_manager, note="等客户提供发票", now=paused_at)
    far_later = complaint.solve_due_at + timedelta(days=30)

    assert complaints_escalate(now=far_later)["checked"] == 0
    assert told(complaint) == set()

    # Resumed: the solution deadline has moved on by the clock's time the pause lasted.
    complaint_resume(complaint=complaint, by=service_manager, now=far_later)
    complaint.refresh_from_db()
    assert complaint.solve_due_at > far_later
    complaints_escalate(now=complaint.solve_due_at)
    assert told(complaint) == {("solve", "near", "dcrc_supervisor"), ("solve", "passed", "service_manager")}


def test_a_closed_complaint_is_not_escalated(complaint, walk):
    complaint = walk(complaint, "closed")
    assert complaints_escalate(now=at(12, 31, 10))["checked"] == 0
    assert told(complaint) == set()


def test_a_complaint_awaiting_the_customers_word_has_no_deadline_running(complaint, walk):
    complaint = walk(complaint, "followed_up")
    complaints_escalate(now=at(12, 31, 10))
    assert told(complaint) == set()


def test_a_reopened_complaint_escalates_its_new_round_on_its_own(complaint, walk, service_manager):
    complaint = walk(complaint, "agreed")
    complaints_escalate(now=complaint.solve_due_at)
    reopened_at = complaint.solve_due_at + timedelta(hours=1)
    complaint = complaint_move(complaint=complaint, action="reopened", by=service_manager, note="客户不接受方案",
                               now=reopened_at)
    complaint.refresh_from_db()
    assert complaint.round == 2

    complaints_escalate(now=complaint.solve_due_at)
    rounds = set(Escalation.objects.filter(complaint=complaint).values_list("deadline", "level", "round"))
    assert rounds == {("solve", "near", 1), ("solve", "passed", 1), ("solve", "near", 2), ("solve", "passed", 2)}


# --- idempotency ---------------------------------------------------------------------------------
def test_two_runs_record_each_escalation_once(wednesday_complaint):
    first = complaints_escalate(now=at(12, 3, 9))
    rows = list(Escalation.objects.order_by("id").values_list("id", "level", "created_at"))
    second = complaints_escalate(now=at(12, 3, 9, 5))
    assert list(Escalation.objects.order_by("id").values_list("id", "level", "created_at")) == rows
    assert (first["near"], first["passed"], first["late"]) == (1, 1, 1)
    assert (second["near"], second["passed"], second["late"]) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_record_each_escalation_once(register):
    complaints = [register(now=WEDNESDAY_1330) for _ in range(5)]
    now = at(12, 3, 9)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            with transaction.atomic():  # held open a moment: the other worker's insert meets these rows
                results.append(complaints_escalate(now=now))
                time.sleep(0.3)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert Escalation.objects.count() == 15  # 5 complaints × near, passed, late of the first contact
    for complaint in complaints:
        assert len(told(complaint)) == 3
    # Between them the two workers made each row once.
    assert sum(result["near"] + result["passed"] + result["late"] for result in results) == 15


def test_the_run_reads_the_same_number_of_queries_for_one_complaint_or_many(register):
    register(now=WEDNESDAY_1330)
    with CaptureQueriesContext(connection) as one:
        complaints_escalate(now=at(12, 3, 9))
    for _ in range(8):
        register(now=WEDNESDAY_1330)
    with CaptureQueriesContext(connection) as many:
        assert complaints_escalate(now=at(12, 3, 9, 5))["late"] == 8
    assert len(many.captured_queries) == len(one.captured_queries)


# --- never at night ------------------------------------------------------------------------------
def test_an_escalation_reached_in_opening_hours_is_to_be_told_at_once(wednesday_complaint):
    complaints_escalate(now=CONTACT_DUE)
    assert Escalation.objects.get(level="passed").notify_at == CONTACT_DUE


def test_an_escalation_reached_at_23_00_is_told_at_the_next_opening(register, calendar_severity):
    complaint = register(severity=calendar_severity, now=at(11, 26, 20))
    complaints_escalate(now=at(11, 26, 23))
    assert {e.notify_at for e in Escalation.objects.filter(complaint=complaint)} == {at(11, 27, 8, 30)}


def test_an_escalation_reached_on_the_eve_of_national_day_waits_for_the_holiday_to_end(register, calendar_severity):
    complaint = register(severity=calendar_severity, now=at(9, 30, 20))
    complaints_escalate(now=at(9, 30, 23))
    # 1–7 October are the holiday: the store opens again on Thursday 8 October.
    assert {e.notify_at for e in Escalation.objects.filter(complaint=complaint)} == {at(10, 8, 8, 30)}


def test_the_stores_own_closed_day_is_skipped_too(register, calendar_severity):
    StoreDay.objects.create(day=at(11, 27, 0).date(), is_workday=False, note="店内盘点")
    complaint = register(severity=calendar_severity, now=at(11, 26, 20))
    complaints_escalate(now=at(11, 26, 23))
    # Friday 27 November is closed by the store: Saturday and Sunday are off, so Monday.
    assert {e.notify_at for e in Escalation.objects.filter(complaint=complaint)} == {at(11, 30, 8, 30)}


def test_a_severity_warned_at_no_time_left_tells_the_supervisor_at_the_deadline(register, severities):
    general = severities["general"]
    general.warn_percent = 0
    general.save(update_fields=["warn_percent"])
    complaint = register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE - timedelta(minutes=1))
    assert told(complaint) == set()
    complaints_escalate(now=CONTACT_DUE)
    assert told(complaint) == {("contact", "near", "dcrc_supervisor"), ("contact", "passed", "service_manager")}
