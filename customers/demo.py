"""A realistic demo store, fast enough for a million customers.

One generator makes the rows (deterministic for a seed); they are written with COPY on
PostgreSQL and with batched INSERTs elsewhere, in chunks, each chunk in one transaction.
Rows are written as the models define them, with their search keys derived by the models'
own functions, but without change history: history starts with the first change in the CRM.

The store behaves like a real one, so the callbacks, 首保 solicitation, maintenance reminders and
lapse lists built on its history have something true to find: deliveries over the last three years
(Mitsubishi: the old customers, three to seven years ago) and on each recent day; each car driven at
its own km a day; maintenance due by the model's interval (`MAINTENANCE_INTERVALS`, distance or
months, whichever first), the owner punctual, late, lapsed or moved away; repairs, warranty,
bodywork and accidents at yearly rates; mileage growing with every visit; repair orders closed on
each of the last days. The figures are the constants below; `docs/architecture.md` sums them up.
"""

import csv
import io
import json
import math
import multiprocessing
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, models, transaction
from django.utils import timezone

from dealer_crm.accounts.models import User
from dealer_crm.messaging import reasons, services as sms, texts
from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage, SmsTemplate

from .messaging import CustomerAudience
from .models import (
    ContactPreference,
    Customer,
    DeliveryFile,
    FamilyMember,
    ServiceVisit,
    TimelineEntry,
    Vehicle,
    VehicleRole,
)
from .normalize import name_pinyin, name_pinyin_mixed, plate_search_key, vin_check_digit
from .timeline import service_visit_params

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕晓东红梅玉兰春梅金凤丹丹欣怡子轩"
         "浩然宇航思远雨涵梓涵一诺佳怡俊杰文博天佑嘉怡心怡梦琪子涵晨阳志伟永红国庆卫东跃进新华德明淑珍桂芳")
GIVEN_CHARS = sorted(set(GIVEN))
MODELS = {
    Vehicle.Brand.RENAULT: ["科雷傲", "卡缤", "科雷嘉", "风朗", "纬度", "塔利斯曼", "梅甘娜"],
    Vehicle.Brand.MITSUBISHI: ["欧蓝德", "劲炫", "帕杰罗", "翼神", "戈蓝"],
}
PRICES = {"科雷傲": 239800, "卡缤": 139800, "科雷嘉": 159800, "风朗": 129800, "纬度": 199800, "塔利斯曼": 269800,
          "梅甘娜": 189800, "欧蓝德": 189800, "劲炫": 139800, "帕杰罗": 299800, "翼神": 109800, "戈蓝": 179800}
COLOURS = ["白色", "黑色", "银色", "灰色", "红色", "蓝色", "棕色"]
CONSULTANTS = ["刘洋", "陈静", "张磊", "王芳", "李强", "赵敏", "孙涛", "周丽"]
ADVISORS = ["马超", "胡军", "郭敏", "何平", "高峰", "林娟"]
OCCUPATIONS = ["教师", "医生", "公务员", "企业职员", "个体经营", "工程师", "律师", "销售", "退休", "自由职业", ""]
INTERESTS = ["钓鱼", "自驾游", "摄影", "羽毛球", "书法", "广场舞", "篮球", "读书", "烹饪", "户外徒步"]
CITIES = ["蚌埠市蚌山区", "蚌埠市龙子湖区", "蚌埠市禹会区", "怀远县城关镇", "固镇县", "五河县", "淮南市田家庵区"]
ROADS = ["胜利路", "淮河路", "涂山路", "解放路", "延安路", "东海大道", "华光大道", "纬四路"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "199"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the 34 characters a plate uses
PLATE_SPACE = 34 * 34 * 1000  # 1,156,000 distinct tails: unique plates for that many vehicles
PLATE_SCRAMBLE = 7919  # prime, coprime with PLATE_SPACE: the scramble is one-to-one
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
WMI = {Vehicle.Brand.RENAULT: "VF1", Vehicle.Brand.MITSUBISHI: "JMB"}
NINE = time(9, 0)
YEAR_CODES = {2016: "G", 2017: "H", 2018: "J", 2019: "K", 2020: "L", 2021: "M", 2022: "N", 2023: "P", 2024: "R",
              2025: "S", 2026: "T", 2027: "V", 2028: "W", 2029: "X", 2030: "Y"}


@dataclass(frozen=True)
class MaintenanceInterval:
    """When a model is due for maintenance: whichever comes first, the distance or the months."""

    first_km: int
    first_months: int
    every_km: int
    every_months: int

    @property
    def first_days(self) -> int:
        return round(self.first_months * DAYS_PER_MONTH)

    @property
    def every_days(self) -> int:
        return round(self.every_months * DAYS_PER_MONTH)


DAYS_PER_MONTH = 30.44
# The demo's assumptions, not the manufacturers' word: 首保 for Renault China is commonly at 3 months or
# 5,000 km, Mitsubishi's at 6 months or 5,000 km, then both every 12 months or 10,000 km. One row per
# model, so the brand/model catalogue can take the table over with each model's own figures.
_RENAULT = MaintenanceInterval(first_km=5_000, first_months=3, every_km=10_000, every_months=12)
_MITSUBISHI = MaintenanceInterval(first_km=5_000, first_months=6, every_km=10_000, every_months=12)
MAINTENANCE_INTERVALS = {model: _RENAULT if brand == Vehicle.Brand.RENAULT else _MITSUBISHI
                         for brand, names in MODELS.items() for model in names}
# A first maintenance later than this after it fell due is no longer the free 首保: it is recorded as a 定保.
FIRST_MAINTENANCE_GRACE_DAYS = 17
FIRST_MAINTENANCE_EARLIEST_DAYS = 20

# The store's history. Renault cars were delivered over the last three years; the Mitsubishi cars are the
# old customers the store still services, delivered three to seven years ago, before the move.
RENAULT_SHARE = 0.8
RENAULT_DELIVERY_DAYS = (1, 3 * 365)
MITSUBISHI_DELIVERY_DAYS = (3 * 365, 7 * 365)
RECENT_DELIVERY_DAYS = 30  # each chunk begins with one delivery on each of the last 30 days (today too)
WORKSHOP_DAYS = 4  # ... and then a dozen repair orders closed on each of the last 4 days
WORKSHOP_CUSTOMERS = 3 * WORKSHOP_DAYS
KM_PER_DAY = (20, 80)  # most cars; one in ten drives 8–20 or 80–140 km a day
# How an owner keeps to the maintenance schedule (shares of customers). Lapsed owners stop coming 6–12,
# 12–18 or 18–36 months ago (days, with their shares), so their last visit is that long ago or older;
# movers leave at any time in the last four years. A car is also sold out of the store's reach (per
# car, after its first year); the store learnt of most sales in a callback and ended the owner's role.
HABITS = (("punctual", 0.50), ("late", 0.27), ("lapsed", 0.19), ("moved", 0.04))
LAPSED_DAYS = (((183, 365), 0.3), ((365, 548), 0.4), ((548, 3 * 365), 0.3))
MOVED_DAYS = (30, 4 * 365)
SOLD_SHARE = 0.04
# Visits besides maintenance, per car and year while its owner keeps coming; warranty only in the first
# three years; repairs become more frequent as the car ages (+0.1 a year).
UNSCHEDULED_PER_YEAR = {"repair": 0.30, "warranty": 0.15, "bodywork": 0.07, "accident": 0.04}
REPAIRS_MORE_PER_YEAR = 0.10
WARRANTY_YEARS = 3
# Days in the workshop (closed_on - opened_on), as choices to draw from.
DAYS_IN = {"first": (0,) * 8 + (1,) * 2, "scheduled": (0,) * 8 + (1,) * 2, "repair": (0,) * 5 + (1,) * 3 + (2, 3),
           "warranty": (0,) * 4 + (1,) * 4 + (2, 5), "bodywork": (1, 2, 2, 3, 3, 4, 5, 7),
           "accident": (2, 3, 5, 7, 8, 10, 12, 15)}
# (labour, parts) in yuan, drawn uniformly: the 首保's parts are the manufacturer's.
AMOUNTS = {"first": ((150, 400), (0, 0)), "scheduled": ((200, 600), (300, 1800)),
           "repair": ((100, 2000), (0, 5000)), "warranty": ((100, 1500), (0, 4000)),
           "bodywork": ((300, 3000), (100, 3000)), "accident": ((800, 6000), (1000, 25000))}


@dataclass
class Batch:
    rows: dict[type[models.Model], list[dict]] = field(default_factory=dict)

    def add(self, model: type[models.Model], **values) -> None:
        self.rows.setdefault(model, []).append(values)


@dataclass
class Ids:
    """The next id of each table, so rows can point at each other before they are written."""

    next: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model]) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


