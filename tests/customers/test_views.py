"""The archive's pages: who may see and change what, clear errors, fixed query counts."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import Customer, DuplicateCandidate, FamilyMember, VehicleRole
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory


@pytest.fixture
def customer(agent):
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678", address="蚌埠市胜利路8号")
    vehicle = make_vehicle(customer, serial=1, plate="皖C12345", by=agent)
    services.service_visit_record(vehicle=vehicle, ro_number="RO1", opened_on=date(2026, 4, 1), kind="first")
    services.family_member_save(customer=customer, by=agent, relation="child", name="张小明", birthday=date(2016, 3, 3))
    return customer


def grow_archive(n: int) -> None:
    for i in range(n):
        other = CustomerFactory(name=f"李{i}", mobile=f"1390000{i:04d}")
        vehicle = make_vehicle(other, serial=1000 + i, plate=f"皖C{i:05d}")
        services.service_visit_record(vehicle=vehicle, ro_number=f"RO-{i}", opened_on=date(2026, 5, 1), kind="repair")
        services.family_member_save(customer=other, by=None, relation="spouse", name=f"王{i}")


@pytest.mark.django_db
def test_the_detail_page_masks_the_phone_and_shows_everything(login, agent, customer):
    body = login(agent).get(f"/customers/{customer.pk}/").content.decode()
    assert "138****5678" in body and "13812345678" not in body
    assert "皖C12345" in body and "张小明" in body and "首保 · RO1" in body


@pytest.mark.django_db
def test_the_detail_page_runs_a_fixed_number_of_queries(login, agent, customer, django_assert_num_queries):
    client = login(agent)
    client.get(f"/customers/{customer.pk}/")  # warm the session and permission caches
    # 19: one asks for the open complaints (customers.holds); four the sections of appointments,
    # retention and the gift requests (customers/sections.py, tests/customers/test_customer_page_retention.py)
    with django_assert_num_queries(19) as small:
        client.get(f"/customers/{customer.pk}/")
    for i in range(5):
        services.family_member_save(customer=customer, by=agent, relation="other", name=f"亲属{i}")
        make_vehicle(customer, serial=50 + i, plate=f"皖C5000{i}")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"/customers/{customer.pk}/")


@pytest.mark.django_db
def test_the_list_and_search_pages_do_not_grow_with_the_archive(login, agent, customer, django_assert_num_queries):
    client = login(agent)
    client.get("/customers/")
    counts = {}
    for path in ("/customers/", "/customers/search/?q=zs", "/customers/search/?q=C1"):
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        counts[path] = len(captured.captured_queries)
    grow_archive(12)
    for path, count in counts.items():
        with django_assert_num_queries(count):
            client.get(path)


@pytest.mark.django_db
def test_revealing_the_phone_shows_it_and_logs_it(login, agent, customer):
    response = login(agent).post(f"/customers/{customer.pk}/phones/reveal/", HTTP_HX_REQUEST="true")
    assert "138 1234 5678" in response.content.decode()
    assert AuditEvent.objects.filter(action="phone_reveal", actor=agent, target_id=str(customer.pk)).exists()


@pytest.mark.django_db
def test_a_role_without_the_need_cannot_reveal(login, general_manager, customer):
    client = login(general_manager)
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
    assert client.post(f"/customers/{customer.pk}/phones/reveal/").status_code == 403
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 403
    assert not AuditEvent.objects.filter(action="phone_reveal").exists()


@pytest.mark.django_db
def test_a_colleague_without_the_archive_cannot_open_it(login, customer):
    outsider = UserFactory(roles=[])
    client = login(outsider)
    for path in ("/customers/", f"/customers/{customer.pk}/", "/customers/search/?q=zs",
                 f"/customers/vehicles/{customer.vehicle_roles.get().vehicle_id}/"):
        assert client.get(path).status_code == 403, path


@pytest.mark.django_db
def test_the_supervisor_reads_the_reveal_log(login, agent, supervisor, customer):
    login(agent).post(f"/customers/{customer.pk}/phones/reveal/")
    response = login(supervisor).get("/audit/", {"action": "phone_reveal"})
    assert [event.actor for event in response.context["page"].object_list] == [agent]


@pytest.mark.django_db
def test_creating_a_customer_cleans_what_was_typed(login, agent):
    response = login(agent).post("/customers/new/", {
        "name": " 王 小 二 ", "mobile": "+86 139-1234-5678 / 0552-3012345", "phone2": "", "importance": "normal",
        "source": "delivery"})
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.name, customer.mobile, customer.phone2, customer.name_initials) == (
        "王小二", "13912345678", "05523012345", "wxe")
    assert customer.history.get().history_user == agent


@pytest.mark.django_db
def test_bad_input_is_explained_in_chinese_and_nothing_is_lost(login, agent):
    response = login(agent).post("/customers/new/", {
        "name": "王小二", "mobile": "12345", "phone2": "", "importance": "normal", "source": "delivery",
        "address": "蚌埠市淮河路1号", "id_number": "123", "quiet_from": "21:00"})
    body = response.content.decode()
    assert response.status_code == 200 and not Customer.objects.exists()
    assert "“12345”中没有有效的电话号码" in body
    assert "身份证号码为 18 位" in body
    assert "免打扰时段" in body or "开始和结束" in body
    assert 'value="蚌埠市淮河路1号"' in body  # what was typed stays in the form


@pytest.mark.django_db
def test_select_boxes_ask_to_choose_instead_of_showing_dashes(login, agent, customer):
    client = login(agent)
    for path in (f"/customers/{customer.pk}/edit/", f"/customers/{customer.pk}/vehicles/new/"):
        assert "---------" not in client.get(path).content.decode(), path
    family = client.get(f"/customers/{customer.pk}/family/new/").content.decode()
    assert "---------" not in family
    assert '<option value="" selected>请选择</option>' in family  # the relation: required, no default


@pytest.mark.django_db
def test_editing_a_phone_shows_in_the_history_masked(login, agent, customer):
    client = login(agent)
    form = client.get(f"/customers/{customer.pk}/edit/")
    assert AuditEvent.objects.filter(action="phone_reveal", detail__via="edit_form").exists()
    data = {name: value for name, value in form.context["form"].initial.items() if value is not None}
    data.update({"mobile": "13987654321", "referrer_phone": ""})
    data.pop("referred_by", None)
    response = client.post(f"/customers/{customer.pk}/edit/", data)
    assert response.status_code == 302
    history = client.get(f"/customers/{customer.pk}/history/").content.decode()
    assert "138****5678" in history and "139****4321" in history
    assert "13987654321" not in history


@pytest.mark.django_db
def test_a_referrer_is_found_by_mobile(login, agent, customer):
    response = login(agent).post("/customers/new/", {"name": "李四", "mobile": "13700000000",
                                                     "referrer_phone": "138 1234 5678", "importance": "normal",
                                                     "source": "referral"})
    assert response.status_code == 302
    assert Customer.objects.get(name="李四").referred_by == customer


@pytest.mark.django_db
def test_the_list_filters(login, agent, customer):
    grow_archive(3)
    services.contact_preference_set(customer=customer, channel="sms", purpose="marketing", allowed=False,
                                    reason="退订", by=agent)
    Customer.objects.filter(name="李0").update(lost_contact_since=date(2026, 1, 1), importance="vip")
    client = login(agent)

    def listed(**params):
        return {c.name for c in client.get("/customers/", params).context["page"].object_list}

    assert listed(opted_out="yes") == {"张三"}
    assert "张三" not in listed(opted_out="no")
    assert listed(lost_contact="yes") == {"李0"} == listed(importance="vip")
    assert listed(not_visited_since="2026-04-15") == {"张三"}
    assert listed(model_name="科雷傲", delivered_from="2026-02-01", delivered_until="2026-03-31") == {
        "张三", "李0", "李1", "李2"}
    assert listed(delivered_from="2026-04-01") == set()
    response = client.get("/customers/", {"delivered_from": "2026-05-01", "delivered_until": "2026-04-01"})
    assert "结束日期早于开始日期" in response.content.decode()


@pytest.mark.django_db
def test_a_vehicle_is_added_with_a_clear_vin_error(login, agent, customer):
    client = login(agent)
    response = client.post(f"/customers/{customer.pk}/vehicles/new/", {
        "vin": "1M8GDM9A1KP042788", "plate": "皖c·88888", "brand": "renault", "model_name": "卡缤"})
    assert "校验位" in response.content.decode()
    response = client.post(f"/customers/{customer.pk}/vehicles/new/", {
        "vin": "1m8gdm9axkp042788", "plate": "皖c·88888", "brand": "renault", "model_name": "卡缤"})
    assert response.status_code == 302
    assert VehicleRole.objects.filter(customer=customer, vehicle__plate="皖C88888", kind="owner").exists()


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 10, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # the form refuses a future date
def test_the_owner_change_page(login, agent, customer):
    vehicle = customer.vehicle_roles.get().vehicle
    new_owner = services.customer_create(by=agent, name="赵六", mobile="13600000000")
    client = login(agent)
    question = client.post(f"/customers/vehicles/{vehicle.pk}/owner/", {"new_owner_phone": "136 0000 0000",
                                                                        "on": "2026-10-01"})
    body = question.content.decode()
    assert question.status_code == 200 and "赵六" in body and "张三" in body  # both named before anything moves
    assert not VehicleRole.objects.filter(customer=new_owner).exists()
    response = client.post(f"/customers/vehicles/{vehicle.pk}/owner/", {"new_owner_phone": "13600000000",
                                                                        "on": "2026-10-01", "confirm": "1"})
    assert response.status_code == 302
    page = client.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert "赵六" in page and "张三" in page  # the old owner stays on the vehicle's page
    assert VehicleRole.objects.get(vehicle=vehicle, customer=new_owner).started_on == date(2026, 10, 1)


@pytest.mark.django_db
def test_a_family_member_is_removed_only_after_confirmation(login, agent, customer):
    member = FamilyMember.objects.get()
    client = login(agent)
    confirm = client.get(f"/customers/family/{member.pk}/delete/")
    assert "张小明" in confirm.content.decode() and FamilyMember.objects.exists()
    client.post(f"/customers/family/{member.pk}/delete/")
    assert not FamilyMember.objects.exists()


@pytest.mark.django_db
def test_the_supervisor_merges_in_one_step(login, supervisor, agent, customer):
    twin = services.customer_create(by=agent, name="张三", mobile="13812345678")
    services.duplicates_find(on=date(2026, 11, 1))
    candidate = DuplicateCandidate.objects.get()
    client = login(supervisor)
    assert "张三" in client.get("/customers/duplicates/").content.decode()
    response = client.post(f"/customers/duplicates/{candidate.pk}/merge/", {"survivor": str(customer.pk)})
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    old_link = client.get(f"/customers/{twin.pk}/")
    assert old_link.status_code == 302 and old_link["Location"] == f"/customers/{customer.pk}/"
    assert login(agent).get(f"/customers/duplicates/{candidate.pk}/merge/").status_code == 403


@pytest.mark.django_db
def test_a_pair_can_be_marked_as_two_people(login, supervisor, customer):
    services.customer_create(by=None, name="李四", mobile="13812345678")
    services.duplicates_find(on=date(2026, 11, 1))
    candidate = DuplicateCandidate.objects.get()
    login(supervisor).post(f"/customers/duplicates/{candidate.pk}/dismiss/")
    candidate.refresh_from_db()
    assert candidate.status == "dismissed" and candidate.resolved_by == supervisor


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CALLBACK_AGENT, Role.GENERAL_MANAGER, Role.MARKETING])
def test_roles_that_read_the_archive_see_the_list(login, role, customer):
    assert login(UserFactory(roles=[role])).get("/customers/").status_code == 200


@pytest.mark.django_db
def test_customers_who_never_came_are_listed_last_both_ways(login, agent, customer):
    never = CustomerFactory(name="从未来店")
    client = login(agent)
    for order in ("-last_visit_on", "last_visit_on"):
        names = [c.name for c in client.get("/customers/", {"order": order}).context["page"].object_list]
        assert names[-1] == never.name and names[0] == "张三"


@pytest.mark.django_db
def test_the_list_pages_and_counts_only_a_limited_number_of_rows(login, agent, django_assert_max_num_queries):
    for i in range(55):
        CustomerFactory(name=f"客户{i}")
    client = login(agent)
    first = client.get("/customers/")
    assert first.context["page"].has_next
    second = client.get("/customers/", {"page": 2})
    assert len(second.context["page"].object_list) == 5 and not second.context["page"].has_next
    assert "第 2 页，共 2 页" in second.content.decode()
    with CaptureQueriesContext(connection) as captured:
        client.get("/customers/", {"page": 2})
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0]  # never a COUNT(*) of the whole archive


@pytest.mark.django_db
def test_nothing_can_be_added_to_a_merged_record(login, agent, supervisor, customer):
    """An old tab's form says where the record went; what it saves goes there, never to the merged one."""
    twin = services.customer_create(by=agent, name="张三", mobile="13812345679")
    services.customer_merge(survivor=customer, duplicate=twin, by=supervisor)
    client = login(agent)
    for path, target in ((f"/customers/{twin.pk}/vehicles/new/", f"/customers/{customer.pk}/vehicles/new/"),
                         (f"/customers/{twin.pk}/family/new/", f"/customers/{customer.pk}/family/new/"),
                         (f"/customers/{twin.pk}/preferences/", f"/customers/{customer.pk}/preferences/")):
        body = client.get(path).content.decode()
        assert f"该客户已合并到 #{customer.pk} 张三" in body and f'action="{target}"' in body, path
    edit = client.get(f"/customers/{twin.pk}/edit/").content.decode()
    assert f"该客户已合并到 #{customer.pk} 张三" in edit and f'href="/customers/{customer.pk}/edit/"' in edit
    assert 'name="opened"' not in edit and "13812345679" not in edit  # no form to save, no number shown
    client.post(f"/customers/{twin.pk}/family/new/", {"relation": "child", "name": "张小红"})
    assert not FamilyMember.objects.filter(customer=twin).exists() and not FamilyMember.objects.filter(
        name="张小红").exists()


