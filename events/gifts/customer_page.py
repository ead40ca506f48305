"""The customer page's 礼品 section (customers/sections.py), registered from GiftsConfig.ready(): the
customer's gift requests the reader may open (an interviewer's or agent's own), the latest first, with their state, and the 申请礼品 button for who may
ask for one. One query, whatever the customer's history."""

from datetime import datetime

from django.utils.translation import pgettext_lazy

from customers.sections import section_register

ROWS = 10


def gifts_context(*, customer, user, now: datetime) -> dict:
    from . import selectors, services

    return {"requests": selectors.customer_requests(customer_id=customer.pk, limit=ROWS, user=user),
            "may_request": services.can_request(user)}


def register() -> None:
    section_register("gifts", title=pgettext_lazy("customer page section", "Gifts"), icon="bi-gift",
                     template="gifts/partials/customer_section.html", context=gifts_context,
                     perm="gifts.view_giftrequest", order=60)
