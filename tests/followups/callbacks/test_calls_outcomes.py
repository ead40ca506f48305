"""Each call's outcome and the attempt policy: when the customer reappears, when the callback ends,
and that attempts are counted when calls are made."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from dealer_crm.accounts.roles import Role
from dealer_crm.messaging.models import OutboundMessage
from followups.callbacks.models import CallAttempt, Callback, CallbackRule, Outcome, OutcomeRule
from followups.callbacks.services.calls import (
    CallError, callback_attempt_record, callback_release, callback_take_next,
)
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, default_callback_rules, make_callback

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1_10 = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1 + day, hour, minute, tzinfo=SHANGHAI)


def ssi_rule() -> CallbackRule:
    return CallbackRule.objects.get(kind="ssi", visit_kind="")


def taken(agent, *, now, **kwargs) -> Callback:
    callback = make_callback(customer=CustomerFactory(), due_at=now - timedelta(minutes=1), rule=ssi_rule(),
                             expires_at=now + timedelta(days=10), **kwargs)
    assert callback_take_next(agent=agent, now=now).pk == callback.pk
    callback.refresh_from_db()
    return callback


def call(callback, agent, outcome, now, **kwargs) -> Callback:
    """Take it (it is due at `now`) and record the call's outcome."""
    with time_machine.travel(now, tick=False):
        assert callback_take_next(agent=agent, now=now).pk == callback.pk
        callback_attempt_record(callback=callback, agent=agent, outcome=outcome, now=now, **kwargs)
    callback.refresh_from_db()
    return callback


@pytest.mark.django_db
def test_the_default_outcome_rules_are_those_of_the_store():
    rules = dict(OutcomeRule.objects.values_list("outcome", "retry_after_minutes"))
    assert rules["no_answer"] == 240 and rules["busy"] == 30 and rules["call_back"] is None


@pytest.mark.django_db
def test_no_answer_brings_the_customer_back_the_next_day_four_hours_later_in_the_day(agent):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(2, 14)  # one failed call a day (3 over 3 days), 240 minutes later in the day
    assert (callback.status, callback.assigned_to_id, callback.claimed_at) == (Callback.Status.OPEN, agent.pk, None)
    assert (callback.attempts, callback.last_outcome) == (1, Outcome.NO_ANSWER)
    assert callback.first_attempt_at == callback.last_attempt_at == DAY1_10


@pytest.mark.django_db
def test_busy_brings_the_customer_back_the_next_day_half_an_hour_later_in_the_day(agent):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.BUSY, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(2, 10, 30)


@pytest.mark.django_db
def test_an_outcome_rule_changed_by_the_supervisor_decides_the_delay(agent):
    OutcomeRule.objects.filter(outcome="no_answer").update(retry_after_minutes=60)
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(2, 11)


@pytest.mark.django_db
def test_with_two_calls_a_day_the_first_failure_comes_back_the_same_day(agent):
    rule = ssi_rule()
    rule.max_attempts, rule.attempt_days = 6, 3
    rule.save()
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(1, 14)  # the same day at another time
    callback = call(callback, agent, Outcome.NO_ANSWER, at(1, 14))
    assert callback.due_at == at(2, 18)  # the day's two used: tomorrow, later in the day


@pytest.mark.django_db
def test_a_retry_past_the_shift_end_moves_to_the_next_shift_start(agent):
    rule = ssi_rule()
    rule.max_attempts, rule.attempt_days = 6, 3
    rule.save()
    callback = taken(agent, now=at(1, 16))
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=at(1, 16))
    callback.refresh_from_db()
    assert callback.due_at == at(2, 8, 30)


@pytest.mark.django_db
def test_three_failed_calls_on_three_days_at_other_times_send_the_sms_and_close_as_lost_contact(agent):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert (callback.attempts, callback.status, callback.due_at) == (1, Callback.Status.OPEN, at(2, 14))

    callback = call(callback, agent, Outcome.NO_ANSWER, at(2, 14))
    assert (callback.attempts, callback.status, callback.due_at) == (2, Callback.Status.OPEN, at(3, 18))
    assert not OutboundMessage.objects.filter(idempotency_key=f"callback-unreachable:{callback.pk}").exists()

    callback = call(callback, agent, Outcome.NO_ANSWER, at(3, 18))
    assert (callback.attempts, callback.status, callback.close_reason) == (3, Callback.Status.LOST_CONTACT,
                                                                           "unreachable")
    assert callback.closed_at == at(3, 18) and callback.closed_by_id == agent.pk
    message = OutboundMessage.objects.get(idempotency_key=f"callback-unreachable:{callback.pk}")
    assert message.customer_id == callback.customer_id
    assert message.template_id == ssi_rule().unreachable_sms_template_id != ssi_rule().sms_template_id
    assert "多次致电未能联系上您" in message.text and "打分" not in message.text  # not the survey text
    made = [timezone_hour(a.made_at) for a in CallAttempt.objects.filter(callback=callback).order_by("made_at")]
    assert made == [10, 14, 18]  # three different times of day
    timeline = callback.customer.timeline.filter(kind="callback").order_by("occurred_at")
    assert [entry.params["variant"] for entry in timeline] == ["attempt", "attempt", "lost_contact"]


