"""The lapse list (流失客户): who may read it and record reasons, the band tabs with their counts, what
is known of why each customer stopped coming (the last visit, its problems and CSI score, complaints,
reasons recorded), the win-back call's state, recording a reason (a sold car asks which car and is
confirmed first), the filters, the empty states, the pages and a fixed number of queries."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import VehicleRole
from followups.retention.models import Lapse, LapseReason
from tests.customers.factories import CustomerFactory
from tests.followups.factories import complete, correct, make_callback, raise_problem

from .test_pages_support import (LAPSES, SHANGHAI, car, html, lapse, marketing_user, reason, row_of, text_of,
                                 visit)

pytestmark = pytest.mark.django_db
SINCE = date(2025, 9, 1)


def reason_url(lapse_row: Lapse) -> str:
    return reverse("retention:lapse_reason_add", args=[lapse_row.pk])


@pytest.fixture
def unhappy(agent, service_manager, severities):
    """王芳 last came on 1 September 2025 for a repair with advisor 张伟: its CSI call scored 5.5,
    corrected to 6; a problem was raised on it; she complained once; she lapsed in the 6-month band
    and her win-back call waits with the agent."""
    from followups.complaints.services import complaint_register

    customer = CustomerFactory(name="王芳", mobile="13955556666")
    vehicle = car(customer)
    earlier = visit(vehicle, on=date(2025, 3, 1), advisor="李强")
    last = visit(vehicle, on=SINCE, kind="repair", advisor="张伟")
    csi = make_callback(customer=customer, vehicle=vehicle, kind="csi", status="completed", visit=last)
    at = datetime(2025, 9, 4, 10, tzinfo=SHANGHAI)
    correct(complete(csi, agent=agent, at=at, score=5.5), by=agent, at=at + timedelta(hours=1), score=6)
    old_csi = make_callback(customer=customer, vehicle=vehicle, kind="csi", status="completed", visit=earlier)
    complete(old_csi, agent=agent, at=datetime(2025, 3, 4, 10, tzinfo=SHANGHAI), score=9)
    raise_problem(by=agent, customer=customer, vehicle=vehicle, callback=csi, description="修完还是异响")
    complaint = complaint_register(customer=customer, channel="phone", category="service", description="维修质量差",
                                   department="service", by=agent, severity=severities["general"])
    win_back = make_callback(customer=customer, vehicle=vehicle, kind="win_back", agent=agent)
    found = lapse(customer, since=SINCE, made=date(2026, 3, 2), callback=win_back)
    return {"customer": customer, "vehicle": vehicle, "lapse": found, "complaint": complaint, "last": last}


@pytest.fixture
def severities(db):
    from followups.complaints.models import Severity

    return {severity.code: severity for severity in Severity.objects.all()}


# --- who ------------------------------------------------------------------------------------------
def test_the_list_asks_for_a_login(client):
    response = client.get(LAPSES)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_who_may_not_read_lapses_is_refused(login, service_manager):
    assert login(marketing_user()).get(LAPSES).status_code == 403
    assert login(service_manager).get(LAPSES).status_code == 403


def test_the_general_manager_reads_the_list_without_recording(login, general_manager):
    found = lapse()
    client = login(general_manager)
    page = html(client.get(LAPSES))
    assert f'id="lapse-{found.pk}"' in page and f'id="lapse-reason-{found.pk}"' not in page
    assert client.post(reason_url(found), {"reason": "price"}).status_code == 403
    assert not LapseReason.objects.exists()


# --- what a row shows -----------------------------------------------------------------------------
def test_a_row_tells_what_is_known_of_why(login, agent, unhappy):
    reason(unhappy["customer"], code="price", by=agent, note="嫌工时费贵")
    page = html(login(agent).get(LAPSES))
    row = row_of(page, f"lapse-{unhappy['lapse'].pk}")
    words = text_of(row)
    assert "王芳" in words and "139****6666" in words and "13955556666" not in page
    assert "流失6个月" in words and "2026-03-02" in words
    assert "2025-09-01" in words and "维修" in words and "张伟" in words  # the last visit: day, type, advisor
    assert "李强" not in words  # not the visit before
    assert "6.0" in words and "5.5" not in words and "9.0" not in words  # the corrected CSI score of that visit
    assert "修完还是异响" in words  # the problem raised on its callback
    assert unhappy["complaint"].number in words
    assert "价格太高" in words and "嫌工时费贵" in words and "李娜" in words  # the reason recorded, by whom
    assert "待回访" in words and words.count("李娜") == 2  # the win-back call's state and its agent
    assert f'href="/callbacks/{unhappy["lapse"].callback_id}/"' in row
    assert "已知原因" in text_of(page) and "流失客户" in text_of(page)


def test_a_customer_with_nothing_on_file_says_so(login, agent):
    found = lapse(CustomerFactory(name="赵六"))
    row = text_of(row_of(html(login(agent).get(LAPSES)), f"lapse-{found.pk}"))
    assert "没有问题、投诉或已记录的原因。" in row and "未排入" in row  # no win-back call queued


# --- tabs and filters -----------------------------------------------------------------------------
def test_the_band_tabs_count_their_open_lapses_and_pick_one(login, agent):
    six = [lapse(months=6) for _n in range(2)]
    twelve = lapse(months=12)
    lapse(months=12, status="returned")
    client = login(agent)
    page = html(client.get(LAPSES))
    tabs = page[page.index('id="lapse-bands"'):page.index("</ul>", page.index('id="lapse-bands"'))]
    assert "全部分级 3" in text_of(tabs)
    assert "流失6个月 2" in text_of(tabs) and "流失12个月 1" in text_of(tabs)
    page = html(client.get(LAPSES, {"band": twelve.band_id}))
    assert f'id="lapse-{twelve.pk}"' in page and not any(f'id="lapse-{l.pk}"' in page for l in six)
    assert '<span class="text-body-secondary small" id="lapse-count">1 位客户</span>' in page
    count = re.compile(r'id="lapse-count">([^<]*)<')
    assert count.search(html(client.get(LAPSES))).group(1) == "3 位客户"
    assert count.search(html(client.get(LAPSES, {"name": "张三"}))).group(1) == "3 位客户"  # counted for a name
    assert count.search(html(client.get(LAPSES, {"name": "李"}))).group(1) == "0 位客户"
    assert f'aria-current="page" id="band-tab-{twelve.band_id}"' in page


def test_a_customer_who_crossed_two_bands_is_listed_once_in_the_deeper(login, agent):
    customer = CustomerFactory(name="钱多")
    half_year = lapse(customer, months=6, since=SINCE, made=date(2026, 3, 2))
    a_year = lapse(customer, months=12, since=SINCE, made=date(2026, 9, 2))
    client = login(agent)
    page = html(client.get(LAPSES))
    assert f'id="lapse-{a_year.pk}"' in page and f'id="lapse-{half_year.pk}"' not in page
    tabs = text_of(page[page.index('id="lapse-bands"'):page.index("</ul>", page.index('id="lapse-bands"'))])
    assert "全部分级 1" in tabs and "流失6个月 0" in tabs and "流失12个月 1" in tabs
    assert f'id="lapse-{half_year.pk}"' not in html(client.get(LAPSES, {"band": half_year.band_id}))


def test_the_status_and_name_filters_keep_their_values(login, agent):
    came = lapse(CustomerFactory(name="孙丽"), status="returned")
    still = lapse(CustomerFactory(name="孙强"))
    client = login(agent)
    page = html(client.get(LAPSES, {"status": "returned", "name": "孙"}))
    assert f'id="lapse-{came.pk}"' in page and f'id="lapse-{still.pk}"' not in page
    assert '<option value="returned" selected>' in page and 'value="孙"' in page
    page = html(client.get(LAPSES, {"name": "孙强"}))
    assert f'id="lapse-{still.pk}"' in page and f'id="lapse-{came.pk}"' not in page
    # the tabs carry the filters
    assert "name=%E5%AD%99%E5%BC%BA" in page


def test_the_empty_list_and_the_filtered_one_say_so(login, agent):
    client = login(agent)
    page = html(client.get(LAPSES))
    assert 'id="lapse-empty"' in page and "没有流失客户" in page
    lapse(CustomerFactory(name="周平"))
    page = html(client.get(LAPSES, {"name": "吴"}))
    assert 'id="lapse-empty"' in page and "没有符合筛选条件的流失客户。" in page


def test_the_list_pages_by_thirty(login, agent):
    made = [lapse(since=date(2025, 1, 1) + timedelta(days=n)) for n in range(31)]
    client = login(agent)
    first = html(client.get(LAPSES))
    assert sum(f'id="lapse-{l.pk}"' in first for l in made) == 30 and 'rel="next"' in first
    second = html(client.get(LAPSES, {"page": 2}))
    assert [l for l in made if f'id="lapse-{l.pk}"' in second] == [made[0]]


def test_the_list_runs_the_same_queries_for_one_lapse_and_for_thirty(login, agent, unhappy, severities,
                                                                      django_assert_num_queries):
    from followups.complaints.services import complaint_register

    client = login(agent)
    reason(unhappy["customer"], by=agent)
    client.get(LAPSES)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LAPSES).status_code == 200
    for n in range(29):
        customer = CustomerFactory(name=f"客户{n}")
        vehicle = car(customer)
        last = visit(vehicle, on=SINCE, advisor="张伟")
        csi = make_callback(customer=customer, vehicle=vehicle, kind="csi", status="completed", visit=last)
        complete(csi, agent=agent, at=datetime(2025, 9, 4, 10, tzinfo=SHANGHAI), score=8)
        if n % 3 == 0:
            raise_problem(by=agent, customer=customer, vehicle=vehicle, callback=csi)
            complaint_register(customer=customer, channel="phone", category="service", description="等太久",
                               department="service", by=agent, severity=severities["general"])
        reason(customer, by=agent)
        lapse(customer, since=SINCE, months=(6, 12)[n % 2],
              callback=make_callback(customer=customer, kind="win_back") if n % 2 else None)
    with django_assert_num_queries(len(one)):
        assert client.get(LAPSES).status_code == 200


# --- recording a reason -----------------------------------------------------------------------------
def test_a_reason_is_recorded_from_the_list_and_the_list_comes_back_as_it_was(login, agent, unhappy):
    client = login(agent)
    back = f"{LAPSES}?name=%E7%8E%8B&page=1"
    page = html(client.get(back))
    row = row_of(page, f"lapse-{unhappy['lapse'].pk}")
    assert f'action="{reason_url(unhappy["lapse"])}"' in row
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in row  # the row's form comes back here
    assert f'<option value="{unhappy["vehicle"].pk}">{unhappy["vehicle"].plate} 科雷傲</option>' in row
    response = client.post(reason_url(unhappy["lapse"]), {"reason": "elsewhere", "note": "在朋友店里保养", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    recorded = LapseReason.objects.get()
    assert (recorded.customer, recorded.lapse, recorded.reason, recorded.note, recorded.recorded_by) == (
        unhappy["customer"], unhappy["lapse"], "elsewhere", "在朋友店里保养", agent)
    page = html(client.get(back))
    assert "已记录王芳的原因。" in page and "在别处保养" in text_of(row_of(page, f"lapse-{unhappy['lapse'].pk}"))


def test_the_way_back_never_leaves_the_lapse_list(login, agent, unhappy):
    response = login(agent).post(reason_url(unhappy["lapse"]), {"reason": "price", "next": "https://evil.example/"})
    assert response["Location"] == LAPSES


def test_no_reason_chosen_comes_back_in_chinese_with_the_note_kept(login, agent, unhappy):
    response = login(agent).post(reason_url(unhappy["lapse"]), {"reason": "", "note": "客户没说"})
    page = html(response)
    assert response.status_code == 400 and "请选择原因。" in page and 'value="客户没说"' in page
    assert "修完还是异响" in page  # the page still says what is known
    assert not LapseReason.objects.exists()


def test_a_sold_car_asks_which_car_first(login, agent, unhappy):
    response = login(agent).post(reason_url(unhappy["lapse"]), {"reason": "sold", "note": "卖给朋友了"})
    page = html(response)
    assert response.status_code == 400 and "请说明卖掉或报废的是哪辆车。" in page and 'value="卖给朋友了"' in page
    assert not LapseReason.objects.exists()


def test_a_sold_car_is_confirmed_before_it_ends_the_ownership(login, agent, unhappy):
    client = login(agent)
    vehicle = unhappy["vehicle"]
    response = client.post(reason_url(unhappy["lapse"]), {"reason": "sold", "vehicle": vehicle.pk, "note": "卖给朋友了"})
    page = html(response)
    assert response.status_code == 200 and 'id="lapse-reason-confirm"' in page
    assert vehicle.plate in page and "不再为其生成提醒" in page
    assert not LapseReason.objects.exists()
    assert VehicleRole.objects.filter(vehicle=vehicle, kind="owner", ended_on__isnull=True).exists()
    response = client.post(reason_url(unhappy["lapse"]), {"reason": "sold", "vehicle": vehicle.pk,
                                                          "note": "卖给朋友了", "confirmed": "1"})
    assert response.status_code == 302
    recorded = LapseReason.objects.get()
    assert (recorded.reason, recorded.vehicle, recorded.note) == ("sold", vehicle, "卖给朋友了")
    assert not VehicleRole.objects.filter(vehicle=vehicle, kind="owner", ended_on__isnull=True).exists()


def test_a_car_not_the_customers_is_refused(login, agent, unhappy):
    someone_elses = car()
    response = login(agent).post(reason_url(unhappy["lapse"]), {"reason": "sold", "vehicle": someone_elses.pk})
    assert response.status_code == 400 and "请选择客户名下的车辆。" in html(response)


def test_a_move_closes_the_lapse_and_it_leaves_the_open_list(login, agent, unhappy):
    client = login(agent)
    client.post(reason_url(unhappy["lapse"]), {"reason": "moved", "note": "搬去上海了"})
    unhappy["lapse"].refresh_from_db()
    assert unhappy["lapse"].status == "lost"
    assert f'id="lapse-{unhappy["lapse"].pk}"' not in html(client.get(LAPSES))
    assert f'id="lapse-{unhappy["lapse"].pk}"' in html(client.get(LAPSES, {"status": "lost"}))


def test_the_reason_page_opens_on_its_own_for_a_link(login, agent, unhappy):
    page = html(login(agent).get(reason_url(unhappy["lapse"])))
    assert 'id="lapse-reason-form"' in page and "王芳 流失的原因" in page
    assert '<option value="sold">车已卖</option>' in page and unhappy["vehicle"].plate in page
    assert "修完还是异响" in page
