"""Nobody widens their own access in the admin, and every change of access is in the audit log."""

import pytest
from django.contrib.auth.models import Permission

from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import ROLE_PERMISSIONS, Role
from dealer_crm.audit.models import AuditEvent
from tests.factories import UserFactory


def change_form_data(client, user, **overrides):
    form = client.get(f"/admin/accounts/user/{user.pk}/change/").context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("username", "display_name", "first_name", "last_name",
                                                             "email")}
    data.update({"roles": [role.value for role in user.roles], "is_active": "on", "date_joined_0": "2026-01-05",
                 "date_joined_1": "09:00:00"})
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_an_admin_cannot_make_themselves_superuser(login, admin_user):
    client = login(admin_user)
    response = client.post(f"/admin/accounts/user/{admin_user.pk}/change/",
                           change_form_data(client, admin_user, is_superuser="on"))
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.is_superuser is False


@pytest.mark.django_db
def test_an_admin_cannot_make_a_colleague_superuser(login, admin_user, agent):
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{agent.pk}/change/", change_form_data(client, agent, is_superuser="on"))
    agent.refresh_from_db()
    assert agent.is_superuser is False


@pytest.mark.django_db
def test_an_admin_cannot_change_their_own_roles(login, admin_user):
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{admin_user.pk}/change/",
                change_form_data(client, admin_user, roles=["admin", "general_manager"]))
    assert User.objects.get(pk=admin_user.pk).roles == [Role.ADMIN]


@pytest.mark.django_db
def test_deactivating_an_account_is_audited(login, admin_user, agent):
    client = login(admin_user)
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", change_form_data(client, agent, is_active=None))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE, target_id=str(agent.pk))
    assert event.detail == {"access": {"is_active": False}}
    assert event.actor == admin_user


@pytest.mark.django_db
def test_every_permission_a_role_names_exists():
    """A misspelt permission would silently leave a role without access."""
    existing = {f"{app}.{code}" for app, code in Permission.objects.values_list("content_type__app_label", "codename")}
    named = {name for names in ROLE_PERMISSIONS.values() for name in names}
    assert named - existing == set()


@pytest.mark.django_db
def test_the_migration_creates_one_group_per_role():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    agent_group = Group.objects.get(name=Role.CALLBACK_AGENT)
    assert agent_group.permissions.filter(codename="reveal_phone").exists()


@pytest.mark.django_db
def test_a_superuser_can_still_grant_superuser(client, agent):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    client.post(f"/admin/accounts/user/{agent.pk}/change/", change_form_data(client, agent, is_superuser="on"))
    agent.refresh_from_db()
    assert agent.is_superuser is True
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE, detail__access__is_superuser=True).exists()


# --- superusers are changed by superusers only; resets and role changes sign the person out ----
def _signed_in_client(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get("/").status_code == 200
    return other


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_the_store_admin_cannot_reset_a_superusers_password(login, admin_user, root):
    client = login(admin_user)
    before = User.objects.get(pk=root.pk).password
    assert client.get(f"/admin/accounts/user/{root.pk}/password/").status_code == 403
    response = client.post(f"/admin/accounts/user/{root.pk}/password/",
                           {"password1": "Taken-over-2026", "password2": "Taken-over-2026",
                            "set_usable_password": "true"})
    assert response.status_code == 403
    assert User.objects.get(pk=root.pk).password == before


@pytest.mark.django_db
def test_the_store_admin_cannot_change_or_delete_a_superuser(login, admin_user, root):
    client = login(admin_user)
    page = client.get(f"/admin/accounts/user/{root.pk}/change/")
    assert page.status_code == 200 and 'name="username"' not in page.content.decode()  # read-only
    client.post(f"/admin/accounts/user/{root.pk}/change/", {"username": "renamed", "is_active": ""})
    root.refresh_from_db()
    assert (root.username, root.is_active) == ("root", True)
    assert client.post(f"/admin/accounts/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


@pytest.mark.django_db
def test_the_store_admin_cannot_give_admin_site_access(login, admin_user, agent):
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{agent.pk}/change/", change_form_data(client, agent, is_staff="on"))
    agent.refresh_from_db()
    assert agent.is_staff is False


@pytest.mark.django_db
def test_a_superuser_can_reset_a_superusers_password(client, root):
    other = UserFactory(username="root2", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(f"/admin/accounts/user/{other.pk}/password/",
                           {"password1": "New-Secret-2026", "password2": "New-Secret-2026",
                            "set_usable_password": "true"})
    assert response.status_code == 302
    assert User.objects.get(pk=other.pk).check_password("New-Secret-2026")


@pytest.mark.django_db
def test_resetting_a_colleagues_password_signs_them_out_and_is_audited(login, admin_user, agent):
    agents_browser = _signed_in_client(agent)
    client = login(admin_user)
    response = client.post(f"/admin/accounts/user/{agent.pk}/password/",
                           {"password1": "New-Secret-2026", "password2": "New-Secret-2026",
                            "set_usable_password": "true"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    assert agents_browser.get("/").status_code == 302  # back to the login page
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_SET)
    assert (event.actor, event.target_id, event.detail) == (admin_user, str(agent.pk), {"sessions_ended": 1})
    assert event.ip_address == "10.1.2.3" and event.at is not None
    assert client.get("/admin/").status_code == 200  # the admin's own session goes on


@pytest.mark.django_db
def test_a_wrong_confirmation_changes_nothing_and_records_nothing(login, admin_user, agent):
    agents_browser = _signed_in_client(agent)
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{agent.pk}/password/",
                {"password1": "New-Secret-2026", "password2": "Other-2026", "set_usable_password": "true"})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_SET).exists()
    assert agents_browser.get("/").status_code == 200


@pytest.mark.django_db
def test_changing_a_colleagues_roles_signs_them_out(login, admin_user, agent):
    agents_browser = _signed_in_client(agent)
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{agent.pk}/change/",
                change_form_data(client, agent, roles=["callback_agent", "interviewer"]))
    assert agents_browser.get("/").status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE, target_id=str(agent.pk))
    assert event.detail == {"added": ["interviewer"], "removed": [], "sessions_ended": 1}


@pytest.mark.django_db
def test_deactivating_a_colleague_signs_them_out(login, admin_user, agent):
    agents_browser = _signed_in_client(agent)
    client = login(admin_user)
    client.post(f"/admin/accounts/user/{agent.pk}/change/", change_form_data(client, agent, is_active=None))
    assert agents_browser.get("/").status_code == 302
