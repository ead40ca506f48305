"""What the appointments pages' tests share: a workshop of two advisors with known places, its slots
made for given days, appointments written as the services leave them, the personas who book and
who run the desk, and reading a page. (No tests here.)

Moments are in the store's zone. Wednesday 30 September 2026 is a working day; Thursday 1 October
to Wednesday 7 October is the National Day holiday (国庆节, with the Mid-autumn festival the week
before); Saturday 10 October is a make-up working day (调休上班) and Sunday 11 October a rest day —
as the State Council published them for 2026.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from dealer_crm.accounts.roles import Role
from followups.appointments.models import Appointment, Capacity, ServiceResource, Slot
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = date(2026, 9, 30)
WEDNESDAY_0930 = datetime(2026, 9, 30, 9, 30, tzinfo=SHANGHAI)
NATIONAL_DAY = date(2026, 10, 1)
MAKE_UP_SATURDAY = date(2026, 10, 10)
CALENDAR = reverse("appointments:calendar")
BOOK = reverse("appointments:book")
DAY = reverse("appointments:day")
CAPACITY = reverse("appointments:capacity")

_serials = iter(range(900_000, 990_000))


def html(response) -> str:
    return response.content.decode()


def text_of(page: str) -> str:
    """The page's words without its tags and with the spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def element(page: str, element_id: str) -> str:
    """The element with that id, up to its closing tag (the first one of its name that balances)."""
    start = page.index(f'id="{element_id}"')
    start = page.rindex("<", 0, start)
    name = re.match(r"<(\w+)", page[start:]).group(1)
    depth, position = 0, start
    for match in re.finditer(rf"<(/?){name}\b[^>]*>", page[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return page[start:position]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


# --- personas ----------------------------------------------------------------------------------------
@pytest.fixture
def lounge_host(db):
    return UserFactory(username="lounge_wu", display_name="吴敏", roles=[Role.LOUNGE_HOST])


@pytest.fixture
def interviewer(db):
    return UserFactory(username="interview_he", display_name="何静", roles=[Role.INTERVIEWER])


@pytest.fixture
def marketing_user(db):
    """Signed in, with no right to the appointments."""
    return UserFactory(username="marketing_ma", display_name="马丽", roles=[Role.MARKETING])


# --- the workshop ------------------------------------------------------------------------------------
def resource(name: str, *, position: int = 0, active: bool = True, kind: str = "advisor") -> ServiceResource:
    return ServiceResource.objects.create(name=name, position=position, active=active, kind=kind)


def capacity(resource: ServiceResource, *, hours, places: int, day_type: str = "workday") -> None:
    Capacity.objects.bulk_create([Capacity(resource=resource, day_type=day_type, hour=hour, places=places)
                                  for hour in hours])


@pytest.fixture
def workshop(db):
    """Two advisors instead of the installation's: 王顾问 takes 2 cars an hour on working days 9:00–11:00,
    李顾问 1; both 1 on weekends at 10:00. No slots yet (see `slots`)."""
    ServiceResource.objects.all().delete()
    wang, li = resource("王顾问", position=1), resource("李顾问", position=2)
    capacity(wang, hours=[9, 10, 11], places=2)
    capacity(li, hours=[9, 10, 11], places=1)
    capacity(wang, hours=[10], places=1, day_type="rest_day")
    capacity(li, hours=[10], places=1, day_type="rest_day")
    return {"wang": wang, "li": li}


def slot(resource: ServiceResource, day: date, hour: int, *, places: int, booked: int = 0) -> Slot:
    return Slot.objects.create(resource=resource, day=day, hour=hour, starts_at=at(day, hour), places=places,
                               booked=booked)


def slots(workshop, *days: date) -> dict[tuple[str, date, int], Slot]:
    """The working-day slots of both advisors on those days, as the capacities say, none booked."""
    made = {}
    for day in days:
        for hour in (9, 10, 11):
            made["wang", day, hour] = slot(workshop["wang"], day, hour, places=2)
            made["li", day, hour] = slot(workshop["li"], day, hour, places=1)
    return made


# --- customers and their bookings -------------------------------------------------------------------
def customer_with_car(*, name: str = "王建华", mobile: str = "13912345678", plate: str = "皖A51000",
                      model_name: str = "科雷傲", by=None):
    customer = CustomerFactory(name=name, mobile=mobile)
    vehicle = make_vehicle(customer, serial=next(_serials), plate=plate, model_name=model_name, by=by)
    return customer, vehicle


def appointment(slot: Slot, *, customer=None, vehicle=None, by=None, status: str = "booked", source: str = "phone",
                jobs=("首保",), words: str = "", parts: str = "", booked_at: datetime | None = None, **fields
                ) -> Appointment:
    """An appointment as `appointment_book` leaves it: the slot's place counted."""
    if customer is None:
        customer, vehicle = customer_with_car(plate=f"皖A{next(_serials) % 100000:05d}", by=by)
    row = Appointment.objects.create(
        customer=customer, vehicle=vehicle, slot=slot, starts_at=slot.starts_at, status=status, source=source,
        jobs=list(jobs), customer_words=words, parts_note=parts, booked_by=by,
        booked_at=booked_at or slot.starts_at - timedelta(days=2), **fields)
    if status in ("booked", "arrived", "no_show"):
        Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)
        slot.booked += 1
    return row


def detail_url(appointment: Appointment) -> str:
    return reverse("appointments:detail", args=[appointment.pk])


def local_now() -> datetime:
    return timezone.localtime()
