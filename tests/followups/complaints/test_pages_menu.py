"""The menu's complaints section: each role sees the entries whose pages let it in, and no other."""

import pytest

from dealer_crm.accounts.roles import Role
from dealer_crm.navigation import menu_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST, INBOX, PLANS, SETTINGS = "/complaints/", "/complaints/inbox/", "/complaints/plans/", "/complaints/severities/"
EXPECTED = {
    Role.DCRC_SUPERVISOR: {LIST, INBOX, PLANS, SETTINGS},
    Role.GENERAL_MANAGER: {LIST, INBOX, PLANS},
    Role.SERVICE_MANAGER: {LIST, INBOX, PLANS},
    Role.SALES_MANAGER: {LIST, INBOX, PLANS},
    Role.CALLBACK_AGENT: {LIST},
    Role.INTERVIEWER: {LIST},
    Role.LOUNGE_HOST: {LIST},
    Role.SALES_SUPERVISOR: set(),
    Role.MARKETING: set(),
    Role.ADMIN: set(),
}


def complaint_entries(user) -> set[str]:
    return {item["url"] for section in menu_for(user) for item in section["items"]
            if item["url"] in {LIST, INBOX, PLANS, SETTINGS}}


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_each_role_sees_the_complaint_pages_it_may_open(login, role):
    user = UserFactory(roles=[role], is_staff=role == Role.ADMIN)
    assert complaint_entries(user) == EXPECTED[role]
    client = login(user)
    for url in (LIST, INBOX, PLANS, SETTINGS):
        assert client.get(url).status_code == (200 if url in EXPECTED[role] else 403), url


def test_the_entries_stand_in_their_own_section(supervisor):
    sections = {section["label"]: [item["label"] for item in section["items"]] for section in menu_for(supervisor)}
    assert sections["投诉"] == ["投诉", "我的待办", "改进计划", "厂家不满意事项", "严重程度与日历"]
