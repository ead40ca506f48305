"""Every state change of the SMS platform: queueing, bulk sends, the dispatcher, receipts, replies.

A message is never sent twice:
- it is queued under an idempotency key that is unique in the database (a second queueing finds
  the row and makes none);
- the dispatcher claims due rows with SELECT … FOR UPDATE SKIP LOCKED and a conditional update to
  SENDING, in a transaction committed before the gateway is called, so two dispatchers never hold
  the same row;
- a row the gateway may have (a timeout, a worker killed during the call) becomes UNKNOWN and is
  never sent again by itself: a receipt settles it, or a person decides.
And never to someone who said stop: preferences are checked when the message is queued and again
when it is claimed, just before the gateway call.
"""

import dataclasses
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from . import reasons, schedule, texts
from .audience import Candidate, Exclusion, audience
from .gateways import get_gateway
from .gateways.base import ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, Gateway, Outgoing, Receipt, Reply, Result
from .models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage, Purpose, SmsTemplate, StaffAlert
from .ratelimit import throttle

logger = logging.getLogger(__name__)

DISPATCH_TASK = "dealer_crm.messaging.tasks.dispatch_task"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
Status = OutboundMessage.Status
CHUNK = 2000


class MessagingError(Exception):
    """A send that cannot be made as asked; the message says why, for the user."""


# --- who gets it -------------------------------------------------------------------------------
@dataclass
class Recipients:
    candidates: list[Candidate]
    excluded: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.candidates)

    def excluded_labels(self) -> list[tuple[str, int]]:
        """(reason in the reader's language, how many), the largest first."""
        return [(Exclusion(reason).label, n) for reason, n in self.excluded.most_common()]


def recipients_screen(candidates: Iterable[Candidate], *, purpose: str, template: SmsTemplate | None = None,
                      now: datetime | None = None, customer_ids: list[int] | None = None,
                      excluded: Counter | None = None) -> Recipients:
    """Who of these gets the message, and how many are left out for which reason.

    In order: the number (none, not a mobile), the customer's preferences for SMS of this purpose,
    the same number twice in the list (the first customer keeps it), the weekly cap of marketing
    messages, the same template to the same number today. `customer_ids` narrows the preference
    read when the list is known to be short.
    """
    now = now or timezone.now()
    excluded = Counter(excluded or {})
    refusals = audience().refusals(purpose=purpose, customer_ids=customer_ids)
    kept, mobiles = [], set()
    for candidate in candidates:
        if not candidate.mobile:
            excluded[Exclusion.NO_MOBILE] += 1
        elif not MOBILE.match(candidate.mobile):
            excluded[Exclusion.INVALID_MOBILE] += 1
        elif candidate.customer_id in refusals:
            excluded[refusals[candidate.customer_id]] += 1
        elif candidate.mobile in mobiles:
            excluded[Exclusion.DUPLICATE_MOBILE] += 1
        else:
            mobiles.add(candidate.mobile)
            kept.append(candidate)
    if purpose == Purpose.MARKETING and settings.SMS_MARKETING_WEEKLY_CAP:
        capped = _marketing_capped(now=now, customer_ids=customer_ids)
        kept = _drop(kept, lambda c: c.customer_id in capped, excluded, Exclusion.WEEKLY_CAP)
    if template is not None and settings.SMS_SAME_TEMPLATE_PER_DAY:
        had_today = _had_template_today(template=template, now=now)
        kept = _drop(kept, lambda c: c.mobile in had_today, excluded, Exclusion.SAME_TEMPLATE_TODAY)
    return Recipients(candidates=kept, excluded=excluded)


def _drop(candidates: list[Candidate], leave_out, excluded: Counter, reason: str) -> list[Candidate]:
    kept = [candidate for candidate in candidates if not leave_out(candidate)]
    if len(kept) != len(candidates):
        excluded[reason] += len(candidates) - len(kept)
    return kept


# Messages that count against the caps: all but those that never reached the gateway.
_COUNTED = ~Q(status__in=[Status.FAILED, Status.CANCELLED])


def _marketing_capped(*, now: datetime, customer_ids: list[int] | None) -> set[int]:
    messages = OutboundMessage.objects.filter(_COUNTED, purpose=Purpose.MARKETING, created_at__gte=now - timedelta(days=7))
    if customer_ids is not None:
        messages = messages.filter(customer_id__in=customer_ids)
    return set(messages.values("customer_id").annotate(n=Count("id"))
               .filter(n__gte=settings.SMS_MARKETING_WEEKLY_CAP).values_list("customer_id", flat=True))


def _had_template_today(*, template: SmsTemplate, now: datetime) -> set[str]:
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return set(OutboundMessage.objects.filter(_COUNTED, template=template, created_at__gte=day_start)
               .values("phone").annotate(n=Count("id")).filter(n__gte=settings.SMS_SAME_TEMPLATE_PER_DAY)
               .values_list("phone", flat=True))


def recipients_from_filter(*, query: str, user, purpose: str, template: SmsTemplate | None = None,
                           now: datetime | None = None) -> Recipients:
    """The customers of a customer-list filter (its query string), screened."""
    return recipients_screen(audience().from_filter(query, user=user), purpose=purpose, template=template, now=now)


def recipients_from_mobiles(*, mobiles: list[str], purpose: str, template: SmsTemplate | None = None,
                            now: datetime | None = None) -> Recipients:
    """The customers of an uploaded list of mobiles, screened; numbers of no customer are counted."""
    excluded: Counter = Counter()
    valid = []
    for mobile in mobiles:
        if not mobile:
            excluded[Exclusion.NO_MOBILE] += 1
        elif not MOBILE.match(mobile):
            excluded[Exclusion.INVALID_MOBILE] += 1
        else:
            valid.append(mobile)
    owners = audience().from_mobiles(valid)
    candidates = []
    for mobile in valid:
        if mobile in owners:
            candidates.append(owners[mobile])
        else:
            excluded[Exclusion.NOT_A_CUSTOMER] += 1
    return recipients_screen(candidates, purpose=purpose, template=template, now=now, excluded=excluded)


