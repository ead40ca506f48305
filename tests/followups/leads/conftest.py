"""Shared fixtures of the sales leads' tests: the sales side's personas and leads made through the
services at known moments (the path a user takes).

The personas: the sales manager (tests/followups/conftest.py, 孙伟, leads.manage_lead), two sales
supervisors who follow leads up (consultants, leads.follow_lead), the callback agent (tests/conftest.py,
李娜, leads.add_lead) and a colleague who has no right on leads at all (the system administrator). Moments are in the
store's zone: Monday 30 November 2026, 10:00.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dealer_crm.accounts.roles import Role
from followups.leads import services
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
LIST = reverse("leads:lead_list")
CREATE = reverse("leads:lead_create")


@pytest.fixture
def consultant(db):
    return UserFactory(username="showroom_zhou", display_name="周敏", roles=[Role.SALES_SUPERVISOR])


@pytest.fixture
def other_consultant(db):
    return UserFactory(username="showroom_wu", display_name="吴刚", roles=[Role.SALES_SUPERVISOR])


@pytest.fixture
def outsider(db):
    """A colleague with no right on leads (neither reads nor hands them over): the system administrator.
    (Marketing hands walk-ins over at an event's door.)"""
    return UserFactory(username="admin_he", display_name="何磊", roles=[Role.ADMIN])


def hand_over(*, by, name: str = "王小明", mobile: str = "18655550001", source: str = "caller", now=MONDAY_10,
              model_interest: str = "科雷傲", **kwargs):
    return services.lead_create(by=by, source=source, name=name, mobile=mobile, model_interest=model_interest,
                                now=now, **kwargs)


def html(response) -> str:
    return response.content.decode()
