"""Timeline entries are stored as a kind and its parameters and read in the reader's language,
whatever language the page was in when they were recorded; dates, labels and phone messages
follow the reader's language too."""

import importlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from customers import services
from customers.demo import seed_customers
from customers.forms import CustomerForm
from customers.imports.services import import_archive
from customers.models import Customer, ServiceVisit, TimelineEntry
from customers.normalize import normalize_phone
from tests.customers import factories
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin

VISIT_HEADER = ["工单号", "车架号", "车牌号", "进厂日期", "出厂日期", "进厂里程", "维修类型", "服务顾问", "送修人",
                "送修人电话", "工时费", "材料费", "合计", "车型"]


def page(client, customer, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(f"/customers/{customer.pk}/").content.decode()


def timeline(client, customer, language: str) -> str:
    """The timeline part of the customer page."""
    return page(client, customer, language).split('id="timeline"')[1]


@pytest.fixture(autouse=True)
def _store_language_after():
    """A request in English leaves English active in the thread (the middleware activates, nothing
    deactivates): the tests after these start in the store's language again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def owner(db):
    customer = CustomerFactory(name="张三", mobile="13812345678")
    make_vehicle(customer, serial=1, plate="皖C12345")
    return customer


def record_visit(owner, language: str) -> ServiceVisit:
    with translation.override(language):
        return services.service_visit_record(
            vehicle=owner.vehicle_roles.get().vehicle, ro_number="RO202604010001", opened_on=date(2026, 4, 1),
            kind=ServiceVisit.Kind.FIRST_MAINTENANCE, mileage=3000, total_amount=1234.5, advisor="马超")


@pytest.mark.django_db
def test_a_visit_recorded_in_chinese_reads_in_english_for_an_english_reader(login, agent, owner):
    record_visit(owner, "zh-hans")
    client = login(agent)
    english = timeline(client, owner, "en")
    assert "First maintenance · RO202604010001" in english
    assert "Mileage 3000 km, total ¥1,234.50, advisor 马超" in english
    assert "首保" not in english and "里程" not in english
    chinese = timeline(client, owner, "zh-hans")
    assert "首保 · RO202604010001" in chinese and "里程 3000 公里，合计 ¥1,234.50，服务顾问 马超" in chinese


@pytest.mark.django_db
def test_a_visit_recorded_in_english_reads_in_chinese_for_a_chinese_reader(login, agent, owner):
    record_visit(owner, "en")
    chinese = timeline(login(agent), owner, "zh-hans")
    assert "首保 · RO202604010001" in chinese
    assert "First maintenance" not in chinese and "Mileage" not in chinese


@pytest.mark.django_db
def test_owner_changes_and_merges_read_in_the_readers_language(login, agent, supervisor, owner):
    vehicle = owner.vehicle_roles.get().vehicle
    buyer = CustomerFactory(name="李四", mobile="13912345678")
    twin = CustomerFactory(name="李四", mobile="13912345678")
    with translation.override("zh-hans"):
        services.vehicle_change_owner(vehicle=vehicle, new_owner=buyer, on=date(2026, 5, 1), by=agent)
        services.customer_merge(survivor=buyer, duplicate=twin, by=supervisor)
    client = login(supervisor)
    assert f"Is no longer the owner of {vehicle}" in timeline(client, owner, "en")
    assert f"不再是 {vehicle} 的车主" in timeline(client, owner, "zh-hans")
    english = timeline(client, buyer, "en")
    assert f"Became the owner of {vehicle}" in english and f"Merged with duplicate record #{twin.pk} (李四)" in english
    chinese = timeline(client, buyer, "zh-hans")
    assert f"成为 {vehicle} 的车主" in chinese and f"合并了重复档案 #{twin.pk}（李四）" in chinese


@pytest.mark.django_db
def test_imported_repair_orders_read_in_both_languages(login, agent, owner, admin_user):
    data = factories.workbook(VISIT_HEADER, ["RO001", valid_vin(1), "", "2026-03-05", "", "1200", "首保", "马超", "",
                                             "", "300", "0", "300", ""], title="维修工单导出")
    with translation.override("zh-hans"):
        assert import_archive(data=data, kind="service-visits", by=admin_user).created == 1
    client = login(agent)
    assert "First maintenance · RO001" in timeline(client, owner, "en")
    assert "Mileage 1200 km, total ¥300.00, advisor 马超" in timeline(client, owner, "en")
    assert "首保 · RO001" in timeline(client, owner, "zh-hans")


@pytest.mark.django_db
def test_the_demo_stores_repair_orders_read_in_both_languages(login, agent):
    seed_customers(count=100, seed=7, today=date(2026, 11, 30), workers=1)
    entry = TimelineEntry.objects.filter(kind="visit").select_related("customer").first()
    visit = ServiceVisit.objects.get(pk=int(entry.source_id))
    client = login(agent)
    with translation.override("en"):
        english_kind = str(visit.get_kind_display())
    with translation.override("zh-hans"):
        chinese_kind = str(visit.get_kind_display())
    assert f"{english_kind} · {visit.ro_number}" in timeline(client, entry.customer, "en")
    assert f"Mileage {visit.mileage} km" in timeline(client, entry.customer, "en")
    assert f"{chinese_kind} · {visit.ro_number}" in timeline(client, entry.customer, "zh-hans")


@pytest.mark.django_db
def test_an_entry_stored_as_text_still_shows_its_text(login, agent, owner):
    TimelineEntry.objects.create(customer=owner, kind="visit", title="首保 · RO1", body="里程 100 km，合计 ¥1",
                                 occurred_at="2026-01-02T10:00+08:00", params={})
    for language in ("en", "zh-hans"):
        text = timeline(login(agent), owner, language)
        assert "首保 · RO1" in text and "里程 100 km，合计 ¥1" in text


@pytest.mark.django_db
def test_the_migration_gives_stored_visit_entries_their_parameters(login, agent, owner):
    visit = record_visit(owner, "zh-hans")
    TimelineEntry.objects.update(params={}, title="首保 · RO202604010001", body="里程 3000 km")
    migration = importlib.import_module("customers.migrations.0014_fill_visit_timeline_params")
    migration.fill(None, SimpleNamespace(connection=connection))
    entry = TimelineEntry.objects.get()
    assert entry.params == {"visit_kind": "first", "ro": visit.ro_number, "km": 3000, "total": "1234.50",
                            "advisor": "马超"}
    assert "Mileage 3000 km, total ¥1,234.50, advisor 马超" in timeline(login(agent), owner, "en")


@pytest.mark.django_db
def test_dates_on_the_customer_page_read_the_readers_way(login, agent, owner):
    Customer.objects.filter(pk=owner.pk).update(birthday=date(1980, 3, 5))
    record_visit(owner, "zh-hans")
    client = login(agent)
    english = page(client, owner, "en")
    assert "5 Mar 1980" in english and "1 Apr 2026 09:00" in english and "1980-03-05" not in english
    chinese = page(client, owner, "zh-hans")
    assert "1980-03-05" in chinese and "2026-04-01 09:00" in chinese


@pytest.mark.django_db
def test_english_labels_start_with_a_capital_on_the_customer_and_vehicle_pages(login, agent, supervisor, owner):
    services.customer_update(customer=owner, by=agent, address="合肥市长江路1号")
    client = login(supervisor)
    client.cookies["django_language"] = "en"
    history = client.get(f"/customers/{owner.pk}/history/").content.decode()
    assert "Address：" in history and "address：" not in history
    vehicle = owner.vehicle_roles.get().vehicle
    vehicle_page = client.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert "Purchase invoice copy" in vehicle_page and "purchase invoice copy" not in vehicle_page


@pytest.mark.parametrize(("language", "words"), [("en", ("phone number", "mobile", "landline", "area code")),
                                                 ("zh-hans", ("电话号码", "手机号", "固定电话", "区号"))])
def test_a_bad_phone_number_says_what_to_enter_in_both_languages(language, words):
    with translation.override(language), pytest.raises(ValueError) as error:
        normalize_phone("12345")
    assert all(word in str(error.value) for word in words)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message"), [
    ("en", "Enter a mobile here; a landline goes under “Other phone”."),
    ("zh-hans", "此处请填手机号；固定电话请填在“其他电话”。"),
])
def test_a_landline_under_mobile_points_to_the_other_phone_field(agent, language, message):
    with translation.override(language):
        form = CustomerForm(data={"name": "张三", "mobile": "0552-3012345", "gender": "", "importance": "normal",
                                  "source": "manual"}, user=agent)
        assert message in form.errors["mobile"]
