"""When a message may go out: quiet hours (default 21:00–08:00 in the store's time zone)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


def quiet_hours() -> tuple[time, time] | None:
    """(start, end) of the quiet hours from SMS_QUIET_HOURS ("21:00-08:00"), or None for none."""
    value = (settings.SMS_QUIET_HOURS or "").strip()
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as error:
        raise ImproperlyConfigured(f"SMS_QUIET_HOURS must look like 21:00-08:00, not {value!r}.") from error
    return (start, end) if start != end else None


def is_quiet(at: datetime) -> bool:
    hours = quiet_hours()
    if hours is None:
        return False
    start, end = hours
    now = timezone.localtime(at).time()
    return (start <= now or now < end) if start > end else (start <= now < end)


def next_send_time(at: datetime, *, exempt: bool = False) -> datetime:
    """`at` itself, or, inside the quiet hours, the moment they end (a non-exempt message waits)."""
    if exempt or not is_quiet(at):
        return at
    _start, end = quiet_hours()
    local = timezone.localtime(at)
    opening = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if opening <= local:
        opening += timedelta(days=1)
    return opening
