"""The lounge board (/care/lounge/): who waits now with the minutes waited, one tap when they leave,
today's appointments and repair orders of people not in the lounge to seat with one tap, a search for
anyone else; the lounge visit's form (what was offered and learned, nothing lost on error); who may do
what; a fixed number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from customers import services as archive
from customers.models import TimelineEntry
from events.care import services
from events.care.models import LoungeVisit
from tests.customers.factories import make_vehicle
from tests.followups.factories import book, service_visit

from .conftest import AT_10, TODAY, at, html

pytestmark = pytest.mark.django_db
BOARD = reverse("care:lounge")
ARRIVE = reverse("care:lounge_arrive")


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def test_the_board_shows_who_waits_and_for_how_long(login, host, customer):
    long = archive.customer_create(by=None, name="李久等", mobile="13955550505")
    services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 35))
    services.lounge_arrive(customer=long, by=host, arrived_at=at(8, 50))
    page = html(login(host).get(BOARD))
    assert page.index("李久等") < page.index("王建华")  # the longest waiting first
    assert "70 分钟" in page and "25 分钟" in page and "care-long-wait" in page
    assert "2 人等候中" in page


def test_an_empty_lounge_says_so(login, host):
    page = html(login(host).get(BOARD))
    assert 'id="lounge-empty"' in page and "客休区目前没有等候的客户" in page


def test_today_s_appointments_and_repair_orders_are_offered_to_seat(login, host, customer, vehicle):
    appointment = book(vehicle, at=at(11, 0))
    walk_in = archive.customer_create(by=None, name="赵进店", mobile="13955550606")
    order = service_visit(make_vehicle(walk_in, serial=702, plate="皖B54321"), on=TODAY)
    yesterday = archive.customer_create(by=None, name="钱昨天", mobile="13955550707")
    service_visit(make_vehicle(yesterday, serial=703), on=TODAY - timedelta(days=1))
    page = html(login(host).get(BOARD))
    assert f'id="expected-{customer.pk}"' in page and "预约 11:00" in page
    assert f'id="expected-{walk_in.pk}"' in page and order.ro_number in page
    assert "钱昨天" not in page
    response = login(host).post(ARRIVE, {"customer": customer.pk, "appointment": appointment.pk})
    assert response.status_code == 302
    visit = LoungeVisit.objects.get(customer=customer)
    assert visit.appointment == appointment and visit.host == host
    page = html(login(host).get(BOARD))
    assert f'id="expected-{customer.pk}"' not in page and f'id="waiting-{visit.pk}"' in page


def test_a_search_finds_anyone_to_seat(login, host, customer):
    page = html(login(host).get(BOARD, {"q": "王建华"}))
    assert f'id="hit-{customer.pk}"' in page and "139****0101" in page
    assert html(login(host).get(BOARD, {"q": "没有这个人"})).count('id="lounge-no-hit"') == 1


def test_a_second_tap_says_they_are_already_waiting(login, host, customer):
    client = login(host)
    client.post(ARRIVE, {"customer": customer.pk})
    page = html(client.post(ARRIVE, {"customer": customer.pk}, follow=True))
    assert "已在客休区" in page and LoungeVisit.objects.count() == 1


def test_one_tap_when_they_leave(login, host, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 20))
    client = login(host)
    page = html(client.post(reverse("care:lounge_leave", args=[visit.pk]), follow=True))
    visit.refresh_from_db()
    assert visit.left_at == AT_10 and "等候 40 分钟" in page
    assert f'id="left-{visit.pk}"' in page and f'id="waiting-{visit.pk}"' not in page
    again = html(client.post(reverse("care:lounge_leave", args=[visit.pk]), follow=True))
    assert "已于 10:00 离开客休区" in again


def test_the_visit_form_saves_what_was_offered_and_learned(login, host, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    client = login(host)
    url = reverse("care:lounge_visit", args=[visit.pk])
    page = html(client.get(url))
    assert "钓鱼" in page  # the file's interests as they are
    import re

    token = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    response = client.post(url, {"opened": token, "offered": ["coffee", "fruit"], "offered_note": "",
                                 "occupation": "律师", "social_level": "律师协会", "interests": "钓鱼",
                                 "needs": "想看看新款科雷傲", "note": ""})
    assert response.status_code == 302
    visit.refresh_from_db()
    customer.refresh_from_db()
    assert visit.offered == ["coffee", "fruit"] and visit.needs == "想看看新款科雷傲"
    assert (customer.occupation, customer.social_level) == ("律师", "律师协会")
    board = html(client.get(BOARD))
    assert "咖啡、水果" in board


def test_the_visit_form_keeps_what_was_typed_when_refused(login, host, supervisor, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    client = login(host)
    url = reverse("care:lounge_visit", args=[visit.pk])
    import re

    token = re.search(r'name="opened" value="([^"]+)"', html(client.get(url))).group(1)
    archive.customer_update(customer=customer, by=supervisor, occupation="医生")
    response = client.post(url, {"opened": token, "offered": ["tea"], "occupation": "律师", "social_level": "",
                                 "interests": "钓鱼", "needs": "要换轮胎", "note": "很健谈"})
    page = html(response)
    assert response.status_code == 400 and "医生" in page
    for typed in ("律师", "要换轮胎", "很健谈"):
        assert typed in page
    import re as pattern

    assert pattern.search(r'<input type="checkbox" name="offered" value="tea"[^>]* checked', page)


def test_who_may_not_host_is_refused(login, marketing, customer):
    client = login(marketing)
    assert client.get(BOARD).status_code == 403
    assert client.post(ARRIVE, {"customer": customer.pk}).status_code == 403


def test_the_general_manager_reads_the_board_without_buttons(login, general_manager, host, customer):
    visit = services.lounge_arrive(customer=customer, by=host)
    page = html(login(general_manager).get(BOARD))
    assert f'id="waiting-{visit.pk}"' in page and f'id="leave-{visit.pk}"' not in page
    assert 'id="lounge-search"' not in page
    assert login(general_manager).post(reverse("care:lounge_leave", args=[visit.pk])).status_code == 403


def test_the_board_runs_the_same_queries_for_few_and_many(login, host, customer, vehicle, django_assert_max_num_queries):
    client = login(host)
    services.lounge_arrive(customer=customer, by=host)
    client.get(BOARD)
    with django_assert_max_num_queries(12) as few:
        assert client.get(BOARD).status_code == 200
    for number in range(6):
        person = archive.customer_create(by=None, name=f"客户{number}", mobile=f"1395555{number:04d}")
        car = make_vehicle(person, serial=800 + number, plate=f"皖B8{number:04d}")
        order = service_visit(car, on=TODAY)
        if number % 2:
            visit = services.lounge_arrive(customer=person, by=host, service_visit=order)
            services.lounge_visit_update(visit=visit, by=host, offered=["tea"])
            if number == 5:
                services.lounge_leave(visit=visit, by=host)
        else:
            book(car, at=at(14, number))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(BOARD).status_code == 200


def test_arrival_and_leaving_are_on_the_customer_s_timeline_page(login, host, supervisor, customer):
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 0))
    services.lounge_leave(visit=visit, by=host)
    page = html(login(supervisor).get(reverse("customers:detail", args=[customer.pk])))
    assert "在客休区等候" in page and "离开客休区，等候 60 分钟" in page
    assert TimelineEntry.objects.filter(customer=customer, kind="lounge").count() == 2


def test_the_visit_form_runs_a_fixed_number_of_queries(login, host, customer, vehicle, django_assert_max_num_queries):
    appointment = book(vehicle, at=at(9, 30), status="arrived")
    visit = services.lounge_arrive(customer=customer, by=host, appointment=appointment,
                                   service_visit=service_visit(vehicle, on=TODAY))
    client = login(host)
    url = reverse("care:lounge_visit", args=[visit.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        page = html(client.get(url))
    assert "预约 09:30" in page and "皖B12345" in page
