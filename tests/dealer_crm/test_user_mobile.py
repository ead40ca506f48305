"""A member of staff's mobile, where the alerts of their work go by SMS: set in the user admin, held
to the mainland mobile format by the form and by the database."""

import pytest
from django.db import IntegrityError

from dealer_crm.accounts.models import User


def _change(client, user, **fields):
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("username", "display_name", "first_name",
                                                             "last_name", "email", "mobile")}
    data.update({"roles": [role.value for role in user.roles], "is_active": "on", "last_login_0": "",
                 "last_login_1": "", "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00", **fields})
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


@pytest.mark.django_db
def test_the_administrator_gives_a_manager_a_mobile_in_the_user_admin(login, admin_user, supervisor):
    client = login(admin_user)
    page = client.get(f"/admin/accounts/user/{supervisor.pk}/change/")
    assert 'name="mobile"' in page.content.decode()

    response = _change(client, supervisor, mobile="13912345678")
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=supervisor.pk).mobile == "13912345678"
    assert "13912345678" in client.get("/admin/accounts/user/", {"q": "13912345678"}).content.decode()


@pytest.mark.django_db
def test_a_number_that_is_not_a_mobile_is_refused_with_why(login, admin_user, supervisor):
    response = _change(login(admin_user), supervisor, mobile="0755123456")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["mobile"] == ["手机号为 11 位，以 13 至 19 开头。"]
    assert User.objects.get(pk=supervisor.pk).mobile == ""


@pytest.mark.django_db
def test_the_database_refuses_a_malformed_mobile(supervisor):
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=supervisor.pk).update(mobile="12345")
