"""The birthdays page (生日关怀): the next days' birthdays of customers and their children — the day
and age, the customer's importance, this year's greeting (queued, sent, or not sent and why), the
birthday call, and for a child the gift to post (申请礼品, by the day it must be asked for)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm
from dealer_crm.paging import UncountedPage

from . import selectors
from .days import GIFT_POST_DAYS_BEFORE
from .forms import BirthdayFilterForm

VIEW = "birthdays.view_birthdaygreeting"
PAGE_SIZE = 50


def gift_request_url() -> str:
    """The gifts app's request form, or "" while it is not there (the link is then not offered)."""
    try:
        return reverse("gifts:request_create")
    except NoReverseMatch:
        return ""


@require_GET
def birthday_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    today = timezone.localdate()
    days = settings.BIRTHDAY_DAYS_AHEAD
    form = BirthdayFilterForm(request.GET or None, today=today, days=days)
    filters = form.filters()
    if filters is not None:
        page, count = selectors.birthdays_page(today=today, days=days, filters=filters, page=request.GET.get("page"),
                                               per_page=PAGE_SIZE)
    else:  # a filter that is not valid: the form with its errors, no rows
        page, count = UncountedPage(object_list=[], number=1, has_next=False, per_page=PAGE_SIZE, last=1), 0
    query = request.GET.copy()
    query.pop("page", None)
    may_request_gift = request.user.has_perm("gifts.add_giftrequest")
    return render(request, "birthdays/birthday_list.html", {
        "form": form, "page": page, "count": count, "today": today, "days": days,
        "gift_url": gift_request_url() if may_request_gift else "", "gift_days": GIFT_POST_DAYS_BEFORE,
        "query": query.urlencode(), "query_items": [(name, value) for name, values in query.lists() for value in values],
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
    }, status=200 if filters is not None else 400)


urlpatterns = [
    path("", birthday_list, name="birthday_list"),
]
