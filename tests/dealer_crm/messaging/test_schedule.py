"""Quiet hours: 21:00–08:00 in the store's time zone by default; a non-exempt message waits for
their end, an exempt one (the confirmation of an appointment just booked) goes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from dealer_crm.messaging import schedule, services
from dealer_crm.messaging.models import OutboundMessage, Purpose, SmsTemplate
from tests.customers.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _default_quiet_hours(settings):
    settings.SMS_QUIET_HOURS = "21:00-08:00"


@pytest.mark.parametrize(("moment", "expected"), [
    (at(1, 20, 59), at(1, 20, 59)),  # the last minute of the day sends
    (at(1, 21, 0), at(2, 8, 0)),  # quiet from 21:00: waits until 08:00 the next day
    (at(1, 23, 30), at(2, 8, 0)),
    (at(2, 0, 30), at(2, 8, 0)),  # after midnight: 08:00 the same day
    (at(2, 7, 59), at(2, 8, 0)),
    (at(2, 8, 0), at(2, 8, 0)),  # 08:00 sends
    (at(2, 12, 0), at(2, 12, 0)),
])
def test_a_message_waits_for_the_end_of_the_quiet_hours(moment, expected):
    assert schedule.next_send_time(moment) == expected


def test_the_hours_are_the_stores_not_utc():
    # 13:30 UTC is 21:30 in Shanghai: quiet.
    moment = datetime(2026, 12, 1, 13, 30, tzinfo=ZoneInfo("UTC"))
    assert schedule.is_quiet(moment)
    assert schedule.next_send_time(moment) == at(2, 8, 0)


def test_an_exempt_message_goes_in_the_quiet_hours():
    assert schedule.next_send_time(at(1, 22, 0), exempt=True) == at(1, 22, 0)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_setting_means_no_quiet_hours(settings, value):
    settings.SMS_QUIET_HOURS = value
    assert schedule.quiet_hours() is None
    assert not schedule.is_quiet(at(1, 23, 0))
    assert schedule.next_send_time(at(1, 23, 0)) == at(1, 23, 0)


def test_a_window_that_does_not_cross_midnight(settings):
    settings.SMS_QUIET_HOURS = "12:00-14:00"
    assert schedule.next_send_time(at(1, 11, 59)) == at(1, 11, 59)
    assert schedule.next_send_time(at(1, 12, 0)) == at(1, 14, 0)
    assert schedule.next_send_time(at(1, 13, 59)) == at(1, 14, 0)
    assert schedule.next_send_time(at(1, 14, 0)) == at(1, 14, 0)
    assert schedule.next_send_time(at(1, 23, 0)) == at(1, 23, 0)


def test_a_window_of_no_length_is_none(settings):
    settings.SMS_QUIET_HOURS = "21:00-21:00"
    assert schedule.quiet_hours() is None


@pytest.mark.parametrize("value", ["21:00", "21:00-25:00", "nine-five", "21:00-08:00-09:00"])
def test_a_bad_setting_is_a_configuration_error(settings, value):
    settings.SMS_QUIET_HOURS = value
    with pytest.raises(ImproperlyConfigured, match="SMS_QUIET_HOURS"):
        schedule.quiet_hours()


# --- queueing follows the clock ------------------------------------------------------------------
@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", mobile="13812345678")


def _queue(customer, template, key):
    return services.message_queue(customer_id=customer.pk, purpose=template.purpose, template=template,
                                  idempotency_key=key).message


@pytest.mark.django_db
def test_a_reminder_queued_at_night_is_due_at_eight(customer):
    reminder = SmsTemplate.objects.create(key="maintenance", name="保养到期提醒", purpose=Purpose.SERVICE,
                                          text="{name}您好，您的爱车保养到期")
    with time_machine.travel(at(1, 21, 0), tick=False):
        message = _queue(customer, reminder, "k1")
    assert message.not_before == at(2, 8, 0)
    assert not message.quiet_hours_exempt
    with time_machine.travel(at(1, 20, 59), tick=False):
        message = _queue(customer, SmsTemplate.objects.create(
            key="maintenance2", name="保养", purpose=Purpose.SERVICE, text="保养到期"), "k2")
    assert message.not_before == at(1, 20, 59)


@pytest.mark.django_db
def test_an_appointment_confirmation_queued_at_night_is_due_at_once(customer):
    confirmation = SmsTemplate.objects.create(key="appointment", name="预约确认", purpose=Purpose.SERVICE,
                                              text="您已预约{date}到店", quiet_hours_exempt=True)
    with time_machine.travel(at(1, 22, 15), tick=False):
        message = _queue(customer, confirmation, "k1")
    assert message.not_before == at(1, 22, 15)
    assert OutboundMessage.objects.get().quiet_hours_exempt


def test_the_wait_ends_on_the_minute_of_the_end_whatever_the_seconds_of_the_queueing():
    moment = datetime(2026, 12, 1, 23, 15, 42, 123456, tzinfo=SHANGHAI)
    assert schedule.next_send_time(moment) == at(2, 8, 0)


def test_a_window_ending_at_midnight_holds_until_midnight(settings):
    settings.SMS_QUIET_HOURS = "22:00-00:00"
    assert schedule.next_send_time(at(1, 23, 30)) == at(2, 0, 0)