# --- templates -----------------------------------------------------------------------------------
def split_params(value: str) -> list[str]:
    """The Tencent parameter order as written: commas (also ，、), spaces and braces forgiven."""
    return [name for name in re.split(r"[\s,，、;；]+", (value or "").replace("{", "").replace("}", "")) if name]


def template_errors(template: SmsTemplate) -> dict[str, list[str]]:
    """field → what is wrong with it, in the reader's language: unknown variables, a typed
    signature, a Tencent parameter order that does not name exactly the variables the text uses."""
    errors: dict[str, list[str]] = {}
    try:
        texts.validate_template_text(template.text or "")
    except ValidationError as error:
        errors["text"] = list(error.messages)
    params = split_params(template.tencent_params)
    used = texts.variables_used(template.text or "")
    if params or template.tencent_id:
        problems = []
        unknown = [name for name in params if name not in texts.VARIABLES]
        twice = sorted({name for name in params if params.count(name) > 1})
        if unknown:
            problems.append(_("The Tencent parameter order names variables that do not exist: %(names)s.")
                            % {"names": "、".join(unknown)})
        if twice:
            problems.append(_("The Tencent parameter order names %(names)s twice.") % {"names": "、".join(twice)})
        missing = [name for name in used if name not in params]
        extra = [name for name in params if name not in used and name in texts.VARIABLES]
        if "text" not in errors and (missing or extra):
            problems.append(_("The Tencent parameter order must name exactly the variables the text uses: %(used)s.")
                            % {"used": ",".join(used) or _("none")})
        if problems:
            errors["tencent_params"] = problems
    return errors


def template_validate(template: SmsTemplate) -> None:
    """Raise every problem of the template at once (the model's own checks and `template_errors`)."""
    errors: dict[str, list] = {}
    try:
        template.full_clean(validate_unique=True)
    except ValidationError as error:
        errors = {field: list(messages) for field, messages in error.message_dict.items()}
    for field, messages in template_errors(template).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def template_normalize(template: SmsTemplate) -> None:
    """What a person typed, in the form the gateways read: the parameter order as name,plate,date."""
    template.text = (template.text or "").strip()
    template.tencent_params = ",".join(split_params(template.tencent_params))
    template.aliyun_code = (template.aliyun_code or "").strip()
    template.tencent_id = (template.tencent_id or "").strip()


@transaction.atomic
def template_save(*, template: SmsTemplate, by) -> SmsTemplate:
    """Save a template held to every rule (`template_validate`: a ValidationError names each
    problem on its field), with who changed it on the template and in its history. The one way
    a template is saved: the editor, the admin and the spreadsheet import all call it."""
    template_normalize(template)
    template_validate(template)
    if getattr(by, "pk", None):
        template.updated_by = by
        template._history_user = by
    template.save()
    return template


# --- what it says --------------------------------------------------------------------------------
def template_check(*, template: SmsTemplate | None, text: str, gateway: Gateway | None = None) -> None:
    """Refuse what the gateway cannot send: free text where only approved templates go, or a
    template without an approved id at this gateway."""
    gateway = gateway or get_gateway()
    if template is None:
        if not text.strip():
            raise MessagingError(_("Choose a template or write the text."))
        if not gateway.free_text:
            raise MessagingError(_("The gateway %(gateway)s sends only approved templates: choose a template.")
                                 % {"gateway": gateway.name})
        texts.validate_template_text(text)
        return
    if not template.active:
        raise MessagingError(_("The template “%(name)s” is not in use.") % {"name": template.name})
    if not gateway.free_text and not gateway.template_code(template):
        raise MessagingError(_("The template “%(name)s” has no approved ID at the gateway %(gateway)s.")
                             % {"name": template.name, "gateway": gateway.name})


def message_text(*, template: SmsTemplate | None, text: str, purpose: str, values: dict,
                 gateway_name: str | None = None) -> str:
    """The text as the customer reads it, without the signature the gateway adds."""
    body = texts.render(template.text if template is not None else text, values)
    return texts.with_opt_out(body, purpose=purpose, gateway_name=gateway_name)


def _store_values(extra: dict | None) -> dict:
    return {"store": settings.SMS_STORE_NAME, **{key: str(value) for key, value in (extra or {}).items() if value}}


def _rows(candidates: list[Candidate], *, key_for, template: SmsTemplate | None, text: str, purpose: str,
          variables: dict | None, now: datetime, bulk: BulkSend | None = None, source=None, by=None,
          gateway_name: str, values_for=None) -> Iterable[list[OutboundMessage]]:
    """The outbox rows for these recipients, a chunk at a time, each text filled in for its customer
    (and with `values_for(candidate)`, values of that recipient's own, e.g. the plate of the car a
    reminder is about)."""
    given = _store_values(variables)
    exempt = template.quiet_hours_exempt if template is not None else False
    not_before = schedule.next_send_time(now, exempt=exempt)
    source_type = ContentType.objects.get_for_model(source) if source is not None else None
    used = texts.variables_used(template.text if template is not None else text)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        known = audience().variables([candidate.customer_id for candidate in chunk])
        rows = []
        for candidate in chunk:
            values = {**known.get(candidate.customer_id, {}), **given}
            if values_for is not None:
                values |= _store_values(values_for(candidate))
            rows.append(OutboundMessage(
                customer_id=candidate.customer_id, phone=candidate.mobile, purpose=purpose,
                text=message_text(template=template, text=text, purpose=purpose, values=values, gateway_name=gateway_name),
                template=template, variables={name: str(values.get(name) or "") for name in used},
                idempotency_key=key_for(candidate)[:200], bulk=bulk, quiet_hours_exempt=exempt, not_before=not_before,
                source_type=source_type, source_id=str(source.pk) if source is not None else "", created_by=by,
            ))
        yield rows


