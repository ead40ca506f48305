"""The lounge's services: an arrival (for today's appointment or repair order, or just in; once at a
time, also when two taps race), leaving (once; the minutes waited and what was offered on the timeline),
what was offered and learned (the job, social circle and interests into the file through the archive,
the needs with the visit)."""

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from customers import services as archive
from customers.edits import fingerprints
from customers.models import TimelineEntry
from customers.timeline import entry_text
from events.care import services
from events.care.models import LoungeVisit
from tests.followups.factories import book, service_visit

from .conftest import AT_10, TODAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def texts(customer):
    return [entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body)
            for entry in TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.LOUNGE)
            .order_by("occurred_at", "id")]


def test_an_arrival_for_today_s_appointment_brings_its_repair_order(host, customer, vehicle):
    appointment = book(vehicle, at=at(9, 30), status="arrived")
    order = service_visit(vehicle, on=TODAY)
    appointment.visit = order
    appointment.save(update_fields=["visit"])
    visit = services.lounge_arrive(customer=customer, by=host, appointment=appointment, arrived_at=at(9, 40))
    assert (visit.appointment, visit.service_visit, visit.arrived_at, visit.host, visit.left_at) == (
        appointment, order, at(9, 40), host, None)
    (arrived,) = texts(customer)
    assert "09:30" in arrived.body and order.ro_number in arrived.body


def test_a_second_arrival_while_waiting_is_refused(host, customer):
    services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 15))
    with pytest.raises(services.CareError, match="09:15"):
        services.lounge_arrive(customer=customer, by=host)
    assert LoungeVisit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_taps_at_once_seat_the_customer_once(host, customer):
    outcomes, barrier = [], threading.Barrier(2)

    def tap():
        try:
            barrier.wait()
            services.lounge_arrive(customer=customer, by=host)
            outcomes.append("seated")
        except services.CareError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "seated"]
    assert LoungeVisit.objects.filter(customer=customer, left_at__isnull=True).count() == 1


def test_someone_else_s_appointment_or_repair_order_is_refused(host, customer, vehicle):
    other = archive.customer_create(by=None, name="李四", mobile="13955550303")
    appointment = book(vehicle, at=at(9, 30))
    with pytest.raises(services.CareError):
        services.lounge_arrive(customer=other, by=host, appointment=appointment)
    with pytest.raises(services.CareError):
        services.lounge_arrive(customer=other, by=host, service_visit=service_visit(vehicle, on=TODAY))


def test_leaving_records_the_minutes_waited_and_what_they_had(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 12))
    services.lounge_visit_update(visit=visit, by=host, offered=["coffee", "snacks"], offered_note="橙子")
    visit = services.lounge_leave(visit=visit, by=host)
    assert visit.left_at == AT_10 and visit.minutes_waited() == 48 and visit.left_by == host
    left = texts(customer)[-1]
    assert left.title in ("离开客休区，等候 48 分钟", "Left the lounge after 48 minutes")
    assert "橙子" in left.body


def test_leaving_twice_says_when_they_left(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 0))
    services.lounge_leave(visit=visit, by=host, left_at=at(9, 50))
    with pytest.raises(services.CareError, match="09:50"):
        services.lounge_leave(visit=visit, by=host)
    assert TimelineEntry.objects.filter(customer=customer, kind="lounge", params__variant="left").count() == 1


def test_leaving_before_arriving_is_refused(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 30))
    with pytest.raises(services.CareError):
        services.lounge_leave(visit=visit, by=host, left_at=at(9, 0))


def test_after_leaving_the_customer_may_come_back_later(host, customer):
    first = services.lounge_arrive(customer=customer, by=host, arrived_at=at(8, 0))
    services.lounge_leave(visit=first, by=host, left_at=at(8, 30))
    second = services.lounge_arrive(customer=customer, by=host)
    assert second.pk != first.pk and second.is_waiting


def test_what_was_learned_goes_into_the_file_and_the_needs_stay_with_the_visit(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    base = fingerprints({name: getattr(customer, name) for name in ("occupation", "social_level", "interests")})
    visit = services.lounge_visit_update(visit=visit, by=host, offered=["tea"], needs="轮胎快换了，想了解优惠",
                                         file={"occupation": "建筑工程师", "social_level": "", "interests": "钓鱼、登山"},
                                         file_base=base)
    customer.refresh_from_db()
    assert (customer.occupation, customer.interests) == ("建筑工程师", "钓鱼、登山")
    assert customer.history.order_by("-history_id").first().history_user == host
    assert visit.needs == "轮胎快换了，想了解优惠" and visit.file_fields == ["interests", "occupation"]
    learned = texts(customer)[-1]
    assert learned.body == "轮胎快换了，想了解优惠"


def test_saving_the_same_again_adds_nothing_to_the_timeline(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    services.lounge_visit_update(visit=visit, by=host, needs="想换车")
    services.lounge_visit_update(visit=visit, by=host, needs="想换车", offered=["water"])
    assert TimelineEntry.objects.filter(customer=customer, kind="lounge", params__variant="learned").count() == 1


def test_an_offer_not_on_the_list_is_refused(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    with pytest.raises(services.CareError):
        services.lounge_visit_update(visit=visit, by=host, offered=["champagne"])


def test_a_colleague_without_the_right_is_refused(marketing, customer):
    with pytest.raises(PermissionDenied):
        services.lounge_arrive(customer=customer, by=marketing)


def test_minutes_waited_count_to_now_while_waiting(host, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 20))
    assert visit.minutes_waited(AT_10 + timedelta(seconds=59)) == 40
    assert date(2026, 12, 3) == TODAY
