"""The home panel 近期活动 ("events") of marketing and the DCRC supervisor: the events still to come,
soonest first, each with its day and time and how many are invited, coming and checked in, the next two
days' in amber; held, cancelled and past ones left out; the badge counts them all; two queries."""

import re
from datetime import timedelta

import pytest

from dealer_crm.home import PANELS
from events import services

from .conftest import EVENT_START, NOW, customer_with_car
from .pages_support import plan, url

pytestmark = pytest.mark.django_db


def panel(page: str) -> str:
    start = page.index('id="panel-events"')
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def rows_of(page: str) -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.fixture
def events(marketing, clock):
    soon = plan(by=marketing, title="明日讲堂", kind="class", starts_at=NOW + timedelta(days=1, hours=4))
    later = plan(by=marketing, title="车主日", kind="owners_day", starts_at=EVENT_START)
    cancelled = plan(by=marketing, title="取消的", starts_at=EVENT_START + timedelta(days=1))
    services.event_cancel(event=cancelled, by=marketing, reason="延期")
    gone = plan(by=marketing, title="今早的", starts_at=NOW + timedelta(minutes=30))
    customer_with_car(name="甲"), customer_with_car(name="乙")
    services.invitations_create(event=later, by=marketing)
    services.invitation_answer(invitation=later.invitations.first(), rsvp="yes", party_size=2, by=marketing)
    return {"soon": soon, "later": later, "gone": gone}


def test_marketing_sees_the_events_to_come_with_their_guests(login, marketing, events, clock):
    clock.move_to(NOW + timedelta(days=1))  # this morning's event is yesterday's now
    page = login(marketing).get("/").content.decode()
    assert rows_of(page) == ["明日讲堂 · 邀请 0 · 确认 0 · 签到 0 12-02 14:00",
                             "车主日 · 邀请 2 · 确认 1 · 签到 0 12-12 14:00"]
    first, second = re.findall(r'<li class="list-group-item.*?</li>', panel(page), flags=re.S)
    assert "text-warning" in first and "text-warning" not in second  # tomorrow's, in amber
    assert url("event_detail", events["soon"].pk) in panel(page) and url("event_list") in panel(page)


def test_the_dcrc_supervisor_sees_them_too_and_an_agent_does_not(login, supervisor, agent, events):
    assert "明日讲堂" in panel(login(supervisor).get("/").content.decode())
    assert 'id="panel-events"' not in login(agent).get("/").content.decode()


def test_nothing_planned_is_the_panel_s_empty_text(login, marketing, clock):
    assert "暂无计划中的活动" in panel(login(marketing).get("/").content.decode()) or \
        str(PANELS["events"].empty_text) in panel(login(marketing).get("/").content.decode())


def test_the_panel_reads_two_queries(marketing, events, django_assert_num_queries):
    marketing.has_perm("events.view_event")  # the rights, read once per request by the home page
    with django_assert_num_queries(1):  # fewer events than rows: the rows are the count
        found = PANELS["events"].items(user=marketing, today=NOW.date())
    assert found.total == 3
    for n in range(5):
        plan(by=marketing, title=f"多{n}", starts_at=EVENT_START + timedelta(days=n + 3))
    with django_assert_num_queries(2):
        found = PANELS["events"].items(user=marketing, today=NOW.date())
    assert (len(found.rows), found.total) == (5, 8)
