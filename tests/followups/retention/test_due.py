"""The due-date computation on its own (followups/retention/due.py): every date here is counted by
hand from the calendar, not by the code under test."""

from datetime import date
from decimal import Decimal

from followups.retention.due import Interval, Visit, add_months, due_compute, km_per_day

# The settings' fallbacks: first maintenance at 5,000 km or 3 months, then every 5,000 km or 6 months.
FALLBACK = Interval(first_km=5000, first_months=3, every_km=5000, every_months=6)
RETURN_DAYS = 30


def compute(delivered_on, visits, interval=FALLBACK):
    return due_compute(delivered_on=delivered_on, visits=visits, interval=interval, return_days=RETURN_DAYS)


def test_a_new_car_is_due_for_its_first_maintenance_three_calendar_months_after_delivery():
    due = compute(date(2026, 1, 15), [])
    # 15 January + 3 months = 15 April: 16 + 28 + 31 + 15 = 90 days.
    assert (due.cycle, due.due_on, due.due_by, due.window_end) == ("first", date(2026, 4, 15), "time", date(2026, 4, 15))
    assert due.first_done_on is None and due.km_per_day is None


def test_a_month_without_the_day_ends_on_its_last_day():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_a_car_that_drives_far_is_due_for_its_first_maintenance_by_mileage():
    # Delivered 1 March, a repair on 31 March (30 days) at 3,000 km: 100 km a day, 5,000 km on
    # 20 April (2,000 km more: 20 days), before 1 June (3 months). The deadline stays 1 June.
    due = compute(date(2026, 3, 1), [Visit(id=1, opened_on=date(2026, 3, 31), kind="repair", mileage=3000)])
    assert due.km_per_day == Decimal("100.0")
    assert (due.due_on, due.due_by, due.window_end) == (date(2026, 4, 20), "km", date(2026, 6, 1))
    assert due.cycle == "first"


def test_after_the_first_maintenance_the_next_is_due_six_months_later_at_a_normal_pace():
    # Delivered 2 January; first maintenance 2 April at 1,800 km (90 days: 20 km a day). Time: 2 October.
    # Mileage: 5,000 km more at 20 a day is 250 days, after 2 October.
    visits = [Visit(id=7, opened_on=date(2026, 4, 2), kind="first", mileage=1800, advisor="胡军")]
    due = compute(date(2026, 1, 2), visits)
    assert due.km_per_day == Decimal("20.0")
    assert (due.cycle, due.first_done_on, due.last_maintenance_on, due.last_maintenance_km) == (
        "after:7", date(2026, 4, 2), date(2026, 4, 2), 1800)
    assert (due.due_on, due.due_by) == (date(2026, 10, 2), "time")
    assert due.window_end == date(2026, 11, 1)  # 2 October + 30 days
    assert (due.last_visit_on, due.last_advisor) == (date(2026, 4, 2), "胡军")


def test_a_car_driving_100_km_a_day_is_due_by_5000_km_long_before_six_months():
    # Delivered 1 January 2026; first maintenance 11 February (41 days) at 4,100 km: 100 km a day.
    # Next at 9,100 km: 5,000 km at 100 a day = 50 days after the reading, 2 April (not 11 August).
    visits = [Visit(id=3, opened_on=date(2026, 2, 11), kind="first", mileage=4100)]
    due = compute(date(2026, 1, 1), visits)
    assert due.km_per_day == Decimal("100.0")
    assert (due.due_on, due.due_by, due.window_end) == (date(2026, 4, 2), "km", date(2026, 5, 2))


def test_a_later_reading_counts_from_itself():
    # A repair on 13 March at 7,100 km (71 days from delivery on 1 January: 100 km a day); the
    # last maintenance was at 4,100 km, so 9,100 km is 2,000 km on: 20 days, 2 April.
    visits = [Visit(id=3, opened_on=date(2026, 2, 11), kind="first", mileage=4100),
              Visit(id=4, opened_on=date(2026, 3, 13), kind="repair", mileage=7100)]
    due = compute(date(2026, 1, 1), visits)
    assert (due.cycle, due.last_mileage, due.last_mileage_on) == ("after:3", 7100, date(2026, 3, 13))
    assert (due.due_on, due.due_by) == (date(2026, 4, 2), "km")
    assert due.last_visit_on == date(2026, 3, 13)


