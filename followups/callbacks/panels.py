"""The home panels the callback centre fills (dealer_crm.home): registered in CallbacksConfig.ready()."""


FEEDBACK_ROWS = 6


def _problems_routed_to_me(*, user, today):
    """The open problems of the user's departments, the nearest deadline (the overdue) first."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dealer_crm.home import PanelRow, PanelRows

    from .selectors.problems import problems_for_inbox

    now = timezone.now()
    problems = problems_for_inbox(user=user, status="open")
    rows = []
    for problem in problems[:FEEDBACK_ROWS]:
        overdue = problem.deadline_at < now
        rows.append(PanelRow(
            text=f"{problem.customer.name} · {problem.get_category_display()}",
            url=reverse("callbacks:problem_detail", args=[problem.pk]),
            meta=(_("overdue") + " " if overdue else "") + f"{timezone.localtime(problem.deadline_at):%m-%d %H:%M}",
            tone="danger" if overdue else "",
        ))
    return PanelRows(rows=rows, total=problems.count())


UNASSIGNED_ROWS = 6


def _callbacks_to_assign(*, user, today):
    """For the DCRC supervisor: the open callbacks due by the end of the day that nobody has yet,
    the earliest due first (red: expiring within a day)."""
    from django.urls import reverse
    from django.utils import timezone

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors.supervision import EXPIRING_WITHIN, unassigned_callbacks

    if not user.has_perm("callbacks.supervise_callback"):
        return NOTHING
    now = timezone.now()
    waiting = unassigned_callbacks(due_by=today)
    url = reverse("callbacks:callback_list") + f"?agent=none&status=open&due_until={today.isoformat()}"
    rows = [
        PanelRow(text=f"{callback.customer.name} · {callback.get_kind_display()}", url=url,
                 meta=f"{timezone.localtime(callback.due_at):%m-%d %H:%M}",
                 tone="danger" if callback.expires_at and callback.expires_at < now + EXPIRING_WITHIN else "")
        for callback in waiting[:UNASSIGNED_ROWS]
    ]
    return PanelRows(rows=rows, total=waiting.count())


CALLBACK_ROWS = 6


def _due_today(*, user, today, kinds: tuple[str, ...]):
    """The agent's callbacks of these kinds due today (theirs or nobody's), in the order "take the
    next" gives them; the badge counts them all. Two queries."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors.queue import callbacks_due_today

    if not user.has_perm("callbacks.work_callback"):
        return NOTHING
    callbacks, total = callbacks_due_today(agent=user, today=today, kinds=kinds, limit=CALLBACK_ROWS)
    now = timezone.now()

    def due(callback) -> str:  # the time when due today, the day too when due earlier
        local = timezone.localtime(callback.due_at)
        return f"{local:%H:%M}" if local.date() == today else f"{local:%m-%d %H:%M}"

    rows = [
        PanelRow(text=f"{callback.customer.name} · {callback.get_kind_display()}",
                 url=reverse("callbacks:callback_detail", args=[callback.pk]), meta=due(callback),
                 # red: it expires within a day — call it before it is lost
                 tone="danger" if callback.expires_at and callback.expires_at < now + timedelta(days=1) else "")
        for callback in callbacks
    ]
    return PanelRows(rows=rows, total=total)


def _callbacks_due(*, user, today):
    from .models import CallbackKind

    # Second callbacks and retention's calls (保养提醒与招揽, followups/retention/panels.py) have panels of their own.
    own_panels = {CallbackKind.SECOND, CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK,
                  CallbackKind.NO_SHOW}
    return _due_today(user=user, today=today, kinds=tuple(k for k in CallbackKind.values if k not in own_panels))


def _second_callbacks_due(*, user, today):
    from .models import CallbackKind

    return _due_today(user=user, today=today, kinds=(CallbackKind.SECOND,))


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("callbacks", items=_callbacks_due, link_url_name="callbacks:workbench")
    panel_fill("second_callbacks", items=_second_callbacks_due, link_url_name="callbacks:workbench")

    panel_fill("unassigned", items=_callbacks_to_assign, link_url_name="callbacks:callback_list")

    panel_fill("feedback", items=_problems_routed_to_me, link_url_name="callbacks:problem_inbox")
    # The complaints panel is the complaints app's (followups/complaints/panels.py).
