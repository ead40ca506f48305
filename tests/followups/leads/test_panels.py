"""The home panel 待跟进的销售线索 ("leads"): for the sales manager the new leads nobody has yet and every
lead whose next contact has passed (red, how many days late); for a consultant their contacts due
today or overdue; the total on its badge, its rows linked, in a fixed number of queries."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from followups.leads import services

from .conftest import MONDAY_10, SHANGHAI, hand_over

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 30)
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


def panel(page: str) -> str:
    start = page.index('id="panel-leads"')
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def rows_of(page: str) -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def home(login, user) -> str:
    with time_machine.travel(MONDAY_10, tick=False):
        return login(user).get("/").content.decode()


@pytest.fixture
def store(agent, sales_manager, consultant, other_consultant):
    """On Friday: a new caller nobody has yet; one given to the consultant to be contacted on Friday
    (three days late on Monday); one given to them for Monday; one for Wednesday; one of the other
    consultant's for Saturday (late); one lost on Friday (closed: on nobody's desk)."""
    with time_machine.travel(FRIDAY, tick=False):
        new = hand_over(by=agent, name="王新", mobile="18655554001", model_interest="科雷傲")
        late = hand_over(by=agent, name="赵迟", mobile="18655554002", model_interest="卡缤")
        services.lead_assign(lead=late, to=consultant, by=sales_manager)
        today = hand_over(by=agent, name="李今", mobile="18655554003", model_interest="")
        services.lead_assign(lead=today, to=consultant, by=sales_manager, next_contact_on=TODAY)
        later = hand_over(by=agent, name="孙后", mobile="18655554004")
        services.lead_assign(lead=later, to=consultant, by=sales_manager, next_contact_on=date(2026, 12, 2))
        others = hand_over(by=agent, name="吴他", mobile="18655554005")
        services.lead_assign(lead=others, to=other_consultant, by=sales_manager, next_contact_on=date(2026, 11, 28))
        lost = hand_over(by=agent, name="钱失", mobile="18655554006")
        services.lead_assign(lead=lost, to=consultant, by=sales_manager)
        services.lead_lose(lead=lost, by=consultant, reason="暂不购车")
    return {"new": new, "late": late, "today": today, "later": later, "others": others, "lost": lost}


def test_the_manager_sees_the_new_ones_and_every_overdue_contact_first(login, sales_manager, store):
    page = home(login, sales_manager)
    rows = rows_of(page)
    assert rows == [
        f"{store['late'].number} · 赵迟 · 卡缤 · 周敏 逾期 3 天",
        f"{store['others'].number} · 吴他 · 科雷傲 · 吴刚 逾期 2 天",
        f"{store['new'].number} · 王新 · 科雷傲 新线索，尚未分派",
    ]
    assert "text-danger" in panel(page) and "text-warning" in panel(page)
    assert reverse("leads:lead_detail", args=[store["late"].pk]) in panel(page)
    assert '>3</span>' in panel(page)  # the badge: all of them
    assert reverse("leads:lead_list") in panel(page)  # See all


def test_a_consultant_sees_their_contacts_due_today_or_overdue(login, consultant, other_consultant, store):
    assert rows_of(home(login, consultant)) == [
        f"{store['late'].number} · 赵迟 · 卡缤 逾期 3 天",
        f"{store['today'].number} · 李今 · — 今天联系",
    ]
    assert rows_of(home(login, other_consultant)) == [f"{store['others'].number} · 吴他 · 科雷傲 逾期 2 天"]


def test_a_contact_recorded_takes_the_lead_off_the_desk_until_its_next_date(login, consultant, store):
    services.lead_contact(lead=store["late"], by=consultant, note="已电话沟通", next_contact_on=date(2026, 12, 4),
                          now=MONDAY_10 - timedelta(hours=1))
    assert [row.split(" · ")[1] for row in rows_of(home(login, consultant))] == ["李今"]


def test_nothing_due_says_so(login, consultant):
    page = home(login, consultant)
    assert rows_of(page) == [] and "今天没有待跟进的销售线索" in panel(page)


def test_the_panel_runs_the_same_queries_for_few_and_many_leads(login, sales_manager, agent, consultant,
                                                                django_assert_max_num_queries):
    def make(count: int, start: int):
        with time_machine.travel(FRIDAY, tick=False):
            for number in range(count):
                lead = hand_over(by=agent, name=f"客户{number}", mobile=f"18699{start + number:06d}")
                services.lead_assign(lead=lead, to=consultant, by=sales_manager)

    make(1, 0)
    client = login(sales_manager)
    with time_machine.travel(MONDAY_10, tick=False):
        client.get("/")
        with django_assert_max_num_queries(30) as few:
            client.get("/")
        make(12, 100)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get("/")
