"""The day's greetings (`birthdays_greet`, the daily job birthdays.greet): a customer's greeting SMS
on the day, a child's to the parent, the birthday call of important customers; never twice, whatever
reruns; 29 February in a common year; the customers' preferences."""

from datetime import date, timedelta

import pytest
import time_machine

from dealer_crm.messaging.models import OutboundMessage, Purpose
from events.birthdays.models import BirthdayGreeting
from events.birthdays.services import birthdays_greet
from followups.callbacks.models import Callback, CallbackKind, CallbackRule
from tests.followups.factories import refuse

from .conftest import at, child, customer

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 3)


def greet(day: date = DAY, hour: int = 5, minute: int = 30) -> dict:
    with time_machine.travel(at(day, hour, minute), tick=False):
        return birthdays_greet(on=day)


def test_a_customer_born_on_the_day_gets_one_care_sms_with_the_greeting_text():
    wang = customer(born=date(1980, 12, 3))
    customer(name="李四", born=date(1980, 12, 4))  # tomorrow: nothing today
    customer(name="赵六", born=None)

    counts = greet()

    assert (counts["created"], counts["sms"], counts["refused"]) == (1, 1, 0)
    message = OutboundMessage.objects.get()
    assert message.customer == wang and message.purpose == Purpose.CARE
    assert message.text.startswith("王建国先生您好，今天是您的生日，") and "生日快乐" in message.text
    assert message.idempotency_key == f"birthday:{wang.pk}:2026"
    # quiet hours: written at 05:30, it waits for 08:00
    assert message.not_before == at(DAY, 8, 0)
    greeting = BirthdayGreeting.objects.get()
    assert (greeting.customer, greeting.family_member, greeting.year, greeting.age, greeting.status,
            greeting.message) == (wang, None, 2026, 46, "queued", message)


def test_a_second_run_the_same_day_and_a_run_the_next_day_greet_nobody_twice():
    customer(born=date(1980, 12, 3))
    greet()
    assert greet()["created"] == 0
    assert greet(hour=14)["sms"] == 0
    assert (BirthdayGreeting.objects.count(), OutboundMessage.objects.count()) == (1, 1)


def test_the_sms_key_holds_even_when_the_greeting_row_is_gone():
    customer(born=date(1980, 12, 3))
    greet()
    BirthdayGreeting.objects.all().delete()

    counts = greet()

    # the row is made again, but the platform already has the year's key: no second SMS
    assert counts["created"] == 1
    assert OutboundMessage.objects.count() == 1
    assert BirthdayGreeting.objects.get().message == OutboundMessage.objects.get()


def test_a_child_born_on_the_day_greets_the_parent_once_for_twins_too():
    parent = customer(born=date(1979, 5, 1))
    child(parent, name="王小明", born=date(2018, 12, 3))
    child(parent, name="王小红", born=date(2018, 12, 3))
    child(parent, name="王大宝", born=date(2015, 12, 4))
    child(parent, name="刘芳", born=date(1982, 12, 3), relation="spouse")  # only children

    counts = greet()

    assert (counts["created"], counts["children"], counts["sms"]) == (2, 2, 2)
    message = OutboundMessage.objects.get()
    assert message.customer == parent and message.purpose == Purpose.CARE
    assert "12月3日是您孩子的生日" in message.text
    greetings = BirthdayGreeting.objects.order_by("family_member__name")
    assert [(g.family_member.name, g.age, g.message) for g in greetings] == [("王小明", 8, message),
                                                                               ("王小红", 8, message)]


def test_a_customer_who_refuses_greetings_by_sms_is_recorded_refused_with_the_reason():
    wang = customer(born=date(1980, 12, 3))
    refuse(wang, channel="sms", purpose="care")
    no_mobile = customer(name="李四", born=date(1975, 12, 3), mobile="")

    counts = greet()

    assert (counts["created"], counts["sms"], counts["refused"]) == (2, 0, 2)
    assert OutboundMessage.objects.count() == 0
    reasons = dict(BirthdayGreeting.objects.values_list("customer_id", "refused_reason"))
    assert reasons == {wang.pk: "opted_out", no_mobile.pk: "no_mobile"}  # the platform's words
    assert set(BirthdayGreeting.objects.values_list("status", flat=True)) == {"refused"}
    assert greet()["created"] == 0  # refused once, not tried again


def test_a_customer_who_refuses_service_texts_only_still_gets_the_greeting():
    wang = customer(born=date(1980, 12, 3))
    refuse(wang, channel="sms", purpose="service")
    assert greet()["sms"] == 1


