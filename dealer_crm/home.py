"""What each role's home page shows: the work due today, in panels.

A panel's `items` function returns the rows due for the user on that day (at most a few, the first
to deal with) and how many there are in all: the badge and the day's count say the true number,
however few rows the panel has room for. Features that are not built yet have panels that are empty
for now; each feature fills its panel when it lands.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dealer_crm.accounts.roles import Role


@dataclass(frozen=True)
class PanelRow:
    text: str
    url: str = ""
    meta: str = ""
    tone: str = ""  # "", "danger", "warning", "success"


@dataclass(frozen=True)
class PanelRows:
    rows: list[PanelRow]
    total: int  # all of them, not only the rows shown
    # The "see all" link for this reader when it is not the panel's own (e.g. their own requests
    # rather than a queue only others may open).
    link_url: str = ""


NOTHING = PanelRows(rows=[], total=0)


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    icon: str
    empty_text: str | Promise
    items: Callable[..., PanelRows] = field(default=lambda *, user, today: NOTHING)
    link_url_name: str = ""
    is_work: bool = True  # False: information only, not counted as work due today


SECURITY_ROWS = 8


def _recent_security_events(*, user, today: date) -> PanelRows:
    from dealer_crm.audit.models import AuditEvent
    from dealer_crm.audit.selectors import security_events_count_on, security_events_on

    rows = [
        PanelRow(
            text=" · ".join(filter(None, [event.actor_label, event.action_label, event.target_repr])),
            meta=f"{timezone.localtime(event.at):%H:%M}",
            url=reverse("audit:event_detail", args=[event.pk]),
            tone="warning" if event.action == AuditEvent.Action.LOGIN_FAILED else "",
        )
        for event in security_events_on(day=today, limit=SECURITY_ROWS)
    ]
    # One COUNT, always (not only when the rows fill the panel): the page runs the same queries every day.
    return PanelRows(rows=rows, total=security_events_count_on(day=today))


def _daily_job_runs(*, user, today: date) -> PanelRows:
    from dealer_crm.jobs.models import JobRun
    from dealer_crm.jobs.selectors import job_runs_on

    rows = [
        PanelRow(
            text=str(run.label),
            meta=run.get_status_display(),
            tone="danger" if run.status == JobRun.Status.FAILED else "success",
        )
        for run in job_runs_on(day=today)
    ]
    return PanelRows(rows=rows, total=len(rows))  # every registered job fits: nothing is cut


BULK_APPROVAL_ROWS = 5


def _bulk_sends_awaiting_approval(*, user, today: date) -> PanelRows:
    from dealer_crm.messaging.selectors import bulk_sends_awaiting_approval

    if not user.has_perm("messaging.approve_bulksend"):
        return NOTHING
    waiting = bulk_sends_awaiting_approval()
    rows = [
        PanelRow(
            text=f"#{bulk.pk} {bulk.template.name if bulk.template else bulk.text[:20]} · {bulk.created_by}",
            meta=_("%(n)d recipients") % {"n": bulk.recipients},
            url=reverse("messaging:bulk_detail", args=[bulk.pk]),
            tone="warning",
        )
        for bulk in waiting[:BULK_APPROVAL_ROWS]
    ]
    return PanelRows(rows=rows, total=waiting.count())


PANELS: dict[str, Panel] = {
    panel.key: panel
    for panel in [
        Panel("callbacks", _("Callbacks due today"), "telephone", _("No SSI or CSI callbacks are due today.")),
        Panel("second_callbacks", _("Second callbacks"), "arrow-repeat", _("No second callbacks are due today.")),
        Panel("reminders", _("Maintenance reminders"), "wrench", _("No reminders are due today.")),
        Panel("appointments", _("Today's appointments"), "calendar-check", _("No appointments today.")),
        Panel("lounge", _("Customers in the lounge"), "cup-hot", _("Nobody is waiting in the lounge.")),
        Panel("interviews", _("Interviews today"), "person-vcard", _("No interviews planned today.")),
        Panel("unassigned", _("Callbacks to assign"), "inboxes", _("Every callback has an agent.")),
        Panel("complaints", _("Open complaints"), "exclamation-octagon", _("No open complaints.")),
        # Information on the complaints already in "complaints": not counted again as work.
        Panel("complaint_escalations", _("Complaint escalations"), "bell",
              _("No complaint escalations in the last 7 days."), is_work=False),
        Panel("feedback", _("Problems routed to my department"), "signpost-split",
              _("No problems are waiting for your department.")),
        Panel("gift_approvals", _("Gifts awaiting approval"), "gift", _("No gifts are waiting for approval.")),
        Panel("gifts_to_send", _("Approved gifts to send"), "box-seam", _("No approved gifts are waiting to be sent.")),
        Panel("birthdays", _("Birthdays this week"), "cake2", _("No birthdays in the next 7 days.")),
        Panel("events", _("Upcoming events"), "balloon", _("No events planned.")),
        Panel("showroom", _("Showroom today"), "shop", _("No duty rota for today yet.")),
        Panel("leads", _("Sales leads to follow up"), "person-up", _("No sales leads to follow up today.")),
        Panel("bulk_approvals", _("Bulk SMS awaiting approval"), "send-check",
              _("No bulk sends are waiting for approval."), items=_bulk_sends_awaiting_approval,
              link_url_name="messaging:bulk_approvals"),
        Panel("security", _("Security events today"), "shield-exclamation", _("No security events today."),
              items=_recent_security_events, link_url_name="audit:event_list", is_work=False),
        Panel("job_runs", _("Daily jobs today"), "clock-history", _("The daily jobs have not run yet today."),
              items=_daily_job_runs, link_url_name="jobs:run_list", is_work=False),
    ]
}

ROLE_HOME: dict[Role, list[str]] = {
    Role.CALLBACK_AGENT: ["callbacks", "second_callbacks", "reminders", "appointments", "birthdays"],
    Role.LOUNGE_HOST: ["lounge", "appointments"],
    Role.INTERVIEWER: ["interviews", "birthdays", "gift_approvals", "gifts_to_send"],
    Role.DCRC_SUPERVISOR: ["unassigned", "complaints", "complaint_escalations", "feedback", "bulk_approvals",
                           "gifts_to_send", "events", "security"],
    Role.SERVICE_MANAGER: ["feedback", "complaints", "complaint_escalations", "appointments"],
    Role.SALES_MANAGER: ["leads", "feedback", "complaints", "complaint_escalations", "showroom"],
    Role.SALES_SUPERVISOR: ["leads", "showroom"],  # no problems: the sales department's go to the sales manager
    Role.MARKETING: ["events"],
    Role.GENERAL_MANAGER: ["gift_approvals", "complaints", "complaint_escalations", "feedback", "job_runs"],  # feedback: finance's problems
    Role.ADMIN: ["job_runs", "security"],
}


def panel_fill(key: str, *, items: Callable[..., PanelRows], link_url_name: str = "") -> None:
    """Give a panel its rows: called by the app whose work the panel shows, from its
    AppConfig.ready(), because nothing in dealer_crm imports an app."""
    from dataclasses import replace

    PANELS[key] = replace(PANELS[key], items=items, link_url_name=link_url_name or PANELS[key].link_url_name)


def home_panels(*, user, today: date) -> list[tuple[Panel, PanelRows]]:
    """The panels of the user's primary role, each with its rows for `today` and their count."""
    role = user.primary_role
    keys = ROLE_HOME.get(role, []) if role else []
    return [(PANELS[key], PANELS[key].items(user=user, today=today)) for key in keys]