WRITTEN = (Customer, Vehicle, DeliveryFile, VehicleRole, ServiceVisit, TimelineEntry, FamilyMember, ContactPreference)


def _valid_vin(rng: random.Random, brand: str, year: int, serial: int) -> str:
    body = WMI[brand] + "".join(rng.choice(VIN_CHARS) for _ in range(5)) + "0" + YEAR_CODES.get(year, "T")
    body += VIN_CHARS[serial // 1_000_000 % 23] + f"{serial % 1_000_000:06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


@dataclass(frozen=True)
class Habit:
    """How a customer keeps to the maintenance schedule, and the day they stop coming, if they do."""

    kind: str
    punctual: bool
    stop: int | None  # an ordinal: no visit opens after it


class DemoStore:
    """Makes the customers of one chunk. Its first customers took delivery on each of the last
    `RECENT_DELIVERY_DAYS` days, the next ones have a repair order closed on each of the last
    `WORKSHOP_DAYS` days, so even a small store has a busy showroom and workshop today."""

    def __init__(self, *, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.today_ordinal = today.toordinal()
        self.made = 0  # customers made so far
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.used_mobiles: set[str] = set()
        self.recent: list[tuple[int, str, str]] = []  # (id, name, mobile) of customers made, for duplicates

    def _mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def _plate(self, vehicle_id: int) -> str:
        """A plate unique to the vehicle: its last five characters come from the id through a
        one-to-one scramble (two base-34 characters and three digits), so no two cars share one."""
        rng = self.rng
        province, letter = ("皖", "C") if rng.random() < 0.8 else (rng.choice("皖苏豫鲁沪"), rng.choice(PLATE_LETTERS))
        n = (vehicle_id * PLATE_SCRAMBLE) % PLATE_SPACE
        head, digits = divmod(n, 1000)
        return province + letter + PLATE_CHARS[head // 34] + PLATE_CHARS[head % 34] + f"{digits:03d}"

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _habit(self, *, active: bool) -> Habit:
        rng = self.rng
        kind = "punctual" if active and rng.random() < 0.6 else "late" if active else rng.choices(
            [kind for kind, _share in HABITS], weights=[share for _kind, share in HABITS])[0]
        if kind in ("punctual", "late"):
            return Habit(kind=kind, punctual=kind == "punctual", stop=None)
        if kind == "lapsed":
            days = rng.randrange(*rng.choices([days for days, _share in LAPSED_DAYS],
                                              weights=[share for _days, share in LAPSED_DAYS])[0])
        else:
            days = rng.randrange(*MOVED_DAYS)
        return Habit(kind=kind, punctual=rng.random() < 0.6, stop=self.today_ordinal - days)

    def customer(self, batch: Batch, ids: Ids) -> None:
        rng, today = self.rng, self.today
        position, self.made = self.made, self.made + 1
        workshop = RECENT_DELIVERY_DAYS <= position < RECENT_DELIVERY_DAYS + WORKSHOP_CUSTOMERS
        habit = self._habit(active=workshop)
        customer_id = ids.take(Customer)
        duplicate_of = self.recent[rng.randrange(len(self.recent))] if self.recent and rng.random() < 0.003 else None
        if duplicate_of:  # the same person entered twice, the mobile mistyped or the same
            name = duplicate_of[1]
            mobile = duplicate_of[2] if rng.random() < 0.5 else duplicate_of[2][:-1] + str(
                (int(duplicate_of[2][-1]) + 1) % 10)
        else:
            name, mobile = self._name(), self._mobile()
        self.recent.append((customer_id, name, mobile))
        if len(self.recent) > 5000:
            self.recent = self.recent[-2500:]
        phone2 = self._mobile() if rng.random() < 0.08 else ""
        pinyin, initials = name_pinyin(name)
        given_initials, surname_initial = name_pinyin_mixed(name)
        roll = rng.random()
        batch.add(
            Customer, id=customer_id, name=name, gender=rng.choice("MMF"), mobile=mobile, phone2=phone2,
            address=f"{rng.choice(CITIES)}{rng.choice(ROADS)}{rng.randrange(1, 300)}号",
            birthday=date(rng.randrange(1955, 2002), rng.randrange(1, 13), rng.randrange(1, 29))
            if rng.random() < 0.7 else None,
            id_number="", occupation=rng.choice(OCCUPATIONS), social_level="",
            interests="、".join(rng.sample(INTERESTS, rng.randrange(0, 3))), expectations="", note="",
            importance="vip" if roll < 0.005 else "important" if roll < 0.035 else "normal",
            source=rng.choice(["delivery", "delivery", "delivery", "service", "referral"]),
            referred_by_id=None, lost_contact_since=self._lost_contact_since(habit),
            quiet_from=time(21, 0) if rng.random() < 0.05 else None,
            quiet_until=None, needs_review=False, last_visit_on=None, merged_into_id=None,
            name_pinyin=pinyin, name_initials=initials, name_pinyin_given_initials=given_initials,
            name_pinyin_surname_initial=surname_initial, mobile_rev=mobile[::-1], phone2_rev=phone2[::-1],
            created_at=self.now, updated_at=self.now,
        )
        row = batch.rows[Customer][-1]
        if row["quiet_from"]:  # quiet hours are 21:00 to 08:00 when a customer has them
            row["quiet_until"] = time(8, 0)
        if habit.kind == "moved" and rng.random() < 0.5:
            row["note"] = "客户已迁居外地（回访得知）"
        for number in range(2 if rng.random() < 0.10 else 1):
            self.vehicle(batch, ids, customer_id, habit,
                         delivered_ago=position if position < RECENT_DELIVERY_DAYS and number == 0 else None,
                         workshop_closes=self.today_ordinal - (position - RECENT_DELIVERY_DAYS) % WORKSHOP_DAYS
                         if workshop and number == 0 else None)
        if rng.random() < 0.4:
            for relation in rng.sample(["spouse", "child", "child", "parent"], rng.randrange(1, 3)):
                born = date(rng.randrange(2005, 2022) if relation == "child" else rng.randrange(1950, 2000),
                            rng.randrange(1, 13), rng.randrange(1, 29))
                batch.add(FamilyMember, id=ids.take(FamilyMember), customer_id=customer_id, relation=relation,
                          name=name[0] + "".join(rng.choice(GIVEN_CHARS) for _ in range(2)) if relation == "child"
                          else self._name(), gender=rng.choice("MF"), birthday=born, note="")
        if rng.random() < 0.06:
            batch.add(ContactPreference, id=ids.take(ContactPreference), customer_id=customer_id,
                      channel="phone" if rng.random() < 0.4 else "sms", purpose="marketing", allowed=False,
                      reason="客户表示不需要营销信息", recorded_on=today - timedelta(days=rng.randrange(1, 300)),
                      recorded_by_id=None)

    def _lost_contact_since(self, habit: Habit) -> date | None:
        """A mover's phone often stops answering some time after they left; a few others' too."""
        rng, today = self.rng, self.today_ordinal
        if habit.kind == "moved" and rng.random() < 0.3:
            return date.fromordinal(habit.stop + rng.randrange(0, min(300, today - habit.stop) + 1))
        return self.today - timedelta(days=rng.randrange(10, 300)) if rng.random() < 0.015 else None

    def vehicle(self, batch: Batch, ids: Ids, customer_id: int, habit: Habit, *, delivered_ago: int | None = None,
                workshop_closes: int | None = None) -> None:
        """One car of the customer with its delivery file, owner role and repair orders.

        `delivered_ago` fixes the delivery (the chunk's recent deliveries); `workshop_closes` (an
        ordinal) gives the car a repair order closed on that day (the chunk's last days in the workshop).
        """
        rng, today = self.rng, self.today
        vehicle_id = ids.take(Vehicle)
        forced = delivered_ago is not None or workshop_closes is not None
        brand = Vehicle.Brand.RENAULT if forced or rng.random() < RENAULT_SHARE else Vehicle.Brand.MITSUBISHI
        if delivered_ago is None:
            low, high = RENAULT_DELIVERY_DAYS if brand == Vehicle.Brand.RENAULT else MITSUBISHI_DELIVERY_DAYS
            delivered_ago = rng.randrange(max(low, 120) if workshop_closes else low, high + 1)
        delivered = today - timedelta(days=delivered_ago)
        model_name = rng.choice(MODELS[brand])
        vin = _valid_vin(rng, brand, delivered.year, vehicle_id)  # the id keeps VINs unique across runs
        plate = self._plate(vehicle_id) if rng.random() < 0.97 else ""
        sold_on = None  # sold to someone the store never sees
        if not forced and delivered_ago > 400 and rng.random() < SOLD_SHARE:
            sold_on = delivered + timedelta(days=rng.randrange(365, delivered_ago - 30))
        told = sold_on is not None and rng.random() < 0.6  # the store learnt of the sale in a callback
        batch.add(Vehicle, id=vehicle_id, vin=vin, plate=plate, brand=brand, model_name=model_name,
                  colour=rng.choice(COLOURS), delivery_date=delivered, sales_consultant=rng.choice(CONSULTANTS),
                  invoice_amount=Decimal(PRICES[model_name] - rng.randrange(0, 30) * 1000),
                  plate_key=plate_search_key(plate), vin_rev=vin[::-1], created_at=self.now)
        documents = {name: rng.random() < 0.9 for name in DeliveryFile.DOCUMENTS}
        checked = delivered + timedelta(days=rng.randrange(0, 20)) if rng.random() < 0.8 else None
        batch.add(DeliveryFile, id=ids.take(DeliveryFile), vehicle_id=vehicle_id, **documents,
                  handbook_checked_on=checked if checked and checked <= today else None, handbook_note="")
        batch.add(VehicleRole, id=ids.take(VehicleRole), vehicle_id=vehicle_id, customer_id=customer_id,
                  kind="owner", started_on=delivered, ended_on=sold_on if told else None)
        customer_row = batch.rows[Customer][-1]
        if told:
            customer_row["note"] = "；".join(filter(None, [customer_row["note"], f"{model_name}已转卖（回访得知）"]))
        low, high = KM_PER_DAY
        roll = rng.random()
        km_per_day = rng.uniform(8, low) if roll < 0.05 else rng.uniform(high, 140) if roll < 0.10 \
            else rng.uniform(low, high)
        until = min(self.today_ordinal, self.today_ordinal if habit.stop is None else habit.stop,
                    self.today_ordinal if sold_on is None else sold_on.toordinal())
        visits = self._visits(delivered=delivered.toordinal(), interval=MAINTENANCE_INTERVALS[model_name],
                              km_per_day=km_per_day, punctual=habit.punctual, until=until,
                              workshop_closes=workshop_closes)
        for opened_ordinal, closed_ordinal, mileage, kind in visits:
            opened = date.fromordinal(opened_ordinal)
            (labour_low, labour_high), (parts_low, parts_high) = AMOUNTS[kind]
            labour = Decimal(rng.randint(labour_low, labour_high))
            parts = Decimal(rng.randint(parts_low, parts_high))
            visit_id = ids.take(ServiceVisit)
            ro_number = f"RO{opened:%Y%m%d}{visit_id:08d}"
            advisor = rng.choice(ADVISORS)
            batch.add(ServiceVisit, id=visit_id, vehicle_id=vehicle_id, customer_id=customer_id,
                      ro_number=ro_number, opened_on=opened,
                      closed_on=None if closed_ordinal is None else date.fromordinal(closed_ordinal),
                      mileage=mileage, kind=kind, advisor=advisor, sender_name="", labour_amount=labour,
                      parts_amount=parts, total_amount=labour + parts, created_at=self.now)
            batch.add(TimelineEntry, id=ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=vehicle_id,
                      occurred_at=datetime.combine(opened, NINE, tzinfo=self.tz), kind="visit",
                      params=service_visit_params(kind=kind, ro_number=ro_number, mileage=mileage,
                                                  total_amount=labour + parts, advisor=advisor),
                      title="", body="", source_type_id=None, source_id=str(visit_id), created_by_id=None)
            if customer_row["last_visit_on"] is None or opened > customer_row["last_visit_on"]:
                customer_row["last_visit_on"] = opened

    def _lateness(self, punctual: bool) -> int:
        """Days between a maintenance falling due and the owner bringing the car in."""
        rng = self.rng
        if rng.random() < (0.85 if punctual else 0.2):
            return round(rng.triangular(-14, 14, 0))
        return rng.randrange(15, 61) if punctual else rng.randrange(15, 121)

    def _visits(self, *, delivered: int, interval: MaintenanceInterval, km_per_day: float, punctual: bool,
                until: int, workshop_closes: int | None) -> list[tuple[int, int | None, int, str]]:
        """The car's repair orders as (opened, closed or None, mileage, kind), dates as ordinals.

        First the maintenance, each due by distance or months from the one before (whichever first)
        and brought in as early or late as the owner tends to; then the other visits at their yearly
        rates; then all in order of date, each opening after the one before has closed (a repair that
        would overlap a stay in the workshop was done during it; a maintenance waits for the car),
        with the mileage growing by the car's own km a day. Nothing opens after `until`; a visit
        still in the workshop today is not closed.
        """
        rng, today = self.rng, self.today_ordinal
        if workshop_closes is not None:
            # the natural history ends early enough that its longest stay is over before the forced visit
            until = min(until, workshop_closes - max(max(days) for days in DAYS_IN.values()) - 2)
        planned: list[tuple[int, str]] = []
        last, due_km, due_days = delivered, interval.first_km, interval.first_days
        while True:
            day = last + min(due_days, math.ceil(due_km / km_per_day)) + self._lateness(punctual)
            day = max(day, delivered + FIRST_MAINTENANCE_EARLIEST_DAYS if not planned else last + 30)
            if day > until:
                break
            planned.append((day, "first" if not planned else "scheduled"))
            last, due_km, due_days = day, interval.every_km, interval.every_days
        years = (until - delivered) / 365
        for kind, rate in UNSCHEDULED_PER_YEAR.items():
            top = rate + REPAIRS_MORE_PER_YEAR * years if kind == "repair" else rate
            end = min(until, delivered + WARRANTY_YEARS * 365) if kind == "warranty" else until
            day = delivered
            while top > 0:
                day += 1 + int(rng.expovariate(top / 365))
                if day > end:
                    break
                if kind != "repair" or rng.random() * top < rate + REPAIRS_MORE_PER_YEAR * (day - delivered) / 365:
                    planned.append((day, kind))
        planned.sort()
        first_latest = delivered + interval.first_days + FIRST_MAINTENANCE_GRACE_DAYS
        visits: list[tuple[int, int | None, int, str]] = []
        mileage, last_day, free_from = rng.randrange(5, 60), delivered, delivered + 1
        maintained_on, maintained_at = None, 0
        for day, kind in planned:
            if day < free_from:
                if kind not in ("first", "scheduled"):
                    continue
                day = free_from
            if day > until:
                continue
            if kind == "first" and day > first_latest:
                kind = "scheduled"  # too late for the free first maintenance
            mileage += max(1, round(km_per_day * (day - last_day) * rng.uniform(0.9, 1.1)))
            closed = day + rng.choice(DAYS_IN[kind])
            visits.append((day, closed if closed <= today else None, mileage, kind))
            last_day, free_from = day, closed + 1
            if kind in ("first", "scheduled"):
                maintained_on, maintained_at = day, mileage
        if workshop_closes is not None:
            day = workshop_closes - rng.choice((0, 0, 1))
            mileage += max(1, round(km_per_day * (day - last_day) * rng.uniform(0.9, 1.1)))
            if maintained_on is None:
                due = day - delivered >= min(interval.first_days, interval.first_km / km_per_day) * 0.85
                kind = ("first" if FIRST_MAINTENANCE_EARLIEST_DAYS <= day - delivered and day <= first_latest
                        else "scheduled") if due else "repair"
            else:
                due = max((day - maintained_on) / interval.every_days,
                          (mileage - maintained_at) / interval.every_km) >= 0.85
                kind = "scheduled" if due else "repair"
            visits.append((day, workshop_closes, mileage, kind))
        return visits


def _columns(model: type[models.Model]) -> list[tuple[str, str]]:
    return [(f.attname, f.column) for f in model._meta.concrete_fields]


def _copy(cursor, model, rows: list[dict]) -> None:
    columns = _columns(model)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    as_json = {f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)}
    for row in rows:
        writer.writerow(["\\N" if row[attname] is None else json.dumps(row[attname], ensure_ascii=False)
                         if attname in as_json else row[attname] for attname, _column in columns])
    buffer.seek(0)
    names = ", ".join(connection.ops.quote_name(column) for _attname, column in columns)
    cursor.copy_expert(f"COPY {model._meta.db_table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)


def _insert(cursor, model, rows: list[dict]) -> None:
    columns = _columns(model)
    names = ", ".join(connection.ops.quote_name(column) for _attname, column in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"
    adapt = [model._meta.get_field(attname) for attname, _column in columns]
    values = [[field.get_db_prep_save(row[field.attname], connection) for field in adapt] for row in rows]
    for start in range(0, len(values), 5000):
        cursor.executemany(sql, values[start:start + 5000])


def _next_ids() -> Ids:
    ids = Ids()
    for model in WRITTEN:
        manager = model.all_objects if model is Customer else model.objects
        ids.next[model] = (manager.aggregate(top=models.Max("id"))["top"] or 0) + 1
    return ids


# Most rows a customer can bring per table: the id range each chunk reserves, so that chunks can be
# made in any order, by any worker, and still give the same store for the same seed.
ROWS_PER_CUSTOMER = {Customer: 1, Vehicle: 2, DeliveryFile: 2, VehicleRole: 2, ServiceVisit: 16, TimelineEntry: 16,
                     FamilyMember: 2, ContactPreference: 1}


def _chunk_ids(base: Ids, index: int, chunk: int) -> Ids:
    return Ids({model: base.next[model] + index * chunk * ROWS_PER_CUSTOMER[model] for model in WRITTEN})


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id written
    with connection.cursor() as cursor:
        for model in WRITTEN:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT MAX(id) FROM {table}), 1))")


def _write_chunk(task: tuple) -> dict[str, int]:
    """Make and write one chunk of customers, in one transaction. Runs in a worker process too."""
    seed, index, chunk, count, base, today = task
    store = DemoStore(seed=seed * 1_000_003 + index, today=today)
    ids = _chunk_ids(base, index, chunk)
    batch = Batch()
    for _ in range(count):
        store.customer(batch, ids)
    start = _chunk_ids(base, index, chunk)
    for model, reserved in ROWS_PER_CUSTOMER.items():  # a chunk that outgrew its id range would collide
        if ids.next[model] - start.next[model] > chunk * reserved:
            raise RuntimeError(f"demo chunk {index} made more {model._meta.model_name} rows than it reserved ids for")
    write = _copy if connection.vendor == "postgresql" else _insert
    written = {}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _may_skip_triggers(cursor):
            # The rows are made consistent by construction; per-row foreign-key triggers only slow the load.
            cursor.execute("SET LOCAL session_replication_role = replica")
        target = cursor.cursor if write is _copy else cursor
        for model in WRITTEN:
            rows = batch.rows.get(model, [])
            if rows:
                write(target, model, rows)
            written[model._meta.model_name] = len(rows)
    return written


def _may_skip_triggers(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


class _SecondaryIndexesDropped:
    """On PostgreSQL, a big load is faster with the non-unique secondary indexes built afterwards."""

    def __init__(self, enabled: bool, of: tuple[type[models.Model], ...] = WRITTEN):
        self.enabled = enabled and connection.vendor == "postgresql"
        self.models = of  # whose tables: the archive's, or those another app's demo loads
        self.definitions: list[tuple[str, str]] = []

    def __enter__(self):
        if self.enabled:
            tables = [model._meta.db_table for model in self.models]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
                    "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(%s) "
                    "AND NOT x.indisunique AND NOT x.indisprimary", [tables])
                self.definitions = cursor.fetchall()
                for name, _definition in self.definitions:
                    cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            if self.definitions:
                cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in self.definitions:
                cursor.execute(definition)
            if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses badly
                cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in self.models))
        return False


