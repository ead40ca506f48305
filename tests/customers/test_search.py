"""One box finds a customer by every kind of key; exact hits first. CI runs this file on SQLite
and on PostgreSQL (see .ci/run)."""

import importlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from customers import services
from customers.demo import seed_customers
from customers.imports.services import import_archive
from customers.models import Customer
from customers.normalize import name_pinyin_mixed
from customers.search import customer_search
from tests.customers import factories
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin


@pytest.fixture
def store(db):
    zhang = services.customer_create(by=None, name="张三", mobile="13812345678", phone2="05523012345")
    zhang_feng = services.customer_create(by=None, name="张三丰", mobile="13912340000")
    zhou = services.customer_create(by=None, name="周强", mobile="13612345678")  # same last 8 digits as 张三
    make_vehicle(zhang, serial=123456, plate="皖C12345")
    make_vehicle(zhang_feng, serial=654321, plate="皖CD8899")
    merged = services.customer_create(by=None, name="张三丰", mobile="13700001111")
    services.customer_merge(survivor=zhang_feng, duplicate=merged, by=None)
    return {"zhang": zhang, "zhang_feng": zhang_feng, "zhou": zhou}


def names(query):
    return [(hit.customer.name, hit.matched, hit.exact) for hit in customer_search(query=query)]


def test_by_chinese_name_exact_first(store):
    assert names("张三") == [("张三", "name", True), ("张三丰", "name", False)]


def test_by_full_pinyin_and_by_initials(store):
    assert names("zhangsan")[0] == ("张三", "pinyin", True)
    assert ("张三丰", "pinyin", False) in names("zhangsan")
    assert names("zs") == [("张三", "initials", True), ("张三丰", "initials", False)]
    assert names("ZSF") == [("张三丰", "initials", True)]


@pytest.mark.parametrize("query", ["13812345678", "138 1234 5678", "+86 138-1234-5678"])
def test_by_full_mobile(store, query):
    assert names(query) == [("张三", "phone", True)]


def test_by_landline(store):
    assert names("0552-3012345") == [("张三", "phone", True)]


def test_by_the_last_four_digits(store):
    found = names("5678")
    assert {name for name, matched, _exact in found if matched == "phone_tail"} == {"张三", "周强"}


@pytest.mark.parametrize("query", ["C12345", "皖C·12345", "c 123", "皖c12", "1234"])
def test_by_plate_fragment_with_or_without_province_and_dot(store, query):
    assert ("张三", "plate") in [(name, matched) for name, matched, _exact in names(query)]


def test_a_whole_plate_is_an_exact_hit(store):
    assert names("皖C12345")[0] == ("张三", "plate", True)


def test_a_new_energy_plate_fragment(store):
    assert names("D889")[0][:2] == ("张三丰", "plate")


def test_by_the_last_six_of_the_vin(store):
    vin = store["zhang"].vehicle_roles.get().vehicle.vin
    assert names(vin[-6:])[0][:2] == ("张三", "vin")
    assert names(vin) == [("张三", "vin", True)]


def test_a_merged_record_is_not_found_but_its_number_leads_to_the_survivor(store):
    assert names("13700001111") == [("张三丰", "phone", True)]  # the merge kept the number on the survivor
    assert [name for name, *_ in names("张三丰")].count("张三丰") == 1


def test_nothing_and_noise_find_nothing(store):
    assert names("") == []
    assert names("   ") == []
    assert names("王") == []
    assert names("99999999") == []


@pytest.mark.django_db
def test_search_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(40):
        customer = CustomerFactory(name=f"张{n}", mobile=f"1381234{n:04d}")
        make_vehicle(customer, serial=n, plate=f"皖C{n:05d}", delivered=date(2026, 1, 1))
    for query in ["张", "张1", "思阳", "zs", "zsy", "zhangsy", "1234", "13812340001", "C000", "皖C00001"]:
        with django_assert_max_num_queries(6):
            customer_search(query=query)


@pytest.mark.django_db
def test_many_phone_endings_do_not_push_out_the_plate_match():
    for n in range(30):
        CustomerFactory(name=f"号{n}", mobile=f"1390{n:03d}5895")
    owner = CustomerFactory(name="车主", mobile="13700000000")
    make_vehicle(owner, serial=99, plate="皖C75895")
    found = customer_search(query="5895")
    assert len(found) == 20
    assert ("车主", "plate") in [(hit.customer.name, hit.matched) for hit in found[:4]]


