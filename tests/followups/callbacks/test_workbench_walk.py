"""In a real browser, by the keyboard: the agent takes the next callback with N, types a score,
is told in Chinese what is missing without losing what was entered, escalates a low score, completes
with Ctrl+Enter; another callback is marked 未接通 with the 1 key."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback, Problem
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, default_callback_rules, make_callback, publish_script

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_works_two_callbacks_from_the_keyboard(browser, live_server):
    default_callback_rules()
    # 转投诉 files a complaint of the default severity: the ones the data migration ships (this
    # transactional test starts from emptied tables)
    import_module("followups.complaints.migrations.0002_default_severities").create(apps, None)
    version = publish_script("csi")
    UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])
    now = timezone.now()
    first = make_callback(kind="csi", customer=CustomerFactory(name="张三"), priority=10,
                          due_at=now - timedelta(hours=2), expires_at=now + timedelta(days=5))
    second = make_callback(kind="csi", customer=CustomerFactory(name="李四"),
                           due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=5))
    score, yes_no, choice, _text = version.questions.order_by("position")

    page = sign_in(browser, live_server, "agent_li")
    page.get_by_role("link", name="回访工作台").click()
    expect(page.locator("#queue-table")).to_contain_text("张三")
    page.wait_for_load_state()  # the shortcuts listen once the deferred script has run
    page.keyboard.press("n")
    page.wait_for_url(f"**/callbacks/{first.pk}/")
    expect(page.locator("#opening")).to_contain_text("张三您好")

    page.locator(f"label[for='q-{score.pk}-5']").click()
    page.keyboard.press("3")  # the score by its number key
    expect(page.locator(f"#q-{score.pk}-3")).to_be_checked()
    escalate = page.locator(f"#question-{score.pk} [data-escalate]")
    expect(escalate).to_be_visible()  # a low score: 转投诉 is offered
    escalate.click()
    expect(page.locator(f"#p-{score.pk}-action")).to_have_value("complaint")
    expect(page.locator(f"#p-{score.pk}-description")).to_have_value("您对本次服务的总体满意度打几分？：3")
    page.locator(f"label[for='q-{choice.pk}-1']").click()
    page.keyboard.press("Control+Enter")  # yes/no left unanswered
    expect(page.locator(f"#question-{yes_no.pk}")).to_contain_text("此题为必答题，请填写答案。")
    expect(page.locator(f"#q-{score.pk}-3")).to_be_checked()  # nothing lost
    expect(page.locator(f"#p-{score.pk}-action")).to_have_value("complaint")

    page.locator(f"label[for='q-{yes_no.pk}-yes']").click()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_contain_text("回访已完成")
    first.refresh_from_db()
    assert first.status == Callback.Status.COMPLETED
    from followups.complaints.models import Complaint

    assert Complaint.objects.get(callback=first).answer.score == 3  # a complaint of the complaints app
    assert not Problem.objects.filter(callback=first).exists()

    page.wait_for_load_state()
    page.keyboard.press("n")
    page.wait_for_url(f"**/callbacks/{second.pk}/")
    page.keyboard.press("1")  # 未接通
    expect(page.get_by_role("alert")).to_contain_text("已记录：未接通")
    second.refresh_from_db()
    assert (second.attempts, second.last_outcome, second.status) == (1, "no_answer", Callback.Status.OPEN)
    page.context.close()
