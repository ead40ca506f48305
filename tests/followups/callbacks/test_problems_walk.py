"""In a real browser: an agent raises a problem from the customer's page, the after-sales manager
finds it in the inbox and records the fix, the second callback is queued; the DCRC supervisor
closes another one with a reason after confirming."""

import pytest
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback, CallbackKind, CallbackRule, Problem
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_vehicle, raise_problem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_problem_goes_from_the_agent_to_the_manager_and_on_to_a_second_callback(browser, live_server):
    CallbackRule.objects.update_or_create(kind=CallbackKind.SECOND, visit_kind="",
                                          defaults={"due_days": [1], "expires_after_days": 7, "priority": 30})
    UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])
    UserFactory(username="service_zhao", display_name="赵强", roles=[Role.SERVICE_MANAGER])
    customer = CustomerFactory(name="张三", mobile="13812345678")
    make_vehicle(customer, serial=51, plate="皖C53086")

    agent = sign_in(browser, live_server, "agent_li")
    agent.goto(f"{live_server.url}/customers/{customer.pk}/")
    agent.get_by_role("link", name="登记反馈问题").click()
    agent.get_by_label("问题类别").select_option(label="维修质量")
    agent.get_by_label("责任部门").select_option(label="售后服务部")
    agent.get_by_label("客户反馈").fill("保养后空调出风有异味")
    agent.get_by_role("button", name="提交问题").click()
    expect(agent.get_by_role("alert")).to_contain_text("问题已登记，转售后服务部处理")
    agent.context.close()

    manager = sign_in(browser, live_server, "service_zhao")
    expect(manager.locator(".card", has_text="转给本部门的问题")).to_contain_text("张三 · 维修质量")
    manager.get_by_role("link", name="反馈问题").click()
    expect(manager.get_by_role("heading", name="本部门的反馈问题")).to_be_visible()
    manager.get_by_role("link", name="保养后空调出风有异味").click()
    manager.get_by_role("textbox", name="处理结果").fill("更换空调滤芯并清洗风道")
    manager.get_by_role("button", name="提交处理结果").click()
    expect(manager.locator("#fix-form")).to_contain_text("这个字段是必填项")
    expect(manager.get_by_role("textbox", name="处理结果")).to_have_value("更换空调滤芯并清洗风道")  # nothing lost
    manager.get_by_role("textbox", name="原因", exact=True).fill("上次保养未更换空调滤芯")
    manager.get_by_role("button", name="提交处理结果").click()
    expect(manager.get_by_role("alert")).to_contain_text("处理结果已记录")
    expect(manager.locator("#fix-recorded")).to_contain_text("赵强")
    expect(manager.locator("#problem-second-callbacks tbody tr")).to_have_count(1)
    expect(manager.locator("#problem-customer").locator("xpath=ancestor::dl")).to_contain_text("皖C53086")  # the one car
    manager.screenshot(path="var/problem-walk.png", full_page=True)
    manager.context.close()

    problem = Problem.objects.get()
    assert problem.status == Problem.Status.FIXED
    assert Callback.objects.filter(problem=problem, kind=CallbackKind.SECOND).count() == 1


def test_the_supervisor_closes_a_problem_with_a_reason_after_confirming(browser, live_server):
    supervisor = UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])
    problem = raise_problem(by=supervisor, description="要求赔偿误工费")

    page = sign_in(browser, live_server, "supervisor_liu")
    page.goto(f"{live_server.url}/callbacks/problems/{problem.pk}/")
    page.get_by_label("关闭原因").fill("超出赔偿政策，已向客户解释")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="关闭问题").click()
    expect(page.locator("#problem-closed-reason")).to_contain_text("超出赔偿政策，已向客户解释")
    assert asked and "客户未满意" in asked[0]
    page.context.close()
    assert Problem.objects.get(pk=problem.pk).status == Problem.Status.CLOSED
