"""The lapse bands (流失分级): who may read and change them, adding and editing with the checks in
Chinese (nothing typed is lost), the open lapses counted per band, and a fixed number of queries."""

import pytest
from django.urls import reverse

from followups.retention.models import LapseBand

from .test_pages_support import BANDS, band, html, lapse, marketing_user, row_of, text_of

pytestmark = pytest.mark.django_db
NEW = reverse("retention:band_create")


def edit_url(found: LapseBand) -> str:
    return reverse("retention:band_edit", args=[found.pk])


def test_the_bands_ask_for_a_login(client):
    response = client.get(BANDS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_who_may_not_set_the_bands_is_refused(login, agent, general_manager):
    six = band(6)
    for user in (marketing_user(), agent, general_manager):
        client = login(user)
        assert client.get(BANDS).status_code == 403
        assert client.get(NEW).status_code == 403
        assert client.post(edit_url(six), {"months": 7, "name": "改了"}).status_code == 403
    six.refresh_from_db()
    assert (six.months, six.name) == (6, "流失6个月")


def test_the_list_shows_each_band_with_its_open_lapses(login, supervisor):
    six, twelve = band(6), band(12, win_back_call=False)
    band(24, name="流失两年", active=False)
    lapse(months=6), lapse(months=6), lapse(months=6, status="returned")
    page = html(login(supervisor).get(BANDS))
    # name, months, win-back call, in use, open lapses (the returned one not counted), edit
    assert text_of(row_of(page, f"band-{six.pk}")).split() == ["流失6个月", "6", "个月", "是", "是", "2", "编辑"]
    assert "否" in text_of(row_of(page, f"band-{twelve.pk}"))  # no win-back call
    assert f'href="/retention/lapses/?band={six.pk}"' in row_of(page, f"band-{six.pk}")
    assert "流失分级" in page and "新建分级" in page


def test_a_band_is_added(login, supervisor):
    client = login(supervisor)
    response = client.post(NEW, {"months": 24, "name": "流失24个月", "win_back_call": "on", "active": "on"}, follow=True)
    added = LapseBand.objects.get(months=24)
    assert (added.name, added.win_back_call, added.active) == ("流失24个月", True, True)
    assert "分级“流失24个月”已保存，流失任务下次运行时生效。" in html(response)


def test_a_band_is_renamed_and_switched_off(login, supervisor):
    six = band(6)
    client = login(supervisor)
    page = html(client.get(edit_url(six)))
    assert 'value="流失6个月"' in page and 'value="6"' in page
    response = client.post(edit_url(six), {"months": 6, "name": "半年未回厂"})
    assert response.status_code == 302
    six.refresh_from_db()
    assert (six.name, six.active, six.win_back_call) == ("半年未回厂", False, False)


@pytest.mark.parametrize(("months", "name", "message"), [
    ("12", "重复的", "已有其他分级使用此月数。"),
    ("0", "零个月", "至少 1 个月。"),
    ("121", "十年以上", "最多 120 个月。"),
    ("半年", "半年", "请填写整数月数。"),
    ("", "没有月数", "请填写未回厂的月数。"),
    ("9", "", "请填写分级名称，如 流失6个月。"),
])
def test_a_band_that_does_not_hold_is_refused_in_chinese_with_what_was_typed(login, supervisor, months, name, message):
    band(12)
    before = LapseBand.objects.count()
    response = login(supervisor).post(NEW, {"months": months, "name": name})
    page = html(response)
    assert response.status_code == 400 and message in page
    assert (f'value="{name}"' in page) if name else True
    assert 'is-invalid' in page
    assert LapseBand.objects.count() == before


def test_no_band_yet_is_said(login, supervisor):
    LapseBand.objects.filter(lapses__isnull=True).delete()
    page = html(login(supervisor).get(BANDS))
    assert 'id="band-empty"' in page and "尚无分级" in page


def test_the_list_runs_the_same_queries_for_few_bands_and_many(login, supervisor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(supervisor)
    band(6)
    client.get(BANDS)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BANDS).status_code == 200
    for months in range(30, 40):
        band(months)
        lapse(months=months)
    with django_assert_num_queries(len(few)):
        assert client.get(BANDS).status_code == 200
