"""The customer page's retention parts, added by the features above the archive (customers/sections.py):
the 预约 and 招揽 sections, the 预约到店 and 销售线索 buttons, and 车已卖 on each car the customer owns
with its confirmation page; who sees them, and what they cost."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import sections
from customers.models import VehicleRole
from dealer_crm.accounts.roles import Role
from followups.appointments.models import Appointment, ServiceResource, Slot
from followups.retention.models import Reminder, ServiceDue
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _at_ten_on_a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def marketing(db):
    """Reads the archive, but neither appointments nor reminders."""
    return UserFactory(username="marketing_he", display_name="何静", roles=[Role.MARKETING])


@pytest.fixture
def sales_manager(db):
    return UserFactory(username="sales_sun", display_name="孙伟", roles=[Role.SALES_MANAGER])


@pytest.fixture
def owner(db):
    return CustomerFactory(name="王建华", mobile="13955501234")


@pytest.fixture
def car(owner):
    return make_vehicle(owner, serial=620001, plate="皖C62001", model_name="科雷傲", delivered=date(2025, 6, 1))


_hours = iter(range(0, 10_000))


def appointment(customer, vehicle, *, at: datetime, status: str = "booked", jobs=("定期保养",), words: str = "",
                resource: ServiceResource | None = None) -> Appointment:
    resource = resource or ServiceResource.objects.get_or_create(name="李明")[0]
    slot = Slot.objects.create(resource=resource, day=at.date(), hour=at.hour, starts_at=at, places=2,
                               booked=1 if status == "booked" else 0)
    return Appointment.objects.create(customer=customer, vehicle=vehicle, slot=slot, starts_at=at, status=status,
                                      source="customer", jobs=list(jobs), customer_words=words, booked_at=NOW)


def detail(client, customer) -> str:
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, name: str) -> str:
    found = re.search(rf'<section[^>]*id="section-{name}".*?</section>', body, re.S)
    return found.group(0) if found else ""


# --- the 预约 section --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_appointments_section_lists_those_ahead_first_then_the_past_ones_with_what_became_of_them(
        login, agent, owner, car):
    ahead = appointment(owner, car, at=datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI), words="刹车有异响")
    missed = appointment(owner, car, at=datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI), status="no_show")
    came = appointment(owner, car, at=datetime(2026, 6, 10, 14, 0, tzinfo=SHANGHAI), status="arrived",
                       jobs=("首次保养", "检查轮胎"))
    shown = section(detail(login(agent), owner), "appointments")
    assert "预约" in shown
    rows = re.findall(r'<li class="list-group-item py-1 appointment-(ahead|past)[^"]*" id="appointment-(\d+)"', shown)
    assert rows == [("ahead", str(ahead.pk)), ("past", str(missed.pk)), ("past", str(came.pk))]
    assert "2026-12-08" in shown and "10:00" in shown and "李明" in shown and "“刹车有异响”" in shown
    assert "首次保养、检查轮胎" in shown


@pytest.mark.django_db
def test_a_customer_without_appointments_is_told_so_with_the_booking_link(login, agent, owner):
    shown = section(detail(login(agent), owner), "appointments")
    assert "尚无预约。" in shown
    assert f'href="{reverse("appointments:book")}?customer={owner.pk}&amp;source=customer"' in shown


# --- the 招揽 section --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_retention_section_says_when_each_car_is_due_and_the_last_reminders(login, agent, owner, car):
    ServiceDue.objects.create(vehicle=car, customer=owner, delivered_on=date(2025, 6, 1), first_done_on=date(2025, 8, 20),
                              last_maintenance_on=date(2026, 6, 10), last_maintenance_km=12000,
                              km_per_day=Decimal("40.0"), cycle="after:1", due_on=date(2026, 12, 15), due_by="km")
    Reminder.objects.create(vehicle=car, customer=owner, kind="first", cycle="first", channel="sms", status="done",
                            due_on=date(2025, 9, 1), window_end=date(2025, 9, 30), created_on=date(2025, 8, 2),
                            converted_on=date(2025, 8, 20))
    later = Reminder.objects.create(vehicle=car, customer=owner, kind="maintenance", cycle="after:1", channel="call",
                                    due_on=date(2026, 12, 15), window_end=date(2027, 1, 14), created_on=date(2026, 12, 1))
    shown = section(detail(login(agent), owner), "retention")
    assert "招揽" in shown
    assert "保养到期 2026-12-15" in shown and "上次保养 2026-06-10 · 12000 km" in shown and "日均40.0 km" in shown
    assert "首保 2025-08-20" in shown
    reminders = re.findall(r'id="reminder-(\d+)"', shown)
    assert reminders[0] == str(later.pk) and len(reminders) == 2  # the newest first
    assert "2025-08-20 回店" in shown


@pytest.mark.django_db
def test_the_retention_section_of_a_customer_not_worked_out_yet_says_so(login, agent, owner, car):
    shown = section(detail(login(agent), owner), "retention")
    assert "尚未算出客户车辆的保养到期日。" in shown and "尚未发送提醒。" in shown


# --- who sees what -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_agent_has_the_booking_the_lead_and_the_car_sold_buttons(login, agent, owner, car):
    body = detail(login(agent), owner)
    assert 'id="appointment-book-link"' in body and "预约到店" in body
    assert f'href="{reverse("leads:lead_create")}?customer={owner.pk}"' in body and "销售线索" in body
    assert f'href="{reverse("customers:vehicle_act", args=[owner.pk, car.pk, "sold"])}"' in body and "车已卖" in body


@pytest.mark.django_db
def test_a_driver_gets_no_car_sold_button_for_a_car_they_do_not_own(login, agent, owner, car):
    driver = CustomerFactory(name="王小明")
    VehicleRole.objects.create(vehicle=car, customer=driver, kind="driver", started_on=date(2026, 1, 1))
    body = detail(login(agent), driver)
    assert 'id="vehicle-%d-sold"' % car.pk not in body
    assert "皖C62001" in body


@pytest.mark.django_db
def test_a_reader_without_the_rights_sees_neither_section_nor_button(login, admin_user, owner, car):
    """The system administrator reads the archive but books nothing and hands no lead over (marketing
    hands walk-ins over at an event's door)."""
    appointment(owner, car, at=datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI))
    body = detail(login(admin_user), owner)
    assert 'id="section-appointments"' not in body and 'id="section-retention"' not in body
    assert 'id="appointment-book-link"' not in body and 'id="lead-create-link"' not in body
    assert "vehicle-action" not in body


