"""The home panels: the lounge host's "customers in the lounge" (who waits, the minutes, red past an
hour) and the interviewer's "interviews today" (who waits in the lounge with no interview this year,
then today's interviews)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from customers import services as archive
from dealer_crm.home import PANELS
from events.care import services

from .conftest import AT_10, TODAY, at, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def test_the_lounge_panel_lists_who_waits_with_the_minutes(host, customer):
    long = archive.customer_create(by=None, name="李久等", mobile="13955550505")
    services.lounge_arrive(customer=long, by=host, arrived_at=at(8, 30))
    services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 45))
    shown = PANELS["lounge"].items(user=host, today=TODAY)
    assert shown.total == 2
    assert [(row.text, row.meta, row.tone) for row in shown.rows] == [("李久等", "90 分钟", "danger"),
                                                                      ("王建华", "15 分钟", "")]


def test_the_lounge_panel_is_on_the_host_s_home(login, host, customer):
    services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 45))
    page = html(login(host).get(reverse("home")))
    assert "王建华" in page and "15 分钟" in page


def test_the_interviews_panel_offers_who_waits_without_an_interview_then_today_s(interviewer, host, customer):
    met = archive.customer_create(by=None, name="李已访", mobile="13955550505")
    with time_machine.travel(AT_10 - timedelta(days=30), tick=False):
        services.interview_record(customer=met, by=interviewer)
    services.lounge_arrive(customer=met, by=host, arrived_at=at(9, 0))
    services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 30))
    done = services.interview_record(customer=archive.customer_create(by=None, name="赵今天", mobile="13955550606"),
                                     by=interviewer)
    shown = PANELS["interviews"].items(user=interviewer, today=TODAY)
    assert shown.total == 2
    assert shown.rows[0].text.startswith("王建华") and shown.rows[0].tone == "warning"
    assert shown.rows[1].text == f"{done.number} · 赵今天" and shown.rows[1].tone == "success"


def test_the_panels_are_empty_for_who_may_not_read_them(marketing, host, customer):
    services.lounge_arrive(customer=customer, by=host)
    assert PANELS["lounge"].items(user=marketing, today=TODAY).total == 0
    assert PANELS["interviews"].items(user=marketing, today=TODAY).total == 0


def test_the_panels_run_a_fixed_number_of_queries(interviewer, host, customer, django_assert_max_num_queries):
    for number in range(5):
        person = archive.customer_create(by=None, name=f"客户{number}", mobile=f"1395555{number:04d}")
        services.lounge_arrive(customer=person, by=host)
        services.interview_record(customer=person, by=interviewer)
    with django_assert_max_num_queries(1):
        PANELS["lounge"].items(user=host, today=TODAY)
    with django_assert_max_num_queries(4):
        PANELS["interviews"].items(user=interviewer, today=TODAY)
