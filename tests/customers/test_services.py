"""The archive's rules: owner changes keep the past, visits feed the timeline, merges lose nothing."""

from datetime import date

import pytest

from customers import services
from customers.models import (
    ContactPreference,
    Customer,
    CustomerMerge,
    DuplicateCandidate,
    FamilyMember,
    ServiceVisit,
    TimelineEntry,
    VehicleRole,
)
from tests.customers.factories import CustomerFactory, make_vehicle


@pytest.mark.django_db
def test_adding_a_vehicle_makes_the_customer_its_owner_from_delivery(agent):
    owner = CustomerFactory()
    vehicle = make_vehicle(owner, serial=1, plate="皖C12345", delivered=date(2026, 2, 3), by=agent)
    role = VehicleRole.objects.get(vehicle=vehicle)
    assert (role.customer, role.kind, role.started_on, role.ended_on) == (owner, "owner", date(2026, 2, 3), None)
    assert vehicle.plate_key == "C12345" and vehicle.vin_rev == vehicle.vin[::-1]
    assert vehicle.delivery_file.documents_present == 0
    assert vehicle.history.get().history_user == agent


@pytest.mark.django_db
def test_an_owner_change_keeps_the_old_owner(agent):
    old, new = CustomerFactory(name="王五"), CustomerFactory(name="赵六")
    vehicle = make_vehicle(old, serial=2, delivered=date(2025, 1, 10))
    services.vehicle_change_owner(vehicle=vehicle, new_owner=new, on=date(2026, 6, 1), by=agent)
    roles = {role.customer: role for role in VehicleRole.objects.filter(vehicle=vehicle)}
    assert roles[old].ended_on == date(2026, 6, 1)
    assert roles[new].ended_on is None and roles[new].started_on == date(2026, 6, 1)
    assert TimelineEntry.objects.filter(kind="ownership").count() == 2  # on both customers' timelines
    assert roles[old].history.filter(history_type="~").get().history_user == agent


@pytest.mark.django_db
def test_an_owner_change_cannot_go_back_before_the_current_owner(agent):
    vehicle = make_vehicle(CustomerFactory(), serial=3, delivered=date(2026, 3, 1))
    with pytest.raises(services.ArchiveError, match="2026-03-01"):
        services.vehicle_change_owner(vehicle=vehicle, new_owner=CustomerFactory(), on=date(2026, 1, 1), by=agent)
    with pytest.raises(services.ArchiveError):
        services.vehicle_change_owner(vehicle=vehicle, new_owner=vehicle.roles.get().customer, on=date(2026, 5, 1),
                                      by=agent)


@pytest.mark.django_db
def test_a_service_visit_goes_on_the_owners_timeline_and_sets_the_last_visit():
    owner = CustomerFactory()
    vehicle = make_vehicle(owner, serial=4)
    visit = services.service_visit_record(vehicle=vehicle, ro_number="RO202604010001", opened_on=date(2026, 4, 1),
                                          kind=ServiceVisit.Kind.FIRST_MAINTENANCE, mileage=3000, total_amount=0)
    services.service_visit_record(vehicle=vehicle, ro_number="RO202603010001", opened_on=date(2026, 3, 1),
                                  kind=ServiceVisit.Kind.REPAIR)
    owner.refresh_from_db()
    assert visit.customer == owner
    assert owner.last_visit_on == date(2026, 4, 1)  # an older visit imported later does not move it back
    entry = TimelineEntry.objects.filter(customer=owner).first()
    assert entry.text.title == "首保 · RO202604010001"
    assert (entry.source_type.model, entry.source_id) == ("servicevisit", str(visit.pk))


@pytest.mark.django_db
def test_a_contact_preference_is_recorded_once_per_channel_and_purpose(agent):
    customer = CustomerFactory()
    services.contact_preference_set(customer=customer, channel="phone", purpose="all", allowed=False,
                                    reason="不喜欢接电话，只发短信", by=agent)
    services.contact_preference_set(customer=customer, channel="phone", purpose="all", allowed=True,
                                    reason="又同意了", by=agent)
    preference = ContactPreference.objects.get(customer=customer)
    assert preference.allowed is True and preference.reason == "又同意了"
    assert preference.history.count() == 2