@pytest.mark.django_db
def test_the_last_failed_call_is_recorded_when_the_gateway_cannot_send_the_text(agent):
    template = ssi_rule().unreachable_sms_template
    template.active = False  # as for a gateway without the text's approved id: the platform refuses it
    template.save()
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    call(callback, agent, Outcome.NO_ANSWER, at(2, 14))
    callback = call(callback, agent, Outcome.NO_ANSWER, at(3, 18))
    assert (callback.attempts, callback.status) == (3, Callback.Status.LOST_CONTACT)
    assert not OutboundMessage.objects.filter(idempotency_key=f"callback-unreachable:{callback.pk}").exists()
    entry = callback.customer.timeline.filter(kind="callback").latest("occurred_at")
    assert entry.params["variant"] == "lost_contact" and entry.params["sms"] is False


@pytest.mark.django_db
def test_every_shipped_rule_sends_the_unreachable_text_after_the_last_failed_call():
    rules = CallbackRule.objects.select_related("sms_template", "unreachable_sms_template")
    assert {rule.unreachable_sms_template.key for rule in rules} == {"callback_unreachable_sms"}
    # the no-calls route's text is never the unreachable one (the no-show rule skips, it has none)
    assert "callback_unreachable_sms" not in {rule.sms_template.key for rule in rules if rule.sms_template}


@pytest.mark.django_db
def test_a_rule_without_an_unreachable_text_sends_no_sms_after_the_last_failed_call(agent):
    CallbackRule.objects.filter(pk=ssi_rule().pk).update(unreachable_sms_template=None)
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    call(callback, agent, Outcome.NO_ANSWER, at(2, 14))
    callback = call(callback, agent, Outcome.NO_ANSWER, at(3, 18))

    assert (callback.attempts, callback.status) == (3, Callback.Status.LOST_CONTACT)
    assert not OutboundMessage.objects.filter(customer=callback.customer).exists()  # not the survey text either
    entry = callback.customer.timeline.filter(kind="callback").latest("occurred_at")
    assert entry.params["variant"] == "lost_contact" and entry.params["sms"] is False


def timezone_hour(value: datetime) -> int:
    return value.astimezone(SHANGHAI).hour


@pytest.mark.django_db
def test_three_failed_calls_on_one_day_do_not_make_a_lost_contact(supervisor):
    """The supervisor calls three times in a morning: the policy wants three days."""
    callback = make_callback(due_at=DAY1_10 - timedelta(hours=1), rule=ssi_rule(), expires_at=DAY1_10 + timedelta(days=9))
    for minute in (0, 5, 10):
        callback_attempt_record(callback=callback, agent=supervisor, outcome=Outcome.NO_ANSWER,
                                now=DAY1_10 + timedelta(minutes=minute))
    callback.refresh_from_db()
    assert callback.attempts == 3 and callback.status == Callback.Status.OPEN


@pytest.mark.django_db
def test_attempts_count_calls_made_not_callbacks_queued_taken_or_given_back(agent):
    callback = taken(agent, now=DAY1_10)
    callback_release(callback=callback, agent=agent)
    callback_take_next(agent=agent, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.attempts == 0 and not CallAttempt.objects.filter(callback=callback).exists()
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.BUSY, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.attempts == 1 and CallAttempt.objects.filter(callback=callback, agent=agent).count() == 1


@pytest.mark.django_db
def test_a_reached_call_back_does_not_count_towards_lost_contact(agent):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback = call(callback, agent, Outcome.CALL_BACK, at(2, 14), call_back_at=at(2, 16))
    callback = call(callback, agent, Outcome.NO_ANSWER, at(2, 16))
    assert callback.attempts == 3 and callback.status == Callback.Status.OPEN


@pytest.mark.django_db
def test_call_back_at_makes_it_due_at_the_time_the_customer_gave(agent):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.CALL_BACK, call_back_at=at(1, 19, 30),
                            now=DAY1_10)
    callback.refresh_from_db()
    assert (callback.status, callback.due_at, callback.assigned_to_id) == (Callback.Status.OPEN, at(1, 19, 30), agent.pk)
    assert CallAttempt.objects.get(callback=callback).call_back_at == at(1, 19, 30)


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "message"), [
    (None, "请填写客户希望回电的时间"),
    (DAY1_10, "回电时间必须晚于现在"),
    (DAY1_10 + timedelta(days=10), "回电时间必须早于回访到期时间"),
])
def test_call_back_at_refuses_a_missing_past_or_too_late_time(agent, when, message):
    callback = taken(agent, now=DAY1_10)
    with pytest.raises(CallError) as raised:
        callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.CALL_BACK, call_back_at=when,
                                now=DAY1_10)
    assert message in str(raised.value)
    callback.refresh_from_db()
    assert callback.attempts == 0 and callback.status == Callback.Status.IN_PROGRESS


