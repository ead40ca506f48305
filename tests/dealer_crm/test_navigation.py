"""Each role sees its own menu and its own home page."""

import pytest

from dealer_crm.accounts.roles import Role
from dealer_crm.navigation import MenuItem, menu_for
from tests.factories import UserFactory


def menu_urls(user) -> set[str]:
    return {item["url"] for section in menu_for(user) for item in section["items"]}


@pytest.mark.django_db
def test_an_agent_sees_their_work_and_the_archive(agent):
    """…and the SMS they send: the outbox and the templates they choose from."""
    assert menu_urls(agent) == {"/", "/customers/", "/customers/new/", "/sms/outbox/", "/sms/templates/",
                                "/callbacks/problems/", "/callbacks/", "/scripts/", "/complaints/", "/leads/",
                                "/retention/reminders/", "/retention/letters/", "/retention/lapses/", "/retention/report/",
                                "/appointments/calendar/", "/appointments/day/",
                                # customer care: the events whose door they help at, the week's birthdays,
                                # the gifts they request and the catalogue they request from
                                "/events/", "/birthdays/", "/gifts/", "/gifts/catalogue/"}


@pytest.mark.django_db
def test_marketing_reads_the_archive_but_adds_no_one():
    """Marketing reads the archive and sends bulk SMS; it adds no customer."""
    urls = menu_urls(UserFactory(roles=[Role.MARKETING]))
    assert {"/", "/customers/", "/sms/bulk/"} <= urls
    assert "/customers/new/" not in urls and not any(url.startswith(("/audit", "/jobs", "/imports")) for url in urls)


@pytest.mark.django_db
def test_the_supervisor_sees_the_audit_log_but_not_the_jobs(supervisor):
    urls = menu_urls(supervisor)
    assert "/audit/" in urls
    assert "/jobs/" not in urls
    assert "/customers/duplicates/" in urls


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SERVICE_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.DCRC_SUPERVISOR])
def test_the_managers_the_problems_are_routed_to_see_their_inbox(role):
    assert "/callbacks/problems/" in menu_urls(UserFactory(roles=[role]))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LOUNGE_HOST, Role.INTERVIEWER, Role.MARKETING, Role.SALES_SUPERVISOR])
def test_roles_that_fix_no_problem_see_no_problems(role):
    assert "/callbacks/problems/" not in menu_urls(UserFactory(roles=[role]))


@pytest.mark.django_db
def test_the_general_manager_sees_the_supervision_pages_they_may_read_but_not_the_queue():
    """The GM reads the callback supervision and all callbacks (the page's rule: view_callback without
    working the queue), not the workbench, the rules or the scripts."""
    assert menu_urls(UserFactory(roles=[Role.GENERAL_MANAGER])) == {
        "/", "/customers/", "/jobs/", "/sms/outbox/", "/sms/bulk/",
        "/callbacks/problems/", "/callbacks/supervisor/", "/callbacks/list/",
        "/complaints/", "/complaints/inbox/", "/complaints/plans/", "/leads/",
        "/retention/reminders/", "/retention/lapses/", "/retention/report/",
        "/appointments/calendar/", "/appointments/day/",
        # customer care, read; the gifts they approve and the budgets they set
        "/events/", "/birthdays/", "/gifts/", "/gifts/approvals/", "/gifts/catalogue/", "/gifts/budgets/",
        "/members/", "/members/tiers/", "/care/interviews/", "/care/lounge/"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CALLBACK_AGENT, Role.SALES_SUPERVISOR, Role.SERVICE_MANAGER, Role.ADMIN])