@pytest.mark.django_db
def test_revealing_a_phone_is_logged_and_refused_without_the_role(agent, colleague, general_manager):
    from dealer_crm.audit.models import AuditEvent

    customer = CustomerFactory(mobile="13812345678", phone2="05523012345")
    assert services.customer_phones_reveal(customer=customer, by=agent) == ["13812345678", "05523012345"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PHONE_REVEAL)
    assert (event.actor, event.target_id) == (agent, str(customer.pk))
    with pytest.raises(services.ArchiveError):
        services.customer_phones_reveal(customer=customer, by=general_manager)


@pytest.fixture
def two_records_of_one_person(agent):
    survivor = services.customer_create(by=agent, name="张三", mobile="13812345678", address="")
    duplicate = services.customer_create(by=agent, name="张三", mobile="13812345679", address="蚌埠市胜利路1号",
                                         birthday=date(1980, 5, 6), importance="vip")
    make_vehicle(survivor, serial=10, plate="皖C11111")
    vehicle = make_vehicle(duplicate, serial=11, plate="皖C22222")
    services.service_visit_record(vehicle=vehicle, ro_number="RO-M-1", opened_on=date(2026, 9, 9), kind="scheduled")
    services.family_member_save(customer=duplicate, by=agent, relation="child", name="张小明",
                                birthday=date(2015, 6, 1))
    services.contact_preference_set(customer=duplicate, channel="sms", purpose="marketing", allowed=False,
                                    reason="退订", by=agent)
    referred = services.customer_create(by=agent, name="李四", mobile="13900000000", referred_by=duplicate)
    return survivor, duplicate, referred


@pytest.mark.django_db
def test_a_merge_moves_everything_and_loses_nothing(supervisor, two_records_of_one_person):
    survivor, duplicate, referred = two_records_of_one_person
    timeline_before = TimelineEntry.objects.filter(customer__in=[survivor, duplicate]).count()
    merge = services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)

    survivor.refresh_from_db()
    assert set(VehicleRole.objects.filter(customer=survivor).values_list("vehicle__plate", flat=True)) == {
        "皖C11111", "皖C22222"}
    assert FamilyMember.objects.get().customer == survivor
    assert ServiceVisit.objects.get().customer == survivor
    assert ContactPreference.objects.get().customer == survivor
    assert Customer.objects.get(pk=referred.pk).referred_by == survivor
    assert TimelineEntry.objects.filter(customer=survivor).count() == timeline_before + 1  # + the merge itself
    # Empty fields filled, the second number kept, the higher importance kept, the last visit carried over.
    assert (survivor.address, survivor.birthday, survivor.phone2, survivor.importance, survivor.last_visit_on) == (
        "蚌埠市胜利路1号", date(1980, 5, 6), "13812345679", "vip", date(2026, 9, 9))
    # The merged record stays, hidden from lists and search, pointing at the survivor, with a snapshot.
    old = Customer.all_objects.get(pk=duplicate.pk)
    assert old.merged_into == survivor
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert merge.snapshot["mobile"] == "13812345679" and merge.snapshot["contact_preferences"][0]["reason"] == "退订"
    assert merge.moved["vehicle_roles"] == 1 and merge.merged_by == supervisor
    assert old.history.first().history_user == supervisor


@pytest.mark.django_db
def test_a_record_cannot_be_merged_twice(supervisor, two_records_of_one_person):
    survivor, duplicate, _referred = two_records_of_one_person
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    with pytest.raises(services.ArchiveError):
        services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    with pytest.raises(services.ArchiveError):
        services.customer_merge(survivor=survivor, duplicate=survivor, by=supervisor)
    assert CustomerMerge.objects.count() == 1


