"""The export service's details a user or an auditor reads: the refusal, the sheet, the audit event."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from customers.models import Customer
from dealer_crm import exports
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import CustomerFactory


def test_the_refusal_names_the_limit_with_its_thousands():
    assert "50,000" in str(exports.ExportTooLarge(50_000))


def test_the_refusal_reads_as_the_catalogue_has_it():
    with translation.override("zh-hans"):
        assert str(exports.ExportTooLarge(50_000)) == (
            "筛选结果超过 50,000 行，超出单次导出的上限。请缩小筛选范围（例如缩短日期区间）后再导出。")
    with translation.override("en"):
        assert str(exports.ExportTooLarge(50_000)) == (
            "These filters match more than 50,000 rows, the most one export may hold. "
            "Narrow the filters (e.g. a shorter date range) and export again.")


@pytest.mark.django_db
def test_the_default_limit_counts_what_is_there():
    CustomerFactory(name="甲")
    CustomerFactory(name="乙")
    assert exports.export_row_count(queryset=Customer.objects.all()) == 2


@pytest.mark.django_db
def test_one_row_over_the_limit_is_refused_and_the_limit_itself_is_not():
    for name in "甲乙丙":
        CustomerFactory(name=name)
    assert exports.export_row_count(queryset=Customer.objects.all(), limit=3) == 3
    with pytest.raises(exports.ExportTooLarge):
        exports.export_row_count(queryset=Customer.objects.all(), limit=2)


def _xlsx(rows, columns, title="名单"):
    buffer = io.BytesIO()
    count = exports.write_xlsx(buffer, rows=rows, columns=columns, title=title)
    return count, openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active


def test_xlsx_drops_control_characters_and_keeps_the_text():
    _count, sheet = _xlsx(["a\x01b\x1fc"], [("备注", lambda row: row)])
    assert sheet["A2"].value == "abc"


def test_the_sheet_is_laid_out_for_reading():
    count, sheet = _xlsx([1, 2, 3], [("备注", lambda row: row), ("一二三四五六七八九十", lambda row: row)])
    assert count == 3
    assert sheet.freeze_panes == "A2"  # the header stays in view
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["B"].width == 24


@pytest.mark.parametrize(("label", "title"), [("回访/名单:2026[12]?", "回访名单202612"), ("名" * 40, "名" * 31),
                                              ("/:*?", "Sheet1")])
def test_the_sheet_is_named_for_the_list_within_excels_rules(label, title):
    _count, sheet = _xlsx([], [("备注", lambda row: row)], title=label)
    assert sheet.title == title


def test_csv_writes_a_time_to_the_second():
    buffer = io.BytesIO()
    exports.write_csv(buffer, rows=[datetime(2026, 3, 5, 9, 30, 15, 999)], columns=[("时间", lambda row: row)])
    assert buffer.getvalue().decode("utf-8-sig").splitlines() == ["时间", "2026-03-05 09:30:15"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_audit_event_counts_the_rows_and_names_the_record_and_filters(admin_user, fmt):
    target = CustomerFactory(name="甲")
    response = exports.export_response(
        rows=[1, 2], columns=[("数", lambda row: row)], filename="f", fmt=fmt, by=admin_user, target_label="名单",
        filters={"since": date(2026, 3, 5), "amount": Decimal("1.50"), "empty": "", "none": None, "vip": True},
        target=target)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail == {"list": "名单", "format": fmt, "rows": 2,
                            "filters": {"since": "2026-03-05", "amount": "1.50", "vip": True}}
    assert (event.target_type, event.target_id) == ("customers.customer", str(target.pk))
    assert response["Content-Type"] == exports.CONTENT_TYPES[fmt]
    assert response["Content-Disposition"].endswith(f'f.{fmt}"')


@pytest.mark.django_db
def test_an_unknown_format_is_refused_before_anything_is_written(admin_user):
    with pytest.raises(ValueError, match="pdf"):
        exports.export_response(rows=[], columns=[], filename="f", fmt="pdf", by=admin_user, target_label="x",
                                filters={})
    assert not AuditEvent.objects.exists()
