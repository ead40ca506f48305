"""What the retention pages' tests share: reminders, lapses and bands made with the ORM at known
dates (the rows the daily jobs would make), and reading a page's rows. (No tests here.)"""

import re
from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from dealer_crm.accounts.roles import Role
from followups.retention.models import Lapse, LapseBand, LapseReason, Reminder
from tests.customers.factories import CustomerFactory, valid_vin
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMINDERS = reverse("retention:reminder_list")
LETTERS = reverse("retention:letters")
LAPSES = reverse("retention:lapse_list")
REPORT = reverse("retention:report")
BANDS = reverse("retention:band_list")

_serials = count(810_000)
_plates = count(1)


MITSUBISHI_MODELS = {"欧蓝德", "劲炫", "帕杰罗"}


def car(customer=None, *, model_name: str = "科雷傲", delivered: date = date(2026, 1, 10), **customer_fields):
    """A vehicle delivered to `customer` (a new one by default), with a plate of its own; a
    Mitsubishi for the catalogue's Mitsubishi models, a Renault otherwise."""
    from customers import services
    from customers.models import Vehicle

    customer = customer or CustomerFactory(**customer_fields)
    brand = Vehicle.Brand.MITSUBISHI if model_name in MITSUBISHI_MODELS else Vehicle.Brand.RENAULT
    return services.vehicle_add(customer=customer, by=None, vin=valid_vin(next(_serials)), plate=f"皖A{next(_plates):05d}",
                                brand=brand, model_name=model_name, delivery_date=delivered)


def visit(vehicle, *, on: date, kind: str = "scheduled", advisor: str = "", customer=None):
    from customers.services import service_visit_record

    return service_visit_record(vehicle=vehicle, customer=customer, ro_number=f"RO{next(_serials)}", opened_on=on,
                                closed_on=on, kind=kind, mileage=8000, advisor=advisor)


def reminder(vehicle=None, *, kind: str = "maintenance", channel: str = "sms", status: str = "done",
             made: date = date(2026, 3, 2), due: date | None = None, advisor: str = "", converted: date | None = None,
             cycle: str | None = None, **fields) -> Reminder:
    """A reminder made on `made`, due two weeks later, its window 30 days after; `converted` is the
    day the vehicle came back (a repair order of that day is recorded)."""
    vehicle = vehicle or car()
    customer = vehicle.roles.get(kind="owner", ended_on__isnull=True).customer
    due = due or made + timedelta(days=14)
    came = visit(vehicle, on=converted, advisor=advisor) if converted else None
    return Reminder.objects.create(
        vehicle=vehicle, customer=customer, kind=kind, channel=channel, status=status,
        cycle=cycle or f"test:{next(_serials)}", due_on=due, window_end=due + timedelta(days=30), created_on=made,
        advisor=advisor, converted_visit=came, converted_on=converted, **fields)


def band(months: int = 6, *, name: str | None = None, **fields) -> LapseBand:
    found, _created = LapseBand.objects.update_or_create(
        months=months, defaults={"name": name or f"流失{months}个月", **fields})
    return found


def lapse(customer=None, *, months: int = 6, since: date = date(2025, 9, 1), made: date | None = None,
          status: str = "open", **fields) -> Lapse:
    customer = customer or CustomerFactory()
    return Lapse.objects.create(customer=customer, band=band(months), since=since,
                                created_on=made or since + timedelta(days=months * 31), status=status, **fields)


def reason(customer, *, code: str = "price", by=None, note: str = "", at: datetime | None = None, **fields):
    return LapseReason.objects.create(customer=customer, reason=code, note=note, recorded_by=by,
                                      recorded_at=at or timezone.now(), **fields)


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, element_id: str) -> str:
    """The HTML of the table row with that id."""
    match = re.search(rf'<tr id="{re.escape(element_id)}"[^>]*>.*?</tr>', page, re.S)
    assert match, f"no row {element_id}"
    return match.group(0)


def text_of(fragment: str) -> str:
    """What a person reads: the tags taken out, the spaces made one."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def cells_of(row: str) -> list[str]:
    """The texts of a row's cells, header cells included, in order."""
    return [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def marketing_user():
    """Signed in, with no right to retention at all (the colleague who must not see it)."""
    return UserFactory(username="marketing_he", display_name="何静", roles=[Role.MARKETING])