def seed_customers(*, count: int, seed: int = 1, today: date | None = None, chunk: int = 10_000,
                   workers: int | None = None, progress: Callable[[int], None] | None = None,
                   messages: bool = True) -> dict[str, int]:
    """Add `count` customers with their vehicles, visits, family and preferences, and (`messages`) the
    SMS templates and an outbox of the last 30 days for a sample of them. Returns row counts.

    On PostgreSQL the chunks are made and copied by several processes at once (one per core by
    default); the same seed gives the same store whatever the number of workers.
    """
    today = today or timezone.localdate()
    base = _next_ids()
    sizes = [min(chunk, count - start) for start in range(0, count, chunk)]
    tasks = [(seed, index, chunk, size, base, today) for index, size in enumerate(sizes)]
    parallel = connection.vendor == "postgresql" and len(tasks) > 1
    workers = workers or (min(os.cpu_count() or 1, 4) if parallel else 1)
    totals = {model._meta.model_name: 0 for model in WRITTEN}
    done = 0
    with _SecondaryIndexesDropped(enabled=count >= 50_000):
        if workers > 1 and parallel:
            connections.close_all()  # each worker process opens its own connection
            with multiprocessing.get_context("fork").Pool(workers, initializer=connections.close_all) as pool:
                results = pool.imap_unordered(_write_chunk, tasks)
                for written, size in zip(results, sizes, strict=True):
                    totals = {name: totals[name] + written[name] for name in totals}
                    done += size
                    if progress:
                        progress(done)
        else:
            for task, size in zip(tasks, sizes, strict=True):
                written = _write_chunk(task)
                totals = {name: totals[name] + written[name] for name in totals}
                done += size
                if progress:
                    progress(done)
    _reset_sequences()
    if messages and count:
        first = base.next[Customer]
        totals |= seed_messages(seed=seed, today=today, customer_ids=range(first, first + count))
    return totals


