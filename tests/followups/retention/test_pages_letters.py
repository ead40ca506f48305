"""The letters to print (招揽信件): who may print them, a printable list of the letters waiting with
names and addresses, the ticked ones marked printed (and gone from the list), the empty state,
the pages, and a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.retention.models import Reminder
from tests.customers.factories import CustomerFactory

from .test_pages_support import LETTERS, car, html, marketing_user, reminder, row_of, text_of

pytestmark = pytest.mark.django_db
MARK = "/retention/letters/printed/"


def letter(name: str = "李明", address: str = "合肥市蜀山区长江西路100号", **fields) -> Reminder:
    customer = CustomerFactory(name=name, address=address, mobile="")
    return reminder(car(customer), channel="letter", status="pending", **fields)


def test_the_letters_ask_for_a_login(client):
    response = client.get(LETTERS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_who_does_not_print_letters_is_refused(login, service_manager):
    assert login(marketing_user()).get(LETTERS).status_code == 403
    assert login(service_manager).get(LETTERS).status_code == 403  # reads reminders, prints no letters
    assert login(service_manager).post(MARK, {"reminder": ["1"]}).status_code == 403


def test_the_list_shows_the_letters_waiting_with_name_address_and_car(login, agent):
    waiting = letter(kind="first", due=date(2026, 4, 10))
    printed = reminder(channel="letter", status="done")
    by_sms = reminder(channel="sms", status="pending")
    page = html(login(agent).get(LETTERS))
    row = text_of(row_of(page, f"letter-{waiting.pk}"))
    assert "李明" in row and "合肥市蜀山区长江西路100号" in row and waiting.vehicle.plate in row
    assert "首保招揽" in row and "2026-04-10" in row
    assert f'id="letter-{printed.pk}"' not in page and f'id="letter-{by_sms.pk}"' not in page
    assert "招揽信件" in page and "1 封信件待打印" in text_of(page)
    # printable: the print stylesheet, a print button run by the static script, no inline script or style
    assert "css/retention.css" in page and "js/retention.js" in page and "data-print" in page
    assert "<script>" not in page and "style=" not in page


def test_the_oldest_letters_come_first(login, agent):
    newer = letter(made=date(2026, 3, 5))
    older = letter(made=date(2026, 3, 1))
    page = html(login(agent).get(LETTERS))
    assert page.index(f'id="letter-{older.pk}"') < page.index(f'id="letter-{newer.pk}"')


def test_the_ticked_letters_are_marked_printed_and_leave_the_list(login, agent):
    first, second, third = letter(), letter(name="赵六"), letter(name="钱七")
    client = login(agent)
    response = client.post(MARK, {"reminder": [str(first.pk), str(second.pk)]}, follow=True)
    page = html(response)
    assert "2 封信件已标记为已打印。" in page
    assert f'id="letter-{first.pk}"' not in page and f'id="letter-{third.pk}"' in page
    first.refresh_from_db()
    assert first.status == "done" and first.letter_printed_at is not None
    third.refresh_from_db()
    assert third.status == "pending"


def test_marking_nothing_ticked_says_so_in_chinese(login, agent):
    waiting = letter()
    page = html(login(agent).post(MARK, {}, follow=True))
    assert "请先勾选已打印的信件。" in page
    waiting.refresh_from_db()
    assert waiting.status == "pending"


def test_marking_asks_first(login, agent):
    letter()
    page = html(login(agent).get(LETTERS))
    assert 'data-confirm="确定将勾选的信件标记为已打印吗？"' in page


def test_no_letters_waiting_is_said(login, agent):
    page = html(login(agent).get(LETTERS))
    assert 'id="letter-empty"' in page and "没有待打印的信件。" in page and 'id="letter-table"' not in page


def test_the_letters_page_by_a_hundred(login, agent):
    made = [letter(made=date(2026, 1, 1) + timedelta(days=n % 50)) for n in range(101)]
    client = login(agent)
    first = html(client.get(LETTERS))
    on_first = {r.pk for r in made if f'id="letter-{r.pk}"' in first}
    assert len(on_first) == 100 and 'rel="next"' in first
    second = html(client.get(LETTERS, {"page": 2}))
    assert {r.pk for r in made if f'id="letter-{r.pk}"' in second} == {r.pk for r in made} - on_first


def test_the_letters_run_the_same_queries_for_one_and_for_thirty(login, agent, django_assert_num_queries):
    client = login(agent)
    letter()
    client.get(LETTERS)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LETTERS).status_code == 200
    for n in range(29):
        letter(name=f"客户{n}")
    with django_assert_num_queries(len(one)):
        assert client.get(LETTERS).status_code == 200
