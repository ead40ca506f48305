"""In a real browser, the callback centre's loop until the customer is satisfied: an agent takes the
next callback (the SSI call of a car delivered three days ago), answers the script with a low score
on the delivery and raises a problem for after-sales service (the workshop's pre-delivery check);
the after-sales manager, in another browser, finds it in the inbox and records the fix; the next
morning the second callback is in the agent's queue, the agent takes it and the customer is
satisfied; the problem is closed as satisfied. The DCRC supervisor's view counts the day's work."""

from datetime import date, datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role, sync_role_permissions
from followups.callbacks.models import Callback, CallbackKind, Problem
from followups.callbacks.services.building import callbacks_build
from followups.scripts.models import Question
from followups.scripts.selectors import published_version
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, default_callback_rules, make_vehicle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 9)
MORNING = datetime(2026, 12, 9, 9, 30, tzinfo=SHANGHAI)
NEXT_MORNING = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)
SCREENSHOTS = "var/callback-walk-"


def answer(page, question: Question, value: str) -> None:
    """Click the answer's button, as the agent does (the radio itself is hidden behind its label)."""
    page.locator(f'label[for="q-{question.pk}-{value}"]').click()


def answer_all(page, version, *, low: Question | None = None) -> None:
    for question in version.questions.all():
        if question == low:
            answer(page, question, "4")
        elif question.kind == Question.Kind.SCORE:
            answer(page, question, "9")
        elif question.kind == Question.Kind.YES_NO:
            answer(page, question, "yes" if "yes" not in question.dissatisfied_answers else "no")
        elif question.kind == Question.Kind.CHOICE:
            answer(page, question, "1")  # the first option: the happy one
        # text questions are optional: left empty


