"""Every state change of an in-store event (店内活动): the event, its target group, the invitations and
their answers, the door, the preparation checklist and the outcome.

What must never be wrong, and what keeps it so:
- a customer is invited to an event once (`invitation_once_per_customer`): `invitations_create`
  inserts the whole target group in one INSERT … SELECT … ON CONFLICT DO NOTHING, so a second run,
  or two at once, add only customers who joined the group since;
- an invitation's text goes out once: it is queued through the SMS platform under the key
  `event-invitation:<invitation>` (the platform's idempotency key is unique), with the marketing
  purpose, so the customer's preferences, the weekly cap, the quiet hours and the complaints'
  marketing hold apply as for every marketing text;
- an invitation's call is queued once: the callback queue's `callback_one_per_source` holds one
  INVITATION call per customer per event (`event:<event>`); customers who refuse calls for
  marketing, or whose marketing is held, get none;
- a guest is checked in once: the invitation's row is locked and a second tap is refused with when
  and by whom they were checked in (`AlreadyCheckedIn`);
- the places (`Event.capacity`) are never promised twice: a yes is counted under the event's row lock.

Statuses: planning → inviting (the first invitations) → held (the outcome recorded); planning or
inviting → cancelled.
"""

from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from customers.holds import marketing_held
from customers.models import ContactPreference, Customer, TimelineEntry
from customers.services import timeline_add

from .audience import AudienceError, audience_clean, audience_customers
from .models import ChecklistItem, Event, Invitation

S = Event.Status
Rsvp = Invitation.Rsvp
EVENT_FIELDS = ("title", "kind", "starts_at", "ends_at", "venue", "description", "budget", "capacity",
                "members_only", "organiser")
CHECKLIST_FIELDS = ("kind", "title", "owner", "due_on", "cost", "note")
MAX_PARTY = 20
SMS_KEY = "event-invitation:{pk}"
CALL_SOURCE = "event:{pk}"


class EventError(ValidationError):
    """A change the event's rules refuse; the message says why, in the user's language."""


class AlreadyCheckedIn(EventError):
    """The guest came through the door already (a second tap, or a colleague at the other door)."""

    def __init__(self, invitation: Invitation):
        at = timezone.localtime(invitation.checked_in_at)
        user = invitation.checked_in_by
        who = (getattr(user, "display_name", "") or user.get_username()) if user is not None else ""
        super().__init__(_("Already checked in at %(time)s%(by)s.") % {
            "time": time_format(at, "H:i"), "by": _(" by %(name)s") % {"name": who} if who else ""})
        self.invitation = invitation


def _validated(instance, *, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise EventError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _open(event: Event) -> None:
    if event.status == S.CANCELLED:
        raise EventError(_("This event was cancelled."))
    if event.status == S.HELD:
        raise EventError(_("This event has been held: its outcome is recorded."))


def _fields(fields: dict, allowed: tuple[str, ...]) -> dict:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(unknown)}")
    return fields


def _event_source(event: Event) -> dict:
    return {"event": event.pk, "title": event.title, "starts_at": event.starts_at.isoformat()}


# --- the event -----------------------------------------------------------------------------------
@transaction.atomic
def event_create(*, by, **fields) -> Event:
    """A new event, in planning. A members-only event's target group is members only from the start."""
    fields = _fields(fields, EVENT_FIELDS)
    event = Event(**fields, created_by=by)
    if event.organiser_id is None and getattr(by, "pk", None):
        event.organiser = by
    if event.members_only:
        event.audience = {**(event.audience or {}), "members_only": True}
    _validated(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, by, **fields) -> Event:
    """Change what the event is (title, time, venue, budget, places…). A held or cancelled event is
    not changed. A new start moves the end of its invitation calls still waiting in the queue."""
    from followups.callbacks.models import Callback, CallbackKind

    fields = _fields(fields, EVENT_FIELDS)
    event = _locked(event)
    _open(event)
    old_start = event.starts_at
    for name, value in fields.items():
        setattr(event, name, value)
    if event.members_only:
        event.audience = {**(event.audience or {}), "members_only": True}
    _validated(event)
    event.save()
    if event.starts_at != old_start:
        Callback.objects.filter(kind=CallbackKind.INVITATION, source_key=CALL_SOURCE.format(pk=event.pk),
                                status__in=Callback.OPEN_STATUSES, due_at__lte=event.starts_at).update(
            expires_at=event.starts_at)
    return event


