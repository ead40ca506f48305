"""The supervisor's acts on the queue: bulk reassignment (to agents only, open callbacks only unless
asked, one UPDATE, audited) and 再试一次 on a lost contact."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from followups.callbacks.models import Callback, CallbackRule
from followups.callbacks.services import supervision as services
from tests.factories import UserFactory
from tests.followups.factories import make_callback

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 10, 17, 0, tzinfo=BEIJING)


@pytest.fixture
def zhao(db):
    return UserFactory(username="agent_zhao", display_name="赵敏", roles=[Role.CALLBACK_AGENT])


def reloaded(*callbacks):
    return [Callback.objects.get(pk=callback.pk) for callback in callbacks]


# --- reassign ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_it_gives_open_callbacks_to_an_agent_in_one_update(supervisor, agent, zhao):
    mine = [make_callback(agent=agent) for _ in range(3)] + [make_callback()]
    with CaptureQueriesContext(connection) as queries:
        moved = services.callbacks_reassign(callback_ids=[c.pk for c in mine], agent=zhao, by=supervisor)
    assert moved == 4
    assert {c.assigned_to for c in reloaded(*mine)} == {zhao}
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "callbacks_callback"')]
    assert len(updates) == 1


@pytest.mark.django_db
def test_it_never_moves_a_closed_callback(supervisor, agent, zhao):
    done = make_callback(status="completed", agent=agent)
    lost = make_callback(status="lost_contact", agent=agent)
    open_ = make_callback(agent=agent)
    assert services.callbacks_reassign(callback_ids=[done.pk, lost.pk, open_.pk], agent=zhao, by=supervisor) == 1
    done, lost, open_ = reloaded(done, lost, open_)
    assert (done.assigned_to, lost.assigned_to, open_.assigned_to) == (agent, agent, zhao)
    assert (done.status, lost.status) == ("completed", "lost_contact")


@pytest.mark.django_db
def test_a_callback_being_called_is_not_taken_from_its_agent(supervisor, agent, zhao):
    on_the_phone = make_callback(status="in_progress", agent=agent, claimed_at=NOW)
    assert services.callbacks_reassign(callback_ids=[on_the_phone.pk], agent=zhao, by=supervisor) == 0
    (on_the_phone,) = reloaded(on_the_phone)
    assert (on_the_phone.assigned_to, on_the_phone.status, on_the_phone.claimed_at) == (agent, "in_progress", NOW)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CALLBACK_REASSIGN).exists()  # nothing moved


@pytest.mark.django_db
def test_asked_explicitly_it_takes_the_ones_being_called_back_to_the_queue(supervisor, agent, zhao):
    on_the_phone = make_callback(status="in_progress", agent=agent, claimed_at=NOW)
    waiting = make_callback(agent=agent, claimed_at=NOW - timedelta(days=1))
    moved = services.callbacks_reassign(callback_ids=[on_the_phone.pk, waiting.pk], agent=zhao, by=supervisor,
                                        include_in_progress=True)
    assert moved == 2
    on_the_phone, waiting = reloaded(on_the_phone, waiting)
    assert (on_the_phone.assigned_to, on_the_phone.status, on_the_phone.claimed_at) == (zhao, "open", None)
    assert (waiting.assigned_to, waiting.status) == (zhao, "open")
    assert waiting.claimed_at == NOW - timedelta(days=1)  # an open one keeps its history


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["general_manager", "colleague", "inactive_agent"])
def test_it_gives_callbacks_only_to_staff_who_work_the_queue(request, supervisor, agent, who):
    if who == "inactive_agent":
        target = UserFactory(username="gone", display_name="周走", roles=[Role.CALLBACK_AGENT], is_active=False)
    else:
        target = request.getfixturevalue(who)
    callback = make_callback(agent=agent)
    with pytest.raises(services.SupervisionError) as error:
        services.callbacks_reassign(callback_ids=[callback.pk], agent=target, by=supervisor)
    assert "不是回访专员" in str(error.value)
    assert reloaded(callback)[0].assigned_to == agent


@pytest.mark.django_db
def test_a_reassignment_is_audited_with_its_count_and_whom(supervisor, agent, zhao):
    callbacks = [make_callback(agent=agent) for _ in range(2)] + [make_callback(status="completed")]
    services.callbacks_reassign(callback_ids=[c.pk for c in callbacks], agent=zhao, by=supervisor)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CALLBACK_REASSIGN)
    assert event.actor == supervisor
    assert event.detail == {"moved": 2, "to": "agent_zhao", "being_called": False,
                            "callbacks": sorted(c.pk for c in callbacks)}
    assert event.detail_display[:2] == [("分配给", "agent_zhao"), ("分配条数", "2")]  # the log page's words


@pytest.mark.django_db
def test_a_callback_already_with_the_agent_does_not_count_as_moved(supervisor, zhao):
    callback = make_callback(agent=zhao)
    assert services.callbacks_reassign(callback_ids=[callback.pk], agent=zhao, by=supervisor) == 0


@pytest.mark.django_db
def test_unassigning_gives_callbacks_back_to_the_whole_team(supervisor, agent):
    given = make_callback(agent=agent)
    on_the_phone = make_callback(status="in_progress", agent=agent)
    assert services.callbacks_unassign(callback_ids=[given.pk, on_the_phone.pk], by=supervisor) == 1
    given, on_the_phone = reloaded(given, on_the_phone)
    assert given.assigned_to is None and on_the_phone.assigned_to == agent
    event = AuditEvent.objects.get(action=AuditEvent.Action.CALLBACK_REASSIGN)
    assert event.detail["to"] == "" and event.detail["moved"] == 1


# --- 再试一次 -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_trying_a_lost_contact_again_queues_a_requested_callback_for_tomorrow(supervisor, agent):
    lost = make_callback(kind="csi", status="lost_contact", agent=agent, attempts=3, closed_at=NOW)
    with time_machine.travel(NOW, tick=False):
        retry = services.callback_retry_lost(callback=lost, by=supervisor)
    assert (retry.kind, retry.status, retry.customer, retry.assigned_to) == ("requested", "open", lost.customer, None)
    # Tomorrow at the shift's start (08:30), open until the end of the requested rule's expiry day (7).
    assert retry.due_at == datetime(2026, 6, 11, 8, 30, tzinfo=BEIJING)
    rule = CallbackRule.objects.get(kind="requested", visit_kind="")
    assert retry.expires_at == datetime(2026, 6, 12 + rule.expires_after_days, 0, 0, tzinfo=BEIJING)
    assert retry.source_key == f"lost:{lost.pk}"

    entry = TimelineEntry.objects.get(customer=lost.customer, kind="callback")
    assert entry.created_by == supervisor and entry.params["variant"] == "retry_lost"
    title = entry_text(kind=entry.kind, params=entry.params, title="", body="").title
    assert title.endswith("：失联，回访主管安排 2026-06-11 08:30 再试一次")


@pytest.mark.django_db
def test_a_lost_contact_is_tried_again_once(supervisor):
    lost = make_callback(status="lost_contact", closed_at=NOW)
    services.callback_retry_lost(callback=lost, by=supervisor)
    with pytest.raises(services.SupervisionError) as error:
        services.callback_retry_lost(callback=lost, by=supervisor)
    assert "已经" in str(error.value)
    assert Callback.objects.filter(kind="requested").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["open", "completed", "expired", "refused"])
def test_only_a_lost_contact_can_be_tried_again(supervisor, status):
    callback = make_callback(status=status)
    with pytest.raises(services.SupervisionError):
        services.callback_retry_lost(callback=callback, by=supervisor)
    assert not Callback.objects.filter(kind="requested").exists()
