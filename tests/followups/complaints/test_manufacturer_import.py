"""The manufacturer's dissatisfaction items imported from its file: through the archive's reader and
header mapping, with the archive imports' rules — a refused file changes nothing, bad rows are
reported with row, column and reason in Chinese, a number already imported is skipped."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from customers import services as archive
from customers.imports.reading import ImportFileError
from customers.models import Customer, TimelineEntry
from followups.complaints import manufacturer
from followups.complaints.manufacturer import manufacturer_import
from followups.complaints.models import Complaint, ComplaintStep, ManufacturerItem, Severity
from tests.customers.factories import make_vehicle, valid_vin, workbook

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADER = ["编号", "下发日期", "要求回复日期", "客户姓名", "联系电话", "VIN/车架号", "车牌号", "问题类型", "问题描述"]
TITLE = "东风雷诺 经销商不满意事项清单（2026年3月）"


@pytest.fixture
def store(supervisor):
    """张三 with his car (VIN 1, 皖C12345), 李四 with hers (VIN 2, 皖C22222), 王五 without a car."""
    zhang = archive.customer_create(by=supervisor, name="张三", mobile="13812345678")
    li = archive.customer_create(by=supervisor, name="李四", mobile="13900000002")
    wang = archive.customer_create(by=supervisor, name="王五", mobile="13700000003")
    return {"zhang": zhang, "zhang_car": make_vehicle(zhang, serial=1, plate="皖C12345", by=supervisor),
            "li": li, "li_car": make_vehicle(li, serial=2, plate="皖C22222", by=supervisor), "wang": wang}


def three_items(title: str | None = TITLE) -> bytes:
    return workbook(HEADER,
                    ["DF20260301", "2026/3/2", "2026年3月9日", "张三", "13812345678", valid_vin(1), "", "服务态度",
                     "接待时服务顾问态度冷淡"],
                    ["DF20260302", "2026-03-03", "", "李四", "", "", "皖C·22222", "维修质量", "保养后发动机异响"],
                    ["DF20260303", date(2026, 3, 4), date(2026, 3, 11), "王五", "137 0000 0003", "", "", "配件",
                     "配件等了三周"],
                    title=title)


def counts() -> dict[str, int]:
    return {"complaints": Complaint.objects.count(), "items": ManufacturerItem.objects.count(),
            "steps": ComplaintStep.objects.count(), "timeline": TimelineEntry.objects.count(),
            "customers": Customer.all_objects.count()}


def refused(data: bytes, by) -> str:
    before = counts()
    with pytest.raises(ImportFileError) as refusal:
        manufacturer_import(data=data, filename="厂家.xlsx", by=by, now=NOW)
    assert counts() == before
    return str(refusal.value)


@pytest.mark.django_db
def test_each_item_becomes_a_complaint_for_the_customer_of_its_vin_plate_or_phone(supervisor, store):
    report = manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, now=NOW)

    assert (report.rows, report.created, report.skipped, report.invalid, report.errors) == (3, 3, 0, 0, [])
    items = {item.reference: item for item in ManufacturerItem.objects.select_related("complaint")}
    zhang, li, wang = items["DF20260301"], items["DF20260302"], items["DF20260303"]
    assert (zhang.complaint.customer, zhang.complaint.vehicle) == (store["zhang"], store["zhang_car"])
    assert (li.complaint.customer, li.complaint.vehicle) == (store["li"], store["li_car"])
    assert (wang.complaint.customer, wang.complaint.vehicle) == (store["wang"], None)
    assert [item.complaint.category for item in (zhang, li, wang)] == [
        Complaint.Category.ATTITUDE, Complaint.Category.REPAIR, Complaint.Category.PARTS]
    for item in (zhang, li, wang):
        complaint = item.complaint
        assert (complaint.channel, complaint.department, complaint.status, complaint.owner) == (
            Complaint.Channel.MANUFACTURER, "service", Complaint.Status.REGISTERED, None)
        assert complaint.description == item.description
        assert (complaint.registered_at, complaint.registered_by) == (NOW, supervisor)
        assert (item.imported_at, item.imported_by, item.reported_at) == (NOW, supervisor, None)
        assert complaint.steps.get().action == ComplaintStep.Action.REGISTERED
        assert TimelineEntry.objects.filter(customer=complaint.customer, kind=TimelineEntry.Kind.COMPLAINT).count() == 1
    assert (zhang.received_on, zhang.reply_due_on) == (date(2026, 3, 2), date(2026, 3, 9))
    assert (li.received_on, li.reply_due_on, li.plate) == (date(2026, 3, 3), None, "皖C22222")
    assert (wang.received_on, wang.reply_due_on, wang.mobile) == (date(2026, 3, 4), date(2026, 3, 11), "13700000003")
    assert (zhang.customer_name, zhang.vin, zhang.item_type) == ("张三", valid_vin(1), "服务态度")
    assert [(row["reference"], row["customer"], row["complaint"]) for row in report.items] == [
        ("DF20260301", "张三", zhang.complaint.number), ("DF20260302", "李四", li.complaint.number),
        ("DF20260303", "王五", wang.complaint.number)]
    assert [row["matched_by"] for row in report.items] == ["按车架号", "按车牌号", "按电话"]


@pytest.mark.django_db
def test_the_check_reports_what_the_import_will_do_and_changes_nothing(supervisor, store):
    before = counts()
    report = manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, dry_run=True, now=NOW)
    assert counts() == before
    assert (report.dry_run, report.rows, report.created, report.invalid) == (True, 3, 3, 0)
    assert [(row["reference"], row["customer"], row["complaint"]) for row in report.items] == [
        ("DF20260301", "张三", ""), ("DF20260302", "李四", ""), ("DF20260303", "王五", "")]


@pytest.mark.django_db
def test_importing_the_file_twice_creates_nothing_the_second_time(supervisor, store):
    first = manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, now=NOW)
    before = counts()
    second = manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, now=NOW)
    assert counts() == before
    assert (second.created, second.skipped, second.invalid) == (0, 3, 0)
    assert second.skipped_rows == [{"row": row["row"], "reference": row["reference"], "complaint": row["complaint"]}
                                   for row in first.items]


@pytest.mark.django_db
def test_a_later_file_with_old_and_new_items_imports_only_the_new(supervisor, store):
    manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, now=NOW)
    data = workbook(HEADER, ["DF20260301", "2026/3/2", "", "张三", "", valid_vin(1), "", "服务态度", "同上"],
                    ["DF20260310", "2026/3/9", "", "张三", "", valid_vin(1), "", "价格", "保养收费比报价高"])
    report = manufacturer_import(data=data, filename="厂家-2.xlsx", by=supervisor, now=NOW)
    assert (report.created, report.skipped) == (1, 1)
    assert ManufacturerItem.objects.get(reference="DF20260310").complaint.category == Complaint.Category.PRICE
    assert ManufacturerItem.objects.get(reference="DF20260301").description == "接待时服务顾问态度冷淡"


@pytest.mark.django_db
def test_the_header_is_found_below_title_rows_by_the_manufacturers_other_names(supervisor, store):
    data = workbook(["序号", "不满意事项编号", "派发日期", "客户姓名（车主）", "手机", "车架号", "不满意类型", "不满意内容"],
                    [1, "BMY-0001", "20260305", "张三", "", valid_vin(1), "销售承诺未兑现", "交车时承诺的脚垫没给"],
                    title="不满意事项导出")
    report = manufacturer_import(data=data, filename="导出.xlsx", by=supervisor, now=NOW)
    assert (report.created, report.invalid, report.unused_columns) == (1, 0, ["序号"])
    item = ManufacturerItem.objects.get()
    assert (item.reference, item.received_on, item.description) == ("BMY-0001", date(2026, 3, 5), "交车时承诺的脚垫没给")
    # A sales promise is the sales department's.
    assert (item.complaint.category, item.complaint.department) == (Complaint.Category.SALES_PROMISE, "sales")


@pytest.mark.django_db
def test_without_a_sent_date_an_item_counts_as_received_on_the_day_of_the_import(supervisor, store):
    data = workbook(["编号", "车牌号", "问题描述"], ["X1", "皖C12345", "电话没人接"])
    report = manufacturer_import(data=data, filename="x.xlsx", by=supervisor, now=NOW)
    assert report.created == 1
    item = ManufacturerItem.objects.get()
    assert (item.received_on, item.complaint.category) == (date(2026, 3, 10), Complaint.Category.OTHER)


@pytest.mark.django_db
def test_a_gbk_csv_is_read(supervisor, store):
    lines = [",".join(HEADER), f"DF1,2026/3/2,,张三,13812345678,{valid_vin(1)},,服务态度,态度差",
             "DF2,2026/3/2,,李四,13900000002,,,等待时间,等了两个小时"]
    report = manufacturer_import(data="\r\n".join(lines).encode("gbk"), filename="厂家.csv", by=supervisor, now=NOW)
    assert (report.encoding, report.created, report.invalid) == ("gb18030", 2, 0)
    assert ManufacturerItem.objects.get(reference="DF2").complaint.category == Complaint.Category.WAITING


# --- files refused before any row: nothing changes ----------------------------------------------
@pytest.mark.django_db
def test_an_empty_file_is_refused(supervisor, store):
    assert refused(b"", supervisor) == "文件是空的。"


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"%PDF-1.7 a letter", b"\x89PNG\r\n\x1a\n....", b"MZ\x90\x00program"])
def test_a_file_that_is_not_a_spreadsheet_is_refused(supervisor, store, data):
    assert refused(data, supervisor) == "这不是表格文件。请上传 .xlsx、.xls 或 .csv 文件。"


@pytest.mark.django_db
def test_a_damaged_workbook_is_refused(supervisor, store):
    assert refused(three_items()[:400], supervisor) == "文件已损坏，无法打开。"


@pytest.mark.django_db
def test_a_file_without_the_number_column_is_refused_naming_it_and_the_files_columns(supervisor, store):
    data = workbook(["下发日期", "客户姓名", "VIN", "问题描述"], ["2026/3/2", "张三", valid_vin(1), "态度差"])
    assert refused(data, supervisor) == ("文件缺少这些列：编号。请补上该列（用这个列名或常见写法）后重新上传。 "
                                         "文件的列：下发日期、客户姓名、VIN、问题描述。")


@pytest.mark.django_db
def test_a_file_without_description_nor_a_way_to_find_the_customer_is_refused(supervisor, store):
    data = workbook(["编号", "下发日期", "客户姓名"], ["DF1", "2026/3/2", "张三"])
    assert refused(data, supervisor) == ("文件缺少这些列：问题描述、车架号/车牌号/手机号码。请补上该列（用这个列名或常见写法）"
                                         "后重新上传。 文件的列：编号、下发日期、客户姓名。")


@pytest.mark.django_db
def test_a_file_without_a_header_row_is_refused(supervisor, store):
    data = workbook(["甲", "乙"], ["1", "2"])
    assert refused(data, supervisor).startswith("没有识别出表头行")


@pytest.mark.django_db
def test_a_file_with_more_rows_than_the_limit_is_refused(supervisor, store, monkeypatch):
    monkeypatch.setattr(manufacturer, "MAX_ROWS", 2)
    assert refused(three_items(), supervisor) == "文件超过 2 行，请拆分后分别导入。"


@pytest.mark.django_db
def test_without_a_severity_in_use_the_file_is_refused_by_the_check_already(supervisor, store):
    Severity.objects.update(active=False)
    before = counts()
    with pytest.raises(ImportFileError, match="没有启用的投诉级别：请先由主管设置。"):
        manufacturer_import(data=three_items(), filename="厂家.xlsx", by=supervisor, dry_run=True, now=NOW)
    assert refused(three_items(), supervisor) == "没有启用的投诉级别：请先由主管设置。"
    assert counts() == before


@pytest.mark.django_db
def test_only_the_supervisors_right_imports(agent, store):
    with pytest.raises(PermissionDenied):
        manufacturer_import(data=three_items(), filename="厂家.xlsx", by=agent, dry_run=True, now=NOW)


# --- bad rows: reported, the others imported --------------------------------------------------
def errors_of(report) -> list[tuple]:
    return [(error["row"], error["column"], error["message"]) for error in report.errors]


@pytest.mark.django_db
def test_bad_dates_are_reported_with_their_row_and_column(supervisor, store):
    data = workbook(HEADER,
                    ["DF1", "2026/13/45", "", "张三", "", valid_vin(1), "", "", "态度差"],
                    ["DF2", "2026/3/2", "下周", "李四", "", valid_vin(2), "", "", "异响"],
                    ["DF3", "2026/3/5", "2026/3/1", "王五", "13700000003", "", "", "", "等太久"],
                    ["DF4", "2026/3/2", "2026/3/9", "王五", "13700000003", "", "", "", "等太久"])
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert errors_of(report) == [
        (3, "下发日期", "“2026/13/45”不是日期。"),
        (4, "要求回复日期", "“下周”不是日期。"),
        (5, "要求回复日期", "要求回复日期早于下发日期（2026-03-05）。"),
    ]
    assert (report.created, report.invalid) == (1, 3)
    assert list(ManufacturerItem.objects.values_list("reference", flat=True)) == ["DF4"]


@pytest.mark.django_db
def test_an_item_whose_customer_the_archive_does_not_know_is_invalid_and_nobody_is_created(supervisor, store):
    data = workbook(HEADER,
                    ["DF1", "2026/3/2", "", "赵六", "13600000006", "", "皖C99999", "", "没人回电话"],
                    ["DF2", "2026/3/2", "", "孙七", "", valid_vin(77), "", "", "异响"])
    before = counts()
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert counts() == before
    assert errors_of(report) == [(3, "VIN/车架号、车牌号、联系电话", "档案中找不到该客户。"),
                                 (4, "VIN/车架号、车牌号、联系电话", "档案中找不到该客户。")]
    assert (report.created, report.invalid) == (0, 2)


@pytest.mark.django_db
def test_a_vin_the_archive_does_not_know_is_not_moved_to_another_car_by_its_plate(supervisor, store):
    data = workbook(HEADER, ["DF1", "2026/3/2", "", "张三", "", valid_vin(77), "皖C12345", "", "异响"])
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert errors_of(report) == [(3, "VIN/车架号、车牌号、联系电话", "档案中找不到该客户。")]


@pytest.mark.django_db
def test_the_vin_finds_the_cars_current_owner(supervisor, store):
    buyer = archive.customer_create(by=supervisor, name="周八", mobile="13500000008")
    archive.vehicle_change_owner(vehicle=store["zhang_car"], new_owner=buyer, on=date(2026, 3, 1), by=supervisor)
    data = workbook(HEADER, ["DF1", "2026/3/5", "", "周八", "", valid_vin(1), "", "", "异响"])
    manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert ManufacturerItem.objects.get().complaint.customer == buyer


@pytest.mark.django_db
def test_a_phone_that_several_customers_share_matches_nobody(supervisor, store):
    archive.customer_create(by=supervisor, name="王五", mobile="13700000003")
    data = workbook(HEADER, ["DF1", "2026/3/2", "", "王五", "13700000003", "", "", "", "异响"])
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert errors_of(report) == [(3, "联系电话", "档案中有多位客户使用这个电话号码，请填写车架号或车牌号。")]


@pytest.mark.django_db
def test_a_number_twice_in_the_file_counts_once(supervisor, store):
    data = workbook(HEADER,
                    ["DF1", "2026/3/2", "", "张三", "", valid_vin(1), "", "", "态度差"],
                    ["DF1", "2026/3/2", "", "李四", "", valid_vin(2), "", "", "异响"])
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert errors_of(report) == [(4, "编号", "编号 DF1 在本文件第 3 行已出现。")]
    assert ManufacturerItem.objects.get().complaint.customer == store["zhang"]


@pytest.mark.django_db
def test_missing_values_and_bad_cells_are_each_reported(supervisor, store):
    data = workbook(HEADER,
                    ["", "2026/3/2", "", "张三", "", valid_vin(1), "", "", "态度差"],
                    ["DF2", "2026/3/2", "", "李四", "", valid_vin(2), "", "", ""],
                    ["DF3", "2026/3/2", "", "王五", "", "", "", "", "异响"],
                    ["DF4", "2026/3/2", "", "张三", "", "VF1RFB000TA000019", "", "", "异响"],
                    ["DF5", "2026/3/2", "", "张三", "12345", "", "", "", "异响"],
                    ["X" * 41, "2026/3/2", "", "张三", "", valid_vin(1), "", "", "异响"])
    report = manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    assert errors_of(report) == [
        (3, "编号", "缺少厂家编号。"),
        (4, "问题描述", "缺少问题描述。"),
        (5, "VIN/车架号、车牌号、联系电话", "车架号、车牌号、电话都没有，无法确定客户。"),
        (6, "VIN/车架号", "车架号“VF1RFB000TA000019”的校验位不正确，请核对。"),
        (7, "联系电话", "“12345”中没有有效的电话号码。"),
        (8, "编号", "编号超过 40 个字符。"),
    ]
    assert (report.created, report.invalid) == (0, 6)
    assert ManufacturerItem.objects.count() == 0


@pytest.mark.django_db
def test_a_file_with_a_header_and_no_rows_imports_nothing(supervisor, store):
    report = manufacturer_import(data=workbook(HEADER), filename="空.xlsx", by=supervisor, now=NOW)
    assert (report.rows, report.created, report.invalid) == (0, 0, 0)