@transaction.atomic
def event_cancel(*, event: Event, by, reason: str, now: datetime | None = None) -> Event:
    """Call the event off: why is required; its invitation calls waiting in the queue and its
    invitation texts not yet sent are cancelled (nobody invites to an event that will not take place)."""
    from dealer_crm.messaging.services import messages_call_off
    from followups.callbacks.models import Callback, CallbackKind

    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise EventError({"reason": _("Say why the event is cancelled.")})
    event = _locked(event)
    _open(event)
    event.status, event.cancel_reason, event.cancelled_at, event.cancelled_by = S.CANCELLED, reason[:200], now, by
    event.save(update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by"])
    Callback.objects.filter(kind=CallbackKind.INVITATION, source_key=CALL_SOURCE.format(pk=event.pk),
                            status__in=Callback.OPEN_STATUSES).update(
        status=Callback.Status.CANCELLED, closed_at=now, closed_by=by, assigned_to=None, claimed_at=None)
    # Nor does a text invite to it: those still waiting (the quiet hours, a slow queue) are not sent.
    messages_call_off(message_ids=event.invitations.filter(message__isnull=False).values_list("message_id", flat=True),
                      detail=event.title, now=now)
    return event


@transaction.atomic
def event_audience_set(*, event: Event, filters: dict, by) -> Event:
    """Keep the target group's filters on the event (cleaned: `audience.audience_clean`); a
    members-only event keeps `members_only`. Invitations already made stay."""
    event = _locked(event)
    _open(event)
    try:
        filters = audience_clean(filters)
    except AudienceError as error:
        raise EventError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    if event.members_only:
        filters["members_only"] = True
    event.audience = filters
    event.save(update_fields=["audience"])
    return event


# --- invitations ----------------------------------------------------------------------------------
def _not_started(event: Event, now: datetime) -> None:
    if event.starts_at <= now:
        raise EventError(_("The event has started: it is too late to invite."))


@transaction.atomic
def invitations_create(*, event: Event, by, now: datetime | None = None) -> int:
    """An invitation (no answer yet) for every customer of the event's target group who has none,
    in one statement; the event is then inviting. Its channel is the one planned: SMS for a customer
    with a mobile, a call otherwise. Returns how many were made (0 on a second run)."""
    now = now or timezone.now()
    event = _locked(event)
    _open(event)
    _not_started(event, now)
    customers = audience_customers(filters=event.audience or {}).values_list("id", "mobile")
    sql, params = customers.query.sql_with_params()
    table = Invitation._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"INSERT INTO {table} (event_id, customer_id, channel, rsvp, party_size, note, sms_refused) "
            f"SELECT %s, q.id, CASE WHEN q.mobile <> '' THEN %s ELSE %s END, %s, 1, '', '' FROM ({sql}) q "
            f"WHERE true ON CONFLICT DO NOTHING",
            [event.pk, Invitation.Channel.SMS, Invitation.Channel.CALL, Rsvp.PENDING, *params])
        made = cursor.rowcount
    if event.status == S.PLANNING:
        event.status = S.INVITING
        event.save(update_fields=["status"])
    return max(made, 0)


def _event_values(event: Event) -> dict:
    start = timezone.localtime(event.starts_at)
    return {"date": date_format(start, "MONTH_DAY_FORMAT"), "time": time_format(start, "H:i")}


