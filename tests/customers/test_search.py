"""One box finds a customer by every kind of key; exact hits first. CI runs this file on SQLite
and on PostgreSQL (see .ci/run)."""

from datetime import date

import pytest

from customers import services
from customers.search import customer_search
from tests.customers.factories import CustomerFactory, make_vehicle


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
    for query in ["张", "zs", "1234", "13812340001", "C000", "皖C00001"]:
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
