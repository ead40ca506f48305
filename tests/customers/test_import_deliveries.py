"""Importing delivered-customer archives: one person one file, idempotent, updates with history."""

import io
import json
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command

from customers.imports.services import import_archive
from customers.models import Customer, Vehicle, VehicleRole
from tests.customers import factories
from tests.customers.factories import valid_vin

HEADER = ["客户姓名", "手机号码", "联系地址", "车架号(VIN)", "车牌号", "交车日期", "车型", "品牌", "开票金额"]


def workbook(*rows) -> bytes:
    return factories.workbook(HEADER, *rows)


ROWS = [
    ["张三", "138 1234 5678", "蚌埠市胜利路8号", valid_vin(1), "皖C·12345", "2012年3月5日", "科雷傲", "雷诺", "239,800"],
    ["张三", "+86 13812345678", "", valid_vin(2), "皖c 54321", "2012/6/1", "卡缤", "雷诺", ""],  # same person
    ["李四", "", "怀远县城关镇", valid_vin(3), "", "2012.08.09", "欧蓝德", "三菱", ""],
    ["李四", "", "怀远县城关镇", valid_vin(4), "", 41200, "劲炫", "三菱", ""],  # same name, same address
]


@pytest.mark.django_db
def test_one_person_one_customer_with_all_their_cars(admin_user):
    report = import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    assert (report.rows, report.created, report.invalid) == (4, 4, 0)
    zhang = Customer.objects.get(name="张三")
    assert zhang.mobile == "13812345678" and zhang.address == "蚌埠市胜利路8号"
    assert sorted(VehicleRole.objects.filter(customer=zhang).values_list("vehicle__plate", flat=True)) == [
        "皖C12345", "皖C54321"]
    assert Customer.objects.filter(name="李四").count() == 1
    vehicle = Vehicle.objects.get(vin=valid_vin(4))
    assert (vehicle.delivery_date, vehicle.brand, vehicle.model_name) == (date(2012, 10, 18), "mitsubishi", "劲炫")
    assert Vehicle.objects.get(vin=valid_vin(1)).invoice_amount == 239800
    assert zhang.history.get().history_user == admin_user
    assert zhang.source == "import" and zhang.name_initials == "zs"


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(admin_user):
    data = workbook(*ROWS)
    import_archive(data=data, kind="deliveries", by=admin_user)
    counts = (Customer.history.count(), Vehicle.history.count(), VehicleRole.objects.count())
    report = import_archive(data=data, kind="deliveries", by=admin_user)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert (Customer.history.count(), Vehicle.history.count(), VehicleRole.objects.count()) == counts


@pytest.mark.django_db
def test_an_updated_file_changes_only_what_changed_and_history_shows_it(admin_user):
    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    changed = [list(row) for row in ROWS]
    changed[0][2] = "蚌埠市淮河路1号"  # a new address
    changed[2][5] = "2012.08.10"  # a corrected delivery date
    report = import_archive(data=workbook(*changed), kind="deliveries", by=admin_user)
    assert (report.created, report.updated, report.unchanged) == (0, 3, 1)  # both rows of 张三 belong to him
    zhang = Customer.objects.get(name="张三")
    assert zhang.address == "蚌埠市淮河路1号"
    latest, previous = zhang.history.all()[:2]
    assert latest.diff_against(previous).changed_fields == ["address"]
    assert Vehicle.objects.get(vin=valid_vin(3)).delivery_date == date(2012, 8, 10)


@pytest.mark.django_db
def test_an_empty_cell_never_erases_what_the_archive_knows(admin_user):
    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    emptier = [list(row) for row in ROWS]
    emptier[0][2] = ""
    import_archive(data=workbook(*emptier), kind="deliveries", by=admin_user)
    assert Customer.objects.get(name="张三").address == "蚌埠市胜利路8号"


