"""The manufacturer's items' pages: the list and its filters, upload → check → confirm, entering one
by hand and the export — the DCRC supervisor's; an agent is refused every one."""

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services as archive
from dealer_crm.accounts.roles import Role
from followups.complaints import services
from followups.complaints.manufacturer import manufacturer_import
from followups.complaints.models import Complaint, ManufacturerItem
from tests.customers.factories import make_vehicle, valid_vin, workbook
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI)
HEADER = ["编号", "下发日期", "要求回复日期", "客户姓名", "联系电话", "VIN", "车牌号", "问题类型", "问题描述"]
LIST = reverse("complaints:manufacturer_list")
IMPORT = reverse("complaints:manufacturer_import")
CONFIRM = reverse("complaints:manufacturer_import_confirm")
NEW = reverse("complaints:manufacturer_new")
EXPORT = reverse("complaints:manufacturer_export")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def store(supervisor):
    zhang = archive.customer_create(by=supervisor, name="张三", mobile="13812345678")
    make_vehicle(zhang, serial=1, plate="皖C12345", by=supervisor)
    li = archive.customer_create(by=supervisor, name="李四", mobile="13900000002")
    make_vehicle(li, serial=2, plate="皖C22222", by=supervisor)
    return {"zhang": zhang, "li": li}


def the_file() -> bytes:
    return workbook(HEADER,
                    ["DF1", "2026/3/2", "2026/3/9", "张三", "13812345678", valid_vin(1), "", "维修质量", "空调异响"],
                    ["DF2", "2026/3/5", "2026/3/20", "李四", "", "", "皖C22222", "服务态度", "接待冷淡"],
                    ["DF3", "2026/3/5", "", "赵六", "13600000006", "", "", "", "没人回电话"])


