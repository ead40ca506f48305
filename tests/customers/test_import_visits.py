"""Importing repair orders from the DMS: visits attach to vehicles, unknown cars get a provisional contact."""

from datetime import date

import pytest

from customers.imports.services import import_archive
from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from tests.customers import factories
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin

HEADER = ["工单号", "车架号", "车牌号", "进厂日期", "出厂日期", "进厂里程", "维修类型", "服务顾问", "送修人", "送修人电话",
          "工时费", "材料费", "合计", "车型"]


def workbook(*rows) -> bytes:
    return factories.workbook(HEADER, *rows, title="怀远系统 维修工单导出")


@pytest.fixture
def owner(db):
    customer = CustomerFactory(name="张三", mobile="13812345678")
    make_vehicle(customer, serial=1, plate="皖C12345")
    return customer


@pytest.mark.django_db
def test_visits_attach_to_the_vehicle_by_vin_or_plate(owner, admin_user):
    data = workbook(
        ["RO001", valid_vin(1), "", "2026年3月5日", "2026/3/5", "1,200 km", "首保", "马超", "张三", "", "300", "0", "300", ""],
        ["RO002", "", "皖C·12345", "2026.06.01", "", 9800, "定期保养", "胡军", "", "", "500", "1,200.50", "", ""],
    )
    report = import_archive(data=data, kind="service-visits", by=admin_user)
    assert (report.rows, report.created, report.invalid) == (2, 2, 0)
    first, second = ServiceVisit.objects.order_by("ro_number")
    assert (first.kind, first.mileage, first.customer, first.opened_on) == ("first", 1200, owner, date(2026, 3, 5))
    assert (second.kind, second.total_amount, second.vehicle.plate) == ("scheduled", 1700.50, "皖C12345")
    owner.refresh_from_db()
    assert owner.last_visit_on == date(2026, 6, 1)
    assert TimelineEntry.objects.filter(customer=owner, kind="visit").count() == 2
    assert "RO002" in TimelineEntry.objects.filter(customer=owner).first().text.title


@pytest.mark.django_db
def test_the_same_export_twice_changes_nothing_and_a_correction_updates(owner, admin_user):
    row = ["RO001", valid_vin(1), "", "2026-03-05", "", "1200", "维修", "马超", "", "", "300", "0", "300", ""]
    import_archive(data=workbook(row), kind="service-visits", by=admin_user)
    again = import_archive(data=workbook(row), kind="service-visits", by=admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert TimelineEntry.objects.filter(kind="visit").count() == 1
    corrected = list(row)
    corrected[5] = "1250"
    report = import_archive(data=workbook(corrected), kind="service-visits", by=admin_user)
    assert (report.created, report.updated) == (0, 1)
    assert ServiceVisit.objects.get().mileage == 1250


@pytest.mark.django_db
def test_an_unknown_vehicle_is_created_with_the_sender_as_a_contact_to_check(admin_user):
    data = workbook(["RO009", valid_vin(9, wmi="JMB"), "皖C88888", "2026-05-01", "", "", "钣喷", "", "王 五",
                     "+86 139 0000 1111", "", "", "", "欧蓝德"])
    report = import_archive(data=data, kind="service-visits", by=admin_user)
    assert report.created == 1 and report.invalid == 0
    vehicle = Vehicle.objects.get(vin=valid_vin(9, wmi="JMB"))
    assert (vehicle.brand, vehicle.model_name, vehicle.plate) == ("mitsubishi", "欧蓝德", "皖C88888")
    contact = Customer.objects.get(mobile="13900001111")
    assert contact.name == "王五" and contact.needs_review and contact.source == "service"
    assert VehicleRole.objects.get(vehicle=vehicle).kind == "driver"
    assert ServiceVisit.objects.get().customer == contact
    assert contact.history.get().history_user == admin_user


@pytest.mark.django_db
def test_a_sender_already_in_the_archive_is_not_created_again(admin_user):
    known = CustomerFactory(name="王五", mobile="13900001111")
    data = workbook(["RO010", valid_vin(10), "", "2026-05-01", "", "", "维修", "", "王五", "13900001111", "", "", "", ""])
    import_archive(data=data, kind="service-visits", by=admin_user)
    assert Customer.objects.count() == 1
    assert ServiceVisit.objects.get().customer == known


@pytest.mark.django_db
def test_bad_repair_orders_are_reported_with_row_column_and_reason(owner, admin_user):
    data = workbook(
        ["", valid_vin(1), "", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""],  # no RO number
        ["RO020", valid_vin(1), "", "昨天", "", "", "维修", "", "", "", "", "", "", ""],  # bad date
        ["RO021", valid_vin(1), "", "2026-03-05", "", "", "洗车", "", "", "", "", "", "", ""],  # unknown type
        ["RO022", valid_vin(1), "", "2026-03-05", "2026-03-01", "", "维修", "", "", "", "", "", "", ""],  # ends first
        ["RO023", "", "皖C99999", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""],  # unknown plate, no VIN
        ["RO024", valid_vin(1), "", "2026-03-05", "", "-5", "维修", "", "", "", "", "", "", ""],  # negative mileage
    )
    report = import_archive(data=data, kind="service-visits", by=admin_user)
    assert (report.rows, report.created, report.invalid) == (6, 0, 6)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "工单号"), (4, "进厂日期"), (5, "维修类型"), (6, "出厂日期"), (7, "车架号"), (8, "进厂里程")}
    assert not ServiceVisit.objects.exists()
    assert [row["row"] for row in report.invalid_rows] == [3, 4, 5, 6, 7, 8]
    assert report.invalid_rows[1]["cells"][3] == "昨天"


