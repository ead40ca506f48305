"""Security-relevant actions land in the audit log, which only the supervisor and admin read."""

import pytest

from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from dealer_crm.accounts.services import user_set_roles
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record


@pytest.mark.django_db
def test_a_login_is_recorded_with_address_and_browser(client, agent, password):
    client.post("/accounts/login/", {"username": agent.username, "password": password},
                HTTP_USER_AGENT="Chromium test", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (event.actor, event.ip_address, event.user_agent) == (agent, "10.1.2.3", "Chromium test")


@pytest.mark.django_db
def test_a_failed_login_is_recorded_with_the_name_tried(client, agent):
    response = client.post("/accounts/login/", {"username": agent.username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own message, in Chinese
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_name == agent.username


@pytest.mark.django_db
def test_a_logout_is_recorded(login, agent):
    client = login(agent)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=agent).count() == 1


@pytest.mark.django_db
def test_a_role_change_records_who_gained_and_lost_what(agent, admin_user):
    user_set_roles(user=agent, roles={Role.INTERVIEWER, Role.LOUNGE_HOST}, by=admin_user)
    agent.refresh_from_db()
    assert set(agent.roles) == {Role.INTERVIEWER, Role.LOUNGE_HOST}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE)
    assert event.actor == admin_user
    assert event.target_id == str(agent.pk)
    assert event.detail == {"added": ["interviewer", "lounge_host"], "removed": ["callback_agent"]}


@pytest.mark.django_db
def test_setting_the_same_roles_records_nothing(agent, admin_user):
    user_set_roles(user=agent, roles={Role.CALLBACK_AGENT}, by=admin_user)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE).exists()


@pytest.mark.django_db
def test_a_role_change_in_the_admin_goes_through_the_audit(login, admin_user, agent):
    client = login(admin_user)
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("username", "display_name", "first_name",
                                                             "last_name", "email")}
    data.update({"roles": ["dcrc_supervisor"], "is_active": "on", "last_login_0": "", "last_login_1": "",
                 "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00"})
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=agent.pk).roles == [Role.DCRC_SUPERVISOR]
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE)
    assert event.actor == admin_user
    assert event.detail == {"added": ["dcrc_supervisor"], "removed": ["callback_agent"]}


@pytest.mark.django_db
def test_the_supervisor_reads_and_filters_the_log(login, supervisor, agent, admin_user):
    audit_record(actor=agent, action=AuditEvent.Action.PHONE_REVEAL, target=agent)
    audit_record(actor=admin_user, action=AuditEvent.Action.EXPORT, detail={"rows": 10})
    client = login(supervisor)
    page = client.get("/audit/")
    assert page.status_code == 200
    actions = {event.action for event in page.context["page"].object_list}
    assert actions == {"login", "phone_reveal", "export"}  # the supervisor's own login is there too
    filtered = client.get("/audit/", {"action": "export"})
    assert [e.action for e in filtered.context["page"].object_list] == ["export"]
    by_agent = client.get("/audit/", {"actor": agent.pk})
    assert [e.actor for e in by_agent.context["page"].object_list] == [agent]


@pytest.mark.django_db
def test_htmx_filtering_returns_only_the_table(login, supervisor, agent):
    audit_record(actor=agent, action=AuditEvent.Action.EXPORT)
    response = login(supervisor).get("/audit/", {"action": "export"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body
    assert "<html" not in body


@pytest.mark.django_db
def test_a_backwards_date_range_is_explained(login, supervisor):
    response = login(supervisor).get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert "起始日期不能晚于截止日期" in response.content.decode()


@pytest.mark.django_db
def test_the_log_pages_with_a_fixed_number_of_queries(login, supervisor, agent, django_assert_max_num_queries):
    for _ in range(120):
        audit_record(actor=agent, action=AuditEvent.Action.EXPORT)
    client = login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get("/audit/", {"page": 2})
    assert len(response.context["page"].object_list) == 50


@pytest.mark.django_db
def test_the_event_page_shows_the_detail(login, supervisor, admin_user):
    event = audit_record(actor=admin_user, action=AuditEvent.Action.EXPORT, detail={"rows": 42})
    body = login(supervisor).get(f"/audit/{event.pk}/").content.decode()
    assert "42" in body
    assert "数据导出" in body
