"""The archive's rules in customers/services.py that the mutation run found untested: what an edit
keeps searchable, who a change of owner touches, which pairs the duplicate search proposes, what a
merge records, and what a phone reveal writes to the audit log."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from customers import services
from customers.models import Customer, CustomerMerge, DuplicateCandidate, TimelineEntry, VehicleRole
from customers.search import customer_search
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin

SHANGHAI = ZoneInfo("Asia/Shanghai")


def found(query: str) -> set[int]:
    return {hit.customer.pk for hit in customer_search(query=query)}


# --- an edit keeps the search keys of what it changes ------------------------------------------
@pytest.mark.django_db
def test_a_renamed_customer_is_found_by_the_new_names_pinyin_and_initials(agent):
    customer = services.customer_create(by=agent, name="张三", mobile="13812340000")
    services.customer_update(customer=customer, by=agent, name="李四")
    assert customer.pk in found("lisi")
    assert customer.pk in found("ls")
    assert customer.pk not in found("zhangsan")


@pytest.mark.django_db
def test_a_changed_second_number_is_found_by_its_ending(agent):
    customer = services.customer_create(by=agent, name="张三", mobile="13812340000", phone2="05523012345")
    services.customer_update(customer=customer, by=agent, phone2="13998761234")
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.phone2_rev == "43216789931"  # "13998761234" read backwards
    assert customer.pk in found("13998761234")


@pytest.mark.django_db
def test_a_corrected_vin_is_stored_with_its_reversed_key(agent):
    vehicle = make_vehicle(CustomerFactory(), serial=1)
    new_vin = valid_vin(777)
    services.vehicle_update(vehicle=vehicle, by=agent, vin=new_vin)
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.vin_rev) == (new_vin, new_vin[::-1])


@pytest.mark.django_db
def test_an_edit_moves_the_records_last_change_time(agent):
    with time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        customer = services.customer_create(by=agent, name="张三", mobile="13812340000")
    with time_machine.travel(datetime(2026, 6, 2, 10, 30, tzinfo=SHANGHAI), tick=False):
        services.customer_update(customer=customer, by=agent, address="蚌埠市")
    assert Customer.objects.get(pk=customer.pk).updated_at == datetime(2026, 6, 2, 10, 30, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_the_refusal_to_edit_a_merged_record_names_the_survivor(agent, supervisor):
    stale = services.customer_create(by=agent, name="钱九", mobile="13812340000")
    survivor = services.customer_create(by=agent, name="钱九", mobile="13812340009")
    services.customer_merge(survivor=survivor, duplicate=Customer.objects.get(pk=stale.pk), by=supervisor)
    with pytest.raises(services.CustomerMerged) as refused:
        services.customer_update(customer=stale, by=agent, address="蚌埠")
    assert refused.value.survivor == survivor


# --- the timeline ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_note_keeps_its_title_cut_to_200_characters_and_has_no_source(agent):
    customer = CustomerFactory()
    entry = services.timeline_add(customer=customer, kind=TimelineEntry.Kind.NOTE, title="很" * 250, body="客户来电",
                                  by=agent)
    entry.refresh_from_db()
    assert (entry.title, entry.body) == ("很" * 200, "客户来电")
    assert (entry.source_type, entry.source_id, entry.vehicle) == (None, "", None)


@pytest.mark.django_db
def test_an_owner_change_is_on_both_timelines_with_the_car_and_no_title(agent):
    old, new = CustomerFactory(name="王五"), CustomerFactory(name="赵六")
    vehicle = make_vehicle(old, serial=2, delivered=date(2025, 1, 10))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=new, on=date(2026, 6, 1), by=agent)
    entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.OWNERSHIP)
    assert {(entry.customer, entry.vehicle, entry.title) for entry in entries} == {(old, vehicle, ""),
                                                                                    (new, vehicle, "")}


# --- owners and drivers ------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_owner_change_touches_only_that_vehicle(agent):
    first_owner, second_owner, buyer = CustomerFactory(name="甲"), CustomerFactory(name="乙"), CustomerFactory(name="丙")
    first = make_vehicle(first_owner, serial=3, delivered=date(2025, 1, 1))
    second = make_vehicle(second_owner, serial=4, delivered=date(2025, 2, 1))
    services.vehicle_change_owner(vehicle=second, new_owner=buyer, on=date(2026, 6, 1), by=agent)
    assert VehicleRole.objects.get(vehicle=first).ended_on is None
    assert VehicleRole.objects.get(vehicle=second, customer=second_owner).ended_on == date(2026, 6, 1)


@pytest.mark.django_db
def test_a_second_owner_change_ends_the_current_owner_not_an_earlier_one(agent):
    a, b, c = CustomerFactory(name="甲"), CustomerFactory(name="乙"), CustomerFactory(name="丙")
    vehicle = make_vehicle(a, serial=5, delivered=date(2024, 1, 1))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=b, on=date(2025, 1, 1), by=agent)
    services.vehicle_change_owner(vehicle=vehicle, new_owner=c, on=date(2026, 1, 1), by=agent)
    ends = {role.customer: (role.started_on, role.ended_on) for role in VehicleRole.objects.filter(vehicle=vehicle)}
    assert ends == {a: (date(2024, 1, 1), date(2025, 1, 1)), b: (date(2025, 1, 1), date(2026, 1, 1)),
                    c: (date(2026, 1, 1), None)}


# --- phone reveals -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_reveal_logs_how_many_numbers_and_where_they_were_shown(agent):
    customer = CustomerFactory(mobile="13812345678", phone2="05523012345")
    services.customer_phones_reveal(customer=customer, by=agent)
    services.customer_phones_reveal(customer=customer, by=agent, via="edit_form")
    details = list(AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_REVEAL).order_by("id")
                   .values_list("detail", flat=True))
    assert details == [{"phones": 2}, {"phones": 2, "via": "edit_form"}]


@pytest.mark.django_db
def test_a_refused_reveal_says_why(general_manager):
    customer = CustomerFactory(mobile="13812345678")
    with translation.override("en"), pytest.raises(services.ArchiveError) as refused:
        services.customer_phones_reveal(customer=customer, by=general_manager)
    assert str(refused.value) == "Your role does not allow seeing full phone numbers."


# --- the duplicate search ----------------------------------------------------------------------
def pairs() -> set[tuple[str, str, str]]:
    return {(c.first.name, c.second.name, c.reason) for c in DuplicateCandidate.objects.select_related("first", "second")}


@pytest.mark.django_db
def test_each_shared_mobile_pairs_only_the_customers_who_share_it():
    CustomerFactory(name="甲", mobile="13811110000")
    CustomerFactory(name="乙", mobile="13811110000")
    CustomerFactory(name="丙", mobile="13922220000")
    CustomerFactory(name="丁", mobile="13922220000")
    CustomerFactory(name="戊", mobile="")
    CustomerFactory(name="己", mobile="")  # no mobile is not a shared mobile
    result = services.duplicates_find(on=date(2026, 11, 1))
    assert result == {"found": 2, "created": 2}
    assert pairs() == {("甲", "乙", "same_mobile"), ("丙", "丁", "same_mobile")}


@pytest.mark.django_db
def test_a_mobile_shared_by_more_than_twenty_is_a_placeholder_even_under_one_name():
    for i in range(19):
        CustomerFactory(name=f"客户{i}", mobile="13800000000")
    CustomerFactory(name="王五", mobile="13800000000")
    CustomerFactory(name="王五", mobile="13800000000")  # 21 on one number: a placeholder, not a person
    assert services.duplicates_find(on=date(2026, 11, 1)) == {"found": 0, "created": 0}


@pytest.mark.django_db
def test_twenty_on_one_mobile_are_still_proposed():
    for i in range(20):
        CustomerFactory(name=f"客户{i}", mobile="13800000000")
    assert services.duplicates_find(on=date(2026, 11, 1)) == {"found": 190, "created": 190}


@pytest.mark.django_db
def test_a_name_shared_by_more_than_twenty_proposes_no_similar_numbers():
    for i in range(21):
        CustomerFactory(name="王伟", mobile=f"139000000{i:02d}")  # one digit apart, but a common name
    assert services.duplicates_find(on=date(2026, 11, 1))["found"] == 0


@pytest.mark.django_db
def test_similar_numbers_pair_two_customers_of_one_name_only():
    CustomerFactory(name="王五", mobile="13912345678")
    CustomerFactory(name="王五", mobile="13912345679")  # one digit different
    CustomerFactory(name="李四", mobile="13912345677")  # one digit from both, another name
    CustomerFactory(name="李四", mobile="13800000000")
    services.duplicates_find(on=date(2026, 11, 1))
    assert pairs() == {("王五", "王五", "similar")}


@pytest.mark.parametrize(("a", "b"), [
    ("13912345678", "13912305698"),  # two digits different, not neighbours
    ("13912345612", "13912345623"),  # two neighbouring digits different, not swapped
    ("13912345678", "13912845673"),  # two digits swapped, but not neighbours
    ("13912345678", "13912340078"),  # two neighbouring digits, neither swapped
])
@pytest.mark.django_db
def test_numbers_that_are_not_one_typing_slip_apart_are_not_similar(a, b):
    CustomerFactory(name="王五", mobile=a)
    CustomerFactory(name="王五", mobile=b)
    assert services.duplicates_find(on=date(2026, 11, 1))["found"] == 0


@pytest.mark.django_db
def test_an_earlier_owner_of_the_car_under_the_same_name_is_not_a_duplicate(agent):
    earlier, now = CustomerFactory(name="孙八", mobile="13811112222"), CustomerFactory(name="孙八", mobile="13933334444")
    vehicle = make_vehicle(earlier, serial=30, delivered=date(2024, 1, 1))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=now, on=date(2026, 1, 1), by=agent)
    assert services.duplicates_find(on=date(2026, 11, 1))["found"] == 0


@pytest.mark.django_db
def test_two_cars_each_under_one_name_twice_make_two_pairs():
    a1, a2 = CustomerFactory(name="孙八", mobile="13811112222"), CustomerFactory(name="孙八", mobile="13933334444")
    b1, b2 = CustomerFactory(name="周七", mobile="13755556666"), CustomerFactory(name="周七", mobile="13677778888")
    for serial, (owner, driver) in enumerate([(a1, a2), (b1, b2)], start=31):
        vehicle = make_vehicle(owner, serial=serial)
        VehicleRole.objects.create(vehicle=vehicle, customer=driver, kind="driver", started_on=date(2026, 5, 1))
    services.duplicates_find(on=date(2026, 11, 1))
    assert pairs() == {("孙八", "孙八", "same_vehicle"), ("周七", "周七", "same_vehicle")}


@pytest.mark.django_db
def test_a_merged_record_still_holding_a_role_is_not_proposed(supervisor):
    survivor, duplicate = CustomerFactory(name="孙八", mobile="13811112222"), CustomerFactory(name="孙八",
                                                                                              mobile="13933334444")
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    vehicle = make_vehicle(CustomerFactory(name="孙八", mobile="13755556666"), serial=35)
    # e.g. a role bulk-loaded for the old record after the merge
    VehicleRole.objects.create(vehicle=vehicle, customer=duplicate, kind="driver", started_on=date(2026, 5, 1))
    assert services.duplicates_find(on=date(2026, 11, 1))["found"] == 0


# --- what a merge records ----------------------------------------------------------------------
@pytest.mark.django_db
def test_a_merge_counts_each_family_member_it_moves(supervisor, agent):
    survivor, duplicate = CustomerFactory(name="冯二"), CustomerFactory(name="冯二")
    for name in ("冯小一", "冯小二"):
        services.family_member_save(customer=duplicate, by=agent, relation="child", name=name)
    merge = services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    assert CustomerMerge.objects.get(pk=merge.pk).moved["family"] == 2


@pytest.mark.django_db
def test_the_duplicates_pairs_with_others_move_to_the_survivor_and_the_pair_is_closed(supervisor):
    with time_machine.travel(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        before = CustomerFactory(name="乙", mobile="13922220000")
        survivor = CustomerFactory(name="甲", mobile="13811110000")
        duplicate = CustomerFactory(name="甲", mobile="13922220000")  # `before` < `duplicate` < `after`
        after = CustomerFactory(name="丙", mobile="13922220000")
        services.duplicates_find(on=date(2026, 11, 1))
        own_pair = DuplicateCandidate.objects.create(first=survivor, second=duplicate, reason="similar",
                                                     found_on=date(2026, 11, 2))
        services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    open_pairs = {(c.first_id, c.second_id, c.reason, c.found_on)
                  for c in DuplicateCandidate.objects.filter(status="open")}
    assert open_pairs == {(before.pk, survivor.pk, "same_mobile", date(2026, 11, 1)),
                          (before.pk, after.pk, "same_mobile", date(2026, 11, 1)),
                          (survivor.pk, after.pk, "same_mobile", date(2026, 11, 1))}
    own_pair.refresh_from_db()
    assert (own_pair.status, own_pair.resolved_by, own_pair.resolved_at) == (
        "merged", supervisor, datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
