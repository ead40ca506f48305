"""In a real browser, with the Content-Security-Policy on: every page of three roles' menus, the archive's
detail and edit pages, the merge, the audit log, the job list and the admin's import pages load without
one refused script or style and without a script error; the confirmations and the language switch
still work without inline handlers."""

import hashlib
import re
from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers import services
from customers.imports import batches
from customers.imports.models import ImportBatch
from customers.models import CustomerMerge, DuplicateCandidate
from dealer_crm.accounts.roles import Role
from tests.customers.factories import make_vehicle
from tests.customers.test_import_deliveries import ROWS, workbook
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before its own scripts: a refused resource or inline code is a
# `securitypolicyviolation` event, passed to the test through the exposed function.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportPolicyViolation([location.pathname, event.violatedDirective, event.blockedURI || "inline",
                                (event.sourceFile || "") + ":" + event.lineNumber, event.sample || ""].join(" | "));
});
"""


class PolicyWatch:
    """Everything the browser refused or failed on, page by page."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.expose_function("reportPolicyViolation", lambda text: self.problems.append(f"violation: {text}"))
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error: {error}"))

    def _console(self, message):
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the admin's pages name no icon, so the browser asks for the default one
        if "Content Security Policy" in message.text or message.type == "error":
            self.problems.append(f"{self.page.url}: console {message.type}: {message.text}")

    def visit(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, f"{url}: {policy!r}"
        self.settle()
        return response

    def settle(self):
        self.page.wait_for_load_state("networkidle")
        # htmx was told not to inject its indicator <style> (the policy would refuse it).
        assert self.page.locator("style").count() == 0, f"{self.page.url}: a <style> element in the page"

    def assert_clean(self):
        self.page.wait_for_timeout(300)  # violation events are reported asynchronously
        assert not self.problems, "\n".join(self.problems)


def log_in(page, base: str, username: str):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def menu_urls(page) -> list[str]:
    return page.locator(".app-sidebar a.nav-link").evaluate_all("links => links.map(link => link.href)")


@pytest.fixture
def archive():
    customer = services.customer_create(by=None, name="张三", mobile="13812345678", address="蚌埠市胜利路8号")
    vehicle = make_vehicle(customer, serial=7, plate="皖C53086", delivered=date(2026, 3, 1))
    services.customer_create(by=None, name="张三", mobile="13812345679")  # one digit apart: a possible duplicate
    services.customer_create(by=None, name="李四", mobile="13900000001")
    services.customer_create(by=None, name="李四", mobile="13900000001")  # the same mobile: another
    services.duplicates_find(on=date(2026, 3, 2))
    return customer, vehicle


def archive_pages(base: str, customer, vehicle, *, sees_phones: bool) -> list[str]:
    pages = [("customers:edit", [customer.pk])] if sees_phones else []  # the form shows the full numbers
    return [base + reverse(name, args=args) for name, args in pages + [
        ("customers:detail", [customer.pk]),
        ("customers:vehicle_detail", [vehicle.pk]), ("customers:vehicle_edit", [vehicle.pk]),
        ("customers:vehicle_owner", [vehicle.pk]), ("customers:delivery_file", [vehicle.pk]),
        ("customers:vehicle_add", [customer.pk]), ("customers:family_add", [customer.pk]),
        ("password_change", []),
    ]] + [f"{base}{reverse('customers:search')}?q=c530"]


def walk_archive(watch, base: str, customer, vehicle, *, sees_phones: bool = True):
    for url in menu_urls(watch.page):
        watch.visit(url)
    for url in archive_pages(base, customer, vehicle, sees_phones=sees_phones):
        watch.visit(url)
    # htmx swaps under the policy: the customer list's filter and the detail's history tab.
    page = watch.page
    watch.visit(base + reverse("customers:list"))
    page.locator("#id_needs_review").check()
    expect(page).to_have_url(re.compile(r"needs_review=on"))
    watch.settle()
    watch.visit(base + reverse("customers:detail", args=[customer.pk]))
    page.get_by_role("tab", name="变更历史").click()
    expect(page.locator("#tab-history")).to_contain_text("建档")
    expect(page.locator("#tab-history")).to_have_css("opacity", "1")  # Bootstrap's fade is over


def test_the_callback_agents_pages_keep_to_the_policy(page, live_server, archive):
    UserFactory(username="agent_li", roles=[Role.CALLBACK_AGENT])
    watch = PolicyWatch(page)
    log_in(page, live_server.url, "agent_li")
    walk_archive(watch, live_server.url, *archive)
    watch.assert_clean()


def test_the_supervisors_pages_keep_to_the_policy_and_the_confirmations_ask_first(page, live_server, archive):
    UserFactory(username="supervisor_liu", roles=[Role.DCRC_SUPERVISOR])
    watch = PolicyWatch(page)
    log_in(page, live_server.url, "supervisor_liu")
    walk_archive(watch, live_server.url, *archive)
    watch.visit(live_server.url + reverse("audit:event_list"))
    event = page.locator("#event-table a").first
    if event.count():
        event.click()
        watch.settle()

    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    # "Not a duplicate": dismissing the question leaves the pair open.
    watch.visit(live_server.url + reverse("customers:duplicates"))
    page.once("dialog", dismiss)
    page.get_by_role("button", name="不是重复").first.click()
    watch.settle()
    assert len(questions) == 1
    assert not DuplicateCandidate.objects.exclude(status=DuplicateCandidate.Status.OPEN).exists()

    # The merge: dismissed, nothing merges; accepted, it does.
    pair = DuplicateCandidate.objects.first()
    merge_url = live_server.url + reverse("customers:duplicate_merge", args=[pair.pk])
    watch.visit(merge_url)
    page.once("dialog", dismiss)
    page.get_by_role("button", name="合并到选中的档案").click()
    watch.settle()
    assert len(questions) == 2 and page.url == merge_url and not CustomerMerge.objects.exists()
    page.screenshot(path="var/csp-merge.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="合并到选中的档案").click()
    watch.settle()
    assert CustomerMerge.objects.count() == 1

    # The language select submits its form on change.
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.settle()
    watch.assert_clean()


def test_the_admins_pages_and_the_admin_site_keep_to_the_policy(page, live_server, archive):
    customer, vehicle = archive
    admin = UserFactory(username="admin_wang", roles=[Role.ADMIN], is_staff=True)
    content = workbook(*ROWS, ["王五", "12345", "", "", "", "", "", "", ""])
    batch = ImportBatch.objects.create(kind="deliveries", filename="交车档案.xlsx", size=len(content),
                                       sha256=hashlib.sha256(content).hexdigest(), content=content, created_by=admin)
    batches.import_batch_check(batch_id=batch.pk)  # the worker's check, run here
    watch = PolicyWatch(page)
    log_in(page, live_server.url, "admin_wang")
    walk_archive(watch, live_server.url, customer, vehicle, sees_phones=False)
    page.screenshot(path="var/csp-customer-detail.png", full_page=True)
    watch.visit(live_server.url + reverse("customers:list"))
    page.screenshot(path="var/csp-customer-list.png", full_page=True)

    for name, args in [
        ("admin:index", []), ("admin:customers_customer_changelist", []),
        ("admin:customers_customer_change", [customer.pk]), ("admin:accounts_user_changelist", []),
        ("admin:accounts_user_change", [admin.pk]), ("imports:batch_list", []),
        ("imports:batch_upload", []), ("admin:django_celery_beat_periodictask_changelist", []),
    ]:
        watch.visit(live_server.url + reverse(name, args=args))

    # The import's detail page: its styles come from a file, and cancelling asks first.
    watch.visit(live_server.url + reverse("imports:batch_detail", args=[batch.pk]))
    expect(page.locator(".import-counts")).to_have_css("display", "flex")
    page.screenshot(path="var/csp-import-detail.png", full_page=True)
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="取消").click()
    watch.settle()
    batch.refresh_from_db()
    assert questions and batch.status == ImportBatch.Status.CHECKED
    watch.assert_clean()
