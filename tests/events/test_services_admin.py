"""Events in the admin: looked up only (the services write them), each list and page opens."""

import pytest

from events import services
from tests.events.conftest import customer_with_car
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def event(make_event, clock, marketing):
    event = make_event()
    customer_with_car(name="张伟")
    services.event_audience_set(event=event, filters={}, by=marketing)
    services.invitations_create(event=event, by=marketing)
    services.checklist_item_add(event=event, by=marketing, kind="catering", title="冷餐", cost="800")
    return event


@pytest.mark.parametrize("model", ["event", "invitation"])
def test_each_list_opens_with_its_rows(client, root, event, model):
    client.force_login(root)
    response = client.get(f"/admin/events/{model}/")
    assert response.status_code == 200
    assert "科雷傲车主日" in response.content.decode()


def test_an_event_shows_its_checklist_and_nothing_is_written_by_hand(client, root, event):
    client.force_login(root)
    body = client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert "冷餐" in body
    assert client.get("/admin/events/event/add/").status_code == 403
    assert client.get("/admin/events/invitation/add/").status_code == 403
    assert client.post(f"/admin/events/event/{event.pk}/delete/").status_code == 403