@pytest.mark.django_db
@pytest.mark.parametrize(("outcome", "status"), [(Outcome.WRONG_NUMBER, Callback.Status.WRONG_NUMBER),
                                                 (Outcome.REFUSED, Callback.Status.REFUSED)])
def test_wrong_number_and_refused_end_the_callback(agent, outcome, status):
    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=outcome, now=DAY1_10)
    callback.refresh_from_db()
    assert (callback.status, callback.closed_at, callback.attempts, callback.close_reason) == (status, DAY1_10, 1, outcome)
    assert callback_take_next(agent=agent, now=DAY1_10 + timedelta(days=1)) is None


@pytest.mark.django_db
def test_a_reappearance_never_passes_the_expiry(agent):
    callback = make_callback(due_at=DAY1_10 - timedelta(hours=1), rule=ssi_rule(), expires_at=at(2, 0))
    callback_take_next(agent=agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(2, 0)
    assert callback_take_next(agent=agent, now=at(2, 0)) is None


@pytest.mark.django_db
def test_a_colleague_cannot_record_a_call_on_a_callback_they_do_not_hold(agent):
    colleague = UserFactory(username="agent_wu", roles=[Role.CALLBACK_AGENT])
    callback = taken(agent, now=DAY1_10)
    with pytest.raises(PermissionDenied):
        callback_attempt_record(callback=callback, agent=colleague, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    assert not CallAttempt.objects.filter(callback=callback).exists()


@pytest.mark.django_db
def test_an_agent_cannot_record_on_a_callback_they_did_not_take(agent):
    callback = make_callback(due_at=DAY1_10 - timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)


@pytest.mark.django_db
def test_the_supervisor_may_record_on_an_open_callback(supervisor):
    callback = make_callback(due_at=DAY1_10 - timedelta(hours=1), rule=ssi_rule(), expires_at=DAY1_10 + timedelta(days=9))
    callback_attempt_record(callback=callback, agent=supervisor, outcome=Outcome.REFUSED, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.status == Callback.Status.REFUSED and callback.closed_by_id == supervisor.pk


@pytest.mark.django_db
def test_a_next_day_retry_past_the_shift_end_starts_the_shift(agent):
    callback = taken(agent, now=at(1, 16))
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=at(1, 16))
    callback.refresh_from_db()
    assert callback.due_at == at(2, 8, 30)  # 16:00 + 240 minutes is past 18:00: the next morning instead


@pytest.mark.django_db
def test_the_calls_read_on_the_timeline_in_the_readers_language(agent):
    from django.utils import translation

    from customers.timeline import entry_text

    callback = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    entry = callback.customer.timeline.get(kind="callback")
    assert entry.title == ""  # stored as a kind and parameters, never as display text
    with translation.override("zh-hans"):
        chinese = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body).title
    with translation.override("en"):
        english = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body).title
    assert "SSI回访第1次致电：未接通" in chinese
    assert "call 1: No answer" in english


# --- what each call leaves behind (the rows the supervisor and the customer's page read) ------------
def lost_after_three_days(agent, callback) -> Callback:
    """Three unanswered calls on three days; the last one recorded without moving the clock, so that
    what it queues and writes is dated by the call's moment, not by the server's."""
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    call(callback, agent, Outcome.NO_ANSWER, at(2, 14))
    assert callback_take_next(agent=agent, now=at(3, 18)).pk == callback.pk
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=at(3, 18))
    callback.refresh_from_db()
    return callback


@pytest.mark.django_db
def test_the_unreachable_text_is_a_service_message_of_the_callback_queued_by_the_agent_at_the_call(agent):
    from django.contrib.contenttypes.models import ContentType

    callback = lost_after_three_days(agent, taken(agent, now=DAY1_10))
    message = OutboundMessage.objects.get(idempotency_key=f"callback-unreachable:{callback.pk}")
    assert message.purpose == "service"
    assert (message.source_type, message.source_id) == (ContentType.objects.get_for_model(Callback), str(callback.pk))
    assert message.created_by_id == agent.pk
    assert message.not_before == at(3, 18)  # 18:00 is no quiet hour: sendable at the call's moment


