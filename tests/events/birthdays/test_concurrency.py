"""Two runs of the birthday job at once (a retried task beside beat's, two servers): each on its own
database connection, they greet each person once, send each SMS once and queue each call once."""

import threading
import time
from datetime import date

import pytest
from django.db import connections, transaction

from dealer_crm.messaging.models import OutboundMessage
from events.birthdays.models import BirthdayGreeting
from events.birthdays.services import birthdays_greet
from followups.callbacks.models import Callback, CallbackKind

from .conftest import at, child, customer

DAY = date(2026, 12, 3)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_greet_each_person_once():
    for n in range(6):
        parent = customer(name=f"客户{n}", born=date(1970 + n, 12, 3), importance=["normal", "vip"][n % 2])
        child(parent, name=f"孩子{n}", born=date(2012 + n, 12, 3))
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            with transaction.atomic():  # held open a moment: the other run's inserts meet these rows
                results.append(birthdays_greet(on=DAY, now=at(DAY)))
                time.sleep(0.3)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert BirthdayGreeting.objects.count() == 12  # 6 customers and 6 children
    assert OutboundMessage.objects.count() == 12  # each customer's own and their child's
    assert Callback.objects.filter(kind=CallbackKind.BIRTHDAY).count() == 3
    # Between them the two runs made each row once.
    assert sorted(result["created"] for result in results) == [0, 12]
    assert sum(result["sms"] for result in results) == 12 and sum(result["calls"] for result in results) == 3
