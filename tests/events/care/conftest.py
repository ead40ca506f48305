"""Shared fixtures of the interviews' and the lounge's tests: the personas who meet customers, a
customer with a family and a car, the gift menu, and moments in the store's zone (Thursday
3 December 2026).

Personas: the interviewer 孙悦 (面访专员: care rights, raises problems, hands leads over, requests
gifts), the lounge host 郑丽 (tests/conftest.py `colleague`: care rights, hands leads over, no
problems, no gifts), the DCRC supervisor (tests/conftest.py) and the marketing colleague 何磊, who has
no right on interviews or the lounge."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from customers import services as archive
from dealer_crm.accounts.roles import Role
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 3)
AT_10 = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 3, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def interviewer(db):
    return UserFactory(username="interview_sun", display_name="孙悦", roles=[Role.INTERVIEWER])


@pytest.fixture
def host(colleague):
    return colleague


@pytest.fixture
def marketing(db):
    return UserFactory(username="marketing_he", display_name="何磊", roles=[Role.MARKETING])


@pytest.fixture
def customer(db):
    customer = CustomerFactory(name="王建华", mobile="13955550101", address="芜湖市镜湖区北京路18号",
                               occupation="", interests="钓鱼")
    archive.family_member_save(customer=customer, by=None, relation="child", name="王小雨",
                               birthday=date(2018, 12, 8))
    return customer


@pytest.fixture
def vehicle(customer):
    return make_vehicle(customer, serial=701, plate="皖B12345")


@pytest.fixture
def gifts(db):
    from events.gifts.models import Gift

    return {
        "tea": Gift.objects.create(name="黄山毛峰礼盒", unit_cost=Decimal("168.00"), stock=10),
        "toy": Gift.objects.create(name="雷诺车模", unit_cost=Decimal("98.00"), stock=3, for_children=True),
        "gone": Gift.objects.create(name="保温杯", unit_cost=Decimal("60.00"), stock=0),
        "off": Gift.objects.create(name="后备箱收纳箱", unit_cost=Decimal("80.00"), stock=5, on_menu=False),
    }


def html(response) -> str:
    return response.content.decode()
