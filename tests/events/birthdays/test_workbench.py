"""The birthday call on the workbench: whose birthday, the age, by when to call (within two hours of
the shift's start), the greeting SMS, the children, the gifts before."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from events.birthdays.services import birthdays_greet
from followups.callbacks.models import Callback

from .conftest import at, child, customer

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 3)


def panel(body: str) -> str:
    start = body.index('id="birthday-call"')
    return " ".join(re.sub(r"<[^>]+>", " ", body[start:body.index("</div>\n</div>", start)]).split())


@pytest.fixture
def call(db):
    vip = customer(name="王建国", born=date(1970, 12, 3), importance="vip")
    child(vip, name="王小明", born=date(2016, 12, 20))
    with time_machine.travel(at(TODAY), tick=False):
        birthdays_greet(on=TODAY)
    return Callback.objects.get(customer=vip)


def page(client, callback, hour: int = 9) -> str:
    with time_machine.travel(at(TODAY, hour), tick=False):
        response = client.get(reverse("callbacks:callback_detail", args=[callback.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_agent_sees_whose_birthday_the_age_and_by_when_to_call(login, agent, call):
    text = panel(page(login(agent), call))
    assert "王建国的生日（12-03）" in text and "56岁生日" in text and "VIP" in text
    assert "请于10:30前致电（上班后两小时内）。" in text
    assert 'class="text-body-secondary" id="birthday-call-by"' in page(login(agent), call)  # not late yet
    assert "祝福短信: 待发送" in text  # the morning's SMS waits for 08:00
    assert "子女: 王小明 (12-20，10岁)" in text
    assert "以往礼品: 暂无" in text


def test_past_the_two_hours_the_deadline_shows_red(login, agent, call):
    body = page(login(agent), call, hour=11)
    assert 'class="text-danger" id="birthday-call-by"' in body


def test_the_gifts_before_are_listed(login, agent, call):
    from events.gifts.models import Gift, GiftRequest

    gift = Gift.objects.create(name="定制保温杯", unit_cost=60, stock=5)
    GiftRequest.objects.create(customer=call.customer, gift=gift, unit_cost=60, reason="interview",
                               requested_by=agent, requested_at=timezone.now() - timedelta(days=90))
    text = panel(page(login(agent), call))
    assert "定制保温杯" in text


def test_a_call_queued_late_in_the_morning_is_still_due_two_hours_after_the_shifts_start(login, agent):
    vip = customer(name="李华", born=date(1970, 12, 3), importance="vip")
    with time_machine.travel(at(TODAY, 9, 50), tick=False):
        birthdays_greet(on=TODAY)
    text = panel(page(login(agent), Callback.objects.get(customer=vip), hour=10))
    assert "请于10:30前致电（上班后两小时内）。" in text
