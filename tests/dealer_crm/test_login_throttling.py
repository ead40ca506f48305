"""Wrong passwords: after five for one account from one address, that pair is locked for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

LOGIN = "/accounts/login/"


def attempt(client, username, password, address="10.0.0.8"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="10.0.0.8"):
    """`times` wrong passwords: the form again with its error, then the lockout page at the fifth."""
    for number in range(1, times + 1):
        response = attempt(client, username, "wrong", address)
        assert response.status_code == (429 if number >= 5 else 200)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_on_this_computer_even_for_the_right_one(client, agent, password):
    fail(client, agent.username, 4)
    response = attempt(client, agent.username, "wrong")
    assert response.status_code == 429
    body = response.content.decode()
    assert "5 次密码错误" in body
    assert "登录失败次数过多" in body and "15 分钟" in body
    response = attempt(client, agent.username, password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_colleagues_behind_the_same_router_still_log_in(client, agent, supervisor, password):
    fail(client, agent.username, 5)
    response = attempt(client, supervisor.username, password)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(supervisor.pk)


@pytest.mark.django_db
def test_the_account_works_from_another_address(client, agent, password):
    fail(client, agent.username, 5)
    assert attempt(client, agent.username, password, address="10.0.0.9").status_code == 302


@pytest.mark.django_db
def test_a_good_login_clears_the_count(client, agent, password):
    fail(client, agent.username, 4)
    assert attempt(client, agent.username, password).status_code == 302
    client.logout()
    fail(client, agent.username, 4)  # four more, not a lockout: the count started again
    assert attempt(client, agent.username, password).status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off_or_when_an_admin_resets_it(client, agent, password):
    fail(client, agent.username, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, agent.username, password).status_code == 302
    client.logout()
    fail(client, agent.username, 5)
    call_command("axes_reset_username", agent.username)
    assert attempt(client, agent.username, password).status_code == 302


@pytest.mark.django_db
def test_failed_logins_still_reach_the_audit_log(client, agent):
    from dealer_crm.audit.models import AuditEvent

    fail(client, agent.username, 2)
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_browser_is_counted_by_its_own_address(client, agent, password, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    def through_proxy(username, secret, browser):
        return client.post(LOGIN, {"username": username, "password": secret}, REMOTE_ADDR="10.0.0.1",
                           HTTP_X_FORWARDED_FOR=browser)

    for _ in range(5):
        through_proxy(agent.username, "wrong", "192.168.1.20")
    assert through_proxy(agent.username, password, "192.168.1.20").status_code == 429
    assert through_proxy(agent.username, password, "192.168.1.21").status_code == 302


@pytest.mark.django_db
def test_the_admin_sees_the_locked_account_and_unlocks_it(client, agent, admin_user, password, colleague):
    from django.test import Client

    fail(client, agent.username, 5)
    attempt_row = AccessAttempt.objects.get()
    staff = Client()
    staff.force_login(admin_user)
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and agent.username in listing.content.decode()
    response = staff.post(f"/admin/axes/accessattempt/{attempt_row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert attempt(client, agent.username, password).status_code == 302
    other = Client()
    other.force_login(colleague)
    assert other.get("/admin/axes/accessattempt/").status_code in (302, 403)  # not for other roles


@pytest.mark.django_db
def test_without_a_cool_off_the_page_says_an_administrator_unlocks(client, agent, settings):
    settings.AXES_COOLOFF_TIME = None
    fail(client, agent.username, 4)
    response = attempt(client, agent.username, "wrong")
    assert response.status_code == 429 and "管理员解锁" in response.content.decode()