def test_an_agent_and_the_after_sales_manager_go_round_until_the_customer_is_satisfied(browser, live_server):
    with time_machine.travel(MORNING, tick=True) as traveller:
        sync_role_permissions()
        default_callback_rules()
        import_module("followups.scripts.migrations.0002_seed_scripts").seed(apps, None)
        UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])
        UserFactory(username="service_zhao", display_name="赵强", roles=[Role.SERVICE_MANAGER])
        UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])
        customer = CustomerFactory(name="王建华", mobile="13955501234")
        vehicle = make_vehicle(customer, serial=88, plate="皖C6D218", delivered=TODAY - timedelta(days=3))
        built = callbacks_build(on=TODAY)
        assert (built["thank_you"], built["ssi"]) == (1, 1)  # the thank-you call is still open too
        ssi = published_version(kind="ssi", brand=vehicle.brand)
        delivery = ssi.questions.get(text__startswith="您对整个交车过程的满意程度")

        # The agent takes the next callback: the SSI call comes before the thank-you (its priority).
        agent = sign_in(browser, live_server, "agent_li")
        agent.goto(f"{live_server.url}/callbacks/")
        expect(agent.locator("#queue-table tbody tr")).to_have_count(2)
        agent.screenshot(path=f"{SCREENSHOTS}queue-morning.png", full_page=True)
        agent.locator("#take-next").click()
        expect(agent.locator("#callback-head")).to_contain_text("王建华")
        expect(agent.locator("#callback-head")).to_contain_text("SSI回访")
        expect(agent.locator("#vehicles")).to_contain_text("皖C6D218")
        expect(agent.locator("#script-heading")).to_contain_text(ssi.script.name)

        # The script, with a 4 for the delivery, and a problem for the workshop raised from that answer.
        answer_all(agent, ssi, low=delivery)
        row = agent.locator(f"#question-{delivery.pk}")
        row.locator("details.problem-raise summary").click()
        row.locator(f"#p-{delivery.pk}-action").select_option("problem")
        row.locator(f"#p-{delivery.pk}-category").select_option(label="车辆质量")
        row.locator(f"#p-{delivery.pk}-department").select_option(label="售后服务部")
        row.locator(f"#p-{delivery.pk}-description").fill("交车时发现右后门有一道划痕，新车检查（PDI）没有发现")
        agent.screenshot(path=f"{SCREENSHOTS}script.png", full_page=True)
        agent.locator("#complete").click()
        agent.wait_for_url(f"{live_server.url}/callbacks/")
        expect(agent.locator("#queue-table tbody tr")).to_have_count(1)  # the thank-you call is left

        problem = Problem.objects.get()
        assert (problem.status, problem.department, problem.callback.kind) == ("open", "service", "ssi")
        assert problem.answer.question == delivery and problem.answer.score == 4 and problem.answer.dissatisfied

        # The after-sales manager, in another browser, finds it in the inbox and records the fix.
        manager = sign_in(browser, live_server, "service_zhao")
        manager.get_by_role("link", name="反馈问题").click()
        inbox_row = manager.locator(f"#problem-{problem.pk}")
        expect(inbox_row).to_contain_text("王建华")
        expect(inbox_row).to_contain_text("交车时发现右后门有一道划痕")
        manager.screenshot(path=f"{SCREENSHOTS}manager-inbox.png", full_page=True)
        inbox_row.get_by_role("link", name="车辆质量").click()
        manager.get_by_role("textbox", name="原因", exact=True).fill("PDI检查时漏检右后门漆面")
        manager.get_by_role("textbox", name="处理结果").fill("已约客户到店免费抛光修复，客户当场确认；PDI检查表增加漆面逐项签字")
        manager.get_by_role("button", name="提交处理结果").click()
        expect(manager.locator("#problem-status")).to_have_text("已处理，待客户确认")
        expect(manager.locator("#problem-second-callbacks tbody tr")).to_have_count(1)
        second = Callback.objects.get(problem=problem, kind=CallbackKind.SECOND)
        assert second.status == "open" and second.due_at > datetime.now(tz=SHANGHAI)  # tomorrow morning

        # The next morning the second callback heads the agent's queue (signed out overnight).
        traveller.move_to(NEXT_MORNING)
        agent.context.close()
        agent = sign_in(browser, live_server, "agent_li")
        agent.goto(f"{live_server.url}/callbacks/")
        expect(agent.locator(f"#callback-{second.pk}")).to_contain_text("二次回访")
        expect(agent.locator(f"#callback-{second.pk}")).to_contain_text("王建华")
        agent.screenshot(path=f"{SCREENSHOTS}workbench.png", full_page=True)
        agent.locator("#take-next").click()
        agent.wait_for_url(f"{live_server.url}/callbacks/{second.pk}/")
        expect(agent.locator("#open-problems")).to_contain_text("车辆质量")  # what the call is about

        # The customer is satisfied with the fix.
        follow_up = published_version(kind="second", brand=vehicle.brand)
        answer_all(agent, follow_up)
        agent.locator("#complete").click()
        agent.wait_for_url(f"{live_server.url}/callbacks/")

        problem.refresh_from_db()
        assert problem.status == Problem.Status.SATISFIED and problem.round == 1
        manager.context.close()  # signed out overnight too
        manager = sign_in(browser, live_server, "service_zhao")
        manager.goto(f"{live_server.url}/callbacks/problems/{problem.pk}/")
        expect(manager.locator("#problem-status")).to_have_text("客户满意")
        expect(manager.locator("#problem-log")).to_contain_text("客户满意")
        # every step is on the customer's timeline: the problem, the fix and the answers
        manager.locator("#problem-customer").click()
        expect(manager.locator("#timeline")).to_contain_text("车辆质量")
        expect(manager.locator("#timeline")).to_contain_text("PDI检查时漏检右后门漆面")
        manager.goto(f"{live_server.url}/callbacks/problems/{problem.pk}/")
        manager.screenshot(path=f"{SCREENSHOTS}problem-satisfied.png", full_page=True)

        # The supervisor sees the day's calls, done and scored.
        supervisor = sign_in(browser, live_server, "supervisor_liu")
        supervisor.goto(f"{live_server.url}/callbacks/supervisor/")
        expect(supervisor.locator("body")).to_contain_text("李娜")
        supervisor.screenshot(path=f"{SCREENSHOTS}supervisor.png", full_page=True)
        for page in (agent, manager, supervisor):
            page.context.close()
