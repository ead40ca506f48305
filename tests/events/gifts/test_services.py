"""The request's workflow: asked for, approved by the general manager (never their own), rejected
only with a comment, sent with a courier and a number or handed over, cancelled (an approved one gives
its cost and its gift back); the budget, the stock and the yearly cap refuse what would pass them;
every step on the customer's timeline."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import override_settings

from customers.models import TimelineEntry
from customers.timeline import entry_text
from events.gifts import services
from events.gifts.models import Gift, GiftBudget, GiftRequest
from tests.customers.factories import CustomerFactory

from .conftest import NOW, ask

pytestmark = pytest.mark.django_db
S = GiftRequest.Status


# --- asking -----------------------------------------------------------------------------------------
def test_a_request_waits_with_the_catalogue_price_and_the_customer_address(interviewer, customer, cup):
    request = ask(by=interviewer, customer=customer, gift=cup, quantity=2, note="下周生日")
    assert request.status == S.REQUESTED and request.unit_cost == Decimal("68.00") and request.total == Decimal("136.00")
    assert request.address == "浦东新区张江路100号" and request.requested_by == interviewer
    cup.refresh_from_db()
    assert cup.stock == 10  # nothing taken before the approval


def test_a_child_birthday_needs_the_child_of_the_file(interviewer, customer, child, picture_books):
    with pytest.raises(services.GiftError, match="孩子"):
        ask(by=interviewer, customer=customer, gift=picture_books, reason="child_birthday")
    stranger = CustomerFactory(name="李四")
    from customers.models import FamilyMember

    other_child = FamilyMember.objects.create(customer=stranger, relation="child", name="李小")
    with pytest.raises(services.GiftError, match="不在"):
        ask(by=interviewer, customer=customer, gift=picture_books, reason="child_birthday", family_member=other_child)
    request = ask(by=interviewer, customer=customer, gift=picture_books, reason="child_birthday", family_member=child)
    assert request.family_member == child


def test_a_posted_gift_needs_an_address_a_handed_over_one_does_not(interviewer, cup):
    nowhere = CustomerFactory(name="赵六", address="")
    with pytest.raises(services.GiftError, match="地址"):
        ask(by=interviewer, customer=nowhere, gift=cup)
    request = ask(by=interviewer, customer=nowhere, gift=cup, delivery="in_store")
    assert request.address == ""


def test_who_cannot_ask_is_refused_and_a_gift_out_of_stock_or_retired_is_not_offered(colleague, interviewer,
                                                                                   customer, cup):
    with pytest.raises(PermissionDenied):
        ask(by=colleague, customer=customer, gift=cup)
    with pytest.raises(services.GiftError, match="库存"):
        ask(by=interviewer, customer=customer, gift=cup, quantity=11)
    Gift.objects.filter(pk=cup.pk).update(active=False)
    with pytest.raises(services.GiftError, match="停用"):
        ask(by=interviewer, customer=customer, gift=cup)


# --- approving --------------------------------------------------------------------------------------
def test_the_approval_charges_the_budget_and_takes_the_stock(clock, interviewer, general_manager, customer, cup,
                                                             budget):
    request = ask(by=interviewer, customer=customer, gift=cup, quantity=2)
    services.gift_request_approve(request=request, by=general_manager, comment="同意")
    request.refresh_from_db()
    budget.refresh_from_db()
    cup.refresh_from_db()
    assert request.status == S.APPROVED and request.budget == budget and request.decided_by == general_manager
    assert budget.committed == Decimal("136.00") and budget.remaining == Decimal("864.00")
    assert cup.stock == 8


def test_nobody_approves_or_rejects_their_own_request(clock, general_manager, customer, cup, budget):
    request = ask(by=general_manager, customer=customer, gift=cup)
    with pytest.raises(services.GiftError, match="自己"):
        services.gift_request_approve(request=request, by=general_manager)
    with pytest.raises(services.GiftError, match="自己"):
        services.gift_request_reject(request=request, by=general_manager, comment="不行")
    request.refresh_from_db()
    assert request.status == S.REQUESTED and not services.can_decide(general_manager, request)


def test_the_database_refuses_a_self_decided_request_too(general_manager, customer, cup):
    request = ask(by=general_manager, customer=customer, gift=cup)
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftRequest.objects.filter(pk=request.pk).update(decided_by=general_manager)


def test_only_the_general_manager_approves(clock, interviewer, supervisor, customer, cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup)
    with pytest.raises(PermissionDenied):
        services.gift_request_approve(request=request, by=supervisor)
    with pytest.raises(PermissionDenied):
        services.gift_request_approve(request=request, by=interviewer)


def test_a_request_is_decided_once(clock, interviewer, general_manager, other_gm, customer, cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_approve(request=request, by=general_manager)
    with pytest.raises(services.GiftError, match="已批准"):
        services.gift_request_approve(request=request, by=other_gm)
    with pytest.raises(services.GiftError, match="已批准"):
        services.gift_request_reject(request=request, by=other_gm, comment="不行")
    budget.refresh_from_db()
    assert budget.committed == Decimal("68.00")


def test_no_budget_for_today_refuses_the_approval(clock, interviewer, general_manager, customer, cup):
    request = ask(by=interviewer, customer=customer, gift=cup)
    with pytest.raises(services.GiftError, match="2026-12-02"):
        services.gift_request_approve(request=request, by=general_manager)


def test_the_budget_left_refuses_a_gift_that_would_pass_it_and_the_stock_stays(clock, interviewer, general_manager,
                                                                              customer, budget):
    watch = Gift.objects.create(name="纪念手表", unit_cost=Decimal("300.00"), stock=5)
    GiftBudget.objects.filter(pk=budget.pk).update(committed=Decimal("800.00"))
    request = ask(by=interviewer, customer=customer, gift=watch)
    with pytest.raises(services.GiftError, match="¥200.00"):
        services.gift_request_approve(request=request, by=general_manager)
    watch.refresh_from_db()
    budget.refresh_from_db()
    assert watch.stock == 5 and budget.committed == Decimal("800.00")
    request.refresh_from_db()
    assert request.status == S.REQUESTED


def test_the_stock_left_refuses_a_gift_it_cannot_give(clock, interviewer, general_manager, customer, cup, budget):
    first = ask(by=interviewer, customer=customer, gift=cup, quantity=3)
    second = ask(by=interviewer, customer=CustomerFactory(name="李四", address="某路1号"), gift=cup, quantity=3)
    Gift.objects.filter(pk=cup.pk).update(stock=4)
    services.gift_request_approve(request=first, by=general_manager)
    with pytest.raises(services.GiftError, match="库存只剩 1"):
        services.gift_request_approve(request=second, by=general_manager)
    budget.refresh_from_db()
    assert budget.committed == Decimal("204.00")


def test_the_database_refuses_a_budget_overspent_or_a_negative_stock(budget, cup):
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftBudget.objects.filter(pk=budget.pk).update(committed=Decimal("1000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Gift.objects.filter(pk=cup.pk).update(stock=-1)


@override_settings(GIFT_CAP_PER_CUSTOMER_YEAR=150)
def test_the_yearly_cap_counts_the_customer_approved_gifts_of_the_year(clock, interviewer, general_manager, customer,
                                                                      cup, budget):
    first = ask(by=interviewer, customer=customer, gift=cup)
    second = ask(by=interviewer, customer=customer, gift=cup)
    third = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_approve(request=first, by=general_manager)
    services.gift_request_approve(request=second, by=general_manager)  # 136 of 150
    with pytest.raises(services.GiftError, match="¥150.00"):
        services.gift_request_approve(request=third, by=general_manager)
    services.gift_request_cancel(request=second, by=interviewer, reason="客户婉拒")  # gives its 68 back to the year
    services.gift_request_approve(request=third, by=general_manager)
    assert services.customer_year_total(customer_id=customer.pk, year=2026) == Decimal("136.00")


@override_settings(GIFT_CAP_PER_CUSTOMER_YEAR=100)
def test_last_year_gifts_do_not_count_against_this_year_cap(interviewer, general_manager, customer, cup):
    services.gift_budget_save(by=general_manager, name="2025年", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31),
                              amount=Decimal("5000"))
    services.gift_budget_save(by=general_manager, name="2026年", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                              amount=Decimal("5000"))
    last_year = NOW - timedelta(days=365)
    old = ask(by=interviewer, customer=customer, gift=cup, now=last_year)
    old = services.gift_request_approve(request=old, by=general_manager, now=last_year)
    new = ask(by=interviewer, customer=customer, gift=cup)
    new = services.gift_request_approve(request=new, by=general_manager, now=NOW)  # 68 + 68 > 100 were it one year
    assert new.budget.name == "2026年" and old.budget.name == "2025年"


# --- rejecting, sending, cancelling ------------------------------------------------------------------
def test_a_rejection_needs_a_comment_and_takes_nothing(clock, interviewer, general_manager, customer, cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup)
    with pytest.raises(services.GiftError, match="驳回"):
        services.gift_request_reject(request=request, by=general_manager, comment="  ")
    services.gift_request_reject(request=request, by=general_manager, comment="本月已送过")
    request.refresh_from_db()
    budget.refresh_from_db()
    cup.refresh_from_db()
    assert request.status == S.REJECTED and request.decision_comment == "本月已送过"
    assert budget.committed == 0 and cup.stock == 10


def test_a_posted_gift_needs_the_courier_and_the_number(clock, interviewer, general_manager, supervisor, customer, cup,
                                                        budget):
    request = ask(by=interviewer, customer=customer, gift=cup)
    with pytest.raises(services.GiftError, match="批准"):
        services.gift_request_send(request=request, by=supervisor, courier="顺丰速运", tracking_number="SF1")
    services.gift_request_approve(request=request, by=general_manager)
    with pytest.raises(PermissionDenied):
        services.gift_request_send(request=request, by=interviewer, courier="顺丰速运", tracking_number="SF1")
    with pytest.raises(services.GiftError, match="快递公司"):
        services.gift_request_send(request=request, by=supervisor, tracking_number="SF1")
    with pytest.raises(services.GiftError, match="单号"):
        services.gift_request_send(request=request, by=supervisor, courier="顺丰速运")
    services.gift_request_send(request=request, by=supervisor, courier="顺丰速运", tracking_number="SF1234567890")
    request.refresh_from_db()
    assert request.status == S.SENT and request.courier == "顺丰速运" and request.sent_by == supervisor
    with pytest.raises(services.GiftError):
        services.gift_request_cancel(request=request, by=supervisor, reason="晚了")


def test_a_gift_handed_over_in_the_store_needs_no_courier(clock, interviewer, general_manager, supervisor, customer,
                                                          cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup, delivery="in_store")
    services.gift_request_approve(request=request, by=general_manager)
    services.gift_request_send(request=request, by=supervisor)
    request.refresh_from_db()
    assert request.status == S.SENT and request.courier == ""


def test_cancelling_an_approved_request_gives_the_budget_and_the_stock_back(clock, interviewer, general_manager,
                                                                           customer, cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup, quantity=3)
    services.gift_request_approve(request=request, by=general_manager)
    with pytest.raises(services.GiftError, match="原因"):
        services.gift_request_cancel(request=request, by=interviewer, reason="")
    services.gift_request_cancel(request=request, by=interviewer, reason="客户婉拒")
    request.refresh_from_db()
    budget.refresh_from_db()
    cup.refresh_from_db()
    assert request.status == S.CANCELLED and request.cancel_reason == "客户婉拒" and request.cancelled_by == interviewer
    assert budget.committed == 0 and cup.stock == 10


def test_someone_else_request_is_not_theirs_to_cancel(interviewer, agent, customer, cup):
    request = ask(by=interviewer, customer=customer, gift=cup)
    with pytest.raises(PermissionDenied):
        services.gift_request_cancel(request=request, by=agent, reason="不要了")


def test_a_sent_or_rejected_request_is_nobodys_to_cancel_and_the_refusal_says_why(
        clock, interviewer, general_manager, supervisor, customer, cup, budget):
    sent = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_approve(request=sent, by=general_manager)
    services.gift_request_send(request=sent, by=supervisor, courier="顺丰速运", tracking_number="SF1")
    rejected = ask(by=interviewer, customer=customer, gift=cup)
    services.gift_request_reject(request=rejected, by=general_manager, comment="本月预算已用于活动")
    for request in (sent, rejected):
        request.refresh_from_db()
        for user in (interviewer, supervisor, general_manager):  # who asked, who posts, who approves
            assert not services.can_cancel(user, request)
    error = services.GiftError(["第一条原因。", "第二条原因。"])
    assert str(error) == "第一条原因。 第二条原因。"  # what the page's message shows


@pytest.mark.parametrize("codename", ["add_gift", "change_gift"])
def test_either_right_on_gifts_opens_the_catalogues_editing(codename):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(username=f"holder_{codename}")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="gifts", codename=codename))
    assert services.can_edit_gifts(type(user).objects.get(pk=user.pk))
    assert not services.can_edit_gifts(UserFactory(username="nobody_in_particular"))


# --- the timeline ------------------------------------------------------------------------------------
def test_every_step_goes_on_the_customer_timeline_in_chinese(clock, interviewer, general_manager, supervisor,
                                                             customer, cup, budget):
    request = ask(by=interviewer, customer=customer, gift=cup, quantity=2)
    services.gift_request_approve(request=request, by=general_manager, comment="同意")
    services.gift_request_send(request=request, by=supervisor, courier="顺丰速运", tracking_number="SF1234567890")
    entries = list(TimelineEntry.objects.filter(customer=customer, kind="gift").order_by("id"))
    number = request.number
    texts = [entry_text(kind=e.kind, params=e.params, title=e.title, body=e.body) for e in entries]
    assert [title for title, _body in texts] == [
        f"礼品 {number} 已申请：品牌保温杯 × 2（生日），¥136.00",
        f"礼品 {number} 已由陈建国批准：品牌保温杯 × 2，¥136.00",
        f"礼品 {number} 已寄出：品牌保温杯 × 2，顺丰速运，单号 SF1234567890",
    ]
    assert texts[1][1] == "同意"


# --- the budgets --------------------------------------------------------------------------------------
def test_budget_periods_never_overlap(general_manager, budget):
    with pytest.raises(services.GiftError, match="2026年12月"):
        services.gift_budget_save(by=general_manager, name="2026年第四季度", starts_on=date(2026, 10, 1),
                                  ends_on=date(2026, 12, 1), amount=Decimal("3000"))
    services.gift_budget_save(by=general_manager, name="2027年1月", starts_on=date(2027, 1, 1),
                              ends_on=date(2027, 1, 31), amount=Decimal("3000"))
    with pytest.raises(services.GiftError, match="早于"):
        services.gift_budget_save(by=general_manager, name="错", starts_on=date(2027, 3, 5),
                                  ends_on=date(2027, 3, 1), amount=Decimal("3000"))


def test_a_budget_is_never_set_below_what_is_approved_from_it(clock, interviewer, general_manager, customer, cup,
                                                              budget, supervisor):
    services.gift_request_approve(request=ask(by=interviewer, customer=customer, gift=cup), by=general_manager)
    with pytest.raises(services.GiftError, match="¥68.00"):
        services.gift_budget_save(by=general_manager, budget=budget, name=budget.name, starts_on=budget.starts_on,
                                  ends_on=budget.ends_on, amount=Decimal("50"))
    with pytest.raises(PermissionDenied):
        services.gift_budget_save(by=supervisor, name="x", starts_on=date(2027, 5, 1), ends_on=date(2027, 5, 31),
                                  amount=Decimal("1"))
    services.gift_budget_save(by=general_manager, budget=budget, name=budget.name, starts_on=budget.starts_on,
                              ends_on=budget.ends_on, amount=Decimal("68"))
    budget.refresh_from_db()
    assert budget.remaining == 0
