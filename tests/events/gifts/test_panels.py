"""The home panels: 待审批礼品 ("gift_approvals": for the general manager every request waiting, the
oldest first; for the interviewer their own still waiting) and 待寄出的礼品 ("gifts_to_send": the
approved gifts not yet sent, all of them for the DCRC, their own for who asked); the same queries for
few and many."""

import re

import pytest

from tests.customers.factories import CustomerFactory

from .conftest import ask

pytestmark = pytest.mark.django_db


def panel(page: str, key: str) -> str:
    start = page.index(f'id="panel-{key}"')
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def rows_of(page: str, key: str) -> list[str]:
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', panel(page, key), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def home(client) -> str:
    return client.get("/").content.decode()


def test_the_general_manager_sees_every_request_waiting(login, general_manager, store, interviewer, cup):
    later = ask(by=interviewer, customer=CustomerFactory(name="周强", address="某路"), gift=cup, quantity=2,
                reason="interview")
    page = home(login(general_manager))
    assert rows_of(page, "gift_approvals") == [
        f"{store['waiting'].number} · 王建华 · 品牌保温杯 生日 · ¥68.00",
        f"{later.number} · 周强 · 品牌保温杯 × 2 面访礼品 · ¥136.00",
    ]
    assert "/gifts/approvals/" in panel(page, "gift_approvals")


def test_the_interviewer_sees_their_requests_waiting_and_those_approved_to_send(login, interviewer, store):
    page = home(login(interviewer))
    assert rows_of(page, "gift_approvals") == [f"{store['waiting'].number} · 王建华 · 品牌保温杯 生日 · ¥68.00"]
    assert rows_of(page, "gifts_to_send") == [f"{store['approved'].number} · 王建华 · 儿童绘本套装 快递寄送"]


def test_the_dcrc_sees_every_approved_gift_to_send(login, supervisor, store, general_manager, cup):
    page = home(login(supervisor))
    assert rows_of(page, "gifts_to_send") == [f"{store['approved'].number} · 王建华 · 儿童绘本套装 快递寄送"]


def test_nothing_waiting_says_so(login, general_manager, supervisor):
    assert rows_of(home(login(general_manager)), "gift_approvals") == []
    assert "没有待审批的礼品。" in panel(home(login(general_manager)), "gift_approvals")
    assert "没有待寄出的已批准礼品。" in panel(home(login(supervisor)), "gifts_to_send")


def test_the_panels_run_the_same_queries_for_few_and_many(login, general_manager, interviewer, store, cup,
                                                         django_assert_max_num_queries):
    client = login(general_manager)
    home(client)
    with django_assert_max_num_queries(40) as few:
        home(client)
    for n in range(10):
        ask(by=interviewer, customer=CustomerFactory(name=f"客户{n}", address="某路"), gift=cup)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = home(client)
    assert len(rows_of(page, "gift_approvals")) == 6
