"""A retention call on the callback workbench: why the store calls (the reminder, the vehicle's due
date by time or by mileage, the lapse), the concern asked about first, the lapse reasons recorded
from the call (a sold car stops its reminders and ends the call), and what the panels cost."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import VehicleRole
from dealer_crm.accounts.roles import Role
from followups.callbacks import extras
from followups.callbacks.models import Callback
from followups.callbacks.services.calls import callback_take_next
from followups.retention.models import Lapse, LapseBand, LapseReason, Reminder, ServiceDue
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_callback, make_vehicle, publish_script

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


@pytest.fixture(autouse=True)
def _at_ten_on_a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def colleague_agent(db):
    return UserFactory(username="agent_wu", display_name="吴敏", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def owner(db):
    return CustomerFactory(name="王建华", mobile="13955501234")


@pytest.fixture
def car(owner):
    return make_vehicle(owner, serial=610001, plate="皖C61001", model_name="科雷傲", delivered=date(2025, 6, 1))


def due_state(vehicle, **fields) -> ServiceDue:
    values = {"customer": vehicle.roles.get().customer, "delivered_on": date(2025, 6, 1),
              "first_done_on": date(2025, 8, 20), "last_maintenance_on": date(2026, 6, 10),
              "last_maintenance_km": 12000, "last_mileage": 12000, "last_mileage_on": date(2026, 6, 10),
              "km_per_day": Decimal("40.0"), "cycle": "after:1", "due_on": date(2026, 12, 15),
              "due_by": ServiceDue.DueBy.MILEAGE, "window_end": date(2027, 1, 14), "last_advisor": "李明"}
    values.update(fields)
    return ServiceDue.objects.create(vehicle=vehicle, **values)


def reminder_call(vehicle, *, agent=None, concern: str = "", kind: str = "maintenance", cycle: str = "after:1",
                  callback_kind: str = "reminder") -> Callback:
    """A reminder made a call, as the daily build makes it (source key `reminder:<id>`), taken by `agent`."""
    customer = vehicle.roles.get().customer
    reminder = Reminder.objects.create(
        vehicle=vehicle, customer=customer, kind=kind, cycle=cycle, channel="call", due_on=date(2026, 12, 15),
        window_end=date(2027, 1, 14), created_on=date(2026, 12, 1), advisor="李明", concern=concern)
    callback = make_callback(customer=customer, vehicle=vehicle, kind=callback_kind, source_key=f"reminder:{reminder.pk}",
                             due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=14))
    Reminder.objects.filter(pk=reminder.pk).update(callback=callback)
    if agent is not None:
        assert callback_take_next(agent=agent).pk == callback.pk
    return callback


def win_back_call(customer, *, agent=None) -> Callback:
    band = LapseBand.objects.get_or_create(months=12, defaults={"name": "流失12个月"})[0]
    lapse = Lapse.objects.create(customer=customer, band=band, since=date(2025, 11, 20), created_on=date(2026, 11, 21))
    callback = make_callback(customer=customer, kind="win_back", source_key=f"lapse:{lapse.pk}",
                             due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=14))
    Lapse.objects.filter(pk=lapse.pk).update(callback=callback)
    if agent is not None:
        assert callback_take_next(agent=agent).pk == callback.pk
    return callback


def page(client, callback) -> str:
    response = client.get(reverse("callbacks:callback_detail", args=[callback.pk]))
    assert response.status_code == 200
    return response.content.decode()


def purpose(body: str) -> str:
    """The panel saying what the call is for."""
    found = re.search(r'<section[^>]*id="call-purpose".*?</section>', body, re.S)
    assert found, "no call-purpose panel"
    return found.group(0)


# --- why the store calls ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_reminder_call_says_what_is_due_by_mileage_with_the_pace_and_the_last_maintenance(login, agent, car):
    due_state(car)
    callback = reminder_call(car, agent=agent)
    panel = purpose(page(login(agent), callback))
    assert "保养提醒" in panel and "皖C61001" in panel
    assert "2026-12-15" in panel and "按里程" in panel  # due on, and why then
    assert "2027-01-14前到店计为回店" in panel  # the window the visit counts in
    assert "2026-06-10" in panel and "12000 km" in panel and "日均40.0 km" in panel
    # 12,000 km on 10 June at 40 km a day: 175 days later, 12,000 + 7,000
    assert "今天约19000 km" in panel
    assert 'id="retention-concern"' not in panel


@pytest.mark.django_db
def test_the_concern_is_asked_about_first_in_red(login, agent, car):
    due_state(car)
    callback = reminder_call(car, agent=agent, concern="上次保养后空调异响（未结）")
    body = page(login(agent), callback)
    panel = purpose(body)
    concern = re.search(r'<div class="alert alert-danger[^"]*" role="alert" id="retention-concern">(.*?)</div>\s*</div>',
                        panel, re.S)
    assert concern and "先询问上次的问题" in concern.group(1) and "上次保养后空调异响（未结）" in concern.group(1)
    assert panel.index("retention-concern") < panel.index("retention-reminder")  # before the reminder itself


@pytest.mark.django_db
def test_a_first_maintenance_call_before_any_maintenance_says_when_the_car_was_delivered(login, agent, car):
    due_state(car, first_done_on=None, last_maintenance_on=None, last_maintenance_km=None, last_mileage=None,
              last_mileage_on=None, km_per_day=None, cycle="first", due_on=date(2026, 12, 20),
              due_by=ServiceDue.DueBy.TIME)
    callback = reminder_call(car, agent=agent, kind="first", cycle="first", callback_kind="solicit")
    panel = purpose(page(login(agent), callback))
    assert "首保招揽" in panel and "按时间" in panel
    assert "尚无（2025-06-01交车）" in panel


@pytest.mark.django_db
def test_the_due_state_of_a_later_cycle_does_not_claim_the_reminders_reason(login, agent, car):
    """The car came meanwhile: its due state is the next cycle's, so the reminder's 'by mileage' is unknown."""
    due_state(car, cycle="after:2", due_by=ServiceDue.DueBy.MILEAGE)
    callback = reminder_call(car, agent=agent, cycle="after:1")
    panel = purpose(page(login(agent), callback))
    assert "按里程" not in panel and "2026-12-15" in panel


@pytest.mark.django_db
def test_a_reminder_call_asked_for_by_hand_shows_the_cars_due_state(login, agent, car, owner):
    due_state(car)
    callback = make_callback(customer=owner, vehicle=car, kind="reminder", due_at=NOW - timedelta(hours=1),
                             expires_at=NOW + timedelta(days=3))
    callback_take_next(agent=agent)
    panel = purpose(page(login(agent), callback))
    assert "2026-12-15" in panel and "按里程" in panel and "日均40.0 km" in panel


@pytest.mark.django_db
def test_a_win_back_call_says_since_when_the_customer_stays_away(login, agent, owner, car):
    callback = win_back_call(owner, agent=agent)
    panel = purpose(page(login(agent), callback))
    assert "流失12个月" in panel and "自2025-11-20起未到店（12个月以上）" in panel
    assert "请询问客户不再来店的原因" in panel


@pytest.mark.django_db
def test_an_ssi_call_has_no_retention_panel(login, agent):
    publish_script("ssi")
    callback = make_callback(kind="ssi", due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=3))
    callback_take_next(agent=agent)
    body = page(login(agent), callback)
    assert 'id="call-purpose"' not in body


# --- what the panels cost ---------------------------------------------------------------------------
def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_an_ssi_calls_page_runs_no_query_for_the_retention_panels(login, agent, monkeypatch):
    publish_script("ssi")
    callback = make_callback(kind="ssi", due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=3))
    callback_take_next(agent=agent)
    client = login(agent)
    url = reverse("callbacks:callback_detail", args=[callback.pk])
    with_panels = _queries(client, url)
    monkeypatch.setattr(extras, "EXTRAS", {})
    assert _queries(client, url) == with_panels


@pytest.mark.django_db
def test_a_reminder_calls_page_runs_the_same_queries_whatever_the_customers_history(login, agent, car, owner):
    publish_script("reminder")
    due_state(car)
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    url = reverse("callbacks:callback_detail", args=[callback.pk])
    few = _queries(client, url)
    for n in range(6):
        other = make_vehicle(owner, serial=611000 + n, plate=f"皖C6110{n}")
        Reminder.objects.create(vehicle=other, customer=owner, kind="maintenance", cycle="after:9", channel="sms",
                                due_on=date(2026, 6, 1), window_end=date(2026, 7, 1), created_on=date(2026, 5, 18))
        LapseReason.objects.create(customer=owner, reason="price", recorded_at=NOW - timedelta(days=n), recorded_by=agent)
        make_callback(customer=owner, kind="reminder", status="completed", due_at=NOW - timedelta(days=n + 1))
    assert _queries(client, url) == few


# --- the lapse reasons, recorded from the call -------------------------------------------------------
def record_url(callback) -> str:
    return reverse("callbacks:callback_extra", args=[callback.pk, "retention-reasons", "record"])


@pytest.mark.django_db
def test_a_reason_not_chosen_is_refused_in_chinese_and_the_note_kept(login, agent, car):
    callback = reminder_call(car, agent=agent)
    response = login(agent).post(record_url(callback), {"reason": "", "note": "说下次再聊"})
    body = response.content.decode()
    assert response.status_code == 400 and "请选择原因。" in body
    assert 'value="说下次再聊"' in body
    assert not LapseReason.objects.exists()


@pytest.mark.django_db
def test_a_sold_car_must_be_one_the_customer_owns(login, agent, car):
    stranger = make_vehicle(CustomerFactory(name="李四"), serial=612001, plate="皖C61201")
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    response = client.post(record_url(callback), {"reason": "sold", "vehicle": str(stranger.pk), "note": "卖了"})
    assert response.status_code == 400 and "请选择客户名下的车辆。" in response.content.decode()
    response = client.post(record_url(callback), {"reason": "sold", "vehicle": "", "note": "卖了"})
    body = response.content.decode()
    assert response.status_code == 400 and "请选择已卖或已报废的是哪辆车。" in body
    assert re.search(r'<details class="reason-form" open>\s*<summary[^>]*id="reason-sold-open"', body)  # its form open
    assert not LapseReason.objects.exists()
    assert VehicleRole.objects.get(vehicle=stranger).ended_on is None


@pytest.mark.django_db
def test_only_who_holds_the_call_records_a_reason(login, agent, colleague_agent, car, colleague):
    callback = reminder_call(car, agent=agent)
    assert login(colleague_agent).post(record_url(callback), {"reason": "moved"}).status_code == 403
    assert login(colleague).post(record_url(callback), {"reason": "moved"}).status_code == 403  # not an agent at all
    assert not LapseReason.objects.exists()


@pytest.mark.django_db
def test_a_call_not_taken_shows_the_reasons_without_their_forms(login, agent, car):
    callback = reminder_call(car)  # nobody's yet
    LapseReason.objects.create(customer=callback.customer, reason="price", recorded_at=NOW - timedelta(days=3),
                               recorded_by=agent)
    panel = purpose(page(login(agent), callback))
    assert len(re.findall(r'class="badge text-bg-light border lapse-reason"', panel)) == 1
    assert 'id="reason-sold-form"' not in panel
    assert login(agent).post(record_url(callback), {"reason": "moved"}).status_code == 403


@pytest.mark.django_db
def test_an_unknown_panel_or_a_panel_of_another_kind_is_not_found(login, agent, car):
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    assert client.post(reverse("callbacks:callback_extra", args=[callback.pk, "nothing", "record"])).status_code == 404
    assert client.post(reverse("callbacks:callback_extra", args=[callback.pk, "retention-reasons", "x"])).status_code == 404
    ssi = make_callback(kind="ssi", due_at=NOW - timedelta(hours=1), agent=agent, status="in_progress")
    assert client.post(record_url(ssi), {"reason": "moved"}).status_code == 404
    assert client.get(record_url(callback)).status_code == 405


@pytest.mark.django_db
def test_car_sold_on_the_call_ends_the_owner_role_and_stops_the_cars_reminders_and_other_calls(
        login, agent, car, owner):
    callback = reminder_call(car, agent=agent)
    reminder = Reminder.objects.get(callback=callback)
    waiting = make_callback(customer=owner, vehicle=car, kind="solicit", due_at=NOW + timedelta(days=2))
    client = login(agent)
    response = client.post(record_url(callback), {"reason": "sold", "vehicle": str(car.pk), "note": "上个月卖给了朋友"})
    assert response.status_code == 302
    reason = LapseReason.objects.get()
    assert (reason.customer, reason.vehicle, reason.reason, reason.note, reason.recorded_by) == (
        owner, car, "sold", "上个月卖给了朋友", agent)
    assert VehicleRole.objects.get(vehicle=car, customer=owner).ended_on == date(2026, 12, 2)
    reminder.refresh_from_db()
    waiting.refresh_from_db()
    callback.refresh_from_db()
    assert reminder.status == Reminder.Status.CANCELLED
    assert waiting.status == Callback.Status.CANCELLED
    assert callback.status == Callback.Status.IN_PROGRESS  # the agent finishes the call they are on
    body = client.get(response["Location"]).content.decode()
    assert "该车的保养提醒和招揽电话已停止" in body and "皖C61001" in body


@pytest.mark.django_db
def test_moved_away_on_a_win_back_call_loses_the_lapse_and_the_agent_finishes_the_call(login, agent, owner, car):
    callback = win_back_call(owner, agent=agent)
    client = login(agent)
    response = client.post(record_url(callback), {"reason": "moved", "note": "搬到合肥了"})
    assert response.status_code == 302
    assert response["Location"] == reverse("callbacks:callback_detail", args=[callback.pk]) + "#extra-retention-reasons"
    lapse = Lapse.objects.get(customer=owner)
    assert lapse.status == Lapse.Status.LOST
    assert LapseReason.objects.get().lapse == lapse
    callback.refresh_from_db()
    assert callback.status == Callback.Status.IN_PROGRESS  # still the agent's, to complete or close
    panel = purpose(page(client, callback))
    assert len(re.findall(r'class="badge text-bg-light border lapse-reason"', panel)) == 1


@pytest.mark.django_db
def test_a_retention_call_hands_a_buyer_over_to_sales_from_the_call(login, agent, car):
    callback = reminder_call(car, agent=agent)
    panel = purpose(page(login(agent), callback))
    assert f'href="{reverse("leads:lead_create")}?callback={callback.pk}"' in panel and "转销售线索" in panel
