"""The event list (upcoming and past tabs with their counts, each event's invited, coming and
checked-in guests, pages of 20, the empty state), planning and editing an event (input kept on
errors, Chinese messages), the event's page (counts, cost against the budget with the checklist and
the gifts, the outcomes), cancelling it after a confirmation, who may do what, and fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest

from events import services
from events.models import Event, Invitation

from .conftest import EVENT_START, NOW, customer_with_car
from .pages_support import html, outsider, part, plan, reader, text, url

pytestmark = pytest.mark.django_db


# --- the list -------------------------------------------------------------------------------------
def test_an_empty_list_says_none_is_planned_and_offers_to_plan_one(login, marketing, clock):
    page = html(login(marketing).get(url("event_list")))
    assert 'id="event-empty"' in page and "还没有计划中的活动" in text(page)
    assert url("event_create") in part(page, "event-empty")


def test_the_upcoming_tab_lists_the_events_to_come_soonest_first_with_their_guests(login, marketing, clock):
    later = plan(by=marketing, title="车主自驾游", kind="self_drive", starts_at=EVENT_START + timedelta(days=20))
    soon = plan(by=marketing, title="用车讲堂", kind="class", starts_at=EVENT_START)
    past = plan(by=marketing, title="上月车主日", kind="owners_day", starts_at=NOW + timedelta(hours=2))
    yes, no = customer_with_car(name="王一"), customer_with_car(name="王二")
    services.invitations_create(event=soon, by=marketing)
    for customer, rsvp in ((yes, "yes"), (no, "no")):
        services.invitation_answer(invitation=soon.invitations.get(customer=customer), rsvp=rsvp, party_size=2,
                                   by=marketing)
    clock.move_to(NOW + timedelta(days=1))  # the owners' day is yesterday's
    page = html(login(marketing).get(url("event_list")))
    rows = part(page, "event-table")
    assert rows.index("用车讲堂") < rows.index("车主自驾游") and "上月车主日" not in rows
    row = text(part(page, f"event-{soon.pk}"))
    assert "新车发布会" not in row and "用车讲堂" in row and "2026-12-12" in row
    assert text(part(page, "tab-upcoming")).endswith("2") and text(part(page, "tab-past")).endswith("1")
    cells = part(page, f"event-{soon.pk}")
    assert '<td class="text-end event-invited">2' in cells and '<td class="text-end event-coming">1<' in cells
    assert '<td class="text-end event-checked-in">0<' in cells
    assert later and past


def test_the_past_tab_lists_held_cancelled_and_overdue_events_latest_first(login, marketing, clock):
    held = plan(by=marketing, title="已办车主日", starts_at=NOW + timedelta(hours=1))
    overdue = plan(by=marketing, title="忘记记录的讲堂", starts_at=NOW + timedelta(hours=2))
    cancelled = plan(by=marketing, title="取消的发布会", starts_at=EVENT_START)
    services.event_cancel(event=cancelled, by=marketing, reason="新车延期到货")
    clock.move_to(NOW + timedelta(days=1))
    services.event_outcome_record(event=held, by=marketing, orders_signed=3, feedback="反响很好")
    page = html(login(marketing).get(url("event_list") + "?tab=past"))
    rows = part(page, "event-table")
    assert rows.index("取消的发布会") < rows.index("忘记记录的讲堂") < rows.index("已办车主日")
    assert "已举办" in text(part(page, f"event-{held.pk}"))
    assert "未记录结果" in text(part(page, f"event-{overdue.pk}"))
    assert "已取消" in text(part(page, f"event-{cancelled.pk}"))


def test_the_list_has_pages_of_twenty(login, marketing, clock):
    for n in range(23):
        plan(by=marketing, title=f"活动{n:02d}", starts_at=EVENT_START + timedelta(hours=n))
    client = login(marketing)
    first, second = html(client.get(url("event_list"))), html(client.get(url("event_list") + "?tab=upcoming&page=2"))
    assert first.count('<tr id="event-') == 20 and second.count('<tr id="event-') == 3
    assert "活动00" in first and "活动19" in first and "活动20" not in first and "活动22" in second
    assert text(part(first, "tab-upcoming")).endswith("23") and "1 / 2" in text(first)


def test_the_list_runs_a_fixed_number_of_queries(login, marketing, clock, django_assert_max_num_queries):
    client = login(marketing)
    for n in range(3):
        event = plan(by=marketing, title=f"活动{n}", starts_at=EVENT_START + timedelta(days=n))
        customer_with_car(name=f"客户{n}")
        services.invitations_create(event=event, by=marketing)
    client.get(url("event_list"))
    with django_assert_max_num_queries(8) as few:
        client.get(url("event_list"))
    for n in range(3, 12):
        plan(by=marketing, title=f"活动{n}", starts_at=EVENT_START + timedelta(days=n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("event_list"))


# --- planning and editing ---------------------------------------------------------------------------
FORM = {"title": "卡缤上市发布会", "kind": "launch", "starts_at": "2026-12-19T14:00", "ends_at": "2026-12-19T17:00",
        "venue": "展厅一楼", "budget": "12000", "capacity": "80", "description": "试驾与冷餐"}


def test_marketing_plans_an_event_and_lands_on_its_page(login, marketing, clock):
    response = login(marketing).post(url("event_create"), FORM)
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == url("event_detail", event.pk)
    assert (event.title, event.venue, event.budget, event.capacity, event.organiser) == (
        "卡缤上市发布会", "展厅一楼", Decimal("12000"), 80, marketing)
    assert f"{event.starts_at.astimezone(NOW.tzinfo):%Y-%m-%d %H:%M}" == "2026-12-19 14:00"
    page = html(login(marketing).get(response["Location"]))
    assert "活动“卡缤上市发布会”已计划" in text(page)


def test_a_form_with_errors_comes_back_as_typed_with_chinese_messages(login, marketing, clock):
    response = login(marketing).post(url("event_create"), {**FORM, "title": "", "ends_at": "2026-12-19T12:00",
                                                           "budget": "-5"})
    page = html(response)
    assert response.status_code == 400 and not Event.objects.exists()
    assert "请填写活动名称" in text(page) and "结束时间不能早于开始时间" in text(page) and "预算不能为负数" in text(page)
    assert 'value="展厅一楼"' in page and 'value="2026-12-19T14:00"' in page and "试驾与冷餐" in page


def test_editing_keeps_the_event_and_changes_what_was_typed(login, marketing, clock):
    event = plan(by=marketing)
    client = login(marketing)
    page = html(client.get(url("event_edit", event.pk)))
    assert 'value="科雷傲新车品鉴会"' in page and 'value="2026-12-12T14:00"' in page
    response = client.post(url("event_edit", event.pk), {**FORM, "title": "科雷傲品鉴会（改期）"})
    event.refresh_from_db()
    assert response.status_code == 302 and event.title == "科雷傲品鉴会（改期）" and event.capacity == 80


def test_who_may_not_plan_is_refused(login, clock, agent, client):
    assert login(agent).get(url("event_create")).status_code == 403  # the door, not the planning
    assert login(outsider()).get(url("event_list")).status_code == 403
    client.logout()
    response = client.get(url("event_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the event's page ------------------------------------------------------------------------------
def test_the_event_page_shows_its_counts_cost_checklist_and_target_group(login, marketing, clock):
    event = plan(by=marketing, budget="1000", members_only=False)
    coming, maybe = customer_with_car(name="李来"), customer_with_car(name="李或")
    services.event_audience_set(event=event, filters={"models": ["科雷傲"]}, by=marketing)
    services.invitations_create(event=event, by=marketing)
    services.invitation_answer(invitation=event.invitations.get(customer=coming), rsvp="yes", party_size=3,
                               by=marketing)
    services.invitation_answer(invitation=event.invitations.get(customer=maybe), rsvp="maybe", by=marketing)
    services.checklist_item_add(event=event, by=marketing, kind="catering", title="冷餐60人", cost=Decimal("900"),
                                due_on=NOW.date() - timedelta(days=1), owner=marketing)
    services.checklist_item_add(event=event, by=marketing, kind="drinks", title="饮料", cost=Decimal("250"))
    page = html(login(marketing).get(url("event_detail", event.pk)))
    assert part(page, "count-invited").count(">2<") == 1 and ">1<" in part(page, "count-yes")
    assert "3 位来宾" in text(part(page, "event-counts")) and ">1<" in part(page, "count-maybe")
    assert "¥1,000.00" in part(page, "cost-budget") and "¥1,150.00" in part(page, "cost-checklist")
    assert "¥-150.00" in part(page, "cost-remaining") and 'id="event-over-budget"' in page
    summary = text(part(page, "event-checklist-summary"))
    assert "冷餐60人" in summary and "2 项中 2 项待办" in summary and "1 项逾期" in summary
    assert "车型：科雷傲" in text(part(page, "event-audience"))
    assert "活动开始后才能记录结果" in text(part(page, "event-outcomes"))


def test_the_event_page_runs_a_fixed_number_of_queries(login, marketing, clock, django_assert_max_num_queries):
    event = plan(by=marketing)
    client = login(marketing)
    client.get(url("event_detail", event.pk))
    with django_assert_max_num_queries(14) as few:
        client.get(url("event_detail", event.pk))
    for n in range(6):
        customer_with_car(name=f"客{n}")
        services.checklist_item_add(event=event, by=marketing, kind="other", title=f"任务{n}", owner=marketing)
    services.invitations_create(event=event, by=marketing)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("event_detail", event.pk))


def test_the_general_manager_reads_the_event_without_its_buttons(login, marketing, clock):
    event, gm = plan(by=marketing), reader()
    page = html(login(gm).get(url("event_detail", event.pk)))
    assert "科雷傲新车品鉴会" in page
    for button in ('id="event-edit"', 'id="event-cancel"', 'id="outcome-form"', 'id="event-door"'):
        assert button not in page
    assert login(gm).get(url("event_edit", event.pk)).status_code == 403


# --- outcomes -------------------------------------------------------------------------------------
def test_after_the_event_the_outcomes_are_recorded_and_the_event_is_held(login, marketing, clock):
    event = plan(by=marketing, starts_at=NOW + timedelta(hours=1))
    clock.move_to(NOW + timedelta(hours=5))
    client = login(marketing)
    assert 'id="outcome-form"' in html(client.get(url("event_detail", event.pk)))
    response = client.post(url("event_outcome", event.pk), {"outcome-orders_signed": "4",
                                                             "outcome-feedback": "客户对试驾很满意"})
    event.refresh_from_db()
    assert response.status_code == 302 and (event.status, event.orders_signed) == (Event.Status.HELD, 4)
    page = html(client.get(url("event_detail", event.pk)))
    assert "已举办：签单 4 台" in text(page) and "客户对试驾很满意" in page


def test_an_outcome_without_orders_comes_back_with_the_feedback_kept(login, marketing, clock):
    event = plan(by=marketing, starts_at=NOW + timedelta(hours=1))
    clock.move_to(NOW + timedelta(hours=5))
    response = login(marketing).post(url("event_outcome", event.pk), {"outcome-orders_signed": "",
                                                                      "outcome-feedback": "场地偏小"})
    assert response.status_code == 400 and "请填写签单数" in text(html(response)) and "场地偏小" in html(response)


# --- cancelling -----------------------------------------------------------------------------------
def test_cancelling_asks_first_says_what_it_means_and_needs_a_reason(login, marketing, clock):
    event = plan(by=marketing)
    customer_with_car(name="赵请")
    services.invitations_create(event=event, by=marketing)
    client = login(marketing)
    page = html(client.get(url("event_cancel", event.pk)))
    assert "取消这个活动？" in text(page) and "已邀请 1 位客户" in text(page)
    event.refresh_from_db()
    assert event.status == Event.Status.INVITING  # asking changed nothing
    refused = client.post(url("event_cancel", event.pk), {"cancel-reason": ""})
    assert refused.status_code == 400 and "请填写取消活动的原因" in text(html(refused))
    done = client.post(url("event_cancel", event.pk), {"cancel-reason": "展厅装修"})
    event.refresh_from_db()
    assert done.status_code == 302 and event.status == Event.Status.CANCELLED and event.cancel_reason == "展厅装修"
    page = html(client.get(url("event_detail", event.pk)))
    assert "此活动已取消。 展厅装修" in text(page) and 'id="event-door"' not in page
    assert url("door", event.pk) not in page  # neither the button nor the tab
    assert Invitation.objects.filter(event=event).count() == 1