# --- The SMS platform's demo: templates, and an outbox of the last 30 days ---------------------------------
# The history covers a sample of the customers just made (at most SMS_SAMPLE), so a store of a million
# customers gets the same few thousand messages as one of two thousand. Every row is settled (sent,
# delivered, failed, unknown or cancelled): nothing waits in the outbox, so the worker that `make run`
# starts sends nothing. The marketing bulk send still awaiting approval has no rows until it is approved.
SMS_SAMPLE = 1500
SMS_DAYS = 30
SMS_TEMPLATES = [
    # key, name, purpose, text, Aliyun code, Tencent id, Tencent parameter order, may go in quiet hours
    ("first_maintenance", "首保提醒", "service",
     "{name}{title}您好，您的{model}（{plate}）即将到首次保养时间，首保免工时费，请提前预约。{store}恭候您的光临。",
     "SMS_465320101", "2104511", "name,title,model,plate,store", False),
    ("maintenance_due", "保养到期提醒", "service",
     "{name}{title}您好，您的爱车{plate}已到保养周期，为保障行车安全，请近期回店保养。服务顾问{advisor}恭候。",
     "SMS_465320102", "2104512", "name,title,plate,advisor", False),
    ("appointment_confirmed", "预约确认", "service",
     "{name}{title}您好，您已预约{date}到{store}保养，届时请携带行驶证。如需改期请回电。",
     "SMS_465320103", "2104513", "name,title,date,store", True),
    ("birthday", "生日祝福", "care",
     "{name}{title}，今天是您的生日，{store}全体员工祝您生日快乐，幸福安康！",
     "SMS_465320104", "2104514", "name,title,store", False),
    # Tencent approves no store invitations or surveys: those two have no Tencent id (the CRM says so).
    ("spring_invitation", "活动邀请", "marketing",
     "{name}{title}您好，{store}诚邀您于{date}到店参加车主关怀日：免费检测、精美礼品，期待您的光临。",
     "SMS_465320105", "", "", False),
    ("store_moved", "门店搬迁通知", "notice",
     "{name}{title}您好，{store}已迁至蚌埠市龙子湖区东海大道1888号，原三菱售后业务一并迁入，服务电话不变。",
     "SMS_465320106", "2104516", "name,title,store", False),
    ("satisfaction", "满意度回访短信", "service",
     "{name}{title}您好，感谢您{date}到店保养，请回复1至5为本次服务打分（5为非常满意），{store}感谢您的支持。",
     "SMS_465320107", "", "", False),
]
SMS_FAILURES = ("空号", "停机", "用户已关机", "空号", "停机")
SMS_FAILED_SHARE = 0.03
SMS_UNKNOWN = 2  # older than a day: listed for a person to decide
SMS_REPLIES = ("好的，谢谢", "收到", "几点开门？", "好的，一定参加", "周六上午可以吗")
SMS_OPT_OUT_REPLIES = ("退订", "TD")


