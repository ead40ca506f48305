"""Why a message failed, waits again or is in doubt: stored as a code, shown in the reader's language.

A message's `reason_code` says what happened in our words; its `reason` keeps the detail that goes
with it as it came: the provider's own words verbatim (a rejection, a failed receipt — those are the
gateway's text and stay as written), or a technical detail of ours (an HTTP status, the network
error's class, the name of the person who decided). Nothing here is translated when it is stored:
the text is made when the message is shown (the outbox, a bulk send's recipients, a customer's
messages), in the language of whoever reads it.
"""

from django.utils.translation import gettext_lazy as _

GATEWAY = "gateway"  # the gateway's own words, shown as they are
TIMEOUT = "timeout"
NO_CONNECTION = "no_connection"
CONNECTION_BROKEN = "connection_broken"
UNREADABLE_ANSWER = "unreadable_answer"
NOT_IN_ANSWER = "not_in_answer"
HTTP_ERROR = "http_error"
NO_TEMPLATE_ID = "no_template_id"
SEND_CRASHED = "send_crashed"
REFUSED_AT_SEND = "refused_at_send"
HELD_AT_SEND = "held_at_send"
TEMPORARY_GAVE_UP = "temporary_gave_up"
SENDER_STOPPED = "sender_stopped"
RESENT_BY_PERSON = "resent_by_person"
FAILED_BY_PERSON = "failed_by_person"
UNDELIVERED = "undelivered"
CALLED_OFF = "called_off"  # what the message was for no longer takes place (an event cancelled)

# code → its text, or (the text without a detail, the text with one); %(detail)s is the detail,
# %(n)s the attempts made.
MESSAGES = {
    GATEWAY: (_("The gateway refused it without giving a reason."), "%(detail)s"),
    TIMEOUT: _("The gateway did not answer in time."),
    NO_CONNECTION: (_("No connection to the gateway."), _("No connection to the gateway: %(detail)s")),
    CONNECTION_BROKEN: (_("The connection to the gateway broke during the call."),
                        _("The connection to the gateway broke during the call: %(detail)s")),
    UNREADABLE_ANSWER: (_("The gateway's answer could not be read."),
                        _("The gateway's answer could not be read: %(detail)s")),
    NOT_IN_ANSWER: _("Not in the gateway's answer."),
    HTTP_ERROR: (_("The gateway answered with an error."), _("The gateway answered with an error: %(detail)s")),
    NO_TEMPLATE_ID: (_("The template has no approved ID at this gateway."),
                     _("The template has no approved ID at the gateway %(detail)s.")),
    SEND_CRASHED: _("The send failed unexpectedly."),
    REFUSED_AT_SEND: _("The customer refused it after it was queued."),
    HELD_AT_SEND: _("Not sent: the customer has an open complaint, so marketing is held."),
    TEMPORARY_GAVE_UP: (_("Given up at attempt %(n)s."), _("Given up at attempt %(n)s: %(detail)s")),
    SENDER_STOPPED: _("The sender stopped during the send: the gateway may have it."),
    RESENT_BY_PERSON: (_("Sent again: it had not arrived."), _("Sent again by %(detail)s: it had not arrived.")),
    FAILED_BY_PERSON: (_("Marked as failed."), _("Marked as failed by %(detail)s.")),
    UNDELIVERED: (_("Not delivered (the gateway gave no reason)."), _("Not delivered: %(detail)s")),
    CALLED_OFF: (_("Not sent: what it was for was called off."), _("Not sent: %(detail)s was called off.")),
}

CODES = tuple(MESSAGES)


def reason_text(code: str, detail: str = "", *, attempts: int = 0) -> str:
    """The reason in the active language. A row without a code (written before codes, with a text
    no migration recognised) shows its text as it is."""
    if code not in MESSAGES:
        return detail
    if code == NO_TEMPLATE_ID and detail:  # the gateway's name as the pages write it (阿里云, 腾讯云)
        from .forms import gateway_label

        detail = gateway_label(detail)
    message = MESSAGES[code]
    template = message if not isinstance(message, tuple) else message[1] if detail else message[0]
    return str(template) % {"detail": detail, "n": attempts}
