"""Reporting the manufacturer's items back: an xlsx in the manufacturer's columns, through the export
service (an audit event, formulas escaped, phones masked); "report back" marks what was exported."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from customers import services as archive
from dealer_crm.audit.models import AuditEvent
from followups.complaints import services
from followups.complaints.manufacturer import manufacturer_export, manufacturer_import
from followups.complaints.models import CaseAnalysis, Complaint, ManufacturerItem
from tests.customers.factories import make_vehicle, valid_vin, workbook

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
HEADER = ["编号", "下发日期", "要求回复日期", "客户姓名", "联系电话", "VIN", "车牌号", "问题类型", "问题描述"]
COLUMNS = ["编号", "下发日期", "客户姓名", "联系电话", "VIN", "处理状态", "首次联系时间", "解决方案", "解决时间",
           "回访结果", "客户是否满意", "处理人", "结案时间", "案例分析（根本原因）"]
STEPS = [("contacted", "电话致歉，约定周五上门"), ("investigating", "调取维修记录"), ("agreed", "免费更换鼓风机"),
         ("solved", "已更换鼓风机并试车"), ("followed_up", "客户表示异响已消除"), ("satisfied", "客户确认满意")]


@pytest.fixture
def items(supervisor, service_manager):
    """Three items: DF1 (张三, handled to the end by the service manager), DF2 (李四's car, without a
    name in the file; just registered), DF0 (王五, sent in February)."""
    zhang = archive.customer_create(by=supervisor, name="张三", mobile="13812345678")
    make_vehicle(zhang, serial=1, plate="皖C12345", by=supervisor)
    li = archive.customer_create(by=supervisor, name="李四", mobile="13900000002")
    make_vehicle(li, serial=2, plate="皖C22222", by=supervisor)
    archive.customer_create(by=supervisor, name="王五", mobile="13700000003")
    data = workbook(HEADER,
                    ["DF1", "2026/3/2", "2026/3/9", "张三", "13812345678", valid_vin(1), "", "维修质量", "空调异响"],
                    ["DF2", "2026/3/5", "", "", "", valid_vin(2), "", "", "等太久"],
                    ["DF0", "2026/2/20", "", "王五", "13700000003", "", "", "", "电话没人接"])
    manufacturer_import(data=data, filename="厂家.xlsx", by=supervisor, now=NOW)
    complaint = ManufacturerItem.objects.get(reference="DF1").complaint
    services.complaint_assign(complaint=complaint, owner=service_manager, by=supervisor, now=NOW)
    at = NOW
    for action, note in STEPS:
        at += timedelta(hours=1)
        services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note, now=at)
    services.analysis_write(complaint=complaint, root_cause=CaseAnalysis.RootCause.SKILL,
                            root_cause_text="技师未按规范检查鼓风机", by=service_manager, now=at,
                            plans=[services.PlanInput(action="鼓风机检查列入保养项目", department="service",
                                                      owner=service_manager, due_on=date(2026, 12, 31))])
    services.complaint_move(complaint=complaint, action="closed", by=service_manager, now=at + timedelta(hours=1))
    return {reference: ManufacturerItem.objects.select_related("complaint").get(reference=reference)
            for reference in ("DF0", "DF1", "DF2")}


def read(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


@pytest.mark.django_db
def test_the_export_has_the_manufacturers_columns_and_the_items_of_the_range(supervisor, service_manager, items):
    response = manufacturer_export(start=date(2026, 3, 1), end=date(2026, 3, 31), by=supervisor)
    assert response["Content-Disposition"].startswith("attachment")
    rows = read(response)
    assert rows[0] == COLUMNS
    done = items["DF1"].complaint
    with translation.override("zh-hans"):
        closed, registered = str(Complaint.Status.CLOSED.label), str(Complaint.Status.REGISTERED.label)
        skill = str(CaseAnalysis.RootCause.SKILL.label)
    assert rows[1] == ["DF1", datetime(2026, 3, 2), "张三", "138****5678", valid_vin(1), closed,
                       local(done.contacted_at), "免费更换鼓风机", local(done.solved_at), "客户表示异响已消除", "是",
                       str(service_manager), local(done.closed_at), f"{skill}：技师未按规范检查鼓风机"]
    assert rows[2] == ["DF2", datetime(2026, 3, 5), "李四", None, valid_vin(2), registered,
                       None, None, None, None, None, None, None, None]
    assert len(rows) == 3  # DF0 was sent in February


@pytest.mark.django_db
def test_text_that_would_run_as_a_formula_stays_text(supervisor, items):
    complaint, at = items["DF2"].complaint, NOW
    for action, note in [("contacted", "已致歉"), ("investigating", ""), ("agreed", '=HYPERLINK("http://x","赔偿")')]:
        at += timedelta(hours=1)
        services.complaint_move(complaint=complaint, action=action, by=supervisor, note=note, now=at)
    response = manufacturer_export(start=date(2026, 3, 5), end=date(2026, 3, 5), by=supervisor)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = book.active.cell(row=2, column=COLUMNS.index("解决方案") + 1)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","赔偿")', "s")


@pytest.mark.django_db
def test_an_export_is_an_audit_event_that_names_the_range_not_the_customers(supervisor, items):
    manufacturer_export(start=date(2026, 3, 1), end=date(2026, 3, 31), by=supervisor)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == supervisor
    assert event.detail == {"list": "厂家不满意事项", "format": "xlsx", "rows": 2,
                            "filters": {"from": "2026-03-01", "to": "2026-03-31", "report_back": False}}


@pytest.mark.django_db
def test_reporting_back_marks_the_exported_items_only(supervisor, items):
    reported = NOW + timedelta(days=2)
    manufacturer_export(start=date(2026, 3, 1), end=date(2026, 3, 31), by=supervisor, report_back=True, now=reported)
    assert dict(ManufacturerItem.objects.values_list("reference", "reported_at")) == {
        "DF0": None, "DF1": reported, "DF2": reported}
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).detail["filters"]["report_back"] is True


@pytest.mark.django_db
def test_a_plain_export_marks_nothing(supervisor, items):
    manufacturer_export(start=date(2026, 2, 1), end=date(2026, 3, 31), by=supervisor)
    assert set(ManufacturerItem.objects.values_list("reported_at", flat=True)) == {None}


@pytest.mark.django_db
def test_a_customer_who_was_not_satisfied_reads_no_until_they_are(supervisor, service_manager, items):
    complaint = items["DF2"].complaint
    services.complaint_assign(complaint=complaint, owner=service_manager, by=supervisor, now=NOW)
    at = NOW
    for action, note in [*STEPS[:5], ("reopened", "客户称还要等")]:
        at += timedelta(hours=1)
        services.complaint_move(complaint=complaint, action=action, by=service_manager, note=note, now=at)
    rows = read(manufacturer_export(start=date(2026, 3, 5), end=date(2026, 3, 5), by=supervisor))
    assert rows[1][COLUMNS.index("客户是否满意")] == "否"
    assert rows[1][COLUMNS.index("回访结果")] == "客户表示异响已消除"


@pytest.mark.django_db
def test_only_the_supervisor_exports(agent, items):
    with pytest.raises(PermissionDenied):
        manufacturer_export(start=date(2026, 3, 1), end=date(2026, 3, 31), by=agent)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