@pytest.mark.django_db
def test_the_admin_is_read_only_and_shows_no_phone(login, admin_user, customer):
    client = login(admin_user)
    page = client.get(f"/admin/customers/customer/{customer.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "13812345678" not in body and "5678" not in body
    assert client.get("/admin/customers/customer/add/").status_code == 403


@pytest.mark.django_db
def test_a_third_number_in_the_phone_fields_is_refused_not_dropped(login, agent):
    response = login(agent).post("/customers/new/", {
        "name": "王小二", "mobile": "13912345678 / 13812345678", "phone2": "0552-3012345", "importance": "normal",
        "source": "delivery"})
    assert response.status_code == 200 and not Customer.objects.exists()
    assert "最多保留两个号码" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.GENERAL_MANAGER, Role.MARKETING, Role.SALES_SUPERVISOR])
def test_read_only_roles_are_refused_every_write(login, role, customer):
    client = login(UserFactory(roles=[role]))
    vehicle_id = customer.vehicle_roles.get().vehicle_id
    member_id = customer.family.get().pk
    for path in ("/customers/new/", f"/customers/{customer.pk}/edit/", f"/customers/{customer.pk}/vehicles/new/",
                 f"/customers/{customer.pk}/family/new/", f"/customers/{customer.pk}/preferences/",
                 f"/customers/family/{member_id}/edit/", f"/customers/family/{member_id}/delete/",
                 f"/customers/vehicles/{vehicle_id}/edit/", f"/customers/vehicles/{vehicle_id}/owner/",
                 f"/customers/vehicles/{vehicle_id}/delivery-file/"):
        assert client.post(path, {}).status_code == 403, path
    assert client.get("/customers/duplicates/").status_code == 403