@pytest.mark.django_db
def test_invalid_rows_are_reported_and_the_rest_imported(admin_user):
    bad = [
        ["", "13900000000", "", valid_vin(5), "", "", "", "", ""],  # no name
        ["王五", "12345", "", valid_vin(6), "", "", "", "", ""],  # bad phone
        ["赵六", "13700000000", "", "1M8GDM9A1KP042788", "", "", "", "", ""],  # wrong check digit
        ["孙七", "13600000000", "", valid_vin(7), "", "下个月", "", "", ""],  # bad date
        ["周八", "13500000000", "", "", "皖C99999", "", "", "", ""],  # no VIN, unknown plate
        ROWS[0],
    ]
    report = import_archive(data=workbook(*bad), kind="deliveries", by=admin_user)
    assert (report.rows, report.created, report.invalid) == (6, 1, 5)
    problems = {(error["row"], error["column"]) for error in report.errors}
    assert problems == {(3, "客户姓名"), (4, "手机号码"), (5, "车架号(VIN)"), (6, "交车日期"), (7, "车架号")}
    assert "校验位" in next(error["message"] for error in report.errors if error["row"] == 5)
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]


@pytest.mark.django_db
def test_a_row_without_vin_updates_the_vehicle_known_by_its_plate(admin_user):
    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    report = import_archive(data=workbook(["张三", "13812345678", "", "", "皖C12345", "", "", "", "229,800"]),
                            kind="deliveries", by=admin_user)
    assert (report.updated, report.invalid) == (1, 0)
    assert Vehicle.objects.get(plate="皖C12345").invoice_amount == 229800


@pytest.mark.django_db
def test_a_dry_run_writes_nothing(admin_user):
    report = import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user, dry_run=True)
    assert report.created == 4 and report.dry_run and report.committed_rows == []
    assert not Customer.objects.exists() and not Vehicle.objects.exists()


@pytest.mark.django_db
def test_an_existing_customer_gets_the_imported_car(admin_user):
    existing = Customer.objects.create(name="张三", mobile="13812345678")
    import_archive(data=workbook(ROWS[0]), kind="deliveries", by=admin_user)
    assert Customer.objects.count() == 1
    assert VehicleRole.objects.get().customer == existing


@pytest.mark.django_db
def test_the_command_prints_one_json_object(tmp_path, capsys):
    path = tmp_path / "交车档案.xlsx"
    path.write_bytes(workbook(*ROWS, ["", "", "", "", "", "", "", "", ""], ["钱九", "", "", "bad", "", "", "", "", ""]))
    call_command("import_archive", str(path), "--kind", "deliveries", "--json")
    report = json.loads(capsys.readouterr().out)
    assert {key: report[key] for key in ("rows", "created", "updated", "unchanged", "invalid")} == {
        "rows": 5, "created": 4, "updated": 0, "unchanged": 0, "invalid": 1}
    assert report["errors"] == [{"row": 8, "column": "车架号(VIN)", "message": report["errors"][0]["message"]}]
    call_command("import_archive", str(path), "--kind", "deliveries", "--json", "--dry-run")
    assert json.loads(capsys.readouterr().out)["unchanged"] == 4


@pytest.mark.django_db
def test_a_gbk_csv_with_the_archives_usual_mess(admin_user):
    lines = [
        "雷诺4S店客户档案,,,,,",
        "姓名,联系电话,车架号,车牌,开票日期,车型",
        f" 王  五 ,１３８ １２３４ ５６７８ / 0552-3012345,{valid_vin(11).lower()},皖c·12345,2012年3月5日,科雷傲",
        f"赵六,+86-139-0000-1111,{valid_vin(12)}, 皖C 54321 ,2012.03.06,卡缤",
        f"赵六,13900001111，13700002222,{valid_vin(13)},,20120307,风朗",
    ]
    report = import_archive(data="\r\n".join(lines).encode("gbk"), kind="deliveries", by=admin_user)
    assert (report.encoding, report.rows, report.created, report.invalid) == ("gb18030", 3, 3, 0)
    wang = Customer.objects.get(name="王五")
    assert (wang.mobile, wang.phone2) == ("13812345678", "05523012345")
    assert Vehicle.objects.get(vin=valid_vin(11)).plate == "皖C12345"
    zhao = Customer.objects.get(name="赵六")  # two rows, one mobile: one person, two cars
    assert (zhao.mobile, zhao.phone2) == ("13900001111", "13700002222")
    assert sorted(VehicleRole.objects.filter(customer=zhao).values_list("vehicle__delivery_date", flat=True)) == [
        date(2012, 3, 6), date(2012, 3, 7)]