def test_a_two_character_plate_fragment_finds_plates_starting_with_it(store):
    assert ("张三", "plate") in [(name, matched) for name, matched, _exact in names("C1")]


@pytest.mark.parametrize("query", ["0086 138 1234 5678", "138.1234.5678"])
def test_numbers_written_other_ways(store, query):
    assert names(query) == [("张三", "phone", True)]


def test_letters_alone_search_names_not_plates(store):
    # "zs" is initials far more often than plate letters; a plate fragment with a digit ("D889") finds plates.
    assert all(matched != "plate" for _name, matched, _exact in names("CD"))


@pytest.mark.django_db
def test_a_learner_plate_is_searched_as_a_plate():
    owner = CustomerFactory(name="驾校")
    make_vehicle(owner, serial=77, plate="皖C1234学")
    assert customer_search(query="皖C1234学")[0].matched == "plate"


# --- a given name alone, mixed pinyin ----------------------------------------------------------
@pytest.fixture
def given_names(db):
    return {name: services.customer_create(by=None, name=name) for name in
            ["张思阳", "欧阳思阳", "思阳", "张思思阳", "李阳思", "欧阳娜娜", "王思"]}


def test_a_given_name_alone_finds_it_anywhere_in_the_name(given_names):
    found = names("思阳")
    assert found[0] == ("思阳", "name", True)
    assert sorted(name for name, *_ in found[1:]) == ["张思思阳", "张思阳", "欧阳思阳"]  # not 李阳思
    assert all((matched, exact) == ("name", False) for _name, matched, exact in found[1:])


def test_three_characters_inside_a_name_must_stand_together(given_names):
    # 张思思阳 holds every two-character piece of 张思阳 (张思, 思阳), but not 张思阳 itself.
    assert names("张思阳") == [("张思阳", "name", True)]
    assert names("阳思阳") == [("欧阳思阳", "name", False)]


def test_one_character_finds_names_starting_with_it_only(given_names):
    assert [name for name, *_ in names("思")] == ["思阳"]


@pytest.mark.parametrize(("query", "name"), [
    ("zhangsy", "张思阳"), ("zsiyang", "张思阳"), ("ZhangSY", "张思阳"), ("ZSiYang", "张思阳"),
    ("ouyangnn", "欧阳娜娜"), ("oynana", "欧阳娜娜"),  # a two-character surname stays whole
])
def test_mixed_pinyin_finds_the_customer_exactly(given_names, query, name):
    assert names(query)[0] == (name, "pinyin_mixed", True)


def test_mixed_pinyin_being_typed_finds_the_customer_as_it_grows(given_names):
    assert ("张思阳", "pinyin_mixed", False) in names("zsiy")  # zsiyang
    assert ("欧阳思阳", "pinyin_mixed", False) in names("oysi")  # oysiyang


def test_mixed_pinyin_does_not_find_other_names(given_names):
    assert "李阳思" not in [name for name, *_ in names("zsiyang")]
    assert names("lsiyang") == []


def test_exact_hits_come_first_and_at_most_20(db):
    for n in range(25):
        services.customer_create(by=None, name="张思阳" if n < 3 else f"张思阳{'一二三四五六七八九十'[n % 10]}")
    found = customer_search(query="zhangsy")
    assert len(found) == 20
    assert [hit.exact for hit in found[:3]] == [True] * 3 and not any(hit.exact for hit in found[3:])
    assert len(customer_search(query="思阳")) == 20


def _keys_are_derived(customers) -> bool:
    return all((customer.name_pinyin_given_initials, customer.name_pinyin_surname_initial)
               == name_pinyin_mixed(customer.name) for customer in customers)


@pytest.mark.django_db
def test_every_path_that_writes_customers_fills_the_mixed_pinyin_keys(admin_user):
    created = services.customer_create(by=None, name="张三")
    renamed = services.customer_create(by=None, name="李四")
    services.customer_update(customer=renamed, by=None, name="李思阳")
    seed_customers(count=30, seed=3, workers=1)
    import_archive(data=factories.workbook(
        ["客户姓名", "手机号码", "车架号(VIN)", "车牌号", "交车日期", "车型", "品牌"],
        ["赵思远", "13811112222", valid_vin(501), "皖C60001", "2024-03-05", "科雷傲", "雷诺"]),
        kind="deliveries", by=admin_user)
    import_archive(data=factories.workbook(
        ["工单号", "车架号", "车牌号", "进厂日期", "维修类型", "送修人", "送修人电话", "车型"],
        ["RO501", valid_vin(502, wmi="JMB"), "皖C60002", "2026-05-01", "钣喷", "钱多多", "13922223333", "欧蓝德"]),
        kind="service-visits", by=admin_user)
    stored = list(Customer.all_objects.all())
    assert {"张三", "李思阳", "赵思远", "钱多多"} <= {customer.name for customer in stored}
    assert len(stored) >= 34 and _keys_are_derived(stored)
    assert Customer.objects.get(pk=renamed.pk).name_pinyin_given_initials == "lisy"
    assert Customer.objects.get(pk=created.pk).name_pinyin_surname_initial == "zsan"
    assert customer_search(query="zhaosy")[0].customer.name == "赵思远"
    assert customer_search(query="qduoduo")[0].customer.name == "钱多多"


