"""Reading the archives' real-world files: title rows, Chinese header variants, every date form,
encodings; and refusing, before parsing, what is not a safe spreadsheet."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from customers.imports.headers import find_header
from customers.imports.reading import ImportFileError, read_rows
from customers.imports.values import parse_amount, parse_count, parse_date, text


def workbook(*rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


DELIVERIES = [
    ["2012年1月至11月交车客户档案"],
    ["制表：客服部", None, None, None, "2012-11-30"],
    [],
    ["序号", "客户姓名", "联系电话", "车架号(VIN)", "交车日期", "车牌", "备注"],
    [1, "张三", 13812345678, "1M8GDM9AXKP042788", date(2012, 3, 5), "皖C·12345", ""],
]


def test_an_xlsx_is_read_with_its_title_rows():
    sheet = read_rows(workbook(*DELIVERIES))
    assert sheet.kind == "xlsx"
    header = find_header(sheet.rows, "deliveries")
    assert header.row_index == 3
    assert header.columns == {1: "name", 2: "mobile", 3: "vin", 4: "delivery_date", 5: "plate"}
    assert header.unused == ["序号", "备注"]
    row = sheet.rows[4]
    assert (text(row[1]), text(row[2]), parse_date(row[4])) == ("张三", "13812345678", date(2012, 3, 5))


@pytest.mark.parametrize("names", [
    ["姓名", "手机", "VIN"], ["车主", "手机号码", "车架号"], ["客户姓名", "联系方式", "车辆识别代号"],
    [" 车主姓名 ", "手机号", "车架号（VIN）"],
])
def test_header_variants_are_recognised(names):
    header = find_header([["标题"], names], "deliveries")
    assert header is not None and sorted(header.columns.values()) == sorted(["name", "mobile", "vin"])


def test_a_service_visit_header():
    header = find_header([["怀远系统 维修明细"], ["工单号", "车牌号", "进厂日期", "送修人", "合计"]], "service-visits")
    assert set(header.columns.values()) == {"ro_number", "plate", "opened_on", "sender_name", "total_amount"}


def test_a_sheet_without_a_recognisable_header():
    assert find_header([["a", "b"], ["1", "2"]], "deliveries") is None
    assert find_header([["2012年交车客户档案"], ["备注"]], "deliveries") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("2012年3月5日", date(2012, 3, 5)), ("2012/3/5", date(2012, 3, 5)), ("2012.03.05", date(2012, 3, 5)),
    ("2012-3-5", date(2012, 3, 5)), ("20120305", date(2012, 3, 5)), ("2012/03/05 10:22:00", date(2012, 3, 5)),
    (40973, date(2012, 3, 5)), (40973.0, date(2012, 3, 5)), ("40973", date(2012, 3, 5)),
    ("２０１２年３月５日", date(2012, 3, 5)), ("", None), (None, None),
])
def test_every_date_form_of_the_archives(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2012年13月5日", "下周", "2012/2/30"])
def test_a_wrong_date_is_refused(raw):
    with pytest.raises(ValueError, match="不是日期"):
        parse_date(raw)


def test_amounts_and_counts():
    assert parse_amount("¥1,234.5") == Decimal("1234.50")
    assert parse_amount(158000.0) == Decimal("158000.00")
    assert parse_count("12,345 km") == 12345
    with pytest.raises(ValueError):
        parse_amount("-5")
    with pytest.raises(ValueError):
        parse_count("很多")


CSV_TEXT = "客户姓名,手机号码,车架号\n张三,138-1234-5678,1M8GDM9AXKP042788\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (CSV_TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
    (CSV_TEXT.encode("gbk"), "gb18030"),
    (CSV_TEXT.replace(",", "\t").encode("gb18030"), "gb18030"),
])
def test_csv_in_utf8_with_or_without_bom_and_gbk(data, encoding):
    sheet = read_rows(data)
    assert (sheet.kind, sheet.encoding) == ("csv", encoding)
    assert sheet.rows[1][:2] == ["张三", "138-1234-5678"]


def test_an_empty_file():
    with pytest.raises(ImportFileError, match="文件是空的"):
        read_rows(b"")


def test_a_renamed_executable():
    with pytest.raises(ImportFileError, match="不是表格"):
        read_rows(b"MZ\x90\x00\x03" + b"\x00" * 100)


def test_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    with pytest.raises(ImportFileError, match="不是表格"):
        read_rows(buffer.getvalue())


def test_a_zip_bomb_is_refused_before_parsing(settings):
    settings.IMPORT_MAX_COMPRESSION_RATIO = 50
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)  # compresses about 1000 to 1
    with pytest.raises(ImportFileError, match="解压"):
        read_rows(buffer.getvalue())


def test_a_damaged_workbook():
    with pytest.raises(ImportFileError, match="已损坏"):
        read_rows(workbook(*DELIVERIES)[:500])


def test_an_encrypted_workbook():
    # Office wraps an encrypted .xlsx in an OLE2 file with an "EncryptedPackage" stream.
    wrapper = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(ImportFileError, match="密码"):
        read_rows(wrapper)


def test_a_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(ImportFileError, match="大于"):
        read_rows(workbook(*DELIVERIES))


def test_a_workbook_with_only_empty_sheets():
    with pytest.raises(ImportFileError, match="没有数据"):
        read_rows(workbook([None, None]))


@pytest.mark.django_db
def test_a_workbook_with_several_sheets_says_which_one_was_read(admin_user, client):
    from customers.imports import batches
    from customers.imports.services import import_archive
    from tests.customers.factories import valid_vin

    book = openpyxl.Workbook()
    book.active.title = "说明"  # an empty first sheet is skipped
    for title, vin in (("一月", valid_vin(1)), ("二月", valid_vin(2))):
        sheet = book.create_sheet(title)
        sheet.append(["客户姓名", "手机号码", "车架号"])
        sheet.append(["张三", "13812345678", vin])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_archive(data=buffer.getvalue(), kind="deliveries", by=admin_user, dry_run=True)
    assert (report.sheet, report.other_sheets, report.rows) == ("一月", ["二月"], 1)

    batch = batches.import_batch_upload(kind="deliveries", filename="2012.xlsx", content=buffer.getvalue(),
                                        by=admin_user)
    batches.import_batch_check(batch_id=batch.pk)
    client.force_login(admin_user)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "只读取了工作表“一月”" in page and "二月" in page


@pytest.mark.django_db
def test_handbook_records_without_their_check_date_are_refused(admin_user):
    from customers.imports.reading import ImportFileError
    from customers.imports.services import import_archive
    from tests.customers.factories import valid_vin
    from tests.customers.factories import workbook as titled_workbook

    data = titled_workbook(["车主", "手机", "VIN码"], ["张三", "13812345678", valid_vin(1)], title=None)
    with pytest.raises(ImportFileError, match="核对日期"):
        import_archive(data=data, kind="handbook", by=admin_user)


# --- header cells as DMS and manufacturer exports write them -------------------------------------------
@pytest.mark.parametrize(("cell", "field"), [
    ("VIN/车架号", "vin"), ("车架号/VIN", "vin"), ("车牌号(车牌)", "plate"), ("手机/电话", "mobile"),
    ("客户姓名（车主）", "name"), ("开票金额(元)", "invoice_amount"), ("开票金额（元）", "invoice_amount"),
    ("车架号 VIN", "vin"), ("车架号｜VIN", "vin"), ("车主、客户", "name"), ("联系电话，手机", "mobile"),
])
def test_a_header_cell_combining_names_of_one_field_maps_to_it(cell, field):
    sheet = read_rows(workbook(["2024年交车档案"], ["序号", cell, "客户姓名" if field != "name" else "车架号"]))
    header = find_header(sheet.rows, "deliveries")
    assert header is not None and header.columns[1] == field and header.unused == ["序号"]


def test_units_in_brackets_are_not_part_of_a_repair_orders_column():
    sheet = read_rows(workbook(["工单号", "VIN/车架号", "进厂日期", "里程(km)", "维修类型", "工时费(元)", "金额(元)"]))
    header = find_header(sheet.rows, "service-visits")
    assert header.columns == {0: "ro_number", 1: "vin", 2: "opened_on", 3: "mileage", 4: "kind", 5: "labour_amount"}
    assert header.unused == ["金额(元)"]  # 金额 alone names no one amount: not guessed


def test_a_header_cell_naming_two_fields_is_not_guessed():
    sheet = read_rows(workbook(["客户姓名", "车牌/车架号", "手机号码"]))
    header = find_header(sheet.rows, "deliveries")
    assert header.columns == {0: "name", 2: "mobile"}
    assert header.ambiguous == {1: ["plate", "vin"]} and header.unused == ["车牌/车架号"]


def test_a_whole_name_wins_over_a_part_of_another_cell():
    sheet = read_rows(workbook(["客户姓名", "备注(车牌)", "车牌号", "车架号"]))
    assert find_header(sheet.rows, "deliveries").columns == {0: "name", 2: "plate", 3: "vin"}
