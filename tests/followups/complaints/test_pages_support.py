"""What the complaint pages' tests share: complaints made through the services at known moments, the
workflow walked by its owner, and reading a page's rows. (No tests here.)

Moments are in the store's zone. Monday 30 November 2026 has no holiday near it and the store opens
08:30–17:30 (9 working hours a day), so a complaint registered then at 10:00 is due, for a 重大
(major) one, first contacted at 12:00 (2 working hours) and solved on Wednesday at 16:00 (24: 7.5 +
9 + 7.5); for a 一般 (general) one, first contacted on Wednesday at 16:00 (24) and solved on Thursday
10 December at 10:00 (72).
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from dealer_crm.accounts.roles import Role
from followups.complaints import services
from followups.complaints.models import Complaint, Severity
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
LIST = reverse("complaints:complaint_list")
INBOX = reverse("complaints:inbox")
PLANS = reverse("complaints:plan_list")

NOTES = {
    "contacted": "电话致歉，约定周三上门",
    "investigating": "调取维修记录",
    "visited": "上门查看：空调出风口异响",
    "agreed": "免费更换鼓风机",
    "solved": "已更换鼓风机并试车",
    "followed_up": "客户表示异响已消除",
    "satisfied": "客户确认满意",
    "closed": "结案",
    "reopened": "客户称异响又出现",
}
PATH = ["contacted", "investigating", "visited", "agreed", "solved", "followed_up", "satisfied", "closed"]


def severity(code: str) -> Severity:
    return Severity.objects.get(code=code)


def file_complaint(*, by, customer=None, severity_code: str = "general", department: str = "service",
                   owner=None, now: datetime = MONDAY_10, description: str = "保养后空调有异响",
                   category: str = "service", channel: str = "phone", **kwargs) -> Complaint:
    return services.complaint_register(
        customer=customer or CustomerFactory(), channel=channel, category=category, description=description,
        department=department, by=by, severity=severity(severity_code), owner=owner, now=now, **kwargs)


def walk(complaint: Complaint, to: str, *, by, start: datetime = MONDAY_10) -> Complaint:
    """Moves the complaint along the workflow's usual path from its state up to the state `to`, an
    hour a move; the case analysis is written before it closes."""
    at = start
    begin = PATH.index(complaint.status) + 1 if complaint.status in PATH else 0
    for action in PATH[begin:PATH.index(to) + 1]:
        at += timedelta(hours=1)
        if action == "closed":
            write_analysis(complaint, by=by, now=at)
        complaint = services.complaint_move(complaint=complaint, action=action, by=by, note=NOTES[action], now=at)
    complaint.refresh_from_db()
    return complaint


def write_analysis(complaint: Complaint, *, by, now: datetime, owner=None):
    return services.analysis_write(
        complaint=complaint, root_cause="skill", root_cause_text="技师未按规范检查鼓风机", by=by, now=now,
        plans=[services.PlanInput(action="鼓风机检查列入保养项目", department="service", owner=owner or by,
                                  due_on=date(2026, 12, 31))])


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, element_id: str) -> str:
    """The HTML of the table row with that id."""
    match = re.search(rf'<tr id="{re.escape(element_id)}"[^>]*>.*?</tr>', page, re.S)
    assert match, f"no row {element_id}"
    return match.group(0)


def text_of(fragment: str) -> str:
    """What a person reads: the tags taken out, the spaces made one."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def detail_url(complaint: Complaint) -> str:
    return reverse("complaints:complaint_detail", args=[complaint.pk])


def marketing_user():
    """Signed in, with no right to complaints at all (the colleague who must not see them)."""
    return UserFactory(username="marketing_he", display_name="何静", roles=[Role.MARKETING])