def _insert(rows: list[OutboundMessage]) -> None:
    # A key already there (a retry, a second click, a second scheduler) is skipped by the database.
    OutboundMessage.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)


def dispatch_soon(parallel: int = 1) -> None:
    """Ask the workers to send what is due, once the current transaction commits. No ETA: a task
    waiting for its time in Redis is delivered again after the visibility timeout."""

    def enqueue():
        # Through the task object, so that its routing (its queue) applies; imported here, as the
        # tasks module imports this one.
        from .tasks import dispatch_task

        for _n in range(parallel):
            dispatch_task.apply_async()

    transaction.on_commit(enqueue)


# --- one message -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueOutcome:
    message: OutboundMessage | None
    created: bool
    excluded: str = ""  # an Exclusion when nothing was queued


@transaction.atomic
def message_queue(*, customer_id: int, purpose: str, idempotency_key: str, template: SmsTemplate | None = None,
                  text: str = "", variables: dict | None = None, source=None, by=None,
                  now: datetime | None = None) -> QueueOutcome:
    """Queue one message to one customer, unless they refuse it or this key is queued already.

    Callers build the key from what makes the message one: its purpose, the customer, the record it
    is about and the day (`"callback-sms:42:callback:7:2026-12-01"`); a page's send button uses the
    one-time key of the form it was shown with, so a double click sends once.
    """
    now = now or timezone.now()
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return QueueOutcome(message=existing, created=False, excluded=Exclusion.ALREADY_QUEUED)
    gateway = get_gateway()
    template_check(template=template, text=text, gateway=gateway)
    screened = recipients_screen(audience().of([customer_id]), purpose=purpose, template=template, now=now,
                                 customer_ids=[customer_id])
    if not screened.candidates:
        return QueueOutcome(message=None, created=False, excluded=next(iter(screened.excluded), Exclusion.NO_MOBILE))
    (row,) = next(_rows(screened.candidates, key_for=lambda _c: idempotency_key, template=template, text=text,
                        purpose=purpose, variables=variables, now=now, source=source, by=by, gateway_name=gateway.name))
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # queued meanwhile under the same key (a second click, a retried task)
        return QueueOutcome(message=OutboundMessage.objects.get(idempotency_key=idempotency_key), created=False,
                            excluded=Exclusion.ALREADY_QUEUED)
    dispatch_soon()
    return QueueOutcome(message=row, created=True)


# --- many messages, each about its own record ------------------------------------------------------
@dataclass(frozen=True)
class QueueItem:
    """One message of `messages_queue_many`: to whom, under which key, its own values (they win over
    the customer's: the plate of the car it is about), and the record it is about (its id)."""

    customer_id: int
    idempotency_key: str
    variables: dict = field(default_factory=dict)
    source_id: str = ""


@dataclass(frozen=True)
class ManyOutcome:
    queued: dict[str, int]  # key → the message's id (made now, or queued before under that key)
    refused: dict[str, str]  # key → why nothing was queued (an Exclusion)


@transaction.atomic
def messages_queue_many(*, items: list[QueueItem], purpose: str, template: SmsTemplate, now: datetime | None = None,
                        source_model=None, by=None) -> ManyOutcome:
    """Queue one message per item with one template, screened as a bulk send is (`recipients_screen`:
    preferences, holds, the same mobile twice, the same template today) and inserted a chunk at a
    time: a daily job's thousands of reminders in a few queries, where `message_queue` would take
    ten for each. A key queued before counts as queued (its message), never twice. The customer's
    second item in the list (two cars due the same day) is refused as the same mobile twice, as a
    bulk send refuses it. Raises MessagingError when the gateway cannot send the template at all."""
    now = now or timezone.now()
    if not items:
        return ManyOutcome(queued={}, refused={})
    gateway = get_gateway()
    template_check(template=template, text="", gateway=gateway)
    keys = [item.idempotency_key[:200] for item in items]
    queued: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        queued |= dict(OutboundMessage.objects.filter(idempotency_key__in=keys[start:start + CHUNK])
                       .values_list("idempotency_key", "id"))
    fresh = [item for item in items if item.idempotency_key[:200] not in queued]
    mobiles = dict(audience().of({item.customer_id for item in fresh}))
    candidates = [Candidate(customer_id=item.customer_id, mobile=mobiles.get(item.customer_id, "")) for item in fresh]
    screened = recipients_screen(candidates, purpose=purpose, template=template, now=now,
                                 customer_ids=list(mobiles) or [0])
    # Each kept candidate is its first item's (the screen keeps the first of a mobile).
    kept, item_of = Counter(screened.candidates), {}
    refused_items = []
    for item, candidate in zip(fresh, candidates, strict=True):
        if kept[candidate] and candidate not in item_of:
            item_of[candidate] = item
        else:
            refused_items.append((item, candidate))
    refused = _refusal_reasons(refused_items, kept=item_of, purpose=purpose, template=template, now=now)
    source_type = ContentType.objects.get_for_model(source_model) if source_model is not None else None
    recipients = list(item_of)
    done = 0
    for rows in _rows(recipients, key_for=lambda c: item_of[c].idempotency_key, template=template, text="",
                      purpose=purpose, variables=None, now=now, by=by, gateway_name=gateway.name,
                      values_for=lambda c: item_of[c].variables):
        # _rows keeps the recipients' order, a chunk at a time.
        for row, candidate in zip(rows, recipients[done:done + len(rows)], strict=True):
            row.source_type, row.source_id = source_type, str(item_of[candidate].source_id)[:64]
        done += len(rows)
        _insert(rows)
    made = [item.idempotency_key[:200] for item in item_of.values()]
    for start in range(0, len(made), CHUNK):
        queued |= dict(OutboundMessage.objects.filter(idempotency_key__in=made[start:start + CHUNK])
                       .values_list("idempotency_key", "id"))
    if made:
        dispatch_soon(parallel=settings.SMS_DISPATCH_PARALLEL)
    return ManyOutcome(queued=queued, refused={key: why for key, why in refused.items() if key not in queued})


