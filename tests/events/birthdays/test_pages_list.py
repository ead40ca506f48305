"""The birthdays page (生日关怀, birthdays:birthday_list): the next 7 days' birthdays of customers
and children with the day, age, importance, this year's greeting (queued, sent, not sent and why),
the birthday call and the child's gift (申请礼品); today's rows highlighted; filters, pages, the
empty state; who may see it; a fixed number of queries."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from dealer_crm.messaging.models import OutboundMessage
from events.birthdays.services import birthdays_greet
from tests.followups.factories import refuse

from .conftest import at, child, customer

pytestmark = pytest.mark.django_db
LIST = reverse("birthdays:birthday_list")
TODAY = date(2026, 12, 3)


def get(client, query: str = "", hour: int = 9):
    with time_machine.travel(at(TODAY, hour), tick=False):
        return client.get(LIST + query)


def row(html: str, row_id: str) -> str:
    start = html.index(f'id="{row_id}"')
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</tr>", start)]).split())


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="(birthday-[a-z]+-\d+)"', html)


@pytest.fixture
def week(db):
    """Today's VIP (greeted by the morning's job, called), today's customer who refuses greetings by
    SMS, a child in two days, a customer in six days and one outside the window."""
    vip = customer(name="王建国", born=date(1970, 12, 3), importance="vip")
    refuser = customer(name="李四", born=date(1980, 12, 3))
    refuse(refuser, channel="sms", purpose="care")
    parent = customer(name="张伟", born=date(1985, 3, 1))
    son = child(parent, name="张小宝", born=date(2019, 12, 5))
    later = customer(name="赵六", born=date(1990, 12, 9), importance="important")
    customer(name="下周", born=date(1990, 12, 10))
    with time_machine.travel(at(TODAY), tick=False):
        birthdays_greet(on=TODAY)
    return {"vip": vip, "refuser": refuser, "parent": parent, "son": son, "later": later}


def test_the_agent_sees_the_weeks_birthdays_today_first_and_highlighted(login, agent, week):
    response = get(login(agent))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1 class=\"h4 mb-0\">生日关怀</h1>" in html and "4 人过生日" in html
    vip, refuser, son, later = week["vip"], week["refuser"], week["son"], week["later"]
    assert row_ids(html) == [f"birthday-customer-{vip.pk}", f"birthday-customer-{refuser.pk}",
                             f"birthday-child-{son.pk}", f"birthday-customer-{later.pk}"]
    highlighted = re.findall(r'<tr id="(birthday-[a-z]+-\d+)" class="table-warning birthday-today">', html)
    assert highlighted == [f"birthday-customer-{vip.pk}", f"birthday-customer-{refuser.pk}"]
    # today's VIP: 56 on the day, the greeting queued for the end of the quiet hours, the call open
    first = row(html, f"birthday-customer-{vip.pk}")
    assert "今天 12-03" in first and "王建国" in first and "56岁 VIP 待发送 08:00 待回访" in first
    assert reverse("callbacks:callback_detail", args=[vip.birthday_greetings.get().callback_id]) in html
    assert "未发送 已退订此类短信" in row(html, f"birthday-customer-{refuser.pk}")  # the platform's reason
    assert "12-05 星期六 张小宝 家长： 张伟" in row(html, f"birthday-child-{son.pk}")
    assert "7岁 普通 生日当天发送" in row(html, f"birthday-child-{son.pk}")
    assert "12-09 星期三 赵六" in row(html, f"birthday-customer-{later.pk}")
    assert "36岁 重要客户 生日当天发送 生日当天致电" in row(html, f"birthday-customer-{later.pk}")
    assert "138****" in first and week["vip"].mobile not in html  # masked phones


def test_a_childs_row_offers_the_gift_request_with_the_child_and_the_parent(login, agent, week):
    html = get(login(agent)).content.decode()
    son, parent = week["son"], week["parent"]
    child_row = row(html, f"birthday-child-{son.pk}")
    assert "张小宝" in child_row and "张伟" in child_row
    assert "11-30" in child_row  # to be requested 5 days before, by post
    try:
        url = reverse("gifts:request_create")
    except NoReverseMatch:  # the gifts app's form is not there yet: no link
        assert "reason=child_birthday" not in html
        return
    assert f'{url}?customer={parent.pk}&amp;reason=child_birthday&amp;family_member={son.pk}' in html
    assert html.count("reason=child_birthday") == 1  # only the child's row


def test_a_requested_gift_shows_instead_of_the_link(login, agent, week):
    from django.utils import timezone

    from events.gifts.models import Gift, GiftRequest

    gift = Gift.objects.create(name="儿童绘本套装", unit_cost=80, stock=10)
    GiftRequest.objects.create(customer=week["parent"], family_member=week["son"], gift=gift, unit_cost=80,
                               reason="child_birthday", requested_by=agent, requested_at=timezone.now())
    html = get(login(agent)).content.decode()
    child_row = row(html, f"birthday-child-{week['son'].pk}")
    assert "儿童绘本套装" in child_row and "reason=child_birthday" not in html


def test_the_filters_narrow_the_rows(login, agent, week):
    client = login(agent)
    children = get(client, "?kind=child").content.decode()
    assert row_ids(children) == [f"birthday-child-{week['son'].pk}"]
    important = get(client, "?importance=important").content.decode()
    assert row_ids(important) == [f"birthday-customer-{week['vip'].pk}", f"birthday-customer-{week['later'].pk}"]
    one_day = get(client, "?day=2026-12-09").content.decode()
    assert row_ids(one_day) == [f"birthday-customer-{week['later'].pk}"]
    nobody = get(client, "?day=2026-12-06").content.decode()
    assert 'id="birthday-empty"' in nobody and "没有符合筛选条件的生日。" in nobody


def test_a_day_outside_the_window_is_refused_with_a_message(login, agent, week):
    response = get(login(agent), "?day=2026-12-25")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'is-invalid' in html and "请选择未来几天中的一天。" in html and 'id="birthday-table"' not in html


def test_nobody_in_the_week_shows_the_empty_state(login, agent):
    html = get(login(agent)).content.decode()
    assert 'id="birthday-empty"' in html and 'id="birthday-table"' not in html
    assert "未来7天没有人过生日。" in html


def test_the_page_runs_the_same_queries_for_a_few_rows_and_for_many(login, agent, week):
    client = login(agent)
    get(client)
    with CaptureQueriesContext(connection) as few:
        get(client)
    for n in range(30):
        parent = customer(name=f"客户{n}", born=date(1980, 12, 4 + n % 5), importance=["normal", "vip"][n % 2])
        child(parent, name=f"孩子{n}", born=date(2015, 12, 4 + n % 5))
    with time_machine.travel(at(TODAY), tick=False):
        birthdays_greet(on=TODAY)
    with CaptureQueriesContext(connection) as many:
        html = get(client).content.decode()
    assert len(many) == len(few)
    assert len(row_ids(html)) == 50 and 'rel="next"' in html  # 64 rows: two pages


def test_the_second_page(login, agent):
    for n in range(55):
        customer(name=f"客户{n:02d}", born=date(1980, 12, 4))
    html = get(login(agent), "?page=2").content.decode()
    assert len(row_ids(html)) == 5


@pytest.mark.parametrize("fixture", ["colleague"])
def test_a_lounge_host_may_not_see_the_birthdays(login, request, fixture):
    assert get(login(request.getfixturevalue(fixture))).status_code == 403


def test_the_general_manager_and_the_supervisor_see_it(login, general_manager, supervisor, week):
    assert get(login(general_manager)).status_code == 200
    assert get(login(supervisor)).status_code == 200


def test_a_sent_greeting_says_sent(login, agent, week):
    OutboundMessage.objects.filter(customer=week["vip"]).update(status="delivered")
    html = get(login(agent)).content.decode()
    assert "56岁 VIP 已发送 待回访" in row(html, f"birthday-customer-{week['vip'].pk}")
