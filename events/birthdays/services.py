"""The day's birthday greetings (`birthdays_greet`), run each morning by the daily job.

On the day of a birthday (28 February for 29 February in a common year):

- every active customer born that day gets one greeting SMS (care purpose, template
  ``birthday_greeting``), under the key ``birthday:<customer>:<year>``;
- every customer whose child on file (a family member, relation child) is born that day gets one
  SMS for their children of the day (``birthday_child``, key ``birthday-child:<customer>:<day>``):
  twins share it;
- an important or VIP customer's own birthday also makes the birthday call (CallbackKind.BIRTHDAY,
  source ``birthday:<year>``), due at the shift's start and to be made within
  BIRTHDAY_CALL_WITHIN of it (the norm), unless the customer takes no calls or the rule is off.

Each person gets one `BirthdayGreeting` a year (two partial unique constraints): the rows are
inserted first with ON CONFLICT DO NOTHING and only those inserted go on, so a second run, or two
runs at once (the second waits on the first's rows, then skips them), make nothing more. The SMS
platform screens each text as it screens a bulk send (preferences for greetings, no mobile, the same
mobile twice) and holds it in quiet hours; what it refuses is kept on the greeting with the reason.
The SMS is on the customer's timeline when it is sent (the platform's entry): no entry of our own.
"""

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ContactPreference, Customer, FamilyMember
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.models import Purpose, SmsTemplate
from dealer_crm.messaging.services import MessagingError, QueueItem, messages_queue_many
from followups.callbacks.models import Callback, CallbackKind, CallbackRule
from followups.callbacks.services.building import IMPORTANCE_BOOST, callback_window
from followups.retention.services.common import CALLBACK_COLUMNS, chunks, insert_returning, jit_off, update_values

from .days import age_on, birthday_q
from .models import BirthdayGreeting

logger = logging.getLogger(__name__)

GREETING_TEMPLATE = "birthday_greeting"
CHILD_TEMPLATE = "birthday_child"
IMPORTANT = (Customer.Importance.IMPORTANT, Customer.Importance.VIP)
# The norm: birthday calls within 2 hours of the shift's start.
BIRTHDAY_CALL_WITHIN = timedelta(hours=2)
# The call's rule when the supervisor has none (an emptied database): migration 0002's.
CALL_DEFAULTS = {"priority": 20, "expires_after_days": 1}


class Skip:
    """Why a greeting has no SMS or an important customer no call (besides the platform's Exclusions)."""

    SMS_NOT_SENT = "sms_not_sent"  # the text is not in use, or has no ID at the gateway
    REFUSES_CALLS = "refuses_calls"
    NO_PHONE = "no_phone"
    CALLS_OFF = "calls_off"  # the supervisor turned the birthday call rule off

    LABELS = {
        SMS_NOT_SENT: _("The SMS could not be sent (the text is not in use or has no ID at the gateway)"),
        REFUSES_CALLS: _("Takes no calls for greetings"),
        NO_PHONE: _("No phone number"),
        CALLS_OFF: _("The birthday call rule is turned off"),
    }


def reason_label(code: str) -> str:
    """Why a greeting was not sent or a call not made, in the reader's language (ours, or the SMS
    platform's Exclusion); the code itself when neither knows it."""
    if code in Skip.LABELS:
        return str(Skip.LABELS[code])
    if code in Exclusion.values:
        return str(Exclusion(code).label)
    return code


def _refuses_calls(customer_ids: list[int]) -> set[int]:
    """Who refuses greeting calls: the most specific answer decides (phone for greetings, phone for
    anything, any channel for greetings, any channel for anything); one query per chunk."""
    P = ContactPreference
    order = [(P.Channel.PHONE, P.Purpose.CARE), (P.Channel.PHONE, P.Purpose.ALL), (P.Channel.ANY, P.Purpose.CARE),
             (P.Channel.ANY, P.Purpose.ALL)]
    said: dict[int, dict] = defaultdict(dict)
    for chunk in chunks(customer_ids):
        for customer_id, channel, purpose, allowed in P.objects.filter(
                customer_id__in=chunk, channel__in=[P.Channel.PHONE, P.Channel.ANY],
                purpose__in=[P.Purpose.CARE, P.Purpose.ALL]).values_list("customer_id", "channel", "purpose", "allowed"):
            said[customer_id][(channel, purpose)] = allowed
    refusing = set()
    for customer_id, answers in said.items():
        for key in order:
            if key in answers:
                if not answers[key]:
                    refusing.add(customer_id)
                break
    return refusing


