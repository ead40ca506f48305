"""The home panel this app fills (dealer_crm.home): "events", for marketing and the DCRC supervisor —
the events still to come (being prepared or invited to), the nearest first, each with its day and
how many are invited, coming and checked in; those of the next two days in amber. Registered in
EventsConfig.ready()."""

EVENT_ROWS = 5


def _upcoming_events(*, user, today):
    """Two queries: the events shown with their counts, and how many are to come."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .models import Event
    from .selectors import events_upcoming
    from .services import day_start

    if not user.has_perm("events.view_event"):
        return NOTHING
    events = events_upcoming(today=today, limit=EVENT_ROWS)
    if not events:
        return NOTHING
    total = len(events) if len(events) < EVENT_ROWS else Event.objects.filter(
        status__in=[Event.Status.PLANNING, Event.Status.INVITING], starts_at__gte=day_start(today)).count()
    soon = today + timedelta(days=2)

    def row(event) -> PanelRow:
        local = timezone.localtime(event.starts_at)
        counts = _("invited %(invited)d · coming %(coming)d · in %(in)d") % {
            "invited": event.counts["invited"], "coming": event.counts["yes"], "in": event.counts["checked_in"]}
        return PanelRow(text=f"{event.title} · {counts}", meta=f"{local:%m-%d %H:%M}",
                        url=reverse("events:event_detail", args=[event.pk]),
                        tone="warning" if local.date() <= soon else "")

    return PanelRows(rows=[row(event) for event in events], total=total)


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("events", items=_upcoming_events, link_url_name="events:event_list")
