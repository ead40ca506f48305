"""Interviews (面访) and the lounge (客休区): every change, in one transaction each.

What staff learn in person goes into the customer's file through the archive's own services
(`customer_update` with the form's base, `family_member_save`), so the file's history says who changed
what and an edit made meanwhile by a colleague is never silently undone: a field both changed stops
the save, nothing written, and the form comes back with what was typed.

An interview also hands on what it heard, each through the service of the app that owns it:
- a suggestion for a department becomes a problem of the callback centre (`problem_raise`, which needs
  no callback: the problem keeps none, and its second callback is made when the department records the
  fix, as for a problem raised on a call);
- a person referred becomes a sales lead of source referral, with the customer as referrer (`lead_create`);
- the gift the customer chose from the gift menu becomes a gift request for the general manager
  (`gift_request_create`, reason interview).
Any of them refused (a mobile mistyped, the gift out of stock) refuses the whole interview: nothing is
half recorded, and the page shows the reason with the form as typed.

A lounge visit opens when the customer sits down (once at a time: the database refuses a second
open visit) and closes when they leave (once: a second tap says when they left).
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, FamilyMember, ServiceVisit, TimelineEntry
from customers.services import ArchiveError, customer_update, family_member_save, timeline_add

from .models import ImportantCustomerForm, Interview, LoungeVisit, Referral, Suggestion

ADD_INTERVIEW = "care.add_interview"
ADD_VISIT, CHANGE_VISIT = "care.add_loungevisit", "care.change_loungevisit"
RAISE_PROBLEM = "callbacks.add_problem"
HAND_LEAD = "leads.add_lead"
REQUEST_GIFT = "gifts.add_giftrequest"

# The customer's file fields an interview fills in; the lounge host's, of them, what a chat tells.
INTERVIEW_FILE_FIELDS = ("occupation", "social_level", "interests", "expectations", "birthday", "importance")
LOUNGE_FILE_FIELDS = ("occupation", "social_level", "interests")
FAMILY_FIELDS = ("relation", "name", "gender", "birthday", "note")
IMPORTANT_FIELDS = tuple(field.name for field in ImportantCustomerForm._meta.concrete_fields
                         if field.name not in ("id", "interview"))
# A time typed a little ahead of the server's clock is a clock's difference; more is a typing slip.
FUTURE_SLACK = timedelta(minutes=5)


class CareError(ValidationError):
    """A step the input or the record's state does not allow (the message says why, in the user's language)."""

    def __str__(self) -> str:
        return " ".join(self.messages)


def can_interview(user) -> bool:
    return user.is_authenticated and user.has_perm(ADD_INTERVIEW)


def can_host(user) -> bool:
    return user.is_authenticated and user.has_perm(ADD_VISIT)


def can_change_visit(user) -> bool:
    return user.is_authenticated and user.has_perm(CHANGE_VISIT)


# --- helpers ---------------------------------------------------------------------------------------
def _text(value, *, limit: int) -> str:
    return (value or "").strip()[:limit]


def _when(value: datetime | None, *, now: datetime, what: str) -> datetime:
    value = value or now
    if value > now + FUTURE_SLACK:
        raise CareError(_("The %(what)s time is in the future: check it.") % {"what": what})
    return value


def _not_merged(customer: Customer) -> None:
    if customer.merged_into_id:
        raise CareError(_("This customer was merged into #%(id)s: use that record.") % {"id": customer.merged_into_id})


def _file_write(*, customer: Customer, by, fields: dict, base: dict | None, allowed: tuple[str, ...]) -> list[str]:
    """Write the file's fields the user changed (customer_update with the form's base); the names written.
    A field a colleague changed meanwhile to something else stops everything (CareError)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Not a file field of this form: {sorted(unknown)}")
    if not fields:
        return []
    try:
        outcome = customer_update(customer=customer, by=by, base=base, **fields)
    except ArchiveError as error:
        raise CareError(str(error)) from None
    except ValidationError as error:  # the model's own validation (full_clean) of a value
        raise CareError(error.messages) from None
    if outcome.conflicts:
        raise CareError([
            _("Meanwhile %(by)s changed %(field)s to “%(now)s”: check it and save again.")
            % {"by": change.by or _("someone"), "field": change.label, "now": change.now}
            for change in outcome.conflicts
        ])
    return list(outcome.written)


