"""The demo store behaves like a real one: checked with SQL over a small seeded store."""

import hashlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from customers.demo import (
    FIRST_MAINTENANCE_GRACE_DAYS,
    MAINTENANCE_INTERVALS,
    WRITTEN,
    seed_customers,
)
from customers.models import ContactPreference, Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from dealer_crm.messaging.texts import variables_used

TODAY = date(2026, 11, 30)
MAINTENANCE = ("first", "scheduled")


@pytest.fixture
def store(db):
    seed_customers(count=300, seed=5, today=TODAY)
    return TODAY


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _visits_in_order() -> dict[int, list[ServiceVisit]]:
    by_vehicle: dict[int, list[ServiceVisit]] = {}
    for visit in ServiceVisit.objects.order_by("vehicle_id", "opened_on", "id"):
        by_vehicle.setdefault(visit.vehicle_id, []).append(visit)
    return by_vehicle


def test_the_mileage_of_a_car_grows_with_every_visit(store):
    going_back = _rows("""
        SELECT id FROM (
            SELECT id, mileage, LAG(mileage) OVER (PARTITION BY vehicle_id ORDER BY opened_on, id) AS before
            FROM customers_servicevisit) v
        WHERE mileage <= before""")
    assert going_back == []
    assert not ServiceVisit.objects.filter(mileage__isnull=True).exists()


def test_each_car_is_driven_at_its_own_pace(store):
    delivered = dict(Vehicle.objects.values_list("id", "delivery_date"))
    paces = []
    for vehicle_id, visits in _visits_in_order().items():
        days = (visits[-1].opened_on - delivered[vehicle_id]).days
        if days >= 60:
            paces.append(visits[-1].mileage / days)
    assert 5 <= min(paces) and max(paces) <= 160
    assert len({round(pace) for pace in paces}) > 40  # not one pace for every car
    assert sum(20 <= pace <= 80 for pace in paces) / len(paces) > 0.75


def test_no_visit_opens_before_its_car_was_delivered(store):
    assert _rows("""
        SELECT v.id FROM customers_servicevisit v JOIN customers_vehicle c ON c.id = v.vehicle_id
        WHERE v.opened_on < c.delivery_date""") == []


def test_a_car_comes_in_at_most_once_a_day_and_after_it_left(store):
    assert _rows("""
        SELECT vehicle_id, opened_on FROM customers_servicevisit
        GROUP BY vehicle_id, opened_on HAVING COUNT(*) > 1""") == []
    assert _rows("""
        SELECT id FROM (
            SELECT id, opened_on, LAG(closed_on) OVER (PARTITION BY vehicle_id ORDER BY opened_on, id) AS left_on
            FROM customers_servicevisit) v
        WHERE opened_on <= left_on""") == []


def test_a_visit_closes_on_its_day_or_the_next_as_a_rule_never_before_it_opened(store):
    assert not ServiceVisit.objects.filter(closed_on__lt=F("opened_on")).exists()
    assert not ServiceVisit.objects.filter(closed_on__gt=store).exists()
    [(quick, closed)] = _rows("""
        SELECT SUM(CASE WHEN closed_on - opened_on <= 1 THEN 1 ELSE 0 END), COUNT(*)
        FROM customers_servicevisit WHERE closed_on IS NOT NULL""")
    assert quick / closed > 0.8
    still_in = ServiceVisit.objects.filter(closed_on__isnull=True)
    assert not still_in.filter(opened_on__lt=store - timedelta(days=15)).exists()


