"""Sales leads in the demo store: the last six weeks of leads handed to sales, in every state.

`manage.py seed_demo` calls `demo_seed` after the other apps' demos (INSTALLED_APPS order), for the
customers it has just made. About one lead per 40 customers (never fewer than one of each story below,
at most `MAXIMUM`): a customer of the archive who wants another car (said on a call of theirs, at the
lounge, on the phone), someone a customer refers (a new person, the customer kept as the referrer), or
a caller or visitor the archive does not know. Each one is a *story* — new and nobody has it yet, given
to a consultant and due today or overdue, followed up with its next contact ahead, today or passed,
bought (the buyer added to the archive, a referral's referrer in their record), lost with a reason, or
lost and reopened — played through the services (`lead_create`, `lead_assign`, `lead_contact`,
`lead_win`, `lead_lose`, `lead_reopen`) at past moments, so every step, state and timeline entry is the
workflow's own. The same seed, the same customers and the same `now` give the same leads.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from customers.demo import GIVEN_CHARS, MODELS, SURNAMES
from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback

from .models import Lead, LeadStep
from .services import lead_assign, lead_contact, lead_create, lead_lose, lead_reopen, lead_win

CUSTOMERS_PER_LEAD = 40
MAXIMUM = 300
HISTORY_DAYS = 42
NEW_PERSON_PREFIX = "173"  # not a prefix the archive's demo uses: a new person is nobody on file
MODEL_NAMES = [name for names in MODELS.values() for name in names]

# The stories, as often as they happen: most leads are being followed up, a fifth are closed.
STORIES = ["new", "new_waiting", "assigned_today", "assigned_late", "following", "following", "following",
           "following_today", "following_late", "won", "won", "lost", "lost", "reopened"]
BUDGETS = ["10万以内", "10-15万", "15-20万", "20-25万", "25万以上", ""]
TIMINGS = [Lead.Timing.NOW, Lead.Timing.SOON, Lead.Timing.SOON, Lead.Timing.LATER, Lead.Timing.UNKNOWN]
WANTS = ["想换一台七座SUV", "家里添第二台车，给爱人上下班用", "关注新款的油耗和价格", "问置换旧车的补贴",
         "孩子考上大学想买台小车", "想了解分期和首付", ""]
CONTACTS = ["电话沟通了配置和价格，客户要和家人商量", "已发报价，客户在比较竞品", "约了周末来店试驾",
            "客户试驾后满意，在谈置换价格", "客户出差，约下周再联系", "介绍了本月的金融政策"]
LOST_REASONS = ["已在他店购车", "选择了其他品牌", "超出预算", "暂不购车", "多次联系不上"]
WINS = ["订购{model}，全款", "订购{model}，分期三年", "订购{model}，旧车置换"]
REOPEN_NOTES = ["客户回电说又想买了", "客户带朋友来店，重新跟进"]


@dataclass
class Plan:
    story: str
    kind: str  # "customer" (the archive's customer wants a car), "referral", "stranger"
    customer: Customer
    created_at: datetime


def lead_count(customers: int) -> int:
    if customers <= 0:
        return 0
    return min(customers, MAXIMUM, max(len(set(STORIES)), customers // CUSTOMERS_PER_LEAD))


def _user(role: Role, preferred: str) -> User | None:
    return (User.objects.filter(username=preferred, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


def _staff() -> dict | None:
    """The demo's people (dealer_crm/accounts/demo.py): the sales manager assigns and closes, the sales
    supervisor (and the manager) follow leads up, whoever meets customers hands them over. None without
    a sales manager: nobody would assign the leads."""
    manager = _user(Role.SALES_MANAGER, "sales")
    if manager is None or not manager.has_perm("leads.manage_lead"):
        return None
    consultants = [user for user in User.objects.filter(groups__name=Role.SALES_SUPERVISOR.value, is_active=True)
                   .order_by("id") if user.has_perm("leads.follow_lead")]
    handing = {role: _user(role, name) for role, name in ((Role.CALLBACK_AGENT, "agent"), (Role.LOUNGE_HOST, "lounge"),
                                                          (Role.INTERVIEWER, "interviewer"))}
    handing = {role: user for role, user in handing.items() if user is not None and user.has_perm("leads.add_lead")}
    return {"manager": manager, "consultants": consultants or [manager], "handing": handing}


class DemoLeads:
    """Draws the leads' stories, then plays each through the services at its moments."""

    def __init__(self, *, rng: random.Random, now: datetime, staff: dict):
        self.rng, self.now, self.staff = rng, now, staff
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()

    # --- drawing --------------------------------------------------------------------------------
    def plans(self, *, customers: list[Customer]) -> list[Plan]:
        rng = self.rng
        stories = [STORIES[index % len(STORIES)] for index in range(len(customers))]
        rng.shuffle(stories)
        kinds = ["customer", "customer", "customer", "referral", "referral", "stranger"]
        plans = [Plan(story=story, kind=kinds[index % len(kinds)], customer=customer,
                      created_at=self._created_at(story)) for index, (story, customer) in
                 enumerate(zip(stories, customers, strict=True))]
        return sorted(plans, key=lambda plan: plan.created_at)

    def _created_at(self, story: str) -> datetime:
        """When the lead came in: new ones in the last days, closed ones weeks ago."""
        rng = self.rng
        days = {"new": rng.randint(0, 1), "new_waiting": rng.randint(2, 5), "assigned_today": rng.randint(1, 3),
                "assigned_late": rng.randint(5, 9), "following": rng.randint(5, 25), "following_today": rng.randint(4, 15),
                "following_late": rng.randint(8, 20), "won": rng.randint(12, HISTORY_DAYS),
                "lost": rng.randint(10, HISTORY_DAYS), "reopened": rng.randint(20, HISTORY_DAYS)}[story]
        return self._at(self.today - timedelta(days=days), hour=rng.randint(9, 11))

    def _at(self, day: date, *, hour: int) -> datetime:
        moment = datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=self.tz)
        return min(moment, self.now - timedelta(minutes=5))

    def _person(self, customer: Customer) -> tuple[str, str]:
        """A new person's name, and a mobile no demo customer has (made from the referrer's id, so
        unique in the store)."""
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given, f"{NEW_PERSON_PREFIX}{customer.pk * 7919 % 10**8:08d}"

    # --- playing --------------------------------------------------------------------------------
    def play(self, plan: Plan, *, callbacks: dict[int, Callback]) -> Lead:
        rng, staff = self.rng, self.staff
        handing = staff["handing"]
        fields = {"model_interest": rng.choice(MODEL_NAMES) if rng.random() < 0.85 else "",
                  "budget": rng.choice(BUDGETS), "timing": rng.choice(TIMINGS), "note": rng.choice(WANTS),
                  "now": plan.created_at}
        if plan.kind == "customer":
            callback = callbacks.get(plan.customer.pk)
            if callback is not None and Role.CALLBACK_AGENT in handing:
                by, source = handing[Role.CALLBACK_AGENT], Lead.Source.CALLBACK
            else:
                source = rng.choice([Lead.Source.CALLER, Lead.Source.VISITOR, Lead.Source.OTHER])
                by = handing.get(Role.LOUNGE_HOST if source == Lead.Source.VISITOR else Role.CALLBACK_AGENT)
                callback = None
            lead = lead_create(by=by or staff["manager"], source=source, customer=plan.customer, callback=callback,
                               **fields)
        elif plan.kind == "referral":
            name, mobile = self._person(plan.customer)
            by = handing.get(Role.INTERVIEWER) or handing.get(Role.CALLBACK_AGENT) or staff["manager"]
            lead = lead_create(by=by, source=Lead.Source.REFERRAL, name=name, mobile=mobile,
                               referred_by=plan.customer, **fields)
        else:
            name, mobile = self._person(plan.customer)
            source = rng.choice([Lead.Source.CALLER, Lead.Source.VISITOR])
            by = rng.choice(staff["consultants"]) if source == Lead.Source.VISITOR else (
                handing.get(Role.CALLBACK_AGENT) or staff["manager"])
            lead = lead_create(by=by, source=source, name=name, mobile=mobile, **fields)
        self._follow(lead, plan)
        return lead

    def _follow(self, lead: Lead, plan: Plan) -> None:
        """The story's steps after the hand-over, each at its moment, the last before `now`."""
        rng, story, manager = self.rng, plan.story, self.staff["manager"]
        if story in ("new", "new_waiting"):
            return
        consultant = rng.choice(self.staff["consultants"])
        created = timezone.localdate(plan.created_at)
        at = plan.created_at + timedelta(hours=rng.randint(1, 4))
        if story == "assigned_today":
            lead_assign(lead=lead, to=consultant, by=manager, next_contact_on=self.today, now=at)
            return
        if story == "assigned_late":
            lead_assign(lead=lead, to=consultant, by=manager, next_contact_on=created + timedelta(days=rng.randint(1, 3)),
                        now=at)
            return
        lead_assign(lead=lead, to=consultant, by=manager, next_contact_on=created + timedelta(days=1), now=at)
        # The contacts, a few days apart, the last one a few days before the story's end.
        end = {"following": self.today - timedelta(days=rng.randint(0, 3)),
               "following_today": self.today - timedelta(days=rng.randint(2, 4)),
               "following_late": self.today - timedelta(days=rng.randint(5, 8))}.get(story, self.today - timedelta(days=rng.randint(2, 9)))
        end = max(end, created + timedelta(days=1))
        contacts = rng.randint(1, 3) if story != "lost" else rng.randint(0, 2)
        day = created + timedelta(days=1)
        for number in range(contacts):
            next_day = day + timedelta(days=rng.randint(2, 6))
            last = number == contacts - 1 or next_day > end
            next_on = self._last_next(story, day) if last else next_day
            lead_contact(lead=lead, by=consultant, note=rng.choice(CONTACTS), next_contact_on=max(next_on, day),
                         now=self._at(day, hour=rng.randint(13, 17)))
            if last:
                break
            day = next_day
        close_day = max(day + timedelta(days=1), created + timedelta(days=2))
        close_at = self._at(min(close_day, self.today), hour=rng.randint(14, 17))
        if story == "won":
            lead_win(lead=lead, by=consultant, now=close_at,
                     note=rng.choice(WINS).format(model=lead.model_interest or rng.choice(MODEL_NAMES)))
        elif story in ("lost", "reopened"):
            lead_lose(lead=lead, by=consultant, reason=rng.choice(LOST_REASONS), now=close_at)
            if story == "reopened":
                lead_reopen(lead=lead, by=manager, note=rng.choice(REOPEN_NOTES),
                            now=self._at(self.today, hour=9))

    def _last_next(self, story: str, day: date) -> date:
        """The next contact the last contact sets: ahead, today, or already passed, as the story says."""
        rng = self.rng
        if story == "following":
            return self.today + timedelta(days=rng.randint(1, 14))
        if story == "following_today":
            return self.today
        if story == "following_late":
            return min(day + timedelta(days=rng.randint(1, 3)), self.today - timedelta(days=1))
        return day + timedelta(days=rng.randint(2, 5))  # a closed lead: the date it had when it closed


