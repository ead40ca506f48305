"""Never over the budget, never below zero stock, never over a customer's yearly cap, even when the
general managers approve at the same moment: 20 approvals, each on its own database connection,
started together by a barrier."""

import threading
from decimal import Decimal

from django.db import connection, connections
from django.test import override_settings

from customers.models import Customer
from events.gifts import services
from events.gifts.models import Gift, GiftRequest

from .conftest import DECEMBER, NOW

APPROVALS = 20


def _approve_all(requests, approvers) -> tuple[list, list, list]:
    start = threading.Barrier(len(requests))
    approved, refused, errors = [], [], []
    lock = threading.Lock()

    def approve(request, approver):
        try:
            start.wait(timeout=30)
            try:
                services.gift_request_approve(request=request, by=approver, now=NOW)
            except services.GiftError as error:
                with lock:
                    refused.append(str(error))
            else:
                with lock:
                    approved.append(request.pk)
        except Exception as error:  # noqa: BLE001 - reported below, not lost in the thread
            with lock:
                errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=approve, args=(request, approvers[index % len(approvers)]))
               for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    connections.close_all()
    return approved, refused, errors


def _requests(*, by, gift, customers, quantity=1) -> list[GiftRequest]:
    return [services.gift_request_create(customer=customer, gift=gift, by=by, reason="birthday", quantity=quantity,
                                         now=NOW) for customer in customers]


def _customers(count: int) -> list[Customer]:
    return [Customer.objects.create(name=f"客户{n}", address=f"某路{n}号") for n in range(count)]


def test_twenty_approvals_against_a_budget_for_seven_charge_exactly_seven(transactional_db, interviewer,
                                                                         general_manager, other_gm):
    gift = Gift.objects.create(name="车载香薰", unit_cost=Decimal("100.00"), stock=100)
    budget = services.gift_budget_save(by=general_manager, name="2026年12月", starts_on=DECEMBER[0],
                                       ends_on=DECEMBER[1], amount=Decimal("750.00"))
    requests = _requests(by=interviewer, gift=gift, customers=_customers(APPROVALS))

    approved, refused, errors = _approve_all(requests, [general_manager, other_gm])

    assert errors == []
    assert len(approved) == 7 and len(refused) == 13
    assert all("预算只剩¥50.00" in message for message in refused)  # refused only once seven are charged
    budget.refresh_from_db()
    gift.refresh_from_db()
    assert budget.committed == Decimal("700.00") and budget.committed <= budget.amount
    assert gift.stock == 93
    assert GiftRequest.objects.filter(status="approved", budget=budget).count() == 7
    assert GiftRequest.objects.filter(status="requested").count() == 13


def test_twenty_approvals_for_a_stock_of_five_take_exactly_five(transactional_db, interviewer, general_manager,
                                                                other_gm):
    gift = Gift.objects.create(name="积木车模", unit_cost=Decimal("10.00"), stock=5)
    budget = services.gift_budget_save(by=general_manager, name="2026年12月", starts_on=DECEMBER[0],
                                       ends_on=DECEMBER[1], amount=Decimal("10000.00"))
    requests = _requests(by=interviewer, gift=gift, customers=_customers(APPROVALS))
    Gift.objects.filter(pk=gift.pk).update(stock=5)

    approved, refused, errors = _approve_all(requests, [general_manager, other_gm])

    assert errors == [] and len(approved) == 5 and len(refused) == 15
    assert all("库存只剩 0 件" in message for message in refused)
    gift.refresh_from_db()
    budget.refresh_from_db()
    assert gift.stock == 0 and budget.committed == Decimal("50.00")  # nothing charged for a refused one


@override_settings(GIFT_CAP_PER_CUSTOMER_YEAR=300)
def test_twenty_approvals_for_one_customer_stop_at_the_yearly_cap(transactional_db, interviewer, general_manager,
                                                                  other_gm):
    gift = Gift.objects.create(name="保温杯", unit_cost=Decimal("70.00"), stock=100)
    budget = services.gift_budget_save(by=general_manager, name="2026年12月", starts_on=DECEMBER[0],
                                       ends_on=DECEMBER[1], amount=Decimal("10000.00"))
    customer = _customers(1)[0]
    requests = _requests(by=interviewer, gift=gift, customers=[customer] * APPROVALS)

    approved, refused, errors = _approve_all(requests, [general_manager, other_gm])

    assert errors == [] and len(approved) == 4 and len(refused) == 16  # 4 × 70 = 280 ≤ 300 < 350
    assert services.customer_year_total(customer_id=customer.pk, year=2026) == Decimal("280.00")
    budget.refresh_from_db()
    gift.refresh_from_db()
    assert budget.committed == Decimal("280.00") and gift.stock == 96


def test_ten_overlapping_budgets_set_at_once_leave_one(transactional_db, general_manager):
    from datetime import date

    start = threading.Barrier(10)
    saved, refused, errors = [], [], []
    lock = threading.Lock()

    def set_budget(day: int):
        try:
            start.wait(timeout=30)
            try:
                budget = services.gift_budget_save(by=general_manager, name=f"方案{day}", starts_on=date(2027, 3, day),
                                                   ends_on=date(2027, 3, 31), amount=Decimal("5000"))
            except services.GiftError as error:
                with lock:
                    refused.append(str(error))
            else:
                with lock:
                    saved.append(budget.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=set_budget, args=(day,)) for day in range(1, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    connections.close_all()
    assert errors == [] and len(saved) == 1 and len(refused) == 9
    assert all("预算期间不能重叠" in message for message in refused)