@pytest.mark.django_db
def test_handbook_records_set_the_check_date_of_the_delivery_file(admin_user):
    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    book = openpyxl.Workbook()
    book.active.append(["诺相随保养手册登记"])
    book.active.append(["车主", "手机", "VIN码", "核对日期"])
    book.active.append(["张三", "13812345678", valid_vin(1), "2012/3/20"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_archive(data=buffer.getvalue(), kind="handbook", by=admin_user)
    assert (report.updated, report.invalid) == (1, 0)
    delivery_file = Vehicle.objects.get(vin=valid_vin(1)).delivery_file
    assert delivery_file.handbook_checked_on == date(2012, 3, 20)
    assert delivery_file.history.first().history_user == admin_user
    again = import_archive(data=buffer.getvalue(), kind="handbook", by=admin_user)
    assert (again.updated, again.unchanged) == (0, 1)


@pytest.mark.django_db
def test_a_failing_chunk_leaves_nothing_half_written_and_the_report_says_which_rows(admin_user, monkeypatch):
    from customers.imports import deliveries

    monkeypatch.setattr(deliveries, "CHUNK", 1)  # one person per chunk
    write = deliveries.DeliveriesImport._write

    def failing_for_li(self, chunk):
        counts = write(self, chunk)  # everything of 李四 written, then the chunk fails
        if any(row.customer["name"] == "李四" for _key, group in chunk for row in group):
            raise RuntimeError("disk full\nDETAIL:  Key (vin)=(LVSHCAMB1CE000003) already exists.")
        return counts

    monkeypatch.setattr(deliveries.DeliveriesImport, "_write", failing_for_li)
    report = import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    assert (report.committed_rows, report.failed_rows) == ([3, 4], [5, 6])
    assert {error["row"] for error in report.errors} == {5, 6} and "disk full" in report.errors[0]["message"]
    assert "DETAIL" not in report.errors[0]["message"]  # the row's values stay in the worker's log
    assert [row["row"] for row in report.invalid_rows] == [5, 6]  # in the download, to import again
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]
    assert not Vehicle.objects.filter(vin__in=[valid_vin(3), valid_vin(4)]).exists()


def test_persons_who_name_the_same_car_are_written_in_the_same_chunk(monkeypatch):
    from customers.imports import deliveries

    monkeypatch.setattr(deliveries, "CHUNK", 1)

    def row(number, name, mobile, vin="", plate=""):
        return deliveries.DeliveryRow.of(row=number, customer=(name, mobile, "", "", "", None, ""),
                                         vehicle=(vin, plate, None, "", "", None, "", None))

    rows = [row(1, "甲", "13800000001", vin=valid_vin(1)), row(2, "乙", "13800000002", vin=valid_vin(2)),
            row(3, "丙", "13800000003", vin=valid_vin(1)),  # 丙 names 甲's car
            row(4, "丁", "13800000004", plate="皖C11111"), row(5, "戊", "13800000005", plate="皖C11111"),
            row(6, "甲", "13800000001", vin=valid_vin(6))]
    chunks = [sorted(r.row for _key, group in chunk for r in group) for chunk in deliveries._chunks(rows)]
    assert sorted(chunks) == [[1, 3, 6], [2], [4, 5]]


@pytest.mark.django_db
def test_a_file_naming_another_owner_leaves_the_owner_and_says_so(admin_user):
    import_archive(data=workbook(*ROWS), kind="deliveries", by=admin_user)
    zhang = Customer.objects.get(name="张三")
    report = import_archive(data=workbook(["王五", "13900009999", "", valid_vin(1), "", "", "", "", ""]),
                            kind="deliveries", by=admin_user)
    assert (report.created, report.invalid) == (1, 0)  # 王五 is a new customer; the row is not refused
    assert VehicleRole.objects.get(vehicle__vin=valid_vin(1), ended_on__isnull=True).customer == zhang
    assert report.warnings == [{"row": 3, "column": "车架号(VIN)", "message": report.warnings[0]["message"]}]
    assert f"#{zhang.pk}" in report.warnings[0]["message"] and "车主变更" in report.warnings[0]["message"]


@pytest.mark.django_db
def test_a_car_named_by_plate_in_one_row_and_by_vin_in_another_is_written_once(admin_user, monkeypatch):
    from customers.imports import deliveries

    import_archive(data=workbook(["张三", "13812345678", "", valid_vin(1), "皖C12345", "", "", "", ""]),
                   kind="deliveries", by=admin_user)
    VehicleRole.objects.all().delete()  # a car on file without an owner yet
    monkeypatch.setattr(deliveries, "CHUNK", 1)
    report = import_archive(data=workbook(["甲", "13800000001", "", valid_vin(1), "", "", "", "", ""],
                                          ["乙", "13800000002", "", "", "皖C12345", "", "", "", ""]),
                            kind="deliveries", by=admin_user)
    assert report.failed_rows == [] and len(report.warnings) == 1
    assert VehicleRole.objects.get(vehicle__vin=valid_vin(1)).customer.name == "甲"


@pytest.mark.django_db
def test_two_new_persons_naming_one_new_car_the_first_owns_it_the_second_is_noted(admin_user):
    report = import_archive(data=workbook(["甲", "13800000001", "", valid_vin(1), "", "", "", "", ""],
                                          ["乙", "13800000002", "", valid_vin(1), "", "", "", "", ""]),
                            kind="deliveries", by=admin_user)
    assert VehicleRole.objects.get(vehicle__vin=valid_vin(1)).customer.name == "甲"
    assert [warning["row"] for warning in report.warnings] == [4]


@pytest.mark.django_db
def test_an_owner_given_to_a_car_first_met_in_a_repair_order_counts_as_updated(admin_user):
    from tests.customers.test_import_visits import visit_row
    from tests.customers.test_import_visits import workbook as visits_workbook

    import_archive(data=visits_workbook(visit_row("RO201", valid_vin(9), "2026-03-01", sender="王五")),
                   kind="service-visits", by=admin_user)
    report = import_archive(data=workbook(["赵七", "13900009999", "", valid_vin(9), "", "2026-01-05", "", "", ""]),
                            kind="deliveries", by=admin_user)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)  # the owner is a new customer
    again = import_archive(data=workbook(["赵七", "13900009999", "", valid_vin(9), "", "2026-01-05", "", "", ""]),
                           kind="deliveries", by=admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert VehicleRole.objects.get(vehicle__vin=valid_vin(9), kind="owner").customer.name == "赵七"


@pytest.mark.django_db
def test_a_known_customer_becoming_the_owner_of_a_car_on_file_counts_as_updated(admin_user):
    from tests.customers.test_import_visits import visit_row
    from tests.customers.test_import_visits import workbook as visits_workbook

    import_archive(data=workbook(["赵七", "13900009999", "", valid_vin(1), "", "2026-01-05", "", "", ""]),
                   kind="deliveries", by=admin_user)
    import_archive(data=visits_workbook(visit_row("RO202", valid_vin(9), "2026-03-01", sender="王五")),
                   kind="service-visits", by=admin_user)
    report = import_archive(data=workbook(["赵七", "13900009999", "", valid_vin(9), "", "", "", "", ""]),
                            kind="deliveries", by=admin_user)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert VehicleRole.objects.get(vehicle__vin=valid_vin(9), kind="owner").customer.name == "赵七"


@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_early_writes_no_chunk_it_had_not_started(monkeypatch):
    """When the caller stops (a batch marked interrupted), chunks still queued are cancelled; only those
    already running finish (two writers on PostgreSQL, one elsewhere)."""
    import threading

    from customers.imports import writing
    from customers.imports.writing import WRITERS, write_chunks

    started, lock, stopped = [], threading.Lock(), threading.Event()

    class Pool(writing.ThreadPoolExecutor):
        def shutdown(self, wait=True, *, cancel_futures=False):
            # The queued chunks are cancelled first; only then may the running ones finish.
            super().shutdown(wait=False, cancel_futures=cancel_futures)
            stopped.set()
            super().shutdown(wait=wait)

    def write(chunk):
        with lock:
            started.append(chunk)
        if chunk is not chunks[0]:  # the first is done at once; the others are still running when the caller stops
            assert stopped.wait(timeout=30), "the caller never stopped"
        return {"created": 1, "updated": 0, "unchanged": 0}

    monkeypatch.setattr(writing, "ThreadPoolExecutor", Pool)

    class Row:
        def __init__(self, number):
            self.row = number

    chunks = [[(n, [Row(n)])] for n in range(20)]
    results = write_chunks(write, chunks, parallel=True)
    next(results)
    results.close()
    assert len(started) <= WRITERS + 1 < len(chunks)


# --- header cells as DMS and manufacturer exports write them -------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("vin_column", ["VIN/车架号", "车架号/VIN"])
def test_a_dms_export_with_combined_column_names_is_read(admin_user, vin_column):
    data = factories.workbook(
        ["客户姓名（车主）", "手机/电话", vin_column, "车牌号(车牌)", "开票金额(元)"],
        ["张三", "13812345678", valid_vin(1), "皖C12345", "239,800"],
        ["李四", "13912345678", valid_vin(2), "", ""])
    report = import_archive(data=data, kind="deliveries", by=admin_user)
    assert (report.rows, report.created, report.invalid, report.unused_columns) == (2, 2, 0, [])
    vehicle = Vehicle.objects.get(vin=valid_vin(1))
    assert (vehicle.plate, vehicle.invoice_amount) == ("皖C12345", 239800)
    assert Customer.objects.get(name="李四").mobile == "13912345678"


@pytest.mark.django_db
def test_a_vin_column_that_is_not_recognised_is_said_first_naming_the_files_columns(admin_user):
    from customers.imports.reading import ImportFileError

    rows = [["张三", "13812345678", valid_vin(1), "皖C12345"], ["李四", "13912345678", valid_vin(2), "皖C22222"]]
    data = factories.workbook(["姓名", "手机", "车辆编码", "车牌号"], *rows)
    with pytest.raises(ImportFileError, match="^没有识别出车架号列；文件的列：姓名、手机、车辆编码、车牌号。"):
        import_archive(data=data, kind="deliveries", by=admin_user)  # every row would fail on its VIN

    import_archive(data=workbook(ROWS[0]), kind="deliveries", by=admin_user)  # 皖C12345 is on file now
    report = import_archive(data=data, kind="deliveries", by=admin_user, dry_run=True)
    assert (report.unchanged, report.invalid) == (1, 1)
    assert report.column_problems[0] == "没有识别出车架号列；文件的列：姓名、手机、车辆编码、车牌号。"
    assert [row["row"] for row in report.invalid_rows] == [4]  # 李四, in the download


@pytest.mark.django_db
def test_a_column_naming_two_fields_is_named_in_the_refusal(admin_user):
    from customers.imports.reading import ImportFileError

    data = factories.workbook(["客户姓名", "车牌/车架号", "手机号码"], ["张三", valid_vin(1), "13812345678"])
    with pytest.raises(ImportFileError, match="列“车牌/车架号”同时指明了车牌号、车架号") as refused:
        import_archive(data=data, kind="deliveries", by=admin_user)
    assert "文件缺少这些列：车架号/车牌号" in str(refused.value) and "文件的列：客户姓名、车牌/车架号、手机号码" in str(refused.value)
