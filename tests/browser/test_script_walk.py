"""In a real browser: the DCRC supervisor starts a new version of the Renault SSI script, adds a
question with the keyboard, moves it up, publishes after the confirmation, and the script's history
shows v1 replaced by v2."""

import pytest
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role, sync_role_permissions
from followups.scripts.models import Script
from tests.factories import PASSWORD, UserFactory
from tests.followups.factories import seeded_scripts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_supervisor_writes_and_publishes_a_new_version(page, live_server):
    sync_role_permissions()
    seeded_scripts()
    UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])
    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("supervisor_liu")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="回访话术").click()
    page.get_by_role("link", name="雷诺新车销售满意度回访（SSI）").click()
    page.get_by_role("button", name="开始新版本").click()
    expect(page.locator("body")).to_contain_text("已在当前发布版本的基础上新建草稿 v2。")

    form = page.locator("#question-add-form")
    form.get_by_label("问题").fill("您对新车的油耗表现满意吗？")
    form.get_by_label("考核维度").select_option(label="交车过程")
    form.get_by_label("答案类型").select_option(label="单选")
    form.get_by_label("选择题：选项").fill("满意\n一般\n不满意")
    form.get_by_label("选择题：不满意的选项").fill("不满意")
    form.get_by_label("选择题：不满意的选项").press("Tab")
    page.keyboard.press("Enter")  # the focus is on 添加此问题
    expect(page.locator("body")).to_contain_text("第 14 题已添加。")
    page.get_by_role("button", name="第 14 题上移").click()
    expect(page.locator("#questions li").nth(12)).to_contain_text("您对新车的油耗表现满意吗？")

    page.once("dialog", lambda dialog: dialog.dismiss())  # cancelling publishes nothing
    page.locator("#publish").click()
    page.wait_for_timeout(500)  # time for a form that was sent after all to arrive
    script = Script.objects.get(key="renault_ssi")
    assert script.versions.get(number=2).status == "draft"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#publish").click()
    expect(page.locator("body")).to_contain_text("“雷诺新车销售满意度回访（SSI）”版本 2 已发布")
    expect(page.locator("#version-table")).to_contain_text("已被替换")
    assert dict(script.versions.values_list("number", "status")) == {1: "retired", 2: "published"}
    assert script.versions.get(number=2).questions.get(position=13).dissatisfied_answers == ["不满意"]