def _refusal_reasons(refused_items: list, *, kept: dict, purpose: str, template: SmsTemplate,
                     now: datetime) -> dict[str, str]:
    """Why each item the screen left out was left out, in the screen's order of reasons (one more
    read of the preferences, for these customers only)."""
    if not refused_items:
        return {}
    refusals = audience().refusals(purpose=purpose, customer_ids={item.customer_id for item, _c in refused_items})
    had_today = _had_template_today(template=template, now=now) if settings.SMS_SAME_TEMPLATE_PER_DAY else set()
    kept_mobiles = {candidate.mobile for candidate in kept}
    reasons_of = {}
    for item, candidate in refused_items:
        if not candidate.mobile:
            why = Exclusion.NO_MOBILE
        elif not MOBILE.match(candidate.mobile):
            why = Exclusion.INVALID_MOBILE
        elif candidate.customer_id in refusals:
            why = refusals[candidate.customer_id]
        elif candidate.mobile in kept_mobiles:
            why = Exclusion.DUPLICATE_MOBILE
        elif candidate.mobile in had_today:
            why = Exclusion.SAME_TEMPLATE_TODAY
        else:
            why = Exclusion.WEEKLY_CAP
        reasons_of[item.idempotency_key[:200]] = why
    return reasons_of


# --- bulk sends ----------------------------------------------------------------------------------
def needs_approval(*, user, purpose: str) -> bool:
    """A marketing bulk send of someone who may not send marketing waits for the supervisor."""
    return purpose == Purpose.MARKETING and not user.has_perm("messaging.send_marketing")


def _bulk_recipients(bulk: BulkSend, *, user, now: datetime) -> Recipients:
    if bulk.upload_mobiles:
        return recipients_from_mobiles(mobiles=bulk.upload_mobiles, purpose=bulk.purpose, template=bulk.template, now=now)
    return recipients_from_filter(query=bulk.filter_query, user=user, purpose=bulk.purpose, template=bulk.template,
                                  now=now)


@transaction.atomic
def bulk_send_create(*, by, purpose: str, template: SmsTemplate | None = None, text: str = "",
                     variables: dict | None = None, query: str = "", mobiles: list[str] | None = None,
                     upload_name: str = "", now: datetime | None = None) -> BulkSend:
    """A confirmed bulk send: queued at once, or waiting for approval (`needs_approval`)."""
    now = now or timezone.now()
    template_check(template=template, text=text)
    if template is not None and template.purpose != purpose:
        purpose = template.purpose
    bulk = BulkSend.objects.create(
        template=template, text=text if template is None else "", purpose=purpose, variables=variables or {},
        filter_query=query, upload_name=upload_name, upload_mobiles=mobiles or [], created_by=by,
        status=BulkSend.Status.AWAITING_APPROVAL if needs_approval(user=by, purpose=purpose) else BulkSend.Status.QUEUED,
    )
    if bulk.status == BulkSend.Status.QUEUED:
        _bulk_queue(bulk, user=by, now=now)
    else:
        recipients = _bulk_recipients(bulk, user=by, now=now)
        bulk.recipients, bulk.excluded = recipients.count, dict(recipients.excluded)
        bulk.save(update_fields=["recipients", "excluded"])
    return bulk


def _bulk_queue(bulk: BulkSend, *, user, now: datetime) -> None:
    """Build the list again (it may have changed since the preview) and queue a row per recipient."""
    recipients = _bulk_recipients(bulk, user=user, now=now)
    gateway_name = settings.SMS_GATEWAY
    for rows in _rows(recipients.candidates, key_for=lambda c: f"bulk:{bulk.pk}:{c.customer_id}", template=bulk.template,
                      text=bulk.text, purpose=bulk.purpose, variables=bulk.variables, now=now, bulk=bulk,
                      by=bulk.created_by, gateway_name=gateway_name):
        _insert(rows)
    bulk.recipients, bulk.excluded, bulk.status = recipients.count, dict(recipients.excluded), BulkSend.Status.QUEUED
    if not recipients.count:
        bulk.status, bulk.finished_at = BulkSend.Status.DONE, now
    bulk.save(update_fields=["recipients", "excluded", "status", "finished_at"])
    if recipients.count:
        dispatch_soon(parallel=settings.SMS_DISPATCH_PARALLEL)


@transaction.atomic
def bulk_send_approve(*, bulk: BulkSend, by, now: datetime | None = None) -> BulkSend:
    now = now or timezone.now()
    bulk = BulkSend.objects.select_for_update().get(pk=bulk.pk)
    if bulk.status != BulkSend.Status.AWAITING_APPROVAL:
        raise MessagingError(_("This bulk send is not waiting for approval."))
    if bulk.created_by_id == by.pk:
        raise MessagingError(_("A bulk send is approved by someone other than its sender."))
    bulk.approved_by, bulk.approved_at = by, now
    bulk.save(update_fields=["approved_by", "approved_at"])
    _bulk_queue(bulk, user=bulk.created_by, now=now)
    return bulk


@transaction.atomic
def bulk_send_reject(*, bulk: BulkSend, by, now: datetime | None = None) -> BulkSend:
    bulk = BulkSend.objects.select_for_update().get(pk=bulk.pk)
    if bulk.status != BulkSend.Status.AWAITING_APPROVAL:
        raise MessagingError(_("This bulk send is not waiting for approval."))
    bulk.status, bulk.approved_by, bulk.approved_at = BulkSend.Status.REJECTED, by, now or timezone.now()
    bulk.save(update_fields=["status", "approved_by", "approved_at"])
    return bulk


