"""Retention's demo: a small seeded store's solicitations, reminders, letters, lapses and today's work,
checked against the rules themselves (the lead days, the bands' months, the quiet hours, the windows)
rather than the demo's own numbers. The store is seeded once for the module (a transaction rolled
back at its end); each test reads it inside its own savepoint."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from customers.demo import seed_customers
from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from customers.timeline import entry_text
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.demo import demo_seed as callbacks_seed
from followups.callbacks.models import Callback, CallbackKind
from followups.retention.demo import HISTORY_DAYS, LAPSE_DAYS
from followups.retention.demo import demo_seed as retention_seed
from followups.retention.models import Channel, Lapse, LapseBand, LapseReason, Reminder, ReminderKind, ServiceDue
from followups.retention.services import lapses_build, reminders_build
from tests.factories import UserFactory
from tests.followups.factories import retention_defaults

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)  # a Monday: the letters go out today
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI)
JOBS = datetime(2026, 11, 30, 5, 30, tzinfo=SHANGHAI)
CUSTOMERS = 300
R = Reminder.Status
K = ReminderKind
RETENTION_CALLS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK)


@pytest.fixture(scope="module")
def store(django_db_setup, django_db_blocker):
    """A 300-customer store with the callback centre's 90 days and retention's demo, made once."""
    with django_db_blocker.unblock(), timezone.override(SHANGHAI), time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            retention_defaults()
            for username, display, role in (
                    ("agent", "李娜", Role.CALLBACK_AGENT), ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
                    ("service", "赵强", Role.SERVICE_MANAGER), ("sales", "孙伟", Role.SALES_MANAGER)):
                UserFactory(username=username, display_name=display, roles=[role])
            first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
            seed_customers(count=CUSTOMERS, seed=5, today=TODAY, messages=False)
            ids = range(first, first + CUSTOMERS)
            callbacks_seed(seed=5, customer_ids=ids, now=NOW)
            counts = retention_seed(seed=5, customer_ids=ids, now=NOW)
            yield {"ids": ids, "counts": counts}
            transaction.set_rollback(True)


@pytest.fixture
def seeded(store, db):
    return store


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, SHANGHAI)


def test_reminders_of_each_kind_over_the_last_60_days_and_today_some_converted(seeded):
    made = Reminder.objects.all()
    assert set(made.values_list("kind", flat=True)) == {K.FIRST_MAINTENANCE, K.FIRST_CHASE, K.MAINTENANCE}
    days = set(made.values_list("created_on", flat=True))
    assert min(days) >= TODAY - timedelta(days=HISTORY_DAYS) and max(days) == TODAY
    assert len(days) > 30  # made on most days, not in one lump
    assert set(made.values_list("channel", flat=True)) == {Channel.SMS, Channel.CALL, Channel.LETTER}
    converted = made.filter(converted_visit__isnull=False)
    assert converted.count() >= 20 and made.filter(converted_visit__isnull=True).count() >= 20
    assert seeded["counts"]["reminder"] == made.count()


def test_a_converted_reminder_names_the_vehicles_first_visit_in_its_window(seeded):
    for reminder in Reminder.objects.filter(converted_visit__isnull=False).select_related("converted_visit"):
        visit = reminder.converted_visit
        assert visit.vehicle_id == reminder.vehicle_id and reminder.converted_on == visit.opened_on
        assert reminder.created_on <= visit.opened_on <= reminder.window_end
        earlier = ServiceVisit.objects.filter(vehicle_id=reminder.vehicle_id, opened_on__gte=reminder.created_on,
                                              opened_on__lt=visit.opened_on).exclude(kind=ServiceVisit.Kind.INTERNAL)
        assert not earlier.exists()


def test_each_reminder_opened_its_window_the_lead_days_before_it_fell_due(seeded):
    lead = {K.FIRST_MAINTENANCE: settings.RETENTION_SOLICIT_DAYS_BEFORE,
            K.FIRST_CHASE: settings.RETENTION_CHASE_DAYS_BEFORE, K.MAINTENANCE: settings.RETENTION_REMINDER_DAYS_BEFORE}
    for kind, due_on, created_on, cycle in Reminder.objects.values_list("kind", "due_on", "created_on", "cycle"):
        opens = due_on - timedelta(days=lead[kind])
        # made on the day its window opened, or caught up on the days after a visit changed the due date
        caught_up = opens + timedelta(days=settings.DAILY_JOBS_CATCH_UP_DAYS)
        assert opens <= created_on <= caught_up, (kind, due_on, created_on)
        assert (cycle == "first") == (kind in (K.FIRST_MAINTENANCE, K.FIRST_CHASE))


def test_texts_went_after_the_quiet_hours_and_nothing_waits_in_the_outbox(seeded):
    texted = Reminder.objects.filter(channel=Channel.SMS, status=R.DONE).select_related("message")
    assert texted.count() >= 20
    for reminder in texted:
        message = reminder.message
        assert message.idempotency_key == f"retention-reminder:{reminder.pk}"
        assert message.source_id == str(reminder.pk) and message.customer_id == reminder.customer_id
        sent = _local(message.sent_at or message.not_before)
        assert sent.date() == reminder.created_on and time(8, 0) <= sent.time() < time(21, 0)
        assert message.status in (OutboundMessage.Status.DELIVERED, OutboundMessage.Status.FAILED,
                                  OutboundMessage.Status.UNKNOWN)
    assert not OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, not_before__lte=NOW).exists()


def test_a_call_reminder_has_its_call_and_is_done_when_the_call_was(seeded):
    calls = Reminder.objects.filter(channel=Channel.CALL).select_related("callback")
    assert calls.count() >= 5
    for reminder in calls:
        call = reminder.callback
        assert call.source_key == f"reminder:{reminder.pk}" and call.vehicle_id == reminder.vehicle_id
        assert call.kind == (CallbackKind.REMINDER if reminder.kind == K.MAINTENANCE else CallbackKind.SOLICIT)
        if call.status in Callback.OPEN_STATUSES:
            assert reminder.status == R.PENDING
        elif call.status == Callback.Status.COMPLETED:
            assert reminder.status == R.DONE and reminder.done_at == call.closed_at
        else:
            assert reminder.status in (R.SKIPPED, R.CANCELLED)
    # every chase is a call (for those who did not come when solicited)
    chases = Reminder.objects.filter(kind=K.FIRST_CHASE).exclude(status=R.SKIPPED)
    assert chases.exists() and not chases.exclude(channel=Channel.CALL).exists()


def test_letters_printed_on_mondays_and_the_latest_wait_to_be_printed(seeded):
    letters = Reminder.objects.filter(channel=Channel.LETTER)
    printed = letters.filter(letter_printed_at__isnull=False)
    assert printed.exists()
    for reminder in printed:
        at = _local(reminder.letter_printed_at)
        assert at.weekday() == 0 and (at.date() - reminder.created_on).days >= 3 and reminder.status == R.DONE
        entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.REMINDER, source_id=str(reminder.pk),
                                          params__variant="letter")
        assert entry.occurred_at == reminder.letter_printed_at
        assert reminder.get_kind_display() in entry_text(kind=entry.kind, params=entry.params, title="", body="").title
    waiting = letters.filter(status=R.PENDING)
    assert waiting.exists()
    assert all(reminder.customer.address for reminder in waiting.select_related("customer"))
    # what today's printing took was made by last Friday; what waits is newer
    assert not waiting.filter(created_on__lte=TODAY - timedelta(days=3)).exists()


def test_todays_queue_has_solicitation_reminder_and_win_back_calls(seeded):
    end_of_today = datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    waiting = Callback.objects.filter(kind__in=RETENTION_CALLS, status=Callback.Status.OPEN, due_at__lt=end_of_today,
                                      expires_at__gt=NOW)
    kinds = Counter(waiting.values_list("kind", flat=True))
    assert kinds[CallbackKind.WIN_BACK] >= 1 and kinds[CallbackKind.SOLICIT] + kinds[CallbackKind.REMINDER] >= 1
    assert waiting.filter(created_on=TODAY).exists()  # today's jobs ran
    assert waiting.filter(created_on__lt=TODAY).exists()  # and the last days' calls not made yet wait too


def test_lapses_in_each_band_crossed_the_day_the_bands_months_were_up(seeded):
    bands = list(LapseBand.objects.filter(active=True))
    assert len(bands) == 3
    lapses = Lapse.objects.select_related("band")
    for band in bands:
        assert lapses.filter(band=band, status=Lapse.Status.OPEN).exists(), band
    for lapse in lapses:
        months = relativedelta(months=lapse.band.months)
        # the first morning the last visit was the band's months ago
        assert lapse.created_on - months >= lapse.since > lapse.created_on - timedelta(days=1) - months
        assert TODAY - timedelta(days=LAPSE_DAYS) <= lapse.created_on <= TODAY
    for lapse in lapses.filter(status=Lapse.Status.OPEN):
        assert lapse.customer.last_visit_on == lapse.since
    for lapse in lapses.filter(status=Lapse.Status.RETURNED).select_related("returned_visit"):
        assert lapse.returned_visit.customer_id == lapse.customer_id and lapse.returned_on > lapse.since
        assert lapse.returned_visit.opened_on == lapse.returned_on


def test_each_lapse_has_its_win_back_call_unless_one_was_waiting(seeded):
    called = Lapse.objects.filter(callback__isnull=False).select_related("callback")
    assert called.count() >= 0.8 * Lapse.objects.count()
    for lapse in called:
        assert lapse.callback.kind == CallbackKind.WIN_BACK and lapse.callback.source_key == f"lapse:{lapse.pk}"
        assert lapse.callback.created_on == lapse.created_on
    for lapse in Lapse.objects.filter(callback__isnull=True):
        job = datetime.combine(lapse.created_on, time(5, 30), tzinfo=SHANGHAI)
        waiting = Callback.objects.filter(customer_id=lapse.customer_id, kind=CallbackKind.WIN_BACK,
                                          created_on__lte=lapse.created_on).exclude(closed_at__lt=job)
        assert waiting.exists(), lapse


def test_reasons_recorded_on_win_back_calls_and_a_sold_car_ends_its_owner(seeded):
    reasons = LapseReason.objects.select_related("lapse__callback", "vehicle")
    assert reasons.exists()
    for reason in reasons:
        call = reason.lapse.callback
        assert call.status == Callback.Status.COMPLETED and reason.recorded_at > call.closed_at
        assert reason.recorded_by_id == call.closed_by_id and reason.note
        entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.REMINDER, customer_id=reason.customer_id,
                                          params__variant="reason")
        assert reason.get_reason_display() in entry_text(kind=entry.kind, params=entry.params, title="", body="").title
    for reason in reasons.filter(reason=LapseReason.Reason.SOLD):
        assert not VehicleRole.objects.filter(vehicle=reason.vehicle, customer_id=reason.customer_id,
                                              kind=VehicleRole.Kind.OWNER, ended_on__isnull=True).exists()
        assert ServiceDue.objects.get(vehicle=reason.vehicle).customer_id is None
    for reason in reasons.filter(reason=LapseReason.Reason.MOVED):
        assert not Lapse.objects.filter(customer_id=reason.customer_id, status=Lapse.Status.OPEN).exists()


def test_every_vehicle_has_its_due_state_and_todays_jobs_have_nothing_left_to_make(seeded):
    assert ServiceDue.objects.count() == Vehicle.objects.count() > CUSTOMERS
    assert reminders_build(on=TODAY, now=JOBS)["created"] == 0
    assert lapses_build(on=TODAY, now=JOBS)["created"] == 0


def test_seeding_the_same_customers_again_adds_nothing(seeded):
    before = (Reminder.objects.count(), Lapse.objects.count(), Callback.objects.count(),
              OutboundMessage.objects.count())
    with time_machine.travel(NOW, tick=False):
        counts = retention_seed(seed=5, customer_ids=seeded["ids"], now=NOW)
    assert set(counts.values()) == {0}
    assert (Reminder.objects.count(), Lapse.objects.count(), Callback.objects.count(),
            OutboundMessage.objects.count()) == before


# --- what the pages show of it --------------------------------------------------------------------------
def _agent_calls_today() -> list[Callback]:
    end_of_today = datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return list(Callback.objects.filter(kind__in=RETENTION_CALLS, status=Callback.Status.OPEN, due_at__lt=end_of_today,
                                        expires_at__gt=NOW).filter(Q(assigned_to__isnull=True) |
                                                                   Q(assigned_to__username="agent"))
                .select_related("customer"))


def test_the_agents_home_page_lists_todays_retention_calls_and_the_letters_to_print(seeded, client):
    client.force_login(User.objects.get(username="agent"))
    page = client.get(reverse("home")).content.decode()
    calls = _agent_calls_today()
    assert calls and any(call.customer.name in page for call in calls)
    waiting = Reminder.objects.filter(channel=Channel.LETTER, status=R.PENDING).count()
    assert f"{waiting} 封信件待打印" in page and reverse("retention:letters") in page


def test_the_letters_page_lists_each_letter_waiting_with_its_address(seeded, client):
    client.force_login(User.objects.get(username="agent"))
    page = client.get(reverse("retention:letters")).content.decode()
    assert 'id="letter-empty"' not in page
    for reminder in Reminder.objects.filter(channel=Channel.LETTER, status=R.PENDING).select_related("customer"):
        assert reminder.customer.name in page and reminder.customer.address in page


def test_the_lapse_and_reminder_lists_show_the_work(seeded, client):
    client.force_login(User.objects.get(username="supervisor"))
    lapses = client.get(reverse("retention:lapse_list")).content.decode()
    newest = Lapse.objects.filter(status=Lapse.Status.OPEN).select_related("customer").order_by("-created_on", "-id")
    assert any(lapse.customer.name in lapses for lapse in newest[:10])
    reminders = client.get(reverse("retention:reminder_list")).content.decode()
    assert any(reminder.customer.name in reminders for reminder in Reminder.objects.select_related("customer")[:10])
