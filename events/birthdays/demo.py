"""Birthdays in the demo store: the greetings of the last two weeks, today's, and the VIPs' calls.

`manage.py seed_demo` calls `demo_seed` after the gifts' demo (INSTALLED_APPS order). Played through
the services, day by day, at the morning's 05:30 as beat runs the job:

- each of the last HISTORY_DAYS days: `birthdays_greet(on=day)` — the customers' and the children's
  greetings (a greeting the archive's demo outbox already sent that day, its ``birthday`` text, is
  kept as that day's greeting, never a second one), then the texts sent and delivered as the
  dispatcher would have (retention's demo `settle_texts`: receipts and the timeline's entries), and
  the important customers' birthday calls worked by the demo agent in the shift's first two hours
  (`callback_claim`, then `callback_complete` with the birthday script's answers; one in eight not
  answered at the first try and called again, as `callback_attempt_record` plans it);
- today (once it is 05:30): the same job, its texts sent after 08:00, its calls open in the queue;
- for about half of the children with a birthday in the next days, the gift requested through the
  gifts' service (`gift_request_create`, reason child_birthday) from the gift menu, when it has one.

The same seed, the same store and the same `now` give the same rows; a second run adds nothing
(nothing is made once these customers have greetings).
"""

import random
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.models import Customer, FamilyMember
from dealer_crm.messaging.models import OutboundMessage

from .days import age_on, birthday_q, window
from .models import BirthdayGreeting
from .services import birthdays_greet

HISTORY_DAYS = 14
JOBS_AT = time(5, 30)
CALL_NOTES = ["客户很高兴，感谢门店记得生日", "客户说最近车况良好，没有问题", "客户在外地，简短祝福后挂断",
              "客户问起下次保养时间，已告知", "客户表示周末来店领取生日礼品"]
