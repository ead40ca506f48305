"""Interviews and the lounge in the demo store.

`manage.py seed_demo` calls `demo_seed` after the gifts' demo (INSTALLED_APPS order), for the customers
it has just made. About one interview per 50 customers over the last eight weeks (never fewer than
`MINIMUM`, at most `MAXIMUM`), by the demo interviewer (吴静, dealer_crm/accounts/demo.py): each fills
in part of the file (occupation, social circle, interests, expectations; a child or a spouse with their
birthday), many record suggestions (those of the last week sent to a department as problems), some
referrals (a new person handed to sales), some a gift chosen from the gift menu (waiting for the general
manager), and the important and VIP customers' the important-customer form; two are today's.
The lounge, by the demo lounge host (郑丽): past visits over the last four weeks (arrived, offered a
drink, left 20–120 minutes later, sometimes what was learned), today's who left, and today's people
waiting now — for today's appointments and repair orders where there are some.

Everything goes through the services (`interview_record`, `lounge_arrive`, `lounge_visit_update`,
`lounge_leave`) at past moments, so the file's history, the problems, the leads, the gift requests and the
timeline are the workflow's own. The same seed, the same customers and the same `now` give the same
rows; run twice for the same customers, it adds nothing.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from customers.demo import GIVEN_CHARS, INTERESTS, MODELS, OCCUPATIONS, SURNAMES
from customers.models import Customer, ServiceVisit, TimelineEntry
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role

from .models import ImportantCustomerForm, Interview, LoungeVisit, Referral, Suggestion
from .services import CareError, interview_record, lounge_arrive, lounge_leave, lounge_visit_update

CUSTOMERS_PER_INTERVIEW = 50
CUSTOMERS_PER_LOUNGE_VISIT = 25
MINIMUM = 12
MAXIMUM = 300
LOUNGE_MAXIMUM = 400
INTERVIEW_DAYS = 56
LOUNGE_DAYS = 28
WAITING_NOW = 5
LEFT_TODAY = 3
NEW_PERSON_PREFIX = "174"  # the leads' demo uses 173: a referred person is nobody on file
MODEL_NAMES = [name for names in MODELS.values() for name in names]

SOCIAL = ["教育系统", "医疗系统", "政府机关", "本地企业主圈子", "车友会", "商会", "同学圈", "高校", ""]
EXPECTATIONS = ["保养时能提供代步车", "希望多办自驾游活动", "工时费再透明一些", "希望预约后到店不用等",
                "节假日也能保养", "希望有儿童游乐区", ""]
SUMMARIES = ["聊了用车情况，客户对保养服务满意", "客户说起孩子今年上小学，周末常带家人自驾",
             "客户刚换工作，用车更多了", "客户提到身边有朋友想买车", "谈了对我们服务的看法和建议",
             "客户喜欢户外，问了自驾游活动的安排"]
SUGGESTIONS = [  # (what the customer said, the department, the category)
    ("保养等待时间太长，希望快保能预约", "service", "waiting"),
    ("上次维修后异响还在", "service", "repair"),
    ("配件要等一周，希望常用件多备一些", "parts", "parts"),
    ("销售顾问交车时讲解不够细", "sales", "staff"),
    ("发票开得慢", "finance", "paperwork"),
    ("休息区可以放些儿童绘本", "", "facility"),
    ("希望洗车更仔细", "", "repair"),
    ("停车位不够", "", "facility"),
]
CHILD_NOTES = ["上幼儿园", "上小学，喜欢画画", "喜欢车模", "喜欢绘本", ""]
COMPANIES = ["芜湖奇瑞配套公司", "市第一人民医院", "镜湖区教育局", "长江建设集团", "安徽某律师事务所", "自营建材公司"]
POSITIONS = ["总经理", "副院长", "科长", "项目经理", "合伙人", "董事长"]
NEEDS = ["轮胎快换了，想了解优惠", "想看看新款的配置", "问延保怎么买", "想给爱人再买一台小车", "问积分能换什么", ""]
ROWS_OFFERED = [["coffee"], ["tea"], ["water"], ["coffee", "snacks"], ["tea", "fruit"], ["juice", "candy"],
                ["coffee", "reading"]]


def _user(role: Role, preferred: str) -> User | None:
    return (User.objects.filter(username=preferred, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


def _counts(*, entries_after: int) -> dict[str, int]:
    return {
        "interview": Interview.objects.count(), "suggestion": Suggestion.objects.count(),
        "referral": Referral.objects.count(), "importantcustomerform": ImportantCustomerForm.objects.count(),
        "loungevisit": LoungeVisit.objects.count(),
        "timelineentry": TimelineEntry.objects.filter(
            pk__gt=entries_after, kind__in=[TimelineEntry.Kind.INTERVIEW, TimelineEntry.Kind.LOUNGE]).count(),
    }


class DemoCare:
    def __init__(self, *, rng: random.Random, now: datetime, interviewer: User, host: User, gifts: list):
        self.rng, self.now, self.interviewer, self.host, self.gifts = rng, now, interviewer, host, gifts
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()

    def _at(self, day: date, *, hour: int, minute: int | None = None) -> datetime:
        moment = datetime.combine(day, time(hour, self.rng.randrange(60) if minute is None else minute), tzinfo=self.tz)
        return min(moment, self.now - timedelta(minutes=30))

    def _person(self, customer: Customer, number: int) -> tuple[str, str]:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given, f"{NEW_PERSON_PREFIX}{(customer.pk * 7919 + number) % 10**8:08d}"

    # --- interviews -------------------------------------------------------------------------------
    def interview(self, customer: Customer, *, held_at: datetime) -> Interview:
        rng = self.rng
        file = {}
        if not customer.occupation or rng.random() < 0.3:
            file["occupation"] = rng.choice([job for job in OCCUPATIONS if job])
        if rng.random() < 0.6:
            file["social_level"] = rng.choice(SOCIAL)
        if rng.random() < 0.6:
            interests = [word for word in (customer.interests or "").split("、") if word]
            file["interests"] = "、".join(dict.fromkeys(interests + rng.sample(INTERESTS, 1)))
        if rng.random() < 0.5:
            file["expectations"] = rng.choice(EXPECTATIONS)
        family = []
        if rng.random() < 0.35:
            born = self.today - timedelta(days=rng.randint(3 * 365, 14 * 365))
            family.append({"member": None, "relation": "child", "name": customer.name[0] + rng.choice(GIVEN_CHARS)
                           + rng.choice(GIVEN_CHARS), "gender": rng.choice(["M", "F"]), "birthday": born,
                           "note": rng.choice(CHILD_NOTES)})
        recent = held_at >= self.now - timedelta(days=7)
        suggestions = []
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            text, department, category = rng.choice(SUGGESTIONS)
            suggestions.append({"text": text, "department": department if recent else "", "category": category})
        referrals = []
        if rng.random() < 0.25:
            name, mobile = self._person(customer, 0)
            referrals.append({"name": name, "mobile": mobile, "model_interest": rng.choice(MODEL_NAMES),
                              "timing": rng.choice(["now", "soon", "later", "unknown"]),
                              "note": rng.choice(["同事，想换车", "亲戚，第一次买车", "朋友，在看SUV"])})
        gift = rng.choice(self.gifts) if self.gifts and rng.random() < 0.3 else None
        important = {}
        if customer.importance != Customer.Importance.NORMAL or rng.random() < 0.12:
            important = {"company": rng.choice(COMPANIES), "position": rng.choice(POSITIONS),
                         "family_vehicles": rng.choice(["爱人开科雷嘉", "家里还有一台别克", "只有这一台"]),
                         "friends_vehicles": rng.choice(["朋友开奥迪，明年想换", "同事想买七座车", ""]),
                         "decision_maker": rng.choice(["本人", "夫妻商量", "公司采购"]),
                         "preferred_contact": rng.choice(["phone", "sms", "wechat", "through"]),
                         "best_time": rng.choice(["工作日晚上", "周末上午", "午休时间"]),
                         "car_use": rng.choice(["上下班，周末自驾", "商务接待", "接送孩子"]),
                         "notes": rng.choice(["开会时不接电话", "喜欢喝茶", "对价格不敏感，重视服务"])}
        try:
            return interview_record(
                customer=customer, by=self.interviewer, held_at=held_at, place=rng.choice(
                    ["store", "store", "store", "home", "phone"]), summary=rng.choice(SUMMARIES), file=file,
                family=family, suggestions=suggestions, referrals=referrals, gift=gift,
                gift_delivery=rng.choice(["post", "in_store"]), important=important, now=held_at)
        except CareError:
            # A gift out of stock or an address missing: the interview without the gift.
            return interview_record(customer=customer, by=self.interviewer, held_at=held_at, file=file,
                                    family=family, summary=rng.choice(SUMMARIES), suggestions=suggestions,
                                    referrals=referrals, important=important, now=held_at)

    # --- the lounge -------------------------------------------------------------------------------
    def visit(self, customer: Customer, *, arrived_at: datetime, left_at: datetime | None, appointment=None,
              service_visit=None) -> LoungeVisit:
        rng = self.rng
        visit = lounge_arrive(customer=customer, by=self.host, appointment=appointment, service_visit=service_visit,
                              arrived_at=arrived_at, now=arrived_at)
        noted = arrived_at + timedelta(minutes=rng.randint(5, 15))
        file, needs = {}, ""
        if rng.random() < 0.35:
            if not customer.occupation:
                file["occupation"] = rng.choice([job for job in OCCUPATIONS if job])
            needs = rng.choice(NEEDS)
        lounge_visit_update(visit=visit, by=self.host, offered=rng.choice(ROWS_OFFERED), needs=needs, file=file,
                            now=min(noted, self.now))
        if left_at is not None:
            visit = lounge_leave(visit=visit, by=self.host, left_at=left_at, now=left_at)
        return visit


def _today_arrivals(day: date, customer_ids: range, tz) -> list[tuple]:
    """Today's checked-in appointments and repair orders of these customers: (customer, appointment, order)."""
    from followups.appointments.models import Appointment

    start = datetime.combine(day, time(0), tzinfo=tz)
    rows, seen = [], set()
    for appointment in (Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1),
                                                   customer_id__gte=customer_ids.start, customer_id__lt=customer_ids.stop,
                                                   status=Appointment.Status.ARRIVED)
                        .select_related("customer", "visit").order_by("starts_at", "id")):
        if appointment.customer_id not in seen and not appointment.customer.merged_into_id:
            seen.add(appointment.customer_id)
            rows.append((appointment.customer, appointment, appointment.visit))
    for order in (ServiceVisit.objects.filter(opened_on=day, customer_id__gte=customer_ids.start,
                                              customer_id__lt=customer_ids.stop)
                  .select_related("customer").order_by("id")):
        if order.customer_id not in seen and not order.customer.merged_into_id:
            seen.add(order.customer_id)
            rows.append((order.customer, None, order))
    return rows


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The interviews and lounge visits of these customers (those seed_demo has just made) up to `now`.
    Nothing is made for customers who have some already. Returns the rows added per table."""
    from events.gifts.selectors import gift_menu

    now = now or timezone.now()
    last_entry = TimelineEntry.objects.aggregate(top=Max("id"))["top"] or 0
    before = _counts(entries_after=last_entry)
    nothing = dict.fromkeys(before, 0)
    in_range = Q(customer_id__gte=customer_ids.start, customer_id__lt=customer_ids.stop)
    if not customer_ids or Interview.objects.filter(in_range).exists() or LoungeVisit.objects.filter(in_range).exists():
        return nothing
    interviewer, host = _user(Role.INTERVIEWER, "interviewer"), _user(Role.LOUNGE_HOST, "lounge")
    if interviewer is None or host is None:
        return nothing
    rng = random.Random(seed * 7_919 + 53)
    demo = DemoCare(rng=rng, now=now, interviewer=interviewer, host=host, gifts=gift_menu())
    today = demo.today
    people = len(customer_ids)
    interviews = min(people, MAXIMUM, max(MINIMUM, people // CUSTOMERS_PER_INTERVIEW))
    visits = min(people, LOUNGE_MAXIMUM, max(MINIMUM, people // CUSTOMERS_PER_LOUNGE_VISIT))
    step = max(people // (interviews + visits), 1)
    wanted = [customer_ids.start + index * step + rng.randrange(step) for index in range(interviews + visits)]
    customers = list(Customer.objects.filter(pk__in=wanted).order_by("id"))
    rng.shuffle(customers)
    interviewed, lounged = customers[:interviews], customers[interviews:]
    with transaction.atomic():
        moments = sorted(demo._at(today - timedelta(days=rng.randint(1, INTERVIEW_DAYS)), hour=rng.randint(9, 16))
                         for _ in interviewed)
        if len(moments) >= 2:  # two of them today, for the interviewer's home panel
            moments[-2:] = [demo._at(today, hour=9), demo._at(today, hour=10)]
        for customer, held_at in sorted(zip(interviewed, moments, strict=True), key=lambda pair: pair[1]):
            demo.interview(customer, held_at=held_at)
        # Past visits, oldest first; today's who left; today's still waiting (for their appointments and
        # repair orders first).
        arrivals = _today_arrivals(today, customer_ids, demo.tz)
        arriving = {customer.pk for customer, _appointment, _order in arrivals}
        past = [customer for customer in lounged if customer.pk not in arriving]
        waiting = arrivals[:WAITING_NOW]
        fill = WAITING_NOW - len(waiting)
        waiting += [(customer, None, None) for customer in past[:fill]]
        past = past[fill:]
        left_today, past = past[:LEFT_TODAY], past[LEFT_TODAY:]
        past = past[:max(len(lounged) - len(waiting) - len(left_today), 0)]  # as many visits in all
        for customer in sorted(past, key=lambda c: c.pk):
            arrived = demo._at(today - timedelta(days=rng.randint(1, LOUNGE_DAYS)), hour=rng.randint(8, 16))
            demo.visit(customer, arrived_at=arrived, left_at=arrived + timedelta(minutes=rng.randint(20, 120)))
        start_of_day = datetime.combine(today, time(8, 0), tzinfo=demo.tz)
        for customer in left_today:
            arrived = max(start_of_day, now - timedelta(minutes=rng.randint(150, 240)))
            if arrived >= now - timedelta(minutes=30):
                arrived = now - timedelta(hours=2)
            demo.visit(customer, arrived_at=arrived, left_at=min(arrived + timedelta(minutes=rng.randint(25, 90)),
                                                                  now - timedelta(minutes=5)))
        for index, (customer, appointment, order) in enumerate(waiting):
            arrived = now - timedelta(minutes=8 + index * 17 + rng.randrange(10))
            demo.visit(customer, arrived_at=arrived, left_at=None, appointment=appointment, service_visit=order)
    after = _counts(entries_after=last_entry)
    return {name: after[name] - before[name] for name in before}
