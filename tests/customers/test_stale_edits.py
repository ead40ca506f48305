"""Saving a form opened a while ago: only what this user changed is written; what others changed
meanwhile is kept, or, when both changed the same field, shown so that the user decides."""

from datetime import date

import pytest
from django import forms
from django.test import Client

from customers import services
from customers.edits import edit_plan, fingerprint, fingerprints
from customers.models import ContactPreference, Customer, DeliveryFile, FamilyMember, Vehicle
from dealer_crm.accounts.roles import Role
from tests.customers.factories import make_vehicle
from tests.factories import UserFactory


@pytest.fixture
def colleague_agent(db):
    return UserFactory(username="agent_zhou", display_name="周敏", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def customer(agent):
    return services.customer_create(by=agent, name="张三", mobile="13812345678", address="蚌埠市胜利路8号",
                                    occupation="教师")


def opened(client, path: str) -> dict:
    """The form as the browser would send it back untouched, from the page that shows it."""
    response = client.get(path)
    assert response.status_code == 200, path
    return form_data(response)


def form_data(response) -> dict:
    data = {}
    for field in response.context["form"]:
        value = field.value()
        if isinstance(field.field.widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    return data


@pytest.fixture
def clients(agent, colleague_agent):
    """Two agents, each in their own browser: 李娜 first, 周敏 second."""
    first, second = Client(), Client()
    first.force_login(agent)
    second.force_login(colleague_agent)
    return first, second


# --- the rule ------------------------------------------------------------------------------------
def test_only_the_fields_the_user_changed_are_written():
    base = fingerprints({"address": "胜利路8号", "occupation": "教师"})
    plan = edit_plan(stored={"address": "长江路1号", "occupation": "教师"},
                     submitted={"address": "胜利路8号", "occupation": "医生"}, base=base)
    assert plan.write == {"occupation": "医生"}
    assert (plan.conflicts, plan.kept) == ((), ("address",))


def test_a_field_both_changed_differently_is_a_conflict_and_nothing_is_written():
    base = fingerprints({"address": "胜利路8号", "occupation": "教师"})
    plan = edit_plan(stored={"address": "长江路1号", "occupation": "教师"},
                     submitted={"address": "淮河路2号", "occupation": "医生"}, base=base)
    assert plan.conflicts == ("address",)
    assert plan.write == {"occupation": "医生"}  # the plan names it; the services write nothing on a conflict


def test_the_same_change_by_both_is_no_conflict():
    plan = edit_plan(stored={"address": "长江路1号"}, submitted={"address": "长江路1号"},
                     base=fingerprints({"address": "胜利路8号"}))
    assert (plan.write, plan.conflicts, plan.kept) == ({}, (), ())


def test_a_field_whose_base_is_unknown_asks_when_it_differs():
    plan = edit_plan(stored={"address": "长江路1号", "note": ""}, submitted={"address": "淮河路2号", "note": ""},
                     base={})
    assert plan.conflicts == ("address",) and plan.write == {}


def test_line_breaks_and_spaces_as_a_browser_sends_them_are_no_change():
    base = fingerprints({"note": "老客户\n喜欢钓鱼", "amount": None})
    plan = edit_plan(stored={"note": "老客户\n喜欢钓鱼 ", "amount": None},
                     submitted={"note": "老客户\r\n喜欢钓鱼", "amount": None}, base=base)
    assert (plan.write, plan.conflicts, plan.kept) == ({}, (), ())


def test_without_a_base_everything_that_differs_is_written():
    plan = edit_plan(stored={"address": "长江路1号", "note": ""}, submitted={"address": "淮河路2号", "note": ""},
                     base=None)
    assert plan.write == {"address": "淮河路2号"} and not plan.conflicts


def test_no_answer_and_an_empty_one_are_alike_but_not_a_no():
    assert fingerprint(None) == fingerprint("") != fingerprint(False)


@pytest.mark.django_db
def test_the_page_carries_fingerprints_not_the_values(login, agent, customer):
    from django.core import signing

    token = opened(login(agent), f"/customers/{customer.pk}/edit/")["opened"]
    base = signing.loads(token, salt="customers.forms.opened")["base"]
    assert base["mobile"] == fingerprint("13812345678") and "13812345678" not in str(base)


@pytest.mark.django_db
def test_the_service_writes_nothing_on_a_conflict_and_names_who_changed_it(agent, colleague_agent, customer):
    base = fingerprints({"address": customer.address, "occupation": customer.occupation})
    services.customer_update(customer=customer, by=colleague_agent, base=base, address="合肥市长江路1号",
                             occupation="教师")
    outcome = services.customer_update(customer=customer, by=agent, base=base, address="淮河路2号",
                                       occupation="医生")
    stored = Customer.objects.get(pk=customer.pk)
    assert not outcome.saved and (stored.address, stored.occupation) == ("合肥市长江路1号", "教师")
    [conflict] = outcome.conflicts
    assert (conflict.label, conflict.now, conflict.by) == ("地址", "合肥市长江路1号", "周敏")


# --- the customer form ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_two_people_editing_different_fields_both_keep_their_change(clients, customer):
    first, second = clients
    path = f"/customers/{customer.pk}/edit/"
    a, b = opened(first, path), opened(second, path)
    assert first.post(path, {**a, "address": "合肥市长江路1号"}).status_code == 302
    response = second.post(path, {**b, "occupation": "医生"}, follow=True)
    body = response.content.decode()
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.address, stored.occupation) == ("合肥市长江路1号", "医生")
    assert "已保存" in body and "其他人把地址改为“合肥市长江路1号”（李娜，" in body and "已保留" in body


@pytest.mark.django_db
def test_a_field_both_changed_is_shown_and_the_user_decides(clients, customer):
    first, second = clients
    path = f"/customers/{customer.pk}/edit/"
    a, b = opened(first, path), opened(second, path)
    first.post(path, {**a, "address": "合肥市长江路1号", "mobile": "13987654321"})
    response = second.post(path, {**b, "address": "蚌埠市淮河路2号", "note": "周末方便"})
    body = response.content.decode()
    assert response.status_code == 200
    assert Customer.objects.get(pk=customer.pk).address == "合肥市长江路1号"
    assert Customer.objects.get(pk=customer.pk).note == ""  # nothing written, not even the note
    assert "在你编辑期间，有人修改了这份档案" in body and "地址现在是“合肥市长江路1号”（李娜，" in body
    assert "在你编辑期间已被改为：合肥市长江路1号" in body
    assert 'value="蚌埠市淮河路2号"' in body and "周末方便" in body  # what B typed is still there
    assert "手机现在是“139****4321”" in body  # kept, masked in the message…
    assert 'value="13987654321"' in body  # …and the form now shows it as stored, so a second save keeps it
    assert "保存我的填写" in body
    again = second.post(path, form_data(response))
    assert again.status_code == 302
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.address, stored.note, stored.mobile) == ("蚌埠市淮河路2号", "周末方便", "13987654321")


