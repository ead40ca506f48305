"""The rules page (回访规则) of the DCRC supervisor: the rules and outcomes, their edit forms with
clear Chinese errors, who may see and change them, and the menu entry."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging.models import SmsTemplate
from dealer_crm.navigation import menu_for
from followups.callbacks.models import Callback, CallbackRule, OutcomeRule
from followups.callbacks.services.building import callbacks_build, outcome_rule_update
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
            "sms_template": rule.sms_template_id or "",
            "unreachable_sms_template": rule.unreachable_sms_template_id or ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_the_supervisor_sees_every_rule_and_outcome(login, supervisor):
    response = login(supervisor).get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "回访规则" in html
    # the callback centre's 10, retention's 4 (first maintenance, reminder, win-back, no-show) and customer
    # care's 2 (the birthday call, the event invitation call)
    assert html.count("<tr id=\"rule-") == CallbackRule.objects.count() == 16
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
    empty = client.post(reverse("callbacks:outcome_edit", args=[busy.pk]), {})
    # a failed call always reappears: an empty delay would not end the callback, so it is refused
    assert empty.status_code == 200 and "请填写多少分钟后再次拨打" in empty.content.decode()
    busy.refresh_from_db()
    assert busy.retry_after_minutes == 45


@pytest.mark.parametrize("outcome", ["wrong_number", "refused", "completed"])
def test_the_outcomes_that_end_the_callback_say_so_and_take_no_delay(login, supervisor, outcome):
    rule = OutcomeRule.objects.get(outcome=outcome)
    client = login(supervisor)

    row = client.get(LIST).content.decode().split(f'<tr id="outcome-{outcome}">')[1].split("</tr>")[0]
    page = client.get(reverse("callbacks:outcome_edit", args=[rule.pk]))
    posted = client.post(reverse("callbacks:outcome_edit", args=[rule.pk]), {"retry_after_minutes": 30})

    assert "结束回访" in row and reverse("callbacks:outcome_edit", args=[rule.pk]) not in row
    assert page.status_code == 200
    assert "结束回访：此结果没有间隔可设置" in page.content.decode()
    assert 'name="retry_after_minutes"' not in page.content.decode()
    assert posted.status_code == 400
    assert OutcomeRule.objects.get(outcome=outcome).retry_after_minutes is None


def test_the_failed_calls_show_their_delay_and_an_edit_link(login, supervisor):
    html = login(supervisor).get(LIST).content.decode()
    for outcome, minutes in (("no_answer", 240), ("busy", 30)):
        row = html.split(f'<tr id="outcome-{outcome}">')[1].split("</tr>")[0]
        assert str(minutes) in row and "结束回访" not in row
        assert reverse("callbacks:outcome_edit", args=[OutcomeRule.objects.get(outcome=outcome).pk]) in row
    page = login(supervisor).get(reverse("callbacks:outcome_edit",
                                         args=[OutcomeRule.objects.get(outcome="busy").pk])).content.decode()
    assert 'name="retry_after_minutes"' in page and 'value="30"' in page


@pytest.mark.parametrize(("outcome", "minutes", "message"), [
    ("wrong_number", 30, "总是结束回访"),
    ("refused", 30, "总是结束回访"),
    ("completed", 30, "总是结束回访"),
    ("call_back", 30, "按客户约定的时间"),
    ("no_answer", None, "请填写多少分钟后再次拨打"),
    ("busy", None, "请填写多少分钟后再次拨打"),
])
def test_the_service_refuses_a_delay_the_calls_would_not_use(outcome, minutes, message):
    rule = OutcomeRule.objects.get(outcome=outcome)
    before = rule.retry_after_minutes

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        outcome_rule_update(rule=rule, retry_after_minutes=minutes)

    assert message in error.value.message_dict["retry_after_minutes"][0]
    assert OutcomeRule.objects.get(outcome=outcome).retry_after_minutes == before


def test_the_database_keeps_a_delay_on_the_failed_calls_only():
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeRule.objects.filter(outcome="refused").update(retry_after_minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeRule.objects.filter(outcome="busy").update(retry_after_minutes=None)
    assert OutcomeRule.objects.get(outcome="refused").retry_after_minutes is None


def test_the_supervisor_chooses_the_text_after_the_last_failed_call(login, supervisor):
    rule = ssi()
    own = SmsTemplate.objects.create(key="sorry_missed", name="回访·抱歉未联系上", purpose="service",
                                     text="{name}您好，我们多次致电未能联系上您，如有需要请致电客服中心。")
    SmsTemplate.objects.create(key="old_text", name="停用的文本", purpose="service", text="旧文本", active=False)
    marketing = SmsTemplate.objects.create(key="promo2", name="促销二", purpose="marketing", text="{name}您好，周末试驾")
    client = login(supervisor)

    form = client.get(reverse("callbacks:rule_edit", args=[rule.pk])).content.decode()
    choices = form.split('id="id_unreachable_sms_template"')[1].split("</select>")[0]
    assert "最后一次未接通后的短信" in form and "回访·未联系上短信" in choices and "回访·抱歉未联系上" in choices
    assert "促销二" not in choices and "停用的文本" not in choices
    wrong = client.post(reverse("callbacks:rule_edit", args=[rule.pk]),
                        form_data(rule, unreachable_sms_template=marketing.pk))
    assert wrong.status_code == 200 and "请选择" in wrong.content.decode()
    assert ssi().unreachable_sms_template.key == "callback_unreachable_sms"

    assert client.post(reverse("callbacks:rule_edit", args=[rule.pk]),
                       form_data(rule, unreachable_sms_template=own.pk)).status_code == 302
    assert (ssi().unreachable_sms_template, ssi().sms_template_id) == (own, rule.sms_template_id)
    row = client.get(LIST).content.decode().split(f'<tr id="rule-{rule.pk}"')[1].split("</tr>")[0]
    assert "回访·抱歉未联系上" in row and "回访·满意度短信" in row  # both texts, each in its column

    assert client.post(reverse("callbacks:rule_edit", args=[rule.pk]),
                       form_data(rule, unreachable_sms_template="")).status_code == 302
    assert ssi().unreachable_sms_template is None
    row = client.get(LIST).content.decode().split(f'<tr id="rule-{rule.pk}"')[1].split("</tr>")[0]
    assert "不发短信" in row


def test_the_rule_form_says_which_text_goes_when(login, supervisor):
    html = login(supervisor).get(reverse("callbacks:rule_edit", args=[ssi().pk])).content.decode()
    assert "代替回访的短信" in html and "发给不接受来电的客户，代替回访电话" in html
    assert "最后一次拨打仍未接通、客户列入失联名单时发送" in html


def test_the_rules_are_in_the_supervisor_s_callback_menu_before_the_scripts(supervisor, agent):
    section = next(section for section in menu_for(supervisor) if section["label"] == "回访")
    urls = [item["url"] for item in section["items"]]
    assert urls.index(LIST) == len(urls) - 2
    assert urls[-1] == "/scripts/"
    agent_urls = [item["url"] for s in menu_for(agent) for item in s["items"]]
    assert LIST not in agent_urls


# --- the rules a rule keeps, whoever changes it (services.building) --------------------------------
def refused(**changes) -> dict[str, list[str]]:
    from django.core.exceptions import ValidationError

    from followups.callbacks.services.building import callback_rule_update

    with pytest.raises(ValidationError) as error:
        callback_rule_update(rule=ssi(), by=None, **changes)
    return error.value.message_dict


@pytest.mark.parametrize(("text", "days"), [("3、7", [3, 7]), ("14，3 7", [3, 7, 14]), ("365", [365])])
def test_due_days_are_read_between_commas_of_either_width_enumeration_commas_and_spaces(text, days):
    from followups.callbacks.services.building import due_days_parse

    assert due_days_parse(text) == days


@pytest.mark.parametrize(("text", "message"), [
    ("", "请至少填写一天，例如 3 或 3, 7。"),
    ("3, 3", "有重复的天数。"),
    ("3, 366", "回访须在一年内：366 天太多了。"),
])
def test_bad_due_days_say_what_is_wrong_as_the_catalogue_has_it(text, message):
    from django.core.exceptions import ValidationError

    from followups.callbacks.services.building import due_days_parse

    with pytest.raises(ValidationError) as error:
        due_days_parse(text)
    assert error.value.messages == [message]


def test_a_rule_without_due_days_is_refused_on_its_days():
    assert refused(due_days=[]) == {"due_days": ["请至少填写一天，例如 3 或 3, 7。"]}


def test_a_rule_may_expire_on_its_last_due_day_but_not_before():
    from followups.callbacks.services.building import callback_rule_update

    assert callback_rule_update(rule=ssi(), by=None, due_days=[3, 7], expires_after_days=7).expires_after_days == 7
    assert refused(due_days=[3, 7], expires_after_days=6) == {
        "expires_after_days": ["回访会在最后一个回访日（第 7 天）之前过期：请选择第 7 天或之后。"]}


def test_the_sms_route_is_refused_on_its_text_without_one_or_with_another_purposes():
    marketing = SmsTemplate.objects.create(key="promo", name="促销", purpose="marketing", text="{name}您好，本周末试驾有礼")
    assert refused(no_calls="sms", sms_template=None) == {
        "sms_template": ["请选择发给不接受来电客户的短信，或改为跳过。"]}
    assert refused(no_calls="sms", sms_template=marketing) == {
        "sms_template": ["请选择服务类短信：这条短信用于其他用途。"]}
