"""Booking from a retention call on the callback workbench: the quietest free times offered first,
the booking made with the call and its reminder, a time taken meanwhile or a mistake bringing the
form back as it was, a no-show call starting from the missed appointment, a car already booked, who
may book, and what the panel costs."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealer_crm.accounts.roles import Role
from followups.appointments.models import Appointment, Capacity, ServiceResource, Slot
from followups.callbacks import extras
from followups.callbacks.services.calls import callback_take_next
from followups.retention.models import Reminder
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_callback, make_vehicle, publish_script

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # Wednesday; Thursday 3 and Friday 4 December are working days
THURSDAY, FRIDAY = date(2026, 12, 3), date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _at_ten_on_a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def colleague_agent(db):
    return UserFactory(username="agent_wu", display_name="吴敏", roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def advisor(db):
    """The one advisor who takes cars in these tests (the shipped ones are not in use)."""
    ServiceResource.objects.update(active=False)
    return ServiceResource.objects.create(name="李明", position=1)


@pytest.fixture
def owner(db):
    return CustomerFactory(name="王建华", mobile="13955501234")


@pytest.fixture
def car(owner):
    return make_vehicle(owner, serial=630001, plate="皖C63001", model_name="科雷傲", delivered=date(2025, 6, 1))


def slot(resource, day: date, hour: int, *, places: int = 2, booked: int = 0) -> Slot:
    return Slot.objects.create(resource=resource, day=day, hour=hour, places=places, booked=booked,
                               starts_at=datetime.combine(day, time(hour), tzinfo=SHANGHAI))


def reminder_call(vehicle, *, agent=None, kind: str = "maintenance", callback_kind: str = "reminder"):
    customer = vehicle.roles.get().customer
    reminder = Reminder.objects.create(vehicle=vehicle, customer=customer, kind=kind, cycle="after:1", channel="call",
                                       due_on=date(2026, 12, 15), window_end=date(2027, 1, 14),
                                       created_on=date(2026, 12, 1))
    callback = make_callback(customer=customer, vehicle=vehicle, kind=callback_kind, source_key=f"reminder:{reminder.pk}",
                             due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=14))
    Reminder.objects.filter(pk=reminder.pk).update(callback=callback)
    if agent is not None:
        assert callback_take_next(agent=agent).pk == callback.pk
    return callback


def page(client, callback) -> str:
    response = client.get(reverse("callbacks:callback_detail", args=[callback.pk]))
    assert response.status_code == 200
    return response.content.decode()


def booking(body: str) -> str:
    found = re.search(r'<div class="card-body py-2 small border-top" id="booking">.*?</form>|'
                      r'<div class="card-body py-2 small border-top" id="booking">.*?</div>\s*</div>', body, re.S)
    assert found, "no booking panel"
    return found.group(0)


def offered(body: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<input class="btn-check" type="radio" name="slot" id="slot-(\d+)"', body)]


def book_url(callback) -> str:
    return reverse("callbacks:callback_extra", args=[callback.pk, "appointments", "book"])


@pytest.fixture
def week(advisor):
    """Thursday busy in the morning, Friday empty; a full hour and one already gone by."""
    return {
        "today_past": slot(advisor, date(2026, 12, 2), 8),  # 08:00 today: over
        "thu_9_full": slot(advisor, THURSDAY, 9, booked=2),
        "thu_10": slot(advisor, THURSDAY, 10, booked=1),
        "thu_14": slot(advisor, THURSDAY, 14),
        "fri_9": slot(advisor, FRIDAY, 9),
        "fri_15": slot(advisor, FRIDAY, 15),
    }


# --- the form --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_quietest_free_times_are_offered_first(login, agent, car, week):
    """Quiet is the share booked of the slot's hour and of its day, counted equally: Friday's hours are
    empty (0); Thursday, 3 of 6 places booked, is half busy: 14:00 (0 + 1/2) / 2 = 1/4, 10:00 (1/2 + 1/2) / 2
    = 1/2. A full hour and one already past are not offered."""
    callback = reminder_call(car, agent=agent)
    body = page(login(agent), callback)
    assert offered(body) == [week["fri_9"].pk, week["fri_15"].pk, week["thu_14"].pk, week["thu_10"].pk]
    panel = booking(body)
    assert "预约到店" in panel and "最空闲的时段在前" in panel
    assert re.search(rf'id="slot-{week["fri_9"].pk}" value="{week["fri_9"].pk}" checked', panel)  # the quietest chosen
    assert "12-04" in panel and "09:00" in panel and "李明" in panel and "余 2 位" in panel and "余 1 位" in panel
    assert ">定期保养</textarea>" in panel  # the jobs start from what the call is for


@pytest.mark.django_db
def test_a_first_maintenance_call_starts_the_jobs_with_the_first_maintenance(login, agent, car, week):
    callback = reminder_call(car, agent=agent, kind="first", callback_kind="solicit")
    assert ">首保</textarea>" in booking(page(login(agent), callback))


@pytest.mark.django_db
def test_no_free_time_says_so_and_offers_another_day(login, agent, car, advisor):
    slot(advisor, THURSDAY, 9, booked=2)
    callback = reminder_call(car, agent=agent)
    panel = booking(page(login(agent), callback))
    assert "近几日没有空闲时段，请另选日期。" in panel
    assert re.search(r'id="slot-other" value="other" checked', panel)


# --- booking -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_booking_a_suggested_time_makes_the_appointment_with_the_call_and_its_reminder(login, agent, car, owner, week):
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    response = client.post(book_url(callback), {"slot": str(week["fri_9"].pk), "jobs": "定期保养\n 检查刹车片 \n",
                                                "words": "刹车时有点吱吱响", "parts": "前刹车片"})
    assert response.status_code == 302
    assert response["Location"] == reverse("callbacks:callback_detail", args=[callback.pk]) + "#extra-appointments"
    appointment = Appointment.objects.get()
    assert (appointment.customer, appointment.vehicle, appointment.slot, appointment.status, appointment.source) == (
        owner, car, week["fri_9"], "booked", "reminder")
    assert appointment.jobs == ["定期保养", "检查刹车片"]
    assert (appointment.customer_words, appointment.parts_note) == ("刹车时有点吱吱响", "前刹车片")
    assert appointment.callback == callback and appointment.booked_by == agent
    assert appointment.reminder == Reminder.objects.get(callback=callback)
    week["fri_9"].refresh_from_db()
    assert week["fri_9"].booked == 1
    body = client.get(response["Location"]).content.decode()
    assert "已预约：2026-12-04 09:00，李明。" in body  # the message
    panel = booking(body)
    assert "本次通话已预约" in panel and "2026-12-04" in panel and "09:00" in panel and "定期保养、检查刹车片" in panel
    assert "“刹车时有点吱吱响”" in panel
    assert 'id="booking-form"' not in panel  # booked once per call


@pytest.mark.django_db
def test_another_day_and_hour_books_the_place_there(login, agent, car, advisor):
    Capacity.objects.create(resource=advisor, day_type="workday", hour=11, places=2)
    callback = reminder_call(car, agent=agent)
    response = login(agent).post(book_url(callback), {"slot": "other", "day": "2026-12-08", "hour": "11",
                                                      "jobs": "定期保养"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.starts_at == datetime(2026, 12, 8, 11, 0, tzinfo=SHANGHAI)
    assert appointment.slot.resource == advisor and appointment.slot.booked == 1


@pytest.mark.django_db
def test_another_time_with_no_place_is_refused_with_the_times_free_near_it(login, agent, car, advisor, week):
    callback = reminder_call(car, agent=agent)
    response = login(agent).post(book_url(callback), {"slot": "other", "day": "2026-12-03", "hour": "9",
                                                      "jobs": "定期保养", "words": "想上午来"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "2026-12-03 9:00 已无空位，请从以下时段中选择。" in body
    assert offered(body) == [week["fri_9"].pk, week["fri_15"].pk, week["thu_14"].pk, week["thu_10"].pk]
    assert ">想上午来</textarea>" in body and 'value="2026-12-03"' in body
    assert re.search(r'id="slot-other" value="other" checked', body)
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_time_taken_meanwhile_brings_the_form_back_with_the_next_free_times(login, agent, car, week):
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    page(client, callback)  # the agent sees Friday 9:00 free…
    Slot.objects.filter(pk=week["fri_9"].pk).update(booked=2)  # …and a colleague books its last places
    response = client.post(book_url(callback), {"slot": str(week["fri_9"].pk), "jobs": "定期保养\n洗车",
                                                "words": "周五上午方便", "parts": "机油滤芯"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "该时段已约满" in body
    assert week["fri_9"].pk not in offered(body) and week["fri_15"].pk in offered(body)
    assert ">定期保养\n洗车</textarea>" in body and ">周五上午方便</textarea>" in body and ">机油滤芯</textarea>" in body
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_booking_without_jobs_is_refused_in_chinese_with_the_words_kept(login, agent, car, week):
    callback = reminder_call(car, agent=agent)
    response = login(agent).post(book_url(callback), {"slot": str(week["fri_9"].pk), "jobs": " \n ",
                                                      "words": "刹车时有点响"})
    body = response.content.decode()
    assert response.status_code == 400 and 'id="booking-error"' in body
    assert "作业" in re.search(r'id="booking-error">(.*?)</div>', body).group(1)
    assert ">刹车时有点响</textarea>" in body
    assert re.search(rf'id="slot-{week["fri_9"].pk}" value="{week["fri_9"].pk}" checked', body)
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_time_not_chosen_is_refused(login, agent, car, week):
    callback = reminder_call(car, agent=agent)
    response = login(agent).post(book_url(callback), {"slot": "", "jobs": "定期保养"})
    assert response.status_code == 400 and "请选择时间。" in response.content.decode()
    response = login(agent).post(book_url(callback), {"slot": "other", "day": "", "hour": "10", "jobs": "定期保养"})
    assert response.status_code == 400 and "请选择其他时间的日期和钟点。" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_only_who_holds_the_call_books_from_it(login, agent, colleague_agent, car, week):
    callback = reminder_call(car, agent=agent)
    data = {"slot": str(week["fri_9"].pk), "jobs": "定期保养"}
    assert login(colleague_agent).post(book_url(callback), data).status_code == 403
    assert login(colleague_agent).get(reverse("callbacks:callback_detail", args=[callback.pk])).status_code == 403
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_call_nobody_has_taken_offers_no_booking_form(login, agent, car, week):
    callback = reminder_call(car)  # in the queue, nobody's
    body = page(login(agent), callback)
    assert 'id="booking-form"' not in body
    assert login(agent).post(book_url(callback), {"slot": str(week["fri_9"].pk), "jobs": "定期保养"}).status_code == 403


# --- what the call is about ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_no_show_call_shows_the_missed_appointment_and_books_again_from_it(login, agent, owner, car, advisor, week):
    missed_slot = slot(advisor, date(2026, 11, 30), 9, booked=0)
    missed = Appointment.objects.create(customer=owner, vehicle=car, slot=missed_slot, starts_at=missed_slot.starts_at,
                                        status="no_show", source="reminder", jobs=["定期保养", "更换雨刮"],
                                        customer_words="雨刮刮不干净", parts_note="雨刮片", booked_at=NOW - timedelta(days=7))
    callback = make_callback(customer=owner, vehicle=car, kind="no_show", source_key=f"appointment:{missed.pk}",
                             due_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=7))
    Appointment.objects.filter(pk=missed.pk).update(no_show_callback=callback)
    callback_take_next(agent=agent)
    panel = booking(page(login(agent), callback))
    assert "2026-11-30 09:00 的预约" in panel and "定期保养、更换雨刮" in panel and "“雨刮刮不干净”" in panel
    assert "请询问客户未能到店的原因，并另约时间。" in panel
    assert ">定期保养\n更换雨刮</textarea>" in panel and ">雨刮刮不干净</textarea>" in panel and ">雨刮片</textarea>" in panel


@pytest.mark.django_db
def test_a_car_already_booked_shows_its_appointment_instead_of_the_form(login, agent, owner, car, week):
    Appointment.objects.create(customer=owner, vehicle=car, slot=week["thu_10"], starts_at=week["thu_10"].starts_at,
                               source="phone", jobs=["更换轮胎"], booked_at=NOW - timedelta(days=1))
    callback = reminder_call(car, agent=agent)
    panel = booking(page(login(agent), callback))
    assert "已有预约" in panel and "2026-12-03" in panel and "10:00" in panel and "更换轮胎" in panel
    assert 'id="booking-form"' not in panel


# --- what the panel costs ---------------------------------------------------------------------------------
def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_retention_calls_panels_cost_five_queries_whatever_the_slots_and_bookings(
        login, agent, owner, car, advisor, week, monkeypatch):
    """Retention: the reminder with the car's due state, the reasons recorded; appointments: the
    customer's bookings, then the suggestion's store days and slots; the hand-over to sales: none."""
    publish_script("reminder")
    callback = reminder_call(car, agent=agent)
    client = login(agent)
    url = reverse("callbacks:callback_detail", args=[callback.pk])
    few = _queries(client, url)
    for n in range(20):
        other = slot(advisor, FRIDAY + timedelta(days=4 + n // 8), 8 + n % 8, booked=n % 2)
        if n % 2:
            Appointment.objects.create(customer=CustomerFactory(), slot=other, starts_at=other.starts_at,
                                       source="phone", jobs=["保养"], booked_at=NOW)
    Appointment.objects.create(customer=owner, vehicle=None, slot=week["thu_14"], starts_at=week["thu_14"].starts_at,
                               source="phone", jobs=["洗车"], booked_at=NOW)
    assert _queries(client, url) == few
    monkeypatch.setattr(extras, "EXTRAS", {})
    assert _queries(client, url) == few - 5