def _invited_entries(invitations: list[tuple[int, int]], *, event: Event, channel: str, by, now: datetime) -> None:
    """The customers' timeline entries of an invitation sent (invitation id, customer id)."""
    source_type = ContentType.objects.get_for_model(Invitation)
    TimelineEntry.objects.bulk_create([
        TimelineEntry(customer_id=customer_id, kind=TimelineEntry.Kind.EVENT, occurred_at=now,
                      params={"variant": "invited", "channel": channel, **_event_source(event)},
                      source_type=source_type, source_id=str(pk), created_by=by if getattr(by, "pk", None) else None)
        for pk, customer_id in invitations], batch_size=1000)


@transaction.atomic
def invitations_send_sms(*, event: Event, by, template, now: datetime | None = None) -> dict:
    """Text the invitation to every invited customer who has not answered and has no text yet, with
    a marketing template, through the SMS platform (`messages_queue_many`): what the customers
    said, the weekly cap, the same template today and an open complaint's hold leave some out,
    the quiet hours delay the rest, and the key `event-invitation:<invitation>` sends each once
    whatever reruns. The template's {date} and {time} are the event's.

    Returns {"queued": made now, "already": queued before, "refused": {Exclusion code: count},
    "refused_total": …}; each refused invitation keeps its reason (`sms_refused`)."""
    from dealer_crm.messaging.models import OutboundMessage, Purpose
    from dealer_crm.messaging.services import MessagingError, QueueItem, messages_queue_many

    now = now or timezone.now()
    event = _locked(event)
    _open(event)
    _not_started(event, now)
    if template is None or template.purpose != Purpose.MARKETING:
        raise EventError({"template": _("Choose a marketing template: invitations are marketing texts.")})
    waiting = list(event.invitations.filter(customer__isnull=False, message__isnull=True, rsvp=Rsvp.PENDING,
                                            checked_in_at__isnull=True)
                   .exclude(channel=Invitation.Channel.WALK_IN).order_by("id").values_list("id", "customer_id"))
    values = _event_values(event)
    items = [QueueItem(customer_id=customer_id, idempotency_key=SMS_KEY.format(pk=pk), variables=values,
                       source_id=str(pk)) for pk, customer_id in waiting]
    keys = [item.idempotency_key for item in items]
    already = set()
    for start in range(0, len(keys), 5000):
        already |= set(OutboundMessage.objects.filter(idempotency_key__in=keys[start:start + 5000])
                       .values_list("idempotency_key", flat=True))
    try:
        outcome = messages_queue_many(items=items, purpose=Purpose.MARKETING, template=template, now=now,
                                      source_model=Invitation, by=by if getattr(by, "pk", None) else None)
    except MessagingError as error:
        raise EventError({"template": str(error)}) from error
    queued_ids = [pk for pk, _c in waiting if SMS_KEY.format(pk=pk) in outcome.queued]
    _link_messages(event, queued_ids, outcome.queued, by=by, now=now)
    refused: dict[str, int] = {}
    by_reason: dict[str, list[int]] = {}
    for pk, _customer in waiting:
        why = outcome.refused.get(SMS_KEY.format(pk=pk))
        if why:
            refused[why] = refused.get(why, 0) + 1
            by_reason.setdefault(why, []).append(pk)
    for why, ids in by_reason.items():
        Invitation.objects.filter(pk__in=ids).update(sms_refused=why[:20])
    fresh = [(pk, customer) for pk, customer in waiting if pk in set(queued_ids)
             and SMS_KEY.format(pk=pk) not in already]
    _invited_entries(fresh, event=event, channel=Invitation.Channel.SMS, by=by, now=now)
    return {"queued": len(fresh), "already": len(queued_ids) - len(fresh), "refused": refused,
            "refused_total": sum(refused.values())}


