"""In a real browser: find a customer by a plate fragment, change a phone, see it in the history."""

from datetime import date

import pytest
from playwright.sync_api import expect

from customers import services
from dealer_crm.accounts.roles import Role
from tests.customers.factories import make_vehicle
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_plate_fragment_edit_a_phone_and_see_it_in_the_history(page, live_server):
    UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])
    customer = services.customer_create(by=None, name="张三", mobile="13812345678", address="蚌埠市胜利路8号")
    make_vehicle(customer, serial=7, plate="皖C53086", delivered=date(2026, 3, 1))
    other = services.customer_create(by=None, name="李四", mobile="13900000000")
    make_vehicle(other, serial=8, plate="皖A88888")

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.keyboard.press("/")  # the shortcut puts the cursor in the header search
    expect(page.get_by_role("searchbox", name="搜索客户")).to_be_focused()
    page.keyboard.type("c530")
    page.keyboard.press("Enter")
    results = page.locator(".search-hit")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("皖C53086")
    expect(results.first).to_contain_text("138****5678")

    results.first.click()
    expect(page.get_by_role("heading", name="张三", exact=True)).to_be_visible()
    expect(page.get_by_text("138****5678")).to_be_visible()

    page.get_by_role("link", name="编辑").click()
    page.get_by_label("手机", exact=True).fill("139 8765 4321")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("修改已保存")
    expect(page.get_by_text("139****4321")).to_be_visible()

    page.get_by_role("tab", name="变更历史").click()
    history = page.locator("#tab-history")
    expect(history).to_contain_text("李娜")
    expect(history).to_contain_text("138****5678")
    expect(history).to_contain_text("139****4321")
    page.screenshot(path="var/archive-walk.png", full_page=True)


def test_the_full_number_is_one_logged_click(page, live_server):
    from dealer_crm.audit.models import AuditEvent

    UserFactory(username="agent_li", roles=[Role.CALLBACK_AGENT])
    customer = services.customer_create(by=None, name="王五", mobile="13812345678")
    page.goto(f"{live_server.url}/accounts/login/?next=/customers/{customer.pk}/")
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="查看完整号码").click()
    expect(page.get_by_role("link", name="138 1234 5678")).to_be_visible()
    assert AuditEvent.objects.filter(action="phone_reveal", target_id=str(customer.pk)).count() == 1
