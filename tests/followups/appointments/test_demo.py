"""The appointments' demo: a small seeded store's bookings of the last weeks, today and the two weeks
ahead, checked against the workflow's own rules (places never over capacity, one place per booking
that holds one, the no-show's call the next morning, texts once each and never waiting) rather than
the demo's numbers. The store is seeded once for the module (a transaction rolled back at its end);
each test reads it inside its own savepoint."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import ContactPreference, Customer, ServiceVisit, TimelineEntry
from customers.timeline import entry_text
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import OutboundMessage
from followups.appointments.demo import FUTURE_DAYS, PAST_DAYS
from followups.appointments.demo import demo_seed as appointments_seed
from followups.appointments.models import Appointment, Slot
from followups.appointments.services import appointments_no_show
from followups.callbacks.demo import demo_seed as callbacks_seed
from followups.callbacks.models import Callback, CallbackKind
from followups.retention.demo import demo_seed as retention_seed
from followups.retention.models import Reminder
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules, retention_defaults

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)  # a Monday, a working day
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)
CUSTOMERS = 300
S = Appointment.Status


@pytest.fixture(scope="module")
def store(django_db_setup, django_db_blocker):
    """A 300-customer store with the callback centre's, retention's and the appointments' demos, made once."""
    with django_db_blocker.unblock(), timezone.override(SHANGHAI), time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            default_callback_rules()  # the advisors and their places, the no-show rule, the texts
            retention_defaults()
            for username, display, role in (
                    ("agent", "李娜", Role.CALLBACK_AGENT), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
                    ("service", "赵强", Role.SERVICE_MANAGER), ("interviewer", "吴静", Role.INTERVIEWER),
                    ("showroom", "周敏", Role.SALES_SUPERVISOR)):
                UserFactory(username=username, display_name=display, roles=[role])
            first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
            seed_customers(count=CUSTOMERS, seed=5, today=TODAY, messages=False)
            ids = range(first, first + CUSTOMERS)
            callbacks_seed(seed=5, customer_ids=ids, now=NOW)
            retention_seed(seed=5, customer_ids=ids, now=NOW)
            counts = appointments_seed(seed=5, customer_ids=ids, now=NOW)
            yield {"ids": ids, "counts": counts}
            transaction.set_rollback(True)


@pytest.fixture
def seeded(store, db):
    return store