@pytest.mark.parametrize("day, greeted", [(date(2027, 2, 28), True), (date(2027, 3, 1), False),
                                          (date(2028, 2, 28), False), (date(2028, 2, 29), True)])
def test_a_29_february_birthday_is_greeted_on_28_february_of_a_common_year(day, greeted):
    leap = customer(born=date(1988, 2, 29))
    counts = greet(day)
    assert counts["created"] == (1 if greeted else 0)
    if greeted:
        greeting = BirthdayGreeting.objects.get(customer=leap)
        assert (greeting.celebrated_on, greeting.age) == (day, day.year - 1988)


def test_an_important_customer_gets_one_birthday_call_due_at_the_shifts_start():
    vip = customer(born=date(1970, 12, 3), importance="vip")
    important = customer(name="李四", born=date(1972, 12, 3), importance="important")
    customer(name="赵六", born=date(1972, 12, 3))  # normal: the SMS only

    counts = greet()

    assert counts["calls"] == 2
    calls = {call.customer_id: call for call in Callback.objects.filter(kind=CallbackKind.BIRTHDAY)}
    assert set(calls) == {vip.pk, important.pk}
    rule = CallbackRule.objects.get(kind="birthday", visit_kind="")
    for call in calls.values():
        assert call.due_at == at(DAY, 8, 30) and call.expires_at == at(DAY + timedelta(days=2), 0, 0)
        assert call.source_key == "birthday:2026" and call.rule == rule and call.status == "open"
    assert calls[vip.pk].priority > calls[important.pk].priority > rule.priority - 1
    assert BirthdayGreeting.objects.get(customer=vip).callback == calls[vip.pk]
    greet()
    greet(hour=11)
    assert Callback.objects.filter(kind=CallbackKind.BIRTHDAY).count() == 2


def test_a_job_run_after_the_shift_started_makes_the_call_due_at_once():
    customer(born=date(1970, 12, 3), importance="vip")
    greet(hour=10, minute=15)
    assert Callback.objects.get().due_at == at(DAY, 10, 15)


def test_an_important_customer_who_takes_no_calls_gets_no_call_and_the_greeting_says_why():
    vip = customer(born=date(1970, 12, 3), importance="vip")
    refuse(vip, channel="phone", purpose="care")
    counts = greet()
    assert (counts["calls"], counts["no_call"], counts["sms"]) == (0, 1, 1)
    assert BirthdayGreeting.objects.get().call_skipped == "refuses_calls"


def test_the_birthday_call_rule_turned_off_makes_no_calls():
    customer(born=date(1970, 12, 3), importance="vip")
    CallbackRule.objects.filter(kind="birthday").update(enabled=False)
    assert greet()["calls"] == 0
    assert BirthdayGreeting.objects.get().call_skipped == "calls_off"


def test_merged_customers_and_those_born_later_are_not_greeted():
    survivor = customer(born=date(1980, 12, 3))
    duplicate = customer(name="王建国", born=date(1980, 12, 3))
    from customers.models import Customer

    Customer.all_objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    customer(name="新生", born=DAY)  # born today: the first birthday is next year
    assert greet()["created"] == 1


def test_the_daily_job_greets_today_and_makes_nothing_for_a_missed_day():
    from dealer_crm.jobs.registry import registered_jobs

    customer(born=date(1980, 12, 2))
    customer(name="李四", born=date(1980, 12, 3))
    job = next(job for job in registered_jobs() if job.name == "birthdays.greet")
    with time_machine.travel(at(DAY), tick=False):
        assert job.func(on=DAY - timedelta(days=1))["created"] == 0
        assert job.func(on=DAY) == {"created": 1, "sms": 1, "calls": 0, "skipped": 0}


def test_an_important_customer_greeted_before_the_calls_gets_the_call_on_the_next_run():
    vip = customer(born=date(1970, 12, 3), importance="vip")
    with time_machine.travel(at(DAY), tick=False):  # a greeting recorded otherwise (the demo's outbox, by hand)
        from django.utils import timezone

        BirthdayGreeting.objects.create(customer=vip, year=2026, celebrated_on=DAY, age=56, created_at=timezone.now())
    counts = greet()
    assert (counts["created"], counts["sms"], counts["calls"]) == (0, 0, 1)
    assert BirthdayGreeting.objects.get().callback == Callback.objects.get(customer=vip)
    assert greet()["calls"] == 0
