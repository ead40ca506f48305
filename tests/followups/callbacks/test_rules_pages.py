"""The rules page (回访规则) of the DCRC supervisor: the rules and outcomes, their edit forms with
clear Chinese errors, who may see and change them, and the menu entry."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse

from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging.models import SmsTemplate
from dealer_crm.navigation import menu_for
from followups.callbacks.models import Callback, CallbackRule, OutcomeRule
from followups.callbacks.services.building import callbacks_build
from tests.factories import UserFactory
from tests.followups.factories import default_callback_rules, deliver

pytestmark = pytest.mark.django_db

LIST = reverse("callbacks:rule_list")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _setup(db):
    sync_role_permissions()
    default_callback_rules()


def ssi() -> CallbackRule:
    return CallbackRule.objects.get(kind="ssi")


def form_data(rule: CallbackRule, **changes) -> dict:
    data = {"enabled": "on" if rule.enabled else "", "due_days": ", ".join(map(str, rule.due_days)),
            "expires_after_days": rule.expires_after_days, "priority": rule.priority,
            "max_attempts": rule.max_attempts, "attempt_days": rule.attempt_days, "no_calls": rule.no_calls,
            "sms_template": rule.sms_template_id or ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_the_supervisor_sees_every_rule_and_outcome(login, supervisor):
    response = login(supervisor).get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "回访规则" in html
    assert html.count("<tr id=\"rule-") == CallbackRule.objects.count() == 10
    assert html.count("<tr id=\"outcome-") == 6
    assert "下次生成" in html  # a change applies from the next build, and the page says so
    assert reverse("callbacks:rule_edit", args=[ssi().pk]) in html


def test_the_rules_page_runs_a_fixed_number_of_queries(login, supervisor):
    client = login(supervisor)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    CallbackRule.objects.create(kind="csi", visit_kind="internal", due_days=[3], expires_after_days=15,
                                updated_by=supervisor)
    with CaptureQueriesContext(connection) as more:
        client.get(LIST)
    assert len(more) == len(few)


@pytest.mark.parametrize("role", [Role.CALLBACK_AGENT, Role.LOUNGE_HOST, Role.SERVICE_MANAGER])
def test_other_roles_may_not_see_or_change_the_rules(login, role):
    client = login(UserFactory(roles=[role]))

    assert client.get(LIST).status_code == 403
    assert client.get(reverse("callbacks:rule_edit", args=[ssi().pk])).status_code == 403
    response = client.post(reverse("callbacks:rule_edit", args=[ssi().pk]), form_data(ssi(), priority=99))
    assert response.status_code == 403
    assert ssi().priority == 10
    outcome = OutcomeRule.objects.get(outcome="busy")
    assert client.post(reverse("callbacks:outcome_edit", args=[outcome.pk]), {"retry_after_minutes": 5}).status_code == 403
    assert OutcomeRule.objects.get(outcome="busy").retry_after_minutes == 30


def test_the_supervisor_changes_a_rule_and_is_recorded_as_its_editor(login, supervisor):
    rule = ssi()
    response = login(supervisor).post(reverse("callbacks:rule_edit", args=[rule.pk]),
                                      form_data(rule, due_days="2，5 ,9", expires_after_days=12, priority=20))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.due_days, rule.expires_after_days, rule.priority) == ([2, 5, 9], 12, 20)
    assert rule.updated_by == supervisor
    page = login(supervisor).get(LIST).content.decode()
    assert "第 2 天" in page or "第2天" in page
    assert supervisor.display_name in page or str(supervisor) in page


@pytest.mark.parametrize(("days", "message"), [
    ("3, x", "不是天数"),
    ("", "至少填写一天"),
    ("3, 3", "重复"),
    ("400", "一年"),
])
def test_bad_due_days_are_refused_in_chinese_and_the_input_is_kept(login, supervisor, days, message):
    rule = ssi()
    response = login(supervisor).post(reverse("callbacks:rule_edit", args=[rule.pk]),
                                      form_data(rule, due_days=days or "", priority=33))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="33"' in html  # nothing typed is lost
    assert ssi().priority == 10


def test_a_rule_expiring_before_its_last_due_day_is_refused(login, supervisor):
    rule = ssi()
    response = login(supervisor).post(reverse("callbacks:rule_edit", args=[rule.pk]),
                                      form_data(rule, due_days="3, 7", expires_after_days=5))

    assert response.status_code == 200
    assert "第 7 天" in response.content.decode()
    assert ssi().expires_after_days == 14


def test_the_sms_route_needs_a_service_text(login, supervisor):
    rule = ssi()
    marketing = SmsTemplate.objects.create(key="promo", name="促销", purpose="marketing", text="{name}您好，本周末试驾有礼")
    client = login(supervisor)

    none = client.post(reverse("callbacks:rule_edit", args=[rule.pk]), form_data(rule, sms_template=""))
    other = client.post(reverse("callbacks:rule_edit", args=[rule.pk]), form_data(rule, sms_template=marketing.pk))
    skip = client.post(reverse("callbacks:rule_edit", args=[rule.pk]), form_data(rule, sms_template="", no_calls="skip"))

    assert none.status_code == 200 and "短信" in none.content.decode()
    assert other.status_code == 200 and "促销" not in other.content.decode().split('id="id_sms_template"')[1].split("</select>")[0]
    assert skip.status_code == 302
    rule.refresh_from_db()
    assert (rule.no_calls, rule.sms_template) == ("skip", None)


def test_a_change_on_the_page_applies_from_the_next_build(login, supervisor):
    delivered = date(2026, 6, 1)
    vehicle = deliver(on=delivered)
    on = delivered + timedelta(days=3)
    now = datetime.combine(on, time(5, 30), tzinfo=SHANGHAI)
    callbacks_build(on=on, now=now)
    built = Callback.objects.get(kind="ssi")
    rule = ssi()

    login(supervisor).post(reverse("callbacks:rule_edit", args=[rule.pk]), form_data(rule, due_days="3, 4", priority=40))
    callbacks_build(on=on + timedelta(days=1), now=now + timedelta(days=1))

    built.refresh_from_db()
    assert built.priority == 10
    assert Callback.objects.get(source_key=f"delivery:{vehicle.pk}:d4").priority == 40


def test_switching_a_rule_off_on_the_page_stops_its_builds(login, supervisor):
    rule = ssi()
    login(supervisor).post(reverse("callbacks:rule_edit", args=[rule.pk]), form_data(rule, enabled=""))
    delivered = date(2026, 6, 1)
    deliver(on=delivered)

    counts = callbacks_build(on=delivered + timedelta(days=3),
                             now=datetime.combine(delivered + timedelta(days=3), time(5, 30), tzinfo=SHANGHAI))

    assert ssi().enabled is False
    assert counts["ssi"] == 0
    assert "已停用" in login(supervisor).get(LIST).content.decode()


def test_the_supervisor_changes_when_a_busy_customer_reappears(login, supervisor):
    busy = OutcomeRule.objects.get(outcome="busy")
    client = login(supervisor)

    assert client.post(reverse("callbacks:outcome_edit", args=[busy.pk]), {"retry_after_minutes": 45}).status_code == 302
    busy.refresh_from_db()
    assert busy.retry_after_minutes == 45
    refused = client.post(reverse("callbacks:outcome_edit", args=[busy.pk]), {"retry_after_minutes": 0})
    assert refused.status_code == 200 and "至少" in refused.content.decode()
    assert client.post(reverse("callbacks:outcome_edit", args=[busy.pk]), {}).status_code == 302
    busy.refresh_from_db()
    assert busy.retry_after_minutes is None  # empty: the outcome ends the callback


def test_a_completed_call_always_ends_the_callback(login, supervisor):
    completed = OutcomeRule.objects.get(outcome="completed")

    login(supervisor).post(reverse("callbacks:outcome_edit", args=[completed.pk]), {"retry_after_minutes": 30})

    assert OutcomeRule.objects.get(outcome="completed").retry_after_minutes is None


def test_the_rules_are_in_the_supervisor_s_callback_menu_before_the_scripts(supervisor, agent):
    section = next(section for section in menu_for(supervisor) if section["label"] == "回访")
    urls = [item["url"] for item in section["items"]]
    assert urls.index(LIST) == len(urls) - 2
    assert urls[-1] == "/scripts/"
    agent_urls = [item["url"] for s in menu_for(agent) for item in s["items"]]
    assert LIST not in agent_urls
