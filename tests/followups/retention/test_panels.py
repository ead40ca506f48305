"""The agents' home panel 保养提醒与招揽 ("reminders"): today's retention calls (首保招揽, 保养提醒,
流失挽回, 预约未到) that are the agent's or nobody's, in the order "take the next" gives them, and the
letters waiting to be printed; the badge counts them all; a fixed number of queries."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dealer_crm.accounts.roles import Role
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.followups.factories import make_callback

from .test_pages_support import car, reminder

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)


def panel(page: str, key: str = "reminders") -> str:
    start = page.index(f'id="panel-{key}"')
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def rows_of(page: str, key: str = "reminders") -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page, key), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def badge(page: str) -> str:
    return re.search(r'<span class="badge rounded-pill[^"]*">(\d+)</span>', panel(page)).group(1)


def home(login, user) -> str:
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        return login(user).get("/").content.decode()


def call(kind: str, *, name: str, agent=None, due=MORNING, **fields):
    return make_callback(customer=CustomerFactory(name=name), kind=kind, due_at=due, agent=agent, **fields)


def test_the_agent_sees_todays_retention_calls_theirs_or_nobodys_and_the_letters(login, agent):
    other = UserFactory(username="agent_zhou", display_name="周丽", roles=[Role.CALLBACK_AGENT])
    call("solicit", name="王一", agent=agent)
    call("reminder", name="王二")
    call("win_back", name="王三", due=MORNING + timedelta(minutes=30))
    call("no_show", name="王四", agent=agent, due=MORNING + timedelta(minutes=40))
    call("reminder", name="周家的", agent=other)  # another agent's
    call("csi", name="回访客户")  # the callback centre's own panel has it
    call("reminder", name="明天的", due=MORNING + timedelta(days=1))  # not today
    call("reminder", name="已完成", status="completed")
    for _n in range(2):
        reminder(car(CustomerFactory(address="合肥市")), channel="letter", status="pending")
    reminder(channel="letter", status="done")
    page = home(login, agent)
    rows = rows_of(page)
    names = [row.split(" · ")[0] for row in rows[:-1]]
    assert sorted(names) == ["王一", "王三", "王二", "王四"]
    assert any("首保招揽电话" in row for row in rows) and any("流失挽回电话" in row for row in rows)
    assert rows[-1].startswith("2 封信件待打印")
    assert badge(page) == "6"  # four calls and two letters
    assert 'href="/retention/letters/"' in panel(page) and 'href="/retention/reminders/"' in panel(page)


def test_the_callbacks_panel_leaves_the_retention_calls_to_this_one(login, agent):
    call("solicit", name="王一", agent=agent)
    call("csi", name="回访客户", agent=agent)
    page = home(login, agent)
    callbacks = " ".join(rows_of(page, "callbacks"))
    assert "回访客户" in callbacks and "王一" not in callbacks
    assert "王一" in " ".join(rows_of(page)) and "回访客户" not in " ".join(rows_of(page))


def test_nothing_to_do_says_so(login, agent):
    page = home(login, agent)
    assert rows_of(page) == [] and "今天没有到期的提醒。" in panel(page) and badge(page) == "0"


def test_the_panel_shows_six_calls_and_counts_them_all(login, agent):
    for n in range(8):
        call("reminder", name=f"客户{n}", due=MORNING + timedelta(minutes=n))
    page = home(login, agent)
    assert len(rows_of(page)) == 6 and badge(page) == "8"


def test_the_panel_runs_at_most_three_queries_for_one_call_and_for_many(login, agent, django_assert_max_num_queries):
    from followups.retention.panels import _retention_work

    call("reminder", name="客户", agent=agent)
    reminder(channel="letter", status="pending")
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        agent = type(agent).objects.get(pk=agent.pk)
        agent.has_perm("x")  # the permission cache
        # The calls shown, their count (asked only when they fill the panel), the letters waiting.
        with django_assert_max_num_queries(3):
            _retention_work(user=agent, today=MORNING.date())
        for n in range(12):
            call(("solicit", "reminder", "win_back", "no_show")[n % 4], name=f"客户{n}", agent=agent if n % 2 else None)
            reminder(channel="letter", status="pending")
        with django_assert_max_num_queries(3):
            _retention_work(user=agent, today=MORNING.date())
