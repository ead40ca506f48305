"""The daily job membership.earn: every paid repair order of a member not earned yet earns, in bulk,
once — whatever reruns, whatever the DMS export re-imported (the same orders, or corrected amounts:
a corrected order keeps the points it earned on the amount it had; the supervisor corrects the
difference if the store wants)."""

from datetime import date
from decimal import Decimal

import pytest

from customers.imports.services import import_archive
from customers.membership.daily_jobs import earn
from customers.membership.models import Member, PointsEntry
from customers.membership.selectors import earnings_corrected, member_statement
from customers.membership.services import member_enrol, points_earn
from customers.models import ServiceVisit, TimelineEntry
from dealer_crm.jobs.registry import registered_jobs
from tests.customers import factories
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin

from .conftest import at, customer_with_car, paid_visit

pytestmark = pytest.mark.django_db
JOINED = date(2026, 1, 5)
DAY = date(2026, 6, 10)
HEADER = ["工单号", "车架号", "车牌号", "进厂日期", "出厂日期", "进厂里程", "维修类型", "服务顾问", "送修人", "送修人电话",
          "工时费", "材料费", "合计", "车型"]


def test_the_daily_jobs_earn_before_they_expire():
    names = [job.name for job in registered_jobs()]
    assert names.index("membership.earn") < names.index("membership.expire")


def test_the_job_earns_every_pending_paid_visit_of_the_members_and_a_second_run_nothing():
    members = []
    for n in range(5):
        customer, vehicle = customer_with_car(f"会员{n}")
        members.append(member_enrol(customer=customer, by=None, on=JOINED))
        paid_visit(vehicle, on=date(2026, 3, 1), total="1500")
        paid_visit(vehicle, on=date(2026, 6, 1), total=f"{100 * (n + 1)}.90", kind="repair")
        paid_visit(vehicle, on=date(2025, 12, 30), total="9999")  # before joining
        paid_visit(vehicle, on=date(2026, 6, 11), total="700")  # after the day being run
    stranger, car = customer_with_car("非会员")
    paid_visit(car, on=date(2026, 3, 1), total="5000")

    assert earn(on=DAY) == {"created": 10, "points": 5 * 1500 + 100 + 200 + 300 + 400 + 500}
    assert earn(on=DAY) == {"created": 0, "points": 0}
    for n, member in enumerate(members):
        member.refresh_from_db()
        assert (member.usable, member.cumulative, member.last_paid_visit_on) == (
            1500 + 100 * (n + 1), 1500 + 100 * (n + 1), date(2026, 6, 1))
        statement = member_statement(member=member)
        assert [e.usable_after for e in statement.entries] == [1500 + 100 * (n + 1), 1500]
        assert statement.adds_up
    assert not Member.objects.filter(customer=stranger).exists()
    # The next day, the order of the 11th earns; no earning is on the timeline (the visit is).
    assert earn(on=date(2026, 6, 11))["created"] == 5
    assert set(TimelineEntry.objects.filter(kind="points").values_list("params__variant", flat=True)) == {"enrolled"}


def test_the_job_lifts_members_to_the_tier_their_cumulative_points_reach():
    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=None, on=JOINED)
    paid_visit(vehicle, on=date(2026, 2, 1), total="8000")
    paid_visit(vehicle, on=date(2026, 4, 1), total="25000", kind="bodywork")
    points_earn(on=DAY, now=at(DAY, 5, 30))
    member.refresh_from_db()
    assert (member.cumulative, member.tier.name) == (33_000, "金卡")
    tiers = TimelineEntry.objects.filter(customer=customer, kind="points", params__variant="tier")
    assert [entry.text.title for entry in tiers] == ["升级为金卡"]  # one entry for the highest reached


def test_a_member_who_left_earns_nothing():
    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=None, on=JOINED)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    paid_visit(vehicle, on=date(2026, 2, 1), total="8000")
    assert points_earn(on=DAY)["created"] == 0


def test_the_database_refuses_a_second_earning_of_the_same_repair_order():
    from django.db import IntegrityError, transaction

    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=None, on=JOINED)
    visit = paid_visit(vehicle, on=date(2026, 2, 1), total="800")
    points_earn(on=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(member=member, kind="earn", points=800, usable_after=1600, at=at(DAY), visit=visit)


# --- through the import of the DMS export --------------------------------------------------------
def workbook(*rows) -> bytes:
    return factories.workbook(HEADER, *rows, title="怀远系统 维修工单导出")


@pytest.fixture
def member_and_car(db):
    customer = CustomerFactory(name="张三", mobile="13812345678")
    make_vehicle(customer, serial=1, plate="皖C12345")
    return member_enrol(customer=customer, by=None, on=JOINED)


ROWS = [
    ["RO001", valid_vin(1), "", "2026-03-05", "2026-03-05", "1200", "定期保养", "马超", "", "", "300", "900", "1200", ""],
    ["RO002", valid_vin(1), "", "2026-05-20", "2026-05-21", "9800", "事故", "胡军", "", "", "1000", "3000.80", "4000.80", ""],
    ["RO003", valid_vin(1), "", "2026-05-25", "2026-05-25", "9900", "内部保养", "胡军", "", "", "100", "100", "200", ""],
    ["RO004", valid_vin(1), "", "2026-06-01", "", "9950", "维修", "胡军", "", "", "100", "100", "200", ""],  # open
]


def test_imported_repair_orders_earn_once_and_a_reimport_of_the_same_export_earns_nothing(member_and_car,
                                                                                         admin_user):
    import_archive(data=workbook(*ROWS), kind="service-visits", by=admin_user)
    assert earn(on=DAY) == {"created": 2, "points": 1200 + 2000}
    again = import_archive(data=workbook(*ROWS), kind="service-visits", by=admin_user)
    assert (again.created, again.updated) == (0, 0)
    assert earn(on=DAY) == {"created": 0, "points": 0}
    member_and_car.refresh_from_db()
    assert (member_and_car.usable, member_and_car.cumulative) == (3200, 3200)
    assert sorted(PointsEntry.objects.values_list("visit__ro_number", "points")) == [("RO001", 1200), ("RO002", 2000)]


def test_a_reimport_with_new_amounts_keeps_the_points_earned_and_the_amount_they_were_earned_on(member_and_car,
                                                                                                admin_user):
    import_archive(data=workbook(*ROWS), kind="service-visits", by=admin_user)
    earn(on=DAY)
    corrected = [list(row) for row in ROWS]
    corrected[0][10:13] = ["600", "1800", "2400"]  # RO001 billed twice as much
    corrected[3][4] = "2026-06-02"  # RO004 finished
    report = import_archive(data=workbook(*corrected), kind="service-visits", by=admin_user)
    assert report.updated == 2
    assert ServiceVisit.objects.get(ro_number="RO001").total_amount == Decimal("2400")
    assert earn(on=DAY) == {"created": 1, "points": 200}  # only RO004, now finished
    first = PointsEntry.objects.get(visit__ro_number="RO001")
    assert (first.points, first.amount) == (1200, Decimal("1200.00"))
    member_and_car.refresh_from_db()
    assert member_and_car.usable == 3400
    assert member_statement(member=member_and_car).adds_up
    # The supervisor sees which earnings were made on an amount the DMS has since corrected.
    changed = list(earnings_corrected(member=member_and_car))
    assert [(line.visit.ro_number, line.amount, line.visit.total_amount) for line in changed] == [
        ("RO001", Decimal("1200.00"), Decimal("2400.00"))]
