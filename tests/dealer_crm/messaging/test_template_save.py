"""`services.template_save`, the one way a template is saved (the editor, the admin and the
spreadsheet import call it): every rule checked at once, nothing saved when one is broken, what was
typed tidied, and who changed it on the template and in its history."""

import pytest
from django.core.exceptions import ValidationError

from dealer_crm.messaging import services
from dealer_crm.messaging.models import Purpose, SmsTemplate
from tests.factories import UserFactory


@pytest.fixture
def editor(db):
    return UserFactory()


@pytest.fixture
def reminder(db):
    return SmsTemplate.objects.create(key="maintenance_due", name="保养到期提醒", purpose=Purpose.SERVICE,
                                      text="{name}您好，您的爱车{plate}该保养了。", tencent_id="1100001",
                                      tencent_params="name,plate")


def test_a_new_template_is_saved_tidied_with_who_made_it(editor):
    template = SmsTemplate(key="birthday", name="生日祝福", purpose=Purpose.CARE, text="  {name}{title}，生日快乐！ ",
                           tencent_id=" 1100002 ", tencent_params="{name}， title")

    saved = services.template_save(template=template, by=editor)

    stored = SmsTemplate.objects.get(pk=saved.pk)
    assert (stored.text, stored.tencent_id, stored.tencent_params) == ("{name}{title}，生日快乐！", "1100002", "name,title")
    assert stored.updated_by == editor
    assert stored.history.get().history_user == editor


def test_every_broken_rule_is_named_on_its_field_and_nothing_is_saved(editor, reminder):
    reminder.text = "【蚌埠雷诺】{name}您好，{mileage}公里该保养了。"
    reminder.tencent_params = "name,name"
    reminder.aliyun_code = "12345"

    with pytest.raises(ValidationError) as raised:
        services.template_save(template=reminder, by=editor)

    problems = raised.value.message_dict
    assert set(problems) == {"text", "tencent_params", "aliyun_code"}
    assert any("{mileage}" in problem for problem in problems["text"])
    assert any("name" in problem for problem in problems["tencent_params"])
    stored = SmsTemplate.objects.get(pk=reminder.pk)
    assert (stored.text, stored.updated_by) == ("{name}您好，您的爱车{plate}该保养了。", None)
    assert stored.history.count() == 1


def test_a_key_already_taken_is_refused(editor, reminder):
    copy = SmsTemplate(key=reminder.key, name="另一个", purpose=Purpose.SERVICE, text="您好。")
    count = SmsTemplate.objects.count()

    with pytest.raises(ValidationError) as raised:
        services.template_save(template=copy, by=editor)

    assert "key" in raised.value.message_dict
    assert SmsTemplate.objects.count() == count
    assert list(SmsTemplate.objects.filter(key=reminder.key).values_list("pk", "name")) == [(reminder.pk, "保养到期提醒")]
    assert not SmsTemplate.objects.filter(name="另一个").exists()


def test_a_tencent_order_that_misses_a_variable_of_the_text_is_refused(editor, reminder):
    reminder.text = "{name}您好，您的爱车{plate}于{date}到期。"

    with pytest.raises(ValidationError) as raised:
        services.template_save(template=reminder, by=editor)

    assert "name,plate,date" in " ".join(raised.value.message_dict["tencent_params"])


def test_an_edit_records_the_editor_over_the_last_one(editor, reminder):
    first = UserFactory()
    services.template_save(template=reminder, by=first)
    reminder.name = "保养提醒"

    services.template_save(template=reminder, by=editor)

    stored = SmsTemplate.objects.get(pk=reminder.pk)
    assert (stored.name, stored.updated_by) == ("保养提醒", editor)
    assert [h.history_user for h in stored.history.order_by("history_id")][-2:] == [first, editor]
