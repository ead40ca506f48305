"""Booking (预约登记) and one appointment's page: moving it, cancelling it, checking the customer in.

The booking page takes the customer from the customer's page (?customer=), a reminder call
(?callback=, ?reminder=) or, without one, an incoming phone call: it then opens on the archive's
search (customers/search.py, as the header's box runs it for this user) and each hit books for
that customer. The quietest free slots (`services.slots_suggest`) are the first choices, the first
of them chosen, because spreading the bookings away from the peaks is the point; "another time"
takes a day and an hour (from the calendar's cell, or typed). A slot taken meanwhile brings the form
back with the service's message and the next free slots, the jobs and the customer's words kept.

Moving and cancelling ask for a reason and a confirmation; checking in is the service desk's
(`desk_appointment`). Each POST view checks the right, validates its form and calls one service;
a refusal (AppointmentError) comes back as the page's message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.access import get_customer_for_user
from customers.search import CJK, customer_search_for
from dealer_crm.access import require_perm

from .. import forms, selectors, services
from ..models import Appointment, Slot

VIEW, BOOK, DESK = "appointments.view_appointment", "appointments.book_appointment", "appointments.desk_appointment"
SUGGESTED_DAYS = 7
SUGGESTED_SLOTS = 6
SEARCH_MAX = 50
# What a reminder's booking is for, to start the jobs from (the agent corrects it as the customer says).
FIRST_JOBS = {"first": gettext_lazy("First maintenance"), "first_chase": gettext_lazy("First maintenance"),
              "maintenance": gettext_lazy("Regular maintenance")}


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)


def _suggestions(now, *, exclude=None) -> list:
    slots = services.slots_suggest(start=timezone.localdate(now), days=SUGGESTED_DAYS, limit=SUGGESTED_SLOTS, now=now)
    return [slot for slot in slots if exclude is None or slot.pk != exclude]


def _slot_choices(form: forms.SlotChoiceForm, suggestions: list, *, full: bool = False) -> tuple[list, str]:
    """The radio buttons' slots and the one checked: the quietest first, and checked by default. A
    slot sent that is no longer among the suggestions stays offered and checked (nothing chosen is
    lost), unless it was full: then the first of the next free ones is."""
    chosen = "" if full else str(form["slot"].value() or "")
    if form.is_bound and chosen.isdigit():
        posted = getattr(form, "cleaned_data", {}).get("slot")
        if isinstance(posted, Slot) and posted.pk not in {slot.pk for slot in suggestions}:
            suggestions = [posted, *suggestions]
    if chosen != forms.OTHER and chosen not in {str(slot.pk) for slot in suggestions}:
        chosen = str(suggestions[0].pk) if suggestions else forms.OTHER
    return suggestions, chosen


# --- booking -----------------------------------------------------------------------------------------
def _customer_search(request: HttpRequest) -> HttpResponse:
    """An incoming call: find the caller in the archive first (the header search's rules for this
    user: a whole number opens to every role, a number's ending only to who may reveal numbers)."""
    require_perm(request.user, "customers.view_customer")
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    too_short = bool(query) and len(query) < 2 and not CJK.search(query)
    outcome = customer_search_for(user=request.user, query=query) if query and not too_short else None
    carried = request.GET.copy()
    for name in ("q", "customer", "vehicle"):
        carried.pop(name, None)
    carried.setdefault("source", Appointment.Source.PHONE_CALL)
    context = {"query": query, "too_short": too_short, "hits": outcome.hits if outcome else [],
               "phones_withheld": outcome.phones_withheld if outcome else "", "carried": carried.urlencode(),
               "carried_fields": list(carried.items())}
    if request.htmx:
        return render(request, "appointments/partials/customer_hits.html", context)
    return render(request, "appointments/book_search.html", context)


def _callback_of(request: HttpRequest, customer):
    from followups.callbacks.models import Callback

    raw = request.GET.get("callback", "")
    if not raw:
        return None
    number = _number(raw)
    callback = Callback.objects.filter(pk=number, customer=customer).first() if number else None
    if callback is None:
        raise Http404
    return callback


def _reminder_of(request: HttpRequest, customer, callback):
    from followups.retention.models import Reminder

    raw = request.GET.get("reminder", "")
    if raw:
        number = _number(raw)
        reminder = Reminder.objects.filter(pk=number, customer=customer).first() if number else None
        if reminder is None:
            raise Http404
        return reminder
    if callback is not None:
        return Reminder.objects.filter(callback=callback).first()
    return None


def _initial(request: HttpRequest, *, vehicles, callback, reminder) -> dict:
    vehicle = request.GET.get("vehicle") or (callback.vehicle_id if callback and callback.vehicle_id else None) or (
        reminder.vehicle_id if reminder else None) or (vehicles[0].pk if len(vehicles) == 1 else "")
    source = request.GET.get("source", "")
    if callback is not None or reminder is not None:
        source = Appointment.Source.REMINDER_CALL
    elif source not in Appointment.Source.values:
        source = Appointment.Source.CUSTOMER_PAGE
    initial = {"vehicle": str(vehicle or ""), "source": source,
               "jobs": str(FIRST_JOBS.get(reminder.kind, "")) if reminder else ""}
    # From the calendar's cell: that day and hour (and resource) as "another time".
    try:
        day = parse_date(request.GET.get("day", "") or "")
    except ValueError:  # well formed but no such day (2026-02-30)
        day = None
    hour = request.GET.get("hour", "")
    if day is not None and hour.isascii() and hour.isdigit() and 0 <= int(hour) <= 23:
        initial.update(slot=forms.OTHER, other_day=day, other_hour=int(hour),
                       other_resource=request.GET.get("resource", ""))
    return initial


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, BOOK)
    raw = request.GET.get("customer", "")
    if not raw:
        if request.method == "POST":
            raise Http404
        return _customer_search(request)
    number = _number(raw)
    if number is None:
        raise Http404
    customer = get_customer_for_user(request.user, number)
    callback = _callback_of(request, customer)
    reminder = _reminder_of(request, customer, callback)
    now = timezone.now()
    vehicles = selectors.customer_vehicles(customer=customer)
    resources = selectors.bookable_resources()
    form = forms.BookingForm(request.POST or None, vehicles=vehicles, resources=resources,
                             hours=selectors.booking_hours(),
                             initial=_initial(request, vehicles=vehicles, callback=callback, reminder=reminder))
    status, full = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = services.appointment_book(
                    customer=customer, vehicle=data["vehicle"], slot=data["slot"], by=request.user,
                    source=data["source"], jobs=data["jobs"], customer_words=data["customer_words"],
                    parts_note=data["parts_note"], reminder=reminder, callback=callback, now=now)
            except services.SlotFull as error:
                form.add_error(None, str(error))
                full, status = error, 409
            except (services.AppointmentError, ValidationError) as error:
                form.add_error(None, _refusal(error))
            else:
                starts = timezone.localtime(appointment.starts_at)
                messages.success(request, _("Booked: %(day)s %(time)s, %(resource)s.") % {
                    "day": starts.date().isoformat(), "time": f"{starts:%H:%M}", "resource": data["slot"].resource.name})
                return redirect("appointments:detail", pk=appointment.pk)
    suggestions = full.suggestions if full is not None else _suggestions(now)
    suggestions, chosen = _slot_choices(form, suggestions, full=full is not None)
    return render(request, "appointments/book.html", {
        "customer": customer, "callback": callback, "reminder": reminder, "form": form,
        "suggestions": suggestions, "chosen": chosen, "full": full, "vehicles": vehicles,
        "ahead": selectors.booked_ahead(customer=customer, now=now), "today": timezone.localdate(now),
    }, status=status)