def test_the_first_maintenance_comes_once_20_to_110_days_after_delivery(store):
    assert _rows("""
        SELECT vehicle_id FROM customers_servicevisit WHERE kind = 'first'
        GROUP BY vehicle_id HAVING COUNT(*) > 1""") == []
    firsts = ServiceVisit.objects.filter(kind="first").select_related("vehicle")
    assert firsts.count() > 100
    for visit in firsts:
        days = (visit.opened_on - visit.vehicle.delivery_date).days
        interval = MAINTENANCE_INTERVALS[visit.vehicle.model_name]
        assert 20 <= days <= interval.first_days + FIRST_MAINTENANCE_GRACE_DAYS
        if visit.vehicle.brand == Vehicle.Brand.RENAULT:
            assert days <= 110
    later = _rows("""
        SELECT f.id FROM customers_servicevisit f JOIN customers_servicevisit e
          ON e.vehicle_id = f.vehicle_id AND e.kind IN ('first', 'scheduled') AND e.opened_on < f.opened_on
        WHERE f.kind = 'first'""")
    assert later == []  # no maintenance before the first one


def test_punctual_owners_come_back_about_one_interval_later_and_some_are_late(store):
    ratios = []
    models = dict(Vehicle.objects.values_list("id", "model_name"))
    for vehicle_id, visits in _visits_in_order().items():
        interval = MAINTENANCE_INTERVALS[models[vehicle_id]]
        maintenance = [visit for visit in visits if visit.kind in MAINTENANCE]
        for before, after in zip(maintenance, maintenance[1:]):
            ratios.append(max((after.mileage - before.mileage) / interval.every_km,
                              (after.opened_on - before.opened_on).days / interval.every_days))
    assert len(ratios) > 200
    assert min(ratios) >= 0.5  # nobody comes at half the interval
    on_time = sum(0.8 <= ratio <= 1.25 for ratio in ratios) / len(ratios)
    late = sum(ratio > 1.25 for ratio in ratios) / len(ratios)
    assert on_time > 0.5
    assert 0.1 < late < 0.5


def test_some_customers_have_lapsed_for_6_12_and_18_months(store):
    # Customers whose cars are all over two years old: when did they last come?
    rows = _rows("""
        SELECT c.id, c.last_visit_on FROM customers_customer c
        WHERE NOT EXISTS (SELECT 1 FROM customers_vehiclerole r JOIN customers_vehicle v ON v.id = r.vehicle_id
                          WHERE r.customer_id = c.id AND v.delivery_date > %s)""", [store - timedelta(days=730)])
    assert len(rows) > 50

    def share(months_from, months_to=None):
        newest, oldest = store - timedelta(days=round(months_from * 30.44)), (
            store - timedelta(days=round(months_to * 30.44)) if months_to else date.min)
        return sum(1 for _id, last in rows if last and oldest < last <= newest) / len(rows)

    assert share(6, 12) > 0.03
    assert share(12, 18) > 0.03
    assert share(18) > 0.05
    assert 1 - share(12) > 0.5  # most came within the last year


def test_some_cars_were_sold_and_some_customers_moved(store):
    sold = Vehicle.objects.filter(roles__kind="owner", roles__ended_on__isnull=False)
    assert sold.exists()
    assert all("已转卖" in role.customer.note for role in VehicleRole.objects.filter(ended_on__isnull=False))
    assert not ServiceVisit.objects.filter(vehicle__in=sold, vehicle__roles__ended_on__lt=F("opened_on")).exists()
    assert Customer.objects.filter(note__contains="迁居").exists()


def test_cars_were_delivered_on_each_of_the_last_7_days_and_over_3_years(store):
    recent = set(Vehicle.objects.filter(delivery_date__gt=store - timedelta(days=7))
                 .values_list("delivery_date", flat=True))
    assert recent == {store - timedelta(days=n) for n in range(7)}
    renault = Vehicle.objects.filter(brand=Vehicle.Brand.RENAULT)
    assert renault.filter(delivery_date__lt=store - timedelta(days=900)).exists()
    assert not renault.filter(delivery_date__lt=store - timedelta(days=3 * 365 + 1)).exists()
    assert not Vehicle.objects.filter(delivery_date__gt=store).exists()


def test_repair_orders_were_closed_on_each_of_the_last_3_days(store):
    closed = set(ServiceVisit.objects.filter(closed_on__gt=store - timedelta(days=3))
                 .values_list("closed_on", flat=True))
    assert closed == {store, store - timedelta(days=1), store - timedelta(days=2)}


