"""The callback centre in the demo store: the last 90 days of the department's work.

`manage.py seed_demo` calls `demo_seed` for the customers it has just made (the archive does not
import the features above it: the command calls each installed app's `demo.demo_seed`). For each
delivery of the last 90 days the thank-you call and the SSI waves, for each repair order closed
in them the CSI call, each due and expiring as the callback rules say; the agents' calls with
their outcomes (no answer and busy before reaching the customer, a few wrong numbers, refusals and
customers never reached), the answers to the scripts in use (most satisfied, 8–10; some not, 3–6
on a question or two), the problems raised from them in every state of their life (waiting for
the department, some overdue; fixed and waiting for the second callback; satisfied; closed by the
supervisor), the second callbacks of each round, a few callbacks the
customers asked for, and today's queue: callbacks due today, some given to an agent, most anyone's,
and yesterday's unreached ones back in it. Every call and every step of a problem is on the
customer's timeline, with the parameters the pages word.

The rows are made in memory for a chunk of customers at a time and written with COPY on PostgreSQL
(batched INSERTs on SQLite), so the cost follows the deliveries and visits of the last 90 days, not
the archive. The same seed and the same `now` give the same rows.
"""

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from customers.demo import Batch, Ids, _copy, _insert, _may_skip_triggers, _SecondaryIndexesDropped
from customers.models import Customer, ServiceVisit, TimelineEntry, VehicleRole
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from dealer_crm.accounts.services import user_set_roles
from followups.scripts.models import Question, ScriptVersion

from .models import (
    Answer,
    CallAttempt,
    Callback,
    CallbackKind,
    CallbackRule,
    Department,
    Outcome,
    OutcomeRule,
    Problem,
    ProblemStep,
    ScriptResponse,
)
from .services.building import BUILT_KINDS, IMPORTANCE_BOOST, OPEN_PROBLEM_BOOST, CloseReason
from .services.calls import DEFAULT_RETRY_MINUTES, UNREACHABLE, _next_try
from .services.problems import ROUTING

HISTORY_DAYS = 90
CHUNK = 20_000  # customers whose callbacks are made and written together
BIG_LOAD = 50_000  # customers from which the secondary indexes are built after the load

TABLES = (Callback, CallAttempt, ScriptResponse, Answer, Problem, ProblemStep, TimelineEntry)

# The department's other agents besides the demo agent (李娜), so the supervisor sees a team. They
# have no password: nobody logs in as them.
COLLEAGUES = (("agent_wang", "王婷"), ("agent_zhang", "张雪"), ("agent_chen", "陈晨"))

# The agents call from the shift's start (CALLBACK_SHIFT_START) until this long before its end.
LAST_CALL_BEFORE_END = timedelta(minutes=20)

# How a callback ends, before its attempts are played out (shares of the callbacks worked).
ENDINGS = (("reached", 0.945), ("never_reached", 0.015), ("wrong_number", 0.015), ("refused", 0.015),
           ("forgotten", 0.01))
FAILED_TRIES = ((0, 0.66), (1, 0.22), (2, 0.12))  # no answer or busy before the customer answers
CALL_BACK_SHARE = 0.05  # "I'm driving, call me this afternoon"
FAILED_CALLS = (Outcome.NO_ANSWER, Outcome.NO_ANSWER, Outcome.BUSY)

# Dissatisfaction is commoner in the newest calls, so even a small store has problems at every step.
DISSATISFIED_SHARE = ((2, 0.5), (7, 0.3), (14, 0.15), (HISTORY_DAYS + 30, 0.07))  # (days ago up to, share)
PROBLEM_SHARE = 0.85  # of dissatisfied answers, the agent raises a problem (complaints: the complaints' demo)
SECOND_SATISFIED = {1: 0.75, 2: 0.85}  # later rounds: satisfied
FIX_HOURS = (((3, 40), 0.75), ((50, 100), 0.18), ((120, 240), 0.07))  # within the 48 hours, late, very late
SUPERVISOR_CLOSES = 0.05  # a problem the supervisor closes before any fix
REQUEST_SHARE = 0.03  # of completed SSI and CSI calls, the customer asks to be called again at a time
REQUEST_NOTES = ("客户想了解延保政策，约时间详细介绍", "客户要确认下次保养时间，约好再联系", "客户想咨询置换新车，约周末再聊")
TODAY_DONE_SHARE = 0.45  # at most this share of today's callbacks is done before the seed runs
DAILY_JOBS_AT = time(5, 30)  # when beat runs the daily jobs: the expiry, then the build

ANSWER_SCORES = (10, 10, 10, 10, 9, 9, 9, 8, 8)
LOW_SCORES = (3, 4, 5, 5, 6, 6)

NOTES = {
    Outcome.NO_ANSWER: ("", "", "响铃无人接听", "无人接听"),
    Outcome.BUSY: ("", "客户说在开会", "占线", "客户在忙，稍后再打"),
    Outcome.CALL_BACK: ("客户正在开车，约稍后再打", "客户在上班，约下班后回电", "客户说现在不方便"),
    Outcome.WRONG_NUMBER: ("空号", "号码错误，接听人不认识车主", "停机"),
    Outcome.REFUSED: ("客户表示不需要回访", "客户说很忙，不愿接受回访"),
    Outcome.COMPLETED: ("",),  # the script's answers say it
}
REMARKS = ("", "", "", "客户对整体服务满意", "客户表示会推荐朋友来店", "客户对服务顾问印象很好", "客户希望周末也能预约")

