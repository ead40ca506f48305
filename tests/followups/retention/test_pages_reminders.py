"""The reminder list (招揽与提醒): who may read it, what a row shows (the phone masked), the filters
and that they keep their values, the empty states, the pages, and a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.customers.factories import CustomerFactory

from .test_pages_support import REMINDERS, car, html, marketing_user, reminder, row_of, text_of

pytestmark = pytest.mark.django_db


def ids_on(page: str, reminders) -> set[int]:
    return {r.pk for r in reminders if f'id="reminder-{r.pk}"' in page}


def test_the_list_asks_for_a_login(client):
    response = client.get(REMINDERS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_colleague_without_the_right_is_refused(login):
    assert login(marketing_user()).get(REMINDERS).status_code == 403


def test_the_agents_the_supervisor_the_service_desk_and_the_general_manager_read_it(
        login, agent, supervisor, service_manager, general_manager):
    for user in (agent, supervisor, service_manager, general_manager):
        assert login(user).get(REMINDERS).status_code == 200


def test_a_row_shows_the_customer_the_car_the_kind_the_channel_the_due_date_and_the_return(login, agent):
    customer = CustomerFactory(name="王建华", mobile="13912345678")
    vehicle = car(customer)
    came = reminder(vehicle, kind="first", channel="call", made=date(2026, 3, 2), due=date(2026, 4, 10),
                    converted=date(2026, 4, 8), status="done")
    waiting = reminder(car(), kind="maintenance", channel="letter", status="pending", made=date(2026, 3, 3))
    page = html(login(agent).get(REMINDERS))
    row = text_of(row_of(page, f"reminder-{came.pk}"))
    assert "王建华" in row and "139****5678" in row and "13912345678" not in page
    assert vehicle.plate in row and "科雷傲" in row
    assert "首保招揽" in row and "电话" in row and "2026-04-10" in row
    assert "2026-04-08" in row  # the day the car came back
    assert f'href="/customers/{customer.pk}/"' in row_of(page, f"reminder-{came.pk}")
    other = text_of(row_of(page, f"reminder-{waiting.pk}"))
    assert "保养提醒" in other and "信件" in other and "待办" in other and "尚未回厂" in other
    assert "招揽与提醒" in page and "下发日期" in page  # the title and a column, in Chinese


def test_the_newest_reminders_come_first(login, agent):
    older = reminder(made=date(2026, 3, 1))
    newer = reminder(made=date(2026, 3, 5))
    page = html(login(agent).get(REMINDERS))
    assert page.index(f'id="reminder-{newer.pk}"') < page.index(f'id="reminder-{older.pk}"')


def test_the_filters_pick_the_kind_channel_status_return_and_the_days_made(login, agent):
    first_sms = reminder(kind="first", channel="sms", made=date(2026, 3, 1), converted=date(2026, 3, 20))
    first_call = reminder(kind="first", channel="call", status="pending", made=date(2026, 3, 10))
    maintenance = reminder(kind="maintenance", channel="letter", status="cancelled", made=date(2026, 4, 1))
    every = [first_sms, first_call, maintenance]
    client = login(agent)
    assert ids_on(html(client.get(REMINDERS, {"kind": "first"})), every) == {first_sms.pk, first_call.pk}
    assert ids_on(html(client.get(REMINDERS, {"channel": "letter"})), every) == {maintenance.pk}
    assert ids_on(html(client.get(REMINDERS, {"status": "pending"})), every) == {first_call.pk}
    assert ids_on(html(client.get(REMINDERS, {"converted": "yes"})), every) == {first_sms.pk}
    assert ids_on(html(client.get(REMINDERS, {"converted": "no"})), every) == {first_call.pk, maintenance.pk}
    made = {"made_from": "2026-03-05", "made_until": "2026-03-31"}
    assert ids_on(html(client.get(REMINDERS, made)), every) == {first_call.pk}
    assert ids_on(html(client.get(REMINDERS, {"made_from": "2026-03-10", "made_until": "2026-03-10"})),
                  every) == {first_call.pk}  # both days included


def test_the_filters_keep_their_values(login, agent):
    reminder(kind="first", channel="call")
    page = html(login(agent).get(REMINDERS, {"kind": "first", "channel": "call", "status": "done",
                                             "converted": "no", "made_from": "2026-03-01", "made_until": "2026-03-31"}))
    assert '<option value="first" selected>' in page and '<option value="call" selected>' in page
    assert '<option value="done" selected>' in page and '<option value="no" selected>' in page
    assert 'value="2026-03-01"' in page and 'value="2026-03-31"' in page


def test_a_range_that_ends_before_it_starts_is_refused_in_chinese_and_kept(login, agent):
    reminder()
    response = login(agent).get(REMINDERS, {"made_from": "2026-04-01", "made_until": "2026-03-01"})
    page = html(response)
    assert response.status_code == 400 and "结束日期早于开始日期。" in page
    assert 'value="2026-04-01"' in page and 'value="2026-03-01"' in page
    assert 'id="reminder-table"' not in page


def test_a_date_that_is_no_date_is_refused_in_chinese(login, agent):
    page = html(login(agent).get(REMINDERS, {"made_from": "2026-13-45"}))
    assert "请填写日期，如 2026-12-31。" in page


def test_an_empty_list_says_none_were_made_yet_and_a_filtered_one_says_nothing_matches(login, agent):
    client = login(agent)
    page = html(client.get(REMINDERS))
    assert 'id="reminder-empty"' in page and "每日任务" in text_of(page)
    reminder(kind="first")
    page = html(client.get(REMINDERS, {"kind": "win_back"}))
    assert 'id="reminder-empty"' in page and "没有符合筛选条件的提醒" in page


def test_the_list_pages_by_thirty(login, agent):
    made = [reminder(made=date(2026, 1, 1) + timedelta(days=n)) for n in range(31)]
    client = login(agent)
    first = html(client.get(REMINDERS))
    assert len(ids_on(first, made)) == 30 and 'rel="next"' in first and made[0].pk not in ids_on(first, made)
    second = html(client.get(REMINDERS, {"page": 2, "kind": "maintenance"}))
    assert ids_on(second, made) == {made[0].pk} and 'rel="prev"' in second
    assert "kind=maintenance&amp;page=1" in second  # the filters ride along


def test_the_list_runs_the_same_queries_for_one_reminder_and_for_thirty(login, agent, django_assert_num_queries):
    from tests.followups.factories import make_callback

    client = login(agent)
    first = reminder(channel="call", converted=date(2026, 3, 20))
    first.callback = make_callback(customer=first.customer, vehicle=first.vehicle, kind="reminder")
    first.save()
    client.get(REMINDERS)  # the session and the permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(REMINDERS).status_code == 200
    for n in range(29):
        more = reminder(channel=("sms", "call", "letter")[n % 3], converted=date(2026, 3, 21) if n % 2 else None)
        if n % 3 == 1:
            more.callback = make_callback(customer=more.customer, vehicle=more.vehicle, kind="reminder")
            more.save()
    with django_assert_num_queries(len(one)):
        assert client.get(REMINDERS).status_code == 200


def test_past_the_cap_the_list_says_more_than_and_pages_on(login, agent, monkeypatch):
    from followups.retention.views import reminders as view

    monkeypatch.setattr(view, "COUNT_CAP", 3)
    made = [reminder(made=date(2026, 1, 1) + timedelta(days=n)) for n in range(5)]
    page = html(login(agent).get(REMINDERS))
    assert "超过 3 条提醒" in page and len(ids_on(page, made)) == 5