def test_accidents_and_bodywork_are_a_minority_among_all_kinds_of_visit(store):
    kinds = dict(_rows("SELECT kind, COUNT(*) FROM customers_servicevisit GROUP BY kind"))
    # Internal orders (内部单) are the store's work on its own cars: the demo's customers have none.
    assert set(kinds) == set(ServiceVisit.Kind.values) - {ServiceVisit.Kind.INTERNAL}
    total = sum(kinds.values())
    assert (kinds["accident"] + kinds["bodywork"]) / total < 0.15
    assert (kinds["first"] + kinds["scheduled"]) / total > 0.5


def test_a_customers_last_visit_is_their_latest_visit(store):
    assert _rows("""
        SELECT c.id FROM customers_customer c
        LEFT JOIN (SELECT customer_id, MAX(opened_on) AS latest FROM customers_servicevisit GROUP BY customer_id) v
          ON v.customer_id = c.id
        WHERE c.last_visit_on IS DISTINCT FROM v.latest""") == []


def _digest() -> str:
    digest = hashlib.sha256()
    for model in WRITTEN:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("created_at", "updated_at")]
        manager = model.all_objects if model is Customer else model.objects
        for row in manager.order_by("id").values_list(*names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _empty_the_store() -> None:
    from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage

    with connection.cursor() as cursor:
        for model in (DeliveryReceipt, OutboundMessage, BulkSend, InboundReply, *reversed(WRITTEN)):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_store_and_another_seed_another():
    seed_customers(count=120, seed=9, today=TODAY)
    first = _digest()
    _empty_the_store()
    seed_customers(count=120, seed=9, today=TODAY)
    assert _digest() == first
    _empty_the_store()
    seed_customers(count=120, seed=10, today=TODAY)
    assert _digest() != first


# --- the SMS platform's demo ------------------------------------------------------------------------
SMS_NOW = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def staff(db):
    from dealer_crm.accounts.roles import Role
    from tests.factories import UserFactory

    return {name: UserFactory(username=name, display_name=display, roles=[role]) for name, display, role in (
        ("supervisor", "刘芳", Role.DCRC_SUPERVISOR), ("sales", "孙伟", Role.SALES_MANAGER),
        ("showroom", "周敏", Role.SALES_SUPERVISOR), ("agent", "李娜", Role.CALLBACK_AGENT))}


@pytest.fixture
def sms_store(staff, settings):
    settings.SMS_GATEWAY = "console"
    seed_customers(count=400, seed=5, today=TODAY)
    return staff


def test_the_demo_has_the_stores_templates_each_valid_with_its_gateway_ids(sms_store):
    from dealer_crm.messaging.models import SmsTemplate
    from dealer_crm.messaging.texts import validate_template_text

    # The callback centre's, retention's and the appointments' texts come with their migrations,
    # without gateway ids (the store registers them with its provider); the demo's own are the ones it made.
    shipped = ("callback_", "retention_", "appointment_booked", "appointment_moved", "appointment_tomorrow",
               "birthday_greeting", "birthday_child", "event_invitation")  # the migrations' texts
    templates = {t.name: t for t in SmsTemplate.objects.all() if not t.key.startswith(shipped)}
    assert set(templates) == {"首保提醒", "保养到期提醒", "预约确认", "生日祝福", "活动邀请", "门店搬迁通知", "满意度回访短信"}
    for template in templates.values():
        template.full_clean()  # the Aliyun code and Tencent id look as the gateways give them
        validate_template_text(template.text)
        assert template.aliyun_code.startswith("SMS_")
        if template.tencent_id:
            assert set(template.tencent_params.split(",")) <= set(variables_used(template.text))
    assert [t.name for t in templates.values() if t.quiet_hours_exempt] == ["预约确认"]
    assert templates["活动邀请"].purpose == "marketing" and templates["门店搬迁通知"].purpose == "notice"
    assert templates["生日祝福"].purpose == "care"


def test_nothing_waits_in_the_demo_outbox_so_the_worker_sends_nothing(sms_store):
    from dealer_crm.messaging import services
    from dealer_crm.messaging.gateways.base import Gateway
    from dealer_crm.messaging.models import OutboundMessage

    class Recorder(Gateway):
        name = "console"
        calls: list = []

        def send(self, messages):
            self.calls.append(messages)
            raise AssertionError("the demo outbox sent a message")

    assert OutboundMessage.objects.count() > 100
    assert not OutboundMessage.objects.filter(status__in=["queued", "sending"]).exists()
    assert services.sweep_in_doubt() == 0
    outcome = services.dispatch(gateway=Recorder())
    assert (dict(outcome.outcomes), Recorder.calls) == ({}, [])


def test_the_demo_outbox_is_the_last_30_days_delivered_with_a_few_failed_and_two_in_doubt(sms_store):
    from dealer_crm.messaging import services
    from dealer_crm.messaging.models import DeliveryReceipt, OutboundMessage

    messages = OutboundMessage.objects.all()
    first = datetime.combine(TODAY - timedelta(days=30), time(0), tzinfo=ZoneInfo("Asia/Shanghai"))
    assert not messages.filter(created_at__lt=first).exists()
    assert not messages.filter(created_at__gte=SMS_NOW.replace(hour=0)).exists()
    statuses = dict(_rows("SELECT status, COUNT(*) FROM messaging_outboundmessage GROUP BY status"))
    assert set(statuses) == {"delivered", "failed", "unknown"}
    assert statuses["unknown"] == 2 and 0 < statuses["failed"] < statuses["delivered"] / 10
    assert set(messages.filter(status="failed").values_list("reason", flat=True)) <= {"空号", "停机", "用户已关机"}
    # Stored as the dispatcher stores them: codes, shown in the reader's language, and the carrier's words.
    assert set(messages.filter(status="failed").values_list("reason_code", flat=True)) == {"undelivered"}
    assert set(messages.filter(status="unknown").values_list("reason_code", "reason")) == {("timeout", "")}
    assert list(services.unknown_overdue(now=SMS_NOW).order_by("id")) == list(messages.filter(status="unknown").order_by("id"))
    assert DeliveryReceipt.objects.count() == statuses["delivered"] + statuses["failed"]
    purposes = set(messages.values_list("template__name", flat=True))
    assert {"保养到期提醒", "生日祝福", "预约确认", "活动邀请", "满意度回访短信"} <= purposes
    for message in messages.filter(template__key="birthday").select_related("customer"):
        local = timezone.localtime(message.created_at).date()
        assert (local.month, local.day) == (message.customer.birthday.month, message.customer.birthday.day)
    late = [m for m in messages if timezone.localtime(m.created_at).hour >= 21]
    assert all(m.quiet_hours_exempt for m in late)  # only confirmations go in the quiet hours
    assert not messages.filter(text__contains="{").exists() and not messages.filter(text__contains="【").exists()


def test_each_delivered_demo_message_is_on_its_customers_timeline(sms_store):
    from dealer_crm.messaging.models import OutboundMessage

    delivered = set(OutboundMessage.objects.filter(status="delivered").values_list("id", "customer_id"))
    entries = set((int(source_id), customer_id) for source_id, customer_id in TimelineEntry.objects.filter(
        kind="sms", params__variant="sent").values_list("source_id", "customer_id"))
    assert entries == delivered


def test_no_demo_message_went_to_someone_who_refused_it(sms_store):
    from customers.messaging import CustomerAudience
    from dealer_crm.messaging.models import OutboundMessage

    audience = CustomerAudience()
    replied = set(ContactPreference.objects.filter(reason__startswith="短信回复").values_list("customer_id", flat=True))
    for purpose in ("service", "care", "marketing"):
        refusing = set(audience.refusals(purpose=purpose))
        got = set(OutboundMessage.objects.filter(purpose=purpose).values_list("customer_id", flat=True))
        assert got & refusing == (replied if purpose == "marketing" else set())  # they said stop after it


def test_the_mitsubishi_invitation_was_approved_by_the_supervisor_and_has_finished(sms_store):
    from dealer_crm.messaging.models import BulkSend, OutboundMessage

    bulk = BulkSend.objects.get(status="done")
    assert (bulk.created_by, bulk.approved_by) == (sms_store["sales"], sms_store["supervisor"])
    assert bulk.purpose == "marketing" and bulk.template.name == "活动邀请" and bulk.finished_at >= bulk.approved_at
    assert bulk.recipients == bulk.messages.count() > 10
    assert {"invalid_mobile", "not_a_customer", "duplicate_mobile"} <= set(bulk.excluded)
    assert bulk.recipients + sum(bulk.excluded.values()) == len(bulk.upload_mobiles)
    brands = set(Vehicle.objects.filter(roles__customer__sms_messages__bulk=bulk).values_list("brand", flat=True))
    assert Vehicle.Brand.MITSUBISHI in brands
    assert all(text.endswith("回T退订") for text in bulk.messages.values_list("text", flat=True))
    assert not OutboundMessage.objects.filter(bulk=bulk).exclude(status__in=["delivered", "failed"]).exists()


def test_the_sales_offer_awaits_approval_and_queues_once_approved(sms_store):
    from dealer_crm.messaging import services
    from dealer_crm.messaging.models import BulkSend

    waiting = BulkSend.objects.get(status="approval")
    assert waiting.created_by == sms_store["showroom"] and waiting.approved_by is None and waiting.purpose == "marketing"
    assert not waiting.messages.exists() and waiting.recipients > 0
    services.bulk_send_approve(bulk=waiting, by=sms_store["supervisor"], now=SMS_NOW.replace(hour=10))
    waiting.refresh_from_db()
    assert waiting.status == BulkSend.Status.QUEUED
    assert waiting.messages.filter(status="queued").count() == waiting.recipients > 0


def test_two_customers_replied_to_opt_out_and_their_preferences_and_timelines_say_so(sms_store):
    from dealer_crm.messaging.models import InboundReply

    opt_outs = InboundReply.objects.filter(opt_out=True)
    assert sorted(opt_outs.values_list("text", flat=True)) == ["TD", "退订"]
    assert InboundReply.objects.filter(opt_out=False).exists()
    for reply in opt_outs:
        (preference,) = ContactPreference.objects.filter(customer__mobile=reply.phone, reason=f"短信回复“{reply.text}”")
        assert (preference.channel, preference.purpose, preference.allowed) == ("sms", "marketing", False)
        assert preference.recorded_on == timezone.localdate(reply.received_at)
        assert TimelineEntry.objects.filter(customer=preference.customer, params__variant="opt_out",
                                            params__text=reply.text).count() == 1


def test_the_sms_history_is_capped_not_as_large_as_the_archive(staff, settings, monkeypatch):
    from customers import demo
    from dealer_crm.messaging.models import OutboundMessage

    monkeypatch.setattr(demo, "SMS_SAMPLE", 40)
    seed_customers(count=400, seed=5, today=TODAY)
    customers = set(OutboundMessage.objects.values_list("customer_id", flat=True))
    assert 0 < len(customers) <= 40


def _outbox_digest() -> str:
    from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, InboundReply, OutboundMessage

    digest = hashlib.sha256()
    for model in (BulkSend, OutboundMessage, DeliveryReceipt, InboundReply, ContactPreference, TimelineEntry):
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model.objects.order_by("id").values_list(*names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_outbox(staff):
    seed_customers(count=150, seed=9, today=TODAY)
    first = _outbox_digest()
    _empty_the_store()
    seed_customers(count=150, seed=9, today=TODAY)
    assert _outbox_digest() == first
