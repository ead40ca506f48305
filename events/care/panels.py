"""The home panels this app fills (dealer_crm.home.panel_fill), registered in CareConfig.ready():

- "lounge", for the lounge host: who waits in the lounge now, the longest waiting first, with the
  minutes waited (in red past an hour);
- "interviews", for the interviewer: who waits in the lounge now with no interview this year (the
  chance to complete their file), then today's interviews."""

ROWS = 6
LONG_WAIT_MINUTES = 60


def _lounge(*, user, today):
    """Two queries: the rows shown are all who wait (a lounge holds a few dozen at most)."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors import lounge_waiting

    if not user.has_perm("care.view_loungevisit"):
        return NOTHING
    now = timezone.now()
    waiting = lounge_waiting()
    rows = []
    for visit in waiting[:ROWS]:
        minutes = visit.minutes_waited(now)
        came_for = (_("appointment %(time)s") % {"time": f"{timezone.localtime(visit.appointment.starts_at):%H:%M}"}
                    if visit.appointment else (visit.service_visit.ro_number if visit.service_visit else ""))
        rows.append(PanelRow(text=" · ".join(filter(None, [visit.customer.name, came_for])),
                             url=reverse("care:lounge_visit", args=[visit.pk]),
                             meta=_("%(n)d min") % {"n": minutes},
                             tone="danger" if minutes >= LONG_WAIT_MINUTES else ""))
    return PanelRows(rows=rows, total=len(waiting))


def _interviews(*, user, today):
    """Four queries: the waiting customers to interview and their count, today's interviews and theirs."""
    from datetime import date

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors import interviews_on, waiting_to_interview

    if not user.has_perm("care.view_interview"):
        return NOTHING
    to_meet, waiting_total = waiting_to_interview(since=date(today.year, 1, 1), limit=ROWS)
    rows = [PanelRow(text=_("%(name)s is in the lounge: not interviewed this year") % {"name": visit.customer.name},
                     url=f"{reverse('care:interview_create')}?customer={visit.customer_id}&lounge={visit.pk}",
                     meta=f"{timezone.localtime(visit.arrived_at):%H:%M}", tone="warning")
            for visit in to_meet]
    held, held_total = interviews_on(day=today, limit=max(ROWS - len(rows), 1))
    rows += [PanelRow(text=f"{interview.number} · {interview.customer.name}",
                      url=reverse("care:interview_detail", args=[interview.pk]),
                      meta=f"{timezone.localtime(interview.held_at):%H:%M}", tone="success")
             for interview in held]
    return PanelRows(rows=rows, total=waiting_total + held_total)


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("lounge", items=_lounge, link_url_name="care:lounge")
    panel_fill("interviews", items=_interviews, link_url_name="care:interview_list")
