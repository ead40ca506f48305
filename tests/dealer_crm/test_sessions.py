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
    assert timezone.now() + timedelta(minutes=29) < expiry <= timezone.now() + timedelta(minutes=30)


@pytest.mark.django_db
def test_an_htmx_request_after_expiry_sends_the_browser_to_login(login, supervisor):
    client = login(supervisor)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/audit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_a_visitor_who_is_not_logged_in_sees_no_logout_on_a_404(client):
    response = client.get("/nothing-here/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "此页面不存在" in body
    assert "退出登录" not in body and "AnonymousUser" not in body


@pytest.mark.django_db
def test_the_session_is_written_at_most_once_a_minute(login, agent, django_assert_num_queries):
    client = login(agent)
    client.get("/accounts/keepalive/")  # first request: the session is touched and saved
    with django_assert_num_queries(2):  # session and user only: no write
        client.get("/accounts/keepalive/")
