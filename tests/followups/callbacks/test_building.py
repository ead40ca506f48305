"""The daily build of the callback queues: each rule's days, its window's edges, who is called."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from customers.models import Customer, VehicleRole
from customers.services import vehicle_change_owner
from followups.callbacks.models import Callback, CallbackRule, Problem
from followups.callbacks.services.building import callbacks_build, callbacks_expire
from tests.followups.factories import default_callback_rules, CustomerFactory, deliver, make_callback, raise_problem, repair_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 6, 1)


def build(on: date) -> dict[str, int]:
    """The build as beat runs it: at 05:30 of the day."""
    now = datetime.combine(on, time(5, 30), tzinfo=SHANGHAI)
    with time_machine.travel(now, tick=False):
        return callbacks_build(on=on, now=now)


def day(n: int, start: date = DELIVERED) -> date:
    return start + timedelta(days=n)


def local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def keys(kind: str) -> list[str]:
    return sorted(Callback.objects.filter(kind=kind).values_list("source_key", flat=True))


# --- thank-you and SSI, from the delivery --------------------------------------------------------
@override_settings(CALLBACK_SHIFT_START="09:00")
def test_the_thank_you_call_is_due_the_day_after_the_delivery_at_the_start_of_the_shift():
    vehicle = deliver(on=DELIVERED)

    assert build(day(0))["thank_you"] == 0
    assert build(day(1))["thank_you"] == 1

    callback = Callback.objects.get(kind="thank_you")
    assert callback.vehicle == vehicle
    assert callback.customer == vehicle.roles.get().customer
    assert callback.source_key == f"delivery:{vehicle.pk}:d1"
    assert callback.status == Callback.Status.OPEN
    assert local(callback.due_at) == datetime(2026, 6, 2, 9, 0, tzinfo=SHANGHAI)
    # open through day 7: it expires at the end of that day
    assert local(callback.expires_at) == datetime(2026, 6, 9, 0, 0, tzinfo=SHANGHAI)
    assert callback.created_on == day(1)
    assert callback.rule == CallbackRule.objects.get(kind="thank_you")


def test_the_ssi_wave_of_day_3_is_built_on_day_3_not_day_2():
    vehicle = deliver(on=DELIVERED)

    assert build(day(2))["ssi"] == 0
    assert keys("ssi") == []
    assert build(day(3))["ssi"] == 1
    assert keys("ssi") == [f"delivery:{vehicle.pk}:d3"]


def test_the_ssi_wave_of_day_7_is_its_own_callback_built_on_day_7():
    vehicle = deliver(on=DELIVERED)
    build(day(3))

    assert build(day(6))["ssi"] == 0
    assert build(day(7))["ssi"] == 1
    assert keys("ssi") == [f"delivery:{vehicle.pk}:d3", f"delivery:{vehicle.pk}:d7"]
    due = {callback.source_key[-2:]: local(callback.due_at).date() for callback in Callback.objects.filter(kind="ssi")}
    assert due == {"d3": day(3), "d7": day(7)}
    # both waves stay open until the end of day 14
    assert {local(c.expires_at) for c in Callback.objects.filter(kind="ssi")} == {
        datetime.combine(day(15), time(0), tzinfo=SHANGHAI)}


def test_a_build_that_did_not_run_for_days_catches_up_the_waves_still_open():
    vehicle = deliver(on=DELIVERED)

    counts = build(day(9))  # nothing ran since the delivery

    assert counts["thank_you"] == 0  # day 1's thank-you expired at the end of day 7
    assert counts["ssi"] == 2
    assert keys("ssi") == [f"delivery:{vehicle.pk}:d3", f"delivery:{vehicle.pk}:d7"]
    wave3 = Callback.objects.get(source_key__endswith=":d3")
    assert local(wave3.due_at).date() == day(3)  # due when it was due: overdue, first in the queue


def test_a_wave_whose_expiry_passed_is_not_built():
    deliver(on=DELIVERED)

    assert build(day(14))["ssi"] == 2
    Callback.objects.all().delete()
    assert build(day(15))["ssi"] == 0
    assert not Callback.objects.exists()


def test_a_wave_expiring_today_is_not_built_once_the_day_is_over():
    deliver(on=DELIVERED)
    late = datetime.combine(day(15), time(0, 1), tzinfo=SHANGHAI)  # a catch-up run just after midnight

    assert callbacks_build(on=day(14), now=late)["ssi"] == 0
    assert callbacks_build(on=day(14), now=late - timedelta(minutes=2))["ssi"] == 2


def test_the_delivery_calls_go_to_the_vehicle_s_current_owner():
    vehicle = deliver(on=DELIVERED)
    first_owner = vehicle.roles.get().customer
    buyer = CustomerFactory(name="王五")
    vehicle_change_owner(vehicle=vehicle, new_owner=buyer, on=day(1), by=None)

    build(day(3))

    assert list(Callback.objects.filter(kind="ssi").values_list("customer", flat=True)) == [buyer.pk]
    assert not Callback.objects.filter(customer=first_owner).exists()


def test_a_driver_is_not_called_for_the_delivery():
    vehicle = deliver(on=DELIVERED)
    VehicleRole.objects.create(vehicle=vehicle, customer=CustomerFactory(name="赵六"), kind=VehicleRole.Kind.DRIVER,
                               started_on=DELIVERED)

    build(day(3))

    assert Callback.objects.filter(kind="ssi").count() == 1
    assert Callback.objects.get(kind="ssi").customer == vehicle.roles.get(kind="owner").customer


# --- CSI, from the repair order -----------------------------------------------------------------
CLOSED = date(2026, 8, 10)


def test_the_csi_callback_is_due_on_day_3_after_the_repair_order_closes():
    vehicle = deliver(on=DELIVERED)
    visit = repair_order(vehicle, closed_on=CLOSED)

    assert build(day(2, CLOSED))["csi"] == 0
    assert build(day(3, CLOSED))["csi"] == 1

    callback = Callback.objects.get(kind="csi")
    assert callback.visit == visit
    assert callback.vehicle == vehicle
    assert callback.source_key == f"visit:{visit.pk}:d3"
    assert local(callback.expires_at) == datetime.combine(day(16, CLOSED), time(0), tzinfo=SHANGHAI)


def test_a_csi_callback_is_built_until_day_15_and_not_on_day_16():
    vehicle = deliver(on=DELIVERED)
    repair_order(vehicle, closed_on=CLOSED)

    assert build(day(15, CLOSED))["csi"] == 1
    Callback.objects.all().delete()
    assert build(day(16, CLOSED))["csi"] == 0


def test_a_csi_callback_still_open_on_day_16_closes_as_expired():
    vehicle = deliver(on=DELIVERED)
    repair_order(vehicle, closed_on=CLOSED)
    build(day(3, CLOSED))
    callback = Callback.objects.get(kind="csi")

    assert callbacks_expire(now=datetime.combine(day(15, CLOSED), time(23, 59), tzinfo=SHANGHAI)) == 0
    assert callbacks_expire(now=datetime.combine(day(16, CLOSED), time(0), tzinfo=SHANGHAI)) == 1

    callback.refresh_from_db()
    assert callback.status == Callback.Status.EXPIRED
    assert callback.close_reason == "expired"
    assert local(callback.closed_at) == datetime.combine(day(16, CLOSED), time(0), tzinfo=SHANGHAI)


def test_warranty_and_accident_repairs_are_called_back_and_internal_orders_are_not():
    vehicle = deliver(on=DELIVERED)
    warranty = repair_order(vehicle, closed_on=CLOSED, kind="warranty")
    accident = repair_order(vehicle, closed_on=CLOSED, kind="accident")
    repair_order(vehicle, closed_on=CLOSED, kind="internal")
    # even a rule someone wrote for internal orders builds nothing
    CallbackRule.objects.create(kind="csi", visit_kind="internal", due_days=[3], expires_after_days=15)

    assert build(day(3, CLOSED))["csi"] == 2
    assert set(Callback.objects.values_list("visit", flat=True)) == {warranty.pk, accident.pk}


def test_each_visit_type_follows_its_own_rule():
    vehicle = deliver(on=DELIVERED)
    repair = repair_order(vehicle, closed_on=CLOSED, kind="repair")
    repair_order(vehicle, closed_on=CLOSED, kind="bodywork")
    CallbackRule.objects.filter(kind="csi", visit_kind="bodywork").update(due_days=[5])

    build(day(3, CLOSED))
    assert list(Callback.objects.values_list("visit", flat=True)) == [repair.pk]
    assert build(day(5, CLOSED))["csi"] == 1


def test_the_csi_callback_goes_to_the_visit_s_customer():
    vehicle = deliver(on=DELIVERED)
    sender = CustomerFactory(name="送修人")
    repair_order(vehicle, closed_on=CLOSED, customer=sender)

    build(day(3, CLOSED))

    assert Callback.objects.get(kind="csi").customer == sender


def test_a_merged_customer_is_not_called():
    vehicle = deliver(on=DELIVERED)
    customer = vehicle.roles.get().customer
    repair_order(vehicle, closed_on=CLOSED)
    Customer.all_objects.filter(pk=customer.pk).update(merged_into=CustomerFactory(name="保留的"))

    assert build(day(3))["ssi"] == 0
    assert build(day(3, CLOSED))["csi"] == 0
    assert not Callback.objects.exists()


# --- rules ----------------------------------------------------------------------------------------
def test_a_second_build_of_the_same_day_creates_nothing():
    vehicle = deliver(on=DELIVERED)
    repair_order(vehicle, closed_on=day(4))
    first = build(day(7))

    assert first == {"thank_you": 1, "ssi": 2, "csi": 1, "sms_sent": 0, "skipped": 0}
    assert build(day(7)) == {"thank_you": 0, "ssi": 0, "csi": 0, "sms_sent": 0, "skipped": 0}
    assert Callback.objects.count() == 4


def test_a_callback_once_closed_is_not_built_again():
    deliver(on=DELIVERED)
    build(day(3))
    Callback.objects.filter(kind="ssi").update(status=Callback.Status.COMPLETED)

    assert build(day(4))["ssi"] == 0
    assert Callback.objects.filter(kind="ssi").count() == 1


def test_a_disabled_rule_builds_nothing():
    vehicle = deliver(on=DELIVERED)
    repair_order(vehicle, closed_on=day(4))
    CallbackRule.objects.filter(kind__in=["ssi", "csi"]).update(enabled=False)

    counts = build(day(7))

    assert (counts["ssi"], counts["csi"], counts["thank_you"]) == (0, 0, 1)
    assert set(Callback.objects.values_list("kind", flat=True)) == {"thank_you"}


def test_a_rule_change_applies_from_the_next_build():
    early = deliver(on=DELIVERED)
    build(day(3))
    rule = CallbackRule.objects.get(kind="ssi")
    rule.due_days, rule.expires_after_days, rule.priority = [2, 5], 10, 50
    rule.save()
    built = Callback.objects.get(kind="ssi")

    later = deliver(on=day(1))
    build(day(5))

    built.refresh_from_db()  # the callback already queued keeps what it was built with
    assert local(built.expires_at).date() == day(15)
    assert built.priority == 10
    new = Callback.objects.filter(kind="ssi").exclude(pk=built.pk)
    # the new waves, for every delivery still within the new window (day 2 of the first one is overdue)
    assert sorted(new.values_list("source_key", flat=True)) == sorted([
        f"delivery:{early.pk}:d2", f"delivery:{early.pk}:d5", f"delivery:{later.pk}:d2"])
    assert {c.priority for c in new} == {50}
    assert {local(c.expires_at).date() for c in new if c.vehicle == later} == {day(12)}


def test_a_customer_without_a_phone_is_recorded_as_skipped():
    vehicle = deliver(on=DELIVERED, mobile="", phone2="")
    landline = deliver(on=DELIVERED, mobile="", phone2="02887654321")

    counts = build(day(3))

    assert counts == {"thank_you": 2, "ssi": 2, "csi": 0, "sms_sent": 0, "skipped": 2}
    skipped = Callback.objects.get(kind="ssi", vehicle=vehicle)
    assert (skipped.status, skipped.close_reason) == (Callback.Status.SKIPPED, "no_phone")
    assert skipped.closed_at is not None
    assert Callback.objects.get(kind="ssi", vehicle=landline).status == Callback.Status.OPEN


def complain(vehicle, status: str = "investigating") -> None:
    """A complaint of the complaints app about the vehicle's owner (the build's complaint boost is
    the SQL condition that app registers)."""
    from followups.complaints.models import Complaint, Severity

    severity, _created = Severity.objects.get_or_create(code="general", defaults={
        "name": "一般", "rank": 1, "first_contact_hours": Decimal(24), "solve_hours": Decimal(72)})
    now = datetime(2026, 6, 2, 10, 0, tzinfo=SHANGHAI)
    Complaint.objects.create(customer=vehicle.roles.get().customer, channel="phone", category="attitude",
                             severity=severity, description="态度差", department="sales", status=status,
                             registered_at=now, contact_due_at=now, solve_due_at=now)


def test_important_customers_and_those_with_open_problems_or_complaints_come_first(supervisor):
    from followups.complaints.models import Complaint

    normal = deliver(on=DELIVERED, name="普通")
    important = deliver(on=DELIVERED, name="重要", importance=Customer.Importance.IMPORTANT)
    vip = deliver(on=DELIVERED, name="贵宾", importance=Customer.Importance.VIP)
    with_problem = deliver(on=DELIVERED, name="有问题")
    raise_problem(by=supervisor, customer=with_problem.roles.get().customer)
    complained = deliver(on=DELIVERED, name="投诉")
    complain(complained)
    satisfied = deliver(on=DELIVERED, name="已满意未结案")  # open until closed with its case analysis
    complain(satisfied, status=Complaint.Status.SATISFIED)
    settled = deliver(on=DELIVERED, name="已结案")
    complain(settled, status=Complaint.Status.CLOSED)
    escalated_before = deliver(on=DELIVERED, name="旧投诉")  # a problem flagged before complaints existed
    problem = raise_problem(by=supervisor, customer=escalated_before.roles.get().customer)
    Problem.objects.filter(pk=problem.pk).update(is_complaint=True)

    build(day(3))

    priority = {c.vehicle_id: c.priority for c in Callback.objects.filter(kind="ssi")}
    assert priority == {normal.pk: 10, important.pk: 15, vip.pk: 20, with_problem.pk: 20, complained.pk: 30,
                        satisfied.pk: 30, settled.pk: 10, escalated_before.pk: 20}


def test_without_the_complaints_condition_nobody_gets_the_complaint_boost(supervisor, monkeypatch):
    from followups.callbacks.services import building

    monkeypatch.setattr(building, "_complaint_sql", building._NO_COMPLAINT_SQL)
    vehicle = deliver(on=DELIVERED, name="投诉")
    complain(vehicle)
    with_problem = deliver(on=DELIVERED, name="有问题")
    raise_problem(by=supervisor, customer=with_problem.roles.get().customer)
    build(day(3))
    priority = {c.vehicle_id: c.priority for c in Callback.objects.filter(kind="ssi")}
    assert priority == {vehicle.pk: 10, with_problem.pk: 20}


def test_the_expiry_leaves_a_call_in_progress_and_what_has_not_expired():
    now = datetime(2026, 6, 20, 6, 0, tzinfo=SHANGHAI)
    past = now - timedelta(days=5)
    expired = make_callback(due_at=past, expires_at=now - timedelta(seconds=1))
    calling = make_callback(due_at=past, expires_at=now - timedelta(hours=1), status=Callback.Status.IN_PROGRESS)
    current = make_callback(due_at=past, expires_at=now + timedelta(seconds=1))
    done = make_callback(due_at=past, expires_at=now - timedelta(days=1), status=Callback.Status.COMPLETED)
    requested = make_callback(kind="requested", due_at=past, expires_at=None)

    assert callbacks_expire(now=now) == 1
    assert callbacks_expire(now=now) == 0

    status = dict(Callback.objects.values_list("pk", "status"))
    assert status == {expired.pk: "expired", calling.pk: "in_progress", current.pk: "open", done.pk: "completed",
                      requested.pk: "open"}
