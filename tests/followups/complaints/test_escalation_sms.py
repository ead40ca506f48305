"""The escalations by SMS (COMPLAINT_ESCALATION_SMS): each active holder of the escalation's role who
has a mobile gets one text, once — a second run or a second worker sends nothing again — and never
while the store is closed: what is reached at night goes at the next opening, a job run at night
sends nothing. What no longer applies (the contact was made meanwhile) is not sent."""

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import StaffAlert
from followups.complaints.escalation import complaints_escalate, escalations_notify
from followups.complaints.models import Escalation
from followups.complaints.services import complaint_move
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_1330 = datetime(2026, 11, 25, 13, 30, tzinfo=SHANGHAI)
CONTACT_DUE = datetime(2026, 11, 30, 10, 30, tzinfo=SHANGHAI)  # 24 working hours later


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _sms(settings, tmp_path):
    settings.COMPLAINT_ESCALATION_SMS = True
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_RATE_LIMIT = 0
    return settings


@pytest.fixture
def staff(db, supervisor, service_manager, general_manager):
    """The people of the chain with mobiles, and two supervisors who get nothing: one without a
    mobile, one who has left (inactive)."""
    for user, mobile in [(supervisor, "13900000001"), (service_manager, "13900000002"),
                         (general_manager, "13900000003")]:
        user.mobile = mobile
        user.save(update_fields=["mobile"])
    UserFactory(username="supervisor_nomobile", roles=[Role.DCRC_SUPERVISOR])
    UserFactory(username="supervisor_left", roles=[Role.DCRC_SUPERVISOR], mobile="13900000009", is_active=False)
    return {"supervisor": supervisor, "service_manager": service_manager, "general_manager": general_manager}


def texts(settings) -> list[tuple[str, str]]:
    """(mobile, text) of what the console gateway sent, in order."""
    try:
        with open(settings.SMS_CONSOLE_FILE, encoding="utf-8") as log:
            return [(line["phone"], line["text"]) for line in map(json.loads, log)]
    except FileNotFoundError:
        return []


def test_each_holder_of_the_role_with_a_mobile_gets_one_text(settings, staff, register):
    complaint = register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE)

    result = escalations_notify(now=CONTACT_DUE)

    assert result == {"notified": 2, "dropped": 0, "sms": 2}
    assert sorted(texts(settings)) == [
        ("13900000001", f"投诉 {complaint.number}：首次联系期限临近（到期 11-30 10:30）。"),
        ("13900000002", f"投诉 {complaint.number}：首次联系期限已过（到期 11-30 10:30）。"),
    ]
    assert set(Escalation.objects.values_list("notified_at", flat=True)) == {CONTACT_DUE}
    alert = StaffAlert.objects.get(user=staff["service_manager"])
    passed = Escalation.objects.get(level="passed")
    assert alert.idempotency_key == f"complaint-escalation:{passed.pk}:{staff['service_manager'].pk}"
    assert alert.status == StaffAlert.Status.SENT


def test_a_second_run_sends_nothing_again(settings, staff, register):
    register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE)
    escalations_notify(now=CONTACT_DUE)
    complaints_escalate(now=CONTACT_DUE + timedelta(minutes=5))
    assert escalations_notify(now=CONTACT_DUE + timedelta(minutes=5)) == {"notified": 0, "dropped": 0, "sms": 0}
    assert len(texts(settings)) == 2

    # The general manager's turn comes later, and only they are texted then.
    late = at(12, 2, 16, 30)
    complaints_escalate(now=late)
    escalations_notify(now=late)
    assert [mobile for mobile, _text in texts(settings)][2:] == ["13900000003"]


def test_without_the_setting_nothing_is_texted_and_the_escalations_wait(settings, staff, register):
    settings.COMPLAINT_ESCALATION_SMS = False
    register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE)
    assert escalations_notify(now=CONTACT_DUE) == {"notified": 0, "dropped": 0, "sms": 0}
    assert texts(settings) == []
    assert set(Escalation.objects.values_list("notified_at", flat=True)) == {None}


def test_an_escalation_reached_at_night_is_texted_at_the_next_opening(settings, staff, register, calendar_severity):
    register(severity=calendar_severity, now=at(11, 26, 20))  # first contact within 2 calendar hours
    complaints_escalate(now=at(11, 26, 23))

    escalations_notify(now=at(11, 26, 23, 5))
    escalations_notify(now=at(11, 27, 8, 29))
    assert texts(settings) == []

    escalations_notify(now=at(11, 27, 8, 30))
    assert sorted(mobile for mobile, _text in texts(settings)) == ["13900000001", "13900000002"]


def test_a_run_at_night_sends_nothing_even_of_what_was_due_by_day(settings, staff, register):
    register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE)  # due at once: the store is open
    escalations_notify(now=at(11, 30, 22))  # but the beat that should have sent it was down until 22:00
    assert texts(settings) == []
    escalations_notify(now=at(12, 1, 8, 30))
    assert len(texts(settings)) == 2


def test_an_escalation_whose_deadline_was_met_meanwhile_is_not_texted(settings, staff, register, service_manager):
    complaint = register(now=WEDNESDAY_1330)
    complaints_escalate(now=at(11, 27, 13, 30))  # near: 6 working hours left
    complaint_move(complaint=complaint, action="contacted", by=service_manager, note="电话致歉", now=at(11, 27, 13, 32))

    assert escalations_notify(now=at(11, 27, 13, 35)) == {"notified": 0, "dropped": 1, "sms": 0}
    assert texts(settings) == []
    assert Escalation.objects.get().notified_at == at(11, 27, 13, 35)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_text_each_person_once(settings, staff, register):
    for _ in range(4):
        register(now=WEDNESDAY_1330)
    complaints_escalate(now=CONTACT_DUE)
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait(timeout=10)
            escalations_notify(now=CONTACT_DUE)
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
    sent = texts(settings)
    assert len(sent) == 8 == len(set(sent))  # 4 complaints × the supervisor and the after-sales manager
    assert StaffAlert.objects.count() == 8
    assert not Escalation.objects.filter(notified_at__isnull=True).exists()