def _family_write(*, customer: Customer, by, family: list[dict]) -> int:
    """Add the family members given (no `member`) and change those given with theirs; how many changed."""
    changed = 0
    for row in family:
        member = row.get("member")
        fields = {name: row[name] for name in FAMILY_FIELDS if name in row}
        if member is not None:
            if member.customer_id != customer.pk:
                raise CareError(_("This family member is not in the customer's file."))
            fields = {name: value for name, value in fields.items() if getattr(member, name) != value}
            if not fields:
                continue
        elif not (fields.get("name") or "").strip():
            continue
        try:
            family_member_save(customer=customer, by=by, member=member, **fields)
        except ArchiveError as error:
            raise CareError(str(error)) from None
        except ValidationError as error:
            raise CareError(error.messages) from None
        changed += 1
    return changed


# --- interviews -------------------------------------------------------------------------------------
def _suggestions_record(interview: Interview, rows: list[dict], *, by, now: datetime) -> tuple[int, int]:
    from followups.callbacks.models import Problem
    from followups.callbacks.services import problems

    made = raised = 0
    for row in rows:
        text = _text(row.get("text"), limit=2000)
        if not text:
            continue
        department = row.get("department") or ""
        problem = None
        if department:
            if not by.has_perm(RAISE_PROBLEM):
                raise CareError(_("Your role does not send problems to the departments: leave the department empty."))
            try:
                problem = problems.problem_raise(customer=interview.customer, category=row.get("category") or
                                                 Problem.Category.OTHER, department=department, description=text,
                                                 by=by, vehicle=row.get("vehicle"), now=now)
            except problems.ProblemError as error:
                raise CareError(str(error)) from None
            raised += 1
        Suggestion.objects.create(interview=interview, text=text, problem=problem)
        made += 1
    return made, raised


def _referrals_record(interview: Interview, rows: list[dict], *, by, now: datetime) -> int:
    from followups.leads.models import Lead
    from followups.leads.services import LeadError, lead_create

    made = 0
    for row in rows:
        name = _text(row.get("name"), limit=50)
        if not name and not _text(row.get("mobile"), limit=30):
            continue
        if not by.has_perm(HAND_LEAD):
            raise CareError(_("Your role does not hand leads to sales."))
        try:
            lead = lead_create(by=by, source=Lead.Source.REFERRAL, name=name, mobile=row.get("mobile") or "",
                               referred_by=interview.customer, model_interest=row.get("model_interest") or "",
                               timing=row.get("timing") or Lead.Timing.UNKNOWN,
                               note=row.get("note") or _("Referred in interview %(number)s") % {"number": interview.number},
                               now=now)
        except LeadError as error:
            raise CareError(_("Referral %(name)s: %(error)s") % {"name": name or "—", "error": error}) from None
        Referral.objects.create(interview=interview, lead=lead)
        made += 1
    return made


def _gift_request(interview: Interview, *, gift, by, quantity: int, family_member, delivery: str, address: str,
                  now: datetime):
    from events.gifts import services as gifts

    if not by.has_perm(REQUEST_GIFT):
        raise CareError(_("Your role does not request gifts."))
    try:
        return gifts.gift_request_create(
            customer=interview.customer, gift=gift, by=by, reason="interview", quantity=quantity,
            family_member=family_member, delivery=delivery, address=address,
            note=_("Chosen in interview %(number)s") % {"number": interview.number}, now=now)
    except ValidationError as error:
        raise CareError(error.messages) from None