@transaction.atomic
def bulk_send_resend_failed(*, bulk: BulkSend, by, now: datetime | None = None) -> int:
    """Queue again the messages of this bulk send that failed (never those that may have arrived)."""
    now = now or timezone.now()
    bulk = BulkSend.objects.select_for_update().get(pk=bulk.pk)
    exempt = bulk.template.quiet_hours_exempt if bulk.template_id else False
    count = bulk.messages.filter(status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, reason_code="", reason="", claim=None, claimed_at=None, settled_at=None,
        not_before=schedule.next_send_time(now, exempt=exempt))
    if count:
        bulk.status, bulk.finished_at = BulkSend.Status.QUEUED, None
        bulk.save(update_fields=["status", "finished_at"])
        dispatch_soon(parallel=settings.SMS_DISPATCH_PARALLEL)
    return count


# --- the dispatcher ------------------------------------------------------------------------------
def messages_call_off(*, message_ids: Iterable[int], detail: str = "", now: datetime | None = None) -> int:
    """The messages still waiting of something that no longer takes place (an event called off) are
    not sent: each one still queued is cancelled with the reason `called_off` and `detail` (what was
    called off, as its owner names it). One a sender has already claimed goes as it is. Returns how
    many were cancelled."""
    now = now or timezone.now()
    ids = list(message_ids)
    cancelled = 0
    for start in range(0, len(ids), 5000):
        cancelled += OutboundMessage.objects.filter(id__in=ids[start:start + 5000], status=Status.QUEUED).update(
            status=Status.CANCELLED, reason_code=reasons.CALLED_OFF, reason=detail[:500], settled_at=now)
    return cancelled


def claim(*, batch_size: int, gateway_name: str, now: datetime | None = None) -> list[OutboundMessage]:
    """Take up to `batch_size` due messages for this sender alone, committed before any is sent.

    Whoever said stop since the message was queued is left out in the same transaction, and the
    rows are read before it commits: after the commit the sender reads nothing more before the
    gateway call. A sender killed between the commit and the request leaves messages the gateway
    never got, in doubt like those it did get; that window is only the building of the request.
    """
    now = now or timezone.now()
    due = Q(status=Status.QUEUED, not_before__lte=now)
    if schedule.is_quiet(now):
        due &= Q(quiet_hours_exempt=True)
    token = uuid.uuid4()
    with transaction.atomic():
        rows = list(OutboundMessage.objects.filter(due).order_by("not_before", "id").select_related("template")
                    .select_for_update(skip_locked=True, of=("self",))[:batch_size])
        if not rows:
            return []
        refused = _refused(rows)
        if refused:
            held = {pk for pk, why in refused.items() if why == Exclusion.COMPLAINT_OPEN}
            for ids, code in ((held, reasons.HELD_AT_SEND), (refused.keys() - held, reasons.REFUSED_AT_SEND)):
                if ids:
                    OutboundMessage.objects.filter(id__in=ids, status=Status.QUEUED).update(
                        status=Status.CANCELLED, reason_code=code, reason="", settled_at=now)
            _bulk_finish({row.bulk_id for row in rows if row.id in refused and row.bulk_id}, now=now)
        rows = [row for row in rows if row.id not in refused]
        if not rows:
            return []
        taken = OutboundMessage.objects.filter(id__in=[row.id for row in rows], status=Status.QUEUED).update(
            status=Status.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1, gateway=gateway_name)
        if taken != len(rows):  # without row locks (SQLite) another sender may have taken some first
            return list(OutboundMessage.objects.filter(claim=token, status=Status.SENDING).select_related("template"))
        for row in rows:
            row.status, row.claim, row.claimed_at, row.attempts, row.gateway = (
                Status.SENDING, token, now, row.attempts + 1, gateway_name)
    return rows


def _refused(messages: list[OutboundMessage]) -> dict[int, str]:
    """message id → why (an Exclusion) of the messages whose customers now refuse SMS of their
    purpose, or are held from it: one read per purpose."""
    refused: dict[int, str] = {}
    for purpose in {message.purpose for message in messages}:
        of_purpose = [message for message in messages if message.purpose == purpose]
        refusing = audience().refusals(purpose=purpose, customer_ids={message.customer_id for message in of_purpose})
        refused |= {message.id: refusing[message.customer_id] for message in of_purpose
                    if message.customer_id in refusing}
    return refused


def send_claimed(*, gateway: Gateway, messages: list[OutboundMessage]) -> Counter:
    """Send claimed messages through the gateway and record what it answered."""
    if not messages:
        return Counter()
    outgoing = [Outgoing(id=m.id, phone=m.phone, text=m.text, template_code=gateway.template_code(m.template),
                         params=m.variables) for m in messages]
    throttle(gateway.name, len(outgoing))
    try:
        results = gateway.send(outgoing)
    except Exception:  # our own code failed around the call: the gateway may have the messages
        logger.exception("The %s gateway failed while sending %d messages", gateway.name, len(outgoing))
        results = [Result(id=m.id, outcome=UNKNOWN, code=reasons.SEND_CRASHED) for m in outgoing]
    return results_record(messages=messages, results=results)