def sms_templates_ensure(*, by=None) -> dict:
    """The demo's templates by key (those already there are kept as they are)."""
    templates = {}
    for key, name, purpose, text, aliyun, tencent, params, exempt in SMS_TEMPLATES:
        templates[key], _created = SmsTemplate.objects.get_or_create(key=key, defaults={
            "name": name, "purpose": purpose, "text": text, "aliyun_code": aliyun, "tencent_id": tencent,
            "tencent_params": params, "quiet_hours_exempt": exempt, "updated_by": by})
    return templates


class DemoOutbox:
    """Rows of the outbox, its receipts, replies and timeline entries, made in memory and written at once."""

    TABLES = (BulkSend, OutboundMessage, DeliveryReceipt, InboundReply, ContactPreference, TimelineEntry)

    def __init__(self, *, seed: int, today: date, templates: dict, gateway: str):
        self.rng = random.Random(seed * 7_919 + 11)
        self.today, self.templates, self.gateway = today, templates, gateway
        self.tz = timezone.get_current_timezone()
        self.ids = Ids({model: (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1 for model in self.TABLES})
        self.batch = Batch()
        self.sent_type = ContentType.objects.get_for_model(OutboundMessage).pk
        self.seen: set[tuple[str, str, date]] = set()  # (template, phone, day): once a day, as the gateways want

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.today - timedelta(days=days_ago), time(hour, minute), tzinfo=self.tz)

    def message(self, candidate: tuple, *, key: str, values: dict, when: datetime, status: str = "",
                template: str | None = None, text: str = "", purpose: str = "", bulk_id: int | None = None,
                by: int | None = None, variables: dict | None = None) -> dict | None:
        """One settled message to a customer: delivered, or failed at the rate of real stores."""
        customer_id, phone = candidate
        if customer_id not in values:  # the first customer of an uploaded number may be outside the sample
            values.update(CustomerAudience().variables([customer_id]))
        chosen = self.templates[template] if template else None
        if chosen is not None and (template, phone, when.date()) in self.seen:
            return None
        self.seen.add((template, phone, when.date()))
        purpose = chosen.purpose if chosen is not None else purpose
        given = {"store": settings.SMS_STORE_NAME, **(variables or {})}
        filled = {**values.get(customer_id, {}), **given}
        body = sms.message_text(template=chosen, text=text, purpose=purpose, values=filled, gateway_name=self.gateway)
        used = texts.variables_used(chosen.text if chosen is not None else text)
        rng = self.rng
        status = status or ("failed" if rng.random() < SMS_FAILED_SHARE else "delivered")
        message_id = self.ids.take(OutboundMessage)
        claimed = when + timedelta(seconds=rng.randrange(1, 20))
        sent = claimed + timedelta(seconds=1) if status != "unknown" else None
        settled = sent + timedelta(seconds=rng.randrange(3, 90)) if sent else None
        row = dict(
            id=message_id, customer_id=customer_id, phone=phone, text=body, template_id=chosen.pk if chosen else None,
            variables={name: str(filled.get(name) or "") for name in used}, purpose=purpose, idempotency_key=key[:200],
            bulk_id=bulk_id, source_type_id=None, source_id="", status=status,
            quiet_hours_exempt=bool(chosen and chosen.quiet_hours_exempt), not_before=when, attempts=1,
            claimed_at=claimed, claim=None, gateway=self.gateway,
            gateway_ref=f"{self.gateway}-{message_id}" if sent else "",
            # As the dispatcher stores them: a code, shown in the reader's language, and the
            # carrier's own words of a failed receipt.
            reason_code={"failed": reasons.UNDELIVERED, "unknown": reasons.TIMEOUT}.get(status, ""),
            reason=rng.choice(SMS_FAILURES) if status == "failed" else "",
            created_at=when, created_by_id=by, sent_at=sent, settled_at=settled)
        self.batch.add(OutboundMessage, **row)
        if status in ("delivered", "failed"):
            self.batch.add(DeliveryReceipt, id=self.ids.take(DeliveryReceipt), message_id=message_id,
                           delivered=status == "delivered", reason=row["reason"], gateway=self.gateway,
                           received_at=settled)
        if status == "delivered":  # on the timeline as the dispatcher puts it there
            self.batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=None,
                           occurred_at=sent, kind="sms", title="", body="", source_type_id=self.sent_type,
                           source_id=str(message_id), created_by_id=by,
                           params={"variant": "sent", "purpose": purpose, "text": body,
                                   "template": chosen.name if chosen else ""})
        return row

    def reply(self, phone: str, text: str, when: datetime, *, opt_out_of: list[int] = ()) -> None:
        # A customer who already refused marketing SMS keeps that answer (one per channel and purpose).
        opt_out_of = sorted(set(opt_out_of) - set(ContactPreference.objects.filter(
            customer_id__in=opt_out_of, channel="sms", purpose="marketing").values_list("customer_id", flat=True)))
        reply_id = self.ids.take(InboundReply)
        self.batch.add(InboundReply, id=reply_id, phone=phone, text=text, gateway=self.gateway,
                       gateway_ref=f"mo-{reply_id}", received_at=when, opt_out=texts.is_opt_out(text),
                       customers=len(opt_out_of))
        for customer_id in opt_out_of:  # as CustomerAudience.opt_out records it
            self.batch.add(ContactPreference, id=self.ids.take(ContactPreference), customer_id=customer_id,
                           channel="sms", purpose="marketing", allowed=False, reason=f"短信回复“{text}”",
                           recorded_on=timezone.localdate(when), recorded_by_id=None)
            self.batch.add(TimelineEntry, id=self.ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=None,
                           occurred_at=when, kind="sms", title="", body="", source_type_id=None, source_id="",
                           created_by_id=None, params={"variant": "opt_out", "text": text})