@pytest.mark.django_db
def test_both_drivers_of_one_car_merge_into_one_role(supervisor, agent):
    a, b = CustomerFactory(name="周七"), CustomerFactory(name="周七")
    vehicle = make_vehicle(CustomerFactory(name="车主"), serial=20)
    services.vehicle_set_driver(vehicle=vehicle, driver=a, on=date(2026, 1, 1), by=agent)
    VehicleRole.objects.create(vehicle=vehicle, customer=b, kind="driver", started_on=date(2026, 2, 1))
    services.customer_merge(survivor=a, duplicate=b, by=supervisor)
    drivers = VehicleRole.objects.filter(vehicle=vehicle, kind="driver")
    assert drivers.count() == 2 and drivers.filter(ended_on__isnull=True).get().customer == a


@pytest.mark.django_db
def test_duplicates_are_found_once_and_a_merge_closes_them(supervisor):
    CustomerFactory(name="张三", mobile="13812345678")
    CustomerFactory(name="李四", mobile="13812345678")  # same mobile: family members often share one
    a = CustomerFactory(name="王五", mobile="13912345678")
    b = CustomerFactory(name="王五", mobile="13912345687")  # two digits swapped
    CustomerFactory(name="王五", mobile="13700000000")  # same name only: not a duplicate
    first = services.duplicates_find(on=date(2026, 11, 1))
    second = services.duplicates_find(on=date(2026, 11, 2))
    assert (first["created"], second["created"]) == (2, 0)
    reasons = set(DuplicateCandidate.objects.values_list("reason", flat=True))
    assert reasons == {"same_mobile", "similar"}
    services.customer_merge(survivor=a, duplicate=b, by=supervisor)
    assert DuplicateCandidate.objects.get(reason="similar").status == "merged"


@pytest.mark.django_db
def test_the_same_car_under_the_same_name_twice_is_a_duplicate():
    a, b = CustomerFactory(name="孙八"), CustomerFactory(name="孙八")
    vehicle = make_vehicle(a, serial=30)
    VehicleRole.objects.create(vehicle=vehicle, customer=b, kind="driver", started_on=date(2026, 5, 1))
    services.duplicates_find(on=date(2026, 11, 1))
    assert DuplicateCandidate.objects.get().reason == "same_vehicle"


@pytest.mark.django_db
def test_updating_a_customer_records_only_what_changed(agent):
    customer = services.customer_create(by=agent, name="钱九", mobile="13812340000")
    services.customer_update(customer=customer, by=agent, name="钱九", mobile="13812340001")
    services.customer_update(customer=customer, by=agent, name="钱九", mobile="13812340001")
    customer.refresh_from_db()
    assert customer.history.count() == 2
    assert customer.mobile_rev == "10004321831"


@pytest.mark.django_db
def test_an_edit_finishing_after_a_merge_does_not_undo_it(agent, supervisor):
    stale = services.customer_create(by=agent, name="钱九", mobile="13812340000")
    survivor = services.customer_create(by=agent, name="钱九", mobile="13812340009")
    services.customer_merge(survivor=survivor, duplicate=Customer.objects.get(pk=stale.pk), by=supervisor)
    with pytest.raises(services.ArchiveError, match=str(survivor.pk)):
        services.customer_update(customer=stale, by=agent, address="蚌埠")
    assert Customer.all_objects.get(pk=stale.pk).merged_into == survivor


@pytest.mark.django_db
def test_an_edit_writes_only_the_changed_columns(agent):
    customer = services.customer_create(by=agent, name="钱九", mobile="13812340000")
    Customer.all_objects.filter(pk=customer.pk).update(last_visit_on=date(2026, 9, 1))  # e.g. a visit meanwhile
    services.customer_update(customer=customer, by=agent, address="蚌埠市")  # `customer` still says None
    customer.refresh_from_db()
    assert (customer.address, customer.last_visit_on) == ("蚌埠市", date(2026, 9, 1))


