"""Gifts in the demo store: the catalogue with its stock, the monthly budgets of the last months and
of this one, and requests in every state played through the services at past moments.

`manage.py seed_demo` calls `demo_seed` after the events' demo (INSTALLED_APPS order), for the
customers it has just made. About one request per 30 customers (never fewer than one of each story, at
most `MAXIMUM`), each a *story*: waiting for the general manager, approved and waiting to be posted,
posted with a courier and a number, handed over in the store, rejected with a comment, cancelled
before or after its approval. Reasons as the store gives gifts: the customer's birthday, a child's
birthday (a child of the file; the gift for children), the gift chosen in an interview (from the
menu), an event (one of the events' demo), a complaint's goodwill. The requests are asked for by the
interviewer, the callback agent or the DCRC supervisor, decided by the demo general manager (陈建国,
dealer_crm/accounts/demo.py) and sent by the DCRC supervisor, every step through the services, so
budgets, stock, the yearly cap and the timeline are the workflow's own. The same seed, the same
customers and the same `now` give the same gifts; run twice for the same customers, it adds nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from customers.models import Customer, FamilyMember, TimelineEntry
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role

from .models import Gift, GiftBudget, GiftRequest
from .services import (
    GiftError,
    gift_budget_save,
    gift_request_approve,
    gift_request_cancel,
    gift_request_create,
    gift_request_reject,
    gift_request_send,
    gift_save,
)

CUSTOMERS_PER_REQUEST = 30
MAXIMUM = 400
MONTHS_BACK = 3  # budgets of the three months before this one, and this one's
MONTHLY_BUDGET = Decimal("20000.00")

# name, unit cost, stock, on the menu, for children, in use, description
CATALOGUE = [
    ("品牌定制保温杯", "68.00", 120, True, False, True, "不锈钢真空杯，印店标"),
    ("车载香薰", "45.00", 150, True, False, True, "出风口香薰夹"),
    ("汽车应急工具包", "128.00", 60, True, False, True, "含三角牌、拖车绳、搭电线"),
    ("真丝靠枕", "98.00", 80, True, False, True, "头枕腰靠两件套"),
    ("生日蛋糕券", "88.00", 200, True, False, True, "合作蛋糕店，凭券领取"),
    ("免费洗车卡（5次）", "75.00", 200, True, False, True, "本店洗车，一年有效"),
    ("儿童绘本套装", "59.00", 100, True, True, True, "3–8岁，10册"),
    ("儿童安全座椅护垫", "79.00", 50, True, True, True, "防踢垫"),
    ("积木车模", "99.00", 60, True, True, True, "雷诺车模拼装"),
    ("精品脚垫", "180.00", 40, False, False, True, "全包围脚垫，按车型订做（不在礼品栏，投诉安抚用）"),
    ("纪念雨伞", "35.00", 0, True, False, True, "已发完，待补货"),
    ("旧款台历", "20.00", 12, False, False, False, "已停用"),
]

# The stories, as often as they happen: most gifts are sent, some wait.
STORIES = ["requested", "requested", "approved", "approved", "sent", "sent", "sent", "sent", "handed_over",
           "handed_over", "rejected", "cancelled", "cancelled_approved"]
REASONS = ["birthday", "birthday", "child_birthday", "interview", "interview", "event", "complaint"]  # as often
# Couriers and how their tracking numbers look (a prefix, then digits).
COURIERS = {"顺丰速运": ("SF", 13), "中通快递": ("7", 13), "圆通速递": ("YT", 13), "京东物流": ("JD", 13),
            "EMS": ("E", 12)}
NOTES = {
    "birthday": ["客户下周生日，寄生日礼物", "老客户生日关怀", ""],
    "child_birthday": ["孩子生日，寄儿童礼物", "面访时得知孩子下周过生日"],
    "interview": ["面访时客户从礼品栏选的", "重要客户面访，客户选了这件"],
    "event": ["活动到场礼", "车主活动抽奖礼品"],
    "complaint": ["投诉处理后安抚，客户已接受", "维修返工，表示歉意"],
}
REJECTIONS = ["本月已送过礼品，下月再申请", "理由不充分，请补充说明", "预算紧张，改送洗车卡"]
CANCELS = ["客户婉拒", "地址有误，客户下次来店再领", "重复申请"]


@dataclass
class Plan:
    story: str
    reason: str
    customer: Customer
    child: FamilyMember | None
    requested_at: datetime


def request_count(customers: int) -> int:
    if customers <= 0:
        return 0
    return min(customers, MAXIMUM, max(len(set(STORIES)), customers // CUSTOMERS_PER_REQUEST))


def _user(role: Role, preferred: str) -> User | None:
    return (User.objects.filter(username=preferred, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


def _staff() -> dict | None:
    """The demo's people: the general manager decides, the DCRC supervisor posts, the interviewer,
    the agent and the supervisor ask. None without a general manager and a supervisor."""
    gm, supervisor = _user(Role.GENERAL_MANAGER, "gm"), _user(Role.DCRC_SUPERVISOR, "supervisor")
    if gm is None or supervisor is None or not gm.has_perm("gifts.approve_giftrequest"):
        return None
    askers = [user for user in (_user(Role.INTERVIEWER, "interviewer"), _user(Role.CALLBACK_AGENT, "agent"), supervisor)
              if user is not None and user.has_perm("gifts.add_giftrequest")]
    return {"gm": gm, "supervisor": supervisor, "askers": askers}


def _month_start(day: date, back: int) -> date:
    month = day.month - back
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _month_end(start: date) -> date:
    return _month_start(start, -1) - timedelta(days=1)


def catalogue_ensure() -> dict[str, Gift]:
    gifts = {gift.name: gift for gift in Gift.objects.all()}
    for name, cost, stock, on_menu, for_children, active, description in CATALOGUE:
        if name not in gifts:
            gifts[name] = gift_save(gift=Gift(name=name, unit_cost=Decimal(cost), stock=stock, on_menu=on_menu,
                                              for_children=for_children, active=active, description=description))
    return gifts


def budgets_ensure(*, gm: User, today: date) -> list[GiftBudget]:
    """The monthly budgets of the last months and of this one (those missing; a period that would
    overlap one set already is left out)."""
    made = []
    for back in range(MONTHS_BACK, -1, -1):
        start = _month_start(today, back)
        end = _month_end(start)
        if GiftBudget.objects.filter(starts_on__lte=end, ends_on__gte=start).exists():
            continue
        made.append(gift_budget_save(by=gm, name=f"{start.year}年{start.month}月", starts_on=start, ends_on=end,
                                     amount=MONTHLY_BUDGET))
    return made


class DemoGifts:
    def __init__(self, *, rng: random.Random, now: datetime, staff: dict, gifts: dict[str, Gift], events: list):
        self.rng, self.now, self.staff, self.events = rng, now, staff, events
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        usable = [gift for gift in gifts.values() if gift.active and gift.stock > 0]
        self.menu = [gift for gift in usable if gift.on_menu and not gift.for_children]
        self.children = [gift for gift in usable if gift.for_children] or self.menu
        self.goodwill = [gift for gift in usable if not gift.for_children]
        self.first_day = _month_start(self.today, MONTHS_BACK)

    def _at(self, day: date, *, hour: int) -> datetime:
        moment = datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=self.tz)
        return min(moment, self.now - timedelta(minutes=5))

    def plans(self, *, customers: list[Customer], children: dict[int, FamilyMember]) -> list[Plan]:
        rng = self.rng
        stories = [STORIES[index % len(STORIES)] for index in range(len(customers))]
        rng.shuffle(stories)
        plans = []
        others = [reason for reason in REASONS if reason != "child_birthday"]
        for index, (story, customer) in enumerate(zip(stories, customers, strict=True)):
            # A parent of the file: most often their child's birthday gift (the birthday list proposes it).
            child = children.get(customer.pk) if rng.random() < 0.6 else None
            reason = "child_birthday" if child is not None else others[index % len(others)]
            if reason == "event" and not self.events:
                reason = "interview"
            # Waiting ones are days old; the others spread over the budgets' months (this one's too).
            days = rng.randint(0, 4) if story == "requested" else rng.randint(3, (self.today - self.first_day).days)
            day = max(self.today - timedelta(days=days), self.first_day)
            plans.append(Plan(story=story, reason=reason, customer=customer, child=child,
                              requested_at=self._at(day, hour=rng.randint(9, 16))))
        return sorted(plans, key=lambda plan: plan.requested_at)

    def play(self, plan: Plan) -> GiftRequest | None:
        rng, staff = self.rng, self.staff
        gift = rng.choice(self.children if plan.reason == "child_birthday" else
                          self.goodwill if plan.reason == "complaint" else self.menu)
        delivery = GiftRequest.Delivery.IN_STORE if plan.story == "handed_over" or (
            plan.reason == "event" and rng.random() < 0.7) else GiftRequest.Delivery.POST
        address = plan.customer.address or f"本市{rng.choice(['东城', '西城', '南山', '高新'])}区{rng.randint(1, 300)}号"
        by = rng.choice(staff["askers"])
        event = rng.choice(self.events) if plan.reason == "event" else None
        try:
            request = gift_request_create(
                customer=plan.customer, gift=gift, by=by, reason=plan.reason, family_member=plan.child, event=event,
                note=rng.choice(NOTES[plan.reason]), delivery=delivery, address=address, now=plan.requested_at)
            self._follow(request, plan)
        except GiftError:  # out of stock or budget, over the cap: the store would not ask or approve it either
            return None
        return request

    def _follow(self, request: GiftRequest, plan: Plan) -> None:
        rng, staff, story = self.rng, self.staff, plan.story
        gm = staff["gm"] if request.requested_by_id != staff["gm"].pk else None
        if story == "requested" or gm is None:
            return
        decided = self._office_hours(plan.requested_at + timedelta(hours=rng.randint(2, 30)), at_most=4)
        if story == "rejected":
            gift_request_reject(request=request, by=gm, comment=rng.choice(REJECTIONS), now=decided)
            return
        if story == "cancelled":
            gift_request_cancel(request=request, by=request.requested_by, reason=rng.choice(CANCELS), now=decided)
            return
        gift_request_approve(request=request, by=gm, comment=rng.choice(["", "同意", "同意，尽快寄出"]), now=decided)
        if story == "approved":
            return
        later = self._office_hours(decided + timedelta(hours=rng.randint(3, 48)), at_most=3)
        if story == "cancelled_approved":
            gift_request_cancel(request=request, by=staff["supervisor"], reason=rng.choice(CANCELS), now=later)
            return
        courier = rng.choice(sorted(COURIERS))
        prefix, digits = COURIERS[courier]
        number = prefix + "".join(str(rng.randrange(10)) for _ in range(digits - len(prefix)))
        gift_request_send(request=request, by=staff["supervisor"], courier=courier, tracking_number=number, now=later)

    def _office_hours(self, moment: datetime, *, at_most: int) -> datetime:
        """The moment moved into the store's office hours (9:00–18:00: a night's moment to the next
        morning), and never later than `at_most` minutes before now."""
        local = timezone.localtime(moment, self.tz)
        if local.hour >= 18:
            local = datetime.combine(local.date() + timedelta(days=1), time(9, self.rng.randrange(60)), tzinfo=self.tz)
        elif local.hour < 9:
            local = datetime.combine(local.date(), time(9, self.rng.randrange(60)), tzinfo=self.tz)
        return min(local, self.now - timedelta(minutes=at_most))


def _counts(*, entries_after: int) -> dict[str, int]:
    return {"gift": Gift.objects.count(), "giftbudget": GiftBudget.objects.count(),
            "giftrequest": GiftRequest.objects.count(),
            "timelineentry": TimelineEntry.objects.filter(pk__gt=entries_after, kind=TimelineEntry.Kind.GIFT).count()}


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The catalogue, the budgets and the gift requests of these customers (those seed_demo has just
    made) up to `now`. Nothing is made for customers who have gift requests already. Returns the rows
    added per table."""
    now = now or timezone.now()
    last_entry = TimelineEntry.objects.aggregate(top=Max("id"))["top"] or 0
    before = _counts(entries_after=last_entry)
    nothing = dict.fromkeys(before, 0)
    if not customer_ids or GiftRequest.objects.filter(customer_id__gte=customer_ids.start,
                                                      customer_id__lt=customer_ids.stop).exists():
        return nothing
    staff = _staff()
    if staff is None or not staff["askers"]:
        return nothing
    rng = random.Random(seed * 7_919 + 15)
    today = timezone.localdate(now)
    count = request_count(len(customer_ids))
    step = max(len(customer_ids) // count, 1)
    wanted = [customer_ids.start + index * step + rng.randrange(step) for index in range(count)]
    with transaction.atomic():
        gifts = catalogue_ensure()
        budgets_ensure(gm=staff["gm"], today=today)
        customers = list(Customer.objects.filter(pk__in=wanted).order_by("id"))
        children = {}
        for member in (FamilyMember.objects.filter(customer_id__in=[c.pk for c in customers],
                                                   relation=FamilyMember.Relation.CHILD).order_by("customer_id", "id")):
            children.setdefault(member.customer_id, member)
        events = _events(now=now)
        demo = DemoGifts(rng=rng, now=now, staff=staff, gifts=gifts, events=events)
        for plan in demo.plans(customers=customers, children=children):
            demo.play(plan)
    after = _counts(entries_after=last_entry)
    return {name: after[name] - before[name] for name in before}


def _events(*, now: datetime) -> list:
    """The events' demo's events held or starting by now (a gift is given at an event that took place)."""
    from events.models import Event

    return list(Event.objects.filter(Q(starts_at__lte=now)).exclude(status="cancelled").order_by("starts_at", "id")[:10])