def results_record(*, messages: list[OutboundMessage], results: list[Result]) -> Counter:
    """Record the gateway's answer for messages this sender holds (still SENDING under its claim):
    a receipt that came first is never overwritten. A few UPDATEs for the whole batch: one for the
    accepted, one for each distinct other outcome (a 4xx or a timeout is the same for all)."""
    now = timezone.now()
    if not messages:
        return Counter()
    by_id = {message.id: message for message in messages}
    outcomes = Counter()
    with transaction.atomic():
        held = set(OutboundMessage.objects.select_for_update().filter(
            id__in=list(by_id), status=Status.SENDING, claim=messages[0].claim).values_list("id", flat=True))
        sent: list[OutboundMessage] = []
        others: dict[tuple, list[int]] = {}  # the fields to set → the messages that get them
        for result in results:
            if result.id not in held:
                continue
            held.discard(result.id)  # an id answered twice counts once
            message = by_id[result.id]
            outcomes[result.outcome] += 1
            if result.outcome == ACCEPTED:
                message.status, message.sent_at, message.gateway_ref = Status.SENT, now, result.ref[:100]
                sent.append(message)
                continue
            # The reason as a code, with its detail (the gateway's own words stay as they are).
            code = result.code or (reasons.GATEWAY if result.reason or result.outcome == REJECTED else "")
            reason = {"reason_code": code, "reason": result.reason[:500]}
            if result.outcome == REJECTED:
                fields = {"status": Status.FAILED, **reason, "settled_at": now}
            elif result.outcome == TEMPORARY and message.attempts < settings.SMS_MAX_ATTEMPTS:
                fields = {"status": Status.QUEUED, **reason, "claim": None, "not_before": now + timedelta(
                    seconds=settings.SMS_RETRY_BACKOFF_SECONDS * 2 ** (message.attempts - 1))}
            elif result.outcome == TEMPORARY:  # shown with the attempts made and the last answer's detail
                fields = {"status": Status.FAILED, "settled_at": now, "reason_code": reasons.TEMPORARY_GAVE_UP,
                          "reason": result.reason[:500]}
            else:
                fields = {"status": Status.UNKNOWN, **reason}
            for name, value in fields.items():
                setattr(message, name, value)
            others.setdefault(tuple(fields.items()), []).append(message.id)
        if sent:
            _mark_sent(sent, now=now)
            audience().messages_sent(sent)
        for fields, ids in others.items():
            OutboundMessage.objects.filter(id__in=ids).update(**dict(fields))
        changed = [message.id for message in sent] + [i for ids in others.values() for i in ids]
        _bulk_finish({by_id[i].bulk_id for i in changed if by_id[i].bulk_id}, now=now)
    return outcomes


def _mark_sent(messages: list[OutboundMessage], *, now: datetime) -> None:
    """SENT, in one UPDATE, each with the gateway's own id of it (a CASE when they differ)."""
    refs = {message.gateway_ref for message in messages}
    if len(refs) == 1:
        gateway_ref = refs.pop()
    else:  # written as SQL: Django's Case/When costs a fifth of a millisecond of Python per row
        params = [value for message in messages for value in (message.id, message.gateway_ref)]
        gateway_ref = RawSQL("CASE id " + "WHEN %s THEN %s " * len(messages) + "ELSE gateway_ref END", params)
    OutboundMessage.objects.filter(id__in=[message.id for message in messages]).update(
        status=Status.SENT, sent_at=now, gateway_ref=gateway_ref)


def _bulk_finish(bulk_ids: set[int], *, now: datetime) -> None:
    """A bulk send is finished when none of its messages waits or is being sent."""
    for bulk_id in bulk_ids:
        pending = OutboundMessage.objects.filter(bulk_id=bulk_id, status__in=[Status.QUEUED, Status.SENDING]).exists()
        if not pending:
            BulkSend.objects.filter(pk=bulk_id, status=BulkSend.Status.QUEUED).update(status=BulkSend.Status.DONE, finished_at=now)


def sweep_in_doubt(*, now: datetime | None = None) -> int:
    """Claims older than the lease belong to a sender that stopped during the call (a killed
    worker): the gateway may have them, so they become UNKNOWN — never sent again by themselves."""
    now = now or timezone.now()
    stale = OutboundMessage.objects.filter(status=Status.SENDING,
                                           claimed_at__lt=now - timedelta(seconds=settings.SMS_CLAIM_LEASE_SECONDS))
    ids = list(stale.values_list("id", flat=True)[:10_000])
    if not ids:
        return 0
    count = OutboundMessage.objects.filter(id__in=ids, status=Status.SENDING).update(
        status=Status.UNKNOWN, reason_code=reasons.SENDER_STOPPED, reason="")
    bulks = set(OutboundMessage.objects.filter(id__in=ids, bulk__isnull=False).values_list("bulk_id", flat=True))
    _bulk_finish(bulks, now=now)
    return count


@dataclass
class DispatchOutcome:
    outcomes: Counter
    more: bool  # stopped for time with messages still due


def dispatch(*, gateway: Gateway | None = None, budget_seconds: float | None = None) -> DispatchOutcome:
    """Send what is due, a gateway batch at a time, for up to `budget_seconds`."""
    gateway = gateway or get_gateway()
    budget = settings.SMS_DISPATCH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    outcomes = Counter()
    while time.monotonic() < deadline:
        messages = claim(batch_size=gateway.batch_size, gateway_name=gateway.name)
        if not messages:
            return DispatchOutcome(outcomes=outcomes, more=False)
        outcomes += send_claimed(gateway=gateway, messages=messages)
    return DispatchOutcome(outcomes=outcomes, more=True)


def unknown_overdue(*, now: datetime | None = None):
    """UNKNOWN messages no receipt has settled within SMS_UNKNOWN_AFTER_HOURS: for a person to decide."""
    now = now or timezone.now()
    return OutboundMessage.objects.filter(status=Status.UNKNOWN,
                                          claimed_at__lt=now - timedelta(hours=settings.SMS_UNKNOWN_AFTER_HOURS))


@transaction.atomic
def message_decide_unknown(*, message: OutboundMessage, by, resend: bool, now: datetime | None = None) -> OutboundMessage:
    """A person settles an UNKNOWN message: sent again (they checked it did not arrive) or failed."""
    now = now or timezone.now()
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.UNKNOWN:
        raise MessagingError(_("This message is no longer in doubt."))
    if resend:
        message.status, message.claim, message.not_before = Status.QUEUED, None, schedule.next_send_time(
            now, exempt=message.quiet_hours_exempt)
        message.reason_code, message.reason = reasons.RESENT_BY_PERSON, by.get_username()
        dispatch_soon()
    else:
        message.status, message.settled_at = Status.FAILED, now
        message.reason_code, message.reason = reasons.FAILED_BY_PERSON, by.get_username()
    message.save(update_fields=["status", "claim", "not_before", "reason_code", "reason", "settled_at"])
    return message


