"""Whole-number checks by roles that see numbers masked.

A form that looks a typed number up in the archive ("already on file for 张三", "no customer has
this mobile", the new owner's name) answers the same question as a search by that number. For a
role that may not reveal numbers, ten thousand tries of the four masked digits would find a
customer's number, so each such check counts as a phone search: an audit event, within the same
hourly limit as the search (`customers.search.customer_search_for`).
"""

from django.conf import settings

from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record

from .search import FULL_NUMBER, phone_searches_in_last_hour


def whole_number_check_allowed(*, user, number: str, via: str) -> bool:
    """True when `user` may look `number` up now (recorded when it counts); False over the limit."""
    if user is None or user.has_perm("customers.reveal_phone"):
        return True
    if phone_searches_in_last_hour(user=user) >= settings.PHONE_SEARCHES_PER_HOUR:
        return False
    audit_record(actor=user, action=AuditEvent.Action.PHONE_SEARCH,
                 detail={"match": [FULL_NUMBER], "digits": len(number), "via": via})
    return True