# What the customer says, by category, after a sales call (thank-you, SSI) or a service call (CSI).
DESCRIPTIONS = {
    Problem.Category.PRODUCT: {"any": ("车辆过减速带时底盘有异响", "空调制冷效果差，开到最大也不凉快", "中控屏偶尔黑屏重启")},
    Problem.Category.REPAIR: {"any": ("保养后发动机故障灯又亮了", "上次维修的异响问题没有彻底解决", "洗车不干净，脚垫上还有泥")},
    Problem.Category.STAFF: {"sales": ("销售顾问交车时没有讲解车辆功能", "销售顾问承诺的赠品没有兑现", "交车后销售顾问再没联系过"),
                             "service": ("服务顾问解释问题不耐烦，态度冷淡", "接待时没人主动招呼", "服务顾问没有提前告知增加的项目")},
    Problem.Category.WAITING: {"sales": ("交车当天等了两个小时才办完手续", "约好的交车时间推迟了两天"),
                               "service": ("保养等了三个多小时，比说好的晚很多", "预约了还要排队", "取车时等结算等了很久")},
    Problem.Category.PRICE: {"sales": ("上牌服务费比销售说的高", "精品加装的价格比说好的贵"),
                             "service": ("结算时多收了工时费，事先没有说明", "配件价格比外面贵很多")},
    Problem.Category.PAPERWORK: {"any": ("发票和合格证迟迟没有拿到", "交车时随车资料里没有保养手册", "购置税发票开错了抬头")},
    Problem.Category.FACILITY: {"any": ("客休区座位不够，也没有充电插座", "停车位太少，找了半天车位", "卫生间不够干净")},
    Problem.Category.PARTS: {"any": ("配件缺货，要等两周才能到", "预订的脚垫到现在还没到货")},
    Problem.Category.OTHER: {"sales": ("希望周末能延长营业时间", "希望交车时能有更详细的用车培训"),
                             "service": ("希望周末能延长营业时间", "希望提供上门取送车服务")},
}
CAUSES = {
    Department.SALES: ("销售顾问交车流程执行不到位", "手续资料交接遗漏", "费用标准未提前向客户说明清楚"),
    Department.SERVICE: ("维修技师检查不仔细，故障未彻底排除", "当天车间工位紧张，未按预约时间安排", "服务顾问沟通不到位"),
    Department.PARTS: ("配件订货周期长，未及时告知客户", "库存信息未及时更新"),
    Department.FINANCE: ("结算员按旧价目表收费", "发票信息录入错误"),
    Department.OTHER: ("门店服务安排不合理", "相关流程没有明确负责人"),
}
FIXES = {
    Department.SALES: ("销售经理致电道歉，并约客户到店补讲车辆功能", "已补交资料并快递给客户", "已退还多收费用并道歉"),
    Department.SERVICE: ("已约客户回店免费复检并处理，技师长试车确认", "已安排专人跟进，下次预约优先安排工位",
                         "服务经理当面向客户道歉，赠送一次免费洗车"),
    Department.PARTS: ("已加急调货，配件到店后通知客户安装", "已赠送一套脚垫作为补偿"),
    Department.FINANCE: ("已退还多收的工时费并道歉", "已重开发票并快递给客户"),
    Department.OTHER: ("已反馈给总经理，周末营业时间延长至18:00", "已明确专人负责并向客户说明"),
}
CLOSE_REASONS = ("客户诉求超出厂家保修政策，已解释并获客户理解", "客户表示不再需要处理", "多次联系客户未果，按流程关闭")

# The category a problem is filed under, by the question's factor.
CATEGORY_OF_FACTOR = {
    "delivery": Problem.Category.PAPERWORK, "sales_init": Problem.Category.STAFF, "deal": Problem.Category.PRICE,
    "dealer_facility": Problem.Category.FACILITY, "salesperson": Problem.Category.STAFF,
    "service_quality": Problem.Category.REPAIR, "service_facility": Problem.Category.FACILITY,
    "pick_up": Problem.Category.WAITING, "advisor": Problem.Category.STAFF,
    "service_init": Problem.Category.WAITING,
}
# An overall score says little of what went wrong: what the customer then tells the agent, by the call.
OVERALL_CATEGORIES = {
    "sales": (Problem.Category.STAFF, Problem.Category.PAPERWORK, Problem.Category.PRICE, Problem.Category.OTHER),
    "service": (Problem.Category.REPAIR, Problem.Category.WAITING, Problem.Category.STAFF, Problem.Category.PRODUCT),
}


@dataclass(frozen=True)
class AskedQuestion:
    id: int
    kind: str
    factor: str
    choices: tuple
    required: bool
    dissatisfied_below: int | None
    dissatisfied_answers: tuple


@dataclass(frozen=True)
class AskedVersion:
    id: int
    questions: tuple[AskedQuestion, ...]


@dataclass
class Source:
    """What a callback is about: a delivery's wave, a repair order, a problem's round."""

    customer_id: int
    vehicle_id: int | None
    kind: str
    source_key: str
    brand: str
    rule: CallbackRule
    due_at: datetime
    expires_at: datetime
    created_on: date
    created_at: datetime
    visit_id: int | None = None
    problem_id: int | None = None


def _weighted(rng: random.Random, pairs) -> object:
    return rng.choices([value for value, _share in pairs], weights=[share for _value, share in pairs])[0]