def _link_messages(event: Event, invitation_ids: list[int], queued: dict[str, int], *, by, now: datetime) -> None:
    """Each invitation its message, in one UPDATE … FROM (VALUES …) per thousand."""
    rows = [(pk, queued[SMS_KEY.format(pk=pk)]) for pk in invitation_ids]
    table = Invitation._meta.db_table
    by_id = by.pk if getattr(by, "pk", None) else None
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        # A CTE names the VALUES list's columns on PostgreSQL and SQLite alike.
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v(id, message_id) AS (VALUES {values}) "
                f"UPDATE {table} SET message_id = v.message_id, channel = %s, sms_refused = '', "
                f"invited_at = COALESCE({table}.invited_at, %s), invited_by_id = COALESCE({table}.invited_by_id, %s) "
                f"FROM v WHERE {table}.id = v.id AND {table}.event_id = %s",
                [*[value for row in chunk for value in row], Invitation.Channel.SMS,
                 connection.ops.adapt_datetimefield_value(now) if connection.vendor != "postgresql" else now,
                 by_id, event.pk])


def _refuses_marketing_calls(customer_ids: list[int]) -> set[int]:
    """Who said no to calls (or to any contact) for marketing: the most specific answer decides, as
    the SMS platform reads preferences (the channel for marketing, the channel for anything, any
    channel for marketing, any channel for anything)."""
    P = ContactPreference
    said: dict[int, dict[tuple[str, str], bool]] = {}
    for start in range(0, len(customer_ids), 5000):
        for customer_id, channel, purpose, allowed in P.objects.filter(
                customer_id__in=customer_ids[start:start + 5000], channel__in=[P.Channel.PHONE, P.Channel.ANY],
                purpose__in=[P.Purpose.MARKETING, P.Purpose.ALL]).values_list("customer_id", "channel", "purpose",
                                                                               "allowed"):
            said.setdefault(customer_id, {})[(channel, purpose)] = allowed
    refusing = set()
    order = [(P.Channel.PHONE, P.Purpose.MARKETING), (P.Channel.PHONE, P.Purpose.ALL),
             (P.Channel.ANY, P.Purpose.MARKETING), (P.Channel.ANY, P.Purpose.ALL)]
    for customer_id, answers in said.items():
        for key in order:
            if key in answers:
                if not answers[key]:
                    refusing.add(customer_id)
                break
    return refusing