def sms_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


@transaction.atomic
def birthdays_greet(*, on: date, now: datetime | None = None) -> dict[str, int]:
    """Greet the day's birthdays (see the module's docstring). Returns the counts made: "created"
    (greetings), "customers" and "children" of them, "sms" (greetings queued), "refused" (the
    platform refused, or the text could not be sent), "calls" (birthday calls queued) and
    "no_call" (important customers who take no calls). A second run creates 0."""
    now = now or timezone.now()
    jit_off()
    days = [on]
    people = list(Customer.objects.filter(birthday_q(days), birthday__lt=on)
                  .values_list("id", "birthday", "importance", "mobile", "phone2"))
    children = list(FamilyMember.objects.filter(birthday_q(days), birthday__lt=on, relation=FamilyMember.Relation.CHILD,
                                                customer__merged_into__isnull=True)
                    .values_list("id", "customer_id", "birthday"))
    rows = [(customer_id, None, on.year, on, age_on(birthday, day=on), BirthdayGreeting.Status.QUEUED.value, "", "", now)
            for customer_id, birthday, *_rest in people]
    rows += [(customer_id, child_id, on.year, on, age_on(birthday, day=on), BirthdayGreeting.Status.QUEUED.value, "",
              "", now) for child_id, customer_id, birthday in children]
    columns = ("customer_id", "family_member_id", "year", "celebrated_on", "age", "status", "refused_reason",
               "call_skipped", "created_at")
    made = insert_returning(BirthdayGreeting._meta.db_table, columns, rows, ("id", "customer_id", "family_member_id"))
    own = {customer_id: pk for pk, customer_id, child_id in made if child_id is None}
    of_children: dict[int, list[int]] = defaultdict(list)
    for pk, customer_id, child_id in made:
        if child_id is not None:
            of_children[customer_id].append(pk)
    counts = {"created": len(made), "customers": len(own), "children": len(made) - len(own), "sms": 0, "refused": 0,
              "calls": 0, "no_call": 0}
    templates = {t.key: t for t in SmsTemplate.objects.filter(key__in=[GREETING_TEMPLATE, CHILD_TEMPLATE])}
    own_items = [QueueItem(customer_id=customer_id, idempotency_key=f"birthday:{customer_id}:{on.year}",
                           source_id=str(pk)) for customer_id, pk in own.items()]
    child_items = [QueueItem(customer_id=customer_id, idempotency_key=f"birthday-child:{customer_id}:{on.isoformat()}",
                             variables={"date": sms_day(on)}, source_id=str(pks[0]))
                   for customer_id, pks in of_children.items()]
    for key, items, greetings_of in ((GREETING_TEMPLATE, own_items, lambda c: [own[c]]),
                                     (CHILD_TEMPLATE, child_items, lambda c: of_children[c])):
        sent, refused = _texts_send(items, template=templates.get(key), now=now)
        queued_rows = [(pk, message_id) for customer_id, message_id in sent.items() for pk in greetings_of(customer_id)]
        _greetings_mark(queued_rows, refused={pk: why for customer_id, why in refused.items()
                                              for pk in greetings_of(customer_id)})
        counts["sms"] += len(queued_rows)
        counts["refused"] += sum(len(greetings_of(customer_id)) for customer_id in refused)
    # The day's important customers greeted without a call yet: those greeted now, and one whose greeting
    # was recorded otherwise (by hand, or an earlier run that stopped before its calls).
    important = list(BirthdayGreeting.objects.filter(celebrated_on=on, family_member__isnull=True, callback__isnull=True,
                                                     call_skipped="", customer__importance__in=IMPORTANT)
                     .values_list("id", "customer_id", "customer__importance", "customer__mobile", "customer__phone2"))
    counts["calls"], counts["no_call"] = _calls_make(important, on=on, now=now)
    logger.info("Birthdays for %s: %s", on, counts)
    return counts