class DemoCallCentre:
    """Makes one chunk's callbacks, attempts, answers, problems and timeline entries in memory."""

    def __init__(self, *, rng: random.Random, now: datetime, ids: Ids, staff: dict, rules: dict, outcomes: dict,
                 versions: dict, content_types: dict):
        self.rng, self.now, self.ids = rng, now, ids
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.shift_start = time.fromisoformat(settings.CALLBACK_SHIFT_START)
        self.shift_end = time.fromisoformat(settings.CALLBACK_SHIFT_END)
        self.last_call = (datetime.combine(self.today, self.shift_end) - LAST_CALL_BEFORE_END).time()
        self.staff, self.rules, self.outcomes, self.versions = staff, rules, outcomes, versions
        self.content_types = content_types
        self.batch = Batch()
        self.dissatisfied: dict[int, bool] = {}  # callback id: its answers counted as dissatisfied
        self.problems: dict[int, list[dict]] = {}  # customer id: the problems raised so far
        self.importance: dict[int, str] = {}  # customer id: importance, of the chunk's customers with callbacks
        self.requests: set[tuple] = set()  # (customer, vehicle, source key) of the requested callbacks made

    def _keep(self, model: type[models.Model], row: dict) -> None:
        """Add a row that is still changed after it is added (a callback's calls, a problem's life)."""
        self.batch.rows.setdefault(model, []).append(row)

    # --- time ----------------------------------------------------------------------------------------
    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def _local(self, moment: datetime) -> datetime:
        return timezone.localtime(moment, self.tz)

    def _work_time(self, day: date, *, earliest: time | None = None) -> datetime:
        """A moment of the agents' day, not before `earliest`."""
        start = max(earliest or self.shift_start, time(8, 40))
        first = start.hour * 60 + start.minute
        last = self.last_call.hour * 60 + self.last_call.minute
        minute = self.rng.randrange(first, max(first, last) + 1)
        return self.at(day, time(minute // 60, minute % 60, self.rng.randrange(60)))

    def _office_hours(self, moment: datetime) -> datetime:
        """The moment if a manager is at work then (08:30–18:00), else the next morning."""
        local = self._local(moment)
        if time(8, 30) <= local.time() <= time(18, 0):
            return moment
        day = local.date() + timedelta(days=1) if local.time() > time(18, 0) else local.date()
        return self.at(day, time(9, self.rng.randrange(60)))

    def _later(self, moment: datetime, minutes: int) -> datetime:
        """The next try `minutes` after a call: later that day, else the next day at another time."""
        local = self._local(moment) + timedelta(minutes=minutes + self.rng.randrange(0, 25))
        if local.date() == self._local(moment).date() and local.time() <= self.last_call:
            return local
        return self._work_time(self._local(moment).date() + timedelta(days=1))

    # --- the callbacks -------------------------------------------------------------------------------
    def source(self, *, customer_id: int, vehicle_id: int | None, kind: str, source_key: str, brand: str,
               rule: CallbackRule, start: date, due_day: int, visit_id: int | None = None) -> Source | None:
        """A rule's callback for a source date as the daily build queues it (due at the shift's start of
        its day, open until the end of the rule's expiry day), or None if it is not due yet."""
        due_on = start + timedelta(days=due_day)
        if due_on > self.today:
            return None
        created = self.at(due_on, DAILY_JOBS_AT)
        return Source(customer_id=customer_id, vehicle_id=vehicle_id, kind=kind, source_key=source_key, brand=brand,
                      rule=rule, due_at=self.at(due_on, self.shift_start),
                      expires_at=self.at(start + timedelta(days=max(rule.expires_after_days, due_day) + 1), time(0)),
                      created_on=due_on, created_at=min(created, self.now), visit_id=visit_id)

    def callback(self, source: Source, *, lost_contact: bool = False, satisfied: bool | None = None) -> dict:
        """One callback and its calls until now. `satisfied` decides a second callback's answer."""
        rng, rule = self.rng, source.rule
        row = dict(
            id=self.ids.take(Callback), customer_id=source.customer_id, vehicle_id=source.vehicle_id,
            kind=source.kind, source_key=source.source_key, visit_id=source.visit_id, problem_id=source.problem_id,
            rule_id=rule.pk, status=Callback.Status.OPEN, priority=self._priority(source), due_at=source.due_at,
            expires_at=source.expires_at, assigned_to_id=None, claimed_at=None, attempts=0, first_attempt_at=None,
            last_attempt_at=None, last_outcome="", closed_at=None, closed_by_id=None, close_reason="", note="",
            created_on=source.created_on, created_at=source.created_at)
        self._keep(Callback, row)
        due_on = self._local(source.due_at).date()
        if due_on == self.today and rng.random() >= self._today_done_share():
            self._queue_today(row)
            return row
        ending = "never_reached" if lost_contact else _weighted(rng, ENDINGS)
        if ending == "forgotten":  # nobody called it in time
            if source.expires_at <= self.now:
                self._expire(row, source)
                return row
            ending = "reached"
        agent = rng.choice(self.staff["agents"])
        first = self._work_time(due_on, earliest=self._local(source.due_at).time())  # not before it is due
        if rng.random() < 0.15:
            first = self._work_time(due_on + timedelta(days=1))  # yesterday's backlog first
        self._attempts(row, source, agent=agent, first=first, ending=ending, satisfied=satisfied)
        return row

    def _priority(self, source: Source) -> int:
        """The rule's, and for the daily build's kinds the customer's boosts when it was built."""
        priority = source.rule.priority
        if source.kind not in BUILT_KINDS:
            return priority
        priority += IMPORTANCE_BOOST.get(self.importance.get(source.customer_id), 0)
        if self._open_problems(source.customer_id, source.created_at):
            priority += OPEN_PROBLEM_BOOST
        return priority

    def _open_problems(self, customer_id: int, at: datetime) -> list[dict]:
        return [p for p in self.problems.get(customer_id, ())
                if p["raised_at"] <= at and (p["closed_at"] is None or p["closed_at"] > at)]

    def _today_done_share(self) -> float:
        """How much of today's queue the agents have done already, by the time of day."""
        local = self._local(self.now)
        start = self.at(self.today, self.shift_start)
        end = self.at(self.today, self.shift_end)
        if local <= start:
            return 0.0
        return TODAY_DONE_SHARE * min(1.0, (local - start) / (end - start))

    def _queue_today(self, row: dict) -> None:
        """Due today, not called yet: the demo agent has some, a colleague some, the rest are anyone's."""
        roll = self.rng.random()
        if roll < 0.25:
            row["assigned_to_id"] = self.staff["agent"]
        elif roll < 0.4 and len(self.staff["agents"]) > 1:
            row["assigned_to_id"] = self.rng.choice(self.staff["agents"][1:])

    def _attempts(self, row: dict, source: Source, *, agent: int, first: datetime, ending: str,
                  satisfied: bool | None) -> None:
        """The calls of one callback as services.calls records them, stopping at now: failed calls
        reappear by the attempt policy (`_next_try`), the last of them makes a lost contact, and a
        callback still open keeps its next try as its due time."""
        rng, rule = self.rng, source.rule
        if ending == "reached":
            plan = [rng.choice(FAILED_CALLS) for _ in range(_weighted(rng, FAILED_TRIES))]
            if rng.random() < CALL_BACK_SHARE:
                plan.append(Outcome.CALL_BACK)
            plan.append(Outcome.COMPLETED)
        elif ending in ("wrong_number", "refused"):
            plan = [Outcome.WRONG_NUMBER if ending == "wrong_number" else Outcome.REFUSED]
        else:  # never reached: failed calls until the policy gives up
            plan = [rng.choice(FAILED_CALLS) for _ in range(rule.max_attempts)]
        moment, failed_on = first, []
        # Today's work is partly done: a callback due today was drawn in `callback`; one coming back
        # today from an earlier call is drawn here, once.
        today_drawn = self._local(source.due_at).date() == self.today
        for outcome in plan:
            if outcome == Outcome.COMPLETED:  # recorded once the script is answered, a few minutes on
                moment += timedelta(minutes=rng.randrange(3, 9))
            if moment > self.now or moment >= source.expires_at:
                break
            if not today_drawn and self._local(moment).date() == self.today:
                today_drawn = True
                if rng.random() >= self._today_done_share():
                    break
            if outcome == Outcome.CALL_BACK:
                call_back_at = self._later(moment, rng.choice((90, 150, 240)))
                if call_back_at >= source.expires_at:
                    continue  # too late to ask for: the agent goes on with the script
            attempt = self._attempt(row, agent=agent, at=moment, outcome=outcome,
                                    call_back_at=call_back_at if outcome == Outcome.CALL_BACK else None)
            if outcome == Outcome.COMPLETED:
                self._close(row, Callback.Status.COMPLETED, at=moment, by=agent, reason="")
                response = self.response(row, source, attempt=attempt, agent=agent, at=moment, satisfied=satisfied)
                self._timeline_callback(row, "completed", at=moment, by=agent, **response)
                if response and source.kind in (CallbackKind.SSI, CallbackKind.CSI) and rng.random() < REQUEST_SHARE:
                    self._request(row, source, attempt=attempt)
                return
            if outcome in (Outcome.WRONG_NUMBER, Outcome.REFUSED):
                self._close(row, outcome, at=moment, by=agent, reason=outcome)  # the status is the outcome's code
                self._timeline_attempt(row, attempt, at_next=None)
                return
            if outcome == Outcome.CALL_BACK:
                next_at = attempt["call_back_at"]
            else:
                failed_on.append(self._local(moment).date())
                if len(failed_on) >= rule.max_attempts and len(set(failed_on)) >= min(rule.attempt_days,
                                                                                      rule.max_attempts):
                    self._close(row, Callback.Status.LOST_CONTACT, at=moment, by=agent, reason=UNREACHABLE)
                    # no SMS in the demo's outbox: the entry says none went
                    self._timeline_callback(row, "lost_contact", at=moment, by=agent, attempts=row["attempts"],
                                            sms=False)
                    return
                with timezone.override(self.tz):
                    minutes = self.outcomes.get(outcome) or DEFAULT_RETRY_MINUTES[outcome]
                    next_at = _next_try(now=moment, minutes=minutes,
                                        failed_today=failed_on.count(self._local(moment).date()),
                                        per_day=math.ceil(rule.max_attempts / rule.attempt_days))
            next_at = min(next_at, source.expires_at)
            self._timeline_attempt(row, attempt, at_next=next_at)
            moment = next_at
        # Not ended: back in the queue at its next try, or expired if its window closed first.
        if moment >= source.expires_at and source.expires_at <= self.now:
            self._expire(row, source)
        elif row["attempts"]:
            row["due_at"] = max(row["due_at"], min(moment, source.expires_at))
        else:
            self._queue_today(row)

    def _request(self, row: dict, source: Source, *, attempt: dict) -> None:
        """The customer asked to be called again at a time of their choosing (as
        services.building.callback_request queues it, with its timeline entry)."""
        rule = self.rules.get((CallbackKind.REQUESTED, ""))
        if rule is None:
            return
        asked = attempt["made_at"]
        at = self.at(self._local(asked).date() + timedelta(days=self.rng.randrange(1, 5)),
                     self.rng.choice((time(10), time(15))))
        local_day = self._local(at).date()
        key = f"request:{attempt['agent_id']}:{self._local(at):%Y%m%d%H%M}"
        if (row["customer_id"], row["vehicle_id"], key) in self.requests:
            return  # asked twice for the same minute of the same agent: one request (the service's get-or-create)
        self.requests.add((row["customer_id"], row["vehicle_id"], key))
        request = Source(customer_id=row["customer_id"], vehicle_id=row["vehicle_id"], kind=CallbackKind.REQUESTED,
                         source_key=key, brand=source.brand, rule=rule, due_at=at,
                         expires_at=max(self.at(local_day + timedelta(days=rule.expires_after_days + 1), time(0)), at),
                         created_on=self._local(asked).date(), created_at=asked)
        note = self.rng.choice(REQUEST_NOTES)
        callback = self.callback(request)
        callback["note"] = note
        self._timeline(customer_id=row["customer_id"], vehicle_id=row["vehicle_id"], at=asked,
                       kind=TimelineEntry.Kind.CALLBACK, source=Callback, source_id=callback["id"],
                       by=attempt["agent_id"], params={"variant": "requested", "at": at.isoformat(), "note": note})

    def _attempt(self, row: dict, *, agent: int, at: datetime, outcome: str, call_back_at: datetime | None) -> dict:
        """A call made: counted when it is made; the agent who took the callback keeps it (their
        claim is released after each call, as services.calls does)."""
        attempt = dict(id=self.ids.take(CallAttempt), callback_id=row["id"], agent_id=agent, made_at=at,
                       outcome=outcome, call_back_at=call_back_at, note=self.rng.choice(NOTES[outcome]))
        self._keep(CallAttempt, attempt)
        row["attempts"] += 1
        row["first_attempt_at"] = row["first_attempt_at"] or at
        row["last_attempt_at"], row["last_outcome"] = at, outcome
        row["assigned_to_id"] = agent
        return attempt

    def _expire(self, row: dict, source: Source) -> None:
        """Closed by the next morning's daily job (services.building.callbacks_expire)."""
        job = timedelta(hours=DAILY_JOBS_AT.hour, minutes=DAILY_JOBS_AT.minute)
        self._close(row, Callback.Status.EXPIRED, at=min(source.expires_at + job, self.now), by=None,
                    reason=CloseReason.EXPIRED)

    def _close(self, row: dict, status: str, *, at: datetime, by: int | None, reason: str) -> None:
        row.update(status=status, closed_at=at, closed_by_id=by, close_reason=reason)

    # --- the answers ---------------------------------------------------------------------------------
    def _version(self, source: Source) -> AskedVersion | None:
        script_kind = CallbackKind(source.kind).script_kind
        return self.versions.get((script_kind, source.brand)) or self.versions.get((script_kind, ""))

    def _dissatisfied_share(self, at: datetime) -> float:
        age = (self.now - at).days
        return next(share for days, share in DISSATISFIED_SHARE if age <= days)

    def response(self, row: dict, source: Source, *, attempt: dict, agent: int, at: datetime,
                 satisfied: bool | None) -> dict:
        """The answers to the script in use: satisfied, or low on a question or two (and then, mostly,
        a problem raised for the department). Returns the completed call's timeline parameters."""
        version = self._version(source)
        if version is None:
            return {}
        rng = self.rng
        unhappy = (rng.random() < self._dissatisfied_share(at)) if satisfied is None else not satisfied
        judged = [q for q in version.questions if q.kind != Question.Kind.TEXT and self._can_dissatisfy(q)]
        if not unhappy:
            low = set()
        elif source.kind == CallbackKind.SECOND:  # not satisfied with the fix: says so to each question
            low = {q.id for q in judged}
        else:
            low = {q.id for q in rng.sample(judged, min(len(judged), rng.choice((1, 1, 2))))}
        response_id = self.ids.take(ScriptResponse)
        given = []  # every question of the version has an answer row, empty when not answered
        for question in version.questions:
            answer = self._answer(question, low=question.id in low, unhappy=unhappy)
            answer.update(id=self.ids.take(Answer), response_id=response_id, question_id=question.id)
            given.append((question, answer))
        answers = [answer for _question, answer in given]
        score_values = [a["score"] for a in answers if a["score"] is not None]
        average = (Decimal(sum(score_values)) / len(score_values)).quantize(Decimal("0.01"), ROUND_HALF_UP) \
            if score_values else None
        dissatisfied = any(a["dissatisfied"] for a in answers)
        self.batch.add(ScriptResponse, id=response_id, callback_id=row["id"], version_id=version.id,
                       attempt_id=attempt["id"], answered_at=at, answered_by_id=agent, corrects_id=None,
                       correction_reason="", average_score=average, dissatisfied=dissatisfied,
                       remark="" if dissatisfied else rng.choice(REMARKS))
        for answer in answers:
            self.batch.add(Answer, **answer)
        self.dissatisfied[row["id"]] = dissatisfied
        if dissatisfied and source.kind != CallbackKind.SECOND and rng.random() < PROBLEM_SHARE \
                and not self._open_problems(row["customer_id"], at):  # else the agent adds to the open one
            worst = min((pair for pair in given if pair[1]["dissatisfied"]),
                        key=lambda pair: pair[1]["score"] if pair[1]["score"] is not None else 5)
            self.problem(row, source, question=worst[0], answer=worst[1], agent=agent, at=at)
        return {"response": response_id, "average": None if average is None else str(average),
                "dissatisfied": dissatisfied}

    @staticmethod
    def _can_dissatisfy(question: AskedQuestion) -> bool:
        if question.kind == Question.Kind.SCORE:
            return question.dissatisfied_below is not None
        return bool(question.dissatisfied_answers)

    def _answer(self, question: AskedQuestion, *, low: bool, unhappy: bool) -> dict:
        rng = self.rng
        score, value, dissatisfied = None, "", False
        if question.kind == Question.Kind.SCORE:
            floor = question.dissatisfied_below or 0
            if low:
                score = min(rng.choice(LOW_SCORES), max(floor - 1, 0))
            else:
                score = max(rng.choice(ANSWER_SCORES), floor)
                if unhappy and rng.random() < 0.3:
                    score = max(7, floor)  # a lukewarm answer beside the low one
                score = min(score, 10)
            dissatisfied = question.dissatisfied_below is not None and score < question.dissatisfied_below
        elif question.kind in (Question.Kind.YES_NO, Question.Kind.CHOICE):
            options = list(question.choices) if question.kind == Question.Kind.CHOICE else ["yes", "no"]
            bad = [option for option in options if option in question.dissatisfied_answers]
            good = [option for option in options if option not in question.dissatisfied_answers] or options
            value = rng.choice(bad) if low and bad else (good[0] if rng.random() < 0.8 else rng.choice(good))
            dissatisfied = value in question.dissatisfied_answers
        elif question.required or rng.random() < 0.3:  # text: the optional ones mostly left empty
            value = rng.choice(("没有其他意见", "挺好的", "希望保持", "暂时没有")) if not unhappy else "希望尽快处理"
        return dict(score=score, value=value, dissatisfied=dissatisfied)

    # --- the problems --------------------------------------------------------------------------------
    def problem(self, row: dict, source: Source, *, question: AskedQuestion, answer: dict, agent: int,
                at: datetime) -> None:
        """A problem raised from the worst answer, and its life until now: the department's fix, the
        second callback of each round, satisfied or the next round, or the supervisor's close."""
        rng = self.rng
        sales_call = source.kind in (CallbackKind.SSI, CallbackKind.THANK_YOU)
        category = (CATEGORY_OF_FACTOR.get(question.factor)
                    or rng.choice(OVERALL_CATEGORIES["sales" if sales_call else "service"]))
        department = Department.SALES if sales_call else Department.SERVICE
        if category == Problem.Category.PRICE and not sales_call and rng.random() < 0.5:
            department = Department.FINANCE
        if category == Problem.Category.REPAIR and rng.random() < 0.15:
            category, department = Problem.Category.PARTS, Department.PARTS
        words = DESCRIPTIONS[category]
        description = rng.choice(words.get("sales" if sales_call else "service") or words["any"])
        problem = dict(
            id=self.ids.take(Problem), customer_id=row["customer_id"], vehicle_id=row["vehicle_id"],
            callback_id=row["id"], answer_id=answer["id"], category=category, department=department,
            description=description, status=Problem.Status.OPEN, is_complaint=False, round=1,
            deadline_at=at + timedelta(hours=settings.PROBLEM_DEADLINE_HOURS), raised_at=at, raised_by_id=agent,
            cause="", fix="", fixed_at=None, fixed_by_id=None, closed_at=None, closed_by_id=None, close_reason="")
        self._keep(Problem, problem)
        self.problems.setdefault(problem["customer_id"], []).append(problem)
        self._step(problem, ProblemStep.Action.RAISED, at=at, by=agent)
        self._timeline_problem(problem, "raised", at=at, by=agent, description=description, callback=row["id"])
        self._problem_life(problem, source, start=at)

    def _problem_life(self, problem: dict, source: Source, *, start: datetime) -> None:
        rng = self.rng
        manager = self.staff["managers"].get(problem["department"]) or self.staff["supervisor"]
        supervisor = self.staff["supervisor"]
        moment = start
        while True:
            if problem["round"] == 1 and rng.random() < SUPERVISOR_CLOSES:
                closing = self._office_hours(moment + timedelta(hours=rng.randrange(4, 72)))
                if closing <= self.now:
                    self._supervisor_close(problem, at=closing, by=supervisor, reason=CLOSE_REASONS[0])
                return
            low, high = _weighted(rng, FIX_HOURS)
            fixed_at = self._office_hours(moment + timedelta(hours=rng.randrange(low, high + 1),
                                                             minutes=rng.randrange(60)))
            if fixed_at > self.now:
                return  # waiting for the department (overdue once its deadline has passed)
            department = problem["department"]
            problem.update(status=Problem.Status.FIXED, cause=rng.choice(CAUSES[department]),
                           fix=rng.choice(FIXES[department]), fixed_at=fixed_at, fixed_by_id=manager)
            self._step(problem, ProblemStep.Action.FIXED, at=fixed_at, by=manager, note=problem["fix"])
            self._timeline_problem(problem, "fixed", at=fixed_at, by=manager, cause=problem["cause"],
                                   fix=problem["fix"])
            second = self.callback(self._second_source(problem, source, fixed_at=fixed_at),
                                   satisfied=rng.random() < SECOND_SATISFIED.get(problem["round"], 1.0))
            if second["status"] != Callback.Status.COMPLETED:
                closing = second["closed_at"] and self._office_hours(second["closed_at"] + timedelta(days=1))
                if closing and closing <= self.now:
                    # never reached for the second callback: the supervisor closes it
                    self._supervisor_close(problem, at=closing, by=supervisor, reason=CLOSE_REASONS[2])
                return  # fixed, waiting for the second callback
            answered = second["closed_at"]
            if not self.dissatisfied.get(second["id"], False):
                problem.update(status=Problem.Status.SATISFIED, closed_at=answered, closed_by_id=second["closed_by_id"])
                self._step(problem, ProblemStep.Action.CONFIRMED, at=answered, by=second["closed_by_id"])
                self._timeline_problem(problem, "confirmed", at=answered, by=second["closed_by_id"])
                return
            problem.update(round=problem["round"] + 1, status=Problem.Status.OPEN,
                           deadline_at=answered + timedelta(hours=settings.PROBLEM_DEADLINE_HOURS))
            self._step(problem, ProblemStep.Action.REOPENED, at=answered, by=second["closed_by_id"])
            self._timeline_problem(problem, "reopened", at=answered, by=second["closed_by_id"])
            if problem["round"] >= 3 and rng.random() < 0.5:
                closing = self._office_hours(answered + timedelta(hours=rng.randrange(2, 30)))
                if closing <= self.now:
                    self._supervisor_close(problem, at=closing, by=supervisor, reason=CLOSE_REASONS[0])
                return
            moment = answered

    def _second_source(self, problem: dict, source: Source, *, fixed_at: datetime) -> Source:
        """As problems.problem_fix queues it: due the rule's day after the fix, open until its expiry."""
        rule = self.rules[(CallbackKind.SECOND, "")]
        due_days = min((int(day) for day in rule.due_days or [] if int(day) >= 0), default=1)
        fixed_on = self._local(fixed_at).date()
        due_at = max(self.at(fixed_on + timedelta(days=due_days), self.shift_start), fixed_at)
        expires_on = fixed_on + timedelta(days=max(rule.expires_after_days, due_days) + 1)
        expires_at = max(self.at(expires_on, time(0)), due_at)
        return Source(customer_id=problem["customer_id"], vehicle_id=problem["vehicle_id"], kind=CallbackKind.SECOND,
                      source_key=f"problem:{problem['id']}:{problem['round']}", brand=source.brand, rule=rule,
                      due_at=due_at, expires_at=expires_at, created_on=fixed_on, created_at=fixed_at,
                      problem_id=problem["id"])

    def _supervisor_close(self, problem: dict, *, at: datetime, by: int | None, reason: str) -> None:
        problem.update(status=Problem.Status.CLOSED, closed_at=at, closed_by_id=by, close_reason=reason)
        self._step(problem, ProblemStep.Action.CLOSED, at=at, by=by, note=reason)
        self._timeline_problem(problem, "closed", at=at, by=by, reason=reason)

    def _step(self, problem: dict, action: str, *, at: datetime, by: int | None, note: str = "") -> None:
        self.batch.add(ProblemStep, id=self.ids.take(ProblemStep), problem_id=problem["id"], action=action, at=at,
                       by_id=by, note=note)

    # --- the timeline --------------------------------------------------------------------------------
    def _timeline(self, *, customer_id: int, vehicle_id: int | None, at: datetime, kind: str, params: dict,
                  source: type[models.Model], source_id: int, by: int | None) -> None:
        self.batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=vehicle_id,
                       occurred_at=at, kind=kind, params=params, title="", body="",
                       source_type_id=self.content_types[source], source_id=str(source_id), created_by_id=by)

    def _timeline_callback(self, row: dict, variant: str, *, at: datetime, by: int | None, **params) -> None:
        # as services.calls._timeline stores them
        self._timeline(customer_id=row["customer_id"], vehicle_id=row["vehicle_id"], at=at,
                       kind=TimelineEntry.Kind.CALLBACK, source=Callback, source_id=row["id"], by=by,
                       params={"variant": variant, "callback": row["id"], "callback_kind": row["kind"], **params})

    def _timeline_attempt(self, row: dict, attempt: dict, *, at_next: datetime | None) -> None:
        self._timeline_callback(row, "attempt", at=attempt["made_at"], by=attempt["agent_id"],
                                outcome=attempt["outcome"], attempts=row["attempts"],
                                at_next=at_next.isoformat() if at_next else None, note=attempt["note"][:200])

    def _timeline_problem(self, problem: dict, variant: str, *, at: datetime, by: int | None, **params) -> None:
        # as services.problems._timeline stores them
        self._timeline(customer_id=problem["customer_id"], vehicle_id=problem["vehicle_id"], at=at,
                       kind=TimelineEntry.Kind.PROBLEM, source=Problem, source_id=problem["id"], by=by,
                       params={"variant": variant, "problem": problem["id"], "category": problem["category"],
                               "department": problem["department"], "round": problem["round"],
                               **{key: value[:500] if isinstance(value, str) else value
                                  for key, value in params.items()}})


# --- reading what the chunk's callbacks are about ------------------------------------------------------
def _deliveries(customers: range, since: date, today: date) -> list[tuple]:
    return list(VehicleRole.objects.filter(
        customer_id__gte=customers.start, customer_id__lt=customers.stop, kind=VehicleRole.Kind.OWNER,
        vehicle__delivery_date__gte=since, vehicle__delivery_date__lte=today,
    ).order_by("vehicle_id", "id").values_list("customer_id", "vehicle_id", "vehicle__delivery_date", "vehicle__brand"))


def _visits(customers: range, since: date, today: date) -> list[tuple]:
    return list(ServiceVisit.objects.filter(
        customer_id__gte=customers.start, customer_id__lt=customers.stop, closed_on__gte=since, closed_on__lte=today,
    ).exclude(kind=ServiceVisit.Kind.INTERNAL).order_by("id").values_list(
        "id", "customer_id", "vehicle_id", "closed_on", "kind", "vehicle__brand"))


def _customers(customers: range) -> tuple[dict[int, date], dict[int, str]]:
    """The chunk's customers who lost contact (since when), and those who are important or VIP."""
    rows = Customer.objects.filter(id__gte=customers.start, id__lt=customers.stop).filter(
        models.Q(lost_contact_since__isnull=False) | ~models.Q(importance=Customer.Importance.NORMAL),
    ).values_list("id", "lost_contact_since", "importance")
    lost = {pk: since for pk, since, _importance in rows if since is not None}
    return lost, {pk: importance for pk, _since, importance in rows}


def _versions() -> dict[tuple[str, str], AskedVersion]:
    """The published version of each script in use, by (script kind, brand), with its questions."""
    versions = {}
    published = ScriptVersion.objects.filter(script__active=True, status=ScriptVersion.Status.PUBLISHED) \
        .select_related("script").prefetch_related("questions").order_by("id")
    for version in published:
        questions = tuple(
            AskedQuestion(id=q.pk, kind=q.kind, factor=q.factor, choices=tuple(q.choices or ()), required=q.required,
                          dissatisfied_below=q.dissatisfied_below,
                          dissatisfied_answers=tuple(q.dissatisfied_answers or ()))
            for q in sorted(version.questions.all(), key=lambda q: q.position))
        versions[(version.script.kind, version.script.brand)] = AskedVersion(id=version.pk, questions=questions)
    return versions


def _user(role: Role, preferred: str) -> User | None:
    return (User.objects.filter(username=preferred, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


def _staff() -> dict:
    """Who works the demo's calls and problems: the demo agent and three colleagues (made here, with
    no password), the department managers problems are routed to (`ROUTING`), the supervisor."""
    agent = _user(Role.CALLBACK_AGENT, "agent")
    colleagues = []
    for username, display_name in COLLEAGUES:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=display_name)
            user.set_unusable_password()
            user.save()
            user_set_roles(user=user, roles={Role.CALLBACK_AGENT}, by=None)
        colleagues.append(user)
    agents = [user.pk for user in ([agent] if agent else []) + colleagues]
    usernames = {Role.SALES_MANAGER: "sales", Role.SERVICE_MANAGER: "service", Role.GENERAL_MANAGER: "gm",
                 Role.DCRC_SUPERVISOR: "supervisor"}
    supervisor = _user(Role.DCRC_SUPERVISOR, "supervisor")
    managers = {}
    for department, role in ROUTING.items():
        user = _user(role, usernames.get(role, ""))
        managers[department] = user.pk if user else None
    return {"agent": agents[0], "agents": agents, "supervisor": supervisor.pk if supervisor else None,
            "managers": managers}


def _next_ids() -> Ids:
    return Ids({model: (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1 for model in TABLES})


def _write(batch: Batch) -> dict[str, int]:
    write = _copy if connection.vendor == "postgresql" else _insert
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _may_skip_triggers(cursor):
            cursor.execute("SET LOCAL session_replication_role = replica")  # consistent by construction
        target = cursor.cursor if write is _copy else cursor
        for model in TABLES:
            rows = batch.rows.get(model, [])
            if rows:
                write(target, model, rows)
    return {model._meta.model_name: len(batch.rows.get(model, [])) for model in TABLES}


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id written
    with connection.cursor() as cursor:
        for model in TABLES:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT MAX(id) FROM {table}), 1))")