@transaction.atomic
def invitations_call(*, event: Event, by, invitation_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """An invitation call (CallbackKind.INVITATION) on the callback queue for each invitation still
    unanswered and without a call (those of `invitation_ids` only, when given): due now, open until
    the event starts, with the invitation call rule's priority. Left out: customers without a phone,
    those who refuse calls for marketing, those whose marketing is held (an open complaint). A
    customer is called once per event whatever reruns (`callback_one_per_source`). Returns how many
    calls were queued."""
    from followups.callbacks.models import Callback, CallbackKind, CallbackRule

    now = now or timezone.now()
    event = _locked(event)
    _open(event)
    _not_started(event, now)
    rule = CallbackRule.objects.filter(kind=CallbackKind.INVITATION, visit_kind="").first()
    if rule is not None and not rule.enabled:
        raise EventError(_("Invitation calls are switched off in the callback rules."))
    invitations = event.invitations.filter(customer__isnull=False, callback__isnull=True, rsvp=Rsvp.PENDING,
                                           checked_in_at__isnull=True).exclude(channel=Invitation.Channel.WALK_IN)
    if invitation_ids is not None:
        invitations = invitations.filter(pk__in=list(invitation_ids))
    rows = list(invitations.order_by("id").values_list("id", "customer_id", "customer__mobile", "customer__phone2",
                                                       "customer__importance"))
    if not rows:
        return 0
    ids = [customer_id for _pk, customer_id, *_rest in rows]
    refusing = _refuses_marketing_calls(ids) | set(marketing_held(ids))
    source_key = CALL_SOURCE.format(pk=event.pk)
    priority = rule.priority if rule is not None else 0
    boost = {Customer.Importance.IMPORTANT: 1, Customer.Importance.VIP: 2}
    calls = [Callback(customer_id=customer_id, kind=CallbackKind.INVITATION, source_key=source_key, rule=rule,
                      status=Callback.Status.OPEN, priority=priority + boost.get(importance, 0), due_at=now,
                      expires_at=event.starts_at, note=event.title[:200], created_on=timezone.localdate(now))
             for _pk, customer_id, mobile, phone2, importance in rows
             if (mobile or phone2) and customer_id not in refusing]
    before = set(Callback.objects.filter(kind=CallbackKind.INVITATION, source_key=source_key,
                                         customer_id__in=ids).values_list("customer_id", flat=True))
    Callback.objects.bulk_create(calls, batch_size=1000, ignore_conflicts=True)
    call_of = Callback.objects.filter(customer_id=OuterRef("customer_id"), vehicle__isnull=True,
                                      kind=CallbackKind.INVITATION, source_key=source_key).values("id")[:1]
    invitations.filter(customer_id__in=[call.customer_id for call in calls]).update(callback_id=Subquery(call_of))
    made = [(pk, customer_id) for pk, customer_id, *_rest in rows
            if customer_id not in before and customer_id in {call.customer_id for call in calls}]
    Invitation.objects.filter(pk__in=[pk for pk, _c in made], invited_at__isnull=True).update(
        invited_at=now, invited_by=by if getattr(by, "pk", None) else None)
    Invitation.objects.filter(pk__in=[pk for pk, _c in made], message__isnull=True).update(
        channel=Invitation.Channel.CALL)
    _invited_entries(made, event=event, channel=Invitation.Channel.CALL, by=by, now=now)
    return len(made)


def _party(value, *, field: str = "party_size") -> int:
    try:
        size = int(value)
    except (TypeError, ValueError) as error:
        raise EventError({field: _("Enter how many people come.")}) from error
    if not 1 <= size <= MAX_PARTY:
        raise EventError({field: _("Enter from 1 to %(max)s people.") % {"max": MAX_PARTY}})
    return size


@transaction.atomic
def invitation_answer(*, invitation: Invitation, rsvp: str, party_size: int = 1, by, note: str = "",
                      now: datetime | None = None) -> Invitation:
    """Record the guest's answer (coming, not coming, maybe) and how many they come with. A yes is
    refused when the event's places are taken (counted under the event's lock)."""
    now = now or timezone.now()
    if rsvp not in (Rsvp.YES, Rsvp.NO, Rsvp.MAYBE):
        raise EventError({"rsvp": _("Choose the answer: coming, not coming or maybe.")})
    event = _locked(invitation.event)
    _open(event)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    size = _party(party_size) if rsvp == Rsvp.YES else (_party(party_size) if party_size else 1)
    if rsvp == Rsvp.YES and event.capacity is not None:
        taken = (event.invitations.filter(rsvp=Rsvp.YES).exclude(pk=invitation.pk)
                 .aggregate(n=Sum("party_size"))["n"] or 0)
        if taken + size > event.capacity:
            left = max(event.capacity - taken, 0)
            raise EventError({"party_size": _("The event has %(left)s place(s) left.") % {"left": left}})
    invitation.rsvp, invitation.party_size, invitation.answered_at = rsvp, size, now
    if note:
        invitation.note = note.strip()[:200]
    invitation.save(update_fields=["rsvp", "party_size", "answered_at", "note"])
    if invitation.customer_id:
        timeline_add(customer=invitation.customer, kind=TimelineEntry.Kind.EVENT, occurred_at=now, source=invitation,
                     by=by if getattr(by, "pk", None) else None,
                     params={"variant": "answered", "rsvp": rsvp, "party_size": size, "note": invitation.note,
                             **_event_source(event)})
    invitation.event = event
    return invitation


def _door_open(event: Event, now: datetime) -> None:
    if event.status == S.CANCELLED:
        raise EventError(_("This event was cancelled."))
    if timezone.localdate(now) < timezone.localdate(event.starts_at):
        raise EventError(_("The door opens on the event's day."))
    # A stray tap on an event days past would tell the customer's timeline they came.
    if timezone.localdate(now) > timezone.localdate(event.ends_at or event.starts_at):
        raise EventError(_("The event is over: the door closed on its last day."))


@transaction.atomic
def invitation_check_in(*, invitation: Invitation, by, guests: int | None = None,
                        now: datetime | None = None) -> Invitation:
    """The guest came through the door, with `guests` people (default: the party they announced,
    one if they had not said yes). Once: a second tap raises AlreadyCheckedIn."""
    now = now or timezone.now()
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("event", "checked_in_by").get(pk=invitation.pk))
    if invitation.checked_in_at is not None:
        raise AlreadyCheckedIn(invitation)
    _door_open(invitation.event, now)
    if guests in (None, ""):
        guests = invitation.party_size if invitation.rsvp == Rsvp.YES else 1
    invitation.guests_arrived = _party(guests, field="guests")
    invitation.checked_in_at, invitation.checked_in_by = now, by if getattr(by, "pk", None) else None
    invitation.save(update_fields=["guests_arrived", "checked_in_at", "checked_in_by"])
    if invitation.customer_id:
        timeline_add(customer=invitation.customer, kind=TimelineEntry.Kind.EVENT, occurred_at=now, source=invitation,
                     by=invitation.checked_in_by,
                     params={"variant": "walk_in" if invitation.channel == Invitation.Channel.WALK_IN else "checked_in",
                             "guests": invitation.guests_arrived, **_event_source(invitation.event)})
    return invitation


