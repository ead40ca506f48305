"""Shared fixtures of the complaints' tests: the shipped severities, a complaint registered at a
known moment, and a walk of the workflow to any state through the services (the path a user takes).

The personas are the shared ones (tests/conftest.py: agent, supervisor, general_manager, colleague)
and the callback centre's managers (tests/followups/conftest.py: service_manager, sales_manager).
Moments are in the store's zone; 2026-11-26 is a Thursday, with no holiday before mid-December.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from followups.complaints.models import Complaint, Severity

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY_10 = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)

# The words each move needs, as a person would write them (the apology, the report, ...).
NOTES = {
    "contacted": "电话致歉，约定周五上门",
    "investigating": "调取维修记录",
    "visited": "上门查看：空调出风口异响",
    "agreed": "免费更换鼓风机",
    "solved": "已更换鼓风机并试车",
    "followed_up": "客户表示异响已消除",
    "satisfied": "客户确认满意",
    "closed": "结案",
    "reopened": "客户称异响又出现",
}

# The workflow's usual path to each state, written out from the issue (the home visit included).
PATH = {
    "registered": [],
    "contacted": ["contacted"],
    "investigating": ["contacted", "investigating"],
    "visited": ["contacted", "investigating", "visited"],
    "agreed": ["contacted", "investigating", "visited", "agreed"],
    "solved": ["contacted", "investigating", "visited", "agreed", "solved"],
    "followed_up": ["contacted", "investigating", "visited", "agreed", "solved", "followed_up"],
    "satisfied": ["contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied"],
    "closed": ["contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied", "closed"],
}


@pytest.fixture
def severities(db) -> dict[str, Severity]:
    """The three severities the data migration ships: 一般 24/72, 严重 12/48, 重大 2/24 working hours."""
    return {severity.code: severity for severity in Severity.objects.all()}


@pytest.fixture
def calendar_severity(db) -> Severity:
    """A severity counted in calendar hours (nights and holidays count): contact within 2, solved within 240."""
    return Severity.objects.create(code="vip", name="VIP", rank=4, first_contact_hours=Decimal(2),
                                   solve_hours=Decimal(240), clock=Severity.Clock.CALENDAR)


@pytest.fixture
def register(agent, service_manager, severities):
    """Registers a complaint: by default a phone complaint of after-sales service quality, general,
    registered by the agent on Thursday 26 November 2026 at 10:00 and handled by the service manager."""
    from followups.complaints.services import complaint_register
    from tests.customers.factories import CustomerFactory

    def _register(**overrides) -> Complaint:
        fields = {
            "channel": "phone", "category": "service", "description": "保养后空调有异响，服务顾问态度敷衍",
            "department": "service", "by": agent, "owner": service_manager, "severity": severities["general"],
            "now": THURSDAY_10,
        }
        fields.update(overrides)
        fields.setdefault("customer", CustomerFactory(name="王晓"))
        return complaint_register(**fields)

    return _register


@pytest.fixture
def complaint(register) -> Complaint:
    return register()


@pytest.fixture
def walk(service_manager):
    """Moves a complaint along `PATH` to `status` by its owner, an hour a move from `start`; the case
    analysis is written before it closes. Returns the complaint as stored."""
    from followups.complaints.models import ComplaintStep
    from followups.complaints.services import PlanInput, analysis_write, complaint_move

    def _walk(complaint: Complaint, status: str, *, by=None, start: datetime = THURSDAY_10) -> Complaint:
        by = by or service_manager
        at = start
        for action in PATH[status]:
            at += timedelta(hours=1)
            if action == ComplaintStep.Action.CLOSED:
                write_analysis(complaint, by=by, now=at)
            complaint = complaint_move(complaint=complaint, action=action, by=by, note=NOTES[action], now=at)
        complaint.refresh_from_db()
        return complaint

    def write_analysis(complaint: Complaint, *, by, now: datetime):
        return analysis_write(
            complaint=complaint, root_cause="skill", root_cause_text="技师未按规范检查鼓风机", by=by, now=now,
            plans=[PlanInput(action="鼓风机检查列入保养项目", department="service", owner=service_manager,
                             due_on=date(2026, 12, 31))])

    _walk.write_analysis = write_analysis
    return _walk
