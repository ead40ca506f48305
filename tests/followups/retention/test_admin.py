"""Retention in the admin: the lapse bands are edited there too; the records are looked up only."""

import pytest

from followups.retention.models import LapseBand
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("model", ["servicedue", "reminder", "lapse", "lapsereason", "refreshmark", "lapseband"])
def test_each_list_opens(client, root, model):
    client.force_login(root)
    assert client.get(f"/admin/retention/{model}/").status_code == 200


def test_the_records_cannot_be_added_by_hand_and_a_band_can(client, root):
    client.force_login(root)
    assert client.get("/admin/retention/reminder/add/").status_code == 403
    assert client.get("/admin/retention/servicedue/add/").status_code == 403
    response = client.post("/admin/retention/lapseband/add/", {"months": 24, "name": "流失24个月",
                                                                "win_back_call": "on", "active": "on"})
    assert response.status_code == 302
    assert LapseBand.objects.get(months=24).name == "流失24个月"
