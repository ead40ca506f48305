"""The export service: what it writes in xlsx and CSV, what it escapes, and what it logs."""

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from customers.models import Customer
from dealer_crm import exports
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import CustomerFactory


@dataclass
class Row:
    text: str
    amount: object = None
    day: object = None


COLUMNS = [("备注", lambda r: r.text), ("金额", lambda r: r.amount), ("日期", lambda r: r.day)]
DANGEROUS = ["=HYPERLINK(\"http://x\")", "+1+2", "-1+2", "@SUM(A1)", "\tTAB", "\rCR", "＝1+1"]


def download(response) -> bytes:
    return b"".join(response.streaming_content)


def export(user, rows, fmt, **kwargs) -> bytes:
    arguments = {"columns": COLUMNS, "filename": "测试", "target_label": "测试名单", "filters": {}} | kwargs
    return download(exports.export_response(rows=rows, fmt=fmt, by=user, **arguments))


def sheet_rows(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book.active.iter_rows(values_only=True))


def csv_lines(content: bytes) -> list[str]:
    return content.decode("utf-8-sig").splitlines()


@pytest.mark.parametrize("value", DANGEROUS)
def test_it_escapes_a_cell_that_a_spreadsheet_would_run(value):
    assert exports.escape_text(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "138****5678", "a=b", "C-1", " ", ""])
def test_it_leaves_ordinary_text_alone(value):
    assert exports.escape_text(value) == value


def test_removing_a_control_character_does_not_uncover_a_formula():
    assert exports.escape_text("\x01=cmd") == "'=cmd"


@pytest.mark.django_db
def test_the_xlsx_escapes_text_and_keeps_numbers_and_dates_typed(admin_user):
    rows = [Row(value) for value in DANGEROUS] + [Row("普通", amount=-12, day=date(2026, 3, 5)),
                                                  Row("小数", amount=Decimal("1999.50"), day=None)]
    table = sheet_rows(export(admin_user, rows, "xlsx"))
    assert table[0] == ("备注", "金额", "日期")
    # Shown as typed, without a visible ' (XML reads a stored carriage return back as a line feed).
    assert [row[0] for row in table[1:8]] == [value.replace("\r", "\n") for value in DANGEROUS]
    assert table[8] == ("普通", -12, datetime(2026, 3, 5))  # a number and a date, not text
    assert table[9] == ("小数", 1999.5, None)


@pytest.mark.django_db
def test_the_xlsx_holds_aware_times_as_local_clock_time(admin_user, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    at = datetime(2026, 3, 5, 1, 30, tzinfo=ZoneInfo("UTC"))
    table = sheet_rows(export(admin_user, [Row("x", day=at)], "xlsx"))
    assert table[1][2] == datetime(2026, 3, 5, 9, 30)


@pytest.mark.django_db
def test_the_xlsx_sheet_is_named_for_the_list(admin_user):
    book = openpyxl.load_workbook(io.BytesIO(export(admin_user, [], "xlsx")))
    assert book.active.title == "测试名单"
    assert list(book.active.iter_rows(values_only=True)) == [("备注", "金额", "日期")]


@pytest.mark.django_db
def test_the_csv_starts_with_a_bom_and_escapes_text(admin_user):
    content = export(admin_user, [Row("=1+1", amount=-3, day=date(2026, 3, 5)), Row("普通")], "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    assert csv_lines(content) == ["备注,金额,日期", "'=1+1,-3,2026-03-05", "普通,,"]


@pytest.mark.django_db
def test_yes_and_no_read_as_the_pages_show_them(admin_user):
    columns = [("拒绝营销", lambda flag: flag)]
    assert csv_lines(export(admin_user, [True, False], "csv", columns=columns)) == ["拒绝营销", "是", "否"]


@pytest.mark.django_db
def test_the_response_is_a_download_with_the_chinese_filename(admin_user):
    response = exports.export_response(rows=[], columns=COLUMNS, filename="客户-20260305", fmt="xlsx",
                                       by=admin_user, target_label="客户", filters={})
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%AE%A2%E6%88%B7-20260305.xlsx" in response["Content-Disposition"]
    download(response)


@pytest.mark.django_db
def test_every_export_is_in_the_audit_log_with_what_but_not_whom(admin_user):
    export(admin_user, [Row("张三"), Row("李四")], "csv", target_label="客户",
           filters={"importance": "vip", "delivered_from": date(2026, 1, 1), "model_name": "", "lost_contact": None,
                    "opted_out": False})
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == admin_user and event.target_type == ""
    assert event.detail == {"list": "客户", "format": "csv", "rows": 2,
                            "filters": {"importance": "vip", "delivered_from": "2026-01-01", "opted_out": False}}
    assert "张三" not in str(event.detail)
    assert ("行数", "2") in event.detail_display


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        exports.export_response(rows=[], columns=COLUMNS, filename="x", fmt="pdf", by=None, target_label="x",
                                filters={})


@pytest.mark.django_db
def test_the_row_count_refuses_more_than_the_limit():
    for i in range(3):
        CustomerFactory(name=f"客户{i}")
    assert exports.export_row_count(queryset=Customer.objects.all(), limit=3) == 3
    with pytest.raises(exports.ExportTooLarge) as refused:
        exports.export_row_count(queryset=Customer.objects.all(), limit=2)
    assert "2" in str(refused.value)


@pytest.mark.django_db
def test_chunks_are_prepared_one_at_a_time():
    for i in range(5):
        CustomerFactory(name=f"客户{i}")
    seen = []
    rows = list(exports.export_iter_chunks(Customer.objects.order_by("id"), chunk_size=2,
                                           prepare=lambda chunk: seen.append(len(chunk))))
    assert len(rows) == 5 and seen == [2, 2, 1]


def test_headers_are_escaped_too_they_may_come_from_an_uploaded_file():
    buffer = io.BytesIO()
    exports.write_xlsx(buffer, rows=[1], columns=[('=HYPERLINK("http://x";"y")', lambda row: row)], title="t")
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet["A1"].value == '=HYPERLINK("http://x";"y")' and sheet["A1"].data_type == "s"
    assert b"<f>" not in zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")


@pytest.mark.django_db
def test_a_formula_like_xlsx_cell_is_a_text_cell_that_shows_as_typed(admin_user):
    """No formula in the file at all, and each such cell carries Excel's mark for typed text, so
    editing it in Excel keeps it text."""
    content = export(admin_user, [Row(value) for value in DANGEROUS] + [Row("普通")], "xlsx")
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    cells = [row[0] for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2)]
    assert [(cell.data_type, cell.quotePrefix) for cell in cells[:7]] == [("s", True)] * 7
    assert not cells[0].value.startswith("'")
    assert (cells[7].value, cells[7].quotePrefix) == ("普通", False)
