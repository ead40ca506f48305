"""The archive's side of the SMS platform: who refuses SMS of which purpose (the most specific
answer decides), the variables of a template, the customers of a list filter, and the opt-out."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from customers.messaging import CustomerAudience
from customers.models import ContactPreference, ServiceVisit, TimelineEntry, Vehicle
from customers import services as archive
from dealer_crm.messaging.audience import Candidate, Exclusion
from dealer_crm.messaging.models import Purpose
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin

PURPOSES = [Purpose.SERVICE, Purpose.CARE, Purpose.MARKETING, Purpose.NOTICE]


@pytest.fixture
def audience():
    return CustomerAudience()


def said(customer, channel: str, purpose: str, allowed: bool) -> None:
    ContactPreference.objects.create(customer=customer, channel=channel, purpose=purpose, allowed=allowed,
                                     recorded_on=date(2026, 11, 1))


def refusals(audience, customer) -> dict[str, str]:
    """purpose → the reason this customer is left out (purposes they accept are absent)."""
    return {purpose: audience.refusals(purpose=purpose, customer_ids=[customer.pk])[customer.pk]
            for purpose in PURPOSES if customer.pk in audience.refusals(purpose=purpose, customer_ids=[customer.pk])}


@pytest.mark.django_db
def test_no_answer_on_file_refuses_nothing(audience):
    assert refusals(audience, CustomerFactory()) == {}


@pytest.mark.django_db
def test_sms_marketing_refused_and_sms_service_allowed_gets_service_not_marketing(audience):
    customer = CustomerFactory()
    said(customer, "sms", "marketing", False)
    said(customer, "sms", "service", True)
    assert refusals(audience, customer) == {Purpose.MARKETING: Exclusion.OPTED_OUT}


@pytest.mark.django_db
def test_any_channel_for_all_purposes_refused_refuses_every_purpose(audience):
    customer = CustomerFactory()
    said(customer, "any", "all", False)
    assert refusals(audience, customer) == {purpose: Exclusion.REFUSES_ALL for purpose in PURPOSES}


@pytest.mark.django_db
def test_sms_refused_for_all_but_allowed_for_service_gets_service(audience):
    customer = CustomerFactory()
    said(customer, "sms", "all", False)
    said(customer, "sms", "service", True)
    assert refusals(audience, customer) == {Purpose.CARE: Exclusion.REFUSES_SMS, Purpose.MARKETING: Exclusion.REFUSES_SMS,
                                            Purpose.NOTICE: Exclusion.REFUSES_SMS}


@pytest.mark.django_db
def test_an_sms_answer_outweighs_an_any_channel_answer(audience):
    customer = CustomerFactory()
    said(customer, "any", "marketing", False)
    said(customer, "sms", "all", True)  # "no marketing — but SMS are fine" : SMS for any purpose decides
    assert refusals(audience, customer) == {}
    other = CustomerFactory()
    said(other, "any", "marketing", False)
    assert refusals(audience, other) == {Purpose.MARKETING: Exclusion.OPTED_OUT}


@pytest.mark.django_db
def test_any_channel_for_one_purpose_outweighs_any_channel_for_all(audience):
    customer = CustomerFactory()
    said(customer, "any", "all", False)
    said(customer, "any", "service", True)
    assert refusals(audience, customer) == {Purpose.CARE: Exclusion.REFUSES_ALL, Purpose.MARKETING: Exclusion.REFUSES_ALL,
                                            Purpose.NOTICE: Exclusion.REFUSES_ALL}


@pytest.mark.django_db
def test_no_calls_is_not_no_sms(audience):
    customer = CustomerFactory()
    said(customer, "phone", "all", False)
    said(customer, "wechat", "marketing", False)
    assert refusals(audience, customer) == {}


@pytest.mark.django_db
def test_without_ids_it_reads_everyone(audience):
    refusing, fine = CustomerFactory(), CustomerFactory()
    said(refusing, "sms", "marketing", False)
    said(fine, "sms", "marketing", True)
    assert audience.refusals(purpose=Purpose.MARKETING) == {refusing.pk: Exclusion.OPTED_OUT}


# --- variables ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_variables_are_the_customers_name_title_car_and_last_advisor(audience):
    man = CustomerFactory(name="张三", gender="M")
    vehicle = make_vehicle(man, serial=1, plate="皖C12345", model_name="科雷傲")
    for day, advisor in ((1, "马超"), (20, "胡军"), (25, "")):
        ServiceVisit.objects.create(vehicle=vehicle, customer=man, ro_number=f"RO{day}", opened_on=date(2026, 4, day),
                                    kind="scheduled", advisor=advisor)
    woman, unknown = CustomerFactory(name="李四", gender="F"), CustomerFactory(name="王五", gender="")
    values = audience.variables([man.pk, woman.pk, unknown.pk])
    assert values[man.pk] == {"name": "张三", "title": "先生", "advisor": "胡军", "plate": "皖C12345", "model": "科雷傲"}
    assert values[woman.pk] == {"name": "李四", "title": "女士", "advisor": ""}
    assert values[unknown.pk]["title"] == ""


@pytest.mark.django_db
def test_the_car_is_the_one_owned_not_one_sold(audience):
    customer = CustomerFactory()
    sold = make_vehicle(customer, serial=1, plate="皖C11111", model_name="风朗", delivered=date(2020, 1, 1))
    sold.roles.update(ended_on=date(2024, 1, 1))
    make_vehicle(customer, serial=2, plate="皖C22222", model_name="卡缤")
    assert audience.variables([customer.pk])[customer.pk]["plate"] == "皖C22222"


# --- who they are -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_customers_of_a_list_filter_by_brand(audience, admin_user):
    renault, mitsubishi = CustomerFactory(mobile="13800000001"), CustomerFactory(mobile="13800000002")
    make_vehicle(renault, serial=1)
    archive.vehicle_add(customer=mitsubishi, by=None, vin=valid_vin(2, wmi="JMB"), plate="", model_name="欧蓝德",
                        brand=Vehicle.Brand.MITSUBISHI, delivery_date=date(2020, 5, 1))
    assert audience.from_filter("brand=mitsubishi", user=admin_user) == [
        Candidate(customer_id=mitsubishi.pk, mobile="13800000002")]
    assert len(audience.from_filter("", user=admin_user)) == 2


@pytest.mark.django_db
def test_a_wrong_filter_gives_no_one_not_everyone(audience, admin_user):
    CustomerFactory()
    assert audience.from_filter("delivered_from=2026-05-01&delivered_until=2026-01-01", user=admin_user) == []


@pytest.mark.django_db
def test_the_same_mobile_twice_in_the_archive_keeps_the_first_customer(audience):
    first = CustomerFactory(mobile="13812345678")
    CustomerFactory(mobile="13812345678")
    other = CustomerFactory(mobile="13900000000")
    owners = audience.from_mobiles(["13812345678", "13900000000", "13812345678", "13700000000"])
    assert owners == {"13812345678": Candidate(customer_id=first.pk, mobile="13812345678"),
                      "13900000000": Candidate(customer_id=other.pk, mobile="13900000000")}


# --- the opt-out --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_opt_out_refuses_marketing_sms_with_the_date_and_reason_for_each_customer_of_the_number(audience):
    first, second = CustomerFactory(mobile="13812345678"), CustomerFactory(mobile="13812345678")
    untouched = CustomerFactory(mobile="13900000000")
    at = datetime(2026, 12, 1, 16, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on 2 December in the store
    assert audience.opt_out(phone="13812345678", text="退订", at=at, gateway="http") == 2
    for customer in (first, second):
        preference = ContactPreference.objects.get(customer=customer)
        assert (preference.channel, preference.purpose, preference.allowed) == ("sms", "marketing", False)
        assert preference.recorded_on == date(2026, 12, 2)  # the store's day, not UTC's
        assert "退订" in preference.reason
        entry = TimelineEntry.objects.get(customer=customer)
        assert entry.params == {"variant": "opt_out", "text": "退订"}
        assert entry.occurred_at == at
    assert not ContactPreference.objects.filter(customer=untouched).exists()
    assert audience.refusals(purpose=Purpose.MARKETING) == {first.pk: Exclusion.OPTED_OUT, second.pk: Exclusion.OPTED_OUT}


@pytest.mark.django_db
def test_an_opt_out_replaces_an_earlier_yes(audience):
    customer = CustomerFactory(mobile="13812345678")
    said(customer, "sms", "marketing", True)
    audience.opt_out(phone="13812345678", text="T", at=datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
                     gateway="http")
    assert ContactPreference.objects.get(customer=customer).allowed is False
    assert customer.pk in audience.refusals(purpose=Purpose.MARKETING)


@pytest.mark.django_db
def test_a_bulk_sends_filter_reads_in_words_in_the_stores_language():
    """品牌：三菱, not brand=mitsubishi; an invalid filter says it chooses no one (not 'every customer')."""
    from customers.messaging import CustomerAudience

    words = CustomerAudience().describe_filter("brand=mitsubishi&delivered_from=2026-01-05&needs_review=on&order=name")
    assert words == [("品牌", "三菱"), ("交车日期从", "2026-01-05"), ("仅看待核实", "是")]
    assert CustomerAudience().describe_filter("") == []
    assert CustomerAudience().describe_filter("delivered_from=notadate") == [("筛选", "无效：没有选中任何客户")]
