"""What the appointments services' tests share (no tests here): the installation's workshop as
migration 0002 ships it, slots of given days, customers with a car, and the store's moments.

The shipped workshop: 服务顾问1–3, each 2 places an hour on working days at 8, 9, 10, 11, 13, 14, 15 and
16 o'clock, 1 place on rest days at 9, 10, 11, 13, 14 and 15 o'clock.

Dates are the State Council's 2026 arrangement: Wednesday 30 September a working day; 1–7 October
the National Day holiday (国庆节); Saturday 10 October a make-up working day (调休上班); Sunday 11
October a rest day.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from followups.appointments.models import Capacity, ServiceResource, Slot
from tests.customers.factories import CustomerFactory, make_vehicle

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = date(2026, 9, 30)
THURSDAY = date(2026, 10, 8)
FRIDAY = date(2026, 10, 9)
MAKE_UP_SATURDAY = date(2026, 10, 10)
SUNDAY = date(2026, 10, 11)
WORKDAY_HOURS = [8, 9, 10, 11, 13, 14, 15, 16]
REST_DAY_HOURS = [9, 10, 11, 13, 14, 15]

_serials = iter(range(990_000, 999_999))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def shipped_workshop() -> list[ServiceResource]:
    """The three advisors of migration 0002 with their places (made again if a transactional test
    emptied the database), and nobody else."""
    import importlib

    from django.apps import apps

    ServiceResource.objects.exclude(name__in=["服务顾问1", "服务顾问2", "服务顾问3"]).delete()
    importlib.import_module("followups.appointments.migrations.0002_defaults").create_defaults(apps, None)
    return list(ServiceResource.objects.order_by("position"))


def one_advisor(name: str = "王顾问", *, hours=(9, 14), places: int = 5) -> ServiceResource:
    """Only this advisor takes cars: `places` an hour at `hours` on every kind of day."""
    ServiceResource.objects.all().delete()
    resource = ServiceResource.objects.create(name=name, position=1)
    Capacity.objects.bulk_create([Capacity(resource=resource, day_type=kind, hour=hour, places=places)
                                  for kind in ("workday", "rest_day") for hour in hours])
    return resource


def slot_of(resource: ServiceResource, day: date, hour: int) -> Slot:
    return Slot.objects.get(resource=resource, day=day, hour=hour)


def customer_with_car(*, name: str = "王建华", plate: str | None = None, mobile: str | None = None):
    fields = {"name": name, **({"mobile": mobile} if mobile else {})}
    customer = CustomerFactory(**fields)
    serial = next(_serials)
    vehicle = make_vehicle(customer, serial=serial, plate=plate if plate is not None else f"皖C{serial % 100000:05d}")
    return customer, vehicle
