"""Logging filters named in `LOGGING` (settings/base.py)."""

import logging
import re


class RefusalsInOneLine(logging.Filter):
    """A refused page (403) is routine: a role opened a link meant for another. Django logs it on
    django.request as a warning with the PermissionDenied traceback attached; one line saying who was
    refused where is what the log needs, so the traceback is dropped (the record's message stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


# /sms/receipts/<gateway>/<token>/ and /sms/replies/<gateway>/<token>/: the token is the secret.
# Everything after the gateway's name is hidden, and a lone segment too (a URL given without its
# gateway would have the token there).
_CALLBACK_PATH = re.compile(r"(/sms/(?:receipts|replies)/)([^/\s?#\"']*)(/[^\s?#\"']*)?")
HIDDEN = "[token]"


def without_callback_token(text: str) -> str:
    def hide(match: re.Match) -> str:
        prefix, first, rest = match.groups()
        return f"{prefix}{first}/{HIDDEN}/" if rest and rest.strip("/") else f"{prefix}{HIDDEN}/"

    return _CALLBACK_PATH.sub(hide, text)


class CallbackTokenHidden(logging.Filter):
    """The SMS gateways' receipt and reply URLs carry a secret token (SMS_CALLBACK_TOKEN): Django's
    django.request logger writes the path of every 4xx/5xx answer ("Not Found: /sms/receipts/…"),
    runserver's django.server writes every request line. Each record that names such a path has it
    replaced by the path with [token] in place of the token — in its message, its arguments and its
    traceback text (a Resolver404 names the path too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CALLBACK_PATH.search(message):
            record.msg, record.args = without_callback_token(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and _CALLBACK_PATH.search(record.exc_text):
            record.exc_text, record.exc_info = without_callback_token(record.exc_text), None
        return True