@pytest.mark.django_db
def test_the_lost_contact_entry_says_who_when_after_how_many_calls_and_that_the_text_went(agent):
    from django.utils import translation

    from customers.timeline import entry_text

    callback = lost_after_three_days(agent, taken(agent, now=DAY1_10))
    entry = callback.customer.timeline.get(kind="callback", params__variant="lost_contact")
    assert (entry.created_by_id, entry.occurred_at) == (agent.pk, at(3, 18))
    assert (entry.params["attempts"], entry.params["sms"]) == (3, True)
    with translation.override("en"):
        title = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body).title
    assert "not reached after 3 calls, lost contact" in title


@pytest.mark.django_db
def test_a_callback_without_a_rule_closes_as_lost_contact_on_the_default_policy_without_a_text(supervisor):
    callback = make_callback(due_at=DAY1_10 - timedelta(hours=1), expires_at=DAY1_10 + timedelta(days=9))
    for day, hour in ((1, 10), (2, 14), (3, 18)):
        callback_attempt_record(callback=callback, agent=supervisor, outcome=Outcome.NO_ANSWER, now=at(day, hour))
    callback.refresh_from_db()
    assert (callback.attempts, callback.status, callback.close_reason) == (3, Callback.Status.LOST_CONTACT,
                                                                           "unreachable")
    assert not OutboundMessage.objects.filter(idempotency_key=f"callback-unreachable:{callback.pk}").exists()
    entry = callback.customer.timeline.get(kind="callback", params__variant="lost_contact")
    assert entry.params["sms"] is False


@pytest.mark.django_db
def test_without_outcome_rules_the_stores_delays_apply(agent):
    OutcomeRule.objects.all().delete()
    unanswered = taken(agent, now=DAY1_10)
    callback_attempt_record(callback=unanswered, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    busy = make_callback(customer=CustomerFactory(), due_at=DAY1_10 - timedelta(minutes=1), rule=ssi_rule(),
                         expires_at=DAY1_10 + timedelta(days=10))
    callback_attempt_record(callback=busy, agent=UserFactory(username="dcrc_lead", roles=[Role.DCRC_SUPERVISOR]),
                            outcome=Outcome.BUSY, now=DAY1_10)
    unanswered.refresh_from_db()
    busy.refresh_from_db()
    assert (unanswered.due_at, busy.due_at) == (at(2, 14), at(2, 10, 30))


@pytest.mark.django_db
def test_someone_outside_the_callback_centre_cannot_record_a_call(agent):
    callback = taken(agent, now=DAY1_10)
    for role in (Role.SALES_MANAGER, Role.SERVICE_MANAGER):
        outsider = UserFactory(username=f"outsider_{role.value}", roles=[role])
        with pytest.raises(PermissionDenied):
            callback_attempt_record(callback=callback, agent=outsider, outcome=Outcome.REFUSED, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.status == Callback.Status.IN_PROGRESS and callback.attempts == 0


@pytest.mark.django_db
def test_a_call_entry_names_the_callback_its_car_the_agent_and_the_moment_of_the_call(agent):
    from django.contrib.contenttypes.models import ContentType

    from tests.customers.factories import make_vehicle

    customer = CustomerFactory()
    vehicle = make_vehicle(customer, serial=31)
    callback = make_callback(customer=customer, vehicle=vehicle, due_at=DAY1_10 - timedelta(minutes=1), rule=ssi_rule(),
                             expires_at=DAY1_10 + timedelta(days=10))
    assert callback_take_next(agent=agent, now=DAY1_10).pk == callback.pk
    callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.BUSY, now=DAY1_10)
    entry = customer.timeline.get(kind="callback")
    assert (entry.vehicle_id, entry.created_by_id, entry.occurred_at) == (vehicle.pk, agent.pk, DAY1_10)
    assert (entry.source_type, entry.source_id) == (ContentType.objects.get_for_model(Callback), str(callback.pk))
    assert entry.params["callback"] == callback.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("note", "kept"), [("  客户在开会，下午再打  ", "客户在开会，下午再打"), ("", ""), (None, ""),
                                            ("很" * 600, "很" * 500)])
def test_the_calls_note_is_kept_trimmed_and_cut_at_500_characters(agent, note, kept):
    callback = taken(agent, now=DAY1_10)
    attempt = callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.BUSY, now=DAY1_10, note=note)
    assert CallAttempt.objects.get(pk=attempt.pk).note == kept


@pytest.mark.django_db
def test_the_next_day_is_reckoned_from_the_calls_moment_not_the_servers_clock(agent):
    callback = taken(agent, now=DAY1_10)
    with time_machine.travel(at(5, 9), tick=False):  # recorded later, for the moment the call was made
        callback_attempt_record(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER, now=DAY1_10)
    callback.refresh_from_db()
    assert callback.due_at == at(2, 14)