@pytest.mark.django_db
def test_contacts_to_check_are_listed_and_the_flag_is_cleared_on_the_edit_form(client, admin_user, supervisor):
    import_archive(data=workbook(["RO030", valid_vin(30), "", "2026-05-01", "", "", "维修", "", "赵六", "13700001111",
                                  "", "", "", ""]), kind="service-visits", by=admin_user)
    CustomerFactory(name="钱七")
    client.force_login(supervisor)
    page = client.get("/customers/", {"needs_review": "on"}).content.decode()
    assert "赵六" in page and "钱七" not in page and "待核实" in page
    contact = Customer.objects.get(name="赵六")
    form = client.get(f"/customers/{contact.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update({"mobile": "13700001111", "needs_review": ""})
    data.pop("needs_review")
    response = client.post(f"/customers/{contact.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    contact.refresh_from_db()
    assert not contact.needs_review


@pytest.mark.django_db
def test_a_second_visit_of_a_car_first_met_in_a_repair_order_goes_to_its_contact(admin_user):
    first = ["RO040", valid_vin(40), "", "2026-05-01", "", "", "维修", "", "孙七", "13600001111", "", "", "", ""]
    second = ["RO041", valid_vin(40), "", "2026-06-01", "", "", "定保", "", "", "", "", "", "", ""]
    import_archive(data=workbook(first), kind="service-visits", by=admin_user)
    import_archive(data=workbook(second), kind="service-visits", by=admin_user)
    contact = Customer.objects.get(mobile="13600001111")
    assert ServiceVisit.objects.get(ro_number="RO041").customer == contact
    contact.refresh_from_db()
    assert contact.last_visit_on == date(2026, 6, 1)


@pytest.mark.django_db
def test_empty_amounts_in_a_later_export_keep_the_stored_ones(owner, admin_user):
    row = ["RO050", valid_vin(1), "", "2026-03-05", "", "", "维修", "", "", "", "300", "200", "500", ""]
    import_archive(data=workbook(row), kind="service-visits", by=admin_user)
    emptier = list(row)
    emptier[10:13] = ["", "", ""]
    report = import_archive(data=workbook(emptier), kind="service-visits", by=admin_user)
    assert (report.updated, report.unchanged) == (0, 1)
    visit = ServiceVisit.objects.get()
    assert (visit.labour_amount, visit.parts_amount, visit.total_amount) == (300, 200, 500)


@pytest.mark.django_db
def test_an_ro_number_twice_in_one_file_is_reported(owner, admin_user):
    row = ["RO060", valid_vin(1), "", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""]
    report = import_archive(data=workbook(row, row), kind="service-visits", by=admin_user)
    assert (report.created, report.invalid) == (1, 1)
    assert report.errors[0]["row"] == 4 and "两次" in report.errors[0]["message"]


@pytest.mark.django_db
def test_an_ro_number_twice_is_reported_when_on_file_or_for_two_cars(owner, admin_user):
    """The first row counts wherever the RO already is: in the archive, or for another car in the file."""
    row = ["RO061", valid_vin(1), "", "2026-03-05", "", "1200", "维修", "", "", "", "", "", "", ""]
    import_archive(data=workbook(row), kind="service-visits", by=admin_user)
    later = list(row)
    later[5] = "9999"
    report = import_archive(data=workbook(row, later), kind="service-visits", by=admin_user)
    assert (report.unchanged, report.updated, report.invalid) == (1, 0, 1)
    assert report.errors[0]["row"] == 4 and "两次" in report.errors[0]["message"]
    assert ServiceVisit.objects.get(ro_number="RO061").mileage == 1200

    other_car = ["RO062", valid_vin(2), "", "2026-03-06", "", "", "维修", "", "", "", "", "", "", ""]
    same_ro_other_car = ["RO062", valid_vin(3), "", "2026-03-06", "", "", "维修", "", "", "", "", "", "", ""]
    report = import_archive(data=workbook(other_car, same_ro_other_car), kind="service-visits", by=admin_user)
    assert (report.created, report.invalid) == (1, 1)
    assert ServiceVisit.objects.get(ro_number="RO062").vehicle.vin == valid_vin(2)
    assert not Vehicle.objects.filter(vin=valid_vin(3)).exists()  # nothing of the skipped row was written
    assert [row["row"] for row in report.invalid_rows] == [4]  # in the download, to fix and import again


@pytest.mark.django_db
def test_a_row_that_cannot_be_placed_does_not_hide_a_later_row_with_its_ro_number(admin_user):
    no_car = ["RO091", "", "皖C99999", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""]
    with_vin = ["RO091", valid_vin(5), "", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""]
    report = import_archive(data=workbook(no_car, with_vin), kind="service-visits", by=admin_user)
    assert (report.created, report.invalid) == (1, 1)
    assert report.errors[0]["row"] == 3 and "车牌" in report.errors[0]["message"]
    assert ServiceVisit.objects.get(ro_number="RO091").vehicle.vin == valid_vin(5)


@pytest.mark.django_db
def test_a_plate_only_row_finds_the_car_another_row_of_the_file_names_by_vin(admin_user):
    with_vin = ["RO092", valid_vin(6), "皖C66666", "2026-03-05", "", "", "维修", "", "", "", "", "", "", ""]
    plate_only = ["RO093", "", "皖C66666", "2026-04-05", "", "", "维修", "", "", "", "", "", "", ""]
    report = import_archive(data=workbook(with_vin, plate_only), kind="service-visits", by=admin_user)
    assert (report.created, report.invalid) == (2, 0)
    assert ServiceVisit.objects.filter(vehicle__vin=valid_vin(6)).count() == 2


@pytest.mark.django_db
def test_impossible_numbers_are_invalid_cells_not_a_failed_import(owner, admin_user):
    rows = [["RO07" + str(i), valid_vin(1), "", "2026-03-05", "", mileage, "维修", "", "", "", amount, "", "", ""]
            for i, (mileage, amount) in enumerate([("Infinity", ""), ("1e99999999", ""), ("", "NaN"),
                                                   ("", "999999999999"), ("1200", "300")])]
    report = import_archive(data=workbook(*rows), kind="service-visits", by=admin_user)
    assert (report.rows, report.created, report.invalid, report.failed_rows) == (5, 1, 4, [])


def visit_row(ro, vin, opened, closed="", kind="维修", labour="", parts="", total="", sender="", phone=""):
    return [ro, vin, "", opened, closed, "", kind, "", sender, phone, labour, parts, total, ""]


@pytest.mark.django_db
def test_a_correction_that_would_finish_a_visit_before_it_arrived_is_one_invalid_row(owner, admin_user):
    import_archive(data=workbook(visit_row("RO101", valid_vin(1), "2026-03-01", "2026-03-02"),
                                 visit_row("RO102", valid_vin(1), "2026-03-03")), kind="service-visits", by=admin_user)
    report = import_archive(data=workbook(visit_row("RO101", valid_vin(1), "2026-03-05"),  # after the stored finish
                                          visit_row("RO102", valid_vin(1), "2026-03-03"),
                                          visit_row("RO103", valid_vin(1), "2026-03-09")),
                            kind="service-visits", by=admin_user)
    assert (report.created, report.unchanged, report.invalid, report.failed_rows) == (1, 1, 1, [])
    assert report.errors[0]["row"] == 3 and report.errors[0]["column"] == "出厂日期"
    assert ServiceVisit.objects.get(ro_number="RO101").opened_on == date(2026, 3, 1)
    assert ServiceVisit.objects.filter(ro_number="RO103").exists()


@pytest.mark.django_db
def test_a_corrected_visit_rewrites_its_timeline_entry_and_moves_the_last_visit(owner, admin_user):
    import_archive(data=workbook(visit_row("RO111", valid_vin(1), "2026-03-01", total="300")),
                   kind="service-visits", by=admin_user)
    report = import_archive(data=workbook(visit_row("RO111", valid_vin(1), "2026-06-01", kind="首保", total="999")),
                            kind="service-visits", by=admin_user)
    assert report.updated == 1
    entry = TimelineEntry.objects.get(kind="visit")
    assert entry.text.title.startswith("首保") and "999" in entry.text.body and entry.occurred_at.date() == date(2026, 6, 1)
    owner.refresh_from_db()
    assert owner.last_visit_on == date(2026, 6, 1)


@pytest.mark.django_db
def test_an_ro_number_on_file_for_another_car_is_refused_and_creates_nothing(owner, admin_user):
    import_archive(data=workbook(visit_row("RO121", valid_vin(1), "2026-03-01", sender="张三")),
                   kind="service-visits", by=admin_user)
    report = import_archive(data=workbook(visit_row("RO121", valid_vin(7), "2026-03-01", sender="李四")),
                            kind="service-visits", by=admin_user)
    assert (report.created, report.updated, report.invalid) == (0, 0, 1)
    assert "另一辆车" in report.errors[0]["message"]
    assert not Vehicle.objects.filter(vin=valid_vin(7)).exists() and not Customer.objects.filter(name="李四").exists()
    assert ServiceVisit.objects.get(ro_number="RO121").sender_name == "张三"


@pytest.mark.django_db
def test_a_new_labour_amount_keeps_the_total_in_step_with_the_stored_parts(owner, admin_user):
    import_archive(data=workbook(visit_row("RO131", valid_vin(1), "2026-03-01", labour="100", parts="200",
                                           total="300")), kind="service-visits", by=admin_user)
    import_archive(data=workbook(visit_row("RO131", valid_vin(1), "2026-03-01", labour="150")),
                   kind="service-visits", by=admin_user)
    visit = ServiceVisit.objects.get(ro_number="RO131")
    assert (visit.labour_amount, visit.parts_amount, visit.total_amount) == (150, 200, 350)


@pytest.mark.django_db
def test_an_ro_number_too_long_is_an_invalid_cell_not_cut(owner, admin_user):
    report = import_archive(data=workbook(visit_row("R" * 31, valid_vin(1), "2026-03-01")),
                            kind="service-visits", by=admin_user)
    assert (report.created, report.invalid) == (0, 1) and report.errors[0]["column"] == "工单号"


@pytest.mark.django_db
def test_a_sender_with_only_a_landline_keeps_it_and_is_found_by_it_with_the_name(admin_user):
    import_archive(data=workbook(visit_row("RO141", valid_vin(8), "2026-03-01", sender="赵六", phone="0552-3012345")),
                   kind="service-visits", by=admin_user)
    assert Customer.objects.get(name="赵六").phone2 == "05523012345"
    import_archive(data=workbook(visit_row("RO142", valid_vin(9), "2026-04-01", sender="赵六", phone="0552-3012345"),
                                 visit_row("RO143", valid_vin(10), "2026-04-02", sender="孙七", phone="0552-3012345")),
                   kind="service-visits", by=admin_user)
    zhao = Customer.objects.get(name="赵六")  # the same person with a second car: one contact
    assert set(VehicleRole.objects.filter(customer=zhao).values_list("vehicle__vin", flat=True)) == {
        valid_vin(8), valid_vin(9)}
    assert Customer.objects.get(name="孙七").phone2 == "05523012345"  # a shared landline: another person


@pytest.mark.django_db
def test_a_file_without_the_type_of_work_or_arrival_date_is_refused_with_the_missing_columns(admin_user):
    from customers.imports.reading import ImportFileError
    from tests.customers import factories as f

    data = f.workbook(["工单号", "车架号", "出厂日期"], ["RO151", valid_vin(1), "2026-03-01"])
    with pytest.raises(ImportFileError, match="进厂日期、维修类型"):
        import_archive(data=data, kind="service-visits", by=admin_user)
    assert not ServiceVisit.objects.exists()


@pytest.mark.django_db
def test_a_corrected_earlier_arrival_moves_the_last_visit_back(owner, admin_user):
    import_archive(data=workbook(visit_row("RO161", valid_vin(1), "2026-09-05")), kind="service-visits",
                   by=admin_user)
    import_archive(data=workbook(visit_row("RO161", valid_vin(1), "2026-03-05")), kind="service-visits",
                   by=admin_user)
    owner.refresh_from_db()
    assert owner.last_visit_on == date(2026, 3, 5)


@pytest.mark.django_db
def test_a_dms_export_with_combined_column_names_and_units_is_read(owner, admin_user):
    data = factories.workbook(["工单号", "VIN/车架号", "车牌号(车牌)", "进厂日期", "里程(km)", "维修类型", "工时费(元)",
                               "金额(元)"],
                              ["RO171", valid_vin(1), "皖C12345", "2026-03-05", "1,200", "首保", "300", "300"])
    report = import_archive(data=data, kind="service-visits", by=admin_user)
    assert (report.created, report.invalid, report.unused_columns) == (1, 0, ["金额(元)"])
    visit = ServiceVisit.objects.get(ro_number="RO171")
    assert (visit.vehicle.vin, visit.mileage, visit.labour_amount) == (valid_vin(1), 1200, 300)


@pytest.mark.django_db
def test_rows_refused_while_writing_are_in_the_download_too(owner, admin_user):
    import_archive(data=workbook(visit_row("RO181", valid_vin(1), "2026-03-01")), kind="service-visits",
                   by=admin_user)
    report = import_archive(data=workbook(visit_row("RO182", valid_vin(1), "2026-03-02"),
                                          visit_row("RO181", valid_vin(7), "2026-03-01"),  # on file for another car
                                          visit_row("RO183", valid_vin(1), "昨天")),
                            kind="service-visits", by=admin_user, dry_run=True)
    assert {error["row"] for error in report.errors} == {4, 5}
    assert [row["row"] for row in report.invalid_rows] == [4, 5]
    assert report.invalid_rows[0]["cells"][:2] == ["RO181", valid_vin(7)]