OTHER_NEEDS = ["", "", "想了解新款车型", "问起会员积分怎么兑换", "希望保养时能代步车"]


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"birthdaygreeting": 0, "outboundmessage": 0, "callback": 0, "giftrequest": 0}
    if not customer_ids or BirthdayGreeting.objects.filter(customer_id__gte=customer_ids.start,
                                                           customer_id__lt=customer_ids.stop).exists():
        return counts
    rng = random.Random(seed * 7_919 + 53)
    first_text = (OutboundMessage.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    first_greeting = (BirthdayGreeting.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    from dealer_crm.accounts.models import User
    from dealer_crm.accounts.roles import Role

    agent = (User.objects.filter(username="agent").first()
             or User.objects.filter(groups__name=Role.CALLBACK_AGENT.value, is_active=True).order_by("id").first())
    days = [today - timedelta(days=back) for back in range(HISTORY_DAYS, 0, -1)]
    if timezone.localtime(now).time() >= JOBS_AT:
        days.append(today)
    for day in days:
        _archive_greetings_keep(day)
        morning = _at(day, JOBS_AT)
        birthdays_greet(on=day, now=morning)
        if day < today:
            _texts_settle(first_id=first_text, now=_at(day, time(23, 0)))
            _calls_play(day=day, agent=agent, rng=rng)
    if today in days:
        _texts_settle(first_id=first_text, now=now)
    counts["giftrequest"] = _gifts_request(today=today, rng=rng, now=now)
    counts["birthdaygreeting"] = BirthdayGreeting.objects.filter(id__gte=first_greeting).count()
    counts["outboundmessage"] = OutboundMessage.objects.filter(id__gte=first_text).count()
    from followups.callbacks.models import Callback, CallbackKind

    counts["callback"] = Callback.objects.filter(kind=CallbackKind.BIRTHDAY).count()
    return counts


def _archive_greetings_keep(day: date) -> None:
    """The archive demo's own greetings of the day (key ``birthday:<id>:<day>``) are that day's."""
    keys = {f"birthday:{pk}:{day}": pk for pk in Customer.objects.filter(birthday_q([day]), birthday__lt=day)
            .values_list("id", flat=True)}
    if not keys:
        return
    sent = dict(OutboundMessage.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", "id"))
    born = dict(Customer.objects.filter(pk__in=[keys[key] for key in sent]).values_list("id", "birthday"))
    BirthdayGreeting.objects.bulk_create([
        BirthdayGreeting(customer_id=keys[key], year=day.year, celebrated_on=day, age=age_on(born[keys[key]], day=day),
                         message_id=message_id, created_at=_at(day, time(9, 0))) for key, message_id in sent.items()
    ], ignore_conflicts=True)


def _texts_settle(*, first_id: int, now: datetime) -> None:
    from followups.retention.demo import settle_texts

    settle_texts(first_id=first_id, now=now)


def _answer(question, *, first: bool, rng: random.Random) -> str:
    """What the demo agent writes down: a note first, a satisfied score, the first choice, or a need."""
    if question.kind == "score":
        return str(rng.choice([8, 9, 9, 10, 10]))
    if question.kind == "choice":
        return question.choices[0]
    return rng.choice(CALL_NOTES) if first else rng.choice(OTHER_NEEDS)


def _calls_play(*, day: date, agent, rng: random.Random) -> None:
    """The day's birthday calls, made by the demo agent within two hours of the shift's start."""
    from followups.callbacks.models import Callback, CallbackKind
    from django.core.exceptions import PermissionDenied

    from followups.callbacks.services.calls import (CallError, callback_attempt_record, callback_claim,
                                                    callback_complete)
    from followups.scripts.selectors import published_version

    version = published_version(kind="birthday", brand="")
    if version is None or agent is None:
        return
    questions = list(version.questions.order_by("position"))
    start = _at(day, time.fromisoformat(settings.CALLBACK_SHIFT_START))
    for n, call in enumerate(Callback.objects.filter(kind=CallbackKind.BIRTHDAY, created_on=day,
                                                     status=Callback.Status.OPEN).order_by("-priority", "id")):
        at = start + timedelta(minutes=5 + 7 * n + rng.randrange(0, 5))
        answers = {question.pk: _answer(question, first=position == 0, rng=rng)
                   for position, question in enumerate(questions)}
        try:
            call = callback_claim(callback=call, agent=agent, now=at)
            if rng.random() < 0.125:
                callback_attempt_record(callback=call, agent=agent, outcome="no_answer", now=at + timedelta(minutes=1))
                call = Callback.objects.get(pk=call.pk)
                at = max(at + timedelta(minutes=40), call.due_at)  # called again when the retry falls due
                call = callback_claim(callback=call, agent=agent, now=at)
            callback_complete(callback=call, agent=agent, version=version, answers=answers,
                              now=at + timedelta(minutes=3))
        except (CallError, PermissionDenied):  # the agent is on another demo call then: this one stays
            continue


def _gifts_request(*, today: date, rng: random.Random, now: datetime) -> int:
    """Half of the coming children's birthdays have their gift requested (when the menu has gifts)."""
    from events.gifts.models import GiftRequest
    from events.gifts.selectors import gift_menu
    from events.gifts.services import gift_request_create

    menu = [gift for gift in gift_menu() if gift.unit_cost <= 200]
    if not menu:
        return 0
    from dealer_crm.accounts.models import User
    from dealer_crm.accounts.roles import Role

    by = User.objects.filter(groups__name=Role.INTERVIEWER.value).order_by("id").first() or \
        User.objects.filter(username="agent").first()
    if by is None:
        return 0
    ahead = window(today=today, days=settings.BIRTHDAY_DAYS_AHEAD)[1:]
    children = list(FamilyMember.objects.filter(birthday_q(ahead), birthday__lt=today, relation="child",
                                                customer__merged_into__isnull=True)
                    .select_related("customer").order_by("id")[:200])
    made = 0
    for child in children:
        if rng.random() < 0.5 or GiftRequest.objects.filter(family_member=child).exists():
            continue
        try:
            gift_request_create(customer=child.customer, gift=rng.choice(menu), by=by, reason="child_birthday",
                                family_member=child, note=f"{child.name}生日礼品", now=now)
            made += 1
        except Exception:  # noqa: BLE001 - a cap or a missing address: the demo goes on without this one
            continue
    return made

