"""Expiry (the daily job membership.expire): a member without a paid visit for POINTS_EXPIRY_MONTHS
months (18) loses what is left of the points credited up to the cut-off. Redemptions and corrections
that take points consume the oldest points first, so what expires is what is left of the oldest; points
credited since the cut-off stay. A second run expires nothing, and the statement always re-adds to the
balance (a property test plays random histories against a first-in-first-out model of the points)."""

import copy
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.membership.daily_jobs import expire
from customers.membership.models import Member, PointsEntry, Reward
from customers.membership.selectors import member_statement, points_expiry
from customers.membership.services import (PointsError, member_enrol, points_adjust, points_earn, points_expire,
                                           points_redeem)
from customers.models import TimelineEntry

from .conftest import at, customer_with_car, member_with_points, paid_visit

pytestmark = pytest.mark.django_db
VISIT = date(2024, 3, 10)  # the member's last paid visit
DUE = VISIT + relativedelta(months=18)  # 2025-09-10: 18 months without a paid visit


def test_points_expire_on_the_day_18_months_without_a_paid_visit_have_passed_and_not_before():
    member = member_with_points(4_321, joined=VISIT)
    assert points_expire(on=DUE - timedelta(days=1)) == {"created": 0, "points": 0}
    assert expire(on=DUE) == {"created": 1, "points": 4_321}
    member.refresh_from_db()
    assert (member.usable, member.cumulative, member.tier.name) == (0, 4_321, "普卡")  # the tier stays
    line = PointsEntry.objects.get(member=member, kind="expire")
    assert (line.points, line.usable_after) == (-4_321, 0)
    entry = TimelineEntry.objects.get(customer=member.customer, kind="points", params__variant="expired")
    assert entry.text.title == "4,321积分已过期"


def test_a_second_run_the_same_day_and_the_next_day_expire_nothing():
    member_with_points(1_000, joined=VISIT)
    assert expire(on=DUE)["created"] == 1
    assert expire(on=DUE) == {"created": 0, "points": 0}
    assert expire(on=DUE + timedelta(days=1)) == {"created": 0, "points": 0}


def test_a_paid_visit_within_18_months_keeps_every_point_even_years_old_ones():
    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=None, on=date(2022, 1, 1))
    paid_visit(vehicle, on=date(2022, 2, 1), total="3000")
    points_earn(on=date(2022, 2, 1), now=at(date(2022, 2, 1), 20))
    paid_visit(vehicle, on=date(2025, 1, 1), total="100")
    points_earn(on=date(2025, 1, 1), now=at(date(2025, 1, 1), 20))
    assert points_expire(on=date(2026, 6, 30))["created"] == 0
    member.refresh_from_db()
    assert member.usable == 3_100


def test_a_warranty_or_internal_order_is_not_a_paid_visit_and_does_not_stop_expiry():
    member = member_with_points(2_000, joined=VISIT)
    vehicle = member.customer.vehicle_roles.get().vehicle
    paid_visit(vehicle, on=DUE - timedelta(days=30), total="800", kind="warranty")
    paid_visit(vehicle, on=DUE - timedelta(days=20), total="800", kind="internal")
    points_earn(on=DUE)
    assert points_expire(on=DUE)["points"] == 2_000


def test_redemptions_consume_the_oldest_points_so_what_expires_is_what_is_left_of_them(supervisor, interviewer):
    member = member_with_points(5_000, joined=VISIT)  # credited on VISIT
    hours = Reward.objects.create(kind=Reward.Kind.LABOUR, name="保养工时1小时", points=1_000)
    points_redeem(member=member, reward=hours, quantity=3, by=interviewer, now=at(VISIT + timedelta(days=100)))
    # A goodwill correction a month before the due day: younger than 18 months, it stays.
    points_adjust(member=member, points=700, by=supervisor, note="投诉补偿", now=at(DUE - timedelta(days=30)))
    points_redeem(member=member, reward=hours, by=interviewer, now=at(DUE - timedelta(days=10)))
    # 5,000 credited on the visit; 4,000 taken since, from the oldest: 1,000 of them left; 700 younger.
    assert points_expire(on=DUE) == {"created": 1, "points": 1_000}
    member.refresh_from_db()
    assert member.usable == 700
    assert points_expire(on=DUE) == {"created": 0, "points": 0}
    # The correction expires 18 months after it was credited, the visit still being the last one.
    assert points_expire(on=DUE - timedelta(days=30) + relativedelta(months=18)) == {"created": 1, "points": 700}
    assert member_statement(member=Member.objects.get(pk=member.pk)).adds_up


