"""The birthdays' demo: a small seeded store's greetings of the last two weeks and today's, and the
VIPs' calls, checked against the rules (one greeting a person a year, the archive outbox's own
greeting never doubled, calls within two hours of the shift's start). Seeded once for the module (a
transaction rolled back at its end)."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer
from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import OutboundMessage
from events.birthdays.days import month_days
from events.birthdays.demo import HISTORY_DAYS
from events.birthdays.demo import demo_seed as birthdays_seed
from events.birthdays.models import BirthdayGreeting
from followups.callbacks.models import Callback, CallbackKind
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules, seeded_scripts

from .conftest import birthday_defaults

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 14, 0, tzinfo=SHANGHAI)
CUSTOMERS = 1500


@pytest.fixture(scope="module")
def store(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), timezone.override(SHANGHAI), time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            default_callback_rules()
            seeded_scripts()
            birthday_defaults()
            for username, display, role in (("agent", "李娜", Role.CALLBACK_AGENT),
                                            ("supervisor", "刘芳", Role.DCRC_SUPERVISOR)):
                UserFactory(username=username, display_name=display, roles=[role])
            first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
            seed_customers(count=CUSTOMERS, seed=5, today=TODAY)
            ids = range(first, first + CUSTOMERS)
            # A few more important customers among those born in the days played (the seed makes 3% of them).
            for day in (TODAY - timedelta(days=3), TODAY - timedelta(days=1), TODAY):
                Customer.objects.filter(pk__in=sorted(born_on(day))[:2]).update(importance="vip")
            counts = birthdays_seed(seed=5, customer_ids=ids, now=NOW)
            again = birthdays_seed(seed=5, customer_ids=ids, now=NOW)
            yield {"ids": ids, "counts": counts, "again": again}
            transaction.set_rollback(True)


@pytest.fixture
def seeded(store, db):
    return store


def born_on(day: date) -> set[int]:
    pairs = month_days(day)
    return {pk for pk, birthday in Customer.objects.filter(birthday__isnull=False, birthday__lt=day)
            .values_list("id", "birthday") if (birthday.month, birthday.day) in pairs}


def test_every_customer_born_in_the_last_two_weeks_and_today_has_one_greeting(seeded):
    days = [TODAY - timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1)]
    for day in days:
        greeted = set(BirthdayGreeting.objects.filter(celebrated_on=day, family_member__isnull=True)
                      .values_list("customer_id", flat=True))
        assert greeted == born_on(day), day
    assert seeded["counts"]["birthdaygreeting"] > 40
    assert not BirthdayGreeting.objects.filter(celebrated_on__lt=TODAY - timedelta(days=HISTORY_DAYS)).exists()


def test_nobody_gets_two_birthday_texts_the_archives_demo_greeting_counts_as_the_days(seeded):
    texts = OutboundMessage.objects.filter(template__key__in=["birthday", "birthday_greeting"])
    per_customer = Counter(texts.values_list("customer_id", flat=True))
    assert per_customer and max(per_customer.values()) == 1
    kept = BirthdayGreeting.objects.filter(message__template__key="birthday")
    assert all(g.message.customer_id == g.customer_id for g in kept)


def test_past_texts_were_delivered_and_todays_went_after_the_quiet_hours(seeded):
    ours = OutboundMessage.objects.filter(template__key__in=["birthday_greeting", "birthday_child"])
    assert ours.exists()
    assert set(ours.values_list("status", flat=True)) == {"delivered"}
    for message in ours.filter(created_at__date__gte=TODAY - timedelta(days=1)):
        assert timezone.localtime(message.sent_at).time() >= time(8, 0)


def test_the_vips_calls_were_made_in_the_first_two_hours_and_todays_wait_in_the_queue(seeded):
    calls = Callback.objects.filter(kind=CallbackKind.BIRTHDAY)
    assert calls.exists()
    start = time(8, 30)
    for call in calls:
        customer = call.customer
        assert customer.importance in ("important", "vip")
        if call.created_on == TODAY:
            assert call.status == "open" and timezone.localtime(call.due_at).time() == start
        else:
            assert call.status == "completed"
            assert call.closed_at - datetime.combine(call.created_on, start, tzinfo=SHANGHAI) <= timedelta(hours=2)
            assert call.closed_by.username == "agent"
    # The script's satisfaction question was answered with a score, as an agent would.
    from followups.callbacks.models import Answer

    scores = list(Answer.objects.filter(response__callback__kind=CallbackKind.BIRTHDAY, question__kind="score")
                  .values_list("score", flat=True))
    assert scores and set(scores) <= set(range(8, 11))
    assert calls.filter(created_on=TODAY).count() == len(born_on(TODAY) & set(
        Customer.objects.filter(importance__in=["important", "vip"]).values_list("id", flat=True)))


def test_a_second_seed_adds_nothing(seeded):
    assert all(value == 0 for value in seeded["again"].values())


def test_the_page_shows_todays_greetings(seeded, client):
    from dealer_crm.accounts.models import User

    client.force_login(User.objects.get(username="agent"))
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("birthdays:birthday_list")).content.decode()
    assert html.count("birthday-today") == len(born_on(TODAY)) + BirthdayGreeting.objects.filter(
        celebrated_on=TODAY, family_member__isnull=False).count()
    assert "已发送" in html

