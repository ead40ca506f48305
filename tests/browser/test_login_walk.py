"""In a real browser: the login page in Chinese, each role's own home page, the language switch."""

import re

import pytest
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def test_the_login_page_speaks_chinese_and_refuses_a_wrong_password(page, live_server):
    UserFactory(username="agent_li", roles=[Role.CALLBACK_AGENT])
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="客户中心")).to_be_visible()
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")


@pytest.mark.parametrize(
    ("role", "panel_title", "menu_item"),
    [
        (Role.CALLBACK_AGENT, "今日待回访", None),
        (Role.DCRC_SUPERVISOR, "未结投诉", "审计日志"),
        (Role.GENERAL_MANAGER, "待审批礼品", "定时任务"),
        (Role.ADMIN, "今日定时任务", "员工与角色"),
    ],
)
def test_each_role_sees_its_own_home_page(page, live_server, role, panel_title, menu_item):
    UserFactory(username="someone", roles=[role], is_staff=role == Role.ADMIN)
    log_in(page, live_server, "someone")
    expect(page.get_by_role("heading", name=panel_title)).to_be_visible()
    menu = page.get_by_role("navigation", name="主菜单")
    if menu_item:
        expect(menu.get_by_role("link", name=menu_item)).to_be_visible()
    else:
        # today, customers, new customer, the workbench, problems, the callback scripts, the complaints
        # they register, retention's reminders, letters, lapsed customers and results, the appointment
        # calendar and the service desk's day, the sales leads they hand over, the events whose door they
        # help at, the week's birthdays, the gift requests and the catalogue they request from, the outbox
        # and the SMS templates: nothing else
        expect(menu.get_by_role("link")).to_have_count(20)
        expect(menu.get_by_role("link", name="审计日志")).to_have_count(0)


def test_the_supervisor_filters_the_audit_log_without_a_reload(page, live_server):
    UserFactory(username="supervisor_liu", roles=[Role.DCRC_SUPERVISOR])
    log_in(page, live_server, "supervisor_liu")
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("cell", name="登录", exact=True).first).to_be_visible()
    page.get_by_label("操作", exact=True).select_option("login_failed")
    page.wait_for_url("**action=login_failed**")
    expect(page.get_by_text("没有符合条件的事件")).to_be_visible()


def test_english_can_be_chosen_and_logout_works(page, live_server):
    UserFactory(username="gm_chen", display_name="陈建国", roles=[Role.GENERAL_MANAGER])
    log_in(page, live_server, "gm_chen")
    page.get_by_label("语言").select_option("en")
    # the menu's Today, not "Service desk today" (the name begins with the icon's character)
    expect(page.get_by_role("link", name=re.compile(r"^\W*Today$"))).to_be_visible()
    page.get_by_role("button", name="陈建国").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