# --- receipts and replies --------------------------------------------------------------------
def receipts_record(*, gateway_name: str, receipts: list[Receipt], now: datetime | None = None) -> dict[str, int]:
    """Match the gateway's receipts to our messages (`receipts_match`), store each once, and settle
    their messages. A receipt may come before the send call returned (the message is still SENDING)
    or after a timeout (UNKNOWN); a duplicate push finds the message settled and changes nothing.
    Receipts for no message of ours are counted as `unmatched` and otherwise ignored."""
    now = now or timezone.now()
    with transaction.atomic():
        receipts, found_refs = receipts_match(gateway_name=gateway_name, receipts=receipts, now=now)
        ids = {receipt.id for receipt in receipts if receipt.id is not None}
        open_rows = {message.id: message for message in OutboundMessage.objects.select_for_update().filter(
            id__in=ids, status__in=[Status.SENDING, Status.SENT, Status.UNKNOWN])}
        known = set(OutboundMessage.objects.filter(id__in=ids).values_list("id", flat=True))
        DeliveryReceipt.objects.bulk_create(
            [DeliveryReceipt(message_id=r.id, delivered=r.delivered, reason=r.reason[:500], gateway=gateway_name)
             for r in receipts if r.id in known], ignore_conflicts=True)
        changed, first_news = [], []
        for receipt in receipts:
            message = open_rows.pop(receipt.id, None) if receipt.id is not None else None
            if message is None:
                continue
            if message.status != Status.SENT:
                first_news.append(message)  # never recorded as sent: its timeline entry comes now
            message.status = Status.DELIVERED if receipt.delivered else Status.FAILED
            message.reason_code = "" if receipt.delivered else reasons.UNDELIVERED
            message.reason = "" if receipt.delivered else receipt.reason[:500]  # the gateway's own words
            message.settled_at, message.sent_at, message.claim = now, message.sent_at or now, None
            message.gateway_ref = found_refs.get(message.id, message.gateway_ref)
            changed.append(message)
        OutboundMessage.objects.bulk_update(
            changed, ["status", "reason_code", "reason", "settled_at", "sent_at", "claim", "gateway_ref"], batch_size=500)
        delivered_first = [m for m in first_news if m.status == Status.DELIVERED]
        if delivered_first:
            audience().messages_sent(delivered_first)
        _bulk_finish({m.bulk_id for m in changed if m.bulk_id}, now=now)
    unmatched = sum(1 for receipt in receipts if receipt.id is None or receipt.id not in known)
    return {"receipts": len(receipts), "settled": len(changed), "unmatched": unmatched}


def receipts_match(*, gateway_name: str, receipts: list[Receipt],
                   now: datetime | None = None) -> tuple[list[Receipt], dict[int, str]]:
    """The receipts with our message id wherever it can be known, and the gateway's ids found
    on the way (message id → gateway_ref) for the messages that had none.

    In order: our own id, echoed by the gateway (the out-id); else the gateway's own id of the
    message that we kept from the send answer (Tencent's receipts carry only its SerialNo); else,
    for a send call that timed out — so that we never got that id — the number the receipt names,
    when exactly one message of this gateway to that number is in doubt (UNKNOWN, no gateway id)
    from within the last SMS_RECEIPT_MATCH_HOURS, and this push names no second unknown SerialNo
    for that number. With none or several such messages the receipt stays unmatched: a guess
    could settle the wrong message. The gateway's id is then kept on the message, so that a
    repeated push is matched by it. A few queries for the whole push, whatever its size."""
    now = now or timezone.now()
    refs = {receipt.ref for receipt in receipts if receipt.id is None and receipt.ref}
    by_ref = dict(OutboundMessage.objects.filter(gateway=gateway_name, gateway_ref__in=refs)
                  .values_list("gateway_ref", "id")) if refs else {}
    unknown_refs: dict[str, set[str]] = {}  # number → the SerialNos of no message of ours
    for receipt in receipts:
        if receipt.id is None and receipt.ref not in by_ref and receipt.phone:
            unknown_refs.setdefault(_plain_phone(receipt.phone), set()).add(receipt.ref)
    found: dict[int, str] = {}
    by_phone: dict[str, int] = {}
    if unknown_refs:
        in_doubt = Counter()
        ids = {}
        for message_id, phone in OutboundMessage.objects.filter(
                gateway=gateway_name, status=Status.UNKNOWN, gateway_ref="", phone__in=list(unknown_refs),
                claimed_at__gte=now - timedelta(hours=settings.SMS_RECEIPT_MATCH_HOURS)).values_list("id", "phone"):
            in_doubt[phone] += 1
            ids[phone] = message_id
        for phone, serials in unknown_refs.items():
            if in_doubt[phone] == 1 and len(serials) == 1:
                by_phone[phone] = ids[phone]
                found[ids[phone]] = next(iter(serials))[:100]
    matched = []
    for receipt in receipts:
        if receipt.id is None and receipt.ref in by_ref:
            receipt = dataclasses.replace(receipt, id=by_ref[receipt.ref])
        elif receipt.id is None and receipt.phone and _plain_phone(receipt.phone) in by_phone:
            receipt = dataclasses.replace(receipt, id=by_phone[_plain_phone(receipt.phone)])
        matched.append(receipt)
    return matched, found


