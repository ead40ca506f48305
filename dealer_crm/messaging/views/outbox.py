"""The outbox (发件箱): every message, filtered and paged in a fixed number of queries; the messages
in doubt (a timeout, a worker stopped during the call) for a person to settle; the customers' replies.

Phones show masked: the outbox is read by many, and nobody needs the full number to see what was sent.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.access import get_for_user, require_perm

from .. import selectors, services
from ..forms import OutboxFilterForm
from ..models import OutboundMessage

VIEW, CHANGE = "messaging.view_outboundmessage", "messaging.change_outboundmessage"
VIEW_REPLIES = "messaging.view_inboundreply"
PAGE_SIZE = 50
IN_DOUBT_SHOWN = 50


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters()
    found = selectors.outbox(filters=filters) if filters is not None else OutboundMessage.objects.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    customer = None
    if filters is not None and filters.customer_id:
        customer = next(iter(selectors.preview_customers(query=str(filters.customer_id), limit=1)), None)
    can_decide = request.user.has_perm(CHANGE)
    in_doubt = list(selectors.messages_in_doubt()[:IN_DOUBT_SHOWN]) if can_decide else []
    return render(request, "messaging/outbox.html", {
        "form": form, "page": page, "query": query.urlencode(), "customer": customer,
        "in_doubt": in_doubt, "can_decide": can_decide, "can_see_replies": request.user.has_perm(VIEW_REPLIES),
    })


@require_POST
def outbox_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A person settles a message in doubt: send it again (they checked it did not arrive) or mark it failed."""
    message = get_for_user(request.user, OutboundMessage.objects.all(), perm=CHANGE, pk=pk)
    resend = request.POST.get("decision") == "resend"
    try:
        services.message_decide_unknown(message=message, by=request.user, resend=resend)
    except services.MessagingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is sent again.") if resend else _("The message is marked as failed."))
    return redirect("messaging:outbox")


@require_GET
def replies(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW_REPLIES)
    opt_out_only = request.GET.get("opt_out") == "1"
    page = Paginator(selectors.inbound_replies(opt_out_only=opt_out_only), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "messaging/outbox_replies.html", {
        "page": page, "opt_out_only": opt_out_only, "query": "opt_out=1" if opt_out_only else ""})


urlpatterns = [
    path("outbox/", outbox, name="outbox"),
    path("outbox/<int:pk>/decide/", outbox_decide, name="outbox_decide"),
    path("replies/", replies, name="replies"),
]
