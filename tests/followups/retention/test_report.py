"""The retention results (招揽转化) on a small data set whose figures are worked out by hand here:
conversion by month and kind, by channel and by advisor; the first-maintenance rate by delivery
month on each model's own window; the lapsed customers who came back; who may read it, the months
asked for, and a fixed number of queries."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.retention.models import LapseBand, ServiceDue
from tests.customers.factories import CustomerFactory

from .test_pages_support import REPORT, SHANGHAI, car, cells_of, html, lapse, marketing_user, reminder, row_of

pytestmark = pytest.mark.django_db
MID_JUNE = "2026-06-15 10:00+08:00"
# The kinds' columns in the month table, in ReminderKind's order: 首保招揽, 首保追踪, 保养提醒, 流失挽回;
# each made, came back, rate.
FIRST, CHASE, MAINTENANCE, ALL_KINDS = range(4)  # the columns of the month × kind table


@pytest.fixture
def six_reminders():
    """Six reminders in March and April 2026 over two channels and two advisors, three converted;
    and two that must not count: one skipped (nobody to send it to), one made in December.

        made    kind         channel advisor converted
        03-02   first        sms     张伟    yes
        03-09   first        call    李强    no
        03-16   maintenance  sms     张伟    yes
        04-01   maintenance  sms     李强    no
        04-08   maintenance  call    张伟    yes
        04-15   first        call    李强    no
    """
    rows = [
        (date(2026, 3, 2), "first", "sms", "张伟", date(2026, 3, 30)),
        (date(2026, 3, 9), "first", "call", "李强", None),
        (date(2026, 3, 16), "maintenance", "sms", "张伟", date(2026, 4, 2)),
        (date(2026, 4, 1), "maintenance", "sms", "李强", None),
        (date(2026, 4, 8), "maintenance", "call", "张伟", date(2026, 4, 20)),
        (date(2026, 4, 15), "first", "call", "李强", None),
    ]
    made = [reminder(kind=kind, channel=channel, advisor=advisor, made=on, converted=came)
            for on, kind, channel, advisor, came in rows]
    reminder(kind="maintenance", channel="sms", advisor="张伟", made=date(2026, 4, 20), status="skipped",
             skip_reason="no_contact")
    reminder(kind="first", channel="sms", advisor="张伟", made=date(2025, 12, 20), converted=date(2026, 1, 5))
    return made


def month_cells(page: str, month: str) -> list[str]:
    return cells_of(row_of(page, f"month-{month}"))[1:]


def kind_cells(cells: list[str], kind: int) -> list[str]:
    return cells[kind * 3:kind * 3 + 3]


@time_machine.travel(MID_JUNE, tick=False)
def test_conversion_by_month_and_kind_on_a_known_data_set(login, supervisor, six_reminders):
    page = html(login(supervisor).get(REPORT, {"start": "2026-03", "end": "2026-04"}))
    march, april = month_cells(page, "2026-03"), month_cells(page, "2026-04")
    # March: first 2 made, 1 back; maintenance 1 made, 1 back; all 3 made, 2 back.
    assert kind_cells(march, FIRST) == ["2", "1", "50.0%"]
    assert kind_cells(march, MAINTENANCE) == ["1", "1", "100.0%"]
    assert kind_cells(march, CHASE) == ["0", "0", "—"]
    assert kind_cells(march, ALL_KINDS) == ["3", "2", "66.7%"]
    # April: first 1 made, 0 back; maintenance 2 made, 1 back (the skipped one not counted); all 3, 1.
    assert kind_cells(april, FIRST) == ["1", "0", "0.0%"]
    assert kind_cells(april, MAINTENANCE) == ["2", "1", "50.0%"]
    assert kind_cells(april, ALL_KINDS) == ["3", "1", "33.3%"]
    total = cells_of(row_of(page, "month-total"))[1:]
    assert kind_cells(total, FIRST) == ["3", "1", "33.3%"] and kind_cells(total, MAINTENANCE) == ["3", "2", "66.7%"]
    assert kind_cells(total, ALL_KINDS) == ["6", "3", "50.0%"]  # December's is outside the months asked for
    assert 'id="month-2025-12"' not in page and 'id="month-2026-05"' not in page


@time_machine.travel(MID_JUNE, tick=False)
def test_conversion_by_channel_and_by_advisor_on_a_known_data_set(login, supervisor, six_reminders):
    page = html(login(supervisor).get(REPORT, {"start": "2026-03", "end": "2026-04"}))
    assert cells_of(row_of(page, "channel-sms")) == ["短信", "3", "2", "66.7%"]
    assert cells_of(row_of(page, "channel-call")) == ["电话", "3", "1", "33.3%"]
    assert cells_of(row_of(page, "channel-letter")) == ["信件", "0", "0", "—"]
    advisors = [cells_of(row_of(page, f"advisor-{n}")) for n in (1, 2)]
    assert advisors == [["张伟", "3", "3", "100.0%"], ["李强", "3", "0", "0.0%"]]


@time_machine.travel(MID_JUNE, tick=False)
def test_one_kind_asked_for_shows_only_that_kind(login, supervisor, six_reminders):
    page = html(login(supervisor).get(REPORT, {"start": "2026-03", "end": "2026-04", "kind": "maintenance"}))
    assert month_cells(page, "2026-03") == ["1", "1", "100.0%"] and month_cells(page, "2026-04") == ["2", "1", "50.0%"]
    assert cells_of(row_of(page, "channel-sms")) == ["短信", "2", "1", "50.0%"]
    assert cells_of(row_of(page, "channel-call")) == ["电话", "1", "1", "100.0%"]
    assert '<option value="maintenance" selected>' in page and 'value="2026-03"' in page and 'value="2026-04"' in page


def first_done(model_name: str, *, delivered: date, done: date | None):
    vehicle = car(model_name=model_name, delivered=delivered)
    owner = vehicle.roles.get(kind="owner").customer
    return ServiceDue.objects.create(vehicle=vehicle, customer=owner, delivered_on=delivered, first_done_on=done)


@time_machine.travel(MID_JUNE, tick=False)
def test_the_first_maintenance_rate_by_delivery_month_counts_each_models_window(login, supervisor):
    """科雷傲 (Renault) has 3 months in the catalogue, 欧蓝德 (Mitsubishi) 6. January: four delivered,
    three within their window — on the last day (04-10), 31 January + 3 months = 30 April, and a
    欧蓝德 at 5 months — and one a day late (04-21 for 01-20): 75.0%. February: two delivered, none
    done; the 科雷傲's window closed on 5 May, the 欧蓝德's runs to 10 August (waiting): 0.0%, not final."""
    first_done("科雷傲", delivered=date(2026, 1, 10), done=date(2026, 4, 10))
    first_done("科雷傲", delivered=date(2026, 1, 20), done=date(2026, 4, 21))
    first_done("欧蓝德", delivered=date(2026, 1, 15), done=date(2026, 6, 1))
    first_done("科雷傲", delivered=date(2026, 1, 31), done=date(2026, 4, 30))
    first_done("科雷傲", delivered=date(2026, 2, 5), done=None)
    first_done("欧蓝德", delivered=date(2026, 2, 10), done=None)
    first_done("科雷傲", delivered=date(2025, 12, 30), done=date(2026, 2, 1))  # before the months asked for
    page = html(login(supervisor).get(REPORT, {"start": "2026-01", "end": "2026-04"}))
    january, february = row_of(page, "first-2026-01"), row_of(page, "first-2026-02")
    assert cells_of(january) == ["2026-01", "4", "3", "75.0%", "1", "0", "0"]
    # February's 科雷傲 missed its window (closed 5 May): not done, window over
    assert cells_of(february) == ["2026-02 未结束", "2", "0", "0.0%", "0", "1", "1"]
    assert cells_of(row_of(page, "first-2026-03")) == ["2026-03", "0", "0", "—", "0", "0", "0"]
    assert "未结束" not in january


@time_machine.travel(MID_JUNE, tick=False)
def test_lapsed_customers_who_came_back_by_month_and_band(login, supervisor):
    lapse(months=6, made=date(2026, 3, 3))
    lapse(months=6, made=date(2026, 3, 10), status="returned", returned_on=date(2026, 4, 1))
    lapse(months=12, made=date(2026, 3, 20), status="returned", returned_on=date(2026, 5, 1))
    lapse(months=12, made=date(2026, 4, 2), status="lost")
    page = html(login(supervisor).get(REPORT, {"start": "2026-03", "end": "2026-04"}))
    assert "流失6个月" in page and "流失12个月" in page
    # March: 6 months, 2 lapsed, 1 back; 12 months, 1 and 1; all 3 and 2. April: 12 months, 1 lapsed, lost.
    # Other bands in use (the shipped 18 months) show none.
    expected = {
        "2026-03": {6: ["2", "1", "50.0%"], 12: ["1", "1", "100.0%"], "all": ["3", "2", "66.7%"]},
        "2026-04": {6: ["0", "0", "—"], 12: ["1", "0", "0.0%"], "all": ["1", "0", "0.0%"]},
    }
    bands = list(LapseBand.objects.filter(active=True).order_by("months").values_list("months", flat=True))
    for month, by_band in expected.items():
        cells = [month] + [cell for months in bands for cell in by_band.get(months, ["0", "0", "—"])] + by_band["all"]
        assert cells_of(row_of(page, f"lapse-month-{month}")) == cells


@time_machine.travel(MID_JUNE, tick=False)
def test_the_report_opens_on_the_last_six_months(login, supervisor):
    page = html(login(supervisor).get(REPORT))
    for month in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        assert f'id="month-{month}"' in page
    assert 'id="month-2025-12"' not in page and 'value="2026-01"' in page and 'value="2026-06"' in page
    assert 'id="report-empty"' in page and "这几个月没有下发招揽或提醒。" in page


def test_months_the_wrong_way_round_are_refused_in_chinese(login, supervisor):
    response = login(supervisor).get(REPORT, {"start": "2026-05", "end": "2026-03"})
    page = html(response)
    assert response.status_code == 400 and "结束月份早于开始月份。" in page and 'id="report-months"' not in page
    assert 'value="2026-05"' in page and 'value="2026-03"' in page


def test_more_than_three_years_at_once_is_refused(login, supervisor):
    response = login(supervisor).get(REPORT, {"start": "2020-01", "end": "2026-03"})
    assert response.status_code == 400 and "一次最多显示 36 个月。" in html(response)


def test_a_month_that_is_no_month_is_refused_in_chinese(login, supervisor):
    response = login(supervisor).get(REPORT, {"start": "2026-13"})
    assert response.status_code == 400 and "请填写月份，如 2026-03。" in html(response)


def test_who_may_read_the_report(client, login, agent, service_manager, general_manager):
    response = client.get(REPORT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(marketing_user()).get(REPORT).status_code == 403
    for user in (agent, general_manager):
        assert 'id="report-lapses"' in html(login(user).get(REPORT))
    # The service desk reads the reminders' results, not the lapsed customers.
    page = html(login(service_manager).get(REPORT))
    assert 'id="report-months"' in page and 'id="report-lapses"' not in page


def test_the_report_runs_the_same_queries_for_few_rows_and_many(login, supervisor, django_assert_num_queries):
    client = login(supervisor)
    lapse(months=6, made=date(2026, 3, 3))
    reminder(made=date(2026, 3, 2), converted=date(2026, 3, 20))
    first_done("科雷傲", delivered=date(2026, 1, 10), done=date(2026, 4, 10))
    params = {"start": "2026-01", "end": "2026-06"}
    client.get(REPORT, params)
    with CaptureQueriesContext(connection) as few:
        assert client.get(REPORT, params).status_code == 200
    for n in range(20):
        reminder(kind=("first", "maintenance", "first_chase")[n % 3], channel=("sms", "call", "letter")[n % 3],
                 advisor=f"顾问{n % 4}", made=date(2026, 1 + n % 6, 1 + n), converted=date(2026, 6, 28) if n % 2 else None)
        first_done(("科雷傲", "欧蓝德", "不知名车型")[n % 3], delivered=date(2026, 1 + n % 6, 2),
                   done=date(2026, 6, 1) if n % 2 else None)
        lapse(CustomerFactory(), months=(6, 12, 18)[n % 3], made=date(2026, 1 + n % 6, 5))
    with django_assert_num_queries(len(few)):
        assert client.get(REPORT, params).status_code == 200


# --- the export ----------------------------------------------------------------------------------
EXPORT = "/retention/report/export/xlsx/"


def workbook_rows(response) -> list[list]:
    import io

    import openpyxl

    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@time_machine.travel(MID_JUNE, tick=False)
def test_the_export_holds_the_tables_with_the_same_figures_and_is_audited(login, supervisor, six_reminders):
    from dealer_crm.audit.models import AuditEvent

    client = login(supervisor)
    page = html(client.get(REPORT, {"start": "2026-03", "end": "2026-04"}))
    assert 'href="/retention/report/export/xlsx/?start=2026-03&amp;end=2026-04"' in page
    response = client.get(EXPORT, {"start": "2026-03", "end": "2026-04"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('retention-202603-202605.xlsx"')
    rows = workbook_rows(response)
    assert rows[0] == ["表", "月份", "项目", "数量", "回厂或按时完成", "比率"]
    assert ["按月份和类型", "2026-03", "首保招揽", 2, 1, "50.0%"] in rows
    assert ["按月份和类型", "合计", "全部类型", 6, 3, "50.0%"] in rows
    assert ["按渠道", None, "短信", 3, 2, "66.7%"] in rows
    assert ["按服务顾问", None, "张伟", 3, 3, "100.0%"] in rows
    event = AuditEvent.objects.filter(action="export").latest("at")
    assert event.detail["rows"] == len(rows) - 1 and event.detail["filters"]["start"] == "2026-03-01"


def test_the_export_is_for_who_may_export(login, agent, general_manager):
    assert login(agent).get(EXPORT).status_code == 403  # reads the report, exports nothing
    assert 'id="export-xlsx"' not in html(login(agent).get(REPORT))
    assert login(general_manager).get(EXPORT).status_code == 200


def test_an_export_of_months_that_do_not_hold_goes_back_to_the_report(login, supervisor):
    response = login(supervisor).get(EXPORT, {"start": "2026-05", "end": "2026-03"}, follow=True)
    assert "请先更正月份再导出。" in html(response)
    assert login(supervisor).get("/retention/report/export/pdf/").status_code == 404
