"""Bulk sends (群发): the new send and its check, confirming, the bulk send's page with its progress,
approval by the DCRC supervisor, resending the failed ones, and the list.

Thin views: each checks the right first, then calls one service or selector. The check step keeps
what was checked in the session under a one-time token; confirming takes the token under a lock on
the session's row, so a double click (or a resubmitted page) makes one bulk send, never two.
"""

import secrets
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import get_for_user, require_perm

from .. import schedule, selectors, services, texts
from ..audience import Exclusion
from ..bulk_forms import SOURCE_UPLOAD, BulkSendForm, filter_in_words, filter_query_clean
from ..models import BulkSend, OutboundMessage, Purpose, SmsTemplate

VIEW, ADD, APPROVE = "messaging.view_bulksend", "messaging.add_bulksend", "messaging.approve_bulksend"
CHECKS = "sms_bulk_checks"  # the session's checked bulk sends, by one-time token
CHECKS_KEPT = 5
PAGE_SIZE = 50
Status = OutboundMessage.Status


class _AlreadyConfirmed(Exception):
    pass


def _get_bulk_for_user(user, pk: int, *, perm: str = VIEW) -> BulkSend:
    return get_for_user(user, selectors.bulk_sends(), perm=perm, pk=pk)


def _excluded_labels(excluded: dict) -> list[tuple[str, int]]:
    """(reason in the reader's language, how many), the largest first."""
    return [(Exclusion(reason).label if reason in Exclusion.values else reason, n)
            for reason, n in Counter(excluded).most_common() if n]


# --- a new bulk send and its check ---------------------------------------------------------
@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    """The form; posted, the check: who gets it, who is left out and why, the text for the first
    recipient and its length. Nothing is sent before the check is confirmed."""
    require_perm(request.user, ADD)
    query = filter_query_clean(request.GET.get("filter", ""))
    form = BulkSendForm(request.POST or None, request.FILES or None, initial={"filter": query})
    check = None
    if request.method == "POST":
        query = filter_query_clean(form["filter"].value() or "")
        if form.is_valid():
            check = _check(request, form)
    return render(request, "messaging/bulk_new.html", {
        "form": form, "check": check, "query": query, "filter_words": filter_in_words(query),
        "gateway": form.gateway, "signature": texts.signature(),
    })


def _check(request: HttpRequest, form: BulkSendForm) -> dict:
    data = form.cleaned_data
    template, text, purpose = data["template"], data["text"], data["purpose"]
    upload = data.get("source") == SOURCE_UPLOAD
    if upload:
        recipients = services.recipients_from_mobiles(mobiles=data["mobiles"], purpose=purpose, template=template)
    else:
        recipients = services.recipients_from_filter(query=data["filter"], user=request.user, purpose=purpose,
                                                     template=template)
    values = {}
    if recipients.candidates:
        values = selectors.first_recipient_values(customer_id=recipients.candidates[0].customer_id)
    values = {**values, "store": settings.SMS_STORE_NAME, **form.variables()}
    preview = services.message_text(template=template, text=text, purpose=purpose, values=values)
    characters, parts = texts.length(preview)
    token = secrets.token_urlsafe(16)
    checks = dict(request.session.get(CHECKS, {}))
    checks[token] = {
        "template": template.pk if template is not None else None, "text": text, "purpose": purpose,
        "variables": form.variables(), "query": "" if upload else data["filter"],
        "mobiles": data["mobiles"] if upload else [], "upload_name": data["upload"].name[:200] if upload else "",
    }
    request.session[CHECKS] = dict(list(checks.items())[-CHECKS_KEPT:])
    return {
        "token": token, "recipients": recipients.count, "excluded": recipients.excluded_labels(),
        "excluded_total": sum(recipients.excluded.values()), "preview": preview, "characters": characters,
        "parts": parts, "upload": upload, "upload_name": checks[token]["upload_name"],
        "upload_rows": len(data["mobiles"]) if upload else 0,
        "needs_approval": services.needs_approval(user=request.user, purpose=purpose),
        "purpose_label": dict(Purpose.choices).get(purpose, purpose),
        "quiet_until": schedule.next_send_time(timezone.now()) if schedule.is_quiet(timezone.now()) else None,
    }


