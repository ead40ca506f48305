"""The gifts' personas and records: the interviewer who asks (吴静, gifts.add_giftrequest), the general
manager who decides (tests/conftest.py, 陈建国) and a second one, the DCRC supervisor who posts
(tests/conftest.py, 刘芳); a catalogue with its stock, December 2026's budget, customers with an
address and a child. The store's clock: Wednesday 2 December 2026, 10:00."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import FamilyMember
from dealer_crm.accounts.roles import Role
from events.gifts import services
from events.gifts.models import Gift
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def interviewer(db):
    return UserFactory(username="interviewer_wu", display_name="吴静", roles=[Role.INTERVIEWER])


@pytest.fixture
def other_gm(db):
    return UserFactory(username="gm_two", display_name="林总", roles=[Role.GENERAL_MANAGER])


@pytest.fixture
def cup(db):
    return Gift.objects.create(name="品牌保温杯", unit_cost=Decimal("68.00"), stock=10)


@pytest.fixture
def picture_books(db):
    return Gift.objects.create(name="儿童绘本套装", unit_cost=Decimal("59.00"), stock=5, for_children=True)


@pytest.fixture
def budget(general_manager):
    return services.gift_budget_save(by=general_manager, name="2026年12月", starts_on=DECEMBER[0],
                                     ends_on=DECEMBER[1], amount=Decimal("1000.00"))


@pytest.fixture
def customer(db):
    return CustomerFactory(name="王建华", mobile="13900001111", address="浦东新区张江路100号")


@pytest.fixture
def child(customer):
    return FamilyMember.objects.create(customer=customer, relation=FamilyMember.Relation.CHILD, name="王小宝",
                                       birthday=date(2018, 12, 8))


def ask(*, by, customer, gift, reason="birthday", now=NOW, **kwargs):
    return services.gift_request_create(customer=customer, gift=gift, by=by, reason=reason, now=now, **kwargs)


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def store(clock, interviewer, general_manager, supervisor, customer, child, cup, picture_books, budget):
    """One request in each state: waiting (the interviewer's, for the customer's birthday), approved
    and waiting to be posted (a child's birthday), posted, handed over, rejected, cancelled."""
    from tests.customers.factories import CustomerFactory

    other = CustomerFactory(name="李明", mobile="13900002222", address="徐汇区漕溪路8号")
    waiting = ask(by=interviewer, customer=customer, gift=cup, note="下周生日")
    approved = services.gift_request_approve(
        request=ask(by=interviewer, customer=customer, gift=picture_books, reason="child_birthday", family_member=child),
        by=general_manager, comment="同意")
    sent = services.gift_request_approve(request=ask(by=supervisor, customer=other, gift=cup, reason="interview"),
                                         by=general_manager)
    sent = services.gift_request_send(request=sent, by=supervisor, courier="顺丰速运", tracking_number="SF1234567890")
    handed = services.gift_request_approve(
        request=ask(by=supervisor, customer=other, gift=cup, reason="complaint", delivery="in_store"), by=general_manager)
    handed = services.gift_request_send(request=handed, by=supervisor)
    rejected = services.gift_request_reject(request=ask(by=interviewer, customer=other, gift=cup),
                                            by=general_manager, comment="本月已送过")
    cancelled = services.gift_request_cancel(request=ask(by=interviewer, customer=other, gift=cup), by=interviewer,
                                             reason="客户婉拒")
    return {"waiting": waiting, "approved": approved, "sent": sent, "handed": handed, "rejected": rejected,
            "cancelled": cancelled}


def shown(page: str, store: dict) -> set[str]:
    return {key for key, request in store.items() if f'id="request-{request.pk}"' in page}