@pytest.mark.django_db
def test_a_form_opened_before_a_merge_keeps_what_the_merge_filled_in(login, agent, supervisor):
    survivor = services.customer_create(by=agent, name="王五", mobile="13812340000")
    twin = services.customer_create(by=agent, name="王五", mobile="13812340000", address="蚌埠市南山路3号",
                                    birthday=date(1980, 5, 6))
    client = login(agent)
    path = f"/customers/{survivor.pk}/edit/"
    data = opened(client, path)
    services.customer_merge(survivor=survivor, duplicate=twin, by=supervisor)
    response = client.post(path, {**data, "occupation": "司机"}, follow=True)
    stored = Customer.objects.get(pk=survivor.pk)
    assert (stored.address, stored.birthday, stored.occupation) == ("蚌埠市南山路3号", date(1980, 5, 6), "司机")
    assert "刘芳" in response.content.decode()  # who filled them in, with the merge


@pytest.mark.django_db
def test_a_stale_edit_of_a_merged_record_says_where_it_went_and_keeps_the_input(login, agent, supervisor, customer):
    twin = services.customer_create(by=agent, name="张三", mobile="13812345679")
    client = login(agent)
    path = f"/customers/{twin.pk}/edit/"
    data = opened(client, path)
    services.customer_merge(survivor=customer, duplicate=Customer.objects.get(pk=twin.pk), by=supervisor)
    response = client.post(path, {**data, "address": "蚌埠市淮河路2号"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"该客户已合并到 #{customer.pk} 张三" in body and f'href="/customers/{customer.pk}/"' in body
    assert 'value="蚌埠市淮河路2号"' in body  # nothing lost
    assert Customer.objects.get(pk=customer.pk).address == "蚌埠市胜利路8号"
    assert Customer.all_objects.get(pk=twin.pk).address == ""


@pytest.mark.django_db
def test_a_form_without_its_base_asks_instead_of_overwriting(clients, customer):
    first, second = clients
    path = f"/customers/{customer.pk}/edit/"
    b = opened(second, path)
    first.post(path, {**opened(first, path), "address": "合肥市长江路1号"})
    b.pop("opened")
    response = second.post(path, {**b, "note": "周末方便"})
    assert response.status_code == 200 and "地址现在是“合肥市长江路1号”" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).address == "合肥市长江路1号"


# --- the other forms -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_vehicle_edits_of_different_fields_both_stay_and_a_clash_is_shown(clients, agent, customer):
    vehicle = make_vehicle(customer, serial=7, plate="皖C12345", by=agent)
    first, second = clients
    path = f"/customers/vehicles/{vehicle.pk}/edit/"
    a, b = opened(first, path), opened(second, path)
    assert first.post(path, {**a, "colour": "白色"}).status_code == 302
    assert second.post(path, {**b, "sales_consultant": "孙磊"}).status_code == 302
    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert (stored.colour, stored.sales_consultant) == ("白色", "孙磊")
    c = opened(first, path)
    second.post(path, {**opened(second, path), "plate": "皖C66666"})
    response = first.post(path, {**c, "plate": "皖C88888"})
    assert "车牌号现在是“皖C66666”（周敏，" in response.content.decode()
    assert Vehicle.objects.get(pk=vehicle.pk).plate == "皖C66666"


@pytest.mark.django_db
def test_family_member_edits_of_different_fields_both_stay(clients, agent, customer):
    member = services.family_member_save(customer=customer, by=agent, relation="child", name="张小明")
    first, second = clients
    path = f"/customers/family/{member.pk}/edit/"
    a, b = opened(first, path), opened(second, path)
    first.post(path, {**a, "note": "喜欢乐高"})
    second.post(path, {**b, "birthday": "2016-03-04"})
    stored = FamilyMember.objects.get(pk=member.pk)
    assert (stored.note, stored.birthday) == ("喜欢乐高", date(2016, 3, 4))
    c = opened(first, path)
    second.post(path, {**opened(second, path), "note": "喜欢画画"})
    response = first.post(path, {**c, "note": "喜欢足球"})
    assert "备注现在是“喜欢画画”（周敏，" in response.content.decode()
    assert FamilyMember.objects.get(pk=member.pk).note == "喜欢画画"


@pytest.mark.django_db
def test_a_refusal_recorded_meanwhile_is_not_replaced_unseen(clients, customer):
    first, second = clients
    path = f"/customers/{customer.pk}/preferences/"
    a, b = opened(first, path), opened(second, path)
    answer = {"channel": "sms", "purpose": "marketing"}
    assert second.post(path, {**b, **answer, "allowed": "no", "reason": "客户投诉短信太多"}).status_code == 302
    response = first.post(path, {**a, **answer, "allowed": "yes", "reason": "愿意参加活动"})
    body = response.content.decode()
    stored = ContactPreference.objects.get(customer=customer, channel="sms", purpose="marketing")
    assert (stored.allowed, stored.reason) == (False, "客户投诉短信太多")
    assert "在你编辑期间，有人修改了这份档案" in body and "“客户投诉短信太多”（周敏，" in body
    assert "愿意参加活动" in body
    assert first.post(path, form_data(response)).status_code == 302  # the user decided: their answer
    assert ContactPreference.objects.get(pk=stored.pk).allowed is True


@pytest.mark.django_db
def test_ticking_documents_at_once_keeps_both_ticks(clients, agent, customer):
    vehicle = make_vehicle(customer, serial=8, by=agent)
    first, second = clients
    path = f"/customers/vehicles/{vehicle.pk}/delivery-file/"
    a, b = opened(first, path), opened(second, path)
    assert first.post(path, {**a, "invoice_copy": "on"}).status_code == 302
    response = second.post(path, {**b, "id_copy": "on"}, follow=True)
    stored = DeliveryFile.objects.get(vehicle=vehicle)
    assert (stored.invoice_copy, stored.id_copy) == (True, True)
    assert "购车发票复印件改为“是”（李娜，" in response.content.decode()


@pytest.mark.django_db
def test_a_vehicle_typed_for_a_record_merged_meanwhile_goes_to_the_survivor_only_when_saved_again(
        login, agent, supervisor, customer):
    twin = services.customer_create(by=agent, name="张三", mobile="13812345679")
    client = login(agent)
    path = f"/customers/{twin.pk}/vehicles/new/"
    data = opened(client, path)
    services.customer_merge(survivor=customer, duplicate=Customer.objects.get(pk=twin.pk), by=supervisor)
    typed = {**data, "vin": "1M8GDM9AXKP042788", "plate": "皖C88888", "brand": "renault", "model_name": "卡缤"}
    body = client.post(path, typed).content.decode()
    assert f"该客户已合并到 #{customer.pk} 张三" in body and 'value="1M8GDM9AXKP042788"' in body
    assert f'action="/customers/{customer.pk}/vehicles/new/"' in body
    assert not Vehicle.objects.filter(plate="皖C88888").exists()
    assert client.post(f"/customers/{customer.pk}/vehicles/new/", typed).status_code == 302
    assert Vehicle.objects.get(plate="皖C88888").roles.get().customer == customer
