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
