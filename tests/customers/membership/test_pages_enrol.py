"""Enrolling (入会) from the customer page: a confirmation page that says what membership means and
lists the tiers, then the member's page with the new number; a member already is taken to their page;
who may not enrol is refused and nothing is made."""

import pytest
from django.urls import reverse

from customers.membership.models import Member
from customers.models import TimelineEntry

from .test_pages_support import (clock, customer_with_car, element, html, marketing_user, member, service_manager,
                                 text_of)

__all__ = ["clock"]
pytestmark = pytest.mark.django_db


def url(customer) -> str:
    return reverse("membership:member_enrol", args=[customer.pk])


def test_enrolling_asks_to_confirm_then_makes_the_member(login, clock):
    customer, _car = customer_with_car("李秀英", mobile="13900005678")
    client = login(service_manager())
    page = html(client.get(url(customer)))
    assert "为李秀英办理入会" in page and "139****5678" in page and "13900005678" not in page
    assert "普卡 · 0 起" in text_of(element(page, "enrol-tiers", "ul"))
    assert not Member.objects.filter(customer=customer).exists()  # nothing before the confirmation
    response = client.post(url(customer), follow=True)
    made = Member.objects.get(customer=customer)
    assert response.redirect_chain[-1][0] == reverse("membership:member_detail", args=[made.pk])
    assert f"李秀英已入会，会员号 {made.number}。" in html(response)
    assert (made.tier.name, made.usable, made.joined_by.username) == ("普卡", 0, "service_zhao")
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.POINTS).count() == 1


def test_a_member_already_is_taken_to_their_page(login, clock):
    found = member("王建华")
    response = login(service_manager()).post(url(found.customer), follow=True)
    assert response.redirect_chain[-1][0] == reverse("membership:member_detail", args=[found.pk])
    assert "王建华已是会员。" in html(response)
    assert Member.objects.filter(customer=found.customer).count() == 1


def test_who_may_not_enrol_is_refused(client, login, general_manager, agent, clock):
    customer, _car = customer_with_car("李秀英")
    assert client.get(url(customer)).status_code == 302
    for user in (general_manager, agent, marketing_user()):
        assert login(user).post(url(customer)).status_code == 403
    assert login(service_manager()).get(reverse("membership:member_enrol", args=[customer.pk + 999])).status_code == 404
    assert not Member.objects.exists()


def test_a_member_who_left_is_enrolled_again_with_what_they_had(login, clock):
    found = member("王建华", points=700)
    Member.objects.filter(pk=found.pk).update(status=Member.Status.LEFT)
    client = login(service_manager())
    assert 'id="enrol-confirm"' in html(client.get(url(found.customer)))
    client.post(url(found.customer))
    found.refresh_from_db()
    assert (found.status, found.usable) == (Member.Status.ACTIVE, 700)


def test_the_confirmation_runs_the_same_queries_whatever_the_tiers(login, clock):
    from customers.membership.models import Tier

    from .test_pages_support import queries_of

    customer, _car = customer_with_car("李秀英")
    client = login(service_manager())
    few = queries_of(client, url(customer))
    for n in range(5):
        Tier.objects.create(name=f"等级{n}", threshold=100_000 + n, benefits="甲")
    assert queries_of(client, url(customer)) == few