def test_roles_the_supervision_pages_refuse_have_no_entry_for_them(login, role):
    user = UserFactory(roles=[role], is_staff=role == Role.ADMIN)
    urls = menu_urls(user)
    assert "/callbacks/supervisor/" not in urls and "/callbacks/list/" not in urls
    client = login(user)
    assert client.get("/callbacks/supervisor/").status_code == 403
    assert client.get("/callbacks/list/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.GENERAL_MANAGER, Role.DCRC_SUPERVISOR])
def test_roles_with_the_supervision_entries_are_let_in(login, role):
    user = UserFactory(roles=[role])
    assert {"/callbacks/supervisor/", "/callbacks/list/"} <= menu_urls(user)
    client = login(user)
    assert client.get("/callbacks/supervisor/").status_code == 200
    assert client.get("/callbacks/list/").status_code == 200


def nobody(user) -> bool:
    return False


def everybody(user) -> bool:
    return True


@pytest.mark.django_db
def test_a_menu_item_with_a_rule_needs_its_permission_and_its_rule():
    gm = UserFactory(roles=[Role.GENERAL_MANAGER])  # holds customers.view_customer, not audit.view_auditevent
    rule = f"{__name__}.everybody"
    assert MenuItem("x", "home", "x", rule=rule).visible_to(gm)
    assert MenuItem("x", "home", "x", perm="customers.view_customer", rule=rule).visible_to(gm)
    assert not MenuItem("x", "home", "x", perm="audit.view_auditevent", rule=rule).visible_to(gm)
    assert not MenuItem("x", "home", "x", perm="customers.view_customer", rule=f"{__name__}.nobody").visible_to(gm)


@pytest.mark.django_db
def test_the_admin_sees_administration(admin_user):
    assert {"/", "/audit/", "/jobs/", "/admin/accounts/user/", "/admin/django_celery_beat/periodictask/"} <= menu_urls(
        admin_user
    )


@pytest.mark.django_db
def test_admin_pages_stay_hidden_from_a_non_staff_user_with_the_permission():
    user = UserFactory(roles=[Role.ADMIN], is_staff=False)
    assert "/admin/accounts/user/" not in menu_urls(user)


@pytest.mark.django_db
def test_the_menu_marks_the_current_page(login, supervisor):
    response = login(supervisor).get("/audit/")
    current = [item for section in response.context["menu"] for item in section["items"] if item["active"]]
    assert [item["url"] for item in current] == ["/audit/"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "panel"),
    [
        (Role.CALLBACK_AGENT, "callbacks"),
        (Role.LOUNGE_HOST, "lounge"),
        (Role.INTERVIEWER, "interviews"),
        (Role.DCRC_SUPERVISOR, "complaints"),
        (Role.SERVICE_MANAGER, "feedback"),
        (Role.SALES_MANAGER, "feedback"),
        (Role.SALES_SUPERVISOR, "showroom"),
        (Role.MARKETING, "events"),
        (Role.GENERAL_MANAGER, "gift_approvals"),
        (Role.ADMIN, "job_runs"),
    ],
)
def test_each_role_lands_on_its_own_home_page(login, role, panel):
    user = UserFactory(roles=[role])
    response = login(user).get("/")
    assert response.status_code == 200
    keys = [p.key for p, _rows in response.context["panels"]]
    assert panel in keys
    assert str(role.label) in response.content.decode()


@pytest.mark.django_db
def test_the_sales_supervisors_home_has_no_problems_panel_nor_link(login):
    """The sales department's problems go to the sales manager; the inbox is 403 to the sales supervisor."""
    client = login(UserFactory(roles=[Role.SALES_SUPERVISOR]))
    response = client.get("/")
    assert "feedback" not in [p.key for p, _rows in response.context["panels"]]
    assert 'href="/callbacks/problems/"' not in response.content.decode()
    assert client.get("/callbacks/problems/").status_code == 403


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_to_ask_for_one(login):
    response = login(UserFactory()).get("/")
    assert response.context["panels"] == []
    assert "还没有分配角色" in response.content.decode()


@pytest.mark.django_db
def test_the_home_page_runs_a_fixed_number_of_queries(login, admin_user, django_assert_max_num_queries):
    from dealer_crm.jobs.services import run_daily_jobs
    from django.utils import timezone

    run_daily_jobs(on=timezone.localdate())
    client = login(admin_user)
    with django_assert_max_num_queries(12):
        client.get("/")


@pytest.mark.django_db
def test_the_callback_scripts_are_the_last_entry_of_the_callback_section(supervisor, agent):
    for user in (supervisor, agent):
        section = next(section for section in menu_for(user) if section["label"] == "回访")
        assert section["items"][-1]["url"] == "/scripts/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.SERVICE_MANAGER, Role.LOUNGE_HOST, Role.MARKETING])
def test_the_roles_outside_the_callback_centre_have_no_scripts_entry(role):
    assert "/scripts/" not in menu_urls(UserFactory(roles=[role]))
