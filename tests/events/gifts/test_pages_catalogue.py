"""The gift catalogue (/gifts/catalogue/) and the budgets (/gifts/budgets/): the stock, the menu and
the children's gifts; what each period has, approved so far and left; adding and editing for who may
(the DCRC the catalogue, the general manager the budgets), errors in Chinese."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from events.gifts.models import Gift, GiftBudget

from .conftest import html

pytestmark = pytest.mark.django_db
GIFTS, BUDGETS = reverse("gifts:gift_list"), reverse("gifts:budget_list")


def test_the_catalogue_shows_the_stock_the_menu_and_the_children_gifts(login, interviewer, store, cup, picture_books):
    Gift.objects.create(name="纪念雨伞", unit_cost=35, stock=0)
    Gift.objects.create(name="旧款台历", unit_cost=20, stock=3, active=False)
    page = html(login(interviewer).get(GIFTS))
    row = page.split(f'id="gift-{cup.pk}"')[1].split("</tr>")[0]
    assert "品牌保温杯" in row and "¥68.00" in row and ">8<" in row  # 10 less the posted and the handed over
    assert "无库存" in page and "旧款台历" not in page and 'id="gift-new"' not in page
    assert "旧款台历" in html(login(interviewer).get(GIFTS, {"all": "1"}))


def test_the_dcrc_adds_and_edits_a_gift(login, supervisor, cup):
    client = login(supervisor)
    assert 'id="gift-new"' in html(client.get(GIFTS))
    response = client.post(reverse("gifts:gift_create"), {"name": "", "unit_cost": "-1", "stock": "-2", "active": "on"})
    page = html(response)
    assert response.status_code == 400 and "请填写礼品名称。" in page and "单价不能小于0。" in page
    client.post(reverse("gifts:gift_create"), {"name": "车载香薰", "unit_cost": "45", "stock": "30", "on_menu": "on",
                                              "active": "on"})
    assert Gift.objects.get(name="车载香薰").stock == 30
    response = client.post(reverse("gifts:gift_edit", args=[cup.pk]), {"name": "车载香薰", "unit_cost": "68",
                                                                      "stock": "10", "active": "on"})
    assert response.status_code == 400 and "已有同名礼品。" in html(response)
    client.post(reverse("gifts:gift_edit", args=[cup.pk]), {"name": "品牌保温杯", "unit_cost": "70", "stock": "25",
                                                           "stock_shown": str(cup.stock), "on_menu": "on", "active": "on"})
    cup.refresh_from_db()
    assert cup.stock == 25 and cup.unit_cost == Decimal("70")


def test_editing_a_gift_keeps_the_approvals_made_while_the_form_was_open(login, supervisor, cup):
    client = login(supervisor)
    Gift.objects.filter(pk=cup.pk).update(stock=5)
    page = html(client.get(reverse("gifts:gift_edit", args=[cup.pk])))
    assert 'name="stock_shown" value="5"' in page
    Gift.objects.filter(pk=cup.pk).update(stock=2)  # the general manager approves 3 meanwhile
    client.post(reverse("gifts:gift_edit", args=[cup.pk]), {"name": "品牌保温杯", "unit_cost": "68", "stock": "5",
                                                           "stock_shown": "5", "description": "新说明", "active": "on"})
    cup.refresh_from_db()
    assert cup.stock == 2 and cup.description == "新说明"
    client.post(reverse("gifts:gift_edit", args=[cup.pk]), {"name": "品牌保温杯", "unit_cost": "68", "stock": "15",
                                                           "stock_shown": "5", "active": "on"})  # 10 more counted
    cup.refresh_from_db()
    assert cup.stock == 12
    response = client.post(reverse("gifts:gift_edit", args=[cup.pk]), {"name": "品牌保温杯", "unit_cost": "68",
                                                                      "stock": "0", "stock_shown": "15", "active": "on"})
    assert response.status_code == 400 and 'value="0"' in html(response)
    cup.refresh_from_db()
    assert cup.stock == 12


def test_who_may_not_edit_the_catalogue_is_refused(login, interviewer, cup):
    assert login(interviewer).get(reverse("gifts:gift_edit", args=[cup.pk])).status_code == 403


def test_the_budgets_show_what_is_approved_and_left(login, general_manager, store):
    page = html(login(general_manager).get(BUDGETS))
    budget = GiftBudget.objects.get()
    row = page.split(f'id="budget-{budget.pk}"')[1].split("</tr>")[0]
    assert "2026年12月" in row and "本期" in row and "¥1,000.00" in row and "¥195.00" in row and "¥805.00" in row
    assert ">3<" in row and "陈建国" in row


def test_the_general_manager_sets_a_budget_and_overlaps_are_refused(login, general_manager, budget, clock):
    client = login(general_manager)
    response = client.post(reverse("gifts:budget_create"), {"name": "2026年第四季度", "starts_on": "2026-10-01",
                                                           "ends_on": "2026-12-15", "amount": "9000"})
    assert response.status_code == 400 and "该期间与2026年12月（2026-12-01 – 2026-12-31）重叠" in html(response)
    assert 'value="2026年第四季度"' in html(response)
    client.post(reverse("gifts:budget_create"), {"name": "2027年1月", "starts_on": "2027-01-01",
                                                "ends_on": "2027-01-31", "amount": "9000"})
    assert GiftBudget.objects.get(starts_on=date(2027, 1, 1)).amount == Decimal("9000")
    client.post(reverse("gifts:budget_edit", args=[budget.pk]), {"name": "2026年12月", "starts_on": "2026-12-01",
                                                                "ends_on": "2026-12-31", "amount": "1500"})
    budget.refresh_from_db()
    assert budget.amount == Decimal("1500")


def test_without_a_budget_today_the_page_warns_and_the_dcrc_reads_only(login, supervisor, clock):
    page = html(login(supervisor).get(BUDGETS))
    assert 'id="budget-none-today"' in page and 'id="budget-empty"' in page and 'id="budget-new"' not in page
    assert login(supervisor).get(reverse("gifts:budget_create")).status_code == 403


def test_the_lists_run_a_fixed_number_of_queries(login, general_manager, supervisor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.gifts import services

    client = login(general_manager)
    services.gift_budget_save(by=general_manager, name="1月", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31),
                              amount=Decimal(1))
    Gift.objects.create(name="a", unit_cost=1, stock=1)
    client.get(BUDGETS)
    with CaptureQueriesContext(connection) as budgets:
        client.get(BUDGETS)
    with CaptureQueriesContext(connection) as gifts:
        client.get(GIFTS)
    for month in range(2, 12):
        services.gift_budget_save(by=general_manager, name=f"{month}月", starts_on=date(2026, month, 1),
                                  ends_on=date(2026, month, 28), amount=Decimal(1))
        Gift.objects.create(name=f"g{month}", unit_cost=1, stock=1)
    with django_assert_num_queries(len(budgets.captured_queries)):
        client.get(BUDGETS)
    with django_assert_num_queries(len(gifts.captured_queries)):
        client.get(GIFTS)


def test_a_new_budget_starts_as_the_month_after_the_latest(login, general_manager, budget, clock):
    form = login(general_manager).get(reverse("gifts:budget_create")).context["form"]
    assert form.initial == {"name": "2027年1月", "starts_on": date(2027, 1, 1), "ends_on": date(2027, 1, 31)}


def test_without_any_budget_a_new_one_is_this_month(login, general_manager, clock):
    form = login(general_manager).get(reverse("gifts:budget_create")).context["form"]
    assert form.initial == {"name": "2026年12月", "starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31)}
