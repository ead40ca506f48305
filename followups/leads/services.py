"""The sales lead's workflow: every change of a lead is a `LeadStep`, and, once the prospect is in
the archive, an entry on their timeline (and on the referrer's, for a referral).

    create ──► NEW ──assign (the sales manager, a first contact date)──► ASSIGNED
    ASSIGNED, FOLLOWING ──contact (what was said, the next contact date)──► FOLLOWING
    NEW, ASSIGNED, FOLLOWING ──win──► WON: the buyer is in the archive (linked, or added now)
    NEW, ASSIGNED, FOLLOWING ──lose (a reason)──► LOST
    WON, LOST ──reopen (the sales manager, why)──► ASSIGNED (NEW when nobody has it)

Who may do what is decided here, so the admin, the demo or a command cannot skip it: the sales
manager (`leads.manage_lead`) assigns, closes and reopens any lead; the consultant a lead is given to
(`leads.follow_lead`) records its contacts and wins or loses it; anyone with `leads.add_lead` hands
one over. A referral keeps who referred whom in the archive: when the lead's prospect is a customer
(linked when the lead is made or later, or added when the lead is won), the customer's `referred_by`
is set through the archive's own service, so its history says who set it and when.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.edits import fingerprints
from customers.models import Customer, TimelineEntry
from customers.normalize import MOBILE_RE, normalize_name, normalize_phone
from customers.services import ArchiveError, customer_create, customer_update, timeline_add
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record
from followups.callbacks.models import Callback

from .models import Lead, LeadStep

S = Lead.Status
A = LeadStep.Action
ADD, FOLLOW, MANAGE = "leads.add_lead", "leads.follow_lead", "leads.manage_lead"
OPEN = frozenset({S.NEW, S.ASSIGNED, S.FOLLOWING})
CLOSED = frozenset({S.WON, S.LOST})
# A next contact further ahead than this is a typing slip (a year typed wrong), not a plan.
NEXT_CONTACT_MAX_DAYS = 366


class LeadError(Exception):
    """A step the lead's state or the input does not allow (the message says why, in the user's language)."""


# --- who may act -----------------------------------------------------------------------------------
def can_manage(user) -> bool:
    """The sales manager: assigns, closes and reopens every lead."""
    return user.has_perm(MANAGE)


def can_follow(user, lead: Lead) -> bool:
    """Records the lead's contacts and wins or loses it: the consultant it is given to, or the manager."""
    return can_manage(user) or (lead.assigned_to_id is not None and lead.assigned_to_id == user.pk
                                and user.has_perm(FOLLOW))


def can_add(user) -> bool:
    return user.has_perm(ADD)


def can_reveal_mobile(user, lead: Lead) -> bool:
    """Who calls the prospect (the consultant, the manager), and whoever may reveal customers' numbers."""
    return can_follow(user, lead) or user.has_perm("customers.reveal_phone")


def may_be_given(user) -> bool:
    return user.is_active and user.has_perm(FOLLOW)


# --- making a lead ---------------------------------------------------------------------------------
def _text(value: str, *, required: str = "", limit: int = 500) -> str:
    value = (value or "").strip()
    if required and not value:
        raise LeadError(required)
    return value[:limit]


def _mobile(raw: str) -> str:
    """The prospect's mobile as digits (13812345678 however typed); '' for none."""
    try:
        number = normalize_phone(raw or "")
    except ValueError as error:
        raise LeadError(str(error)) from None
    if number and not MOBILE_RE.match(number):
        raise LeadError(_("Enter a mobile number (11 digits starting with 1): sales call or text the prospect."))
    return number


def _next_contact(on: date | None, *, today: date, required: bool) -> date | None:
    if on is None:
        if required:
            raise LeadError(_("Enter the date of the next contact."))
        return None
    if on < today:
        raise LeadError(_("The next contact cannot be in the past."))
    if on > today + timedelta(days=NEXT_CONTACT_MAX_DAYS):
        raise LeadError(_("The next contact is more than a year away: check the date."))
    return on