def _day(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def test_bookings_in_the_past_today_and_the_two_weeks_ahead(seeded):
    days = Counter(_day(moment) for moment in Appointment.objects.values_list("starts_at", flat=True))
    assert min(days) >= TODAY - timedelta(days=PAST_DAYS) and max(days) <= TODAY + timedelta(days=FUTURE_DAYS)
    assert sum(n for day, n in days.items() if day < TODAY) >= 10
    assert sum(n for day, n in days.items() if day > TODAY) >= 10
    # a full day at the desk: more than half of today's places
    places = sum(Slot.objects.filter(day=TODAY).values_list("places", flat=True))
    assert places == 48 and days[TODAY] >= places // 2
    assert seeded["counts"]["appointment"] == Appointment.objects.count()


def test_no_slot_holds_more_than_its_places_and_each_counts_the_bookings_holding_one(seeded):
    holding = Count("appointments", filter=Q(appointments__status__in=[S.BOOKED, S.ARRIVED, S.NO_SHOW]))
    for slot in Slot.objects.annotate(holding=holding).filter(holding__gt=0):
        assert slot.booked == slot.holding <= slot.places, slot
    assert not Slot.objects.filter(booked__gt=0).annotate(holding=holding).exclude(booked=F("holding")).exists()


def test_who_came_is_linked_to_the_repair_order_of_that_day(seeded):
    came = Appointment.objects.filter(status=S.ARRIVED, starts_at__lt=datetime.combine(TODAY, time(0), tzinfo=SHANGHAI))
    assert came.count() >= 10
    for appointment in came.select_related("visit"):
        visit = appointment.visit
        assert visit.vehicle_id == appointment.vehicle_id and visit.opened_on == _day(appointment.starts_at)
        if appointment.arrived_at:  # checked in at the desk, around the booked hour
            assert abs((appointment.arrived_at - appointment.starts_at).total_seconds()) <= 3600
    assert came.filter(arrived_at__isnull=False).exists() and came.filter(arrived_at__isnull=True).exists()
    # and no booking of a past day still waits for the customer
    assert not Appointment.objects.filter(status=S.BOOKED, starts_at__lt=datetime.combine(TODAY, time(0),
                                                                                          tzinfo=SHANGHAI)).exists()


def test_no_shows_have_their_follow_up_call_from_the_next_morning(seeded):
    missed = Appointment.objects.filter(status=S.NO_SHOW).select_related("no_show_callback")
    assert missed.count() >= 3
    for appointment in missed:
        call = appointment.no_show_callback
        next_day = _day(appointment.starts_at) + timedelta(days=1)
        assert call.kind == CallbackKind.NO_SHOW and call.source_key == f"appointment:{appointment.pk}"
        assert call.created_on >= next_day and _day(call.due_at) >= next_day
        assert _day(appointment.closed_at) == call.created_on
        assert not ServiceVisit.objects.filter(vehicle_id=appointment.vehicle_id,
                                               opened_on=_day(appointment.starts_at)).exists()
    assert missed.filter(no_show_callback__status=Callback.Status.COMPLETED).exists()
    assert missed.filter(no_show_callback__status=Callback.Status.OPEN).exists()  # in today's queue
    assert appointments_no_show(on=TODAY, now=NOW)["no_show"] == 0  # the morning's job found them all


def test_today_the_desk_checked_in_the_mornings_customers_and_expects_the_afternoons(seeded):
    today = Appointment.objects.filter(starts_at__date=TODAY).exclude(status__in=[S.CANCELLED, S.RESCHEDULED])
    assert today.filter(status=S.ARRIVED, starts_at__lt=NOW).exists()
    assert today.filter(status=S.BOOKED, starts_at__gte=NOW).exists()
    assert not today.filter(status=S.ARRIVED, arrived_at__gt=NOW).exists()
    for appointment in today:
        assert appointment.jobs and all(job.strip() for job in appointment.jobs)
    assert today.exclude(customer_words="").exists() and today.exclude(parts_note="").exists()


def test_some_were_booked_in_a_reminder_call_linked_to_the_reminder_and_the_call(seeded):
    from_calls = Appointment.objects.filter(source=Appointment.Source.REMINDER_CALL).select_related("reminder",
                                                                                                     "callback")
    assert from_calls.filter(starts_at__gt=NOW).exists()
    for appointment in from_calls.filter(callback__isnull=False):
        assert appointment.reminder.callback_id == appointment.callback_id
        assert appointment.callback.status == Callback.Status.COMPLETED
        assert appointment.callback.closed_at <= appointment.booked_at < appointment.starts_at
        assert appointment.reminder.status == Reminder.Status.DONE
        assert appointment.vehicle_id == appointment.reminder.vehicle_id


def test_moved_and_cancelled_bookings_gave_their_places_back(seeded):
    moved = Appointment.objects.filter(status=S.RESCHEDULED).select_related("rescheduled_to")
    cancelled = Appointment.objects.filter(status=S.CANCELLED)
    assert moved.exists() and cancelled.exists()
    for appointment in moved:
        assert appointment.rescheduled_to.vehicle_id == appointment.vehicle_id and appointment.close_reason
        assert appointment.closed_at <= appointment.rescheduled_to.booked_at
    for appointment in cancelled:
        assert appointment.close_reason and appointment.closed_at < appointment.starts_at


def test_each_booking_had_its_confirmation_and_nothing_waits_in_the_outbox(seeded):
    texts = {key: (phone, template) for key, phone, template in OutboundMessage.objects.filter(
        idempotency_key__startswith="appointment-").values_list("idempotency_key", "phone", "template__key")}
    sent = set(texts.values())
    refusing = set(ContactPreference.objects.filter(channel="sms", purpose="service", allowed=False)
                   .values_list("customer_id", flat=True))
    for appointment in Appointment.objects.select_related("customer"):
        if f"appointment-booked:{appointment.pk}" not in texts and appointment.customer_id not in refusing:
            # the SMS platform sends one text of a template a day to a number: another booking got it
            assert any((appointment.customer.mobile, template) in sent
                       for template in ("appointment_booked", "appointment_moved")), appointment
    tomorrow = Appointment.objects.filter(starts_at__date=TODAY + timedelta(days=1), status=S.BOOKED,
                                          booked_at__lt=datetime.combine(TODAY, time(5, 30), tzinfo=SHANGHAI))
    assert tomorrow.exists()
    assert sum(f"appointment-tomorrow:{pk}" in texts for pk in tomorrow.values_list("pk", flat=True)) >= \
        tomorrow.count() - 1
    assert not OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, not_before__lte=NOW).exists()


def test_the_timeline_tells_each_booking(seeded):
    entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.APPOINTMENT)
    variants = Counter(entries.values_list("params__variant", flat=True))
    assert {"booked", "arrived", "no_show", "rescheduled", "cancelled"} <= set(variants)
    assert variants["booked"] + variants["rescheduled"] == Appointment.objects.count()
    for entry in entries[:50]:
        assert entry_text(kind=entry.kind, params=entry.params, title="", body="").title


def test_seeding_the_same_customers_again_adds_nothing(seeded):
    before = (Appointment.objects.count(), Callback.objects.count(), OutboundMessage.objects.count())
    with time_machine.travel(NOW, tick=False):
        counts = appointments_seed(seed=5, customer_ids=seeded["ids"], now=NOW)
    assert set(counts.values()) == {0}
    assert (Appointment.objects.count(), Callback.objects.count(), OutboundMessage.objects.count()) == before




# --- what the pages show of it --------------------------------------------------------------------------
def test_the_service_desks_day_lists_todays_arrivals_with_their_jobs(seeded, client):
    client.force_login(User.objects.get(username="service"))
    page = client.get(reverse("appointments:day")).content.decode()
    assert 'id="desk-empty"' not in page
    today = (Appointment.objects.filter(starts_at__date=TODAY).exclude(status__in=[S.CANCELLED, S.RESCHEDULED])
             .select_related("customer", "vehicle"))
    for appointment in today:
        assert appointment.vehicle.plate in page and appointment.jobs[0] in page


def test_the_agents_home_page_lists_the_arrivals_still_expected_today(seeded, client):
    client.force_login(User.objects.get(username="agent"))
    page = client.get(reverse("home")).content.decode()
    expected = Appointment.objects.filter(starts_at__date=TODAY, status=S.BOOKED).select_related("customer")
    assert expected.exists() and expected[0].customer.name in page
