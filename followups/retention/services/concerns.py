"""The concern a reminder asks about first (`Reminder.concern`): what upset the customer lately.

A problem the customer raised (反馈问题: on a callback after a visit) or a complaint (投诉), still
open or closed within RETENTION_RECENT_CASE_DAYS, turns the customer's reminder into a call that
asks about it before anything else; so does any other hold on their marketing (`customers.holds`).
The text is stored with the reminder in the store's language, the newest case first: open ones
before closed ones, complaints before problems.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from customers.holds import marketing_held
from dealer_crm.messaging.audience import Exclusion
from followups.callbacks.models import Problem
from followups.complaints.models import Complaint

from .common import chunks, day_start

CONCERN_LENGTH = 200
DESCRIPTION_LENGTH = 40


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESCRIPTION_LENGTH else text[:DESCRIPTION_LENGTH - 1] + "…"


def concern_of(*, customer_ids: Iterable[int], on: date) -> dict[int, str]:
    """customer id → what to ask about first, for those of these customers who have something
    (see the module's docstring): two queries per chunk of customers, and one per registered hold."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return {}
    recent = day_start(on - timedelta(days=settings.RETENTION_RECENT_CASE_DAYS))
    cases: dict[int, list[tuple]] = {}  # customer → (open, complaint before problem, when, text)
    with translation.override(settings.LANGUAGE_CODE):
        for chunk in chunks(ids):
            for complaint in (Complaint.objects.filter(customer_id__in=chunk)
                              .filter(~Q(status=Complaint.Status.CLOSED) | Q(closed_at__gte=recent))
                              .only("id", "customer_id", "category", "description", "status", "registered_at")):
                text = (f"{complaint.number} {complaint.get_category_display()}：{_short(complaint.description)}"
                        f"（{complaint.get_status_display()}）")
                cases.setdefault(complaint.customer_id, []).append((complaint.is_open, 1, complaint.registered_at, text))
            for problem in (Problem.objects.filter(customer_id__in=chunk)
                            .filter(Q(status__in=[Problem.Status.OPEN, Problem.Status.FIXED]) | Q(closed_at__gte=recent))
                            .only("id", "customer_id", "category", "description", "status", "raised_at")):
                text = f"{problem.get_category_display()}：{_short(problem.description)}（{problem.get_status_display()}）"
                cases.setdefault(problem.customer_id, []).append((problem.is_open, 0, problem.raised_at, text))
        concerns = {}
        for customer_id, found in cases.items():
            found.sort(key=lambda case: (case[0], case[1], case[2]), reverse=True)
            concerns[customer_id] = "；".join(case[3] for case in found)[:CONCERN_LENGTH]
        for customer_id, reason in marketing_held(ids).items():
            concerns.setdefault(customer_id, str(Exclusion(reason).label) if reason in Exclusion.values else reason)
    return concerns