# --- one appointment ----------------------------------------------------------------------------------
def get_appointment_for_user(user, pk: int) -> Appointment:
    require_perm(user, VIEW)
    try:
        return selectors.appointment_detail(pk=pk)
    except Appointment.DoesNotExist:
        raise Http404 from None


def _detail(request: HttpRequest, appointment: Appointment, *, reschedule=None, cancel=None, full=None,
            status: int = 200) -> HttpResponse:
    """The appointment's page; a form sent back with its errors (`reschedule`, `cancel`) shows
    instead of the empty one, so the reason typed is not lost."""
    user, now = request.user, timezone.now()
    is_open = appointment.status == Appointment.Status.BOOKED
    can_book = user.has_perm(BOOK) and is_open
    suggestions, chosen = [], ""
    if can_book:
        if reschedule is None:
            reschedule = forms.RescheduleForm(prefix="move", resources=selectors.bookable_resources(),
                                              hours=selectors.booking_hours())
        suggestions = full.suggestions if full is not None else _suggestions(now, exclude=appointment.slot_id)
        suggestions, chosen = _slot_choices(reschedule, suggestions, full=full is not None)
        cancel = cancel if cancel is not None else forms.CancelForm(prefix="cancel")
    else:
        reschedule = cancel = None
    day = timezone.localtime(appointment.starts_at).date()
    return render(request, "appointments/detail.html", {
        "appointment": appointment, "customer": appointment.customer, "day": day,
        "reschedule_form": reschedule, "cancel_form": cancel, "suggestions": suggestions, "chosen": chosen,
        "full": full, "can_check_in": user.has_perm(DESK) and is_open and day == timezone.localdate(now),
        "moved_from": _moved_from(appointment),
    }, status=status)


