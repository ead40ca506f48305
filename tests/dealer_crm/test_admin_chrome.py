"""The Django admin keeps the configuration tables: it wears the CRM's header, leads back to the CRM,
names roles in Chinese; and the README's menu paths are the menu's."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from dealer_crm.accounts.roles import Role
from dealer_crm.navigation import MENU
from tests.factories import UserFactory


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_every_admin_page_leads_back_to_the_crm(client, root):
    client.force_login(root)
    for url in ["/admin/", "/admin/accounts/user/", "/admin/django_celery_beat/periodictask/"]:
        page = client.get(url).content.decode()
        assert f'<a href="{reverse("home")}" id="back-to-crm">返回客户中心</a>' in page, url


@pytest.mark.django_db
def test_the_staff_list_shows_each_ones_roles_by_their_chinese_names(client, root):
    UserFactory(username="li", display_name="李娜", roles=[Role.CALLBACK_AGENT, Role.INTERVIEWER])
    client.force_login(root)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "<th" in page and ">角色<" in page
    with translation.override("zh-hans"):
        names = f"{Role.CALLBACK_AGENT.label}、{Role.INTERVIEWER.label}"
    assert names != "Callback agent、Interviewer" and names in page
    assert "callback_agent" not in re.sub(r'href="[^"]*"', "", page)  # the filter's links carry the value only


@pytest.mark.django_db
def test_the_role_filter_names_roles_in_chinese_and_filters(client, root):
    UserFactory(username="li", roles=[Role.CALLBACK_AGENT])
    UserFactory(username="wang", roles=[Role.ADMIN])
    client.force_login(root)
    response = client.get(reverse("admin:accounts_user_changelist"), {"role": "callback_agent"})
    assert [user.username for user in response.context["cl"].result_list] == ["li"]
    with translation.override("zh-hans"):
        assert str(Role.CALLBACK_AGENT.label) in response.content.decode()
        assert str(Role.CALLBACK_AGENT.label) != "Callback agent"


@pytest.mark.django_db
def test_the_staff_list_reads_the_roles_in_one_query(client, root, django_assert_max_num_queries):
    for number in range(5):
        UserFactory(username=f"agent{number}", roles=[Role.CALLBACK_AGENT])
    client.force_login(root)
    with django_assert_max_num_queries(12):
        client.get(reverse("admin:accounts_user_changelist"))


def test_each_menu_path_the_readme_names_is_in_the_menu():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        menu = {str(section.label): {str(item.label) for item in section.items} for section in MENU}
    paths = re.findall(r"([\u4e00-\u9fff]+) → ([\u4e00-\u9fff]+)", readme)
    assert paths
    for section, entry in paths:
        assert section in menu and entry in menu[section], f"{section} → {entry}"


@pytest.mark.django_db
def test_the_admin_header_has_one_way_back_to_the_crm(login, admin_user):
    """返回客户中心 is the way back; Django's own 查看站点 would be a second link to the same place."""
    page = login(admin_user).get("/admin/").content.decode()
    assert "返回客户中心" in page
    assert "查看站点" not in page and "View site" not in page