@pytest.mark.django_db
def test_revealing_takes_a_post(login, agent, customer):
    assert login(agent).get(f"/customers/{customer.pk}/phones/reveal/").status_code == 405
    assert not AuditEvent.objects.filter(action="phone_reveal").exists()


@pytest.mark.django_db
def test_the_referrer_is_shown_masked_and_kept_when_untouched(login, agent, customer):
    referred = services.customer_create(by=agent, name="李四", mobile="13700000000", referred_by=customer)
    client = login(agent)
    form = client.get(f"/customers/{referred.pk}/edit/")
    assert form.context["form"]["referrer_phone"].value() == "138****5678"
    assert "13812345678" not in form.content.decode()
    data = {name: value for name, value in form.context["form"].initial.items() if value is not None}
    data.update({"referrer_phone": "138****5678", "address": "蚌埠"})
    data.pop("referred_by", None)
    assert client.post(f"/customers/{referred.pk}/edit/", data).status_code == 302
    referred.refresh_from_db()
    assert (referred.referred_by, referred.address) == (customer, "蚌埠")


@pytest.mark.django_db
def test_wrong_filters_show_the_error_and_no_one(login, agent, customer):
    response = login(agent).get("/customers/", {"delivered_from": "2026-05-01", "delivered_until": "2026-04-01"})
    assert response.context["page"].object_list == []


