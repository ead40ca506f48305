"""The workbench's pages: the queue with take the next, one callback's page, its forms, who may
use them, and a fixed number of queries whatever the queue's length."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Callback, Problem, ScriptResponse
from followups.callbacks.services.calls import callback_take_next
from tests.factories import UserFactory
from tests.followups.factories import (
    CustomerFactory, default_callback_rules, make_callback, make_vehicle, publish_script,
)

QUEUE = reverse("callbacks:workbench")
NEXT = reverse("callbacks:take_next")


@pytest.fixture(autouse=True)
def _default_rules(db):
    default_callback_rules()


@pytest.fixture
def colleague_agent(db):
    return UserFactory(username="agent_wu", display_name="吴敏", roles=[Role.CALLBACK_AGENT])


def shipped_severities() -> None:
    """The complaint severities the complaints' data migration ships (a transactional test run
    before this one empties the table)."""
    from importlib import import_module

    from django.apps import apps

    import_module("followups.complaints.migrations.0002_default_severities").create(apps, None)


def due(**kwargs) -> Callback:
    now = timezone.now()
    return make_callback(due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=5), **kwargs)


def held_by(agent, **kwargs) -> Callback:
    callback = due(**kwargs)
    assert callback_take_next(agent=agent).pk == callback.pk
    return callback


def questions(version):
    """The script's four questions by their kind."""
    class Questions:
        pass

    q = Questions()
    q.score, q.yes_no, q.choice, q.text = version.questions.order_by("position")
    return q


def form_for(version, **answers) -> dict:
    """The script form as the page posts it: all answered and satisfied unless `answers` says otherwise."""
    q = questions(version)
    data = {"version": version.pk, f"q-{q.score.pk}": "9", f"q-{q.yes_no.pk}": "yes", f"q-{q.choice.pk}": "会",
            f"q-{q.text.pk}": "", "remark": "客户很满意"}
    data.update({f"q-{getattr(q, name).pk}": value for name, value in answers.items()})
    return data


@pytest.mark.django_db
def test_the_queue_lists_todays_callbacks_with_the_take_next_button(login, agent):
    callback = due(customer=CustomerFactory(name="王建华"), kind="csi")
    response = login(agent).get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "领取下一条" in html and "王建华" in html and f'id="callback-{callback.pk}"' in html
    assert 'data-shortcut="n"' in html and "js/workbench.js" in html


@pytest.mark.django_db
def test_the_queue_shows_neither_a_colleagues_callback_nor_tomorrows(login, agent, colleague_agent):
    theirs = due(agent=colleague_agent, customer=CustomerFactory(name="赵六"))
    tomorrow = make_callback(due_at=timezone.now() + timedelta(days=1), customer=CustomerFactory(name="钱七"))
    html = login(agent).get(QUEUE).content.decode()
    assert f'id="callback-{theirs.pk}"' not in html and f'id="callback-{tomorrow.pk}"' not in html
    assert "今天没有待回访的客户" in html


@pytest.mark.django_db
def test_the_queue_filters_by_kind(login, agent):
    ssi, csi = due(kind="ssi"), due(kind="csi")
    html = login(agent).get(QUEUE + "?kind=csi").content.decode()
    assert f'id="callback-{csi.pk}"' in html and f'id="callback-{ssi.pk}"' not in html


@pytest.mark.django_db
def test_take_next_opens_the_callback_it_gave(login, agent):
    callback = due()
    response = login(agent).post(NEXT)
    assert response.status_code == 302 and response.url == reverse("callbacks:callback_detail", args=[callback.pk])
    callback.refresh_from_db()
    assert callback.status == Callback.Status.IN_PROGRESS and callback.assigned_to_id == agent.pk


@pytest.mark.django_db
def test_take_next_with_nothing_due_says_so(login, agent):
    response = login(agent).post(NEXT, follow=True)
    assert "目前没有待回访的客户" in response.content.decode()


@pytest.mark.django_db
def test_the_workbench_shows_the_customers_context_and_the_script(login, agent):
    version = publish_script("ssi")
    customer = CustomerFactory(name="李雷", mobile="13812345678")
    vehicle = make_vehicle(customer, serial=901001, plate="苏A12345")
    callback = held_by(agent, customer=customer, vehicle=vehicle)
    html = login(agent).get(reverse("callbacks:callback_detail", args=[callback.pk])).content.decode()
    assert "李雷" in html and "苏A12345" in html
    assert "李雷您好" in html and "{name}" not in html  # the opening words with the customer's details
    assert "13812345678" not in html and "138****5678" in html  # masked, with the logged reveal
    assert reverse("customers:reveal_phones", args=[customer.pk]) in html
    assert "您对本次服务的总体满意度打几分？" in html and f'name="version" value="{version.pk}"' in html
    assert "未接通" in html and "占线" in html and "空号/错号" in html and "拒访" in html
    assert "转投诉" in html and "完成回访" in html


