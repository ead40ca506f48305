"""The customer page's 会员 section: a member's number, tier, balances, the tier's benefits for staff,
how far the next tier is and when the points expire, with the links to the statement and to redeem;
入会 for a customer who is not a member; nothing (and no query) for a reader without the right; one
query whatever the member's history."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.membership.customer_page import membership_context

from .test_pages_support import NOW, clock, customer_with_car, element, html, member, service_manager, text_of

__all__ = ["clock"]
pytestmark = pytest.mark.django_db


def page_of(client, customer) -> str:
    return html(client.get(reverse("customers:detail", args=[customer.pk])))


def test_a_members_section_shows_tier_balances_benefits_and_expiry(login, clock):
    found = member("王建华", points=12_000, joined=date(2025, 7, 1))
    page = page_of(login(service_manager()), found.customer)
    section = element(page, "section-membership", "section")
    assert "会员" in text_of(element(section, "section-membership-heading", "h2"))
    assert text_of(element(section, "membership-number", "a")) == found.number
    assert text_of(element(section, "membership-tier", "span")) == "银卡"
    assert text_of(element(section, "membership-usable", "dd")) == "12000"
    assert text_of(element(section, "membership-cumulative", "dd")) == "12000 · 距金卡还差 18000"
    assert text_of(element(section, "membership-expiry", "dd")) == "2027-01-01（如无付费回厂）"
    # 银卡's benefits as migration 0003 ships them, one by one
    assert [text_of(item) for item in re.findall(r"<li>(.*?)</li>", section)] == [
        "普卡权益", "每次保养免费洗车", "工时费9.5折"]
    assert f'href="/members/{found.pk}/"' in section and f'href="/members/{found.pk}/redeem/"' in section
    assert "membership-enrol-link" not in section


def test_a_reader_who_may_not_redeem_gets_the_statement_only(login, general_manager, clock):
    found = member("王建华", points=500)
    section = element(page_of(login(general_manager), found.customer), "section-membership", "section")
    assert "membership-statement-link" in section and "membership-redeem-link" not in section


def test_a_customer_who_is_not_a_member_is_offered_enrolment(login, general_manager, clock):
    customer, _car = customer_with_car("李秀英")
    section = element(page_of(login(service_manager()), customer), "section-membership", "section")
    assert "非会员" in text_of(element(section, "membership-none", "p"))
    assert f'href="/members/enrol/{customer.pk}/"' in section and "入会" in section
    section = element(page_of(login(general_manager), customer), "section-membership", "section")
    assert "membership-enrol-link" not in section  # the general manager reads, does not enrol


def test_a_reader_without_the_right_sees_no_section_and_costs_no_query(login, agent, clock):
    found = member("王建华", points=500)
    client = login(agent)  # the callback agents do not keep the club
    client.get(reverse("customers:detail", args=[found.customer.pk]))
    with CaptureQueriesContext(connection) as captured:
        page = page_of(client, found.customer)
    assert 'id="section-membership"' not in page
    assert not [query for query in captured if "membership_" in query["sql"]]


def test_the_section_reads_one_query_whatever_the_members_history(login, clock, django_assert_num_queries):
    from customers.membership.services import points_adjust, points_earn_visit

    from .test_pages_support import at, paid_visit, supervisor_user

    found = member("王建华", points=800)
    stranger, _car = customer_with_car("李秀英")
    user = service_manager()
    user.has_perm("membership.add_member")  # the rights are read once per request, before the sections
    with django_assert_num_queries(1):
        assert membership_context(customer=stranger, user=user, now=timezone.now())["member"] is None
    with django_assert_num_queries(1):
        membership_context(customer=found.customer, user=user, now=timezone.now())
    boss = supervisor_user()
    for n in range(8):
        day = date(2026, 2, 1 + n)
        points_earn_visit(visit=paid_visit(found.vehicle, on=day, total="5000.00"), now=at(day))
        points_adjust(member=found, points=10, by=boss, note=f"补录{n}", now=NOW)
    with django_assert_num_queries(1):
        context = membership_context(customer=found.customer, user=user, now=timezone.now())
    found = context["member"]
    assert (found.usable, found.tier.name, context["to_next"]) == (40_880, "金卡", 19_120)  # 白金卡 from 60,000