def _plain_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def reply_record(*, gateway_name: str, reply: Reply) -> InboundReply:
    """Store a customer's reply (a repeated push once); a reply that says stop opts every customer
    with that mobile out of marketing at once."""
    phone = _plain_phone(reply.phone)
    if reply.ref:
        existing = InboundReply.objects.filter(gateway=gateway_name, gateway_ref=reply.ref[:100]).first()
        if existing is not None:
            return existing
    opt_out = texts.is_opt_out(reply.text)
    try:
        with transaction.atomic():
            record = InboundReply.objects.create(phone=phone[:20], text=reply.text[:500], gateway=gateway_name,
                                                 gateway_ref=reply.ref[:100], opt_out=opt_out)
            if opt_out and MOBILE.match(phone):
                record.customers = audience().opt_out(phone=phone, text=reply.text[:500], at=record.received_at,
                                                      gateway=gateway_name)
                record.save(update_fields=["customers"])
    except IntegrityError:  # the same push, stored meanwhile by another request
        return InboundReply.objects.get(gateway=gateway_name, gateway_ref=reply.ref[:100])
    return record


# --- alerts to staff -----------------------------------------------------------------------------
STAFF_ALERT_BATCH = 100


def staff_alert_queue(*, mobile: str, text: str, idempotency_key: str, user_id: int | None = None,
                      now: datetime | None = None) -> tuple[StaffAlert, bool]:
    """Queue a text to a member of staff, once per key: (the alert, whether it is new). The caller
    builds the key from what makes the alert one (`"complaint-escalation:<escalation>:<user>"`) and
    chooses the hour — staff alerts are not held by the quiet hours. Sent by `staff_alerts_dispatch`
    once the caller's transaction has committed (the caller calls it: the alert may be part of a
    transaction that also records why it was sent)."""
    now = now or timezone.now()
    mobile, text = (mobile or "").strip(), (text or "").strip()
    if not MOBILE.match(mobile):
        raise MessagingError(_("%(mobile)s is not a mobile number.") % {"mobile": mobile})
    if not text:
        raise MessagingError(_("Write the text."))
    return StaffAlert.objects.get_or_create(idempotency_key=idempotency_key[:200], defaults={
        "phone": mobile, "text": text, "user_id": user_id, "not_before": now, "created_at": now})


def staff_alerts_dispatch(*, gateway: Gateway | None = None, now: datetime | None = None) -> Counter:
    """Send the staff alerts that are due through the configured gateway, each by one sender only.

    As the outbox does: due rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and marked
    SENDING in a transaction committed before the gateway is called; a temporary error waits with a
    doubling back-off up to SMS_MAX_ATTEMPTS; a timeout, or a claim older than the lease (a sender
    stopped during the call), is UNKNOWN and never sent again by itself. A gateway that sends only
    approved templates (Aliyun, Tencent) cannot send them: they fail with that reason, recorded."""
    now = now or timezone.now()
    gateway = gateway or get_gateway()
    outcomes = Counter()
    StaffAlert.objects.filter(status=Status.SENDING,
                              claimed_at__lt=now - timedelta(seconds=settings.SMS_CLAIM_LEASE_SECONDS)).update(
        status=Status.UNKNOWN, reason_code=reasons.SENDER_STOPPED, reason="")
    while True:
        with transaction.atomic():
            alerts = list(StaffAlert.objects.filter(status=Status.QUEUED, not_before__lte=now)
                          .order_by("not_before", "id").select_for_update(skip_locked=True)[:STAFF_ALERT_BATCH])
            if not alerts:
                return outcomes
            StaffAlert.objects.filter(id__in=[alert.id for alert in alerts]).update(
                status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, gateway=gateway.name)
        for alert in alerts:
            alert.attempts += 1
        outcomes += _staff_alerts_send(alerts, gateway=gateway, now=now)


def _staff_alerts_send(alerts: list[StaffAlert], *, gateway: Gateway, now: datetime) -> Counter:
    if not gateway.free_text:
        results = [Result(id=-alert.id, outcome=REJECTED, code=reasons.NO_TEMPLATE_ID, reason=gateway.name)
                   for alert in alerts]
    else:
        # Negated ids: a receipt echoing one cannot be read as a customer's message (read_out_id).
        outgoing = [Outgoing(id=-alert.id, phone=alert.phone, text=alert.text) for alert in alerts]
        throttle(gateway.name, len(outgoing))
        try:
            results = gateway.send(outgoing)
        except Exception:  # our own code failed around the call: the gateway may have them
            logger.exception("The %s gateway failed while sending %d staff alerts", gateway.name, len(outgoing))
            results = [Result(id=m.id, outcome=UNKNOWN, code=reasons.SEND_CRASHED) for m in outgoing]
    by_id = {-alert.id: alert for alert in alerts}
    outcomes = Counter()
    for result in results:
        alert = by_id.pop(result.id, None)
        if alert is None:
            continue
        outcomes[result.outcome] += 1
        code = result.code or (reasons.GATEWAY if result.reason or result.outcome == REJECTED else "")
        if result.outcome == ACCEPTED:
            fields = {"status": Status.SENT, "sent_at": now, "gateway_ref": result.ref[:100]}
        elif result.outcome == REJECTED:
            fields = {"status": Status.FAILED, "reason_code": code, "reason": result.reason[:500]}
        elif result.outcome == TEMPORARY and alert.attempts < settings.SMS_MAX_ATTEMPTS:
            fields = {"status": Status.QUEUED, "reason_code": code, "reason": result.reason[:500],
                      "not_before": now + timedelta(
                          seconds=settings.SMS_RETRY_BACKOFF_SECONDS * 2 ** (alert.attempts - 1))}
        elif result.outcome == TEMPORARY:
            fields = {"status": Status.FAILED, "reason_code": reasons.TEMPORARY_GAVE_UP, "reason": result.reason[:500]}
        else:
            fields = {"status": Status.UNKNOWN, "reason_code": code, "reason": result.reason[:500]}
        StaffAlert.objects.filter(pk=alert.pk, status=Status.SENDING).update(**fields)
    if by_id:  # not in the gateway's answer: it may have them
        StaffAlert.objects.filter(pk__in=[alert.pk for alert in by_id.values()], status=Status.SENDING).update(
            status=Status.UNKNOWN, reason_code=reasons.NOT_IN_ANSWER, reason="")
        outcomes[UNKNOWN] += len(by_id)
    return outcomes