@pytest.mark.django_db
def test_the_migration_fills_the_keys_of_customers_stored_before_it():
    for name in ["张思阳", "欧阳娜娜", "John Smith", "王"]:
        services.customer_create(by=None, name=name)
    services.customer_create(by=None, name="张思阳")
    Customer.all_objects.update(name_pinyin_given_initials="", name_pinyin_surname_initial="")
    migration = importlib.import_module("customers.migrations.0011_fill_mixed_pinyin_keys")
    migration.fill(apps, SimpleNamespace(connection=connection))  # it runs SQL only through the connection
    stored = list(Customer.all_objects.all())
    assert _keys_are_derived(stored)
    assert Customer.all_objects.filter(name_pinyin_given_initials="zhangsy").count() == 2


# --- a single exact hit opens the customer ------------------------------------------------------
@pytest.fixture
def archive(db):
    zhang = services.customer_create(by=None, name="张三", mobile="13812345678")
    vehicle = make_vehicle(zhang, serial=123456, plate="皖C12345")
    return {"zhang": zhang, "vehicle": vehicle}


@pytest.mark.parametrize("query", ["13812345678", "+86 138 1234 5678", "皖C12345", "皖c·12345", "vin"])
def test_a_whole_mobile_plate_or_vin_found_once_opens_the_customer(client, agent, archive, query):
    client.force_login(agent)
    query = archive["vehicle"].vin if query == "vin" else query
    response = client.get("/customers/search/", {"q": query})
    assert response.status_code == 302 and response.url == f"/customers/{archive['zhang'].pk}/"


def test_the_live_results_stay_a_list(client, agent, archive):
    client.force_login(agent)
    response = client.get("/customers/search/", {"q": "13812345678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "search-hit" in response.content.decode()


def test_a_plate_two_customers_hold_shows_both(client, agent, archive):
    driver = services.customer_create(by=None, name="张小三", mobile="13900000000")
    services.vehicle_set_driver(vehicle=archive["vehicle"], driver=driver, on=date(2026, 3, 2), by=None)
    client.force_login(agent)
    response = client.get("/customers/search/", {"q": "皖C12345"})
    assert response.status_code == 200 and response.content.decode().count("search-hit") == 2


@pytest.mark.parametrize("query", ["张三", "zhangsan", "2345", "C1234"])
def test_a_single_hit_by_name_or_fragment_is_listed_not_opened(client, agent, archive, query):
    client.force_login(agent)
    response = client.get("/customers/search/", {"q": query})
    assert response.status_code == 200 and response.content.decode().count("search-hit") == 1


def test_the_results_say_a_hit_was_by_mixed_pinyin(client, agent, given_names):
    client.force_login(agent)
    page = client.get("/customers/search/", {"q": "zsiyang"}).content.decode()
    assert "张思阳" in page and "混拼" in page


@pytest.mark.django_db
def test_the_migration_on_a_big_archive_builds_the_indexes_it_dropped_again(monkeypatch):
    """On PostgreSQL a big fill drops the secondary indexes and builds them again (here: from one row)."""
    migration = importlib.import_module("customers.migrations.0011_fill_mixed_pinyin_keys")
    monkeypatch.setattr(migration, "REBUILD_INDEXES_FROM", 1)
    services.customer_create(by=None, name="张思阳")
    Customer.all_objects.update(name_pinyin_given_initials="")

    def indexes():
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, Customer._meta.db_table)
        return {name: (found[name]["columns"], found[name]["type"]) for name in found if found[name]["index"]}

    before = indexes()
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert indexes() == before and len(before) > 10
    assert customer_search(query="zhangsy")[0].customer.name == "张思阳"
