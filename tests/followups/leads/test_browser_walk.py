"""In a real browser, a caller who wants a car becomes a sale: the lounge host hands the caller over
(the mobile typed is an archive customer's, whom the form offers first, and the host says it is a
different person); the sales manager finds the new lead on the home page and gives it to a consultant
for today; the consultant finds it on their home page, shows the whole mobile to call, records the
contact with the next date, and later records that the prospect bought (a new customer, not the one
on file with the number), confirming the dialog; the buyer is then in the archive. No page of the walk has a script or style refused by the Content-Security-Policy."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from customers.models import Customer
from dealer_crm.accounts.roles import Role, sync_role_permissions
from followups.leads.models import Lead
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI)
SCREENSHOTS = "var/lead-walk-"
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportPolicyViolation([location.pathname, event.violatedDirective, event.blockedURI || "inline",
                                event.sample || ""].join(" | "));
});
"""


def watched(page, problems: list[str]):
    page.context.expose_function("reportPolicyViolation", lambda text: problems.append(f"violation: {text}"))
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    return page


def test_a_caller_handed_over_followed_up_and_won(browser, live_server):
    sync_role_permissions()
    UserFactory(username="lounge", display_name="郑丽", roles=[Role.LOUNGE_HOST])
    UserFactory(username="sales", display_name="孙伟", roles=[Role.SALES_MANAGER])
    consultant = UserFactory(username="showroom", display_name="周敏", roles=[Role.SALES_SUPERVISOR])
    Customer.objects.create(name="王晓明", mobile="18655558001")  # the same number, another person
    problems: list[str] = []
    with time_machine.travel(MONDAY, tick=True):
        # The lounge host hands the caller over; the archive's customer with the number is offered first.
        host = watched(sign_in(browser, live_server, "lounge"), problems)
        host.get_by_role("link", name="销售线索").first.click()
        host.get_by_role("link", name="新建线索").click()
        host.get_by_label("姓名").fill("王小明")
        host.get_by_label("手机").fill("186 5555 8001")
        host.get_by_label("来源").select_option("caller")
        host.get_by_label("意向车型").fill("科雷傲")
        host.get_by_label("预算").fill("25万")
        host.get_by_label("购车时间").select_option("soon")
        host.get_by_role("button", name="转交销售").click()
        expect(host.locator("#lead-offer")).to_contain_text("王晓明")
        host.screenshot(path=f"{SCREENSHOTS}1-offer.png", full_page=True)
        host.get_by_role("button", name="不是同一人：登记新线索").click()
        expect(host.locator(".alert-success")).to_contain_text("已转交销售")
        lead = Lead.objects.get()
        assert (lead.name, lead.customer_id, lead.created_by.username) == ("王小明", None, "lounge")

        # The sales manager finds it on the home page and gives it to the consultant for today.
        manager = watched(sign_in(browser, live_server, "sales"), problems)
        panel = manager.locator("section", has=manager.locator("#panel-leads"))
        expect(panel).to_contain_text("新线索，尚未分派")
        panel.get_by_role("link", name=f"{lead.number} · 王小明 · 科雷傲").click()
        manager.locator("#id_assign-to").select_option(str(consultant.pk))
        manager.locator("#lead-assign-form").get_by_role("button").click()
        expect(manager.locator(".alert-success")).to_contain_text("线索已分派给 周敏")
        manager.screenshot(path=f"{SCREENSHOTS}2-assigned.png", full_page=True)

        # The consultant calls: the whole number shown (logged), the contact with the next date.
        seller = watched(sign_in(browser, live_server, "showroom"), problems)
        panel = seller.locator("section", has=seller.locator("#panel-leads"))
        expect(panel).to_contain_text("今天联系")
        panel.get_by_role("link", name=f"{lead.number} · 王小明 · 科雷傲").click()
        seller.get_by_role("button", name="查看完整号码").click()
        expect(seller.locator("#lead-mobile")).to_contain_text("186 5555 8001")
        seller.get_by_label("沟通内容").fill("客户周六来店试驾")
        seller.locator("#id_contact-next_contact_on").fill("2026-12-05")
        seller.get_by_role("button", name="记录联系").click()
        expect(seller.locator(".alert-success")).to_contain_text("下次联系日期 2026-12-05")
        expect(seller.locator("#lead-log")).to_contain_text("客户周六来店试驾")
        seller.screenshot(path=f"{SCREENSHOTS}3-contacted.png", full_page=True)

        # It is bought: the page asks whether the buyer is the customer on file with the number (no:
        # the host said so), the dialog asks first; the buyer is in the archive.
        expect(seller.locator("#lead-matches")).to_contain_text("王晓明")
        seller.get_by_label("成交车型").fill("订购科雷傲")
        seller.get_by_label("购车的不是以上客户：作为新客户建档").check()
        seller.once("dialog", lambda dialog: dialog.accept())
        seller.get_by_role("button", name="已成交").click()
        expect(seller.locator(".alert-success")).to_contain_text("线索已成交")
        expect(seller.locator("#lead-status")).to_contain_text("已成交")
        seller.screenshot(path=f"{SCREENSHOTS}4-won.png", full_page=True)
        lead.refresh_from_db()
        assert lead.status == "won" and lead.customer.name == "王小明" and lead.customer.mobile == "18655558001"
        assert lead.next_contact_on is None and lead.steps.count() == 4
        manager.get_by_role("link", name="销售线索").first.click()
        manager.get_by_role("link", name="全部").click()
        expect(manager.locator(f"#lead-{lead.pk}")).to_contain_text("已成交")
        manager.screenshot(path=f"{SCREENSHOTS}5-list.png", full_page=True)
    assert problems == []
