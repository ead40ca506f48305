"""What the membership pages' tests share: members made through the services at known dates (enrolled,
a paid visit that earns at one point a yuan — migration 0003's rule for scheduled maintenance), rewards,
the personas who may and may not use the pages, and reading a page's rows. (No tests here.)"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealer_crm.accounts.roles import Role
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
_serials = count(880_000)


@pytest.fixture
def clock():
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield NOW


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def customer_with_car(name: str = "王建华", *, mobile: str | None = None):
    from tests.customers.factories import CustomerFactory, make_vehicle

    customer = CustomerFactory(name=name, **({"mobile": mobile} if mobile else {}))
    return customer, make_vehicle(customer, serial=next(_serials))


def paid_visit(vehicle, *, on: date, total: str = "1000.00", kind: str = "scheduled"):
    from customers.services import service_visit_record

    total = Decimal(total)
    return service_visit_record(vehicle=vehicle, ro_number=f"RO{next(_serials)}", opened_on=on, closed_on=on, kind=kind,
                                mileage=10_000, labour_amount=total / 2, parts_amount=total / 2, total_amount=total)


def member(name: str = "王建华", *, points: int = 0, joined: date = date(2026, 1, 5), visit_on: date | None = None,
           mobile: str | None = None):
    """A member enrolled on `joined`, with `points` earned by one paid scheduled maintenance of that many
    yuan on `visit_on` (the joining day by default)."""
    from customers.membership.models import Member
    from customers.membership.services import member_enrol, points_earn_visit

    customer, vehicle = customer_with_car(name, mobile=mobile)
    found = member_enrol(customer=customer, by=None, on=joined, now=at(joined))
    if points:
        visit_on = visit_on or joined
        points_earn_visit(visit=paid_visit(vehicle, on=visit_on, total=f"{points}.00"), now=at(visit_on, 18))
    found = Member.objects.select_related("customer", "tier").get(pk=found.pk)
    found.vehicle = vehicle
    return found


def reward(name: str = "原厂脚垫一套", *, points: int = 1_000, kind: str = "accessory", stock: int | None = 5,
           active: bool = True):
    from customers.membership.models import Reward

    if kind == "labour":
        stock = None
    return Reward.objects.create(name=name, kind=kind, points=points, stock=stock, active=active)


# --- personas ---------------------------------------------------------------------------------------
def _persona(username: str, name: str, role: Role):
    from dealer_crm.accounts.models import User

    return User.objects.filter(username=username).first() or UserFactory(username=username, display_name=name,
                                                                         roles=[role])


def service_manager():
    """At the service desk: enrols members and redeems points (MEMBER_SERVE), corrects nothing."""
    return _persona("service_zhao", "赵强", Role.SERVICE_MANAGER)


def marketing_user():
    """Signed in, with no right to membership at all (the colleague who must not see it)."""
    return _persona("marketing_he", "何静", Role.MARKETING)


# --- reading pages ----------------------------------------------------------------------------------
def html(response) -> str:
    return response.content.decode()


def element(page: str, element_id: str, tag: str = r"\w+") -> str:
    """The HTML of the element with that id (up to its closing tag of the same name; no nesting of it)."""
    match = re.search(rf'<({tag})\b[^>]*\bid="{re.escape(element_id)}"[^>]*>.*?</\1>', page, re.S)
    assert match, f"no element {element_id}"
    return match.group(0)


def row_of(page: str, element_id: str) -> str:
    return element(page, element_id, "tr")


def text_of(fragment: str) -> str:
    """What a person reads: the tags taken out, the spaces made one."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def cells_of(row: str) -> list[str]:
    return [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def queries_of(client, url: str) -> int:
    """The queries a second GET of `url` runs (the first warms the session and permission caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def supervisor_user():
    """The DCRC supervisor: corrects points, keeps the catalogue, the tiers and the rules (MEMBER_RUN)."""
    return _persona("supervisor_sun", "孙丽", Role.DCRC_SUPERVISOR)