def test_a_correction_taking_points_also_consumes_the_oldest(supervisor):
    member = member_with_points(1_000, joined=VISIT)
    points_adjust(member=member, points=500, by=supervisor, note="活动赠送", now=at(DUE - timedelta(days=5)))
    points_adjust(member=member, points=-1_200, by=supervisor, note="多计积分", now=at(DUE - timedelta(days=1)))
    assert points_expire(on=DUE) == {"created": 0, "points": 0}  # the 1,000 old ones are gone already
    member.refresh_from_db()
    assert member.usable == 300


def test_a_correction_adding_points_counts_from_its_own_day_up_to_midnight(supervisor):
    member = member_with_points(1_000, joined=VISIT)  # the cut-off on DUE is VISIT itself
    points_adjust(member=member, points=200, by=supervisor, note="活动赠送", now=at(VISIT, 23, 59))
    points_adjust(member=member, points=300, by=supervisor, note="投诉补偿", now=at(VISIT + timedelta(days=1), 0, 1))
    # The 200 of the cut-off day are as old as the visit's 1,000; the 300 of the next day stay.
    assert points_expire(on=DUE) == {"created": 1, "points": 1_200}
    member.refresh_from_db()
    assert member.usable == 300


def test_a_single_old_point_expires_too_beside_newer_points_or_alone(supervisor):
    member_with_points(1, joined=VISIT, name="王一")
    other = member_with_points(1, joined=VISIT, name="李二")
    points_adjust(member=other, points=5, by=supervisor, note="活动赠送", now=at(VISIT + timedelta(days=1)))
    assert points_expire(on=DUE) == {"created": 2, "points": 2}
    other.refresh_from_db()
    assert other.usable == 5


@override_settings(POINTS_EXPIRY_MONTHS=6)
def test_the_months_without_a_paid_visit_are_the_settings():
    member_with_points(900, joined=VISIT)
    assert points_expire(on=VISIT + relativedelta(months=6))["points"] == 900


# --- the property: random histories against a first-in-first-out model --------------------------
STEP = st.one_of(
    st.tuples(st.just("visit"), st.integers(1, 6_000), st.integers(0, 200)),
    st.tuples(st.just("redeem"), st.integers(1, 5), st.integers(0, 200)),
    st.tuples(st.just("adjust"), st.integers(-3_000, 3_000).filter(bool), st.integers(0, 200)),
    st.tuples(st.just("expire"), st.just(0), st.integers(0, 400)),
)


