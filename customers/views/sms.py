"""A customer's SMS on their page: the card of their latest messages, and sending them one message
(发短信) with a template and its preview.

The send form carries a one-time token, which becomes the message's idempotency key: a double
click, or the form sent again with the browser's back button, queues the message once.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import require_perm
from dealer_crm.messaging import selectors as sms_selectors
from dealer_crm.messaging import services as sms
from dealer_crm.messaging import texts
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.bulk_forms import date_value
from dealer_crm.messaging.forms import SingleSendForm
from dealer_crm.messaging.models import Purpose

from ..access import get_customer_for_user
from ..holds import marketing_held

VIEW_SMS, SEND_SMS = "messaging.view_outboundmessage", "messaging.add_outboundmessage"
CARD_MESSAGES = 5


@require_GET
def customer_sms_card(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the card's latest messages (loaded after the page, which stays as fast as it was)."""
    customer = get_customer_for_user(request.user, pk, include_merged=True)
    require_perm(request.user, VIEW_SMS)
    return render(request, "messaging/partials/customer_messages.html", {
        "customer": customer, "messages_sent": sms_selectors.customer_messages(customer_id=customer.pk, limit=CARD_MESSAGES)})


def _preview(customer, template, variables: dict) -> dict | None:
    if template is None:
        return None
    values = {**sms_selectors.first_recipient_values(customer_id=customer.pk), **variables}
    body = sms.message_text(template=template, text="", purpose=template.purpose,
                            values={"store": settings.SMS_STORE_NAME, **values})
    characters, parts = texts.length(body)
    # A marketing text to a customer whose marketing is held (an open complaint) is not sent: the
    # sender is told before pressing Send, not only after.
    held = marketing_held([customer.pk]).get(customer.pk) if template.purpose == Purpose.MARKETING else None
    return {"body": body, "signature": texts.signature(), "characters": characters, "parts": parts,
            "customer": customer, "needs_date": "date" in texts.variables_used(template.text),
            "held": Exclusion(held).label if held else ""}


def _form_preview(form: SingleSendForm, customer) -> dict | None:
    """The preview of what the form holds so far (a date not given yet shows as {date})."""
    template = None
    raw = form["template"].value()
    if raw:
        template = form.fields["template"].queryset.filter(pk=raw).first() if str(raw).isdigit() else None
    day = None
    try:
        day = form.fields["date"].to_python(form["date"].value())
    except ValidationError:  # a date half typed: previewed without it
        pass
    return _preview(customer, template, {"date": date_value(day) if day else "{date}"})


@require_http_methods(["GET", "POST"])
def customer_sms_send(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    require_perm(request.user, SEND_SMS)
    form = SingleSendForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        template = form.cleaned_data["template"]
        try:
            outcome = sms.message_queue(
                customer_id=customer.pk, purpose=template.purpose, template=template, variables=form.variables(),
                idempotency_key=f"customer-sms:{customer.pk}:{form.cleaned_data['token']}", by=request.user)
        except sms.MessagingError as error:
            form.add_error("template", str(error))
        else:
            _tell(request, outcome)
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "messaging/outbox_send.html", {
        "customer": customer, "form": form, "preview": _form_preview(form, customer)})


def _tell(request: HttpRequest, outcome: sms.QueueOutcome) -> None:
    if outcome.created:
        message = outcome.message
        if message.not_before > timezone.now():
            messages.info(request, _("Quiet hours: the message goes out at %(at)s.")
                          % {"at": timezone.localtime(message.not_before).strftime("%H:%M")})
        else:
            messages.success(request, _("The message is queued: it goes out in a moment."))
    elif outcome.excluded == Exclusion.ALREADY_QUEUED:
        messages.info(request, _("This message was sent already (the form was sent twice): it is not sent again."))
    else:
        messages.warning(request, _("Not sent: %(reason)s.") % {"reason": Exclusion(outcome.excluded).label})


@require_POST
def customer_sms_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the chosen template as this customer reads it, with its length."""
    customer = get_customer_for_user(request.user, pk)
    require_perm(request.user, SEND_SMS)
    form = SingleSendForm(request.POST, user=request.user)
    return render(request, "messaging/partials/send_preview.html", {"preview": _form_preview(form, customer)})
