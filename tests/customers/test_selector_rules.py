"""The archive's reads in customers/selectors.py that the mutation run found untested: the merge
page's comparison, the change history, the list's filters and orders, and the fixed number of
queries each page's read runs however much the record holds."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers import selectors, services
from customers.models import ContactPreference, Customer, CustomerMerge, DuplicateCandidate, TimelineEntry, Vehicle, VehicleRole
from customers.selectors import CustomerFilters
from tests.customers.factories import CustomerFactory, make_vehicle

SHANGHAI = ZoneInfo("Asia/Shanghai")


def queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


# --- the merge page's comparison ---------------------------------------------------------------
@pytest.mark.django_db
def test_the_merge_comparison_shows_each_field_masked_joined_or_as_a_dash(agent):
    with time_machine.travel(datetime(2026, 3, 1, 1, 40, tzinfo=SHANGHAI), tick=False):  # 28 Feb in UTC
        full = services.customer_create(by=agent, name="张三", mobile="13812345678", phone2="05523012345",
                                        gender="M", birthday=date(1980, 5, 6), address="蚌埠市胜利路1号",
                                        occupation="教师")
        empty = services.customer_create(by=agent, name="张三", mobile="", gender="")
    make_vehicle(full, serial=1, plate="皖C11111", model_name="科雷傲", delivered=date(2026, 1, 1))
    make_vehicle(full, serial=2, plate="皖C22222", model_name="卡缤")
    for name in ("张小明", "张小红"):
        services.family_member_save(customer=full, by=agent, relation="child", name=name)
    Customer.objects.filter(pk=full.pk).update(last_visit_on=date(2026, 9, 9))
    with translation.override("en"):
        rows = selectors.merge_comparison(selectors.customer_detail(pk=full.pk), selectors.customer_detail(pk=empty.pk))
        shown = [(row["first"], row["second"], row["differs"]) for row in rows]
    assert shown == [
        ("138****5678", "—", False),
        ("0552****2345", "—", False),
        ("Male", "Unknown", True),
        ("1980-05-06", "—", False),
        ("蚌埠市胜利路1号", "—", False),
        ("教师", "—", False),
        ("皖C22222 卡缤、皖C11111 科雷傲", "—", False),
        ("张小明 (Child)、张小红 (Child)", "—", False),
        ("2026-09-09", "—", False),
        ("2026-03-01", "2026-03-01", False),
    ]


# --- the change history ------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_history_shows_old_and_new_values_as_people_read_them(agent):
    referrer = CustomerFactory(name="李四")
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678", gender="M")
    services.customer_update(customer=customer, by=agent, name="张叁", gender="F", phone2="05523012345",
                             referred_by=referrer)
    with translation.override("en"):
        newest, created = selectors.customer_history(customer=customer)
        changes = {str(change["label"]): (str(change["old"]), str(change["new"])) for change in newest["changes"]}
    assert (newest["created"], created["created"], created["changes"]) == (False, True, [])
    assert newest["record"].history_user == agent and created["record"].history_user == agent
    assert changes == {"name": ("张三", "张叁"), "gender": ("Male", "Female"), "other phone": ("", "0552****2345"),
                       "referred by": ("", f"#{referrer.pk}")}


@pytest.mark.django_db
def test_the_history_shows_the_creation_only_when_it_is_within_the_limit(agent):
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678")
    for n in range(3):
        services.customer_update(customer=customer, by=agent, address=f"地址{n}")
    assert [entry["created"] for entry in selectors.customer_history(customer=customer, limit=4)] == [
        False, False, False, True]
    assert [entry["created"] for entry in selectors.customer_history(customer=customer, limit=3)] == [
        False, False, False]
    assert [entry["created"] for entry in selectors.customer_history(customer=customer, limit=2)] == [False, False]


@pytest.mark.django_db
def test_the_history_shows_fifty_changes_by_default(agent):
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678")
    for n in range(50):
        services.customer_update(customer=customer, by=agent, address=f"地址{n}")
    history = selectors.customer_history(customer=customer)
    assert len(history) == 50 and not any(entry["created"] for entry in history)


@pytest.mark.django_db
def test_changes_made_at_the_same_moment_are_newest_first(agent):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        customer = services.customer_create(by=agent, name="张三", mobile="13812345678")
        services.customer_update(customer=customer, by=agent, address="第一")
        services.customer_update(customer=customer, by=agent, address="第二")
    history = selectors.customer_history(customer=customer)
    assert [entry["changes"][0]["new"] for entry in history[:2]] == ["第二", "第一"]


@pytest.mark.django_db
def test_the_history_reads_its_authors_in_one_query(agent, colleague):
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678")
    for n, by in enumerate([agent, colleague, agent]):
        services.customer_update(customer=customer, by=by, address=f"地址{n}")
    assert queries(lambda: [entry["record"].history_user.pk
                            for entry in selectors.customer_history(customer=customer)]) == 1


# --- the list ----------------------------------------------------------------------------------
def listed(**filters) -> list[str]:
    return [customer.name for customer in selectors.customer_list(filters=CustomerFilters(**filters))]


@pytest.mark.django_db
def test_the_vehicle_filters_apply_together_to_one_current_car():
    a, b, c = CustomerFactory(name="甲"), CustomerFactory(name="乙"), CustomerFactory(name="丙")
    make_vehicle(a, serial=1, model_name="科雷傲", delivered=date(2026, 3, 1))
    make_vehicle(b, serial=2, model_name="卡缤", delivered=date(2026, 3, 1))
    make_vehicle(c, serial=3, model_name="科雷傲", delivered=date(2024, 3, 1))
    window = {"delivered_from": date(2026, 1, 1), "delivered_until": date(2026, 12, 31)}
    assert listed(model_name="科雷傲", **window) == ["甲"]
    assert listed(model_name="科雷傲", delivered_until=date(2025, 1, 1)) == ["丙"]
    assert listed(delivered_from=date(2026, 1, 1), delivered_until=date(2026, 6, 1)) == ["乙", "甲"]
    assert listed(delivered_from=date(2025, 1, 1), model_name="卡缤") == ["乙"]


@pytest.mark.django_db
def test_a_sold_car_no_longer_puts_its_old_owner_in_the_model_filter(agent):
    old, new = CustomerFactory(name="甲"), CustomerFactory(name="乙")
    vehicle = make_vehicle(old, serial=1, model_name="科雷傲", delivered=date(2024, 3, 1))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=new, on=date(2026, 1, 1), by=agent)
    assert listed(model_name="科雷傲") == ["乙"]


@pytest.mark.django_db
def test_the_visit_review_and_refusal_filters():
    came = CustomerFactory(name="来过", last_visit_on=date(2026, 9, 1))
    CustomerFactory(name="早来", last_visit_on=date(2025, 1, 1))
    CustomerFactory(name="待查", needs_review=True)
    consent, service_no, refused = CustomerFactory(name="同意"), CustomerFactory(name="不要回访"), CustomerFactory(
        name="退订")
    for customer, purpose, allowed in [(consent, "marketing", True), (service_no, "service", False),
                                       (refused, "marketing", False)]:
        ContactPreference.objects.create(customer=customer, channel="sms", purpose=purpose, allowed=allowed,
                                         recorded_on=date(2026, 1, 1))
    assert listed(visited_since=date(2026, 1, 1)) == ["来过"]
    assert listed(needs_review=True) == ["待查"]
    assert listed(opted_out=True) == ["退订"]
    assert "同意" in listed(opted_out=False) and "不要回访" in listed(opted_out=False)
    page = selectors.mark_marketing_refusals(list(selectors.customer_list(filters=CustomerFilters())))
    assert {c.name for c in page if c.refuses_marketing} == {"退订"}
    assert came.pk in {c.pk for c in page}


@pytest.mark.django_db
def test_an_unknown_order_lists_the_newest_first():
    for name in ("甲", "乙", "丙"):
        CustomerFactory(name=name)
    assert listed(order="no-such-order") == ["丙", "乙", "甲"]


@pytest.mark.django_db
def test_a_customers_current_cars_are_listed_driven_first_then_newest(agent):
    customer = CustomerFactory(name="甲")
    driven = make_vehicle(CustomerFactory(name="乙"), serial=3)
    services.vehicle_set_driver(vehicle=driven, driver=customer, on=date(2026, 4, 1), by=agent)  # the oldest role
    older, newer = make_vehicle(customer, serial=1), make_vehicle(customer, serial=2)
    row = next(c for c in selectors.customer_list(filters=CustomerFilters()) if c.pk == customer.pk)
    assert [(role.kind, role.vehicle) for role in row.current_roles] == [
        ("driver", driven), ("owner", newer), ("owner", older)]


@pytest.mark.django_db
def test_a_list_of_exactly_the_limit_is_counted_exactly():
    for _ in range(3):
        CustomerFactory()
    count = selectors.customer_list_count(customers=Customer.objects.all(), filters=CustomerFilters(), exact_up_to=3)
    assert (count.value, count.kind) == (3, "exact")


@pytest.mark.parametrize(("rows", "shown"), [(1_003_214, 1_000_000), (12_345, 12_300), (987, 987), (45_678, 45_700)])
def test_an_estimate_keeps_three_significant_digits(rows, shown):
    assert selectors._round_estimate(rows) == shown


@pytest.mark.django_db
def test_the_model_filter_offers_no_empty_model_and_is_read_again_after_ten_minutes():
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        make_vehicle(CustomerFactory(), serial=1, model_name="科雷傲")
        unnamed = make_vehicle(CustomerFactory(), serial=2)
        Vehicle.objects.filter(pk=unnamed.pk).update(model_name="")  # e.g. a car first met in a repair order
        assert selectors.vehicle_models() == ["科雷傲"]
        make_vehicle(CustomerFactory(), serial=3, model_name="卡缤")
        clock.shift(timedelta(minutes=9))
        assert selectors.vehicle_models() == ["科雷傲"]
        clock.shift(timedelta(minutes=1))
        assert selectors.vehicle_models() == ["卡缤", "科雷傲"]


# --- the detail pages: their order, and a fixed number of queries ------------------------------
@pytest.mark.django_db
def test_a_customers_ended_cars_are_listed_by_end_and_current_ones_newest_first(agent):
    customer = CustomerFactory(name="甲")
    ends = [(date(2023, 1, 1), date(2024, 1, 1)), (date(2024, 6, 1), date(2025, 1, 1)),
            (date(2026, 3, 1), None), (date(2026, 5, 1), None)]
    for serial, (started, ended) in enumerate(ends, start=1):
        vehicle = make_vehicle(CustomerFactory(name="原车主"), serial=serial)
        VehicleRole.objects.create(vehicle=vehicle, customer=customer, kind="driver", started_on=started,
                                   ended_on=ended)
    roles = selectors.customer_detail(pk=customer.pk).all_roles
    shown = [(role.started_on, role.ended_on) for role in roles]
    # Where the current ones stand depends on the database (PostgreSQL sorts an empty end last,
    # SQLite first); within each group the order is the same.
    assert [role for role in shown if role[1]] == [ends[0], ends[1]]
    assert [role for role in shown if not role[1]] == [ends[3], ends[2]]


def a_full_record(agent, supervisor, *, many: int) -> Customer:
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678",
                                        referred_by=CustomerFactory(name="介绍人"))
    for n in range(many):
        make_vehicle(customer, serial=100 * many + n, by=agent)
        services.family_member_save(customer=customer, by=agent, relation="child", name=f"孩子{n}")
        services.customer_create(by=agent, name=f"朋友{n}", mobile=f"1390000{many}{n:03d}", referred_by=customer)
        services.contact_preference_set(customer=customer, channel=["sms", "phone", "letter"][n], purpose="marketing",
                                        allowed=False, reason="", by=agent)
        services.customer_merge(survivor=customer, duplicate=CustomerFactory(name="张三"), by=supervisor)
    return customer


def read_customer_page(pk: int) -> None:
    customer = selectors.customer_detail(pk=pk)
    str(customer.referred_by), customer.merged_into
    [(str(role.vehicle), role.vehicle.delivery_file.pk) for role in customer.all_roles]
    [str(member) for member in customer.family.all()]
    [str(preference) for preference in customer.contact_preferences.all()]
    [(referral.name, referral.referred_by_id) for referral in customer.referrals.all()]
    [(merge.merged.name, merge.merged_by.username) for merge in customer.merges.all()]


@pytest.mark.django_db
def test_the_customer_page_reads_a_fixed_number_of_queries(agent, supervisor):
    small, large = a_full_record(agent, supervisor, many=1), a_full_record(agent, supervisor, many=3)
    assert queries(lambda: read_customer_page(small.pk)) == queries(lambda: read_customer_page(large.pk)) == 6


@pytest.mark.django_db
def test_a_merged_records_page_reads_where_it_went_in_the_same_query(agent, supervisor):
    survivor, duplicate = a_full_record(agent, supervisor, many=1), CustomerFactory(name="张三")
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    assert queries(lambda: read_customer_page(duplicate.pk)) == 6
    assert queries(lambda: selectors.customer_detail(pk=duplicate.pk).merged_into.name) == 6


def read_vehicle_page(pk: int) -> None:
    vehicle = selectors.vehicle_detail(pk=pk)
    vehicle.delivery_file.pk
    [(role.customer.name, role.started_on) for role in vehicle.roles.all()]
    [(visit.customer.name, visit.opened_on) for visit in vehicle.visits.all()]


@pytest.mark.django_db
def test_the_vehicle_page_reads_a_fixed_number_of_queries_and_lists_newest_first(agent):
    owners = [CustomerFactory(name=f"车主{n}") for n in range(3)]
    vehicle = make_vehicle(owners[0], serial=1, delivered=date(2024, 1, 1))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=owners[1], on=date(2025, 1, 1), by=agent)
    services.vehicle_change_owner(vehicle=vehicle, new_owner=owners[2], on=date(2026, 1, 1), by=agent)
    services.vehicle_set_driver(vehicle=vehicle, driver=owners[0], on=date(2026, 2, 1), by=agent)
    for n, opened in enumerate([date(2026, 3, 1), date(2026, 5, 1), date(2026, 4, 1)]):
        services.service_visit_record(vehicle=vehicle, ro_number=f"RO{n}", opened_on=opened, kind="repair")
    assert queries(lambda: read_vehicle_page(vehicle.pk)) == 3
    page = selectors.vehicle_detail(pk=vehicle.pk)
    roles = [(role.customer.name, role.kind, role.ended_on) for role in page.roles.all()]
    assert [role for role in roles if role[2]] == [("车主0", "owner", date(2025, 1, 1)),
                                                   ("车主1", "owner", date(2026, 1, 1))]
    assert [role[:2] for role in roles if not role[2]] == [("车主0", "driver"), ("车主2", "owner")]
    assert [visit.ro_number for visit in page.visits.all()] == ["RO1", "RO2", "RO0"]


@pytest.mark.django_db
def test_the_vehicle_history_shows_its_own_and_its_roles_changes_newest_first(agent):
    vehicle = make_vehicle(CustomerFactory(name="甲"), serial=1, delivered=date(2024, 1, 1), by=agent)
    other = make_vehicle(CustomerFactory(name="乙"), serial=2, by=agent)
    services.vehicle_update(vehicle=vehicle, by=agent, colour="白色")
    services.vehicle_change_owner(vehicle=vehicle, new_owner=CustomerFactory(name="丙"), on=date(2026, 1, 1), by=agent)
    services.vehicle_update(vehicle=other, by=agent, colour="黑色")
    own, roles = selectors.vehicle_history(vehicle=vehicle)
    assert [record.colour for record in own] == ["白色", ""]
    assert {record.vehicle_id for record in roles} == {vehicle.pk} and len(roles) == 3
    assert queries(lambda: [r.history_user for r in (*selectors.vehicle_history(vehicle=vehicle)[0],
                                                      *selectors.vehicle_history(vehicle=vehicle)[1])]) == 4


@pytest.mark.django_db
def test_the_vehicle_history_shows_thirty_changes_by_default(agent):
    vehicle = make_vehicle(CustomerFactory(name="甲"), serial=1, by=agent)
    for n in range(30):
        services.vehicle_update(vehicle=vehicle, by=agent, colour=f"色{n}")
    own, _roles = selectors.vehicle_history(vehicle=vehicle)
    assert len(own) == 30 and own[-1].colour == "色0"


@pytest.mark.django_db
def test_the_current_owner_is_this_cars_owner_of_today(agent):
    a, b = CustomerFactory(name="甲"), CustomerFactory(name="乙")
    make_vehicle(CustomerFactory(name="别的车主"), serial=9)
    vehicle = make_vehicle(a, serial=1, delivered=date(2024, 1, 1))
    services.vehicle_set_driver(vehicle=vehicle, driver=b, on=date(2024, 2, 1), by=agent)
    assert selectors.current_owner(vehicle=vehicle).customer == a
    services.vehicle_change_owner(vehicle=vehicle, new_owner=b, on=date(2026, 1, 1), by=agent)
    assert queries(lambda: selectors.current_owner(vehicle=vehicle).customer.name) == 1
    assert selectors.current_owner(vehicle=vehicle).customer == b


@pytest.mark.django_db
def test_the_timeline_is_newest_first_and_reads_its_cars_and_authors_in_one_query(agent, colleague):
    customer = CustomerFactory()
    vehicle = make_vehicle(customer, serial=1)
    at = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    for title, when, by in [("早", at - timedelta(days=1), agent), ("同时一", at, colleague), ("同时二", at, agent),
                            ("更早，后记", at - timedelta(days=2), agent)]:  # e.g. an older visit imported later
        services.timeline_add(customer=customer, kind=TimelineEntry.Kind.NOTE, title=title, occurred_at=when,
                              vehicle=vehicle, by=by)
    entries = selectors.customer_timeline(customer=customer)
    assert [entry.title for entry in entries] == ["同时二", "同时一", "早", "更早，后记"]
    assert queries(lambda: [(e.vehicle.vin, e.created_by.username) for e in selectors.customer_timeline(
        customer=customer)]) == 1


@pytest.mark.django_db
def test_open_pairs_are_listed_latest_found_first_with_both_names_in_one_query(supervisor):
    people = [CustomerFactory(name=f"客户{n}") for n in range(6)]
    DuplicateCandidate.objects.create(first=people[0], second=people[1], reason="similar", found_on=date(2026, 11, 1))
    DuplicateCandidate.objects.create(first=people[2], second=people[3], reason="similar", found_on=date(2026, 11, 2))
    DuplicateCandidate.objects.create(first=people[4], second=people[5], reason="similar", found_on=date(2026, 11, 1))
    dismissed = DuplicateCandidate.objects.create(first=people[0], second=people[2], reason="similar",
                                                  found_on=date(2026, 11, 3))
    services.duplicate_dismiss(candidate=dismissed, by=supervisor)
    assert [(c.first.name, c.second.name) for c in selectors.open_duplicates()] == [
        ("客户2", "客户3"), ("客户0", "客户1"), ("客户4", "客户5")]
    assert queries(lambda: [(c.first.name, c.second.name) for c in selectors.open_duplicates()]) == 1
    assert CustomerMerge.objects.count() == 0