@transaction.atomic
def interview_record(
    *,
    customer: Customer,
    by,
    place: str = Interview.Place.STORE,
    held_at: datetime | None = None,
    summary: str = "",
    file: dict | None = None,
    file_base: dict | None = None,
    family: list[dict] | None = None,
    suggestions: list[dict] | None = None,
    referrals: list[dict] | None = None,
    gift=None,
    gift_quantity: int = 1,
    gift_family_member: FamilyMember | None = None,
    gift_delivery: str = "post",
    gift_address: str = "",
    important: dict | None = None,
    lounge_visit: LoungeVisit | None = None,
    now: datetime | None = None,
) -> Interview:
    """An interview held with the customer, and all it brings, at once (see the module's docstring).

    In this order: the file's fields (the customer's row locked, so the gift's address is the one just
    typed), the family, the interview itself, its suggestions and their problems, its referrals and
    their leads, the gift request, the important-customer form, and the timeline entry that tells it."""
    now = now or timezone.now()
    if not can_interview(by):
        raise PermissionDenied
    _not_merged(customer)
    if place not in Interview.Place.values:
        raise CareError(_("Choose where the interview was held."))
    held_at = _when(held_at, now=now, what=_("interview"))
    if lounge_visit is not None and lounge_visit.customer_id != customer.pk:
        raise CareError(_("The lounge visit is another customer's."))
    written = _file_write(customer=customer, by=by, fields=file or {}, base=file_base, allowed=INTERVIEW_FILE_FIELDS)
    family_changed = _family_write(customer=customer, by=by, family=family or [])
    customer = Customer.objects.get(pk=customer.pk)  # as just written (the address a gift is posted to)
    interview = Interview.objects.create(
        customer=customer, held_at=held_at, place=place, interviewer=by, summary=_text(summary, limit=4000),
        file_fields=written, family_changed=family_changed, lounge_visit=lounge_visit)
    made, raised = _suggestions_record(interview, suggestions or [], by=by, now=now)
    referred = _referrals_record(interview, referrals or [], by=by, now=now)
    if gift is not None:
        interview.gift_request = _gift_request(interview, gift=gift, by=by, quantity=gift_quantity,
                                               family_member=gift_family_member, delivery=gift_delivery,
                                               address=gift_address, now=now)
        interview.save(update_fields=["gift_request"])
    important = {name: value for name, value in (important or {}).items() if name in IMPORTANT_FIELDS}
    has_form = any(value not in ("", None) for value in important.values())
    if has_form:
        form = ImportantCustomerForm(interview=interview, **important)
        form.full_clean(exclude=["interview"])
        form.save()
    timeline_add(
        customer=customer, kind=TimelineEntry.Kind.INTERVIEW, source=interview, occurred_at=held_at, by=by,
        params={"variant": "held", "interview": interview.pk, "place": place, "fields": written,
                "family": family_changed, "suggestions": made, "problems": raised, "referrals": referred,
                "gift": interview.gift_request.gift.name if interview.gift_request else "",
                "important": has_form, "summary": interview.summary[:300]},
    )
    return interview


# --- the lounge -------------------------------------------------------------------------------------
def _waiting(customer: Customer) -> LoungeVisit | None:
    return LoungeVisit.objects.filter(customer=customer, left_at__isnull=True).first()


def _already_waiting(visit: LoungeVisit) -> CareError:
    return CareError(_("%(name)s is already in the lounge, since %(time)s.")
                     % {"name": visit.customer.name, "time": f"{timezone.localtime(visit.arrived_at):%H:%M}"})


def _visit_is_customers(service_visit: ServiceVisit, customer: Customer) -> bool:
    return service_visit.customer_id == customer.pk or (
        service_visit.customer_id is None and service_visit.vehicle.roles.filter(customer=customer).exists())


@transaction.atomic
def lounge_arrive(
    *,
    customer: Customer,
    by,
    appointment=None,
    service_visit: ServiceVisit | None = None,
    arrived_at: datetime | None = None,
    now: datetime | None = None,
) -> LoungeVisit:
    """The customer sits down in the lounge, for today's appointment or repair order if they have one.
    Once at a time: while they wait, a second arrival is refused (by the database as well, for two taps)."""
    now = now or timezone.now()
    if not can_host(by):
        raise PermissionDenied
    _not_merged(customer)
    arrived_at = _when(arrived_at, now=now, what=_("arrival"))
    if appointment is not None and appointment.customer_id != customer.pk:
        raise CareError(_("The appointment is another customer's."))
    if service_visit is not None and not _visit_is_customers(service_visit, customer):
        raise CareError(_("The repair order is another customer's."))
    if appointment is not None and service_visit is None and appointment.visit_id:
        service_visit = appointment.visit
    waiting = _waiting(customer)
    if waiting is not None:
        raise _already_waiting(waiting)
    visit = LoungeVisit(customer=customer, appointment=appointment, service_visit=service_visit,
                        arrived_at=arrived_at, host=by)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # a colleague's tap got there first
        raise _already_waiting(_waiting(customer) or visit) from None
    timeline_add(
        customer=customer, kind=TimelineEntry.Kind.LOUNGE, source=visit, occurred_at=arrived_at, by=by,
        vehicle=service_visit.vehicle if service_visit else (appointment.vehicle if appointment else None),
        params={"variant": "arrived", "visit": visit.pk,
                "ro": service_visit.ro_number if service_visit else "",
                "appointment": f"{timezone.localtime(appointment.starts_at):%H:%M}" if appointment else ""},
    )
    return visit


