"""In a real browser, a complaint from the low score to its close: an agent takes a CSI callback (a
repair three days ago), gives the repair's quality a 3 and escalates it as a complaint (转投诉); the DCRC
supervisor finds it unassigned on the home page and in the complaint list, among others the store
registered before (some overdue), and gives it to the after-sales manager; the manager, in another
browser, finds it in the inbox, records the first contact (the apology), starts the investigation,
records the home visit with its report, the solution agreed with its cost and the solution done; days
later the follow-up call, the customer's word that they are satisfied, the case analysis with its
improvement plan, and the close. The customer's timeline then tells each step, and no page of the walk
had a script or style refused by the Content-Security-Policy."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role, sync_role_permissions
from followups.callbacks.models import Callback, CallbackKind
from followups.callbacks.services.building import callbacks_build
from followups.complaints import services as complaints
from followups.complaints.models import CaseAnalysis, Complaint, ComplaintStep, Severity
from followups.scripts.models import Question
from followups.scripts.selectors import published_version
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory
from tests.followups.factories import (CustomerFactory, default_callback_rules, make_vehicle, raise_problem,
                                       repair_order)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 9)  # a Wednesday
MORNING = datetime(2026, 12, 9, 9, 30, tzinfo=SHANGHAI)
VISIT_DAY = datetime(2026, 12, 10, 14, 0, tzinfo=SHANGHAI)  # Thursday afternoon
FOLLOW_UP_DAY = datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)  # the Monday after
SCREENSHOTS = "var/complaint-walk-"
A = ComplaintStep.Action

# Runs in every document before its own scripts: a refused resource or inline code is reported.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportPolicyViolation([location.pathname, event.violatedDirective, event.blockedURI || "inline",
                                event.sample || ""].join(" | "));
});
"""


def watched(page, problems: list[str]):
    """The page's later documents report what the policy refused and every script error."""
    page.context.expose_function("reportPolicyViolation", lambda text: problems.append(f"violation: {text}"))
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    page.on("console", lambda message: problems.append(f"{page.url}: console: {message.text}")
            if message.type == "error" else None)
    return page


def shot(page, name: str) -> None:
    """A full-page screenshot from the top (scrolled down, the fixed header would be drawn mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SCREENSHOTS}{name}.png", full_page=True)


def answer(page, question: Question, value: str) -> None:
    page.locator(f'label[for="q-{question.pk}-{value}"]').click()


def answer_all(page, version, *, low: Question) -> None:
    for question in version.questions.all():
        if question == low:
            answer(page, question, "3")
        elif question.kind == Question.Kind.SCORE:
            answer(page, question, "9")
        elif question.kind == Question.Kind.YES_NO:
            answer(page, question, "yes" if "yes" not in question.dissatisfied_answers else "no")
        elif question.kind == Question.Kind.CHOICE:
            answer(page, question, "1")


def move(page, action: str, button: str, **fields: str) -> None:
    """Fill one step's form on the complaint page (its fields by name) and send it."""
    form = page.locator(f"#move-{action}")
    for name, value in fields.items():
        form.locator(f'[name="{action}-{name}"]').fill(value)
    form.get_by_role("button", name=button).click()


def the_stores_other_complaints(*, supervisor, sales_manager, service_manager) -> list[Complaint]:
    """Complaints registered before the walk through the services, at their own times: a fuller list,
    some of them overdue, one already on the after-sales manager's desk, plus a problem for his inbox."""
    major = Severity.objects.get(code="major")
    serious = Severity.objects.get(code="serious")
    made = []
    for name, mobile, kwargs, at in [
        ("陈静", "13955502001", {"channel": "phone", "category": "waiting", "department": "service",
                                 "description": "保养等了四个小时，休息区没有人告知进度", "severity": serious},
         datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)),
        ("孙磊", "13955502002", {"channel": "walk_in", "category": "promise", "department": "sales",
                                 "description": "购车时承诺送的脚垫和行车记录仪至今没有给", "owner": sales_manager},
         datetime(2026, 12, 3, 15, 0, tzinfo=SHANGHAI)),
        ("周敏", "13955502003", {"channel": "hotline", "category": "repair", "department": "service",
                                 "description": "空调维修后第二天又不制冷，要求厂家介入", "severity": major,
                                 "owner": service_manager},
         datetime(2026, 12, 8, 14, 0, tzinfo=SHANGHAI)),
        ("吴刚", "13955502004", {"channel": "online", "category": "price", "department": "service",
                                 "description": "网上留言：更换刹车片的价格比别家贵一倍"},
         datetime(2026, 12, 9, 8, 45, tzinfo=SHANGHAI)),
    ]:
        customer = CustomerFactory(name=name, mobile=mobile)
        made.append(complaints.complaint_register(customer=customer, by=supervisor, now=at, **kwargs))
    raise_problem(by=supervisor, department="service", category="repair",
                  customer=CustomerFactory(name="郑洁", mobile="13955502005"), description="洗车后车门内侧有水渍")
    return made


