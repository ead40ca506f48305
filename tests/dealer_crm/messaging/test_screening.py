"""Who of a list gets the message and how many are left out for which reason: the counts a bulk
send shows before it is confirmed."""

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.models import ContactPreference
from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Candidate, Exclusion
from dealer_crm.messaging.models import OutboundMessage, Purpose, SmsTemplate
from tests.customers.factories import CustomerFactory

NOW = datetime(2026, 12, 10, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def _caps(settings):
    settings.SMS_MARKETING_WEEKLY_CAP = 2
    settings.SMS_SAME_TEMPLATE_PER_DAY = 1


def refuse(customer, channel: str, purpose: str, allowed: bool = False) -> None:
    ContactPreference.objects.create(customer=customer, channel=channel, purpose=purpose, allowed=allowed,
                                     recorded_on=date(2026, 11, 1))


def sent_before(customer, *, purpose: str, ago: timedelta, status: str = Status.DELIVERED,
                template: SmsTemplate | None = None, phone: str | None = None) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        customer=customer, phone=phone or customer.mobile, text="之前的短信", purpose=purpose, template=template,
        idempotency_key=str(uuid.uuid4()), status=status, not_before=NOW - ago)
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=NOW - ago)
    return message


def candidates(*customers) -> list[Candidate]:
    return [Candidate(customer_id=c.pk, mobile=c.mobile) for c in customers]


def screen(items, *, purpose=Purpose.MARKETING, template=None):
    return services.recipients_screen(items, purpose=purpose, template=template, now=NOW)


@pytest.mark.django_db
def test_a_list_with_every_reason_counts_each_once_in_order():
    fine = [CustomerFactory(mobile=f"1390000000{n}") for n in range(3)]
    no_mobile = CustomerFactory(mobile="")
    no_mobile_and_refusing = CustomerFactory(mobile="")  # the number is checked first
    refuse(no_mobile_and_refusing, "any", "all")
    refuses_all, refuses_sms, opted_out = (CustomerFactory(mobile=f"1370000000{n}") for n in range(3))
    refuse(refuses_all, "any", "all")
    refuse(refuses_sms, "sms", "all")
    refuse(opted_out, "sms", "marketing")
    twin = CustomerFactory(mobile=fine[0].mobile)  # the same mobile as the first: the first keeps it
    capped = CustomerFactory(mobile="13600000001")
    sent_before(capped, purpose=Purpose.MARKETING, ago=timedelta(days=1))
    sent_before(capped, purpose=Purpose.MARKETING, ago=timedelta(days=6))
    items = [*candidates(*fine, no_mobile, no_mobile_and_refusing, refuses_all, refuses_sms, opted_out, twin, capped),
             Candidate(customer_id=fine[1].pk, mobile="12345")]
    result = screen(items)
    assert [c.customer_id for c in result.candidates] == [c.pk for c in fine]
    assert result.count == 3
    assert result.excluded == Counter({
        Exclusion.NO_MOBILE: 2, Exclusion.INVALID_MOBILE: 1, Exclusion.REFUSES_ALL: 1, Exclusion.REFUSES_SMS: 1,
        Exclusion.OPTED_OUT: 1, Exclusion.DUPLICATE_MOBILE: 1, Exclusion.WEEKLY_CAP: 1})
    assert sum(result.excluded.values()) + result.count == len(items)


@pytest.mark.django_db
def test_the_labels_are_in_the_readers_language_the_largest_first():
    from django.utils import translation

    people = [CustomerFactory(mobile="") for _ in range(2)] + [CustomerFactory(mobile="13700000001")]
    refuse(people[2], "sms", "marketing")
    result = screen(candidates(*people))
    with translation.override("en"):
        assert result.excluded_labels() == [("No mobile number", 2), ("Opted out of this purpose", 1)]


@pytest.mark.django_db
def test_the_same_mobile_twice_keeps_the_first_customer():
    first, second = CustomerFactory(mobile="13812345678"), CustomerFactory(mobile="13812345678")
    result = screen(candidates(second, first), purpose=Purpose.SERVICE)
    assert [c.customer_id for c in result.candidates] == [second.pk]
    assert result.excluded == Counter({Exclusion.DUPLICATE_MOBILE: 1})


@pytest.mark.django_db
def test_a_refusing_customer_does_not_take_the_number_from_the_next_one():
    refusing, other = CustomerFactory(mobile="13812345678"), CustomerFactory(mobile="13812345678")
    refuse(refusing, "sms", "marketing")
    result = screen(candidates(refusing, other))
    assert [c.customer_id for c in result.candidates] == [other.pk]
    assert result.excluded == Counter({Exclusion.OPTED_OUT: 1})


@pytest.mark.django_db
def test_marketing_refused_but_service_allowed_gets_the_service_message_only():
    customer = CustomerFactory(mobile="13812345678")
    refuse(customer, "sms", "marketing")
    refuse(customer, "sms", "service", allowed=True)
    assert screen(candidates(customer), purpose=Purpose.SERVICE).count == 1
    assert screen(candidates(customer), purpose=Purpose.MARKETING).excluded == Counter({Exclusion.OPTED_OUT: 1})


