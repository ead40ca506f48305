"""In-store events in the demo store: three held in the last two months, one being prepared now, and the
members' next self-drive trip.

`manage.py seed_demo` calls `demo_seed` after the archive's, membership's and the leads' demos
(INSTALLED_APPS order). Every step is the services' own, at its past moment:

- three past events (a 车主日 eight weeks ago, a 用车讲堂 four weeks ago, a 新车发布会 ten days ago): the
  target group chosen from the archive's filters (narrowed — a recent visit, a district, a birthday
  month, an importance — until it holds at most MAX_INVITED customers), the invitations made and texted through
  the SMS platform two weeks before (the texts sent and delivered as the dispatcher would have,
  retention's demo `settle_texts`), the answers taken by phone over the next days (most coming, with
  their party sizes), the preparation checklist done with its costs, the door on the day (most of the
  yeses and a few maybes checked in, two archive customers, a new customer and a prospect handed to
  sales as walk-ins), and the outcome (orders signed, feedback);
- one event nine days ahead being prepared: invited and texted two days ago, a few answers in, the
  confirmation calls to those who have not answered queued now on the callback queue (for the
  agents' workbench), its checklist partly done;
- the members-only self-drive trip (会员自驾游) a month ahead, in planning: its members-only target
  group set and its first checklist tasks.

The same seed and the same `now` give the same rows; nothing is made when the store has events.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from customers.demo import CITIES, GIVEN_CHARS, INTERESTS, SURNAMES
from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role

from .audience import audience_count
from .models import ChecklistItem, Event, Invitation
from .services import (checklist_item_add, checklist_item_done, event_audience_set, event_create,
                       event_outcome_record, invitation_answer, invitation_check_in, invitations_call,
                       invitations_create, invitations_send_sms, walk_in_check_in)

MAX_INVITED = 120
MIN_INVITED = 10
NEW_PERSON_PREFIX = "174"  # no demo customer's mobile starts so: a walk-in is nobody on file

PAST = [
    # (days ago, kind, title, venue, budget, base filters)
    (56, Event.Kind.OWNERS_DAY, "秋季车主关爱日", "售后服务大厅", "18000", {"brands": ["renault"], "interests": "自驾游 户外徒步"}),
    (28, Event.Kind.CLASS, "冬季用车讲堂", "客休区多功能厅", "6000", {"interests": "读书 摄影", "has_mobile": True}),
    (10, Event.Kind.LAUNCH, "新款科雷傲上市发布会", "展厅", "45000", {"models": ["科雷傲", "科雷嘉", "纬度"]}),
]
NARROWING = ["last_visit_after", "district", "birthday_month", "importance"]  # the gentlest first
CHECKLIST = [
    # (kind, title, days before the event, cost)
    (ChecklistItem.Kind.INVITATIONS, "发出邀约短信并电话确认", 10, "0"),
    (ChecklistItem.Kind.VENUE, "场地布置、签到台", 1, "2500"),
    (ChecklistItem.Kind.CATERING, "冷餐预订", 3, "3800"),
    (ChecklistItem.Kind.DRINKS, "酒水饮料", 2, "900"),
    (ChecklistItem.Kind.GIFTS, "到场礼品准备", 4, "2400"),
    (ChecklistItem.Kind.MATERIALS, "易拉宝、宣传单页", 5, "600"),
]
FEEDBACK = ["客户反映活动安排紧凑，冷餐丰富；希望下次增加亲子环节。", "讲解通俗易懂，客户提问踊跃，多位客户预约了保养。",
            "新车试驾排队较长，建议增加试驾车；现场气氛热烈。"]
NOTES = ["带家人一起来", "下午有空", "可能晚到半小时", "要带孩子", ""]


def _staff(role: Role, username: str) -> User | None:
    return (User.objects.filter(username=username, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


class DemoEvents:
    def __init__(self, *, rng: random.Random, now: datetime, template, people: dict):
        self.rng, self.now, self.template, self.people = rng, now, template, people
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def filters(self, base: dict) -> dict:
        """The base filters, narrowed one filter at a time until the group holds at most MAX_INVITED
        (and at least MIN_INVITED: a narrowing that leaves fewer is not taken)."""
        rng, chosen = self.rng, dict(base)
        if audience_count(filters=chosen) < MIN_INVITED:
            chosen = {"has_mobile": True}
        for key in NARROWING:
            if audience_count(filters=chosen) <= MAX_INVITED:
                break
            value = {"importance": ["vip", "important"], "birthday_month": rng.randint(1, 12),
                     "district": rng.choice(CITIES), "last_visit_after": (self.today - timedelta(days=120)).isoformat()}[key]
            narrower = chosen | {key: value}
            if audience_count(filters=narrower) >= MIN_INVITED:
                chosen = narrower
        return chosen

    def checklist(self, event: Event, *, done_before: datetime | None) -> None:
        """The preparation tasks with their owners and dates; done (a day or two before each is due)
        up to `done_before`."""
        rng, marketing = self.rng, self.people["marketing"]
        start = timezone.localdate(event.starts_at)
        owners = [marketing, self.people.get("supervisor") or marketing]
        for index, (kind, title, days, cost) in enumerate(CHECKLIST):
            due_on = start - timedelta(days=days)
            item = checklist_item_add(event=event, by=marketing, kind=kind, title=title, owner=owners[index % 2],
                                      due_on=due_on, cost=Decimal(cost) * Decimal(rng.choice(["0.8", "1", "1.2"])))
            done_at = self.at(due_on - timedelta(days=rng.randint(0, 2)), rng.randint(9, 17))
            if done_before is not None and done_at <= done_before:
                checklist_item_done(item=item, by=owners[index % 2], done=True, now=done_at)

    def invite(self, event: Event, *, on: date, base: dict) -> list[Invitation]:
        from followups.retention.demo import settle_texts

        from dealer_crm.messaging.models import OutboundMessage

        marketing = self.people["marketing"]
        event_audience_set(event=event, filters=self.filters(base), by=marketing)
        sent_at = self.at(on, 10, self.rng.randrange(30))
        invitations_create(event=event, by=marketing, now=sent_at)
        first_text = (OutboundMessage.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        invitations_send_sms(event=event, by=marketing, template=self.template, now=sent_at)
        settle_texts(first_id=first_text, now=min(sent_at + timedelta(hours=1), self.now))
        return list(event.invitations.select_related("customer").order_by("id"))

    def answers(self, invitations: list[Invitation], *, first: date, last: date, share: float) -> None:
        """About `share` of the invited answer by phone between `first` and `last` (60% coming)."""
        rng, marketing = self.rng, self.people["marketing"]
        days = max((last - first).days, 0)
        for invitation in invitations:
            if rng.random() >= share:
                continue
            roll = rng.random()
            rsvp = "yes" if roll < 0.6 else "no" if roll < 0.85 else "maybe"
            when = self.at(first + timedelta(days=rng.randint(0, days)), rng.randint(9, 17), rng.randrange(60))
            invitation_answer(invitation=invitation, rsvp=rsvp, party_size=rng.choice([1, 2, 2, 3, 4]),
                              note=rng.choice(NOTES), by=marketing, now=min(when, self.now))

    def door(self, event: Event) -> None:
        """The guests on the day: most yeses and a few maybes, then the walk-ins."""
        rng, host = self.rng, self.people["door"]
        start = event.starts_at
        for invitation in event.invitations.order_by("id"):
            came = {"yes": 0.85, "maybe": 0.3, "pending": 0.05}.get(invitation.rsvp, 0.0)
            if rng.random() < came:
                guests = invitation.party_size if invitation.rsvp == "yes" else rng.choice([1, 2])
                invitation_check_in(invitation=invitation, by=host, guests=max(1, guests - (rng.random() < 0.15)),
                                    now=start - timedelta(minutes=rng.randint(0, 40)))
        invited = set(event.invitations.values_list("customer_id", flat=True))
        pool = list(Customer.objects.filter(pk__in=self.people["customer_ids"]).exclude(pk__in=invited)
                    .order_by("id").values_list("id", flat=True)[:400])
        for pk in rng.sample(pool, min(2, len(pool))):
            walk_in_check_in(event=event, by=host, customer=Customer.objects.get(pk=pk), guests=rng.choice([1, 2]),
                             now=start + timedelta(minutes=rng.randint(5, 60)))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_CHARS) for _ in range(2))
        walk_in_check_in(event=event, by=host, name=name, mobile=f"{NEW_PERSON_PREFIX}{event.pk * 7919 % 10**8:08d}",
                         note="朋友带来参加活动", now=start + timedelta(minutes=rng.randint(5, 60)))
        seller = self.people.get("lead_host")
        if seller is not None:
            prospect = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_CHARS) for _ in range(2))
            walk_in_check_in(event=event, by=seller, name=prospect, as_lead=True,
                             mobile=f"{NEW_PERSON_PREFIX}{(event.pk * 7919 + 1) % 10**8:08d}",
                             note="现场看中新车，想了解置换", now=start + timedelta(minutes=rng.randint(10, 90)))

    def past(self, days_ago: int, kind: str, title: str, venue: str, budget: str, base: dict, index: int) -> Event:
        rng = self.rng
        day = self.today - timedelta(days=days_ago)
        day += timedelta(days=(5 - day.weekday()) % 7)  # that week's Saturday
        start = self.at(day, 14 if kind != Event.Kind.CLASS else 10)
        event = event_create(by=self.people["marketing"], title=title, kind=kind, starts_at=start,
                             ends_at=start + timedelta(hours=3), venue=venue, budget=Decimal(budget),
                             description=f"{title}：签到、讲解、互动抽奖，现场冷餐。")
        self.checklist(event, done_before=start)
        invited_on = timezone.localdate(start) - timedelta(days=14)
        invitations = self.invite(event, on=invited_on, base=base)
        self.answers(invitations, first=invited_on + timedelta(days=1), last=timezone.localdate(start) - timedelta(days=1),
                     share=0.7)
        self.door(event)
        event_outcome_record(event=event, by=self.people["marketing"], orders_signed=rng.randint(0, 3) + (kind == "launch") * 3,
                             feedback=FEEDBACK[index % len(FEEDBACK)], now=start + timedelta(hours=5))
        return event

    def preparing(self) -> Event:
        """Nine days ahead: invited two days ago, a few answers, the calls to who has not answered queued now."""
        start = self.at(self.today + timedelta(days=9), 14)
        event = event_create(by=self.people["marketing"], title="冬季车主答谢会", kind=Event.Kind.OWNERS_DAY,
                             starts_at=start, ends_at=start + timedelta(hours=3), venue="展厅二楼", capacity=150,
                             budget=Decimal("25000"), description="答谢老客户：冬季免费检测、抽奖、冷餐会。")
        self.checklist(event, done_before=self.now)
        sent_on = self.today - timedelta(days=2)
        invitations = self.invite(event, on=sent_on, base={"brands": ["renault"], "interests": "钓鱼 摄影 自驾游"})
        self.answers(invitations, first=sent_on, last=self.today, share=0.3)
        if self.people.get("calls"):
            invitations_call(event=event, by=self.people["marketing"], now=self.now)
        return event

    def trip(self) -> Event:
        """The members' self-drive trip a month ahead, in planning: its members-only group and first tasks."""
        start = self.at(self.today + timedelta(days=30), 8)
        event = event_create(by=self.people["marketing"], title="会员春季自驾游·黄山", kind=Event.Kind.SELF_DRIVE,
                             starts_at=start, ends_at=start + timedelta(days=1, hours=10), venue="门店集合出发",
                             capacity=40, members_only=True, budget=Decimal("30000"),
                             description="会员专属：两天一晚黄山自驾，车辆出发前免费检测。")
        event_audience_set(event=event, filters={"members_only": True, "interests": self.rng.choice(INTERESTS[:2])},
                           by=self.people["marketing"])
        for kind, title, days, cost in (("venue", "路线踩点、酒店预订", 20, "8000"), ("gifts", "会员纪念品", 10, "3000")):
            checklist_item_add(event=event, by=self.people["marketing"], kind=kind, title=title,
                               owner=self.people["marketing"], due_on=timezone.localdate(start) - timedelta(days=days),
                               cost=Decimal(cost))
        return event