def test_a_low_score_escalated_to_a_complaint_is_handled_until_the_customer_is_satisfied(browser, live_server):
    problems: list[str] = []
    with time_machine.travel(MORNING, tick=True) as traveller:
        sync_role_permissions()
        default_callback_rules()
        import_module("followups.scripts.migrations.0002_seed_scripts").seed(apps, None)
        UserFactory(username="agent_li", display_name="李娜", roles=[Role.CALLBACK_AGENT])
        supervisor_user = UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])
        manager_user = UserFactory(username="service_zhao", display_name="赵强", roles=[Role.SERVICE_MANAGER])
        sales_manager = UserFactory(username="sales_qian", display_name="钱伟", roles=[Role.SALES_MANAGER])
        customer = CustomerFactory(name="王建华", mobile="13955501234")
        vehicle = make_vehicle(customer, serial=88, plate="皖C6D218", delivered=date(2024, 5, 20))
        repair_order(vehicle, closed_on=TODAY - timedelta(days=3))
        built = callbacks_build(on=TODAY)
        assert built["csi"] == 1
        others = the_stores_other_complaints(supervisor=supervisor_user, sales_manager=sales_manager,
                                             service_manager=manager_user)
        csi = published_version(kind="csi", brand=vehicle.brand)
        quality = csi.questions.get(text__startswith="您对本次维修保养的质量打几分")

        # The agent takes the CSI call, gives the repair's quality a 3 and escalates it (转投诉).
        agent = watched(sign_in(browser, live_server, "agent_li"), problems)
        agent.goto(f"{live_server.url}/callbacks/")
        agent.locator("#take-next").click()
        expect(agent.locator("#callback-head")).to_contain_text("王建华")
        expect(agent.locator("#callback-head")).to_contain_text("CSI回访")
        answer_all(agent, csi, low=quality)
        row = agent.locator(f"#question-{quality.pk}")
        escalate = row.get_by_role("button", name="转投诉")
        expect(escalate).to_be_visible()  # shown once the score is low
        escalate.click()
        expect(row.locator(f"#p-{quality.pk}-action")).to_have_value("complaint")
        description = row.locator(f"#p-{quality.pk}-description")
        expect(description).to_have_value("您对本次维修保养的质量打几分？：3")  # prefilled from the answer
        description.fill("上周更换的前刹车片有异响，回店检查两次都说正常，客户很生气")
        shot(agent, "escalate")
        agent.locator("#complete").click()
        agent.wait_for_url(f"{live_server.url}/callbacks/")

        complaint = Complaint.objects.get(customer=customer)
        assert (complaint.channel, complaint.category, complaint.department) == ("callback", "repair", "service")
        assert complaint.owner is None and complaint.status == Complaint.Status.REGISTERED
        assert complaint.callback.kind == CallbackKind.CSI and complaint.answer.score == 3
        assert Callback.objects.get(pk=complaint.callback_id).status == Callback.Status.COMPLETED

        # The supervisor sees it on the home page, then finds it in the complaint list, unassigned.
        supervisor = watched(sign_in(browser, live_server, "supervisor_liu"), problems)
        supervisor.reload()  # the home page again, now watched
        panel = supervisor.get_by_role("region", name="未结投诉")
        expect(panel).to_contain_text(f"{complaint.number} · 王建华 · 维修质量")
        supervisor.locator(".app-sidebar").get_by_role("link", name=re.compile(r"投诉$")).click()  # the menu
        table = supervisor.locator("#complaint-table")
        expect(table.locator("tbody tr")).to_have_count(len(others) + 1)
        listed = supervisor.locator(f"#complaint-{complaint.pk}")
        expect(listed).to_contain_text("王建华")
        expect(listed).to_contain_text("维修质量")
        expect(listed).to_contain_text("尚未分派")
        expect(listed).to_contain_text("回访")
        expect(listed).to_contain_text("首次联系")  # the deadline that runs
        expect(supervisor.locator("tr.complaint-overdue")).not_to_have_count(0)
        shot(supervisor, "list")
        listed.get_by_role("link", name=complaint.number).click()
        expect(supervisor.locator("#complaint-title")).to_contain_text(f"{complaint.number} · 王建华 · 维修质量")
        expect(supervisor.locator("#complaint-description")).to_contain_text("前刹车片有异响")
        expect(supervisor.locator("#complaint-running-deadline")).to_contain_text("首次联系")
        shot(supervisor, "registered")
        assign = supervisor.locator("#assign-form")
        assign.get_by_label("分派给").select_option(label="赵强")
        assign.get_by_label("备注").fill("维修质量问题，请售后经理今天联系客户")
        assign.get_by_role("button", name="分派").click()
        expect(supervisor.locator("#complaint-owner")).to_have_text("赵强")
        expect(supervisor.locator("#complaint-log")).to_contain_text("分派")

        # The after-sales manager, in another browser, finds it in the inbox and calls the customer.
        manager = watched(sign_in(browser, live_server, "service_zhao"), problems)
        manager.goto(f"{live_server.url}/complaints/inbox/")
        in_inbox = manager.locator(f"#complaint-{complaint.pk}")
        expect(in_inbox).to_contain_text("王建华")
        expect(in_inbox).to_contain_text("前刹车片有异响")
        expect(manager.locator("#inbox-table tr.inbox-problem")).to_have_count(1)  # problems and complaints together
        shot(manager, "inbox")
        in_inbox.get_by_role("link", name=complaint.number).click()
        move(manager, "contacted", "记录首次联系",
             note="电话向客户道歉，说明刹车异响会由技术经理亲自复查，约定明天下午上门")
        expect(manager.locator("#complaint-status")).to_contain_text("已首次联系")
        move(manager, "investigating", "开始调查", note="调取两次复查的工单和试车记录")
        expect(manager.locator("#complaint-status")).to_contain_text("调查中")

        # The next afternoon: the home visit, the solution agreed and done.
        traveller.move_to(VISIT_DAY)
        manager.context.close()  # signed out overnight
        manager = watched(sign_in(browser, live_server, "service_zhao"), problems)
        manager.goto(f"{live_server.url}/complaints/{complaint.pk}/")
        move(manager, "visited", "记录上门拜访",
             note="技术经理和服务顾问上门试车，低速制动时右前轮有明显异响，刹车片装配时少装了消音片")
        expect(manager.locator("#complaint-status")).to_contain_text("已上门拜访")
        shot(manager, "midway")
        move(manager, "agreed", "记录商定的方案",
             solution="免费重新安装刹车片和消音片，赠送一次四轮定位，并上门取送车", cost="350")
        expect(manager.locator("#complaint-solution")).to_contain_text("赠送一次四轮定位")
        expect(manager.locator("#complaint-solution")).to_contain_text("350")
        move(manager, "solved", "记录为已解决", note="当天重新安装完毕，技术经理陪同客户试车，异响消失")
        expect(manager.locator("#complaint-status")).to_contain_text("已解决")
        expect(manager.locator("#deadline-follow-up")).to_contain_text("2026-12-17")  # within 7 days

        # The Monday after: the follow-up call, the customer satisfied, the case analysis, the close.
        traveller.move_to(FOLLOW_UP_DAY)
        manager.context.close()
        manager = watched(sign_in(browser, live_server, "service_zhao"), problems)
        manager.goto(f"{live_server.url}/complaints/{complaint.pk}/")
        move(manager, "followed_up", "记录跟进回访", note="客户说这几天刹车安静了，感谢上门取送车")
        move(manager, "satisfied", "客户确认满意", note="客户表示满意，同意结案")
        expect(manager.locator("#complaint-status")).to_contain_text("客户满意")
        expect(manager.locator("#close-needs-analysis")).to_be_visible()
        analysis = manager.locator("#analysis-form")
        expect(analysis).to_be_visible()  # opened by itself once the customer has had their say
        analysis.get_by_label("根本原因").select_option("process")
        analysis.get_by_label("问题所在").fill("刹车片更换作业没有检查消音片，两次复查只做了路试，没有拆检")
        analysis.get_by_label("对本店的启示").fill("客户第二次回店反映同一问题时，必须拆检并由技术经理签字")
        analysis.get_by_label("分享给各部门").check()
        plan = manager.locator("#plan-rows tbody tr").first
        plan.locator('[name="plan-0-action"]').fill("刹车作业检查表增加消音片一项，班组长逐车签字")
        plan.locator('[name="plan-0-department"]').select_option(label="售后服务部")
        plan.locator('[name="plan-0-owner"]').select_option(label="赵强")
        plan.locator('[name="plan-0-due_on"]').fill("2026-12-31")
        shot(manager, "analysis")
        analysis.get_by_role("button", name="保存案例分析").click()
        expect(manager.locator("#analysis-written")).to_contain_text("刹车片更换作业没有检查消音片")
        expect(manager.locator("#analysis-plans")).to_contain_text("刹车作业检查表增加消音片一项")
        questions = []
        manager.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        move(manager, "closed", "结案")
        expect(manager.locator("#complaint-status")).to_contain_text("已结案")
        assert questions, "closing asks first"
        expect(manager.locator("#complaint-deadlines")).not_to_contain_text("超时")
        shot(manager, "closed")

        # Every step on the customer's timeline, in the customer page's words.
        manager.locator("#complaint-customer").click()
        timeline = manager.locator("#timeline")
        number = complaint.number
        for text in [f"投诉 {number} 已登记 · 维修质量，一般，涉及售后服务部", f"投诉 {number} 已分派给赵强",
                     f"投诉 {number}：已首次联系客户", "电话向客户道歉", f"投诉 {number}：开始调查",
                     f"投诉 {number}：上门拜访", "少装了消音片", f"投诉 {number}：与客户商定解决方案",
                     "赠送一次四轮定位", f"投诉 {number} 已解决", f"投诉 {number}：回访客户",
                     f"投诉 {number}：客户确认满意", f"投诉 {number} 已结案（附案例分析）"]:
            expect(timeline).to_contain_text(text)
        shot(manager, "customer")

        # The supervisor's list, the closed one left out of the open ones by default.
        supervisor.context.close()
        supervisor = watched(sign_in(browser, live_server, "supervisor_liu"), problems)
        supervisor.goto(f"{live_server.url}/complaints/")
        expect(supervisor.locator(f"#complaint-{complaint.pk}")).to_have_count(0)
        supervisor.goto(f"{live_server.url}/complaints/?state=closed")
        expect(supervisor.locator(f"#complaint-{complaint.pk}")).to_contain_text("已结案")

        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.CLOSED and complaint.owner == manager_user
        assert complaint.cost == Decimal("350.00") and "四轮定位" in complaint.solution
        assert complaint.closed_at.astimezone(SHANGHAI).date() == FOLLOW_UP_DAY.date()
        steps = list(complaint.steps.order_by("at", "id"))
        assert [step.action for step in steps] == [
            A.REGISTERED, A.ASSIGNED, A.CONTACTED, A.INVESTIGATING, A.VISITED, A.AGREED, A.SOLVED,
            A.FOLLOWED_UP, A.SATISFIED, A.CLOSED]
        assert [step.by.username for step in steps] == ["agent_li", "supervisor_liu"] + ["service_zhao"] * 8
        assert [step.at for step in steps] == sorted(step.at for step in steps)
        assert steps[4].at.astimezone(SHANGHAI).date() == VISIT_DAY.date()
        assert steps[5].cost == Decimal("350.00")
        analysis_row = CaseAnalysis.objects.get(complaint=complaint)
        assert analysis_row.root_cause == "process" and analysis_row.shared
        assert [(plan.owner, plan.due_on) for plan in analysis_row.plans.all()] == [(manager_user, date(2026, 12, 31))]
        for page in (agent, supervisor, manager):
            page.context.close()
    assert not problems, "\n".join(problems)