@pytest.mark.django_db
def test_a_colleague_agent_gets_403_on_a_callback_held_by_another(login, agent, colleague_agent):
    publish_script("ssi")
    callback = held_by(agent)
    client = login(colleague_agent)
    detail = reverse("callbacks:callback_detail", args=[callback.pk])
    assert client.get(detail).status_code == 403
    for name in ("callback_attempt", "callback_complete", "callback_release", "callback_claim"):
        assert client.post(reverse(f"callbacks:{name}", args=[callback.pk]), {"outcome": "no_answer"}).status_code == 403
    callback.refresh_from_db()
    assert callback.attempts == 0 and callback.assigned_to_id == agent.pk


@pytest.mark.django_db
def test_a_lounge_host_gets_403_on_the_workbench(login, colleague):
    assert login(colleague).get(QUEUE).status_code == 403
    assert login(colleague).post(NEXT).status_code == 403


@pytest.mark.django_db
def test_an_agent_who_has_not_taken_it_sees_it_but_cannot_record(login, agent):
    publish_script("ssi")
    callback = due()
    client = login(agent)
    html = client.get(reverse("callbacks:callback_detail", args=[callback.pk])).content.decode()
    assert "领取这条回访" in html and 'id="script-form"' in html and 'id="complete"' not in html
    assert client.post(reverse("callbacks:callback_attempt", args=[callback.pk]),
                       {"outcome": "no_answer"}).status_code == 403


@pytest.mark.django_db
def test_an_outcome_button_records_the_call(login, agent):
    callback = held_by(agent)
    response = login(agent).post(reverse("callbacks:callback_attempt", args=[callback.pk]), {"outcome": "busy"})
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.attempts == 1 and callback.last_outcome == "busy" and callback.status == Callback.Status.OPEN


@pytest.mark.django_db
def test_a_call_back_time_in_the_past_is_refused_in_chinese(login, agent):
    callback = held_by(agent)
    past = timezone.localtime() - timedelta(hours=1)
    response = login(agent).post(reverse("callbacks:callback_attempt", args=[callback.pk]),
                                 {"outcome": "call_back", "call_back_at": past.strftime("%Y-%m-%dT%H:%M")}, follow=True)
    assert "回电时间必须晚于现在" in response.content.decode()
    callback.refresh_from_db()
    assert callback.attempts == 0


@pytest.mark.django_db
def test_completing_from_the_page_saves_the_answers(login, agent):
    version = publish_script("ssi")
    callback = held_by(agent)
    response = login(agent).post(reverse("callbacks:callback_complete", args=[callback.pk]), form_for(version))
    assert response.status_code == 302 and response.url == QUEUE
    callback.refresh_from_db()
    assert callback.status == Callback.Status.COMPLETED
    assert ScriptResponse.objects.get(callback=callback).remark == "客户很满意"


