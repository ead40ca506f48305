from datetime import date

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(
    *, action: str = "", actor_id: int | None = None, since: date | None = None, until: date | None = None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events


WATCHED = (AuditEvent.Action.LOGIN_FAILED, AuditEvent.Action.ROLE_CHANGE, AuditEvent.Action.PHONE_REVEAL,
           AuditEvent.Action.EXPORT)


def security_events_on(*, day: date, limit: int = 8) -> list[AuditEvent]:
    """The day's events a supervisor should glance at (not the routine logins), the latest first."""
    return list(AuditEvent.objects.filter(action__in=WATCHED, at__date=day).select_related("actor")[:limit])


def security_events_count_on(*, day: date) -> int:
    return AuditEvent.objects.filter(action__in=WATCHED, at__date=day).count()