@transaction.atomic
def lead_create(
    *,
    by,
    source: str,
    name: str = "",
    mobile: str = "",
    customer: Customer | None = None,
    referred_by: Customer | None = None,
    callback: Callback | None = None,
    model_interest: str = "",
    budget: str = "",
    timing: str = Lead.Timing.UNKNOWN,
    note: str = "",
    now: datetime | None = None,
) -> Lead:
    """A lead handed to sales: a customer of the archive (their name and mobile), or a person not in
    it yet (a caller, a visitor, someone referred: name and mobile). Raised on a call, the call's
    customer is the prospect unless they refer someone else. NEW and unassigned: on the sales
    manager's desk."""
    now = now or timezone.now()
    if not can_add(by):
        raise PermissionDenied
    if source not in Lead.Source.values:
        raise LeadError(_("Choose where the lead comes from."))
    if timing not in Lead.Timing.values:
        raise LeadError(_("Choose when they mean to buy."))
    if callback is not None:
        if customer is None and referred_by is None:
            customer = callback.customer
        elif callback.customer_id not in {getattr(customer, "pk", None), getattr(referred_by, "pk", None)}:
            raise LeadError(_("The call is not with this customer."))
    for person in (customer, referred_by):
        if person is not None and person.merged_into_id:
            raise LeadError(_("This customer was merged into #%(id)s: use that record.") % {"id": person.merged_into_id})
    if customer is not None and referred_by is not None and customer.pk == referred_by.pk:
        raise LeadError(_("A customer cannot refer themselves."))
    if customer is not None:
        name, mobile = customer.name, customer.mobile
    else:
        name = normalize_name(_text(name, required=_("Enter the prospect's name."), limit=50))
        mobile = _mobile(mobile)
        if not mobile:
            raise LeadError(_("Enter the prospect's mobile: sales call or text them."))
    lead = Lead(
        customer=customer, name=name, mobile=mobile, referred_by=referred_by, source=source,
        model_interest=_text(model_interest, limit=50), budget=_text(budget, limit=30), timing=timing,
        note=_text(note, limit=2000), status=S.NEW, callback=callback, created_by=by, created_at=now,
    )
    lead.full_clean()
    lead.save()
    _step(lead, A.CREATED, by=by, at=now, note=lead.note)
    if customer is not None:
        _timeline(lead, "created", by=by, at=now)
        _referral_keep(lead, customer, by=by)
    if referred_by is not None:
        _timeline(lead, "referred", by=by, at=now, customer=referred_by)
    return lead


@transaction.atomic
def lead_link(*, lead: Lead, customer: Customer, by, now: datetime | None = None) -> Lead:
    """The prospect is this customer of the archive (the same mobile, found after the lead was made):
    the lead shows on their timeline from now on, and a referral's referrer goes into their record."""
    now = now or timezone.now()
    lead = _locked(lead)
    if not (can_follow(by, lead) or (lead.created_by_id == by.pk and can_add(by))):
        raise PermissionDenied
    if lead.customer_id is not None:
        raise LeadError(_("The lead is already linked to %(name)s.") % {"name": lead.customer.name})
    if customer.merged_into_id:
        raise LeadError(_("This customer was merged into #%(id)s: use that record.") % {"id": customer.merged_into_id})
    if lead.referred_by_id == customer.pk:
        raise LeadError(_("A customer cannot refer themselves."))
    lead.customer = customer
    lead.save(update_fields=["customer"])
    _step(lead, A.LINKED, by=by, at=now, note=customer.name)
    _timeline(lead, "linked", by=by, at=now)
    _referral_keep(lead, customer, by=by)
    return lead


# --- the sales side's work -------------------------------------------------------------------------
@transaction.atomic
def lead_assign(*, lead: Lead, to, by, next_contact_on: date | None = None, note: str = "",
                now: datetime | None = None) -> Lead:
    """The sales manager gives the lead to a consultant, with the date of the first contact (today
    when none is given). Given again to someone else, it keeps its state."""
    now = now or timezone.now()
    if not can_manage(by):
        raise PermissionDenied
    lead = _locked(lead)
    if lead.status not in OPEN:
        raise LeadError(_("The lead is closed: reopen it first."))
    if not may_be_given(to):
        raise LeadError(_("%(name)s does not follow up sales leads.") % {"name": to})
    if lead.assigned_to_id == to.pk:
        raise LeadError(_("%(name)s already follows this lead up.") % {"name": to})
    today = timezone.localdate(now)
    lead.assigned_to = to
    lead.next_contact_on = _next_contact(next_contact_on, today=today, required=False) or today
    if lead.status == S.NEW:
        lead.status = S.ASSIGNED
    lead.save(update_fields=["assigned_to", "next_contact_on", "status"])
    _step(lead, A.ASSIGNED, by=by, at=now, note=_text(note), to=to, next_contact_on=lead.next_contact_on)
    _timeline(lead, "assigned", by=by, at=now, consultant=str(to), next=lead.next_contact_on.isoformat())
    return lead