@pytest.mark.django_db
def test_a_preference_says_plainly_whether_the_customer_agrees(login, agent, customer):
    client = login(agent)
    opened = client.get(f"/customers/{customer.pk}/preferences/").context["form"]["opened"].value()
    client.post(f"/customers/{customer.pk}/preferences/", {"channel": "phone", "purpose": "marketing",
                                                           "allowed": "yes", "reason": "愿意参加活动",
                                                           "opened": opened})
    assert customer.contact_preferences.get().allowed is True
    body = client.get(f"/customers/{customer.pk}/preferences/").content.decode()
    assert "拒绝" in body and "同意" in body


@pytest.mark.django_db
def test_future_dates_are_refused(login, agent, customer):
    client = login(agent)
    vehicle = customer.vehicle_roles.get().vehicle
    response = client.post(f"/customers/vehicles/{vehicle.pk}/owner/", {"new_owner_phone": "13812345678",
                                                                        "on": "2099-01-01"})
    assert "该日期在未来" in response.content.decode()
    response = client.post(f"/customers/{customer.pk}/family/new/", {"relation": "child", "name": "张未来",
                                                                     "birthday": "2099-01-01"})
    assert "该日期在未来" in response.content.decode()


@pytest.mark.django_db
def test_a_single_digit_asks_for_more(login, agent, customer):
    body = login(agent).get("/customers/search/", {"q": "1"}).content.decode()
    assert "请至少输入两个字符" in body
    assert "张三" in login(agent).get("/customers/search/", {"q": "张"}).content.decode()


