"""The scripts' pages: the supervisor edits, the agent reads, a sales manager is kept out."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealer_crm.accounts.roles import Role
from followups.scripts import services
from followups.scripts.models import Script, ScriptVersion
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory
from tests.followups.factories import seeded_scripts


@pytest.fixture(autouse=True)
def _seeded_scripts(db):
    seeded_scripts()


@pytest.fixture
def sales_manager(db):
    return UserFactory(username="sales_zhou", display_name="周强", roles=[Role.SALES_MANAGER])


@pytest.fixture
def renault_ssi(db):
    return Script.objects.get(key="renault_ssi")


@pytest.fixture
def draft(renault_ssi, supervisor):
    return services.script_draft_start(script=renault_ssi, by=supervisor)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_each_script_with_its_published_version_and_draft(login, supervisor, draft):
    page = text_of(login(supervisor).get(reverse("scripts:script_list")))
    row = page[page.index(f'id="script-{draft.script_id}"'):]
    row = row[:row.index("</tr>")]
    assert "雷诺新车销售满意度回访（SSI）" in row and "SSI（销售满意度）" in row and "雷诺" in row
    assert "v1" in row and "13 个问题" in row and reverse("scripts:draft_edit", args=[draft.pk]) in row
    assert "所有品牌" in page  # the all-brand scripts
    assert "新建话术" in page


def test_an_agent_reads_the_scripts_but_gets_no_editing(login, agent, draft, renault_ssi):
    client = login(agent)
    page = text_of(client.get(reverse("scripts:script_list")))
    assert "雷诺新车销售满意度回访（SSI）" in page and "新建话术" not in page
    assert reverse("scripts:draft_edit", args=[draft.pk]) not in page
    detail = text_of(client.get(reverse("scripts:script_detail", args=[renault_ssi.pk])))
    assert "开始新版本" not in detail and "停用" not in detail and "编辑草稿" not in detail
    version = renault_ssi.versions.get(number=1)
    assert "交车时销售顾问是否讲解了车辆功能" in text_of(client.get(reverse("scripts:version_detail", args=[version.pk])))
    assert client.get(reverse("scripts:draft_edit", args=[draft.pk])).status_code == 403
    question = draft.questions.first()
    for name, args, data in [("script_new", [], {}), ("draft_publish", [draft.pk], {}),
                             ("question_add", [draft.pk], {"text": "新问题", "kind": "text", "factor": "other"}),
                             ("question_delete", [question.pk], {}), ("question_move", [question.pk], {}),
                             ("question_edit", [question.pk], {}), ("draft_start", [renault_ssi.pk], {}),
                             ("script_switch", [renault_ssi.pk], {})]:
        assert client.post(reverse(f"scripts:{name}", args=args), data).status_code == 403, name
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.questions.count() == 13


def test_a_sales_manager_gets_403_on_every_script_page(login, sales_manager, draft, renault_ssi):
    client = login(sales_manager)
    question = draft.questions.first()
    pages = [reverse("scripts:script_list"), reverse("scripts:script_detail", args=[renault_ssi.pk]),
             reverse("scripts:version_detail", args=[draft.pk]), reverse("scripts:version_preview", args=[draft.pk]),
             reverse("scripts:draft_edit", args=[draft.pk]), reverse("scripts:question_edit", args=[question.pk])]
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_the_supervisor_starts_a_new_version_and_lands_in_its_editor(login, supervisor, renault_ssi):
    client = login(supervisor)
    response = client.post(reverse("scripts:draft_start", args=[renault_ssi.pk]), follow=True)
    draft = renault_ssi.versions.get(status="draft")
    assert response.redirect_chain[-1][0] == reverse("scripts:draft_edit", args=[draft.pk])
    page = text_of(response)
    assert "已在当前发布版本的基础上新建草稿 v2。" in page and "交车时销售顾问是否讲解了车辆功能" in page
    assert 'data-confirm="发布“雷诺新车销售满意度回访（SSI）”的 v2？' in page


def test_a_second_start_says_there_is_a_draft_already(login, supervisor, draft, renault_ssi):
    response = login(supervisor).post(reverse("scripts:draft_start", args=[renault_ssi.pk]), follow=True)
    assert "此话术已有草稿：请先编辑或发布该草稿。" in text_of(response)
    assert renault_ssi.versions.count() == 2


def test_the_supervisor_adds_a_choice_question_with_its_dissatisfied_option(login, supervisor, draft):
    response = login(supervisor).post(reverse("scripts:question_add", args=[draft.pk]), {
        "text": "您会向朋友推荐雷诺吗？", "factor": "overall", "kind": "choice", "required": "on",
        "choices": "会\n不一定\n不会", "choice_dissatisfied": "不会", "yes_no_dissatisfied": "no",
        "dissatisfied_below": "7"}, follow=True)
    question = draft.questions.get(position=14)
    assert (question.kind, question.choices, question.dissatisfied_answers, question.dissatisfied_below) == (
        "choice", ["会", "不一定", "不会"], ["不会"], None)
    assert "第 14 题已添加。" in text_of(response)


def test_a_bad_question_comes_back_with_the_message_and_what_was_typed(login, supervisor, draft):
    response = login(supervisor).post(reverse("scripts:question_add", args=[draft.pk]), {
        "text": "您对洗车满意吗？", "factor": "pick_up", "kind": "choice", "choices": "满意\n一般",
        "choice_dissatisfied": "很差"})
    page = text_of(response)
    assert response.status_code == 400
    assert "不满意答案必须是选项之一：“很差”不是。" in page and "您对洗车满意吗？" in page
    assert draft.questions.count() == 13


def test_the_supervisor_edits_moves_and_removes_a_question(login, supervisor, draft):
    client = login(supervisor)
    first, second = draft.questions.order_by("position")[:2]
    assert "您到店看车时" in text_of(client.get(reverse("scripts:question_edit", args=[first.pk])))
    client.post(reverse("scripts:question_edit", args=[first.pk]), {
        "text": "您到店时是否有人主动接待？", "factor": "sales_init", "kind": "yes_no", "required": "on",
        "yes_no_dissatisfied": "no"})
    first.refresh_from_db()
    assert first.text == "您到店时是否有人主动接待？"
    client.post(reverse("scripts:question_move", args=[first.pk]), {"direction": "down"})
    assert list(draft.questions.order_by("position").values_list("pk", flat=True)[:2]) == [second.pk, first.pk]
    client.post(reverse("scripts:question_delete", args=[second.pk]))
    assert draft.questions.count() == 12 and draft.questions.get(position=1).pk == first.pk


def test_the_supervisor_saves_the_opening_words(login, supervisor, draft):
    login(supervisor).post(reverse("scripts:draft_edit", args=[draft.pk]), {
        "opening": "您好，{name}{title}，我是{agent}。", "closing": "再见！", "note": "开场白更简短"})
    draft.refresh_from_db()
    assert (draft.opening, draft.closing, draft.note) == ("您好，{name}{title}，我是{agent}。", "再见！", "开场白更简短")


def test_publishing_from_the_editor_replaces_the_version_in_use(login, supervisor, draft, renault_ssi):
    response = login(supervisor).post(reverse("scripts:draft_publish", args=[draft.pk]), follow=True)
    assert "“雷诺新车销售满意度回访（SSI）”版本 2 已发布：从现在起新的回访使用此版本。" in text_of(response)
    assert dict(renault_ssi.versions.values_list("number", "status")) == {1: "retired", 2: "published"}
    page = text_of(response)
    assert "已被替换" in page and "刘芳" in page  # the history: who published v2


def test_a_published_version_has_no_editor_and_refuses_changes_from_a_stale_page(login, supervisor, renault_ssi):
    client = login(supervisor)
    published = renault_ssi.versions.get(number=1)
    question = published.questions.get(position=1)
    response = client.get(reverse("scripts:draft_edit", args=[published.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("scripts:version_detail", args=[published.pk])
    assert "此版本已锁定" in text_of(response)
    response = client.post(reverse("scripts:question_delete", args=[question.pk]), follow=True)
    assert "版本 1 已发布，不能再修改：请开始一个新版本来编辑话术。" in text_of(response)
    response = client.post(reverse("scripts:question_add", args=[published.pk]),
                           {"text": "新问题", "kind": "text", "factor": "other"}, follow=True)
    assert "不能再修改" in text_of(response)
    assert published.questions.count() == 13 and published.questions.filter(pk=question.pk).exists()


def test_publishing_an_empty_draft_is_refused_with_the_reason(login, supervisor):
    client = login(supervisor)
    response = client.post(reverse("scripts:script_new"), {
        "name": "保险续保回访", "key": "insurance_renewal", "kind": "custom", "brand": "renault"}, follow=True)
    script = Script.objects.get(key="insurance_renewal")
    draft = script.versions.get()
    assert response.redirect_chain[-1][0] == reverse("scripts:draft_edit", args=[draft.pk])
    assert "暂不能发布" in text_of(response)
    response = client.post(reverse("scripts:draft_publish", args=[draft.pk]), follow=True)
    assert "草稿中还没有问题：发布前请至少添加一个问题。" in text_of(response)
    assert ScriptVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_new_script_of_a_kind_and_brand_in_use_is_refused(login, supervisor):
    response = login(supervisor).post(reverse("scripts:script_new"), {
        "name": "另一个", "key": "another", "kind": "ssi", "brand": "renault"})
    assert "使用中的话术已有相同的类型和品牌。" in text_of(response)
    assert not Script.objects.filter(key="another").exists()


def test_the_preview_fills_the_opening_with_a_real_customer(login, supervisor, renault_ssi):
    customer = CustomerFactory(name="王建华", gender="M")
    make_vehicle(customer, serial=1, model_name="科雷傲", plate="粤B88888")
    version = renault_ssi.versions.get(number=1)
    page = text_of(login(supervisor).get(reverse("scripts:version_preview", args=[version.pk]),
                                         {"customer": customer.pk}))
    assert "您好，请问是王建华先生吗？" in page and "回访专员刘芳" in page and "雷诺科雷傲（车牌粤B88888）" in page
    assert customer.mobile not in page


def _editor_queries(client, version) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("scripts:draft_edit", args=[version.pk])).status_code == 200
    return len(queries)


def test_the_editor_runs_the_same_queries_for_one_question_and_for_many(login, supervisor):
    client = login(supervisor)
    one = services.script_create(key="one_q", name="一题", kind="custom", brand="renault", by=supervisor).versions.get()
    services.question_add(version=one, text="满意吗？", kind="yes_no", dissatisfied_answers=["no"])
    many = services.script_create(key="many_q", name="多题", kind="custom", brand="mitsubishi",
                                  by=supervisor).versions.get()
    for number in range(30):
        services.question_add(version=many, text=f"问题{number}", kind=["score", "yes_no", "choice", "text"][number % 4],
                              choices=["好", "不好"], dissatisfied_answers=[])
    _editor_queries(client, one)  # the first page of a session also reads what the session caches
    assert _editor_queries(client, one) == _editor_queries(client, many)


def test_the_list_runs_the_same_queries_whatever_the_number_of_scripts(login, supervisor):
    client = login(supervisor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("scripts:script_list"))
        return len(queries)

    count()  # the first page of a session also reads what the session caches
    before = count()
    for number, (kind, brand) in enumerate([("custom", "renault"), ("custom", "mitsubishi"), ("custom", "other"),
                                            ("first_maint", "renault"), ("second", "renault")]):
        script = services.script_create(key=f"extra{number}", name=f"额外{number}", kind=kind, brand=brand,
                                        by=supervisor)
        services.question_add(version=script.versions.get(), text="满意吗？", kind="score", dissatisfied_below=7)
        services.draft_publish(version=script.versions.get(), by=supervisor, now=timezone.now())
    assert count() == before
