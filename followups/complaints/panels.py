"""The home panels the complaints fill (dealer_crm.home): registered in ComplaintsConfig.ready(),
after the callback centre's, so that the open complaints panel is this app's."""

from datetime import timedelta

COMPLAINT_ROWS = 6
ESCALATION_ROWS = 6
ESCALATION_DAYS = 7


def _mine(user):
    """The open complaints on the user's desk: every one for the supervisor and the general manager;
    a department's manager's departments' and those they handle; anyone else's, those they handle."""
    from django.db.models import Q

    from .models import Complaint
    from .selectors import managed_departments, sees_every_complaint

    complaints = Complaint.objects.filter(~Q(status=Complaint.Status.CLOSED))
    if sees_every_complaint(user):
        return complaints
    mine = Q(owner=user)
    departments = managed_departments(user)
    if departments:
        mine |= Q(department__in=departments)
    return complaints.filter(mine)


def _complaints_open(*, user, today):
    """The user's open complaints, the nearest running deadline first (those awaiting the customer's
    word, with none running, last); the time left on that deadline's clock, red when it has passed,
    amber when near. A fixed number of queries: the rows, their count, the store's calendar."""
    from django.db.models import F
    from django.urls import reverse
    from django.utils import timezone

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors import Clocks, current_deadline, running_deadline

    if not user.has_perm("complaints.view_complaint"):
        return NOTHING
    now = timezone.now()
    complaints = _mine(user)
    shown = list(complaints.select_related("customer", "severity").annotate(due_at=current_deadline())
                 .order_by(F("due_at").asc(nulls_last=True), "id")[:COMPLAINT_ROWS])
    clocks = Clocks()
    rows = []
    for complaint in shown:
        left = running_deadline(complaint, now=now, clocks=clocks)
        tone = {"overdue": "danger", "near": "warning"}.get(left.state, "") if left else ""
        rows.append(PanelRow(
            text=f"{complaint.number} · {complaint.customer.name} · {complaint.get_category_display()}",
            url=reverse("complaints:complaint_detail", args=[complaint.pk]),
            meta=left.text if left else complaint.get_status_display(), tone=tone))
    return PanelRows(rows=rows, total=complaints.count())


def _escalations_to_me(*, user, today):
    """The escalations of the last seven days told to one of the user's roles, about complaints
    still open, the latest first (red once the deadline has passed, amber when near)."""
    from django.db.models import Q
    from django.urls import reverse
    from django.utils import timezone

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .escalation import escalation_label
    from .models import Complaint, Escalation

    roles = [role.value for role in user.roles]
    if not roles or not user.has_perm("complaints.view_complaint"):
        return NOTHING
    escalations = Escalation.objects.filter(
        ~Q(complaint__status=Complaint.Status.CLOSED), role__in=roles,
        created_at__gte=timezone.now() - timedelta(days=ESCALATION_DAYS))
    rows = [
        PanelRow(text=f"{escalation.complaint.number} · {escalation.complaint.customer.name} · "
                      f"{escalation_label(escalation)}",
                 url=reverse("complaints:complaint_detail", args=[escalation.complaint_id]),
                 meta=f"{timezone.localtime(escalation.created_at):%m-%d %H:%M}",
                 tone="warning" if escalation.level == Escalation.Level.NEAR else "danger")
        for escalation in (escalations.select_related("complaint__customer")
                           .order_by("-created_at", "-id")[:ESCALATION_ROWS])
    ]
    return PanelRows(rows=rows, total=escalations.count())


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("complaints", items=_complaints_open, link_url_name="complaints:complaint_list")
    panel_fill("complaint_escalations", items=_escalations_to_me, link_url_name="complaints:complaint_list")
