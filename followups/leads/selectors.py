"""Reads of sales leads: who sees which, the list with its tabs and filters, one lead with its
story, the consultants a lead may be given to, the archive's customers and the open leads that have
a prospect's mobile, and the home panel's rows. Each runs a fixed number of queries whatever the
number of rows (related rows come with select_related or one prefetch).

Who sees which:
- the sales manager (`leads.manage_lead`) every lead;
- a consultant (`leads.follow_lead`) the leads given to them and those they handed over themselves;
- whoever hands leads over (`leads.add_lead` only: agents, the lounge, the service desk) their own;
- the readers (`leads.view_lead` without following any: the general manager, the DCRC supervisor,
  who answer for what became of the leads) every lead, without acting on it.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from customers.models import Customer

from . import services
from .models import Lead, LeadStep

S = Lead.Status
VIEW = "leads.view_lead"
OPEN = "open"  # the list's default tab: new, assigned and being followed up
ALL = "all"
TABS = (OPEN, S.NEW, S.ASSIGNED, S.FOLLOWING, S.WON, S.LOST, ALL)
UNASSIGNED = "none"  # the consultant filter: nobody's yet
DUE, OVERDUE = "due", "overdue"  # next contact today or before; before today

# Sort keys the list accepts (the column headers ask for them); the first is the default.
SORTS: dict[str, tuple] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "next": (F("next_contact_on").asc(nulls_last=True), "-created_at", "-id"),
    "-next": (F("next_contact_on").desc(nulls_last=True), "-created_at", "-id"),
}
DEFAULT_SORT = "-created"


# --- who sees what ---------------------------------------------------------------------------------
def can_open_leads(user) -> bool:
    """The list's door (and the menu entry's rule): whoever reads leads or hands them over."""
    return user.is_authenticated and user.is_active and (user.has_perm(VIEW) or services.can_add(user))


def sees_every_lead(user) -> bool:
    if user.is_superuser or services.can_manage(user):
        return True
    return user.has_perm(VIEW) and not user.has_perm(services.FOLLOW)


def visible_leads(user) -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if sees_every_lead(user):
        return leads
    if user.has_perm(services.FOLLOW):
        return leads.filter(Q(assigned_to=user) | Q(created_by=user))
    if services.can_add(user):
        return leads.filter(created_by=user)
    return leads.none()


# --- the list --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeadFilters:
    tab: str = OPEN
    due: str = ""
    consultant: str = ""  # a user's id, UNASSIGNED, or "" for everyone
    source: str = ""
    name: str = ""
    mobile: str = ""
    number: int | None = None
    order: str = DEFAULT_SORT


def lead_list(*, user, filters: LeadFilters, today: date) -> QuerySet[Lead]:
    leads = _filtered(visible_leads(user), filters=filters, today=today)
    if filters.tab == OPEN:
        leads = leads.filter(status__in=services.OPEN)
    elif filters.tab in S.values:
        leads = leads.filter(status=filters.tab)
    return (leads.select_related("customer", "referred_by", "assigned_to")
            .order_by(*SORTS.get(filters.order, SORTS[DEFAULT_SORT])))


def _filtered(leads: QuerySet[Lead], *, filters: LeadFilters, today: date) -> QuerySet[Lead]:
    if filters.due == DUE:
        leads = leads.filter(status__in=services.OPEN, next_contact_on__lte=today)
    elif filters.due == OVERDUE:
        leads = leads.filter(status__in=services.OPEN, next_contact_on__lt=today)
    if filters.consultant == UNASSIGNED:
        leads = leads.filter(assigned_to__isnull=True)
    elif filters.consultant.isdigit():
        leads = leads.filter(assigned_to_id=int(filters.consultant))
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.number is not None:
        leads = leads.filter(pk=filters.number)
    if filters.mobile:
        leads = leads.filter(mobile=filters.mobile)
    if filters.name:
        leads = leads.filter(name__contains=filters.name)
    return leads


def tab_counts(*, user, filters: LeadFilters, today: date) -> dict[str, int]:
    """How many leads each tab holds with the other filters as they are: one query."""
    leads = _filtered(visible_leads(user), filters=filters, today=today)
    counts = leads.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in S.values},
                             **{ALL: Count("pk")})
    counts[OPEN] = sum(counts[status] for status in services.OPEN)
    return counts


# --- one lead --------------------------------------------------------------------------------------
def lead_detail(*, leads: QuerySet[Lead], pk: int) -> Lead:
    """The lead with its people and its story (two queries)."""
    return (leads.select_related("customer", "referred_by", "assigned_to", "created_by", "callback")
            .prefetch_related(Prefetch("steps", queryset=LeadStep.objects.select_related("by", "to")))
            .get(pk=pk))


def lead_consultants() -> QuerySet:
    """Who may be given a lead: active staff holding `leads.follow_lead` through a role or on their own."""
    from django.contrib.auth.models import Permission

    held = Permission.objects.filter(content_type__app_label="leads", codename="follow_lead").values("pk")
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=held) | Q(user_permissions__in=held))
            .distinct().order_by("display_name", "username"))


MATCHES = 5


def archive_matches(*, mobile: str) -> list[Customer]:
    """The archive's customers with this number as their mobile or other phone (a few, the oldest
    record first): the prospect may be one of them."""
    if not mobile:
        return []
    return list(Customer.objects.filter(Q(mobile=mobile) | Q(phone2=mobile)).order_by("id")[:MATCHES])


def open_leads_with(*, mobile: str, exclude: int | None = None) -> list[Lead]:
    """Open leads of this mobile already on the sales side's desk (a second hand-over of the same person)."""
    if not mobile:
        return []
    leads = Lead.objects.filter(mobile=mobile, status__in=services.OPEN).select_related("assigned_to")
    if exclude is not None:
        leads = leads.exclude(pk=exclude)
    return list(leads.order_by("-created_at")[:MATCHES])


# --- the home panel --------------------------------------------------------------------------------
def leads_to_follow(*, user, today: date) -> QuerySet[Lead]:
    """The leads on the user's desk today. The sales manager: the new ones nobody has yet, every lead
    whose next contact has passed, and their own due today. A consultant: their leads due today or
    before. Overdue first, then the new ones, then today's; the oldest date first."""
    open_leads = Lead.objects.filter(status__in=services.OPEN)
    mine_due = Q(assigned_to=user, next_contact_on__lte=today)
    if services.can_manage(user):
        leads = open_leads.filter(Q(status=S.NEW, assigned_to__isnull=True) | Q(next_contact_on__lt=today) | mine_due)
    elif user.has_perm(services.FOLLOW):
        leads = open_leads.filter(mine_due)
    else:
        return Lead.objects.none()
    return leads.annotate(urgency=Case(
        When(next_contact_on__lt=today, then=Value(0)), When(assigned_to__isnull=True, then=Value(1)),
        default=Value(2), output_field=IntegerField(),
    )).order_by("urgency", F("next_contact_on").asc(nulls_last=True), "created_at", "id")
