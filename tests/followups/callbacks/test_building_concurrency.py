"""Two builds of the same day at once (beat and a click on 运行, or two catch-ups), each on its own
connection: the database's one-per-source constraint lets each callback in once."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Count

from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.models import Callback
from followups.callbacks.services.building import callbacks_build
from tests.followups.factories import default_callback_rules, deliver, refuse, repair_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = date(2026, 6, 1)
ON = DELIVERED + timedelta(days=7)


@pytest.mark.django_db(transaction=True)
def test_two_builds_at_once_queue_each_callback_once_and_send_each_sms_once():
    default_callback_rules()
    for n in range(40):
        vehicle = deliver(on=DELIVERED - timedelta(days=n % 5))
        repair_order(vehicle, closed_on=ON - timedelta(days=3 + n % 4))
        if n % 10 == 0:
            refuse(vehicle.roles.get().customer, channel="phone", purpose="service")
    now = datetime.combine(ON, time(5, 30), tzinfo=SHANGHAI)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(5)
            results.append(callbacks_build(on=ON, now=now))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(results) == 2
    built = Callback.objects.count()
    assert built > 100
    created = sum(counts["thank_you"] + counts["ssi"] + counts["csi"] for counts in results)
    assert created == built
    assert not Callback.objects.values("customer", "vehicle", "kind", "source_key").annotate(
        n=Count("id")).filter(n__gt=1).exists()
    routed = Callback.objects.filter(status=Callback.Status.SMS_SENT)
    assert routed.exists()
    assert OutboundMessage.objects.count() == routed.count()
    assert sum(counts["sms_sent"] for counts in results) == routed.count()
    # and a third run, after both, finds nothing more
    assert callbacks_build(on=ON, now=now) == {"thank_you": 0, "ssi": 0, "csi": 0, "sms_sent": 0, "skipped": 0}