def _take_check(request: HttpRequest, token: str) -> dict | None:
    """The checked send of this token, removed from the session so that it is confirmed once.

    With the sessions in the database, the session's row is locked first and read again: a second
    request of a double click waits for the first to commit and then finds the token gone."""
    session = request.session
    model = getattr(session, "model", None)
    if model is None or not session.session_key:
        checks = dict(session.get(CHECKS, {}))
        payload = checks.pop(token, None)
        session[CHECKS] = checks
        return payload
    row = model.objects.select_for_update().filter(session_key=session.session_key).first()
    stored = session.decode(row.session_data) if row is not None else {}
    checks = dict(stored.get(CHECKS, {}))
    payload = checks.pop(token, None)
    if payload is not None and row is not None:
        stored[CHECKS] = checks
        row.session_data = session.encode(stored)
        row.save(update_fields=["session_data"])
    session[CHECKS] = checks  # the request's own copy, which the middleware writes back, agrees
    return payload


@require_POST
def bulk_confirm(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    token = request.POST.get("token", "")
    try:
        with transaction.atomic():
            payload = _take_check(request, token) if token else None
            if payload is None:
                raise _AlreadyConfirmed
            template = SmsTemplate.objects.filter(pk=payload["template"]).first() if payload["template"] else None
            bulk = services.bulk_send_create(
                by=request.user, purpose=payload["purpose"], template=template, text=payload["text"],
                variables=payload["variables"], query=payload["query"], mobiles=payload["mobiles"],
                upload_name=payload["upload_name"])
    except _AlreadyConfirmed:
        messages.warning(request, _("This bulk send was confirmed already, or its check is too old: nothing more "
                                    "was sent. Its page is in the list below."))
        return redirect("messaging:bulk_list")
    except services.MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:bulk_new")
    if bulk.status == BulkSend.Status.AWAITING_APPROVAL:
        messages.info(request, _("The bulk send waits for the DCRC supervisor's approval: nothing is sent before."))
    else:
        messages.info(request, _("Sending. You can leave this page: the messages go out all the same."))
    return redirect("messaging:bulk_detail", bulk.pk)


# --- one bulk send -------------------------------------------------------------------------
def _progress(bulk: BulkSend, counts: Counter) -> dict:
    total = sum(counts.values())
    waiting = counts[Status.QUEUED] + counts[Status.SENDING]
    now = timezone.now()
    return {
        "bulk": bulk, "counts": [(status, status.label, counts[status]) for status in selectors.BULK_STATUSES],
        "total": total, "settled": total - waiting, "percent": round(100 * (total - waiting) / total) if total else 100,
        "running": bulk.status == BulkSend.Status.QUEUED,
        "sent": counts[Status.SENT] + counts[Status.DELIVERED], "failed": counts[Status.FAILED],
        "quiet_until": schedule.next_send_time(now) if waiting and schedule.is_quiet(now) else None,
    }


@require_GET
def bulk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulk = _get_bulk_for_user(request.user, pk)
    counts = selectors.bulk_status_counts(bulk_ids=[bulk.pk])[bulk.pk]
    status = request.GET.get("status", "") if request.GET.get("status") in Status.values else ""
    paginator = Paginator(selectors.bulk_messages(bulk=bulk, status=status), PAGE_SIZE)
    paginator.count = counts[status] if status else sum(counts.values())  # known already: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    user = request.user
    return render(request, "messaging/bulk_detail.html", {
        **_progress(bulk, counts), "page": page, "status": status, "query": f"status={status}" if status else "",
        "excluded": _excluded_labels(bulk.excluded), "excluded_total": sum(bulk.excluded.values()),
        "filter_words": filter_in_words(bulk.filter_query),
        "can_resend": user.has_perm(ADD) and counts[Status.FAILED] > 0 and bulk.status != BulkSend.Status.REJECTED,
        "can_approve": user.has_perm(APPROVE) and bulk.status == BulkSend.Status.AWAITING_APPROVAL,
        "own_send": bulk.created_by_id == user.pk,
    })


@require_GET
def bulk_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled every 2 s while the bulk send is sending; when it has finished, the
    page reloads to show every recipient's final status."""
    bulk = _get_bulk_for_user(request.user, pk)
    counts = selectors.bulk_status_counts(bulk_ids=[bulk.pk])[bulk.pk]
    response = render(request, "messaging/partials/bulk_progress.html", _progress(bulk, counts))
    if bulk.status != BulkSend.Status.QUEUED:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def bulk_approve(request: HttpRequest, pk: int) -> HttpResponse:
    bulk = _get_bulk_for_user(request.user, pk, perm=APPROVE)
    try:
        services.bulk_send_approve(bulk=bulk, by=request.user)
    except services.MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:bulk_detail", pk)
    messages.info(request, _("Approved: the bulk send is sending."))
    return redirect("messaging:bulk_detail", pk)


@require_POST
def bulk_reject(request: HttpRequest, pk: int) -> HttpResponse:
    bulk = _get_bulk_for_user(request.user, pk, perm=APPROVE)
    try:
        services.bulk_send_reject(bulk=bulk, by=request.user)
    except services.MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:bulk_detail", pk)
    messages.info(request, _("Not approved: nothing of it is sent."))
    return redirect("messaging:bulk_approvals")


@require_POST
def bulk_resend_failed(request: HttpRequest, pk: int) -> HttpResponse:
    bulk = _get_bulk_for_user(request.user, pk, perm=ADD)
    if bulk.status == BulkSend.Status.REJECTED:
        messages.error(request, _("This bulk send was not approved: nothing of it is sent."))
        return redirect("messaging:bulk_detail", pk)
    count = services.bulk_send_resend_failed(bulk=bulk, by=request.user)
    if count:
        messages.info(request, _("%(n)d failed messages are sent again; the others are left as they are.") % {"n": count})
    else:
        messages.info(request, _("No message of this bulk send has failed: nothing is sent again."))
    return redirect("messaging:bulk_detail", pk)


# --- the lists -----------------------------------------------------------------------------
def _with_counts(bulks: list[BulkSend]) -> list[BulkSend]:
    counts = selectors.bulk_status_counts(bulk_ids=[bulk.pk for bulk in bulks])
    for bulk in bulks:
        mine = counts[bulk.pk]
        bulk.sent_count = mine[Status.SENT] + mine[Status.DELIVERED]
        bulk.failed_count = mine[Status.FAILED]
        bulk.waiting_count = mine[Status.QUEUED] + mine[Status.SENDING]
        bulk.excluded_count = sum(bulk.excluded.values())
    return bulks


@require_GET
def bulk_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    status = request.GET.get("status", "") if request.GET.get("status") in BulkSend.Status.values else ""
    page = Paginator(selectors.bulk_sends(status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    _with_counts(page.object_list)
    return render(request, "messaging/bulk_list.html", {
        "page": page, "status": status, "statuses": BulkSend.Status.choices,
        "query": f"status={status}" if status else "",
        "can_add": request.user.has_perm(ADD), "can_approve": request.user.has_perm(APPROVE),
    })


@require_GET
def bulk_approvals(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, APPROVE)
    page = Paginator(selectors.bulk_sends_awaiting_approval(), PAGE_SIZE).get_page(request.GET.get("page"))
    for bulk in page.object_list:
        bulk.excluded_count = sum(bulk.excluded.values())
        bulk.excluded_labels = _excluded_labels(bulk.excluded)
        bulk.filter_words = filter_in_words(bulk.filter_query) if not bulk.upload_name else []
    return render(request, "messaging/bulk_approvals.html", {"page": page, "query": ""})


urlpatterns = [
    path("bulk/", bulk_list, name="bulk_list"),
    path("bulk/new/", bulk_new, name="bulk_new"),
    path("bulk/confirm/", bulk_confirm, name="bulk_confirm"),
    path("bulk/approvals/", bulk_approvals, name="bulk_approvals"),
    path("bulk/<int:pk>/", bulk_detail, name="bulk_detail"),
    path("bulk/<int:pk>/progress/", bulk_progress, name="bulk_progress"),
    path("bulk/<int:pk>/approve/", bulk_approve, name="bulk_approve"),
    path("bulk/<int:pk>/reject/", bulk_reject, name="bulk_reject"),
    path("bulk/<int:pk>/resend-failed/", bulk_resend_failed, name="bulk_resend_failed"),
]