@pytest.mark.django_db
def test_the_sales_manager_hands_over_a_lead_but_books_nothing(login, sales_manager, owner, car):
    body = detail(login(sales_manager), owner)
    assert 'id="lead-create-link"' in body
    assert 'id="appointment-book-link"' not in body and "vehicle-action" not in body


# --- 车已卖: the confirmation page -----------------------------------------------------------------------
def sold_url(customer, vehicle) -> str:
    return reverse("customers:vehicle_act", args=[customer.pk, vehicle.pk, "sold"])


@pytest.mark.django_db
def test_the_car_sold_page_says_what_confirming_does_before_anything_changes(login, agent, owner, car):
    response = login(agent).get(sold_url(owner, car))
    body = response.content.decode()
    assert response.status_code == 200
    assert "客户已卖掉这辆车" in body and "皖C62001" in body
    assert "该车不再收到保养提醒，未完成的招揽电话将被取消" in body and "确定：车已卖" in body
    assert 'name="on" value="2026-12-02"' in body  # today, as the date input reads it
    assert VehicleRole.objects.get(vehicle=car).ended_on is None


@pytest.mark.django_db
def test_confirming_the_sale_ends_the_owner_role_and_the_cars_reminders(login, agent, owner, car):
    pending = Reminder.objects.create(vehicle=car, customer=owner, kind="maintenance", cycle="after:1", channel="letter",
                                      due_on=date(2026, 12, 15), window_end=date(2027, 1, 14), created_on=date(2026, 12, 1))
    client = login(agent)
    response = client.post(sold_url(owner, car), {"on": "2026-11-28", "note": "卖给了同事"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[owner.pk])
    assert VehicleRole.objects.get(vehicle=car, customer=owner).ended_on == date(2026, 11, 28)
    pending.refresh_from_db()
    assert pending.status == Reminder.Status.CANCELLED
    body = detail(client, owner)
    assert "已记录：皖C62001 已卖。" in body
    assert 'id="vehicle-%d-sold"' % car.pk not in body  # no longer theirs: an earlier vehicle now


@pytest.mark.django_db
def test_a_sale_in_the_future_is_refused_in_chinese_and_the_note_kept(login, agent, owner, car):
    response = login(agent).post(sold_url(owner, car), {"on": "2026-12-09", "note": "卖给了同事"})
    body = response.content.decode()
    assert response.status_code == 200 and "出售日期不能晚于今天。" in body
    assert 'value="卖给了同事"' in body
    assert VehicleRole.objects.get(vehicle=car).ended_on is None


@pytest.mark.django_db
def test_the_car_sold_page_refuses_who_may_not_record_it(login, marketing, sales_manager, owner, car):
    assert login(marketing).get(sold_url(owner, car)).status_code == 403
    assert login(sales_manager).post(sold_url(owner, car), {"on": "2026-12-01"}).status_code == 403
    assert VehicleRole.objects.get(vehicle=car).ended_on is None


@pytest.mark.django_db
def test_the_car_sold_page_is_not_found_for_a_car_the_customer_does_not_own(login, agent, owner, car):
    other = CustomerFactory(name="李四")
    assert login(agent).get(sold_url(other, car)).status_code == 404
    assert login(agent).get(reverse("customers:vehicle_act", args=[owner.pk, car.pk, "painted"])).status_code == 404


@pytest.mark.django_db
def test_the_car_sold_page_needs_a_login(client, owner, car):
    response = client.get(sold_url(owner, car))
    assert response.status_code == 302 and "/login" in response["Location"]


# --- what the sections cost --------------------------------------------------------------------------
def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_sections_cost_a_fixed_number_of_queries_whatever_the_customers_history(login, agent, owner, car, monkeypatch):
    client = login(agent)
    url = reverse("customers:detail", args=[owner.pk])
    few = _queries(client, url)
    resource = ServiceResource.objects.create(name="张伟")
    for n in range(12):
        appointment(owner, car, at=datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI) + timedelta(days=n), status="arrived",
                    resource=resource)
        Reminder.objects.create(vehicle=car, customer=owner, kind="maintenance", cycle=f"after:{n}", channel="sms",
                                due_on=date(2026, 1, 1), window_end=date(2026, 2, 1), created_on=date(2025, 12, 1))
    assert _queries(client, url) == few
    monkeypatch.setattr(sections, "SECTIONS", {})
    assert _queries(client, url) == few - 4  # 预约: one; 招揽: the dues and the reminders; 礼品: the requests


@pytest.mark.django_db
def test_a_reader_without_the_rights_pays_nothing_for_the_sections(login, admin_user, owner, monkeypatch):
    client = login(admin_user)
    url = reverse("customers:detail", args=[owner.pk])
    with_sections = _queries(client, url)
    monkeypatch.setattr(sections, "SECTIONS", {})
    monkeypatch.setattr(sections, "VEHICLE_ACTIONS", {})
    assert _queries(client, url) == with_sections
