"""The template pages: the list by purpose with what the gateway can send, the editor and its rules,
the live preview with a real customer and its length counter, switching off instead of deleting,
and who may do what (allowed ⇔ shown)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from customers import services as archive
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging.models import Purpose, SmsTemplate
from tests.factories import UserFactory

LIST, NEW, PREVIEW = reverse("messaging:template_list"), reverse("messaging:template_new"), reverse("messaging:template_preview")


@pytest.fixture(autouse=True)
def roles(db):
    sync_role_permissions()


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance_due", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}{title}您好，您的爱车{plate}该保养了。", aliyun_code="SMS_100001")


@pytest.fixture
def invitation(db):
    return SmsTemplate.objects.create(key="spring_event", name="春季活动邀请", purpose=Purpose.MARKETING,
                                      text="{name}{title}您好，{store}{date}举办春季活动，欢迎光临。")


@pytest.fixture
def wang(db):
    keeper = UserFactory(roles=[Role.CALLBACK_AGENT])
    return archive.customer_create(by=keeper, name="王建国", mobile="13912345678", gender="M")


def form_data(**changes) -> dict:
    return {"key": "first_maintenance", "name": "首保提醒", "purpose": Purpose.SERVICE,
            "text": "{name}{title}您好，您的爱车{plate}快到首保了，请预约。", "aliyun_code": "", "tencent_id": "",
            "tencent_params": "", "active": "on", **changes}


@override_settings(SMS_GATEWAY="aliyun")
def test_the_list_warns_of_a_purpose_the_gateway_cannot_send(login, supervisor, reminder, invitation):
    page = login(supervisor).get(LIST).content.decode()
    assert "保养到期提醒" in page and "SMS_100001" in page
    assert "未获阿里云批准" in page  # the invitation has no Aliyun code
    # Marketing has only that template: the purpose cannot be sent; service can.
    assert page.count("没有在用且已获阿里云批准的模板——此用途无法发送。") == 3  # marketing, care, notice
    assert 'id="template-new"' in page


def test_on_the_console_every_template_in_use_can_be_sent(login, supervisor, invitation):
    page = login(supervisor).get(LIST).content.decode()
    assert "未获" not in page
    assert "可以发送任何内容" in page


def test_the_supervisor_writes_a_template_and_its_history_names_her(login, supervisor):
    response = login(supervisor).post(NEW, form_data(tencent_id="2233445", tencent_params="name， title、plate"))
    assert response.status_code == 302
    template = SmsTemplate.objects.get(key="first_maintenance")
    assert template.tencent_params == "name,title,plate"
    assert template.updated_by == supervisor
    assert template.history.get().history_user == supervisor
    history = login(supervisor).get(reverse("messaging:template_edit", args=[template.pk])).content.decode()
    assert 'id="template-history"' in history and "刘芳 · 创建" in history


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"text": "{name}您好，{mileage}公里了。"}, "text", "未知变量：{mileage}"),
    ({"text": "【雷诺4S店】{name}您好。"}, "text", "不要输入签名"),
    ({"tencent_id": "2233445", "tencent_params": "name,plate"}, "tencent_params", "必须正好列出正文用到的变量：name,title,plate"),
    ({"tencent_id": "2233445", "tencent_params": ""}, "tencent_params", "必须正好列出正文用到的变量"),
    ({"tencent_params": "name,title,plate,plate"}, "tencent_params", "plate 出现了两次"),
    ({"tencent_params": "name,title,km"}, "tencent_params", "不存在的变量：km"),
    ({"aliyun_code": "12345"}, "aliyun_code", "SMS_123456789"),
])
def test_the_editor_refuses_what_the_gateways_would_refuse(login, supervisor, changes, field, message):
    count = SmsTemplate.objects.count()
    response = login(supervisor).post(NEW, form_data(**changes))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert message in response.content.decode()
    assert not SmsTemplate.objects.filter(key="first_maintenance").exists()
    assert SmsTemplate.objects.count() == count


def test_the_editor_offers_a_button_for_each_variable(login, supervisor, reminder):
    page = login(supervisor).get(reverse("messaging:template_edit", args=[reminder.pk])).content.decode()
    for name in ("name", "title", "plate", "model", "date", "store", "advisor"):
        assert f'data-insert-variable="{name}"' in page
    assert "{name}" in page


def test_the_preview_reads_as_the_chosen_customer_with_signature_and_opt_out_line(login, supervisor, wang):
    response = login(supervisor).post(PREVIEW, {"text": "{name}{title}您好，{store}本周六举办试驾会。",
                                                "purpose": Purpose.MARKETING, "preview_customer": str(wang.pk)})
    page = response.content.decode()
    text = "【雷诺汽车4S店】王建国先生您好，雷诺汽车4S店本周六举办试驾会。 回T退订"
    assert text in page
    assert f"{len(text)} 字 · 1 条" in page
    assert "王建国" in page and "13912345678" not in page


def test_a_text_longer_than_one_message_counts_67_characters_a_part(login, supervisor, wang):
    body = "您" * 60  # 60 + the signature's 9 = 69: one part; 71 and more: parts of 67
    one = login(supervisor).post(PREVIEW, {"text": body, "purpose": Purpose.SERVICE}).content.decode()
    assert "69 字 · 1 条" in one
    two = login(supervisor).post(PREVIEW, {"text": body + "您" * 10, "purpose": Purpose.SERVICE}).content.decode()
    assert "79 字 · 2 条" in two
    three = login(supervisor).post(PREVIEW, {"text": "您" * 126, "purpose": Purpose.SERVICE}).content.decode()
    assert "135 字 · 3 条" in three


def test_the_preview_says_what_is_wrong_with_the_text(login, supervisor, wang):
    page = login(supervisor).post(PREVIEW, {"text": "{nmae}您好", "purpose": Purpose.SERVICE}).content.decode()
    assert "未知变量：{nmae}" in page


def test_the_preview_picks_customers_by_name_with_masked_phones(login, supervisor, wang):
    page = login(supervisor).get(reverse("messaging:template_preview_customers"), {"q": "建国"}).content.decode()
    assert "王建国" in page and "139****5678" in page and "13912345678" not in page


def test_switching_off_keeps_the_template_and_its_history(login, supervisor, reminder):
    client = login(supervisor)
    list_page = client.get(LIST).content.decode()
    assert "data-confirm=" in list_page and "停用" in list_page
    response = client.post(reverse("messaging:template_switch", args=[reminder.pk]), {"active": "0"})
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.active is False
    assert reminder.history.count() == 2
    assert "已停用" in client.get(LIST).content.decode()


def test_an_agent_reads_the_templates_but_changes_none(login, agent, reminder):
    client = login(agent)
    page = client.get(LIST).content.decode()
    assert "保养到期提醒" in page
    assert 'id="template-new"' not in page and "停用" not in page
    assert reverse("messaging:template_edit", args=[reminder.pk]) not in page
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert client.get(reverse("messaging:template_edit", args=[reminder.pk])).status_code == 403
    assert client.post(reverse("messaging:template_switch", args=[reminder.pk]), {"active": "0"}).status_code == 403
    reminder.refresh_from_db()
    assert reminder.active


def test_a_role_without_the_templates_gets_403_and_no_menu_item(login, general_manager):
    client = login(general_manager)
    assert client.get(LIST).status_code == 403
    assert LIST not in client.get(reverse("home")).content.decode()


def test_the_menu_shows_the_templates_to_whoever_reads_them(login, supervisor):
    assert LIST in login(supervisor).get(reverse("home")).content.decode()
