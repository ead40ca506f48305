"""The supervisor's correction: points added or taken with a required reason, a new line of the
statement (nothing rewritten) and both balances moved; more than the usable balance taken, a reason
missing or 0 points refused in Chinese with what was typed; nobody else may correct."""

from datetime import date

import pytest
from django.urls import reverse

from customers.membership.models import PointsEntry

from .test_pages_support import clock, html, member, service_manager, supervisor_user

__all__ = ["clock"]
pytestmark = pytest.mark.django_db


def url(found) -> str:
    return reverse("membership:points_adjust", args=[found.pk])


def test_a_correction_adds_a_line_with_the_reason_and_moves_both_balances(login, clock):
    found = member("王建华", points=9_800, joined=date(2026, 3, 1))
    client = login(supervisor_user())
    assert "可用 9800 · 累计 9800" in html(client.get(url(found)))
    response = client.post(url(found), {"points": "300", "note": "工单RO123导入较晚"}, follow=True)
    assert "已登记积分调整 +300；可用积分 10100。" in html(response)
    found.refresh_from_db()
    assert (found.usable, found.cumulative, found.tier.name) == (10_100, 10_100, "银卡")
    line = PointsEntry.objects.get(kind="adjust")
    assert (line.points, line.usable_after, line.note, line.by.username) == (
        300, 10_100, "工单RO123导入较晚", "supervisor_sun")
    assert PointsEntry.objects.filter(member=found).count() == 2  # the earning line is untouched


def test_points_are_taken_off_down_to_zero_not_below(login, clock):
    found = member("王建华", points=800)
    client = login(supervisor_user())
    response = client.post(url(found), {"points": "-900", "note": "重复计分"})
    assert response.status_code == 400 and "可用积分为 800，最多只能扣除 800 积分。" in html(response)
    assert 'value="-900"' in html(response) and 'value="重复计分"' in html(response)
    client.post(url(found), {"points": "-800", "note": "重复计分"})
    found.refresh_from_db()
    assert (found.usable, found.cumulative) == (0, 0)


@pytest.mark.parametrize(("points", "note", "message"), [
    ("0", "没有变化", "调整 0 积分没有任何变化。"),
    ("", "原因", "请填写增加或扣除的积分。"),
    ("五百", "原因", "请填写整数积分，例如 500 或 -500。"),
    ("500", "", "请填写调整积分的原因。"),
])
def test_a_correction_that_does_not_hold_is_refused_in_chinese(login, clock, points, note, message):
    found = member("王建华", points=800)
    response = login(supervisor_user()).post(url(found), {"points": points, "note": note})
    assert response.status_code == 400 and message in html(response) and "is-invalid" in html(response)
    assert not PointsEntry.objects.filter(kind="adjust").exists()


def test_only_the_supervisor_corrects(login, general_manager, clock):
    found = member("王建华", points=800)
    for user in (service_manager(), general_manager):
        assert login(user).get(url(found)).status_code == 403
        assert login(user).post(url(found), {"points": "100", "note": "试试"}).status_code == 403
    assert not PointsEntry.objects.filter(kind="adjust").exists()


def test_the_form_runs_a_fixed_number_of_queries(login, clock):
    from .test_pages_support import queries_of

    found = member("王建华", points=800)
    client = login(supervisor_user())
    few = queries_of(client, url(found))
    for n in range(5):
        points_adjust_line(found, n)
    assert queries_of(client, url(found)) == few


def points_adjust_line(found, n: int) -> None:
    from customers.membership.services import points_adjust

    points_adjust(member=found, points=10, by=supervisor_user(), note=f"补录{n}")
