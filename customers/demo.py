"""A realistic demo store, fast enough for a million customers.

One generator makes the rows (deterministic for a seed); they are written with COPY on
PostgreSQL and with batched INSERTs elsewhere, in chunks, each chunk in one transaction.
Rows are written as the models define them, with their search keys derived by the models'
own functions, but without change history: history starts with the first change in the CRM.
"""

import csv
import io
import multiprocessing
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.utils import timezone, translation

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
from .normalize import name_pinyin, plate_search_key, vin_check_digit

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
YEAR_CODES = {2019: "K", 2020: "L", 2021: "M", 2022: "N", 2023: "P", 2024: "R", 2025: "S", 2026: "T", 2027: "V"}


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


class DemoStore:
    def __init__(self, *, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        with translation.override(settings.LANGUAGE_CODE):  # the store's language, resolved once
            self.visit_labels = {kind: str(label) for kind, label in ServiceVisit.Kind.choices}
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

    def customer(self, batch: Batch, ids: Ids) -> None:
        rng, today = self.rng, self.today
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
            referred_by_id=None, lost_contact_since=today - timedelta(days=rng.randrange(10, 300))
            if rng.random() < 0.02 else None,
            quiet_from=time(21, 0) if rng.random() < 0.05 else None,
            quiet_until=None, needs_review=False, last_visit_on=None, merged_into_id=None,
            name_pinyin=pinyin, name_initials=initials, mobile_rev=mobile[::-1], phone2_rev=phone2[::-1],
            created_at=self.now, updated_at=self.now,
        )
        row = batch.rows[Customer][-1]
        if row["quiet_from"]:  # quiet hours are 21:00 to 08:00 when a customer has them
            row["quiet_until"] = time(8, 0)
        for _ in range(2 if rng.random() < 0.10 else 1):
            self.vehicle(batch, ids, customer_id)
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

    def vehicle(self, batch: Batch, ids: Ids, customer_id: int) -> None:
        rng, today = self.rng, self.today
        vehicle_id = ids.take(Vehicle)
        brand = Vehicle.Brand.RENAULT if rng.random() < 0.75 else Vehicle.Brand.MITSUBISHI
        delivered = today - timedelta(days=rng.randrange(5, 365) if brand == Vehicle.Brand.RENAULT
                                      else rng.randrange(400, 2200))
        model_name = rng.choice(MODELS[brand])
        vin = _valid_vin(rng, brand, delivered.year, vehicle_id)  # the id keeps VINs unique across runs
        plate = self._plate(vehicle_id) if rng.random() < 0.97 else ""
        batch.add(Vehicle, id=vehicle_id, vin=vin, plate=plate, brand=brand, model_name=model_name,
                  colour=rng.choice(COLOURS), delivery_date=delivered, sales_consultant=rng.choice(CONSULTANTS),
                  invoice_amount=Decimal(PRICES[model_name] - rng.randrange(0, 30) * 1000),
                  plate_key=plate_search_key(plate), vin_rev=vin[::-1], created_at=self.now)
        documents = {name: rng.random() < 0.9 for name in DeliveryFile.DOCUMENTS}
        batch.add(DeliveryFile, id=ids.take(DeliveryFile), vehicle_id=vehicle_id, **documents,
                  handbook_checked_on=delivered + timedelta(days=rng.randrange(0, 20)) if rng.random() < 0.8 else None,
                  handbook_note="")
        batch.add(VehicleRole, id=ids.take(VehicleRole), vehicle_id=vehicle_id, customer_id=customer_id,
                  kind="owner", started_on=delivered, ended_on=None)
        days = (today - delivered).days
        visits = sorted(rng.sample(range(1, days), min(rng.randrange(1, 9), days - 1))) if days > 2 else []
        customer_row = batch.rows[Customer][-1]
        for number, offset in enumerate(visits):
            opened = delivered + timedelta(days=offset)
            kind = "first" if number == 0 and offset <= 120 else rng.choice(
                ["scheduled", "scheduled", "scheduled", "repair", "bodywork", "warranty", "accident"])
            labour = Decimal(rng.randrange(100, 1500))
            parts = Decimal(rng.randrange(0, 4000)) if kind != "first" else Decimal(0)
            visit_id = ids.take(ServiceVisit)
            ro_number = f"RO{opened:%Y%m%d}{visit_id:08d}"
            mileage = 800 * offset // 30 + rng.randrange(0, 500)
            advisor = rng.choice(ADVISORS)
            batch.add(ServiceVisit, id=visit_id, vehicle_id=vehicle_id, customer_id=customer_id,
                      ro_number=ro_number, opened_on=opened, closed_on=opened + timedelta(days=rng.choice((0, 0, 1, 2))),
                      mileage=mileage, kind=kind, advisor=advisor, sender_name="", labour_amount=labour,
                      parts_amount=parts, total_amount=labour + parts, created_at=self.now)
            label = self.visit_labels[kind]
            batch.add(TimelineEntry, id=ids.take(TimelineEntry), customer_id=customer_id, vehicle_id=vehicle_id,
                      occurred_at=datetime.combine(opened, NINE, tzinfo=self.tz), kind="visit",
                      title=f"{label} · {ro_number}", body=f"里程 {mileage} km，合计 ¥{labour + parts}，服务顾问 {advisor}",
                      source_type_id=None, source_id=str(visit_id), created_by_id=None)
            if customer_row["last_visit_on"] is None or opened > customer_row["last_visit_on"]:
                customer_row["last_visit_on"] = opened


def _columns(model: type[models.Model]) -> list[tuple[str, str]]:
    return [(f.attname, f.column) for f in model._meta.concrete_fields]


def _copy(cursor, model, rows: list[dict]) -> None:
    columns = _columns(model)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if row[attname] is None else row[attname] for attname, _column in columns])
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

    def __init__(self, enabled: bool):
        self.enabled = enabled and connection.vendor == "postgresql"
        self.definitions: list[tuple[str, str]] = []

    def __enter__(self):
        if self.enabled:
            tables = [model._meta.db_table for model in WRITTEN]
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
                cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in WRITTEN))
        return False


def seed_customers(*, count: int, seed: int = 1, today: date | None = None, chunk: int = 10_000,
                   workers: int | None = None, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Add `count` customers with their vehicles, visits, family and preferences. Returns row counts.

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
    return totals
