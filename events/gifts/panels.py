"""The home panels this app fills (dealer_crm.home), registered in GiftsConfig.ready():

- "gift_approvals": for the general manager, every request waiting for a decision (the oldest first);
  for who asks for gifts (the interviewer), their own requests still waiting;
- "gifts_to_send": the approved gifts not yet posted or handed over — all of them for the DCRC, who
  sends them; their own for who asked.

Two queries a panel: the rows shown and their count."""

ROWS = 6
WAITED_DAYS = 2


def _gift_approvals(*, user, today):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from customers.amounts import format_yuan
    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from . import selectors, services

    waited_long = timezone.now() - timedelta(days=WAITED_DAYS)  # amber: waiting more than two days
    link = ""
    if services.can_approve(user):
        waiting = selectors.GiftRequest.objects.filter(status=selectors.S.REQUESTED)
    elif services.can_request(user):
        waiting = selectors.my_waiting(user=user)
        link = f"{reverse('gifts:request_list')}?tab={selectors.S.REQUESTED}"  # the queue is the approver's
    else:
        return NOTHING
    rows = [
        PanelRow(text=f"{row.number} · {row.customer.name} · {row.gift.name}"
                      + (f" × {row.quantity}" if row.quantity > 1 else ""),
                 url=reverse("gifts:request_detail", args=[row.pk]),
                 meta=f"{row.get_reason_display()} · {format_yuan(row.total)}",
                 tone="warning" if row.requested_at < waited_long else "")
        for row in waiting.select_related("customer", "gift").order_by("requested_at", "id")[:ROWS]
    ]
    return PanelRows(rows=rows, total=waiting.count(), link_url=link)


def _gifts_to_send(*, user, today):
    from django.urls import reverse

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from . import selectors, services

    if not (services.can_send(user) or services.can_request(user)):
        return NOTHING
    approved = selectors.to_send(user=user)
    rows = [
        PanelRow(text=f"{row.number} · {row.customer.name} · {row.gift.name}"
                      + (f" × {row.quantity}" if row.quantity > 1 else ""),
                 url=reverse("gifts:request_detail", args=[row.pk]),
                 meta=row.get_delivery_display(), tone="")
        for row in approved.select_related("customer", "gift").order_by("decided_at", "id")[:ROWS]
    ]
    return PanelRows(rows=rows, total=approved.count())


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("gift_approvals", items=_gift_approvals, link_url_name="gifts:approval_list")
    panel_fill("gifts_to_send", items=_gifts_to_send, link_url_name="gifts:request_list")