@pytest.mark.django_db
def test_a_mobile_already_on_file_is_pointed_out_before_saving(login, agent, customer):
    client = login(agent)
    data = {"name": "韦思国", "mobile": "13812345678", "importance": "normal", "source": "delivery"}
    first = client.post("/customers/new/", data)
    assert first.status_code == 200 and "张三（#" in first.content.decode()
    assert Customer.objects.count() == 1
    second = client.post("/customers/new/", {**data, "confirm_shared_phone": "on"})
    assert second.status_code == 302 and Customer.objects.count() == 2


@pytest.mark.django_db
def test_the_merge_page_points_out_what_differs(login, supervisor, customer):
    services.customer_create(by=None, name="张三", mobile="13812345678", address="合肥市长江路1号",
                             birthday=date(1957, 1, 1))
    services.duplicates_find(on=date(2026, 11, 1))
    page = login(supervisor).get(f"/customers/duplicates/{DuplicateCandidate.objects.get().pk}/merge/")
    rows = {str(row["label"]): row for row in page.context["comparison"]}
    assert rows["地址"]["differs"] and not rows["手机"]["differs"]
    assert "13812345678" not in page.content.decode()


@pytest.mark.django_db
def test_editing_a_vehicle_records_the_change_with_its_author(login, agent, customer):
    vehicle = customer.vehicle_roles.get().vehicle
    client = login(agent)
    form = client.get(f"/customers/vehicles/{vehicle.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "id"}
    data.update({"plate": "皖c·66666", "colour": "白色"})
    assert client.post(f"/customers/vehicles/{vehicle.pk}/edit/", data).status_code == 302
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.plate_key, vehicle.colour) == ("皖C66666", "C66666", "白色")
    latest = vehicle.history.first()
    assert latest.history_user == agent and latest.plate == "皖C66666"


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # the form refuses a future date
def test_the_delivery_file_checklist_is_saved(login, agent, customer):
    vehicle = customer.vehicle_roles.get().vehicle
    client = login(agent)
    opened = client.get(f"/customers/vehicles/{vehicle.pk}/delivery-file/").context["form"]["opened"].value()
    response = client.post(f"/customers/vehicles/{vehicle.pk}/delivery-file/", {
        "invoice_copy": "on", "id_copy": "on", "handbook_checked_on": "2026-03-10", "handbook_note": "已核对",
        "opened": opened})
    assert response.status_code == 302
    delivery_file = vehicle.delivery_file.__class__.objects.get(vehicle=vehicle)
    assert (delivery_file.documents_present, delivery_file.handbook_checked_on) == (2, date(2026, 3, 10))
    assert delivery_file.history.order_by("-history_id").first().history_user == agent  # the clock went back
    assert client.post(f"/customers/vehicles/{vehicle.pk}/delivery-file/",
                       {"handbook_checked_on": "2099-01-01"}).status_code == 200  # refused: in the future


@pytest.mark.django_db
def test_editing_a_family_member(login, agent, customer):
    member = FamilyMember.objects.get()
    client = login(agent)
    opened = client.get(f"/customers/family/{member.pk}/edit/").context["form"]["opened"].value()
    response = client.post(f"/customers/family/{member.pk}/edit/", {
        "relation": "child", "name": "张 小明", "birthday": "2016-03-04", "note": "喜欢乐高", "opened": opened})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.birthday, member.note) == ("张小明", date(2016, 3, 4), "喜欢乐高")
    assert member.history.first().history_user == agent
