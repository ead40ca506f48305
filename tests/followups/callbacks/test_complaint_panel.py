"""The home panel 未结投诉 (open complaints): until complaints have their own records, it lists the
problems escalated as complaints that are not settled yet."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from followups.callbacks.services import problems as services
from tests.followups.factories import CustomerFactory, raise_problem

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def _panel(response):
    return next(rows for panel, rows in response.context["panels"] if panel.key == "complaints")


def _complaint(*, by, name: str, now):
    return services.complaint_open(customer=CustomerFactory(name=name), description="要投诉服务顾问", by=by, now=now)


def test_the_supervisors_home_lists_the_escalated_problems_not_yet_settled(login, supervisor, agent):
    late = _complaint(by=agent, name="王晓", now=MONDAY_10 - timedelta(days=3))
    _complaint(by=agent, name="周敏", now=MONDAY_10)
    fixed = _complaint(by=agent, name="钱坤", now=MONDAY_10 - timedelta(hours=1))
    services.problem_fix(problem=fixed, cause="沟通不到位", fix="店长致歉并回访", by=supervisor, now=MONDAY_10)
    settled = _complaint(by=agent, name="冯雪", now=MONDAY_10 - timedelta(days=1))
    services.problem_close(problem=settled, reason="客户撤回投诉", by=supervisor, now=MONDAY_10)
    raise_problem(by=agent, description="只是一个反馈问题", customer=CustomerFactory(name="孙丽"), now=MONDAY_10)

    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        rows = _panel(login(supervisor).get("/"))

    assert rows.total == 3  # the fixed one waits for the customer's word; closed and plain problems are not here
    assert [row.text.split(" · ")[0] for row in rows.rows] == ["王晓", "钱坤", "周敏"]  # the nearest deadline first
    assert [row.tone for row in rows.rows] == ["danger", "", ""]  # only the first is past its deadline
    assert rows.rows[0].url == f"/callbacks/problems/{late.pk}/"


def test_a_role_that_reads_no_problems_gets_an_empty_panel(agent, colleague):
    _complaint(by=agent, name="王晓", now=MONDAY_10)
    from dealer_crm.home import PANELS

    assert PANELS["complaints"].items(user=colleague, today=MONDAY_10.date()).total == 0
    assert PANELS["complaints"].items(user=agent, today=MONDAY_10.date()).total == 1
