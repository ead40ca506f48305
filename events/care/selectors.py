"""Reads of interviews and the lounge: the interview list with its filters, one interview with all it
brought, the lounge board (who waits now, who left today, today's appointments and repair orders of
people not in the lounge), a customer's last interviews and lounge visits, and the home panels' rows.
Each runs a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from customers.models import Customer, ServiceVisit

from .models import Interview, LoungeVisit, Referral, Suggestion

WITH_SUGGESTIONS, WITH_PROBLEMS, WITH_REFERRALS, WITH_GIFT, WITH_FORM = (
    "suggestions", "problems", "referrals", "gift", "important")


@dataclass(frozen=True)
class InterviewFilters:
    q: str = ""  # the customer's name, or a part of it
    interviewer: int | None = None
    place: str = ""
    held_from: date | None = None
    held_until: date | None = None
    having: str = ""  # one of WITH_*


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def interview_list(*, filters: InterviewFilters) -> QuerySet[Interview]:
    rows = (Interview.objects.select_related("customer", "interviewer", "gift_request__gift", "important_form")
            .annotate(suggestion_count=Count("suggestions", distinct=True),
                      problem_count=Count("suggestions", filter=Q(suggestions__problem__isnull=False), distinct=True),
                      referral_count=Count("referrals", distinct=True))
            .order_by("-held_at", "-id"))
    if filters.q:
        rows = rows.filter(customer__name__contains=filters.q)
    if filters.interviewer:
        rows = rows.filter(interviewer_id=filters.interviewer)
    if filters.place:
        rows = rows.filter(place=filters.place)
    if filters.held_from:
        rows = rows.filter(held_at__gte=_day_start(filters.held_from))
    if filters.held_until:
        rows = rows.filter(held_at__lt=_day_start(filters.held_until + timedelta(days=1)))
    having = {
        WITH_SUGGESTIONS: Exists(Suggestion.objects.filter(interview=OuterRef("pk"))),
        WITH_PROBLEMS: Exists(Suggestion.objects.filter(interview=OuterRef("pk"), problem__isnull=False)),
        WITH_REFERRALS: Exists(Referral.objects.filter(interview=OuterRef("pk"))),
        WITH_GIFT: Q(gift_request__isnull=False),
        WITH_FORM: Q(important_form__isnull=False),
    }.get(filters.having)
    if having is not None:
        rows = rows.filter(having)
    return rows


def interviewers() -> QuerySet:
    """Who has recorded interviews: the list's interviewer filter."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=Interview.objects.values("interviewer")).order_by("username")


def interview_detail(*, pk: int) -> Interview:
    return (Interview.objects.select_related("customer", "interviewer", "gift_request__gift", "important_form",
                                             "lounge_visit")
            .prefetch_related(Prefetch("suggestions", queryset=Suggestion.objects.select_related("problem")),
                              Prefetch("referrals", queryset=Referral.objects.select_related("lead__assigned_to")))
            .get(pk=pk))


# --- the lounge -------------------------------------------------------------------------------------
def lounge_waiting() -> list[LoungeVisit]:
    """Who waits in the lounge now, the longest waiting first, with what they came for."""
    return list(LoungeVisit.objects.filter(left_at__isnull=True)
                .select_related("customer", "appointment__vehicle", "service_visit__vehicle", "host")
                .order_by("arrived_at", "id"))


def lounge_left_on(*, day: date, limit: int = 50) -> list[LoungeVisit]:
    return list(LoungeVisit.objects.filter(left_at__isnull=False, arrived_at__gte=_day_start(day),
                                           arrived_at__lt=_day_start(day + timedelta(days=1)))
                .select_related("customer", "host").order_by("-left_at", "-id")[:limit])


@dataclass(frozen=True)
class Expected:
    """Someone at the store today who is not in the lounge: their appointment or repair order."""
    customer: Customer
    at: datetime | None
    plate: str
    appointment: object = None
    service_visit: ServiceVisit | None = None


def lounge_expected(*, day: date, limit: int = 25) -> list[Expected]:
    """Today's appointments (booked or arrived) and today's repair orders whose customer is not waiting
    now: the board's one-tap arrivals. Two queries."""
    from followups.appointments.models import Appointment

    waiting = LoungeVisit.objects.filter(left_at__isnull=True).values("customer_id")
    start, end = _day_start(day), _day_start(day + timedelta(days=1))
    appointments = list(
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end,
                                   status__in=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED])
        .exclude(customer_id__in=waiting).select_related("customer", "vehicle", "visit").order_by("starts_at", "id")[:limit])
    booked_visits = {appointment.visit_id for appointment in appointments if appointment.visit_id}
    visits = list(
        ServiceVisit.objects.filter(opened_on=day, customer__isnull=False, customer__merged_into__isnull=True)
        .exclude(customer_id__in=waiting).exclude(pk__in=booked_visits)
        .select_related("customer", "vehicle").order_by("-created_at", "-id")[:limit])
    rows = [Expected(customer=appointment.customer, at=appointment.starts_at,
                     plate=appointment.vehicle.plate if appointment.vehicle else "", appointment=appointment,
                     service_visit=appointment.visit) for appointment in appointments]
    seen = {row.customer.pk for row in rows}
    for visit in visits:
        if visit.customer_id in seen:
            continue
        seen.add(visit.customer_id)
        rows.append(Expected(customer=visit.customer, at=None, plate=visit.vehicle.plate, service_visit=visit))
    return rows


def lounge_visit_detail(*, pk: int) -> LoungeVisit:
    return LoungeVisit.objects.select_related("customer", "appointment__vehicle", "service_visit__vehicle", "host",
                                              "left_by").get(pk=pk)


# --- a customer's --------------------------------------------------------------------------------------
def customer_care(*, customer_id: int, rows: int = 5) -> tuple[list[Interview], list[LoungeVisit]]:
    interviews = list(Interview.objects.filter(customer_id=customer_id)
                      .select_related("interviewer", "gift_request__gift")
                      .annotate(suggestion_count=Count("suggestions", distinct=True),
                                referral_count=Count("referrals", distinct=True))
                      .order_by("-held_at", "-id")[:rows])
    visits = list(LoungeVisit.objects.filter(customer_id=customer_id).order_by("-arrived_at", "-id")[:rows])
    return interviews, visits


# --- the home panels -----------------------------------------------------------------------------------
def interviews_on(*, day: date, limit: int) -> tuple[list[Interview], int]:
    rows = Interview.objects.filter(held_at__gte=_day_start(day), held_at__lt=_day_start(day + timedelta(days=1)))
    return list(rows.select_related("customer").order_by("-held_at", "-id")[:limit]), rows.count()


def waiting_to_interview(*, since: date, limit: int) -> tuple[list[LoungeVisit], int]:
    """Who waits in the lounge now and has had no interview since `since`: the interviewer's chance."""
    rows = LoungeVisit.objects.filter(left_at__isnull=True).exclude(
        Exists(Interview.objects.filter(customer_id=OuterRef("customer_id"), held_at__gte=_day_start(since))))
    return list(rows.select_related("customer").order_by("arrived_at", "id")[:limit]), rows.count()