@transaction.atomic
def lead_contact(*, lead: Lead, by, note: str, next_contact_on: date | None, now: datetime | None = None) -> Lead:
    """A contact with the prospect: what was said, and when to contact them next (an open lead always
    has its next date, or it would be forgotten: the consultant who has nothing more to say closes it)."""
    now = now or timezone.now()
    lead = _locked(lead)
    if not can_follow(by, lead):
        raise PermissionDenied
    if lead.status not in OPEN:
        raise LeadError(_("The lead is closed: reopen it first."))
    if lead.assigned_to_id is None:
        raise LeadError(_("Nobody follows this lead up yet: give it to a consultant first."))
    note = _text(note, required=_("Write what was said."))
    lead.next_contact_on = _next_contact(next_contact_on, today=timezone.localdate(now), required=True)
    lead.status = S.FOLLOWING
    lead.save(update_fields=["next_contact_on", "status"])
    _step(lead, A.CONTACTED, by=by, at=now, note=note, next_contact_on=lead.next_contact_on)
    _timeline(lead, "contacted", by=by, at=now, note=note, next=lead.next_contact_on.isoformat())
    return lead


@transaction.atomic
def lead_win(*, lead: Lead, by, note: str = "", new_customer: bool = False, now: datetime | None = None) -> Lead:
    """The prospect bought. They are in the archive from now on: the customer the lead is linked to,
    or a new customer made from the lead (with the referrer, for a referral). While customers of the
    archive have the lead's mobile (the delivery may have been imported already, or it is a relative's
    number), the user says which it is first: links the lead to one, or says the buyer is a new
    customer (`new_customer`)."""
    now = now or timezone.now()
    lead = _locked(lead)
    if not can_follow(by, lead):
        raise PermissionDenied
    if lead.status not in OPEN:
        raise LeadError(_("The lead is closed already."))
    note = _text(note, limit=200)
    if lead.customer_id is None:
        on_file = list(Customer.objects.filter(Q(mobile=lead.mobile) | Q(phone2=lead.mobile)).order_by("id")[:1]
                       ) if lead.mobile else []
        if on_file and not new_customer:
            raise LeadError(_("%(name)s of the archive has this mobile: link the lead to them if they bought, or "
                              "say the buyer is a new customer.") % {"name": on_file[0].name})
        try:
            lead.customer = customer_create(
                by=by, name=lead.name, mobile=lead.mobile, referred_by=lead.referred_by,
                source=Customer.Source.REFERRAL if lead.referred_by_id else Customer.Source.OTHER)
        except ValidationError as error:  # the archive's own checks, worded for staff
            raise LeadError(_("The buyer could not be added to the archive: %(error)s")
                            % {"error": " ".join(error.messages)}) from None
    lead.status, lead.closed_at, lead.close_reason, lead.next_contact_on = S.WON, now, note, None
    lead.save(update_fields=["customer", "status", "closed_at", "close_reason", "next_contact_on"])
    _step(lead, A.WON, by=by, at=now, note=note)
    _referral_keep(lead, lead.customer, by=by)
    _timeline(lead, "won", by=by, at=now, note=note)
    if lead.referred_by_id:
        _timeline(lead, "referral_won", by=by, at=now, customer=lead.referred_by)
    return lead


