"""The home panel 本周生日 ("birthdays"): the next days' birthdays of customers and children, today's
first and highlighted, the badge counting them all; for the agents, interviewers and the supervisor."""

import re
from datetime import date

import pytest
import time_machine

from events.birthdays.panels import PANEL_ROWS, _birthdays_week

from .conftest import at, child, customer

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 3)


def panel(page: str) -> str:
    start = page.index('id="panel-birthdays"')
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def rows_of(page: str) -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def badge(page: str) -> str:
    return re.search(r'<span class="badge rounded-pill[^"]*">(\d+)</span>', panel(page)).group(1)


def home(login, user) -> str:
    with time_machine.travel(at(TODAY, 9), tick=False):
        return login(user).get("/").content.decode()


def test_the_agent_sees_todays_birthdays_first_and_the_childs_with_the_parent(login, agent):
    customer(name="王建国", born=date(1970, 12, 3), importance="vip")
    parent = customer(name="张伟", born=date(1985, 3, 1))
    child(parent, name="张小宝", born=date(2019, 12, 5))
    customer(name="下周", born=date(1990, 12, 10))
    page = home(login, agent)
    assert rows_of(page) == ["王建国 · 56岁 · VIP 今天", "张小宝（张伟的子女） · 7岁 12-05"]
    assert badge(page) == "2" and 'href="/birthdays/"' in panel(page)


def test_the_panel_shows_six_and_counts_them_all(login, agent):
    for n in range(9):
        customer(name=f"客户{n}", born=date(1980, 12, 4))
    page = home(login, agent)
    assert len(rows_of(page)) == PANEL_ROWS and badge(page) == "9"


def test_nobody_says_so(login, agent):
    page = home(login, agent)
    assert rows_of(page) == [] and "未来7天没有人过生日。" in panel(page)


def test_the_panel_runs_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    for n in range(8):
        parent = customer(name=f"客户{n}", born=date(1980, 12, 4))
        child(parent, name=f"孩子{n}", born=date(2015, 12, 5))
    agent = type(agent).objects.get(pk=agent.pk)
    agent.has_perm("x")  # the permission cache
    # the count, the rows shown, their customers, their children, their greetings, the children's gifts
    with django_assert_max_num_queries(6):
        rows = _birthdays_week(user=agent, today=TODAY)
    assert rows.total == 16 and len(rows.rows) == PANEL_ROWS


def test_a_lounge_host_has_no_birthday_panel_rows(colleague):
    customer(name="王建国", born=date(1970, 12, 3))
    assert _birthdays_week(user=colleague, today=TODAY).total == 0
