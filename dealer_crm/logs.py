"""Logging filters named in `LOGGING` (settings/base.py)."""

import logging


class RefusalsInOneLine(logging.Filter):
    """A refused page (403) is routine: a role opened a link meant for another. Django logs it on
    django.request as a warning with the PermissionDenied traceback attached; one line saying who was
    refused where is what the log needs, so the traceback is dropped (the record's message stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