# --- the weekly cap of marketing messages ------------------------------------------------------------
@pytest.mark.django_db
def test_two_marketing_messages_in_the_last_7_days_reach_the_cap():
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=2))
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=7) - timedelta(minutes=1))
    assert screen(candidates(customer)).excluded == Counter({Exclusion.WEEKLY_CAP: 1})


@pytest.mark.django_db
def test_one_in_the_week_is_below_the_cap():
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=2))
    assert screen(candidates(customer)).count == 1


@pytest.mark.django_db
def test_a_message_older_than_7_days_does_not_count():
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=2))
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=7, minutes=1))
    assert screen(candidates(customer)).count == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.FAILED, Status.CANCELLED])
def test_failed_and_cancelled_messages_do_not_count(status):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=1))
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=1), status=status)
    assert screen(candidates(customer)).count == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.QUEUED, Status.SENDING, Status.SENT, Status.UNKNOWN])
def test_waiting_sending_and_unknown_messages_count(status):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=1))
    sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=1), status=status)
    assert screen(candidates(customer)).excluded == Counter({Exclusion.WEEKLY_CAP: 1})


@pytest.mark.django_db
def test_service_messages_do_not_count_and_are_not_capped():
    customer = CustomerFactory(mobile="13812345678")
    for day in (1, 2, 3):
        sent_before(customer, purpose=Purpose.SERVICE, ago=timedelta(days=day))
    assert screen(candidates(customer)).count == 1
    for day in (1, 2):
        sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=day))
    assert screen(candidates(customer), purpose=Purpose.SERVICE).count == 1


@pytest.mark.django_db
def test_a_cap_of_zero_is_no_cap(settings):
    settings.SMS_MARKETING_WEEKLY_CAP = 0
    customer = CustomerFactory(mobile="13812345678")
    for day in (1, 2, 3):
        sent_before(customer, purpose=Purpose.MARKETING, ago=timedelta(days=day))
    assert screen(candidates(customer)).count == 1


# --- the same template to the same number --------------------------------------------------------------
@pytest.fixture
def greeting(db):
    return SmsTemplate.objects.create(key="birthday", name="生日祝福", purpose=Purpose.CARE, text="生日快乐")


@pytest.mark.django_db
def test_the_same_template_to_the_same_number_today_is_left_out(greeting):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.CARE, ago=timedelta(hours=14, minutes=59), template=greeting)  # 00:01
    result = screen(candidates(customer), purpose=Purpose.CARE, template=greeting)
    assert result.excluded == Counter({Exclusion.SAME_TEMPLATE_TODAY: 1})


@pytest.mark.django_db
def test_today_is_the_stores_day_whatever_zone_the_clock_reads(greeting):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.CARE, ago=timedelta(hours=14, minutes=59), template=greeting)  # 00:01
    utc_now = NOW.astimezone(ZoneInfo("UTC"))  # what timezone.now() gives: 07:00 UTC
    result = services.recipients_screen(candidates(customer), purpose=Purpose.CARE, template=greeting, now=utc_now)
    assert result.excluded == Counter({Exclusion.SAME_TEMPLATE_TODAY: 1})


@pytest.mark.django_db
def test_the_same_template_yesterday_evening_or_another_template_today_goes(greeting):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.CARE, ago=timedelta(hours=15, minutes=1), template=greeting)  # 23:59
    other = SmsTemplate.objects.create(key="other", name="关怀", purpose=Purpose.CARE, text="天冷注意保暖")
    sent_before(customer, purpose=Purpose.CARE, ago=timedelta(hours=1), template=other)
    assert screen(candidates(customer), purpose=Purpose.CARE, template=greeting).count == 1


@pytest.mark.django_db
def test_the_number_counts_not_the_customer(greeting):
    before, now = CustomerFactory(mobile="13812345678"), CustomerFactory(mobile="13812345678")
    sent_before(before, purpose=Purpose.CARE, ago=timedelta(hours=1), template=greeting)
    result = screen(candidates(now), purpose=Purpose.CARE, template=greeting)
    assert result.excluded == Counter({Exclusion.SAME_TEMPLATE_TODAY: 1})


@pytest.mark.django_db
def test_a_failed_one_today_does_not_stop_the_template(greeting):
    customer = CustomerFactory(mobile="13812345678")
    sent_before(customer, purpose=Purpose.CARE, ago=timedelta(hours=1), template=greeting, status=Status.FAILED)
    assert screen(candidates(customer), purpose=Purpose.CARE, template=greeting).count == 1


# --- uploaded lists -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_uploaded_list_counts_bad_numbers_and_numbers_of_no_customer():
    known = CustomerFactory(mobile="13812345678")
    result = services.recipients_from_mobiles(
        mobiles=["13812345678", "", "0551-1234567", "13900000000", "13812345678"], purpose=Purpose.NOTICE, now=NOW)
    assert [c.customer_id for c in result.candidates] == [known.pk]
    assert result.excluded == Counter({Exclusion.NO_MOBILE: 1, Exclusion.INVALID_MOBILE: 1,
                                       Exclusion.NOT_A_CUSTOMER: 1, Exclusion.DUPLICATE_MOBILE: 1})
