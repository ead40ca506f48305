"""Take the next: one callback to one agent, in the queue's order, only what is due and theirs or nobody's."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback
from followups.callbacks.services.calls import CallError, callback_claim, callback_release, callback_take_next
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_callback

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


def agent_named(username: str):
    return UserFactory(username=username, roles=[Role.CALLBACK_AGENT])


@pytest.mark.django_db
def test_it_gives_the_highest_priority_first_then_the_earliest_due(agent):
    low_early = make_callback(due_at=NOW - timedelta(hours=5), priority=0)
    high_late = make_callback(due_at=NOW - timedelta(hours=1), priority=10)
    high_early = make_callback(due_at=NOW - timedelta(hours=2), priority=10)
    order = []
    for _ in range(3):
        taken = callback_take_next(agent=agent, now=NOW)
        order.append(taken.pk)
        Callback.objects.filter(pk=taken.pk).update(status=Callback.Status.COMPLETED)
    assert order == [high_early.pk, high_late.pk, low_early.pk]


@pytest.mark.django_db
def test_it_marks_the_callback_taken_by_the_agent(agent):
    callback = make_callback(due_at=NOW - timedelta(minutes=1))
    taken = callback_take_next(agent=agent, now=NOW)
    callback.refresh_from_db()
    assert taken.pk == callback.pk
    assert (callback.status, callback.assigned_to_id, callback.claimed_at) == (Callback.Status.IN_PROGRESS, agent.pk, NOW)
    assert callback.attempts == 0  # taking is not calling


@pytest.mark.django_db
def test_it_does_not_give_a_callback_not_yet_due(agent):
    make_callback(due_at=NOW + timedelta(minutes=1))
    assert callback_take_next(agent=agent, now=NOW) is None


@pytest.mark.django_db
def test_it_gives_a_callback_due_this_very_minute(agent):
    callback = make_callback(due_at=NOW)
    assert callback_take_next(agent=agent, now=NOW).pk == callback.pk


@pytest.mark.django_db
def test_it_does_not_give_an_expired_callback(agent):
    make_callback(due_at=NOW - timedelta(days=2), expires_at=NOW)
    assert callback_take_next(agent=agent, now=NOW) is None


@pytest.mark.django_db
def test_it_gives_a_callback_expiring_later(agent):
    callback = make_callback(due_at=NOW - timedelta(days=2), expires_at=NOW + timedelta(seconds=1))
    assert callback_take_next(agent=agent, now=NOW).pk == callback.pk


@pytest.mark.django_db
def test_it_never_gives_another_agents_callback(agent):
    colleague = agent_named("agent_wu")
    make_callback(due_at=NOW - timedelta(hours=1), agent=colleague, priority=50)
    assert callback_take_next(agent=agent, now=NOW) is None


@pytest.mark.django_db
def test_it_prefers_the_agents_own_callbacks_over_unassigned_ones(agent):
    make_callback(due_at=NOW - timedelta(hours=3), priority=30)
    mine = make_callback(due_at=NOW - timedelta(minutes=5), agent=agent, priority=0)
    assert callback_take_next(agent=agent, now=NOW).pk == mine.pk


@pytest.mark.django_db
def test_an_agent_who_holds_a_callback_gets_it_back(agent):
    make_callback(due_at=NOW - timedelta(hours=1))
    earliest = make_callback(due_at=NOW - timedelta(hours=2))
    held = callback_take_next(agent=agent, now=NOW)
    again = callback_take_next(agent=agent, now=NOW + timedelta(minutes=3))
    assert again.pk == held.pk
    assert Callback.objects.filter(status=Callback.Status.IN_PROGRESS).count() == 1
    assert held.pk == earliest.pk


@pytest.mark.django_db
def test_a_claim_older_than_the_lease_is_free_for_another_agent(agent, settings):
    settings.CALLBACK_CLAIM_LEASE_MINUTES = 30
    colleague = agent_named("agent_wu")
    callback = make_callback(due_at=NOW - timedelta(hours=1))
    callback_take_next(agent=colleague, now=NOW)
    assert callback_take_next(agent=agent, now=NOW + timedelta(minutes=29)) is None
    taken = callback_take_next(agent=agent, now=NOW + timedelta(minutes=31))
    assert taken.pk == callback.pk
    callback.refresh_from_db()
    assert callback.assigned_to_id == agent.pk


@pytest.mark.django_db
def test_giving_back_puts_it_in_everyones_queue_without_an_attempt(agent):
    callback = make_callback(due_at=NOW - timedelta(hours=1))
    callback_take_next(agent=agent, now=NOW)
    callback_release(callback=callback, agent=agent)
    callback.refresh_from_db()
    assert (callback.status, callback.assigned_to_id, callback.attempts) == (Callback.Status.OPEN, None, 0)
    assert callback_take_next(agent=agent_named("agent_wu"), now=NOW).pk == callback.pk


@pytest.mark.django_db
def test_an_agent_calling_one_customer_cannot_claim_another(agent):
    make_callback(due_at=NOW - timedelta(hours=1))
    other = make_callback(due_at=NOW - timedelta(hours=1))
    callback_take_next(agent=agent, now=NOW)
    with pytest.raises(CallError):
        callback_claim(callback=other, agent=agent, now=NOW)


@pytest.mark.django_db
def test_an_agent_cannot_claim_a_colleagues_callback(agent):
    other = make_callback(due_at=NOW - timedelta(hours=1), agent=agent_named("agent_wu"))
    with pytest.raises(CallError):
        callback_claim(callback=other, agent=agent, now=NOW)


@pytest.mark.django_db
def test_the_take_next_query_reads_the_queue_index():
    """The unassigned group reads callback_take_next_idx in its order (no sort over the queue)."""
    for index in range(50):
        make_callback(due_at=NOW - timedelta(minutes=index), priority=index % 3)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM callbacks_callback WHERE status = 'open' AND assigned_to_id IS NULL "
            "AND due_at <= %s AND (expires_at IS NULL OR expires_at > %s) ORDER BY priority DESC, due_at, id "
            "LIMIT 1 FOR UPDATE SKIP LOCKED", [NOW, NOW])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "callback_take_next_idx" in plan
    assert "Sort" not in plan


@pytest.mark.django_db(transaction=True)
def test_twenty_agents_pressing_at_once_get_each_callback_once():
    agents = [UserFactory(username=f"agent_{n}", roles=[Role.CALLBACK_AGENT]) for n in range(20)]
    customer = CustomerFactory()
    callbacks = {make_callback(customer=customer, due_at=NOW - timedelta(minutes=n)).pk for n in range(60)}
    given: list[tuple[int, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(agents))
    errors = []

    def press(agent):
        try:
            start.wait()
            for _ in range(5):
                callback = callback_take_next(agent=agent, now=NOW)
                if callback is None:
                    break
                with lock:
                    given.append((callback.pk, agent.pk))
                Callback.objects.filter(pk=callback.pk).update(status=Callback.Status.COMPLETED)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    pks = [pk for pk, _agent in given]
    assert len(pks) == len(set(pks))  # none given twice
    assert set(pks) == callbacks  # 20 agents × up to 5 presses: all 60 given
    assert Callback.objects.filter(status=Callback.Status.COMPLETED).count() == 60


@pytest.mark.django_db
def test_an_agent_claims_a_chosen_due_callback_of_nobodys(agent):
    callback = make_callback(due_at=NOW - timedelta(hours=1))
    callback_claim(callback=callback, agent=agent, now=NOW)
    callback.refresh_from_db()
    assert (callback.status, callback.assigned_to_id) == (Callback.Status.IN_PROGRESS, agent.pk)


@pytest.mark.django_db
def test_a_chosen_callback_not_yet_due_cannot_be_claimed(agent):
    callback = make_callback(due_at=NOW + timedelta(minutes=5))
    with pytest.raises(CallError):
        callback_claim(callback=callback, agent=agent, now=NOW)
