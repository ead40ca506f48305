"""Rules a mutation audit changed without any test noticing (issue 10): each test here fails on
that change. The oracles are published values and independent computations, not the code under test."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from customers import services
from customers.imports.services import import_archive
from customers.models import ServiceVisit, VehicleRole
from customers.normalize import normalize_vin
from dealer_crm import exports
from tests.customers import factories
from tests.customers.factories import CustomerFactory, iso3779_check_digit, make_vehicle, valid_vin

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- a merge moves the duplicate's whole ownership history -----------------------------------------
@pytest.mark.django_db
def test_a_merge_moves_the_roles_of_cars_the_duplicate_sold_too(agent, supervisor):
    survivor = services.customer_create(by=agent, name="张三", mobile="13812345678")
    duplicate = services.customer_create(by=agent, name="张三", mobile="13812345679")
    buyer = services.customer_create(by=agent, name="赵六", mobile="13600000000")
    sold = make_vehicle(duplicate, serial=21, plate="皖C21000", delivered=date(2024, 5, 1))
    services.vehicle_change_owner(vehicle=sold, new_owner=buyer, on=date(2025, 8, 1), by=agent)

    merge = services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)

    roles = [(r.customer.name, r.kind, r.started_on, r.ended_on)
             for r in VehicleRole.objects.filter(vehicle=sold).order_by("started_on")]
    assert roles == [("张三", "owner", date(2024, 5, 1), date(2025, 8, 1)),
                     ("赵六", "owner", date(2025, 8, 1), None)]
    assert VehicleRole.objects.get(vehicle=sold, ended_on__isnull=False).customer == survivor
    assert not VehicleRole.objects.filter(customer=duplicate).exists()
    assert merge.moved["vehicle_roles"] == 1


# --- the customer list shows phones masked, in the HTML ---------------------------------------------
@pytest.mark.django_db
def test_the_customer_list_page_shows_mobiles_masked(login, agent):
    services.customer_create(by=agent, name="张三", mobile="13812345678")
    body = login(agent).get("/customers/").content.decode()
    assert "张三" in body
    assert "138****5678" in body and "13812345678" not in body


# --- VIN check digits: published VINs and an independent ISO 3779 oracle ----------------------------
# Published examples with a right check digit (the first two are the usual textbook VINs).
# Seventeen 1s is the classic case whose check digit is itself (the sum is 89, 89 mod 11 = 1).
PUBLISHED_VINS = ["1M8GDM9AXKP042788", "5GZCZ43D13S812715", "11111111111111111"]


@pytest.mark.parametrize("vin", PUBLISHED_VINS)
def test_published_vins_are_accepted(vin):
    assert normalize_vin(vin) == vin


@pytest.mark.parametrize("vin", PUBLISHED_VINS)
def test_a_published_vin_with_another_check_digit_is_refused(vin):
    for digit in "0123456789X":
        if digit != vin[8]:
            with pytest.raises(ValueError, match="校验位|check digit"):
                normalize_vin(vin[:8] + digit + vin[9:])


@pytest.mark.parametrize("letter", "ABCDEFGHJKLMNPRSTUVWXYZ")
def test_every_letter_counts_with_its_iso_3779_value(letter):
    # The letter in position 4 (weight 5) adds 5 × its value to the sum; 5 and 11 are coprime, so a
    # wrong value for any letter gives another check digit. The oracle is the tests' own table.
    body = f"LVS{letter}FB00" + "0" + "TA123456"
    vin = body[:8] + iso3779_check_digit(body) + body[9:]
    assert normalize_vin(vin) == vin


def test_the_test_vins_are_right_by_the_independent_oracle():
    assert iso3779_check_digit("5GZCZ43D03S812715") == "1"
    assert iso3779_check_digit("1M8GDM9A0KP042788") == "X"
    assert normalize_vin(valid_vin(1)) == valid_vin(1)


# --- exports: the full-width formula starts ------------------------------------------------------
@pytest.mark.parametrize("value", ["＋1+1", "－1+2", "＠SUM(A1)", "＝1+1"])
def test_a_cell_starting_with_a_full_width_formula_sign_is_escaped_in_csv(value):
    assert exports.escape_text(value) == "'" + value


@pytest.mark.parametrize("value", ["＋1+1", "－1+2", "＠SUM(A1)"])
def test_a_cell_starting_with_a_full_width_formula_sign_is_a_text_cell_in_xlsx(value):
    import io

    buffer = io.BytesIO()
    exports.write_xlsx(buffer, rows=[value], columns=[("备注", lambda row: row)], title="t")
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)


# --- the idle session: activity keeps it alive, idleness ends it --------------------------------------
@pytest.mark.django_db
def test_working_keeps_the_session_alive_and_idleness_ends_it(login, agent, settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        client = login(agent)
        assert client.get("/").status_code == 200
        for _step in range(3):  # a request every 20 minutes: an hour after login, still signed in
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=29))  # idle, but not long enough
        assert client.get("/accounts/keepalive/").status_code == 204
        clock.shift(timedelta(minutes=31))  # idle for longer than the limit
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_request_within_the_minute_does_not_move_the_deadline_but_a_later_one_does(login, agent):
    from django.contrib.sessions.models import Session

    start = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        client = login(agent)
        client.get("/accounts/keepalive/")
        assert Session.objects.get().expire_date == start + timedelta(minutes=30)
        clock.shift(timedelta(seconds=59))
        client.get("/accounts/keepalive/")
        assert Session.objects.get().expire_date == start + timedelta(minutes=30)  # not written again
        clock.shift(timedelta(seconds=1))
        client.get("/accounts/keepalive/")
        assert Session.objects.get().expire_date == start + timedelta(minutes=31)


# --- a corrected repair order: an empty cell keeps what is stored ------------------------------------
VISIT_HEADER = ["工单号", "车架号", "车牌号", "进厂日期", "出厂日期", "进厂里程", "维修类型", "服务顾问", "送修人", "送修人电话",
                "工时费", "材料费", "合计", "车型"]


@pytest.mark.django_db
def test_a_corrected_repair_order_with_empty_advisor_and_sender_keeps_the_stored_ones(admin_user):
    make_vehicle(CustomerFactory(name="张三", mobile="13812345678"), serial=1, plate="皖C12345")
    row = ["RO001", valid_vin(1), "", "2026-03-05", "", "1200", "维修", "马超", "张三", "", "300", "0", "300", ""]
    import_archive(data=factories.workbook(VISIT_HEADER, row), kind="service-visits", by=admin_user)
    corrected = list(row)
    corrected[5], corrected[7], corrected[8] = "1250", "", ""  # the new export has no advisor or sender
    report = import_archive(data=factories.workbook(VISIT_HEADER, corrected), kind="service-visits", by=admin_user)
    assert (report.created, report.updated, report.invalid) == (0, 1, 0)
    visit = ServiceVisit.objects.get()
    assert (visit.mileage, visit.advisor, visit.sender_name) == (1250, "马超", "张三")
    again = import_archive(data=factories.workbook(VISIT_HEADER, corrected), kind="service-visits", by=admin_user)
    assert (again.updated, again.unchanged) == (0, 1)  # the empty cells are no change either
