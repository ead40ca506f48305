"""The customer page's 面访与客休 section: the last interviews and lounge visits, the buttons 面访 and
客休登记 for who may use them, two queries whatever the history."""

import pytest
import time_machine
from django.urls import reverse

from events.care import services
from events.care.models import LoungeVisit

from .conftest import AT_10, at, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def page_of(client, customer) -> str:
    return html(client.get(reverse("customers:detail", args=[customer.pk])))


def test_it_lists_the_interviews_and_lounge_visits_with_the_buttons(login, interviewer, host, customer, gifts):
    interview = services.interview_record(customer=customer, by=interviewer, summary="谈了孩子上学", gift=gifts["tea"],
                                          suggestions=[{"text": "好"}])
    visit = services.lounge_arrive(customer=customer, by=host, arrived_at=at(9, 0))
    services.lounge_visit_update(visit=visit, by=host, offered=["coffee"], needs="想换轮胎")
    services.lounge_leave(visit=visit, by=host)
    page = page_of(login(interviewer), customer)
    assert 'id="section-care"' in page and f'id="care-interview-{interview.pk}"' in page
    assert "谈了孩子上学" in page and "黄山毛峰礼盒" in page and "1 条建议" in page
    assert f'id="care-visit-{visit.pk}"' in page and "60 分钟" in page and "想换轮胎" in page
    assert 'id="care-interview-new"' in page and f'id="arrive-{customer.pk}"' in page


def test_the_seat_button_is_gone_while_they_wait_and_a_tap_opens_the_visit_form(login, host, customer):
    client = login(host)
    response = client.post(reverse("care:lounge_arrive"), {"customer": customer.pk, "next": "visit"})
    visit = LoungeVisit.objects.get()
    assert response["Location"] == reverse("care:lounge_visit", args=[visit.pk])
    page = page_of(client, customer)
    assert f'id="arrive-{customer.pk}"' not in page and "正在等候" in page


def test_an_empty_section_says_so(login, host, customer):
    assert 'id="care-empty"' in page_of(login(host), customer)


def test_a_reader_without_the_right_sees_no_section(login, marketing, customer):
    assert 'id="section-care"' not in page_of(login(marketing), customer)


def test_the_section_costs_two_queries_whatever_the_history(interviewer, host, customer, django_assert_num_queries):
    from events.care.customer_page import care_context

    services.interview_record(customer=customer, by=interviewer)
    with django_assert_num_queries(2):
        care_context(customer=customer, user=interviewer, now=AT_10)
    for _ in range(4):
        services.interview_record(customer=customer, by=interviewer, suggestions=[{"text": "好"}])
        visit = services.lounge_arrive(customer=customer, by=host)
        services.lounge_leave(visit=visit, by=host)
    with django_assert_num_queries(2):
        section = care_context(customer=customer, user=interviewer, now=AT_10)
    assert len(section["interviews"]) == 5 and len(section["visits"]) == 4
