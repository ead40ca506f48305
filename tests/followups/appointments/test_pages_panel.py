"""The home panel 今日预约 ("appointments"): today's bookings still expected, by time, for the agents,
the lounge host and the after-sales manager; amber once their hour is over; linked to the desk's day."""

import re

import pytest
import time_machine

from dealer_crm.accounts.roles import Role
from dealer_crm.home import ROLE_HOME

from .test_pages_support import (
    WEDNESDAY,
    WEDNESDAY_0930,
    appointment,
    customer_with_car,
    detail_url,
    slot,
    slots,
    workshop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("workshop")]


def panel(page: str) -> str:
    start = page.index('id="panel-appointments"')
    return page[start:page.index("</section>", start)]


def rows_of(page: str) -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def home(login, user, *, at=WEDNESDAY_0930) -> str:
    with time_machine.travel(at, tick=False):
        return login(user).get("/").content.decode()


def test_the_roles_that_meet_the_customers_have_the_panel():
    for role in (Role.CALLBACK_AGENT, Role.LOUNGE_HOST, Role.SERVICE_MANAGER):
        assert "appointments" in ROLE_HOME[role]


def test_todays_expected_arrivals_by_time(login, service_manager, workshop):
    made = slots(workshop, WEDNESDAY)
    customer, vehicle = customer_with_car(name="王建华", plate="皖A51000")
    later = appointment(made["li", WEDNESDAY, 11], customer=customer, vehicle=vehicle, jobs=["首保", "洗车"])
    missed = appointment(made["wang", WEDNESDAY, 9])
    appointment(made["wang", WEDNESDAY, 10], status="arrived")
    appointment(made["wang", WEDNESDAY, 11], status="cancelled")
    appointment(slot(workshop["wang"], WEDNESDAY.replace(day=29), 10, places=2))  # yesterday
    page = home(login, service_manager, at=WEDNESDAY_0930.replace(hour=10, minute=5))
    rows = rows_of(page)
    assert len(rows) == 2 and rows[0].startswith(missed.customer.name)
    assert rows[1].startswith("王建华 · 皖A51000 · 首保、洗车") and "11:00 李顾问" in rows[1]
    part = panel(page)
    assert detail_url(later) in part and 'href="/appointments/day/"' in page
    assert re.search(r'<span class="badge rounded-pill text-bg-primary ms-auto">2</span>', page)
    # 9:00's hour is over and the customer is not in: amber; 11:00 is still to come.
    assert part.count("warning") == 1


def test_nothing_expected_says_so(login, colleague):
    page = home(login, colleague)
    assert "今天没有预约" in panel(page)
