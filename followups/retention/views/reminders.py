"""The reminders and solicitations (招揽与提醒): the list with its filters, and the letters waiting to
be printed (a printable list with names and addresses) with the ticked ones marked printed."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from dealer_crm.access import require_perm
from dealer_crm.paging import uncounted_page

from .. import selectors, services
from ..forms import LettersPrintedForm, ReminderFilterForm
from ..models import Reminder

VIEW, CHANGE = "retention.view_reminder", "retention.change_reminder"
PAGE_SIZE = 30
COUNT_CAP = 10_000
LETTER_PAGE_SIZE = 100


@require_GET
def reminder_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    form = ReminderFilterForm(request.GET or None)
    filters = form.filters()
    rows = selectors.reminder_list(filters=filters) if filters is not None else Reminder.objects.none()
    # Counted up to a cap: the reminders of years on a big store are millions, and a full COUNT of
    # them would cost more than the page; past the cap the pager pages on without a last page.
    count = rows[:COUNT_CAP + 1].count()
    counted = count <= COUNT_CAP
    page = uncounted_page(rows, request.GET.get("page"), per_page=PAGE_SIZE, rows=count if counted else None)
    for reminder in page.object_list:  # why it was skipped or cancelled, in the reader's words
        reminder.why_not = services.reason_label(reminder.skip_reason) if reminder.skip_reason else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "retention/reminder_list.html", {
        "form": form, "page": page, "count": count, "counted": counted, "cap": COUNT_CAP, "query": query.urlencode(),
        "query_items": [(name, value) for name, values in query.lists() for value in values],
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
    }, status=200 if filters is not None else 400)


@require_GET
def letters(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, CHANGE)
    rows = selectors.letters_pending()
    count = rows.count()
    page = uncounted_page(rows, request.GET.get("page"), per_page=LETTER_PAGE_SIZE, rows=count)
    return render(request, "retention/letters.html", {
        "page": page, "count": count, "query": "", "query_items": [],
    })


@require_POST
def letters_printed(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, CHANGE)
    form = LettersPrintedForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("retention:letters")
    marked = services.letters_mark_printed(reminder_ids=form.cleaned_data["reminder"], by=request.user)
    messages.success(request, ngettext("%(n)d letter is marked printed.", "%(n)d letters are marked printed.",
                                       marked) % {"n": marked})
    return redirect("retention:letters")


urlpatterns = [
    path("reminders/", reminder_list, name="reminder_list"),
    path("letters/", letters, name="letters"),
    path("letters/printed/", letters_printed, name="letters_printed"),
]