@transaction.atomic
def lead_lose(*, lead: Lead, by, reason: str, now: datetime | None = None) -> Lead:
    """The prospect will not buy here: why (bought elsewhere, no budget, not reachable…) is required."""
    now = now or timezone.now()
    lead = _locked(lead)
    if not can_follow(by, lead):
        raise PermissionDenied
    if lead.status not in OPEN:
        raise LeadError(_("The lead is closed already."))
    reason = _text(reason, required=_("Write why the lead is lost."), limit=200)
    lead.status, lead.closed_at, lead.close_reason, lead.next_contact_on = S.LOST, now, reason, None
    lead.save(update_fields=["status", "closed_at", "close_reason", "next_contact_on"])
    _step(lead, A.LOST, by=by, at=now, note=reason)
    _timeline(lead, "lost", by=by, at=now, note=reason)
    return lead


@transaction.atomic
def lead_reopen(*, lead: Lead, by, note: str, now: datetime | None = None) -> Lead:
    """The sales manager opens a closed lead again (the prospect called back): to its consultant, if
    it had one, to be contacted today; a won lead's buyer stays in the archive."""
    now = now or timezone.now()
    if not can_manage(by):
        raise PermissionDenied
    lead = _locked(lead)
    if lead.status not in CLOSED:
        raise LeadError(_("The lead is open."))
    note = _text(note, required=_("Write why the lead is reopened."))
    lead.status = S.ASSIGNED if lead.assigned_to_id else S.NEW
    lead.closed_at, lead.close_reason = None, ""
    lead.next_contact_on = timezone.localdate(now) if lead.assigned_to_id else None
    lead.save(update_fields=["status", "closed_at", "close_reason", "next_contact_on"])
    _step(lead, A.REOPENED, by=by, at=now, note=note, next_contact_on=lead.next_contact_on)
    _timeline(lead, "reopened", by=by, at=now, note=note)
    return lead


def lead_mobile_reveal(*, lead: Lead, by) -> str:
    """The prospect's whole mobile, for who calls them; each reveal is in the audit log."""
    if not can_reveal_mobile(by, lead):
        raise PermissionDenied
    audit_record(actor=by, action=AuditEvent.Action.PHONE_REVEAL, target=lead, detail={"phones": 1 if lead.mobile else 0})
    return lead.mobile


# --- helpers ---------------------------------------------------------------------------------------
def _locked(lead: Lead) -> Lead:
    """The lead's row, locked until the transaction ends: two clicks take turns, and the second sees
    what the first did. Its prospect and referrer are the caller's, already read, when they are still
    the same people (a lock with their joins costs twice the time; a stale copy is safe, as the
    archive's service checks the referrer again on the locked customer)."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    for name in ("customer", "referred_by"):
        field = Lead._meta.get_field(name)
        if field.is_cached(lead) and getattr(lead, field.attname) == getattr(locked, field.attname):
            field.set_cached_value(locked, field.get_cached_value(lead))
    return locked


def _step(lead: Lead, action: str, *, by, at: datetime, note: str = "", to=None,
          next_contact_on: date | None = None) -> LeadStep:
    return LeadStep.objects.create(lead=lead, action=action, note=note[:500], by=by, at=at, to=to,
                                   next_contact_on=next_contact_on)


def _timeline(lead: Lead, variant: str, *, by, at: datetime, customer: Customer | None = None, **params) -> TimelineEntry | None:
    """The step on the prospect's timeline (or on `customer`'s: the referrer's), worded when read
    (followups/leads/timeline.py); nothing while the prospect is not in the archive."""
    customer = customer or lead.customer
    if customer is None:
        return None
    return timeline_add(
        customer=customer, kind=TimelineEntry.Kind.LEAD, source=lead, occurred_at=at, by=by,
        params={"variant": variant, "lead": lead.pk, "name": lead.name, "model": lead.model_interest, **params},
    )


def _referral_keep(lead: Lead, customer: Customer, *, by) -> None:
    """The archive keeps who referred whom: the lead's referrer becomes the customer's, through the
    archive's service (its history says who and when), unless the record names a referrer already —
    also one set by someone else a moment ago (the base says "none", so a change meanwhile wins)."""
    if lead.referred_by_id is None or customer.referred_by_id is not None or customer.pk == lead.referred_by_id:
        return
    try:
        customer_update(customer=customer, by=by, base=fingerprints({"referred_by": None}),
                        referred_by=lead.referred_by)
    except ArchiveError as error:
        raise LeadError(str(error)) from None
