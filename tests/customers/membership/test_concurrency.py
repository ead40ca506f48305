"""The usable balance never goes below zero, even when twenty redemptions of one member come at the
same moment: each on its own database connection, all having read the same balance; the member's
row lock lets them through one by one, and the check constraint would refuse the rest anyway. The
same for an accessory's stock, and for a redemption racing the daily expiry."""

import threading
from datetime import date

import pytest

from django.db import IntegrityError, connection, connections, transaction

from customers.membership.models import Member, PointsEntry, Reward
from customers.membership.selectors import member_statement
from customers.membership.services import PointsError, points_expire, points_redeem

from .conftest import at, member_with_points

CLERKS = 20


def _at_once(work, count=CLERKS):
    """Run work(n) in `count` threads released together; returns (done, refused, errors)."""
    start = threading.Barrier(count)
    done, refused, errors = [], [], []
    lock = threading.Lock()

    def clerk(n):
        try:
            start.wait(timeout=30)
            try:
                result = work(n)
            except PointsError as error:
                with lock:
                    refused.append(error)
            else:
                with lock:
                    done.append(result)
        except Exception as error:  # noqa: BLE001 - reported below, not lost in the thread
            with lock:
                errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return done, refused, errors


def test_twenty_redemptions_at_once_on_a_balance_for_seven_make_seven_and_never_go_negative(transactional_db):
    member = member_with_points(7_500)
    labour = Reward.objects.create(kind=Reward.Kind.LABOUR, name="保养工时1小时", points=1_000, stock=None)
    seen = Member.objects.get(pk=member.pk)  # every clerk saw 7,500 usable points

    done, refused, errors = _at_once(
        lambda n: points_redeem(member=seen, reward=labour, by=None, note=f"柜台{n}", now=at(date(2026, 2, 1))))

    assert errors == []
    assert (len(done), len(refused)) == (7, 13)
    assert all("积分不足" in str(error) for error in refused)
    member.refresh_from_db()
    assert member.usable == 500
    balances = list(PointsEntry.objects.filter(member=member, kind="redeem").order_by("id")
                    .values_list("usable_after", flat=True))
    assert balances == [6_500, 5_500, 4_500, 3_500, 2_500, 1_500, 500]
    assert member_statement(member=member).adds_up
    connections.close_all()


def test_twenty_redemptions_at_once_never_take_more_than_the_accessorys_stock(transactional_db):
    members = [member_with_points(5_000, name=f"会员{n}") for n in range(CLERKS)]
    mats = Reward.objects.create(kind=Reward.Kind.ACCESSORY, name="全包围脚垫", points=3_000, stock=4)

    done, refused, errors = _at_once(lambda n: points_redeem(member=members[n], reward=mats, by=None))

    assert errors == []
    assert (len(done), len(refused)) == (4, 16)
    assert all("库存不足" in str(error) for error in refused)
    mats.refresh_from_db()
    assert mats.stock == 0
    assert sorted(Member.objects.values_list("usable", flat=True)) == [2_000] * 4 + [5_000] * 16
    connections.close_all()


def test_redemptions_racing_the_expiry_leave_a_statement_that_adds_up_and_no_negative_balance(transactional_db):
    member = member_with_points(6_000, joined=date(2024, 1, 2))  # last paid visit 2024: expires in 2025
    hours = Reward.objects.create(kind=Reward.Kind.LABOUR, name="保养工时1小时", points=1_000, stock=None)
    seen = Member.objects.get(pk=member.pk)

    def work(n):
        if n == 0:
            return points_expire(on=date(2025, 8, 1), now=at(date(2025, 8, 1), 5, 30))
        return points_redeem(member=seen, reward=hours, by=None, now=at(date(2025, 8, 1), 5, 30))

    done, refused, errors = _at_once(work, count=10)

    assert errors == []
    member.refresh_from_db()
    assert member.usable == 0
    statement = member_statement(member=member)
    assert statement.adds_up
    redeemed = -statement.totals["redeemed"]
    assert redeemed + -statement.totals["expired"] == 6_000
    assert len(refused) == 9 - redeemed // 1_000
    connections.close_all()


def test_the_database_refuses_a_negative_balance_whatever_the_code(db):
    member = member_with_points(100)
    with pytest.raises(IntegrityError, match="member_usable_never_negative"), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(usable=-1)
    with pytest.raises(IntegrityError, match="points_entry_balance_never_negative"), transaction.atomic():
        PointsEntry.objects.create(member=member, kind="redeem", points=-200, usable_after=-100,
                                   at=at(date(2026, 1, 1)))
    member.refresh_from_db()
    assert member.usable == 100
