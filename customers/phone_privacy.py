"""Phone look-ups that could be used to guess a masked number: audited, and limited per hour.

A search by a number's ending, or a form that looks a typed number up in the archive ("already on
file for 张三", "no customer has this mobile", the new owner's name), answers whether a guessed
number is on file. Ten thousand tries of the four masked digits would find a customer's number, so
each such look-up is an audit event (`phone_search`) and one person may run at most
`PHONE_SEARCHES_PER_HOUR` of them in an hour, counted in the audit log itself so that every server
shares the count. The search (`customers.search.customer_search_for`) and the forms call these.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

FULL_NUMBER, PHONE_ENDING = "number", "ending"  # the two kinds of phone look-up


def phone_searches_in_last_hour(*, user) -> int:
    return AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.PHONE_SEARCH,
                                     at__gte=timezone.now() - timedelta(hours=1)).count()


def phone_search_limit_reached(*, user) -> bool:
    return phone_searches_in_last_hour(user=user) >= settings.PHONE_SEARCHES_PER_HOUR


def phone_search_record(*, user, match: list[str], digits: int, **detail) -> None:
    audit_record(actor=user, action=AuditEvent.Action.PHONE_SEARCH,
                 detail={"match": match, "digits": digits, **detail})


def whole_number_check_allowed(*, user, number: str, via: str) -> bool:
    """True when `user` may look `number` up now (recorded when it counts); False over the limit.
    Roles that may reveal numbers check them freely: they could reveal them anyway."""
    if user is None or user.has_perm("customers.reveal_phone"):
        return True
    if phone_search_limit_reached(user=user):
        return False
    phone_search_record(user=user, match=[FULL_NUMBER], digits=len(number), via=via)
    return True
