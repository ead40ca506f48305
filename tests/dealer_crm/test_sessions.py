"""An idle session ends; activity keeps it alive."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone


@pytest.mark.django_db
def test_an_expired_session_is_sent_back_to_login(login, agent):
    client = login(agent)
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_each_request_pushes_the_expiry_forward(login, agent):
    client = login(agent)
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/accounts/keepalive/").status_code == 204
    expiry = Session.objects.get().expire_date
    assert expiry > timezone.now() + timedelta(minutes=29)
