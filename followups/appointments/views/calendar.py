"""The appointment calendar (预约日历) and the service desk's day (服务台今日).

The calendar is a week: a row per hour, a column per day, each cell the free and total places over
every resource in use (or the one chosen), so staff see the quiet hours at a glance and book there;
closed days say why (the holiday's name, the store closed), and China's make-up working days
(调休上班) say so, because they take the working days' capacity on a Saturday or Sunday.

The desk's day lists the cars expected, by hour, with everything the desk prepares from: the
customer (the phone masked), the car, the jobs, the customer's own words, the parts to check, who
booked and from where. It prints on paper without the menu and the buttons. Both pages run a fixed
number of queries whatever the number of bookings (tests/followups/appointments/test_pages_calendar.py,
test_pages_day.py).
"""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from dealer_crm.access import require_perm

from .. import forms, selectors

VIEW, BOOK, DESK = "appointments.view_appointment", "appointments.book_appointment", "appointments.desk_appointment"


def _with(query: QueryDict, **values) -> str:
    params = query.copy()
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    now = timezone.now()
    today = timezone.localdate(now)
    resources = selectors.bookable_resources()
    form = forms.CalendarFilterForm(request.GET or None, resources=resources)
    start, resource = form.week_of(today), form.chosen_resource()
    week = selectors.calendar_week(start=start, resource=resource, now=now)
    query = request.GET.copy()
    return render(request, "appointments/calendar.html", {
        "form": form, "week": week, "today": today, "resource": resource,
        "this_week": selectors.week_start(today),
        "previous": _with(query, week=(start - timedelta(days=7)).isoformat()),
        "next": _with(query, week=(start + timedelta(days=7)).isoformat()),
        "can_book": request.user.has_perm(BOOK),
    })


@require_GET
def day(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    today = timezone.localdate()
    form = forms.DayForm(request.GET or None)
    shown = form.day_or(today)
    desk = selectors.desk_day(day=shown)
    query = request.GET.copy()
    return render(request, "appointments/day.html", {
        "form": form, "desk": desk, "day": shown, "today": today, "is_today": shown == today,
        "previous": _with(query, day=(shown - timedelta(days=1)).isoformat()),
        "next": _with(query, day=(shown + timedelta(days=1)).isoformat()),
        # The desk checks a customer in on the appointment's day, when the car is there.
        "can_check_in": request.user.has_perm(DESK) and shown == today,
        "can_book": request.user.has_perm(BOOK),
        "back": request.get_full_path(),
    })


urlpatterns = [
    path("calendar/", calendar, name="calendar"),
    path("day/", day, name="day"),
]