def _chunks(customers: range) -> Iterable[range]:
    for start in range(customers.start, customers.stop, CHUNK):
        yield range(start, min(start + CHUNK, customers.stop))


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The callback history of these customers (those seed_demo has just made) up to `now`.

    Nothing is made for customers who have callbacks already, so running it twice for the same
    customers adds nothing. Returns the rows written per table."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    totals = {model._meta.model_name: 0 for model in TABLES}
    if not customer_ids or Callback.objects.filter(customer_id__gte=customer_ids.start,
                                                   customer_id__lt=customer_ids.stop).exists():
        return totals
    rules = {(rule.kind, rule.visit_kind): rule for rule in CallbackRule.objects.filter(enabled=True)}
    if (CallbackKind.SECOND, "") not in rules:
        rules[(CallbackKind.SECOND, "")] = CallbackRule(kind=CallbackKind.SECOND, due_days=[1], expires_after_days=7)
    outcomes = dict(OutcomeRule.objects.values_list("outcome", "retry_after_minutes"))
    versions = _versions()
    staff = _staff()
    content_types = {model: ContentType.objects.get_for_model(model).pk for model in (Callback, Problem)}
    ids = _next_ids()
    since = today - timedelta(days=HISTORY_DAYS)
    # The callback centre's tables only: the timeline is the archive's, too large to index again.
    with _SecondaryIndexesDropped(enabled=len(customer_ids) >= BIG_LOAD, of=TABLES[:-1]):
        for index, customers in enumerate(_chunks(customer_ids)):
            centre = DemoCallCentre(rng=random.Random(seed * 1_000_033 + index), now=now, ids=ids, staff=staff,
                                    rules=rules, outcomes=outcomes, versions=versions, content_types=content_types)
            _chunk(centre, customers, since=since, rules=rules)
            written = _write(centre.batch)
            totals = {name: totals[name] + written[name] for name in totals}
    _reset_sequences()
    return totals