@pytest.mark.django_db
def test_an_invalid_answer_comes_back_with_everything_filled_and_the_error_next_to_its_question(login, agent):
    version = publish_script("ssi")
    callback = held_by(agent)
    q = questions(version)
    data = form_for(version)
    data.update({f"q-{q.yes_no.pk}": "", f"q-{q.text.pk}": "洗车不干净", f"p-{q.text.pk}-action": "problem",
                 f"p-{q.text.pk}-category": "repair", f"p-{q.text.pk}-department": "service",
                 f"p-{q.text.pk}-description": "客户说洗车不干净"})
    response = login(agent).post(reverse("callbacks:callback_complete", args=[callback.pk]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "此题为必答题，请填写答案。" in html and 'id="question-%d"' % q.yes_no.pk in html
    assert f'id="q-{q.score.pk}-9" value="9" checked' in html  # the score kept
    assert ">洗车不干净</textarea>" in html and "客户说洗车不干净" in html and "客户很满意" in html
    assert not ScriptResponse.objects.filter(callback=callback).exists() and not Problem.objects.exists()


@pytest.mark.django_db
def test_a_low_score_escalated_from_the_page_opens_a_complaint(login, agent):
    shipped_severities()
    version = publish_script("csi")
    callback = held_by(agent, kind="csi")
    q = questions(version)
    data = form_for(version, score="3")
    data.update({f"p-{q.score.pk}-action": "complaint", f"p-{q.score.pk}-description": ""})
    assert login(agent).post(reverse("callbacks:callback_complete", args=[callback.pk]), data).status_code == 302
    from followups.complaints.models import Complaint

    complaint = Complaint.objects.get(callback=callback)  # a complaint of the complaints app, not a problem
    assert (complaint.channel, complaint.answer.score, complaint.registered_by) == ("callback", 3, agent)
    assert complaint.description == "您对本次服务的总体满意度打几分？：3"  # prefilled from the question and answer
    assert not Problem.objects.filter(callback=callback).exists()


@pytest.mark.django_db
def test_a_problem_without_its_department_is_refused_and_nothing_is_saved(login, agent):
    version = publish_script("ssi")
    callback = held_by(agent)
    q = questions(version)
    data = form_for(version)
    data.update({f"p-{q.score.pk}-action": "problem", f"p-{q.score.pk}-category": "repair"})
    response = login(agent).post(reverse("callbacks:callback_complete", args=[callback.pk]), data)
    assert response.status_code == 400 and "请选择责任部门。" in response.content.decode()
    assert not ScriptResponse.objects.exists()


def _queries(client, url) -> int:
    client.get(url)  # the session's first request reads and writes what later ones do not
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_queue_page_runs_the_same_queries_for_one_callback_and_for_thirty(login, agent):
    client = login(agent)
    held_by(agent)
    due(customer=CustomerFactory())
    one = _queries(client, QUEUE)
    for _ in range(30):
        due(customer=CustomerFactory(), vehicle=None)
    assert _queries(client, QUEUE) == one


@pytest.mark.django_db
def test_the_queue_pages_list_due_now_before_later_today_each_by_priority_then_due_time(
        login, agent, colleague_agent, monkeypatch):
    from followups.callbacks.selectors import queue as queue_selectors

    monkeypatch.setattr(queue_selectors, "QUEUE_PAGE_SIZE", 2)
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        now = timezone.now()

        def at(hours, **kwargs):
            return make_callback(due_at=now + timedelta(hours=hours), expires_at=now + timedelta(days=5), **kwargs)

        nobodys_early, mine_urgent = at(-3, kind="csi"), at(-1, agent=agent, priority=5)
        nobodys_urgent, mine_early = at(-2, priority=5), at(-4, agent=agent)
        later_mine, later_nobodys_urgent, later_nobodys_next = at(2, agent=agent), at(3, priority=9), at(4, priority=9)
        at(-5, agent=colleague_agent, priority=9)  # a colleague's: in nobody's queue but theirs
        make_callback(due_at=now - timedelta(days=3), expires_at=now - timedelta(hours=1), priority=9)  # expired
        at(15)  # tomorrow
        client = login(agent)
        listed = [[int(pk) for pk in re.findall(r'<tr id="callback-(\d+)"', client.get(QUEUE, {"page": page})
                                                 .content.decode())] for page in (1, 2, 3, 4)]
        csi_only = re.findall(r'<tr id="callback-(\d+)"', client.get(QUEUE, {"kind": "csi"}).content.decode())
    assert listed == [[nobodys_urgent.pk, mine_urgent.pk], [mine_early.pk, nobodys_early.pk],
                      [later_nobodys_urgent.pk, later_nobodys_next.pk], [later_mine.pk]]
    assert [int(pk) for pk in csi_only] == [nobodys_early.pk]


@pytest.mark.django_db
def test_the_workbench_page_runs_the_same_queries_whatever_the_customers_history(login, agent):
    publish_script("ssi")
    customer = CustomerFactory()
    callback = held_by(agent, customer=customer)
    client = login(agent)
    url = reverse("callbacks:callback_detail", args=[callback.pk])
    few = _queries(client, url)
    for n in range(6):
        make_vehicle(customer, serial=902000 + n)
        make_callback(customer=customer, status="completed", due_at=timezone.now() - timedelta(days=n + 1))
    assert _queries(client, url) == few


@pytest.mark.django_db
def test_the_agents_home_shows_the_callbacks_due_today_with_their_true_count(login, agent):
    for _ in range(8):
        due(customer=CustomerFactory(name="孙悦"))
    html = login(agent).get(reverse("home")).content.decode()
    assert html.count("孙悦") == 6  # the panel's rows
    assert ">8<" in html.replace(" ", "")  # the badge says all of them


@pytest.mark.django_db
def test_the_agents_home_lists_theirs_and_nobodys_callbacks_by_priority_then_due_time(login, agent, colleague_agent):
    now = timezone.now()
    names = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七"]
    for name, hours, whose, priority in (("吴六", -1, None, 0), ("赵一", -1, agent, 5), ("孙三", -3, agent, 0),
                                         ("钱二", -2, None, 5), ("李四", -2, None, 0), ("周五", -1, agent, 0),
                                         ("郑七", -1, None, 0)):
        make_callback(due_at=now + timedelta(hours=hours, minutes=names.index(name)), agent=whose, priority=priority,
                      expires_at=now + timedelta(days=3), customer=CustomerFactory(name=name))
    make_callback(due_at=now - timedelta(hours=5), agent=colleague_agent, priority=9,
                  customer=CustomerFactory(name="王同事"))
    response = login(agent).get(reverse("home"))
    shown = [row.text.split(" · ")[0] for panel, found in response.context["panels"]
             if panel.key == "callbacks" for row in found.rows]
    assert shown == ["钱二", "赵一", "孙三", "李四", "周五", "吴六"]  # six rows; 郑七 is the seventh


@pytest.mark.django_db
def test_the_home_panel_marks_in_red_a_callback_expiring_within_a_day(login, agent):
    now = timezone.now()
    make_callback(due_at=now - timedelta(hours=1), expires_at=now + timedelta(hours=3),
                  customer=CustomerFactory(name="周急"))
    make_callback(due_at=now - timedelta(hours=1), expires_at=now + timedelta(days=3),
                  customer=CustomerFactory(name="吴缓"))
    response = login(agent).get(reverse("home"))
    rows = {row.text.split(" · ")[0]: row.tone for panel, found in response.context["panels"]
            if panel.key == "callbacks" for row in found.rows}
    assert rows == {"周急": "danger", "吴缓": ""}


def completed_by(agent, version, **answers) -> Callback:
    from followups.callbacks.services.calls import callback_complete

    callback = held_by(agent)
    q = questions(version)
    values = {q.score.pk: "4", q.yes_no.pk: "yes", q.choice.pk: "会", q.text.pk: ""}
    callback_complete(callback=callback, agent=agent, version=version, answers=values | answers)
    return callback


@pytest.mark.django_db
def test_the_agent_corrects_answers_with_a_reason_and_the_old_ones_stay(login, agent):
    version = publish_script("ssi")
    callback = completed_by(agent, version)
    client = login(agent)
    detail = reverse("callbacks:callback_detail", args=[callback.pk])
    q = questions(version)
    html = client.get(detail + "?correct=1").content.decode()
    assert f'id="q-{q.score.pk}-4" value="4" checked' in html and 'name="reason"' in html
    data = form_for(version, score="8")
    response = client.post(reverse("callbacks:callback_correct", args=[callback.pk]), data | {"reason": "客户更正评分"})
    assert response.status_code == 302
    old, new = ScriptResponse.objects.filter(callback=callback).order_by("id")
    assert (old.average_score, new.average_score, new.corrects_id, new.correction_reason) == (4, 8, old.pk, "客户更正评分")
    html = client.get(detail).content.decode()
    assert "已更正" in html and 'id="answered-summary"' in html


@pytest.mark.django_db
def test_a_correction_without_a_reason_is_refused_and_keeps_what_was_typed(login, agent):
    version = publish_script("ssi")
    callback = completed_by(agent, version)
    response = login(agent).post(reverse("callbacks:callback_correct", args=[callback.pk]),
                                 form_for(version, score="7") | {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "请填写更正原因。" in html
    assert f'id="q-{questions(version).score.pk}-7" value="7" checked' in html
    assert ScriptResponse.objects.filter(callback=callback).count() == 1


@pytest.mark.django_db
def test_a_colleague_agent_cannot_correct_anothers_answers(login, agent, colleague_agent):
    version = publish_script("ssi")
    callback = completed_by(agent, version)
    Callback.objects.filter(pk=callback.pk).update(assigned_to=None)  # even where the callback is nobody's now
    response = login(colleague_agent).post(reverse("callbacks:callback_correct", args=[callback.pk]),
                                           form_for(version) | {"reason": "改一下"})
    assert response.status_code == 403
    assert ScriptResponse.objects.filter(callback=callback).count() == 1