class Lots:
    """The model: credits as lots (day, points left), taken from the oldest."""

    def __init__(self):
        self.lots: list[list] = []
        self.last_paid: date | None = None

    @property
    def usable(self) -> int:
        return sum(left for _day, left in self.lots)

    def credit(self, day: date, points: int) -> None:
        self.lots.append([day, points])

    def take(self, points: int) -> None:
        for lot in self.lots:
            used = min(lot[1], points)
            lot[1] -= used
            points -= used

    @staticmethod
    def cutoff(on: date, months: int = 18) -> date:
        """The latest day X with X + 18 months (relativedelta's: the month's last day when it has
        no such day) on or before `on`, by search."""
        day = on - relativedelta(months=months) - timedelta(days=4)
        while day + timedelta(days=1) + relativedelta(months=months) <= on:
            day += timedelta(days=1)
        return day

    def expire(self, on: date, months: int = 18) -> int:
        cutoff = self.cutoff(on, months)
        if self.last_paid is not None and self.last_paid > cutoff:
            return 0
        gone = 0
        for lot in self.lots:
            if lot[0] <= cutoff:
                gone += lot[1]
                lot[1] = 0
        return gone


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_any_history_expires_what_is_left_of_the_oldest_points_and_its_statement_adds_up(steps, supervisor):
    with transaction.atomic():
        customer, vehicle = customer_with_car("随机会员")
        day = date(2023, 1, 1)
        member = member_enrol(customer=customer, by=None, on=day)
        hours = Reward.objects.create(kind=Reward.Kind.LABOUR, name="工时", points=500)
        model = Lots()
        minute = 0
        for kind, value, gap in steps:
            day += timedelta(days=gap)
            minute += 1
            now = at(day, 8 + minute // 60, minute % 60)
            if kind == "visit":
                paid_visit(vehicle, on=day, total=str(value))
                assert points_earn(on=day, now=now)["points"] == value
                model.credit(day, value)
                model.last_paid = day
            elif kind == "redeem":
                if value * 500 <= model.usable:
                    points_redeem(member=member, reward=hours, quantity=value, by=None, now=now)
                    model.take(value * 500)
                else:
                    with pytest.raises(PointsError):
                        points_redeem(member=member, reward=hours, quantity=value, by=None, now=now)
            elif kind == "adjust":
                if value > 0:
                    points_adjust(member=member, points=value, by=supervisor, note="调整", now=now)
                    model.credit(day, value)
                elif -value <= model.usable:
                    points_adjust(member=member, points=value, by=supervisor, note="调整", now=now)
                    model.take(-value)
                else:
                    with pytest.raises(PointsError):
                        points_adjust(member=member, points=value, by=supervisor, note="调整", now=now)
            else:
                assert points_expire(on=day, now=now)["points"] == model.expire(day)
                assert points_expire(on=day, now=now)["points"] == 0
            member.refresh_from_db()
            assert member.usable == model.usable
        # The forecast the pages show is what the model expires on its day, and nothing the day before.
        forecast = points_expiry(member=member)
        if forecast.on is None:
            assert model.usable == 0
        else:
            before, then = copy.deepcopy(model), copy.deepcopy(model)
            assert before.expire(forecast.on - timedelta(days=1)) == 0
            assert then.expire(forecast.on) == forecast.points > 0
        statement = member_statement(member=member)
        assert statement.adds_up
        running = 0
        for line in reversed(list(statement.entries)):
            running += line.points
            assert line.usable_after == running >= 0
        transaction.set_rollback(True)


# --- the day, at the months' ends, and the forecast the pages show --------------------------------
def test_a_visit_on_the_31st_lets_the_points_expire_on_the_last_day_of_a_shorter_month():
    member_with_points(800, joined=date(2024, 8, 31))
    assert points_expire(on=date(2026, 2, 27))["created"] == 0
    assert points_expire(on=date(2026, 2, 28))["points"] == 800


def test_the_forecast_is_the_day_and_the_points_the_job_will_expire(supervisor, interviewer):
    member = member_with_points(5_000, joined=VISIT)
    assert (points_expiry(member=member).on, points_expiry(member=member).points) == (DUE, 5_000)
    hours = Reward.objects.create(kind=Reward.Kind.LABOUR, name="保养工时1小时", points=1_000)
    points_redeem(member=member, reward=hours, quantity=4, by=interviewer, now=at(VISIT + timedelta(days=100)))
    points_adjust(member=member, points=700, by=supervisor, note="投诉补偿", now=at(DUE - timedelta(days=30)))
    member.refresh_from_db()
    forecast = points_expiry(member=member)
    assert (forecast.on, forecast.points) == (DUE, 1_000)
    assert points_expire(on=forecast.on - timedelta(days=1))["points"] == 0
    assert points_expire(on=forecast.on)["points"] == forecast.points
    member.refresh_from_db()
    forecast = points_expiry(member=member)
    assert (forecast.on, forecast.points) == (DUE - timedelta(days=30) + relativedelta(months=18), 700)
    assert points_expire(on=forecast.on)["points"] == 700
    member.refresh_from_db()
    assert points_expiry(member=member).on is None


def test_the_models_cut_off_is_the_services():
    from customers.membership.services import expiry_cutoff

    day = date(2024, 1, 1)
    while day < date(2026, 1, 1):
        assert expiry_cutoff(on=day) == Lots.cutoff(day), day
        day += timedelta(days=1)


def test_a_repair_order_imported_late_earns_now_but_its_points_count_from_its_own_day():
    from customers.membership.selectors import points_expiry

    customer, vehicle = customer_with_car()
    member = member_enrol(customer=customer, by=None, on=date(2024, 1, 1))
    paid_visit(vehicle, on=VISIT, total="2500")  # finished on VISIT, in the DMS export a year later
    points_earn(on=date(2025, 3, 12), now=at(date(2025, 3, 12), 5, 30))
    member.refresh_from_db()
    assert (member.last_paid_visit_on, member.last_credit_on) == (VISIT, VISIT)
    assert (points_expiry(member=member).on, points_expiry(member=member).points) == (DUE, 2_500)
    assert points_expire(on=DUE) == {"created": 1, "points": 2_500}
