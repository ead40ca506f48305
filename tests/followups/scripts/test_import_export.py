"""A script's questions to Excel and back (the admin, django-import-export): rows keyed by script,
version and position; a published version is never changed — rows go into a draft only."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from followups.scripts.models import Script
from tests.factories import UserFactory
from tests.followups.factories import seeded_scripts

URL = "/admin/scripts/question/"
HEADER = ["话术标识", "版本", "序号", "考核维度", "问题", "答案类型", "选项", "必答", "低于几分为不满意", "不满意答案"]


@pytest.fixture(autouse=True)
def _seeded_scripts(db):
    seeded_scripts()


@pytest.fixture
def staff_supervisor(db):
    return UserFactory(username="supervisor_staff", display_name="刘芳", roles=[Role.DCRC_SUPERVISOR], is_staff=True)


def export(client) -> list[list]:
    form = client.get(URL + "export/").context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    response = client.post(URL + "export/", {**data, "format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, rows: list[list]):
    preview = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(
        "话术.xlsx", workbook(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    if confirm is None:
        return preview, None
    return preview, client.post(URL + "process_import/", {**confirm.initial, "resource": "0"})


def rows_of(rows: list[list], key: str) -> list[list]:
    return [row for row in rows if row[0] == key]


def test_the_export_has_chinese_columns_one_row_a_question_and_is_audited(login, staff_supervisor):
    rows = export(login(staff_supervisor))
    assert rows[0] == HEADER
    second = rows_of(rows, "second_callback")
    assert second[0] == ["second_callback", 1, 1, "总体", "上次您反映的问题已处理，请问您对处理结果满意吗？", "是/否", None, "是",
                         None, "否"]
    assert second[1][5:10] == ["评分 0–10", None, "是", 7, None]
    recommend = next(row for row in rows_of(rows, "renault_ssi") if row[5] == "单选")
    assert recommend[6:] == ["一定会/可能会/不确定/不会", "是", None, "不会"]
    assert len(rows_of(rows, "renault_ssi")) == 13
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=staff_supervisor).exists()


def test_rows_exported_and_imported_as_the_next_version_make_a_draft_with_the_changes(login, staff_supervisor):
    client = login(staff_supervisor)
    rows = rows_of(export(client), "renault_csi")
    for row in rows:
        row[1] = 2  # the next version
    rows[0][4] = "您这次是否提前预约？到店后是否在5分钟内有人接待？"
    rows.append(["renault_csi", 2, 12, "服务顾问", "服务顾问是否主动提醒您下次保养时间？", "是/否", "", "否", "", "否"])
    _preview, done = upload(client, [HEADER, *rows])
    assert done is not None and done.status_code == 302
    script = Script.objects.get(key="renault_csi")
    draft = script.versions.get(status="draft")
    assert draft.number == 2 and draft.created_by == staff_supervisor
    questions = list(draft.questions.order_by("position"))
    assert len(questions) == 12
    assert questions[0].text == "您这次是否提前预约？到店后是否在5分钟内有人接待？"
    added = questions[-1]
    assert (added.factor, added.kind, added.required, added.dissatisfied_answers) == ("advisor", "yes_no", False, ["no"])
    # the published version is as it was, and the round trip of the untouched rows changed nothing
    published = script.versions.get(number=1)
    assert published.status == "published" and published.questions.count() == 11
    assert published.questions.get(position=1).text == "您这次是否提前预约？到店后是否有服务顾问及时接待？"
    again = rows_of(export(client), "renault_csi")
    assert [row[2:] for row in again if row[1] == 2][1:11] == [row[2:] for row in rows][1:11]


def test_rows_for_a_published_version_are_refused_and_change_nothing(login, staff_supervisor):
    client = login(staff_supervisor)
    rows = rows_of(export(client), "mitsubishi_ssi")
    rows[0][4] = "改过的问题"
    preview, done = upload(client, [HEADER, *rows])
    assert done is None
    page = preview.content.decode()
    assert "“mitsubishi_ssi”的版本 1 已发布，不能修改：请导入到新草稿版本 2。" in page
    script = Script.objects.get(key="mitsubishi_ssi")
    assert script.versions.count() == 1
    assert not script.versions.get().questions.filter(text="改过的问题").exists()


def test_an_imported_row_is_held_to_the_editors_rules(login, staff_supervisor):
    client = login(staff_supervisor)
    preview, done = upload(client, [HEADER, ["custom", 2, 1, "总体", "满意吗？", "单选", "满意/一般", "是", "", "很差"],
                                    ["custom", 2, 2, "维度X", "打几分？", "评分", "", "是", "", ""]])
    assert done is None
    page = preview.content.decode()
    assert "不满意答案必须是选项之一：“很差”不是。" in page
    assert "“维度X”不是有效的考核维度" in page
    assert not Script.objects.get(key="custom").versions.filter(number=2).exists()


def test_a_row_for_a_version_that_skips_a_number_or_an_unknown_script_is_refused(login, staff_supervisor):
    preview, done = upload(login(staff_supervisor), [
        HEADER, ["thank_you", 5, 1, "总体", "满意吗？", "评分", "", "是", 7, ""],
        ["no_such", 1, 1, "总体", "满意吗？", "评分", "", "是", 7, ""]])
    assert done is None
    page = preview.content.decode()
    assert "“thank_you”没有版本 5：请导入到版本 2。" in page and "没有标识为“no_such”的话术。" in page


def test_only_the_supervisor_may_import(login, db):
    agent = UserFactory(username="agent_staff", roles=[Role.CALLBACK_AGENT], is_staff=True)
    client = login(agent)
    assert client.get(URL + "import/").status_code == 403


def test_a_script_added_in_the_admin_gets_its_draft_v1(login, staff_supervisor):
    response = login(staff_supervisor).post("/admin/scripts/script/add/", {
        "key": "lapsed", "name": "流失客户关怀回访", "kind": "custom", "brand": "mitsubishi"})
    assert response.status_code == 302
    script = Script.objects.get(key="lapsed")
    assert list(script.versions.values_list("number", "status", "created_by")) == [(1, "draft", staff_supervisor.pk)]