def _locked(visit: LoungeVisit) -> LoungeVisit:
    return LoungeVisit.objects.select_for_update(of=("self",)).select_related("customer").get(pk=visit.pk)


@transaction.atomic
def lounge_leave(*, visit: LoungeVisit, by, left_at: datetime | None = None, now: datetime | None = None) -> LoungeVisit:
    """The customer leaves the lounge: how long they waited, and what they had, on their timeline. Once."""
    now = now or timezone.now()
    if not can_change_visit(by):
        raise PermissionDenied
    visit = _locked(visit)
    if visit.left_at is not None:
        raise CareError(_("%(name)s already left the lounge at %(time)s.")
                        % {"name": visit.customer.name, "time": f"{timezone.localtime(visit.left_at):%H:%M}"})
    left_at = _when(left_at, now=now, what=_("leaving"))
    if left_at < visit.arrived_at:
        raise CareError(_("They cannot leave before they arrived (%(time)s).")
                        % {"time": f"{timezone.localtime(visit.arrived_at):%H:%M}"})
    visit.left_at, visit.left_by = left_at, by
    visit.save(update_fields=["left_at", "left_by"])
    timeline_add(
        customer=visit.customer, kind=TimelineEntry.Kind.LOUNGE, source=visit, occurred_at=left_at, by=by,
        params={"variant": "left", "visit": visit.pk, "minutes": visit.minutes_waited(),
                "offered": list(visit.offered), "offered_note": visit.offered_note},
    )
    return visit


@transaction.atomic
def lounge_visit_update(
    *,
    visit: LoungeVisit,
    by,
    offered: list[str] | None = None,
    offered_note: str = "",
    needs: str = "",
    note: str = "",
    file: dict | None = None,
    file_base: dict | None = None,
    now: datetime | None = None,
) -> LoungeVisit:
    """What the customer was offered and what the host learned: the customer's job, social circle and
    interests go into the file (customer_update with the form's base), their needs stay with the visit.
    What is new (a field of the file written, needs heard for the first time or changed) goes on the
    timeline; saving the same again adds nothing."""
    now = now or timezone.now()
    if not can_change_visit(by):
        raise PermissionDenied
    visit = _locked(visit)
    _not_merged(visit.customer)
    offered = list(dict.fromkeys(offered or []))
    unknown = [code for code in offered if code not in LoungeVisit.Offer.values]
    if unknown:
        raise CareError(_("Choose what was offered from the list."))
    written = _file_write(customer=visit.customer, by=by, fields=file or {}, base=file_base,
                          allowed=LOUNGE_FILE_FIELDS)
    needs, previous_needs = _text(needs, limit=2000), visit.needs
    visit.offered, visit.offered_note, visit.needs, visit.note = offered, _text(offered_note, limit=100), needs, \
        _text(note, limit=2000)
    visit.file_fields = sorted(set(visit.file_fields) | set(written))
    visit.save(update_fields=["offered", "offered_note", "needs", "note", "file_fields"])
    if written or (needs and needs != previous_needs):
        timeline_add(
            customer=visit.customer, kind=TimelineEntry.Kind.LOUNGE, source=visit, occurred_at=now, by=by,
            params={"variant": "learned", "visit": visit.pk, "fields": written,
                    "needs": needs[:300] if needs != previous_needs else ""},
        )
    return visit
