"""In a real browser: the admin uploads a workbook, reads the check, confirms, and finds the customer."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from customers.catalogue.models import VehicleModel
from dealer_crm.accounts.roles import Role
from tests.customers import factories
from tests.customers.factories import valid_vin
from tests.customers.test_import_deliveries import ROWS, workbook
from tests.factories import PASSWORD, UserFactory

SEED = import_module("customers.catalogue.migrations.0002_seed_store_models")

pytestmark = [pytest.mark.browser, pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def test_upload_check_confirm_and_find_the_customer_by_plate(page, live_server, celery_worker, tmp_path):
    UserFactory(username="admin_wang", display_name="王磊", roles=[Role.ADMIN], is_staff=True)
    path = tmp_path / "2012年交车客户档案.xlsx"
    path.write_bytes(workbook(*ROWS, ["王五", "12345", "", valid_vin(6), "", "", "", "", ""]))

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("admin_wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="档案导入").click()
    page.get_by_role("link", name="导入档案文件").click()

    page.get_by_label("档案类型").select_option("deliveries")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    # The worker checks the file; the page follows its progress and shows the preview when it is done.
    expect(page.get_by_text("已检查：等待确认")).to_be_visible(timeout=60_000)
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text("4新增")
    expect(counts).to_contain_text("1无效")
    errors = page.locator("table.import-errors")
    expect(errors).to_contain_text("7")
    expect(errors).to_contain_text("手机号码")
    expect(errors).to_contain_text("“12345”中没有有效的电话号码")
    expect(page.get_by_role("link", name="下载无效行（xlsx），修改后重新导入")).to_be_visible()
    page.screenshot(path="var/import-preview.png", full_page=True)

    page.get_by_role("button", name="导入有效行（跳过 1 行无效）").click()
    expect(page.get_by_text("已导入", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(".import-counts")).to_contain_text("4新增")
    page.screenshot(path="var/import-done.png", full_page=True)

    page.goto(f"{live_server.url}/")
    page.keyboard.press("/")
    page.keyboard.type("c123")
    page.keyboard.press("Enter")
    hit = page.locator(".search-hit").first
    expect(hit).to_contain_text("张三")
    expect(hit).to_contain_text("皖C12345")
    hit.click()
    expect(page.get_by_role("heading", name="张三", exact=True)).to_be_visible()
    expect(page.get_by_text("皖C54321")).to_be_visible()  # his second car, from the same file


def test_a_file_without_a_brand_column_gives_the_car_its_brand_from_the_catalogue(page, live_server, celery_worker,
                                                                                   tmp_path):
    """系统管理 → 档案导入 in the CRM's own pages: a deliveries file with a `VIN/车架号` column and no 品牌
    column; the catalogue knows 科雷傲, so the car is a 雷诺."""
    if not VehicleModel.objects.exists():  # a transactional test before this one emptied the tables
        SEED.seed(django_apps, None)
    UserFactory(username="admin_wang", display_name="王磊", roles=[Role.ADMIN], is_staff=True)
    vin = valid_vin(424242)
    path = tmp_path / "交车档案（无品牌列）.xlsx"
    path.write_bytes(factories.workbook(["客户姓名", "手机", "VIN/车架号", "车型"], ["孙小梅", "13900001111", vin, "科雷傲"]))

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("admin_wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu).to_contain_text("系统管理")
    menu.get_by_role("link", name="档案导入").click()
    page.wait_for_url(f"{live_server.url}/imports/")
    expect(page.get_by_role("heading", name="档案导入")).to_be_visible()
    page.screenshot(path="var/imports-history-empty.png", full_page=True)
    page.get_by_role("link", name="导入档案文件").click()

    page.get_by_label("档案类型").select_option("deliveries")
    page.get_by_label("文件").set_input_files(str(path))
    page.screenshot(path="var/imports-upload.png", full_page=True)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_text("已检查：等待确认")).to_be_visible(timeout=60_000)
    expect(page.locator(".import-counts")).to_contain_text("1新增")
    expect(page.locator(".import-counts")).to_contain_text("0无效")
    page.screenshot(path="var/imports-preview.png", full_page=True)

    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_text("已导入", exact=True)).to_be_visible(timeout=60_000)
    page.screenshot(path="var/imports-done.png", full_page=True)
    menu.get_by_role("link", name="档案导入").click()
    expect(page.locator("#import-history")).to_contain_text("交车档案（无品牌列）.xlsx")
    expect(page.locator("#import-history")).to_contain_text("1 / 0 / 0 / 0")
    page.screenshot(path="var/imports-history.png", full_page=True)

    page.keyboard.press("/")
    page.keyboard.type(vin[-6:])
    page.keyboard.press("Enter")
    hit = page.locator(".search-hit").first
    expect(hit).to_contain_text("孙小梅")
    hit.click()
    page.get_by_role("link", name="雷诺 科雷傲").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("雷诺 科雷傲")
    expect(page.get_by_text(vin, exact=True)).to_be_visible()
    page.screenshot(path="var/imports-vehicle.png", full_page=True)