def _moved_from(appointment: Appointment) -> Appointment | None:
    """The booking this one replaced, when it was moved here (read with the page's one query)."""
    try:
        return appointment.rescheduled_from
    except Appointment.rescheduled_from.RelatedObjectDoesNotExist:
        return None


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_appointment_for_user(request.user, pk))


def _booking(request: HttpRequest, pk: int) -> Appointment:
    appointment = get_appointment_for_user(request.user, pk)
    if not request.user.has_perm(BOOK):
        raise PermissionDenied
    return appointment


@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _booking(request, pk)
    form = forms.RescheduleForm(request.POST, prefix="move", resources=selectors.bookable_resources(),
                                hours=selectors.booking_hours())
    if not form.is_valid():
        return _detail(request, appointment, reschedule=form, status=400)
    data = form.cleaned_data
    try:
        moved = services.appointment_reschedule(appointment=appointment, slot=data["slot"], by=request.user,
                                                reason=data["reason"])
    except services.SlotFull as error:
        form.add_error(None, str(error))
        return _detail(request, appointment, reschedule=form, full=error, status=409)
    except (services.AppointmentError, ValidationError) as error:
        form.add_error(None, _refusal(error))
        return _detail(request, appointment, reschedule=form, status=400)
    starts = timezone.localtime(moved.starts_at)
    messages.success(request, _("The appointment moves to %(day)s %(time)s, %(resource)s.") % {
        "day": starts.date().isoformat(), "time": f"{starts:%H:%M}", "resource": data["slot"].resource.name})
    return redirect("appointments:detail", pk=moved.pk)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _booking(request, pk)
    form = forms.CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _detail(request, appointment, cancel=form, status=400)
    try:
        services.appointment_cancel(appointment=appointment, by=request.user, reason=form.cleaned_data["reason"])
    except (services.AppointmentError, ValidationError) as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The appointment is cancelled: its place is free again."))
    return redirect("appointments:detail", pk=appointment.pk)


def _back(request: HttpRequest, default: str) -> str:
    value = request.POST.get("next", "")
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return default


@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for_user(request.user, pk)
    require_perm(request.user, DESK)
    try:
        services.appointment_check_in(appointment=appointment, by=request.user)
    except (services.AppointmentError, ValidationError) as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("%(name)s is checked in.") % {"name": appointment.customer.name})
    return redirect(_back(request, reverse("appointments:detail", args=[appointment.pk])))


urlpatterns = [
    path("book/", book, name="book"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/reschedule/", reschedule, name="reschedule"),
    path("<int:pk>/cancel/", cancel, name="cancel"),
    path("<int:pk>/check-in/", check_in, name="check_in"),
]