def test_a_reading_already_past_the_next_maintenance_makes_it_due_back_then_but_not_before_the_last():
    # Maintenance on 1 March at 10,000 km; a repair on 31 March at 16,000 km, 89 days after the
    # delivery on 1 January: 179.8 km a day. 15,000 km was passed 1,000 km before the repair:
    # ceil(-1000 / 179.8) = -5 days → 26 March.
    visits = [Visit(id=1, opened_on=date(2026, 3, 1), kind="scheduled", mileage=10000),
              Visit(id=2, opened_on=date(2026, 3, 31), kind="repair", mileage=16000)]
    due = compute(date(2026, 1, 1), visits)
    assert due.km_per_day == Decimal("179.8")
    assert (due.due_on, due.due_by) == (date(2026, 3, 26), "km")


def test_the_catalogue_interval_of_the_model_decides():
    mitsubishi = Interval(first_km=5000, first_months=6, every_km=10000, every_months=12)
    due = compute(date(2026, 1, 15), [], interval=mitsubishi)
    assert due.due_on == date(2026, 7, 15)
    visits = [Visit(id=5, opened_on=date(2026, 7, 1), kind="first", mileage=3000)]
    assert compute(date(2026, 1, 15), visits, interval=mitsubishi).due_on == date(2027, 7, 1)


def test_internal_orders_and_repairs_do_not_start_a_cycle():
    visits = [Visit(id=1, opened_on=date(2026, 2, 1), kind="internal", mileage=900),
              Visit(id=2, opened_on=date(2026, 2, 20), kind="repair", mileage=None)]
    due = compute(date(2026, 1, 15), visits)
    assert due.cycle == "first" and due.first_done_on is None
    assert due.last_visit_on == date(2026, 2, 20)  # the internal order is not the customer's visit
    assert due.km_per_day is None  # the only reading was the internal order's


def test_the_cycle_follows_the_last_maintenance():
    visits = [Visit(id=1, opened_on=date(2026, 4, 10), kind="first", mileage=2000),
              Visit(id=9, opened_on=date(2026, 10, 8), kind="scheduled", mileage=6000),
              Visit(id=12, opened_on=date(2026, 11, 1), kind="bodywork", mileage=6500)]
    due = compute(date(2026, 1, 15), visits)
    assert (due.cycle, due.first_done_on, due.last_maintenance_on) == ("after:9", date(2026, 4, 10), date(2026, 10, 8))


def test_a_car_of_unknown_delivery_is_counted_from_its_last_visit():
    visits = [Visit(id=4, opened_on=date(2026, 5, 20), kind="repair", mileage=None)]
    due = compute(None, visits)
    assert (due.cycle, due.due_on, due.due_by) == ("after:4", date(2026, 11, 20), "time")


def test_a_car_with_nothing_known_has_no_due_date():
    due = compute(None, [])
    assert (due.cycle, due.due_on, due.window_end) == ("", None, None)


def test_km_a_day_needs_two_weeks_of_readings_and_a_counter_going_up():
    assert km_per_day(delivered_on=date(2026, 1, 1), visits=[Visit(1, date(2026, 1, 10), "repair", 900)]) is None
    assert km_per_day(delivered_on=date(2026, 1, 1), visits=[Visit(1, date(2026, 1, 15), "repair", 700)]) == Decimal("50.0")
    # Without a delivery date, from the first reading to the last: 3,000 km in 100 days.
    readings = [Visit(1, date(2026, 1, 1), "repair", 20000), Visit(2, date(2026, 4, 11), "repair", 23000)]
    assert km_per_day(delivered_on=None, visits=readings) == Decimal("30.0")
    going_back = [Visit(1, date(2026, 1, 1), "repair", 20000), Visit(2, date(2026, 4, 11), "repair", 19000)]
    assert km_per_day(delivered_on=None, visits=going_back) is None
