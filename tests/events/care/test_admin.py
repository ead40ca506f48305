"""Interviews and lounge visits in the admin: listed and opened for looking up, never written there."""

import pytest
import time_machine
from django.urls import reverse

from events.care import services
from tests.factories import UserFactory

from .conftest import AT_10, html

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admin_lists_and_shows_them_read_only(login, superuser, interviewer, host, customer):
    with time_machine.travel(AT_10, tick=False):
        interview = services.interview_record(customer=customer, by=interviewer, suggestions=[{"text": "多备配件"}],
                                              important={"company": "奇瑞配套"})
        visit = services.lounge_arrive(customer=customer, by=host)
    client = login(superuser)
    assert interview.number in html(client.get(reverse("admin:care_interview_changelist")))
    page = html(client.get(reverse("admin:care_interview_change", args=[interview.pk])))
    assert "多备配件" in page and "奇瑞配套" in page and 'name="_save"' not in page
    assert "王建华" in html(client.get(reverse("admin:care_loungevisit_changelist")))
    assert client.get(reverse("admin:care_loungevisit_add")).status_code == 403
    assert 'name="_save"' not in html(client.get(reverse("admin:care_loungevisit_change", args=[visit.pk])))
