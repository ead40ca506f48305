"""In a real browser: the DCRC supervisor sends a marketing text to every Mitsubishi owner, reads the
exclusions, confirms, watches the progress bar finish, and finds the message on a customer's timeline."""

import re

import pytest
import time_machine
from django.utils import translation
from playwright.sync_api import expect

from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.gateways.console import ConsoleGateway
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose, SmsTemplate
from tests.dealer_crm.messaging.test_bulk_pages import DAYTIME, mitsubishi_archive
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketing_text_to_every_mitsubishi_owner(page, live_server, tmp_path, settings):
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    with time_machine.travel(DAYTIME, tick=True):
        sync_role_permissions()
        UserFactory(username="supervisor_liu", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR])
        store = mitsubishi_archive()
        with translation.override("zh-hans"):
            labels = {str(Exclusion.OPTED_OUT.label): 2, str(Exclusion.NO_MOBILE.label): 1,
                      str(Exclusion.DUPLICATE_MOBILE.label): 1}

        page.goto(f"{live_server.url}/")
        page.get_by_label("用户名").fill("supervisor_liu")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/")

        # The supervisor writes the marketing template in the editor, watching its preview.
        page.get_by_role("navigation", name="主菜单").locator('a[href="/sms/templates/"]').click()
        page.goto(f"{live_server.url}/sms/templates/new/")
        page.get_by_label("标识").fill("winter_event")
        page.get_by_label("模板名称").fill("冬季关爱活动")
        page.get_by_label("用途").select_option("marketing")
        page.get_by_label("内容").fill("{name}{title}您好，{store}将于{date}举办冬季关爱活动，欢迎光临。")
        preview = page.locator("#template-preview")  # for a real customer, with the opt-out line of marketing
        expect(preview).to_contain_text("冬季关爱活动", timeout=10_000)
        expect(preview).to_contain_text("回T退订")
        page.screenshot(path="var/sms-template-editor.png", full_page=True)
        page.get_by_role("button", name="保存").click()
        expect(page.locator("body")).to_contain_text("冬季关爱活动")
        assert SmsTemplate.objects.filter(key="winter_event", purpose=Purpose.MARKETING).exists()

        page.get_by_role("navigation", name="主菜单").locator('a[href="/customers/"]').click()
        page.get_by_label("品牌").select_option("mitsubishi")
        expect(page).to_have_url(re.compile(r"brand=mitsubishi"))
        expect(page.locator("#bulk-sms-link")).to_have_attribute("href", re.compile(r"filter=brand%3Dmitsubishi$"))
        page.get_by_role("link", name="群发短信给这些客户").click()

        page.get_by_label("模板").select_option(label="冬季关爱活动 · " + str(store["template"].get_purpose_display()))
        page.get_by_label("日期（{date}）").fill("2026-12-12")
        page.screenshot(path="var/sms-bulk-new.png", full_page=True)
        page.get_by_role("button", name="检查收件人").click()
        expect(page.locator("#check-recipients")).to_contain_text("6")
        expect(page.locator("#check-excluded")).to_contain_text("4")
        rows = page.locator("#check-exclusions tbody tr")
        expect(rows).to_have_count(3)
        for label, count in labels.items():
            expect(rows.filter(has_text=label)).to_contain_text(str(count))
        expect(page.locator("#check-preview")).to_contain_text("三菱车主0先生您好")
        expect(page.locator("#check-approval")).to_have_count(0)  # the supervisor's marketing goes at once
        page.screenshot(path="var/sms-bulk-check.png", full_page=True)

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="发送给 6 位客户").click()
        page.wait_for_url(re.compile(r"/sms/bulk/\d+/$"))
        bulk = BulkSend.objects.get()
        expect(page.locator("#bulk-progress")).to_contain_text("0%")

        # The dispatcher, as a worker runs it, while the page polls: half of them, then the rest.
        gateway = ConsoleGateway()
        services.send_claimed(gateway=gateway, messages=services.claim(batch_size=3, gateway_name=gateway.name))
        expect(page.locator(".bulk-percent")).to_have_text("50%", timeout=10_000)
        page.screenshot(path="var/sms-bulk-progress.png", full_page=True)
        services.dispatch(gateway=gateway)
        expect(page.locator(".bulk-status")).to_have_text(str(BulkSend.Status.DONE.label), timeout=10_000)
        expect(page.locator(".bulk-percent")).to_have_text("100%")
        expect(page.locator("#bulk-recipients tbody tr")).to_have_count(6)
        page.screenshot(path="var/sms-bulk-done.png", full_page=True)
        assert OutboundMessage.objects.filter(bulk=bulk, status=OutboundMessage.Status.SENT).count() == 6

        page.locator("#bulk-recipients").get_by_role("link", name="三菱车主0").click()
        expect(page.get_by_role("heading", name="三菱车主0", exact=True)).to_be_visible()
        expect(page.locator("#timeline")).to_contain_text("三菱车主0先生您好，雷诺汽车4S店将于12月12日举办冬季关爱活动")