def _counts(*, entries_after: int) -> dict[str, int]:
    """The leads' rows; the timeline's counted among the entries made since (a store of a million
    customers has tens of millions of entries: counting them all by kind would read them all)."""
    return {"lead": Lead.objects.count(), "leadstep": LeadStep.objects.count(),
            "timelineentry": TimelineEntry.objects.filter(pk__gt=entries_after, kind=TimelineEntry.Kind.LEAD).count()}


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The leads of these customers (those seed_demo has just made) up to `now`. Nothing is made for
    customers who have leads already, so running it twice for the same customers adds nothing.
    Returns the rows added per table."""
    now = now or timezone.now()
    last_entry = TimelineEntry.objects.aggregate(top=Max("id"))["top"] or 0
    before = _counts(entries_after=last_entry)
    nothing = dict.fromkeys(before, 0)
    in_range = Q(customer_id__gte=customer_ids.start, customer_id__lt=customer_ids.stop) | Q(
        referred_by_id__gte=customer_ids.start, referred_by_id__lt=customer_ids.stop)
    if not customer_ids or Lead.objects.filter(in_range).exists():
        return nothing
    staff = _staff()
    if staff is None:
        return nothing
    rng = random.Random(seed * 104_729 + 41)
    count = lead_count(len(customer_ids))
    # Customers spread over the whole range (a step through it), the same for the same seed.
    step = max(len(customer_ids) // count, 1)
    wanted = [customer_ids.start + index * step + rng.randrange(step) for index in range(count)]
    customers = list(Customer.objects.filter(pk__in=wanted).order_by("id"))
    callbacks = {}
    for callback in (Callback.objects.filter(customer_id__in=[customer.pk for customer in customers])
                     .select_related("customer").order_by("customer_id", "-id")):
        callbacks.setdefault(callback.customer_id, callback)  # the customer's latest call
    demo = DemoLeads(rng=rng, now=now, staff=staff)
    with transaction.atomic():
        for plan in demo.plans(customers=customers):
            demo.play(plan, callbacks=callbacks)
    after = _counts(entries_after=last_entry)
    return {name: after[name] - before[name] for name in before}