@transaction.atomic
def walk_in_check_in(*, event: Event, by, customer: Customer | None = None, name: str = "", mobile: str = "",
                     as_lead: bool = False, note: str = "", guests: int | None = None,
                     now: datetime | None = None) -> Invitation:
    """Someone at the door who is not on the list, checked in at once:
    - an archive customer (`customer`; an invited one is simply checked in);
    - a prospect (`as_lead`): a sales lead (source: visitor) through followups.leads, for sales;
    - otherwise a new customer of the archive (name, mobile) — or the customer who already has that
      mobile, so that nobody is entered twice."""
    from followups.leads.models import Lead
    from followups.leads.services import LeadError, lead_create

    now = now or timezone.now()
    event = _locked(event)
    _door_open(event, now)
    note = (note or "").strip()[:200]
    mobile = "".join(ch for ch in (mobile or "") if ch.isdigit())
    if mobile.startswith("86") and len(mobile) == 13:
        mobile = mobile[2:]
    lead = None
    if customer is None and as_lead:
        try:
            lead = lead_create(by=by, source=Lead.Source.VISITOR, name=name, mobile=mobile,
                               note=note or _("Walked in at the event %(title)s.") % {"title": event.title}, now=now)
        except LeadError as error:
            raise EventError(str(error)) from error
    elif customer is None:
        name = (name or "").strip()
        if not name:
            raise EventError({"name": _("Enter the guest's name.")})
        if mobile and Customer.objects.filter(mobile=mobile).exists():
            # never check in (nor name) whoever owns a typed number: the door searches by name instead
            raise EventError({"mobile": _("This mobile number is already on file: search for the customer "
                                          "by name at the door and check them in from the list.")})
        if True:  # a new customer of the archive
            from customers.services import customer_create

            try:
                customer = customer_create(by=by, name=name, mobile=mobile, source=Customer.Source.OTHER,
                                           note=_("Walked in at the event %(title)s.") % {"title": event.title})
            except ValidationError as error:
                raise EventError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    if customer is not None:
        if customer.merged_into_id:
            raise EventError(_("This customer was merged into #%(id)s: use that record.") % {"id": customer.merged_into_id})
        invited = Invitation.objects.filter(event=event, customer=customer).first()
        if invited is not None:
            return invitation_check_in(invitation=invited, by=by, guests=guests, now=now)
    invitation = Invitation(event=event, customer=customer, lead=lead, channel=Invitation.Channel.WALK_IN,
                            rsvp=Rsvp.PENDING, note=note)
    invitation.save()
    return invitation_check_in(invitation=invitation, by=by, guests=guests, now=now)