def _demo_staff() -> dict:
    """The demo users by username (seed_demo makes them first); those missing are absent."""
    return {user.username: user for user in User.objects.filter(username__in=["supervisor", "sales", "showroom", "agent"])}


def seed_messages(*, seed: int, today: date, customer_ids: range) -> dict[str, int]:
    """The SMS templates and an outbox of the last 30 days for a sample of these customers: reminders,
    greetings, confirmations and surveys sent and delivered (a few failed, two unknown), a marketing bulk
    send to Mitsubishi owners that the supervisor approved and that has finished, with its exclusions and
    replies (two of them 退订, recorded on the customers' preferences), and a sales marketing bulk send
    awaiting approval. Deterministic for a seed and `today`."""
    staff = _demo_staff()
    templates = sms_templates_ensure(by=staff.get("supervisor"))
    outbox = DemoOutbox(seed=seed, today=today, templates=templates, gateway=settings.SMS_GATEWAY)
    rng = outbox.rng
    ids = sorted(rng.sample(customer_ids, min(SMS_SAMPLE, len(customer_ids))))
    people = {pk: (pk, mobile) for pk, mobile in Customer.objects.filter(pk__in=ids).exclude(mobile="")
              .order_by("id").values_list("id", "mobile")}
    audience = CustomerAudience()
    values = audience.variables(list(people))
    refusing = {purpose: audience.refusals(purpose=purpose, customer_ids=list(people))
                for purpose in ("service", "care", "marketing", "notice")}

    def allowed(pk: int, purpose: str) -> bool:
        return pk in people and pk not in refusing[purpose]

    # Reminders of the daily jobs (10:00), birthdays (09:00), confirmations (any time, even late), surveys.
    newest_car = {}
    for pk, delivered, brand in VehicleRole.objects.filter(customer_id__in=list(people), kind="owner", ended_on__isnull=True) \
            .order_by("customer_id", "vehicle__delivery_date").values_list("customer_id", "vehicle__delivery_date",
                                                                           "vehicle__brand"):
        newest_car[pk] = (delivered, brand)
    window = [today - timedelta(days=n) for n in range(1, SMS_DAYS + 1)]
    for pk in people:
        delivered, _brand = newest_car.get(pk, (None, None))
        if delivered and today - timedelta(days=SMS_DAYS + 80) <= delivered <= today - timedelta(days=81):
            day = (today - (delivered + timedelta(days=80))).days
            if allowed(pk, "service"):
                outbox.message(people[pk], key=f"first-maintenance:{pk}:{delivered}", values=values,
                               template="first_maintenance", when=outbox.at(day, 10, rng.randrange(0, 30)))
        elif rng.random() < 0.25 and allowed(pk, "service"):
            day = rng.randrange(1, SMS_DAYS + 1)
            outbox.message(people[pk], key=f"maintenance-due:{pk}:{window[day - 1]}", values=values,
                           template="maintenance_due", when=outbox.at(day, 10, rng.randrange(0, 30)))
    birthdays = Customer.objects.filter(pk__in=list(people), birthday__isnull=False).values_list("id", "birthday")
    for pk, birthday in birthdays:
        for day, on in enumerate(window, start=1):
            if (on.month, on.day) == (birthday.month, birthday.day) and allowed(pk, "care"):
                outbox.message(people[pk], key=f"birthday:{pk}:{on}", values=values, template="birthday",
                               when=outbox.at(day, 9, rng.randrange(0, 20)))
    agent = staff.get("agent")
    for pk in rng.sample(sorted(people), min(len(people), max(1, len(people) // 20))):
        day, hour = rng.randrange(1, SMS_DAYS + 1), rng.choice((9, 10, 11, 14, 15, 16, 17, 21))
        visit_day = today - timedelta(days=day) + timedelta(days=rng.randrange(1, 4))
        if allowed(pk, "service"):
            outbox.message(people[pk], key=f"appointment:{pk}:{visit_day}", values=values, template="appointment_confirmed",
                           when=outbox.at(day, hour, rng.randrange(0, 60)), by=agent.pk if agent else None,
                           variables={"date": f"{visit_day.month}月{visit_day.day}日上午"})
    for pk, closed in ServiceVisit.objects.filter(customer_id__in=list(people), closed_on__gte=window[-1],
                                                  closed_on__lt=today - timedelta(days=1)).values_list("customer_id", "closed_on"):
        if rng.random() < 0.5 and allowed(pk, "service"):
            day = (today - closed).days - 1
            outbox.message(people[pk], key=f"satisfaction:{pk}:{closed}", values=values, template="satisfaction",
                           when=outbox.at(day, 10, 30), variables={"date": f"{closed.month}月{closed.day}日"})
    # Two the gateway did not answer for: in doubt since, for a person to decide.
    doubtful = [pk for pk in sorted(people) if allowed(pk, "service")][-SMS_UNKNOWN:]
    for n, pk in enumerate(doubtful):
        outbox.message(people[pk], key=f"maintenance-due:{pk}:unknown", values=values, template="maintenance_due",
                       when=outbox.at(2 + n, 10, 5), status="unknown")

    if staff.get("sales") and staff.get("supervisor"):
        _demo_bulk_sends(outbox, staff=staff, people=people, values=values, newest_car=newest_car)
    _write_outbox(outbox)
    counts = {model._meta.model_name: len(outbox.batch.rows.get(model, []))
              for model in (BulkSend, OutboundMessage, DeliveryReceipt, InboundReply)}
    return {"smstemplate": len(templates), **counts}


def _demo_bulk_sends(outbox: DemoOutbox, *, staff: dict, people: dict, values: dict, newest_car: dict) -> None:
    """The supervisor approved the sales manager's invitation of the Mitsubishi owners nine days ago (an
    uploaded list, screened as the platform screens it); it has finished. The showroom's offer to recent
    科雷傲 owners waits for approval since yesterday afternoon."""
    rng, today = outbox.rng, outbox.today
    sales, supervisor = staff["sales"], staff["supervisor"]
    owners = [people[pk][1] for pk in sorted(people) if newest_car.get(pk, (None, ""))[1] == Vehicle.Brand.MITSUBISHI]
    mobiles = owners + owners[:1] + ["1381234567", "13900000000"]  # a number twice, one mistyped, one of nobody
    created, approved = outbox.at(9, 10, 5), outbox.at(9, 11, 20)
    event_day = today - timedelta(days=2)
    variables = {"date": f"{event_day.month}月{event_day.day}日"}
    screened = sms.recipients_from_mobiles(mobiles=mobiles, purpose="marketing",
                                                template=outbox.templates["spring_invitation"], now=approved)
    bulk_id = outbox.ids.take(BulkSend)
    rows = [outbox.message((c.customer_id, c.mobile), key=f"bulk:{bulk_id}:{c.customer_id}", values=values,
                           template="spring_invitation", when=approved, bulk_id=bulk_id, by=sales.pk, variables=variables)
            for c in screened.candidates]
    rows = [row for row in rows if row]
    finished = max((row["settled_at"] or row["claimed_at"] for row in rows), default=approved)
    outbox.batch.add(BulkSend, id=bulk_id, template_id=outbox.templates["spring_invitation"].pk, text="",
                     purpose="marketing", variables=variables, filter_query="", upload_name="三菱老车主关怀日邀约名单.xlsx",
                     upload_mobiles=mobiles, recipients=screened.count, excluded=dict(screened.excluded), status="done",
                     created_at=created, created_by_id=sales.pk, approved_at=approved, approved_by_id=supervisor.pk,
                     finished_at=finished)
    # The replies of the next hours: thanks, questions, and two who want no more of it.
    delivered = [row for row in rows if row["status"] == "delivered"]
    picked = rng.sample(delivered, min(len(delivered), 5))
    for n, row in enumerate(picked):
        when = row["settled_at"] + timedelta(minutes=rng.randrange(2, 240))
        if n < len(SMS_OPT_OUT_REPLIES):
            owners_of = [pk for pk, mobile in people.values() if mobile == row["phone"]]
            outbox.reply(row["phone"], SMS_OPT_OUT_REPLIES[n], when, opt_out_of=owners_of or [row["customer_id"]])
        else:
            outbox.reply(row["phone"], SMS_REPLIES[n % len(SMS_REPLIES)], when)
    # Waiting for the supervisor: counted when it was confirmed, queued only once approved.
    showroom = staff.get("showroom") or sales
    query = f"brand=renault&model_name=科雷傲&delivered_from={today - timedelta(days=365)}"
    asked = outbox.at(1, 16, 40)
    waiting = sms.recipients_from_filter(query=query, user=showroom, purpose="marketing", now=asked)
    outbox.batch.add(BulkSend, id=outbox.ids.take(BulkSend), template_id=None,
                     text="{name}{title}您好，科雷傲车主专享：本月到店置换新车享补贴5000元，另赠全年免费洗车。",
                     purpose="marketing", variables={}, filter_query=query, upload_name="", upload_mobiles=[],
                     recipients=waiting.count, excluded=dict(waiting.excluded), status="approval", created_at=asked,
                     created_by_id=showroom.pk, approved_at=None, approved_by_id=None, finished_at=None)


def _write_outbox(outbox: DemoOutbox) -> None:
    write = _copy if connection.vendor == "postgresql" else _insert
    tables = DemoOutbox.TABLES
    with transaction.atomic(), connection.cursor() as cursor:
        target = cursor.cursor if write is _copy else cursor
        for model in tables:
            rows = outbox.batch.rows.get(model, [])
            if rows:
                write(target, model, rows)
        if connection.vendor == "postgresql":
            for model in tables:
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT MAX(id) FROM {table}), 1))")
