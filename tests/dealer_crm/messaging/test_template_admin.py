"""SMS templates in the admin: exported to xlsx with Chinese column names, edited in Excel and
imported back by key (into another installation too), held to the editor's rules; never deleted."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dealer_crm.audit.models import AuditEvent
from dealer_crm.messaging.models import Purpose, SmsTemplate

URL = "/admin/messaging/smstemplate/"
HEADER = ["标识", "名称", "用途", "正文", "阿里云模板CODE", "腾讯云模板ID", "腾讯云参数顺序", "免打扰时段也发送", "启用"]


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance_due", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}{title}您好，您的爱车{plate}该保养了。", aliyun_code="SMS_100001",
                                      tencent_id="1100001", tencent_params="name,title,plate")


def export(client) -> bytes:
    form = client.get(URL + "export/").context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    response = client.post(URL + "export/", {**data, "format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return response.content


def rows_of(content: bytes) -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes):
    preview = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(
        "短信模板.xlsx", content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    if confirm is None:
        return preview, None
    return preview, client.post(URL + "process_import/", {**confirm.initial, "resource": "0"})


def test_the_export_has_chinese_columns_and_is_audited(login, admin_user, reminder):
    rows = rows_of(export(login(admin_user)))
    assert rows[0] == HEADER
    # the texts the migrations ship are exported too: the reminder's row is found by its key
    assert next(row for row in rows if row[0] == "maintenance_due") == ["maintenance_due", "保养到期提醒", "服务提醒（保养、预约）",
                       "{name}{title}您好，您的爱车{plate}该保养了。", "SMS_100001", "1100001", "name,title,plate", "否", "是"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_an_edited_export_updates_by_key_and_adds_the_new_rows(login, admin_user, reminder):
    client = login(admin_user)
    rows = rows_of(export(client))
    next(row for row in rows if row[0] == "maintenance_due")[1] = "保养到期提醒（新）"
    rows.append(["spring_event", "春季活动", "营销（活动、促销）", "{name}您好，{store}{date}举办春季活动。", "SMS_200002",
                 2200002, "name，store、date", "否", "是"])
    _preview, done = upload(client, workbook(rows))
    assert done is not None and done.status_code == 302
    reminder.refresh_from_db()
    assert reminder.name == "保养到期提醒（新）" and reminder.updated_by == admin_user
    added = SmsTemplate.objects.get(key="spring_event")
    assert added.purpose == Purpose.MARKETING and added.tencent_id == "2200002"
    assert added.tencent_params == "name,store,date"
    assert added.history.get().history_user == admin_user


def test_an_unchanged_export_imported_changes_nothing(login, admin_user, reminder):
    client = login(admin_user)
    before = list(SmsTemplate.objects.values())
    history = reminder.history.count()
    upload(client, export(client))
    assert list(SmsTemplate.objects.values()) == before
    assert reminder.history.count() == history


def test_an_import_is_held_to_the_editors_rules(login, admin_user, reminder):
    client = login(admin_user)
    before = list(SmsTemplate.objects.order_by("pk").values())
    rows = [HEADER,
            ["bad_variable", "坏变量", "service", "{name}您好，{mileage}公里了。", "", "", "", "否", "是"],
            ["typed_signature", "签名", "service", "【雷诺4S店】{name}您好。", "", "", "", "否", "是"],
            ["bad_params", "参数", "service", "{name}您好，{plate}该保养了。", "", "3300003", "name", "否", "是"]]
    preview, done = upload(client, workbook(rows))
    assert done is None
    page = preview.content.decode()
    assert "未知变量：{mileage}" in page and "不要输入签名" in page and "必须正好列出正文用到的变量" in page
    assert list(SmsTemplate.objects.order_by("pk").values()) == before  # none of the three imported


def test_templates_are_switched_off_never_deleted(login, admin_user, reminder):
    client = login(admin_user)
    assert client.get(f"{URL}{reminder.pk}/delete/").status_code == 403
    assert SmsTemplate.objects.filter(pk=reminder.pk).exists()
    response = client.post(f"{URL}{reminder.pk}/change/", {
        "key": reminder.key, "name": reminder.name, "purpose": reminder.purpose, "text": "{name}您好，{mileage}",
        "aliyun_code": "", "tencent_id": "", "tencent_params": "", "active": "on"})
    assert response.status_code == 200 and "未知变量：{mileage}" in response.content.decode()


def test_the_admin_needs_the_template_rights(login, db):
    from dealer_crm.accounts.roles import Role
    from tests.factories import UserFactory

    staff_without = UserFactory(roles=[Role.GENERAL_MANAGER], is_staff=True)
    assert login(staff_without).get(URL).status_code == 403