def _counts() -> dict[str, int]:
    return {"event": Event.objects.count(), "invitation": Invitation.objects.count(),
            "checklistitem": ChecklistItem.objects.count(),
            "event_timeline": TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EVENT).count()}


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The store's events up to `now` (see the module's docstring). Returns the rows added per table."""
    from dealer_crm.messaging.models import SmsTemplate

    now = now or timezone.now()
    before = _counts()
    nothing = dict.fromkeys(before, 0)
    if not customer_ids or Event.objects.exists():
        return nothing
    marketing = _staff(Role.MARKETING, "marketing")
    template = SmsTemplate.objects.filter(key="event_invitation", active=True).first()
    if marketing is None or template is None:
        return nothing
    lead_host = _staff(Role.INTERVIEWER, "interviewer")
    people = {"marketing": marketing, "door": _staff(Role.CALLBACK_AGENT, "agent") or marketing,
              "supervisor": _staff(Role.DCRC_SUPERVISOR, "supervisor"),
              "lead_host": lead_host if lead_host is not None and lead_host.has_perm("leads.add_lead") else None,
              "customer_ids": customer_ids, "calls": True}
    demo = DemoEvents(rng=random.Random(f"events-{seed}"), now=now, template=template, people=people)
    with transaction.atomic():
        for index, (days_ago, kind, title, venue, budget, base) in enumerate(PAST):
            demo.past(days_ago, kind, title, venue, budget, base, index)
        demo.preparing()
        demo.trip()
    after = _counts()
    return {name: after[name] - before[name] for name in before}
