"""The home panel retention fills (dealer_crm.home): "reminders", for the agents — today's retention
calls (first-maintenance, maintenance reminder, win-back and no-show calls) that are theirs or
nobody's, in the order "take the next" gives them, and the letters waiting to be printed.
Registered in RetentionConfig.ready()."""

CALL_ROWS = 6


def _retention_work(*, user, today):
    """Three queries at most: the calls shown, their count, the letters waiting."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import ngettext

    from dealer_crm.home import NOTHING, PanelRow, PanelRows
    from followups.callbacks.selectors.queue import callbacks_due_today

    from .selectors import RETENTION_CALL_KINDS, letters_waiting_count

    calls, total = [], 0
    if user.has_perm("callbacks.work_callback"):
        calls, total = callbacks_due_today(agent=user, today=today, kinds=RETENTION_CALL_KINDS, limit=CALL_ROWS)
    letters = letters_waiting_count() if user.has_perm("retention.change_reminder") else 0
    if not calls and not letters:
        return NOTHING
    now = timezone.now()

    def due(callback) -> str:  # the time when due today, the day too when due earlier
        local = timezone.localtime(callback.due_at)
        return f"{local:%H:%M}" if local.date() == today else f"{local:%m-%d %H:%M}"

    rows = [
        PanelRow(text=f"{callback.customer.name} · {callback.get_kind_display()}",
                 url=reverse("callbacks:callback_detail", args=[callback.pk]), meta=due(callback),
                 tone="danger" if callback.expires_at and callback.expires_at < now + timedelta(days=1) else "")
        for callback in calls
    ]
    if letters:
        rows.append(PanelRow(text=ngettext("%(n)d letter to print", "%(n)d letters to print", letters) % {"n": letters},
                             url=reverse("retention:letters"), tone="warning"))
    return PanelRows(rows=rows, total=total + letters)


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("reminders", items=_retention_work, link_url_name="retention:reminder_list")
