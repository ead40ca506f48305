"""The customer list says how many match without counting a million rows, jumps to a page, and
sorts from its column headers."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import selectors
from customers.models import Customer
from tests.customers.factories import CustomerFactory

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the planner's statistics")


def analyse() -> None:
    """Fresh statistics, as autovacuum keeps them in a running store."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")


def count_text(response) -> str:
    return re.search(r'id="customer-count"[^>]*>([^<]*)<', response.content.decode()).group(1)


def header(response, label: str) -> str:
    return re.search(rf"<th [^>]*>(?:(?!</th>).)*{label}(?:(?!</th>).)*</th>", response.content.decode()).group(0)


@pytest.fixture
def five(db):
    CustomerFactory.create_batch(2)
    return [CustomerFactory(name=f"贵宾{i}", importance="vip") for i in range(3)]


@pytest.mark.django_db
def test_a_list_of_few_says_exactly_how_many(login, agent, five):
    client = login(agent)
    assert count_text(client.get("/customers/")) == "共 5 位"
    assert count_text(client.get("/customers/", {"importance": "vip"})) == "共 3 位"


@pytest.mark.django_db
@on_postgresql
def test_past_the_limit_the_whole_archive_is_the_tables_estimate(login, agent, five, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 3)
    analyse()
    assert count_text(login(agent).get("/customers/", {"order": "name"})) == "约 5 位"  # the order filters no one


@pytest.mark.django_db
@on_postgresql
def test_past_the_limit_a_filtered_list_is_the_planners_estimate(login, agent, five, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 2)
    analyse()
    assert count_text(login(agent).get("/customers/", {"importance": "vip"})) == "约 3 位"


@pytest.mark.django_db
def test_past_the_limit_without_a_usable_estimate_it_says_more_than(agent, five, monkeypatch):
    monkeypatch.setattr(selectors, "_table_rows", lambda: None)  # never analysed; SQLite has none
    count = selectors.customer_list_count(customers=Customer.objects.all(), filters=selectors.CustomerFilters(),
                                          exact_up_to=3)
    assert (count.kind, count.shown) == ("over", "3")


@pytest.mark.django_db
@on_postgresql
def test_the_count_never_reads_past_the_limit(login, agent, five):
    """What the planner runs: an aggregate over a Limit, so at a million it still stops at 10,001 rows."""
    with CaptureQueriesContext(connection) as captured:
        login(agent).get("/customers/")
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {counts[0]}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    aggregate = plan[0]["Plan"]
    assert aggregate["Node Type"] == "Aggregate"
    assert aggregate["Plans"][0]["Node Type"] == "Limit" and aggregate["Plans"][0]["Plan Rows"] <= 10_001


@pytest.mark.django_db
@on_postgresql
def test_a_count_out_of_time_gives_way_to_the_estimate_and_leaves_the_connection_as_it_was(agent, five):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    slow = Customer.objects.extra(where=["EXISTS (SELECT FROM pg_sleep(0.05))"])  # 50 ms a customer
    count = selectors.customer_list_count(customers=slow, filters=selectors.CustomerFilters(importance="vip"),
                                          budget_ms=20)
    assert count.kind == "about"
    fast = selectors.customer_list_count(customers=Customer.objects.all(), filters=selectors.CustomerFilters(),
                                         budget_ms=20)
    assert (fast.kind, fast.value) == ("exact", 5)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"importance": "vip"}], ids=["everyone", "filtered"])
@pytest.mark.parametrize("limit", [10_000, 2], ids=["counted", "estimated"])
def test_the_list_runs_a_fixed_number_of_queries(login, agent, five, monkeypatch, django_assert_num_queries,
                                                 params, limit):
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", limit)
    client = login(agent)
    client.get("/customers/", params)  # warm the session, the permissions and the models cache
    with CaptureQueriesContext(connection) as first:
        client.get("/customers/", params)
    for i in range(limit if limit < 100 else 12):
        CustomerFactory(name=f"新客{i}", importance="vip")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/customers/", params)


@pytest.mark.django_db
def test_a_page_past_the_end_of_a_counted_list_is_the_last_page(login, agent):
    CustomerFactory.create_batch(55)
    response = login(agent).get("/customers/", {"page": "9"})
    assert response.context["page"].number == 2 and len(response.context["page"].object_list) == 5
    assert "第 2 页，共 2 页" in response.content.decode()


@pytest.mark.django_db
def test_the_page_jump_keeps_the_filters_and_the_order(login, agent):
    CustomerFactory.create_batch(55, importance="vip")
    body = login(agent).get("/customers/", {"importance": "vip", "order": "name", "page": "2"}).content.decode()
    jump = re.search(r'<form class="[^"]*page-jump[^"]*".*?</form>', body, re.S).group(0)
    assert 'method="get"' in jump and 'action="/customers/"' in jump
    assert '<input type="hidden" name="importance" value="vip">' in jump
    assert '<input type="hidden" name="order" value="name">' in jump
    assert 'type="hidden" name="page"' not in jump
    assert re.search(r'<input [^>]*type="number"[^>]*name="page"[^>]*value="2"', jump)
    assert re.search(r'<label [^>]*for="page-jump"[^>]*>跳至页码</label>', jump) and ">跳转</button>" in jump


@pytest.mark.django_db
def test_the_name_header_sorts_by_name_and_then_the_other_way(login, agent):
    for name in ("王五", "张三", "李四"):
        CustomerFactory(name=name)
    client = login(agent)
    unsorted = client.get("/customers/", {"importance": "", "page": "1"})
    name_header = header(unsorted, "姓名")
    assert "aria-sort" not in name_header and 'href="?importance=&amp;order=name"' in name_header
    ascending = client.get("/customers/", {"order": "name"})
    assert [c.name for c in ascending.context["page"].object_list] == ["李四", "王五", "张三"]
    assert 'aria-sort="ascending"' in header(ascending, "姓名") and "bi-arrow-up" in header(ascending, "姓名")
    assert 'href="?order=-name"' in header(ascending, "姓名")
    descending = client.get("/customers/", {"order": "-name"})
    assert [c.name for c in descending.context["page"].object_list] == ["张三", "王五", "李四"]
    assert 'aria-sort="descending"' in header(descending, "姓名") and 'href="?order=name"' in header(descending, "姓名")
    assert "aria-sort" not in header(descending, "最近来店")


@pytest.mark.django_db
def test_the_last_visit_header_sorts_recent_first_and_then_the_other_way(login, agent):
    CustomerFactory(name="早", last_visit_on=date(2025, 1, 1))
    CustomerFactory(name="晚", last_visit_on=date(2026, 6, 1))
    client = login(agent)
    assert 'href="?order=-last_visit_on"' in header(client.get("/customers/"), "最近来店")
    recent = client.get("/customers/", {"order": "-last_visit_on"})
    assert [c.name for c in recent.context["page"].object_list] == ["晚", "早"]
    assert 'aria-sort="descending"' in header(recent, "最近来店")
    assert 'href="?order=last_visit_on"' in header(recent, "最近来店")
    oldest = client.get("/customers/", {"order": "last_visit_on"})
    assert 'aria-sort="ascending"' in header(oldest, "最近来店") and [
        c.name for c in oldest.context["page"].object_list] == ["早", "晚"]