def upload(client, data: bytes, name: str = "厂家.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def imported(supervisor, store):
    """DF1 (reply due 9 March, overdue on the 12th), DF2 (due the 20th), DF0 (sent in February, closed)."""
    manufacturer_import(data=the_file(), filename="厂家.xlsx", by=supervisor, now=TODAY)
    data = workbook(HEADER, ["DF0", "2026/2/10", "2026/2/17", "李四", "", valid_vin(2), "", "", "二月的事项"])
    manufacturer_import(data=data, filename="二月.xlsx", by=supervisor, now=TODAY)
    ManufacturerItem.objects.filter(reference="DF0").update(reported_at=TODAY)
    Complaint.objects.filter(manufacturer_item__reference="DF0").update(status=Complaint.Status.CLOSED)
    return {item.reference: item for item in ManufacturerItem.objects.all()}


def rows_shown(response) -> list[str]:
    return re.findall(r'<td class="text-nowrap font-monospace">([^<]+)</td>', response.content.decode())


# --- the list ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_supervisor_lists_the_items_with_their_complaints(login, supervisor, imported):
    response = login(supervisor).get(LIST)
    assert response.status_code == 200
    assert rows_shown(response) == ["DF2", "DF1", "DF0"]
    body = response.content.decode()
    assert imported["DF1"].complaint.number in body
    assert "138****5678" in body and "13812345678" not in body
    assert 'id="manufacturer-import"' in body and 'id="manufacturer-new"' in body


@pytest.mark.django_db
def test_the_list_filters_by_state_month_and_overdue_reply(login, supervisor, imported):
    client = login(supervisor)
    assert rows_shown(client.get(LIST, {"status": "closed"})) == ["DF0"]
    assert rows_shown(client.get(LIST, {"status": "open"})) == ["DF2", "DF1"]
    assert rows_shown(client.get(LIST, {"month": "2026-02"})) == ["DF0"]
    overdue = client.get(LIST, {"overdue": "on"})
    assert rows_shown(overdue) == ["DF1"]  # DF0's reply date passed too, but it was reported back
    assert 'class="table-danger manufacturer-overdue" id="item-%s"' % imported["DF1"].pk in overdue.content.decode()
    assert "1 项回复逾期" in client.get(LIST).content.decode()


@pytest.mark.django_db
def test_the_list_reads_in_the_same_number_of_queries_for_more_items(login, supervisor, imported,
                                                                       django_assert_max_num_queries):
    client = login(supervisor)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    more = [[f"M{i}", "2026/3/6", "2026/3/8", "张三", "", valid_vin(1), "", "", "又一项"] for i in range(6)]
    manufacturer_import(data=workbook(HEADER, *more), filename="更多.xlsx", by=supervisor, now=TODAY)
    with django_assert_max_num_queries(len(few)):
        assert len(rows_shown(client.get(LIST))) == 9


@pytest.mark.django_db
def test_a_month_that_is_not_one_is_ignored(login, supervisor, imported):
    assert rows_shown(login(supervisor).get(LIST, {"month": "2026-13"})) == ["DF2", "DF1", "DF0"]


# --- upload → check → confirm -------------------------------------------------------------------------
@pytest.mark.django_db
def test_upload_shows_the_check_and_only_the_confirmation_imports(login, supervisor, store):
    client = login(supervisor)
    assert client.get(IMPORT).status_code == 200
    check = upload(client, the_file())
    assert check.status_code == 200
    body = check.content.decode()
    assert ManufacturerItem.objects.count() == 0 and Complaint.objects.count() == 0
    assert "厂家文件检查结果" in body and "导入有效行（跳过 1 行无效）" in body
    assert "档案中找不到该客户。" in body
    done = client.post(CONFIRM, {"token": token_of(check)})
    assert done.status_code == 200
    assert sorted(ManufacturerItem.objects.values_list("reference", flat=True)) == ["DF1", "DF2"]
    assert "厂家文件导入结果" in done.content.decode()
    for item in ManufacturerItem.objects.select_related("complaint"):
        assert item.complaint.number in done.content.decode()


@pytest.mark.django_db
def test_a_file_imported_already_has_nothing_to_confirm(login, supervisor, store):
    client = login(supervisor)
    client.post(CONFIRM, {"token": token_of(upload(client, the_file()))})
    again = upload(client, the_file())
    body = again.content.decode()
    assert 'name="token"' not in body
    assert "没有可导入的内容：所有事项都已导入过或无效。" in body
    assert "第 3 行：DF1 即投诉" in body


@pytest.mark.django_db
def test_a_refused_file_is_said_on_the_upload_page_and_changes_nothing(login, supervisor, store):
    response = upload(login(supervisor), workbook(["客户姓名", "问题描述"], ["张三", "异响"]))
    assert response.status_code == 400
    assert "文件缺少这些列：编号、车架号/车牌号/手机号码。" in response.content.decode()
    assert ManufacturerItem.objects.count() == 0


@pytest.mark.django_db
def test_a_forged_or_someone_elses_check_imports_nothing(login, supervisor, store):
    client = login(supervisor)
    token = token_of(upload(client, the_file()))
    forged = client.post(CONFIRM, {"token": token[:-3] + "abc"}, follow=True)
    assert "找不到已检查的文件，请重新上传。" in forged.content.decode()
    other = UserFactory(roles=[Role.DCRC_SUPERVISOR])
    client.force_login(other)
    assert "找不到已检查的文件，请重新上传。" in client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert ManufacturerItem.objects.count() == 0


@pytest.mark.django_db
def test_a_check_waits_an_hour_for_its_confirmation(login, supervisor, store):
    client = login(supervisor)
    token = token_of(upload(client, the_file()))
    with time_machine.travel(TODAY + timedelta(hours=1, minutes=1), tick=False):
        client.force_login(supervisor)
        late = client.post(CONFIRM, {"token": token}, follow=True)
    assert "检查结果已超过一小时，请重新上传文件。" in late.content.decode()
    assert ManufacturerItem.objects.count() == 0


# --- entering one by hand -------------------------------------------------------------------------------
def entry(**fields) -> dict:
    return {"reference": "TEL-001", "received_on": "2026-03-11", "reply_due_on": "2026-03-18",
            "customer_name": "张三", "mobile": "", "vin": "", "plate": "皖C12345", "item_type": "配件",
            "description": "配件等了三周"} | fields


@pytest.mark.django_db
def test_the_supervisor_enters_an_item_by_hand(login, supervisor, store):
    client = login(supervisor)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, entry(), follow=True)
    item = ManufacturerItem.objects.select_related("complaint").get()
    assert response.redirect_chain == [(LIST, 302)]
    assert f"事项 TEL-001 已登记为投诉 {item.complaint.number}，等待主管分派。" in response.content.decode()
    assert (item.received_on, item.reply_due_on, item.plate, item.imported_by) == (
        date(2026, 3, 11), date(2026, 3, 18), "皖C12345", supervisor)
    assert (item.complaint.customer, item.complaint.category, item.complaint.channel) == (
        store["zhang"], Complaint.Category.PARTS, Complaint.Channel.MANUFACTURER)


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "message"), [
    ({"plate": "皖C99999"}, "档案中找不到该客户。"),
    ({"plate": "", "vin": "VF1RFB000TA000019"}, "车架号“VF1RFB000TA000019”的校验位不正确，请核对。"),
    ({"reply_due_on": "2026-03-01"}, "要求回复日期早于下发日期（2026-03-11）。"),
    ({"plate": ""}, "车架号、车牌号、电话都没有，无法确定客户。"),
])
def test_an_entry_the_service_refuses_shows_why_and_saves_nothing(login, supervisor, store, fields, message):
    response = login(supervisor).post(NEW, entry(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ManufacturerItem.objects.count() == 0


@pytest.mark.django_db
def test_a_number_entered_twice_is_refused_the_second_time(login, supervisor, store):
    client = login(supervisor)
    client.post(NEW, entry())
    number = ManufacturerItem.objects.get().complaint.number
    response = client.post(NEW, entry(description="再次录入"))
    assert response.status_code == 400
    assert f"该编号已登记过（投诉 {number}）。" in response.content.decode()
    assert ManufacturerItem.objects.count() == 1


# --- the export ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_export_button_downloads_the_range_and_reports_back_when_asked(login, supervisor, imported):
    client = login(supervisor)
    plain = client.post(EXPORT, {"start": "2026-03-01", "end": "2026-03-31"})
    assert plain.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(plain.streaming_content)))
    assert [row[0] for row in book.active.iter_rows(values_only=True)] == ["编号", "DF1", "DF2"]
    assert ManufacturerItem.objects.filter(reported_at__isnull=False).count() == 1  # DF0, from the fixture
    client.post(EXPORT, {"start": "2026-03-01", "end": "2026-03-31", "report_back": "on"})
    assert dict(ManufacturerItem.objects.values_list("reference", "reported_at")) == {
        "DF0": TODAY, "DF1": TODAY, "DF2": TODAY}
    listed = client.get(LIST, {"overdue": "on"})
    assert rows_shown(listed) == []


@pytest.mark.django_db
def test_an_export_range_that_ends_before_it_starts_is_refused(login, supervisor, imported):
    response = login(supervisor).post(EXPORT, {"start": "2026-03-31", "end": "2026-03-01"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "结束日期早于开始日期。" in response.content.decode()


# --- who gets in ----------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), [("get", LIST), ("get", IMPORT), ("post", IMPORT), ("post", CONFIRM),
                                             ("get", NEW), ("post", NEW), ("post", EXPORT)])
def test_an_agent_is_refused_every_page(login, agent, imported, method, url):
    response = getattr(login(agent), method)(url, {"start": "2026-03-01", "end": "2026-03-31"} if url == EXPORT else {})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_manager_who_handles_complaints_is_refused_the_items_too(login, service_manager, imported):
    assert login(service_manager).get(LIST).status_code == 403


@pytest.mark.django_db
def test_the_complaints_of_the_items_are_worked_through_the_usual_workflow(supervisor, service_manager, imported):
    complaint = imported["DF1"].complaint
    services.complaint_assign(complaint=complaint, owner=service_manager, by=supervisor)
    moved = services.complaint_move(complaint=complaint, action="contacted", by=service_manager, note="已致歉")
    assert moved.status == Complaint.Status.CONTACTED