def _chunk(centre: DemoCallCentre, customers: range, *, since: date, rules: dict) -> None:
    """The chunk's callbacks in the order the days went: deliveries' waves, then the repair orders'."""
    today = centre.today
    lost, centre.importance = _customers(customers)
    sources: list[Source] = []
    for customer_id, vehicle_id, delivered, brand in _deliveries(customers, since, today):
        for kind in (CallbackKind.THANK_YOU, CallbackKind.SSI):
            rule = rules.get((kind, ""))
            for day in (rule.due_days if rule else []):
                wave = int(day)
                source = centre.source(customer_id=customer_id, vehicle_id=vehicle_id, kind=kind,
                                       source_key=f"delivery:{vehicle_id}:d{wave}", brand=brand, rule=rule,
                                       start=delivered, due_day=wave)
                if source and source.due_at >= centre.at(since, time(0)):
                    sources.append(source)
    csi_since = since - timedelta(days=3)
    for visit_id, customer_id, vehicle_id, closed, visit_kind, brand in _visits(customers, csi_since, today):
        rule = rules.get((CallbackKind.CSI, visit_kind))
        for day in (rule.due_days if rule else []):
            source = centre.source(customer_id=customer_id, vehicle_id=vehicle_id, kind=CallbackKind.CSI,
                                   source_key=f"visit:{visit_id}:d{int(day)}", brand=brand, rule=rule, start=closed,
                                   due_day=int(day), visit_id=visit_id)
            if source and source.due_at >= centre.at(since, time(0)):
                sources.append(source)
                break  # one CSI callback per repair order
    sources.sort(key=lambda source: (source.due_at, source.customer_id, source.source_key))
    for source in sources:
        gone = lost.get(source.customer_id)
        centre.callback(source, lost_contact=gone is not None and gone <= centre._local(source.due_at).date())
