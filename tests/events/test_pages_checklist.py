"""The preparation checklist: tasks with their owner, due date and cost, late ones marked; added (the form
comes back as typed on errors), edited, ticked done and opened again, removed only after a confirmation
page; who may change it; fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest

from events import services
from events.models import ChecklistItem

from .conftest import NOW
from .pages_support import html, part, plan, reader, text, url

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


@pytest.fixture
def event(marketing, clock):
    return plan(by=marketing)


def test_an_empty_checklist_says_what_goes_on_it_and_offers_the_form(login, marketing, event):
    page = html(login(marketing).get(url("checklist", event.pk)))
    assert "筹备清单还是空的" in text(part(page, "checklist-empty")) and 'id="checklist-form"' in page


def test_a_task_is_added_with_its_owner_due_date_and_cost(login, marketing, event):
    response = login(marketing).post(url("checklist", event.pk), {
        "kind": "catering", "title": "冷餐60人", "owner": marketing.pk, "due_on": "2026-12-10", "cost": "1800",
        "note": "含水果"}, follow=True)
    item = ChecklistItem.objects.get()
    assert (item.title, item.owner, item.due_on.isoformat(), item.cost) == ("冷餐60人", marketing, "2026-12-10",
                                                                          Decimal("1800"))
    page = html(response)
    assert "“冷餐60人”已加入筹备清单" in text(page)
    row = text(part(page, f"item-{item.pk}"))
    assert "冷餐60人" in row and "周敏" in row and "2026-12-10" in row and "¥1,800.00" in row


def test_a_task_with_errors_comes_back_as_typed(login, marketing, event):
    response = login(marketing).post(url("checklist", event.pk), {
        "kind": "venue", "title": "", "due_on": "12月10日", "cost": "-3", "note": "二楼展厅"})
    page = html(response)
    assert response.status_code == 400 and not ChecklistItem.objects.exists()
    assert "请填写要做的事" in text(page) and "费用不能为负数" in text(page) and 'value="二楼展厅"' in page


def test_late_tasks_are_marked_and_done_ones_are_not(login, marketing, event):
    late = services.checklist_item_add(event=event, by=marketing, kind="drinks", title="饮料",
                                       due_on=TODAY - timedelta(days=1))
    done = services.checklist_item_add(event=event, by=marketing, kind="gifts", title="伴手礼",
                                       due_on=TODAY - timedelta(days=2))
    services.checklist_item_done(item=done, by=marketing, done=True)
    page = html(login(marketing).get(url("checklist", event.pk)))
    assert "checklist-late" in part(page, f"item-{late.pk}") and "逾期" in text(part(page, f"item-{late.pk}"))
    assert "checklist-late" not in part(page, f"item-{done.pk}") and "1 项逾期" in text(part(page, "checklist-summary"))


def test_ticking_a_task_done_and_opening_it_again(login, marketing, event):
    item = services.checklist_item_add(event=event, by=marketing, kind="venue", title="布置场地")
    client = login(marketing)
    done = client.post(url("checklist_item_done", event.pk, item.pk), {"done": "1"}, follow=True)
    item.refresh_from_db()
    assert item.done_at is not None and item.done_by == marketing and "“布置场地”已完成" in text(html(done))
    client.post(url("checklist_item_done", event.pk, item.pk), {"done": "0"})
    item.refresh_from_db()
    assert item.done_at is None


def test_editing_a_task(login, marketing, event):
    item = services.checklist_item_add(event=event, by=marketing, kind="materials", title="易拉宝")
    client = login(marketing)
    assert 'value="易拉宝"' in html(client.get(url("checklist_item_edit", event.pk, item.pk)))
    client.post(url("checklist_item_edit", event.pk, item.pk), {"kind": "materials", "title": "易拉宝两个",
                                                                 "cost": "300"})
    item.refresh_from_db()
    assert (item.title, item.cost) == ("易拉宝两个", Decimal("300"))


def test_removing_asks_first(login, marketing, event):
    item = services.checklist_item_add(event=event, by=marketing, kind="other", title="租音响", cost=Decimal("500"))
    client = login(marketing)
    page = html(client.get(url("checklist_item_remove", event.pk, item.pk)))
    assert "从筹备清单中删除“租音响”？" in text(page) and "¥500.00" in text(page)
    assert ChecklistItem.objects.filter(pk=item.pk).exists()
    response = client.post(url("checklist_item_remove", event.pk, item.pk), follow=True)
    assert not ChecklistItem.objects.filter(pk=item.pk).exists() and "已从筹备清单删除" in text(html(response))


def test_who_reads_sees_the_checklist_without_changing_it(login, marketing, event):
    item = services.checklist_item_add(event=event, by=marketing, kind="other", title="签到台")
    gm = reader()
    page = html(login(gm).get(url("checklist", event.pk)))
    assert "签到台" in page and 'id="checklist-form"' not in page and "checklist-tick" not in page
    assert login(gm).post(url("checklist", event.pk), {"kind": "other", "title": "x"}).status_code == 403
    assert login(gm).post(url("checklist_item_remove", event.pk, item.pk)).status_code == 403


def test_the_checklist_runs_a_fixed_number_of_queries(login, marketing, event, django_assert_max_num_queries):
    client = login(marketing)
    services.checklist_item_add(event=event, by=marketing, kind="other", title="一", owner=marketing)
    client.get(url("checklist", event.pk))
    with django_assert_max_num_queries(14) as few:
        client.get(url("checklist", event.pk))
    for n in range(8):
        item = services.checklist_item_add(event=event, by=marketing, kind="other", title=f"任务{n}", owner=marketing)
        services.checklist_item_done(item=item, by=marketing, done=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("checklist", event.pk))