def _texts_send(items: list[QueueItem], *, template: SmsTemplate | None, now: datetime
                ) -> tuple[dict[int, int], dict[int, str]]:
    """Queue these greetings in one bulk insert: (customer → message id, customer → why refused)."""
    if not items:
        return {}, {}
    try:
        if template is None:
            raise MessagingError("no birthday template")
        outcome = messages_queue_many(items=items, purpose=Purpose.CARE, template=template, now=now,
                                      source_model=BirthdayGreeting)
    except MessagingError as error:
        logger.warning("Birthday greetings: the text was not queued: %s", error)
        return {}, {item.customer_id: Skip.SMS_NOT_SENT for item in items}
    sent, refused = {}, {}
    for item in items:
        message_id = outcome.queued.get(item.idempotency_key)
        if message_id is not None:
            sent[item.customer_id] = message_id
        else:
            refused[item.customer_id] = outcome.refused.get(item.idempotency_key, Skip.SMS_NOT_SENT)
    return sent, refused


def _greetings_mark(queued: list[tuple[int, int]], *, refused: dict[int, str]) -> None:
    update_values(BirthdayGreeting, ["message_id"], queued)
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, why in refused.items():
        by_reason[why].append(pk)
    for why, pks in by_reason.items():
        for chunk in chunks(pks):
            BirthdayGreeting.objects.filter(pk__in=chunk).update(status=BirthdayGreeting.Status.REFUSED,
                                                                 refused_reason=why[:40])


def call_rule() -> CallbackRule | None:
    return CallbackRule.objects.filter(kind=CallbackKind.BIRTHDAY, visit_kind="").first()


def call_window(*, on: date, now: datetime, rule: CallbackRule | None) -> tuple[datetime, datetime]:
    """A birthday call's due time (the shift's start, or now when the job runs later) and its end."""
    expires_days = rule.expires_after_days if rule is not None else CALL_DEFAULTS["expires_after_days"]
    due_at, expires_at = callback_window(source_on=on, due_day=0, expires_day=expires_days)
    due_at = max(due_at, min(now, expires_at))
    return due_at, max(expires_at, due_at)


def _calls_make(important: list[tuple[int, int, str, str, str]], *, on: date, now: datetime) -> tuple[int, int]:
    """The birthday calls of the day's important customers (greeting id, customer id, importance,
    mobile, phone2), in one insert; who gets none and why is kept on their greeting. Returns (calls
    queued, customers without a call)."""
    if not important:
        return 0, 0
    rule = call_rule()
    greetings = {customer_id: pk for pk, customer_id, *_r in important}
    importance_of = {customer_id: importance for _pk, customer_id, importance, *_r in important}
    skipped: dict[str, list[int]] = defaultdict(list)
    if rule is not None and not rule.enabled:
        skipped[Skip.CALLS_OFF] = [pk for pk, *_r in important]
        important = []
    refusing = _refuses_calls([customer_id for _pk, customer_id, *_r in important])
    calls = []
    due_at, expires_at = call_window(on=on, now=now, rule=rule)
    priority = rule.priority if rule is not None else CALL_DEFAULTS["priority"]
    for _pk, customer_id, _importance, mobile, phone2 in important:
        if customer_id in refusing:
            skipped[Skip.REFUSES_CALLS].append(greetings[customer_id])
        elif not (mobile or phone2):
            skipped[Skip.NO_PHONE].append(greetings[customer_id])
        else:
            calls.append({"customer_id": customer_id, "kind": CallbackKind.BIRTHDAY.value,
                          "source_key": f"birthday:{on.year}", "rule_id": rule.pk if rule is not None else None,
                          "status": Callback.Status.OPEN.value,
                          "priority": priority + IMPORTANCE_BOOST.get(importance_of[customer_id], 0),
                          "due_at": due_at, "expires_at": expires_at, "created_on": on})
    rows = [(call["customer_id"], None, call["kind"], call["source_key"], call["rule_id"], call["status"],
             call["priority"], call["due_at"], call["expires_at"], 0, "", "", None, "", call["created_on"], now)
            for call in calls]
    # A call already queued for the customer's birthday of the year is left as it is (callback_one_per_source).
    made = insert_returning(Callback._meta.db_table, CALLBACK_COLUMNS, rows, ("id", "customer_id")) if rows else []
    update_values(BirthdayGreeting, ["callback_id"], [(greetings[customer_id], pk) for pk, customer_id in made])
    for why, pks in skipped.items():
        for chunk in chunks(pks):
            BirthdayGreeting.objects.filter(pk__in=chunk).update(call_skipped=why)
    return len(made), sum(len(pks) for pks in skipped.values())