# --- the checklist --------------------------------------------------------------------------------
def _cost(fields: dict) -> dict:
    if "cost" in fields:
        try:
            fields["cost"] = Decimal(str(fields["cost"] if fields["cost"] not in (None, "") else 0))
        except InvalidOperation as error:
            raise EventError({"cost": _("Enter the cost in yuan, e.g. 1200.00.")}) from error
    return fields


@transaction.atomic
def checklist_item_add(*, event: Event, by, **fields) -> ChecklistItem:
    """A preparation task (catering, venue, gifts, drinks…) with its owner, due date and cost."""
    fields = _cost(_fields(fields, CHECKLIST_FIELDS))
    event = _locked(event)
    if event.status == S.CANCELLED:
        raise EventError(_("This event was cancelled."))
    item = ChecklistItem(event=event, **fields)
    _validated(item)
    item.save()
    return item


@transaction.atomic
def checklist_item_update(*, item: ChecklistItem, by, **fields) -> ChecklistItem:
    fields = _cost(_fields(fields, CHECKLIST_FIELDS))
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    for name, value in fields.items():
        setattr(item, name, value)
    _validated(item)
    item.save()
    return item


@transaction.atomic
def checklist_item_done(*, item: ChecklistItem, by, done: bool, now: datetime | None = None) -> ChecklistItem:
    """Tick the task off (who and when), or open it again."""
    now = now or timezone.now()
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    if done and item.done_at is None:
        item.done_at, item.done_by = now, by if getattr(by, "pk", None) else None
    elif not done:
        item.done_at, item.done_by = None, None
    item.save(update_fields=["done_at", "done_by"])
    return item


@transaction.atomic
def checklist_item_remove(*, item: ChecklistItem, by) -> None:
    ChecklistItem.objects.filter(pk=item.pk).delete()


# --- after the event -------------------------------------------------------------------------------
@transaction.atomic
def event_outcome_record(*, event: Event, by, orders_signed, feedback: str, now: datetime | None = None) -> Event:
    """What came of it: the orders signed there and the feedback; the event is then held. Recorded
    again (a correction) on a held event; refused before it starts and on a cancelled one."""
    now = now or timezone.now()
    event = _locked(event)
    if event.status == S.CANCELLED:
        raise EventError(_("This event was cancelled."))
    if now < event.starts_at:
        raise EventError(_("The event has not taken place yet."))
    try:
        orders = int(orders_signed)
    except (TypeError, ValueError) as error:
        raise EventError({"orders_signed": _("Enter how many orders were signed.")}) from error
    if orders < 0:
        raise EventError({"orders_signed": _("Enter how many orders were signed.")})
    event.orders_signed, event.feedback = orders, (feedback or "").strip()
    event.status, event.outcome_at, event.outcome_by = S.HELD, now, by if getattr(by, "pk", None) else None
    event.save(update_fields=["orders_signed", "feedback", "status", "outcome_at", "outcome_by"])
    return event


def day_start(day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


__all__ = ["AlreadyCheckedIn", "EventError", "checklist_item_add", "checklist_item_done", "checklist_item_remove",
           "checklist_item_update", "event_audience_set", "event_cancel", "event_create", "event_outcome_record",
           "event_update", "invitation_answer", "invitation_check_in", "invitations_call", "invitations_create",
           "invitations_send_sms", "walk_in_check_in"]
