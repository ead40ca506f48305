"""The customer page's 礼品 section: the customer's gift requests, the latest first, with their state
and the child's name, and the 申请礼品 button for who may ask; one query whatever their history."""

import pytest
from django.urls import reverse

from .conftest import ask, html

pytestmark = pytest.mark.django_db


def section(page: str) -> str:
    start = page.index('id="section-gifts"')
    return page[start:page.index("</section>", start)]


def test_the_section_lists_the_customer_requests_with_the_request_button(login, interviewer, customer, store):
    page = section(html(login(interviewer).get(reverse("customers:detail", args=[customer.pk]))))
    assert "礼品" in page
    assert f'id="gift-request-{store["waiting"].pk}"' in page and f'id="gift-request-{store["approved"].pk}"' in page
    assert f'id="gift-request-{store["sent"].pk}"' not in page  # another customer's
    assert "儿童绘本套装" in page and "孩子生日（王小宝）" in page and "待审批" in page and "已批准" in page
    assert page.index(store["approved"].number) < page.index(store["waiting"].number)  # the latest first
    assert f'href="/gifts/new/?customer={customer.pk}"' in page and "申请礼品" in page


def test_a_customer_without_gifts_says_so(login, interviewer, customer):
    page = section(html(login(interviewer).get(reverse("customers:detail", args=[customer.pk]))))
    assert "还没有为该客户申请过礼品。" in page


def test_a_role_without_the_gifts_right_has_no_section(login, customer, store):
    from dealer_crm.accounts.roles import Role
    from tests.factories import UserFactory

    lounge = UserFactory(username="lounge_x", roles=[Role.LOUNGE_HOST])
    page = html(login(lounge).get(reverse("customers:detail", args=[customer.pk])))
    assert 'id="section-gifts"' not in page


def test_the_section_costs_the_same_queries_whatever_the_history(login, interviewer, customer, cup, clock,
                                                                 django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(interviewer)
    url = reverse("customers:detail", args=[customer.pk])
    ask(by=interviewer, customer=customer, gift=cup)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(6):
        ask(by=interviewer, customer=customer, gift=cup)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_an_agent_sees_only_the_requests_they_made_there(login, agent, customer, store, cup):
    """Who asks for gifts without deciding or sending them opens only their own requests, so the section
    shows them only theirs: no cost, tracking number or the GM's comment of another's, no link refused."""
    mine = ask(by=agent, customer=customer, gift=cup)
    page = section(html(login(agent).get(reverse("customers:detail", args=[customer.pk]))))
    assert f'id="gift-request-{mine.pk}"' in page
    assert f'id="gift-request-{store["waiting"].pk}"' not in page
    assert f'id="gift-request-{store["approved"].pk}"' not in page
