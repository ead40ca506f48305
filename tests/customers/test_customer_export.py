"""Exporting the customer list: the list's filters and order, every page, masked phones, who may."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from customers import services
from customers.models import Customer
from dealer_crm import exports
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

# The first header is a new string; the others are the models' field names, already in Chinese.
HEADERS = ("姓名", "性别", "手机", "其他电话", "车辆", "车型", "最近来店", "重要程度", "失联日期", "拒绝营销",
           "来源", "建档时间")


@pytest.fixture
def customer(agent):
    cache.clear()  # the model filter's choices are cached: the models added here must be in them
    customer = services.customer_create(by=agent, name="张三", mobile="13812345678", phone2="05523012345",
                                        importance="vip")
    vehicle = make_vehicle(customer, serial=1, plate="皖C12345", by=agent)
    services.service_visit_record(vehicle=vehicle, ro_number="RO1", opened_on=date(2026, 4, 1), kind="first")
    services.contact_preference_set(customer=customer, channel="sms", purpose="marketing", allowed=False,
                                    reason="退订", by=agent)
    return customer


def grow_archive(n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        other = CustomerFactory(name=f"李{i}", mobile=f"1390000{i:04d}")
        make_vehicle(other, serial=1000 + i, plate=f"皖C{i:05d}", model_name="卡缤")


def cells(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def workbook_rows(response) -> list[tuple]:
    return cells(b"".join(response.streaming_content))


@pytest.mark.django_db
def test_the_export_has_chinese_headers_and_masked_phones(login, supervisor, customer):
    response = login(supervisor).get("/customers/export/xlsx/")
    assert response.status_code == 200
    rows = workbook_rows(response)
    with translation.override("zh-hans"):
        assert rows[0] == (translation.gettext("Customer no."), *HEADERS)
    number, name, _gender, mobile, phone2, vehicles, model, last_visit, importance, lost, refuses, *_ = rows[1]
    assert (number, name, mobile, phone2) == (customer.pk, "张三", "138****5678", "0552****2345")
    assert (vehicles, model, importance, refuses, lost) == ("皖C12345", "科雷傲", "VIP", "是", None)
    assert last_visit.date() == date(2026, 4, 1)  # a date cell, not text


@pytest.mark.django_db
def test_no_full_phone_number_leaves_in_either_format(login, supervisor, customer):
    client = login(supervisor)
    for fmt in ("xlsx", "csv"):
        content = b"".join(client.get(f"/customers/export/{fmt}/").streaming_content)
        if fmt == "xlsx":
            content = str(cells(content)).encode()
        assert b"13812345678" not in content and b"05523012345" not in content
        assert "138****5678".encode() in content


@pytest.mark.django_db
def test_the_export_has_every_page_in_the_lists_order(login, supervisor, customer, monkeypatch):
    monkeypatch.setattr("customers.views.customers.PAGE_SIZE", 2)
    grow_archive(4)
    client = login(supervisor)
    params = {"order": "name", "model_name": "卡缤"}
    listed = [c.name for c in client.get("/customers/", params).context["page"].object_list]
    content = b"".join(client.get("/customers/export/csv/", params).streaming_content)
    exported = [line.split(",")[1] for line in content.decode("utf-8-sig").splitlines()[1:]]
    assert len(listed) == 2 and exported[:2] == listed
    assert exported == ["李0", "李1", "李2", "李3"]  # every page, not only the first, and not 张三 (科雷傲)


@pytest.mark.django_db
def test_the_export_respects_the_filters(login, supervisor, customer):
    grow_archive(3)
    Customer.objects.filter(name="李1").update(lost_contact_since=date(2026, 1, 1))
    client = login(supervisor)

    def exported(**params):
        return {row[1] for row in workbook_rows(client.get("/customers/export/xlsx/", params))[1:]}

    assert exported(importance="vip") == {"张三"}
    assert exported(lost_contact="yes") == {"李1"}
    assert exported(opted_out="yes") == {"张三"}
    assert exported() == {"张三", "李0", "李1", "李2"}


@pytest.mark.django_db
def test_the_export_is_in_the_audit_log_without_personal_data(login, supervisor, customer):
    login(supervisor).get("/customers/export/csv/", {"importance": "vip", "order": "name"})
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == supervisor
    assert event.detail == {"list": "客户", "format": "csv", "rows": 1,
                            "filters": {"importance": "vip", "order": "name"}}
    assert "张三" not in str(event.detail) and "5678" not in str(event.detail)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.GENERAL_MANAGER, Role.DCRC_SUPERVISOR])
def test_the_managing_roles_may_export(login, role, customer):
    client = login(UserFactory(roles=[role]))
    assert 'href="/customers/export/xlsx/"' in client.get("/customers/").content.decode()
    assert client.get("/customers/export/xlsx/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["agent", "colleague"])
def test_an_agent_or_a_lounge_host_may_not_export(login, request, persona, customer):
    client = login(request.getfixturevalue(persona))
    assert client.get("/customers/export/xlsx/").status_code == 403
    assert client.get("/customers/export/csv/").status_code == 403
    assert 'href="/customers/export/' not in client.get("/customers/").content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.django_db
def test_the_buttons_carry_the_current_filters(login, supervisor, customer):
    body = login(supervisor).get("/customers/", {"importance": "vip", "order": "name", "page": "1"}).content.decode()
    assert 'href="/customers/export/xlsx/?importance=vip&amp;order=name"' in body
    assert 'href="/customers/export/csv/?importance=vip&amp;order=name"' in body


@pytest.mark.django_db
def test_too_many_rows_are_refused_with_a_message(login, supervisor, customer, monkeypatch):
    monkeypatch.setattr(exports, "ROW_LIMIT", 3)
    grow_archive(3)
    client = login(supervisor)
    response = client.get("/customers/export/xlsx/", {"order": "name"})
    assert response.status_code == 302 and response["Location"] == "/customers/?order=name"
    page = client.get(response["Location"]).content.decode()
    with translation.override("zh-hans"):
        assert escape(str(exports.ExportTooLarge(3))) in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    assert client.get("/customers/export/xlsx/", {"model_name": "卡缤"}).status_code == 200  # exactly the limit


@pytest.mark.django_db
def test_wrong_filters_export_nothing(login, supervisor, customer):
    response = login(supervisor).get("/customers/export/csv/", {"delivered_from": "2026-05-01",
                                                                 "delivered_until": "2026-04-01"})
    assert response.status_code == 302 and response["Location"].startswith("/customers/?")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.django_db
def test_an_unknown_format_is_not_found(login, supervisor, customer):
    assert login(supervisor).get("/customers/export/pdf/").status_code == 404


@pytest.mark.django_db
def test_the_export_does_not_grow_in_queries_with_the_rows(login, supervisor, customer,
                                                         django_assert_num_queries):
    client = login(supervisor)
    client.get("/customers/export/xlsx/")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as small:
        client.get("/customers/export/xlsx/")
    grow_archive(12)
    for i in range(3):  # a second vehicle for some: still one prefetch
        make_vehicle(Customer.objects.get(name=f"李{i}"), serial=2000 + i, plate=f"皖D{i:05d}")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/customers/export/xlsx/")
    assert len(workbook_rows(response)) == 14