@pytest.mark.django_db
def test_a_third_number_is_noted_masked_and_kept_in_full_in_the_snapshot(supervisor):
    survivor = CustomerFactory(name="郑十", mobile="13811112222", phone2="05523012345", note="老客户")
    duplicate = CustomerFactory(name="郑十", mobile="13833334444", note="喜欢钓鱼")
    merge = services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    survivor.refresh_from_db()
    assert "138****4444" in survivor.note and "13833334444" not in survivor.note
    assert survivor.note.startswith("老客户\n喜欢钓鱼")
    assert merge.snapshot["mobile"] == "13833334444"


@pytest.mark.django_db
def test_when_one_owns_and_the_other_drives_the_car_keeps_its_owner(supervisor, agent):
    owner_record, driver_record = CustomerFactory(name="吴一"), CustomerFactory(name="吴一")
    vehicle = make_vehicle(owner_record, serial=40)
    services.vehicle_set_driver(vehicle=vehicle, driver=driver_record, on=date(2026, 4, 1), by=agent)
    services.customer_merge(survivor=driver_record, duplicate=owner_record, by=supervisor)
    current = {role.kind: role.customer for role in VehicleRole.objects.filter(vehicle=vehicle, ended_on__isnull=True)}
    assert current == {"owner": driver_record, "driver": driver_record}


@pytest.mark.django_db
def test_a_refusal_to_be_contacted_survives_the_merge(supervisor, agent):
    survivor, duplicate = CustomerFactory(name="冯二"), CustomerFactory(name="冯二")
    services.contact_preference_set(customer=survivor, channel="sms", purpose="marketing", allowed=True, reason="",
                                    by=agent)
    services.contact_preference_set(customer=duplicate, channel="sms", purpose="marketing", allowed=False,
                                    reason="回T退订", by=agent)
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    preference = ContactPreference.objects.get(customer=survivor)
    assert (preference.allowed, preference.reason) == (False, "回T退订")


@pytest.mark.django_db
def test_moves_are_in_the_change_history_and_pairs_with_others_carry_over(supervisor, agent):
    survivor, duplicate, third = (CustomerFactory(name="陈三", mobile="13800000001"),
                                  CustomerFactory(name="陈三", mobile="13800000002"),
                                  CustomerFactory(name="陈三", mobile="13800000002"))
    vehicle = make_vehicle(duplicate, serial=41)
    services.duplicates_find(on=date(2026, 11, 1))  # duplicate/third share a mobile; survivor is one digit off
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    role = VehicleRole.objects.get(vehicle=vehicle)
    assert role.history.first().history_user == supervisor and role.history.first().customer_id == survivor.pk
    assert DuplicateCandidate.objects.filter(status="open", first=survivor, second=third).exists()
    assert not DuplicateCandidate.objects.filter(status="open", second=duplicate).exists()


@pytest.mark.django_db
def test_a_survivor_referred_by_its_duplicate_is_referred_by_no_one_merged(supervisor):
    referrer = CustomerFactory(name="褚四")
    duplicate = CustomerFactory(name="卫五", referred_by=referrer)
    survivor = CustomerFactory(name="卫五", referred_by=duplicate)
    services.customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    survivor.refresh_from_db()
    assert survivor.referred_by == referrer


@pytest.mark.django_db
def test_the_first_change_of_a_bulk_loaded_customer_shows_old_and_new(agent):
    from customers.demo import seed_customers
    from customers.selectors import customer_history

    seed_customers(count=1, seed=3, today=date(2026, 11, 1))
    customer = Customer.objects.get()
    old_mobile = customer.mobile
    services.customer_update(customer=customer, by=agent, mobile="13987654321")
    changes = customer_history(customer=customer)
    assert changes[0]["record"].history_user == agent
    change = changes[0]["changes"][0]
    assert (change["old"], change["new"]) == (old_mobile[:3] + "****" + old_mobile[-4:], "139****4321")
    assert changes[-1]["created"]
