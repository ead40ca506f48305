"""The customer page's 面访与客休 section (customers/sections.py), registered from CareConfig.ready(): the
customer's last interviews (what each brought) and lounge visits (how long, what they had, the needs
heard), with the buttons 面访 (the interview form) and 客休登记 (seat them in the lounge). Two queries,
whatever the customer's history."""

from django.utils.translation import pgettext_lazy

from customers.sections import section_register

from . import selectors, services

ROWS = 5


def care_context(*, customer, user, now) -> dict:
    interviews, visits = selectors.customer_care(customer_id=customer.pk, rows=ROWS)
    return {
        "interviews": interviews, "visits": visits, "waiting": any(visit.is_waiting for visit in visits),
        "may_interview": services.can_interview(user) and not customer.merged_into_id,
        "may_host": services.can_host(user) and not customer.merged_into_id,
        "may_read_interviews": user.has_perm("care.view_interview"),
        "may_read_visits": user.has_perm("care.view_loungevisit"),
    }


def register() -> None:
    section_register("care", title=pgettext_lazy("customer page section", "Interviews and lounge"), icon="bi-chat-square-text",
                     template="care/partials/section_care.html", context=care_context,
                     perm="care.view_loungevisit", order=40)
