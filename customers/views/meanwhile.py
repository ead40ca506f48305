"""What the edit pages say about changes made while the form was open (customers.edits)."""

from django.contrib import messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ..edits import EditOutcome, MeanwhileChange


def describe(change: MeanwhileChange) -> str:
    if change.by and change.at:
        return _("%(field)s to “%(now)s” (%(by)s, %(at)s)") % {
            "field": change.label, "now": change.now, "by": change.by,
            "at": timezone.localtime(change.at).strftime("%Y-%m-%d %H:%M")}
    return _("%(field)s to “%(now)s”") % {"field": change.label, "now": change.now}


def note_kept(request: HttpRequest, outcome: EditOutcome) -> None:
    """After a save: the fields others changed meanwhile, which this save left as they are."""
    if outcome.kept:
        messages.info(request, _("Meanwhile others changed %(changes)s; kept as they are.")
                      % {"changes": "；".join(describe(change) for change in outcome.kept)})
