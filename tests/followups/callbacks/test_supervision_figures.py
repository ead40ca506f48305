"""The supervisor's figures, each against values worked out by hand from the rows made here.

The day is 2026-06-10 in Beijing (UTC+8, no summer time); its first instant is 2026-06-09 16:00 UTC.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.accounts.roles import Role
from followups.callbacks.selectors import supervision as selectors
from tests.factories import UserFactory
from tests.followups.factories import complete, correct, make_attempt, make_callback, raise_problem

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 10, 17, 0, tzinfo=BEIJING)


def at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def zhao(db):
    return UserFactory(username="agent_zhao", display_name="赵敏", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def qian(db):
    return UserFactory(username="agent_qian", display_name="钱坤", roles=[Role.CALLBACK_AGENT])


def row_of(rows, user):
    return next(row for row in rows if row.agent == user)


# --- reach rate -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_reach_rate_is_the_share_of_the_days_called_callbacks_that_reached_the_customer(zhao):
    a, b, c, d, e = (make_callback() for _ in range(5))
    make_attempt(a, agent=zhao, at=at(9), outcome="no_answer")
    make_attempt(a, agent=zhao, at=at(15), outcome="completed")  # reached in the afternoon: counts once
    make_attempt(b, agent=zhao, at=at(9, 30), outcome="busy")
    make_attempt(b, agent=zhao, at=at(14), outcome="busy")
    make_attempt(c, agent=zhao, at=at(10), outcome="refused")  # on the line, said no: reached
    make_attempt(d, agent=zhao, at=at(10, 30), outcome="wrong_number")
    make_attempt(e, agent=zhao, at=at(11), outcome="call_back")  # asked to be called later: reached

    figures = selectors.day_figures(day=DAY)

    # 5 callbacks called (a–e), 3 reached (a, c, e): 3 / 5 = 60.0 %; 7 calls; 1 done (a).
    assert (figures.attempted, figures.reached, figures.attempts, figures.done) == (5, 3, 7, 1)
    assert figures.reach_rate == Decimal("60.0")
    assert row_of(selectors.agents_day(day=DAY), zhao).reach_rate == Decimal("60.0")


@pytest.mark.django_db
@pytest.mark.parametrize(("outcome", "reached"), [
    ("completed", 1), ("refused", 1), ("call_back", 1), ("no_answer", 0), ("busy", 0), ("wrong_number", 0)])
def test_each_outcome_reached_the_customer_or_not(zhao, outcome, reached):
    make_attempt(make_callback(), agent=zhao, at=at(10), outcome=outcome)
    figures = selectors.day_figures(day=DAY)
    assert (figures.attempted, figures.reached) == (1, reached)


@pytest.mark.django_db
def test_only_the_calls_made_on_the_day_count_by_the_stores_clock(zhao):
    yesterday_late, today_first, tomorrow_first = make_callback(), make_callback(), make_callback()
    make_attempt(yesterday_late, agent=zhao, at=at(23, 59, day=DAY - timedelta(days=1)), outcome="completed")
    make_attempt(today_first, agent=zhao, at=at(0, 0), outcome="busy")  # 2026-06-09 16:00 UTC: today in Beijing
    make_attempt(tomorrow_first, agent=zhao, at=at(0, 0, day=DAY + timedelta(days=1)), outcome="completed")

    figures = selectors.day_figures(day=DAY)
    assert (figures.attempted, figures.reached, figures.done) == (1, 0, 0)
    assert figures.reach_rate == Decimal("0.0")


@pytest.mark.django_db
def test_a_day_without_calls_has_no_reach_rate_rather_than_zero(zhao):
    make_attempt(make_callback(), agent=zhao, at=at(10, day=DAY - timedelta(days=1)), outcome="completed")
    figures = selectors.day_figures(day=DAY)
    assert figures.attempted == 0 and figures.reach_rate is None
    assert row_of(selectors.agents_day(day=DAY), zhao).reach_rate is None


@pytest.mark.django_db
def test_a_callback_two_agents_called_counts_once_for_the_day_and_once_for_each(zhao, qian):
    shared = make_callback()
    make_attempt(shared, agent=zhao, at=at(9), outcome="no_answer")
    make_attempt(shared, agent=qian, at=at(16), outcome="completed")

    figures = selectors.day_figures(day=DAY)
    rows = selectors.agents_day(day=DAY)
    assert (figures.attempted, figures.reached, figures.reach_rate) == (1, 1, Decimal("100.0"))
    assert (row_of(rows, zhao).attempted, row_of(rows, zhao).reached, row_of(rows, zhao).reach_rate) == (
        1, 0, Decimal("0.0"))
    assert (row_of(rows, qian).attempted, row_of(rows, qian).done, row_of(rows, qian).reach_rate) == (
        1, 1, Decimal("100.0"))


@pytest.mark.django_db
def test_a_rate_is_rounded_to_one_decimal(zhao):
    for outcome in ("completed", "busy", "busy"):
        make_attempt(make_callback(), agent=zhao, at=at(10), outcome=outcome)
    assert selectors.day_figures(day=DAY).reach_rate == Decimal("33.3")  # 1 / 3


# --- scores -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_ssi_and_csi_averages_count_a_corrected_response_once_as_corrected(zhao, qian):
    ssi = [make_callback(kind="ssi") for _ in range(4)]
    complete(ssi[0], agent=zhao, at=at(9), score=9)
    complete(ssi[1], agent=zhao, at=at(10), score=7)
    wrong = complete(ssi[2], agent=qian, at=at(11), score=5)
    correct(wrong, by=qian, at=at(16), score=8)  # the 5 was a slip: 8 counts
    complete(ssi[3], agent=qian, at=at(12), score=None)  # no score question: not in the mean
    csi = [make_callback(kind="csi") for _ in range(2)]
    complete(csi[0], agent=qian, at=at(10), score=10)
    complete(csi[1], agent=qian, at=at(11), score=7)
    complete(make_callback(kind="ssi"), agent=zhao, at=at(10, day=DAY - timedelta(days=1)), score=0)  # yesterday

    figures = selectors.day_figures(day=DAY)
    # SSI: (9 + 7 + 8) / 3 = 8.00 over 3 responses; CSI: (10 + 7) / 2 = 8.50 over 2.
    assert (figures.ssi_average, figures.ssi_scored) == (Decimal("8.00"), 3)
    assert (figures.csi_average, figures.csi_scored) == (Decimal("8.50"), 2)

    rows = selectors.agents_day(day=DAY)
    # 赵敏: (9 + 7) / 2 = 8.00; 钱坤: (8 + 10 + 7) / 3 = 8.33.
    assert (row_of(rows, zhao).average_score, row_of(rows, zhao).scored) == (Decimal("8.00"), 2)
    assert (row_of(rows, qian).average_score, row_of(rows, qian).scored) == (Decimal("8.33"), 3)


@pytest.mark.django_db
def test_answers_corrected_the_next_day_by_the_supervisor_count_on_the_calls_day_for_its_agent(zhao, supervisor):
    yesterday = DAY - timedelta(days=1)
    first = complete(make_callback(kind="ssi"), agent=zhao, at=at(17, day=yesterday), score=6)
    second = correct(first, by=supervisor, at=at(9), score=9)  # this morning, naming no call
    correct(second, by=supervisor, at=at(10), score=10)  # corrected twice: the newest counts

    assert selectors.day_figures(day=DAY).ssi_average is None
    figures = selectors.day_figures(day=yesterday)
    assert (figures.ssi_average, figures.ssi_scored) == (Decimal("10.00"), 1)
    rows = selectors.agents_day(day=yesterday)
    assert (row_of(rows, zhao).average_score, row_of(rows, zhao).scored) == (Decimal("10.00"), 1)
    assert row_of(rows, supervisor).scored == 0


@pytest.mark.django_db
def test_no_score_on_a_day_without_responses(zhao):
    figures = selectors.day_figures(day=DAY)
    assert (figures.ssi_average, figures.csi_average, figures.ssi_scored) == (None, None, 0)


# --- the queue now ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_overdue_means_due_more_than_a_day_ago_or_expiring_within_a_day(zhao):
    due_25h = make_callback(due_at=NOW - timedelta(hours=25))
    make_callback(due_at=NOW - timedelta(hours=23))  # due yesterday evening: not yet overdue
    expiring_23h = make_callback(due_at=NOW, expires_at=NOW + timedelta(hours=23))
    make_callback(due_at=NOW, expires_at=NOW + timedelta(hours=25))
    being_called = make_callback(due_at=NOW - timedelta(days=2), status="in_progress", agent=zhao)
    make_callback(due_at=NOW - timedelta(days=5), status="completed")  # closed: never overdue
    make_callback(due_at=NOW - timedelta(days=5), status="lost_contact")

    overdue = list(selectors.overdue_callbacks())
    assert set(overdue) == {due_25h, expiring_23h, being_called}
    assert overdue[0] == expiring_23h  # the soonest to expire first
    assert selectors.day_figures(day=DAY).overdue == 3


@pytest.mark.django_db
def test_an_overdue_problem_is_one_still_waiting_for_its_department_past_the_deadline(supervisor):
    late = raise_problem(by=supervisor)
    late.deadline_at = NOW - timedelta(minutes=1)
    late.save()
    fixed_late = raise_problem(by=supervisor)
    fixed_late.deadline_at, fixed_late.status = NOW - timedelta(hours=5), "fixed"  # waits for the customer now
    fixed_late.save()
    raise_problem(by=supervisor)  # within its deadline

    assert list(selectors.overdue_problems()) == [late]
    assert selectors.day_figures(day=DAY).overdue_problems == 1


@pytest.mark.django_db
def test_open_unassigned_and_lost_contact_counts(zhao):
    make_callback()
    make_callback()
    make_callback(agent=zhao)
    make_callback(status="in_progress", agent=zhao)
    make_callback(status="completed")
    make_callback(status="lost_contact", closed_at=at(11))
    make_callback(status="lost_contact", closed_at=at(11, day=DAY - timedelta(days=1)))  # another day's

    figures = selectors.day_figures(day=DAY)
    assert (figures.open, figures.being_called, figures.unassigned, figures.lost_contact) == (4, 1, 2, 1)
    row = row_of(selectors.agents_day(day=DAY), zhao)
    assert (row.open, row.being_called) == (1, 1)


@pytest.mark.django_db
def test_the_agents_table_lists_who_works_the_queue_and_not_the_others(zhao, qian, supervisor, general_manager):
    make_attempt(make_callback(), agent=qian, at=at(10), outcome="completed")
    rows = selectors.agents_day(day=DAY)
    names = [row.agent for row in rows]
    assert names[0] == qian  # who did most first
    assert {zhao, qian, supervisor} == set(names)  # the supervisor may call too
    assert general_manager not in names


@pytest.mark.django_db
def test_someone_who_left_still_shows_on_the_days_they_called(zhao):
    leaver = UserFactory(username="left", display_name="孙离", roles=[Role.CALLBACK_AGENT])
    make_attempt(make_callback(), agent=leaver, at=at(10), outcome="busy")
    leaver.is_active = False
    leaver.save()
    assert leaver in [row.agent for row in selectors.agents_day(day=DAY)]
    assert leaver not in [row.agent for row in selectors.agents_day(day=DAY + timedelta(days=1))]
