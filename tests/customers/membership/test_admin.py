"""Membership in the admin: the tiers, points rules and rewards are the supervisor's to edit; members
and their ledger are looked up only (the services write them)."""

import pytest

from customers.membership.models import Reward, Tier
from dealer_crm.accounts.roles import Role
from tests.factories import UserFactory

from .conftest import member_with_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("model", ["tier", "pointsrule", "reward", "member", "pointsentry"])
def test_each_list_opens(client, root, model):
    member_with_points(1_234)
    client.force_login(root)
    assert client.get(f"/admin/membership/{model}/").status_code == 200


def test_a_members_page_shows_the_ledger_and_nothing_can_be_changed_by_hand(client, root):
    member = member_with_points(1_234)
    client.force_login(root)
    page = client.get(f"/admin/membership/member/{member.pk}/change/")
    assert page.status_code == 200
    assert "1234" in page.content.decode() or "1,234" in page.content.decode()
    assert client.post(f"/admin/membership/member/{member.pk}/change/", {"usable": 99_999}).status_code == 403
    assert client.get("/admin/membership/member/add/").status_code == 403
    assert client.get("/admin/membership/pointsentry/add/").status_code == 403
    member.refresh_from_db()
    assert member.usable == 1_234


def test_the_supervisor_adds_a_reward_and_changes_a_tiers_benefits(client):
    supervisor = UserFactory(username="sup", is_staff=True, roles=[Role.DCRC_SUPERVISOR])
    client.force_login(supervisor)
    response = client.post("/admin/membership/reward/add/", {"kind": "accessory", "name": "原厂雨刮",
                                                              "points": 3000, "stock": 12, "active": "on"})
    assert response.status_code == 302
    assert Reward.objects.get(name="原厂雨刮").stock == 12
    gold = Tier.objects.get(name="金卡")
    response = client.post(f"/admin/membership/tier/{gold.pk}/change/",
                           {"name": "金卡", "threshold": 30_000, "benefits": "工时费9折；免费取送车"})
    assert response.status_code == 302
    gold.refresh_from_db()
    assert gold.benefits == "工时费9折；免费取送车"


def test_a_tier_members_hold_cannot_be_deleted(client, root):
    member_with_points(10)
    client.force_login(root)
    first = Tier.objects.get(threshold=0)
    assert client.get(f"/admin/membership/tier/{first.pk}/delete/").status_code == 403
    unused = Tier.objects.get(threshold=60_000)
    assert client.post(f"/admin/membership/tier/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Tier.objects.filter(threshold=60_000).exists()
