"""Sales leads in the Django admin: for looking up only, the mobile masked as on every list."""

import pytest

from tests.factories import UserFactory

from .conftest import hand_over, html

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_list_and_the_lead_show_the_mobile_masked_and_change_nothing(login, root, agent):
    lead = hand_over(by=agent, name="王小明", mobile="18655557001")
    client = login(root)
    listing = html(client.get("/admin/leads/lead/"))
    assert "王小明" in listing and "186****7001" in listing and "18655557001" not in listing
    page = html(client.get(f"/admin/leads/lead/{lead.pk}/change/"))
    assert "186****7001" in page and "18655557001" not in page and 'name="_save"' not in page
    assert client.get("/admin/leads/lead/add/").status_code == 403
    assert client.post(f"/admin/leads/lead/{lead.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_lookup_on_the_mobile_is_refused(login, root, agent):
    hand_over(by=agent, mobile="18655557002")
    assert login(root).get("/admin/leads/lead/?mobile__startswith=186").status_code == 400
