"""What a message says: variables filled in, the opt-out line, the parts it costs, and which
replies mean "stop"."""

import pytest
from django.core.exceptions import ValidationError

from dealer_crm.messaging import texts
from dealer_crm.messaging.models import Purpose


@pytest.fixture(autouse=True)
def _sms_settings(settings):
    settings.SMS_SIGN_NAME = "雷诺4S店"  # 【雷诺4S店】: 7 characters
    settings.SMS_OPT_OUT_TEXT = ""
    settings.SMS_GATEWAY = "console"
    return settings


# --- rendering ---------------------------------------------------------------------------------
def test_it_fills_in_each_variable():
    assert texts.render("{name}{title}，您的{model}（{plate}）", {
        "name": "张三", "title": "先生", "model": "科雷傲", "plate": "皖C12345"}) == "张三先生，您的科雷傲（皖C12345）"


def test_a_value_the_customer_lacks_becomes_empty_not_the_placeholder():
    assert texts.render("尊敬的{name}{title}：您好", {"name": "张三"}) == "尊敬的张三：您好"
    assert texts.render("{plate}", {"plate": None}) == ""


def test_the_variables_a_text_uses_are_listed_once_in_order():
    assert texts.variables_used("{name}{title}{name}{date}") == ["name", "title", "date"]


# --- validation -------------------------------------------------------------------------------
def test_a_template_with_known_variables_is_valid():
    texts.validate_template_text("尊敬的{name}{title}，您的{model}{plate}于{date}到期，{store}{advisor}")


def test_an_unknown_variable_is_refused_by_name():
    with pytest.raises(ValidationError) as error:
        texts.validate_template_text("尊敬的{name}，您的积分{points}")
    assert "{points}" in error.value.messages[0]
    assert "{name}" in error.value.messages[0]  # the known ones are offered


def test_typing_the_signature_is_refused():
    for text in ("【雷诺4S店】尊敬的{name}", "尊敬的{name}】", "【店"):
        with pytest.raises(ValidationError):
            texts.validate_template_text(text)


# --- the opt-out line -------------------------------------------------------------------------
def test_a_marketing_text_ends_with_the_opt_out_line_of_the_gateway():
    assert texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="console") == "周末试驾会 回T退订"
    assert texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="http") == "周末试驾会 回T退订"
    assert texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="aliyun") == "周末试驾会 回T退订"
    assert texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="tencent") == "周末试驾会 拒收请回复R"


def test_the_gateway_of_the_settings_decides_when_none_is_named(settings):
    settings.SMS_GATEWAY = "tencent"
    assert texts.opt_out_line() == "拒收请回复R"
    settings.SMS_GATEWAY = "aliyun"
    assert texts.opt_out_line() == "回T退订"


def test_the_opt_out_setting_replaces_the_gateways_wording(settings):
    settings.SMS_OPT_OUT_TEXT = "回TD退订"
    assert texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="tencent") == "周末试驾会 回TD退订"


def test_the_opt_out_line_is_added_once():
    once = texts.with_opt_out("周末试驾会", purpose=Purpose.MARKETING, gateway_name="console")
    assert texts.with_opt_out(once, purpose=Purpose.MARKETING, gateway_name="console") == once
    assert texts.with_opt_out("周末试驾会 回T退订  ", purpose=Purpose.MARKETING,
                              gateway_name="console").count("回T退订") == 1


@pytest.mark.parametrize("purpose", [Purpose.SERVICE, Purpose.CARE, Purpose.NOTICE])
def test_only_marketing_texts_get_the_opt_out_line(purpose):
    assert texts.with_opt_out("您的爱车保养到期", purpose=purpose, gateway_name="console") == "您的爱车保养到期"


# --- length and parts ---------------------------------------------------------------------------
# The providers' published rule: one part holds 70 characters, signature included; a longer text
# goes in parts of 67. The oracle numbers are written out, not computed from the module's constants.
@pytest.mark.parametrize(("total", "parts"), [(8, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_parts_follow_the_published_70_and_67(total, parts):
    text = "字" * (total - 7)  # the signature 【雷诺4S店】 is 7 of them
    assert texts.length(text) == (total, parts)


def test_the_signature_counts(settings):
    assert texts.length("字" * 63) == (70, 1)
    assert texts.length("字" * 64) == (71, 2)
    settings.SMS_SIGN_NAME = ""
    assert texts.length("字" * 70) == (70, 1)
    assert texts.length("字" * 71) == (71, 2)


def test_the_signature_is_the_setting_in_brackets(settings):
    assert texts.signature() == "【雷诺4S店】"
    settings.SMS_SIGN_NAME = ""
    assert texts.signature() == ""


# --- replies that mean stop -------------------------------------------------------------------------
@pytest.mark.parametrize("reply", [
    "T", "t", "td", "TD", "Ｔ", "ＴＤ", " T ", "T。", "R", "r", "STOP", "stop", "Stop!", "unsubscribe",
    "退订", "退订！", "退", "拒收", "取消订阅", "T退订", "请不要再发了", "别再发短信了", "以后不要发了", "我要退订", "退定",
])
def test_replies_that_ask_to_stop_are_opt_outs(reply):
    assert texts.is_opt_out(reply)


# Not opt-outs: thanks and acknowledgements, a question, the cancellation of an appointment, and
# "N" — the answer to a yes/no survey text, not a refusal of marketing; "TT" — a doubled letter is not one of the gateways' words; it is stored as a reply for a person to read.
@pytest.mark.parametrize("reply", [
    "谢谢", "好的", "收到", "好的，谢谢", "明天几点？", "我想取消预约", "TT", "TEST", "", "   ", "Y", "N", "n", "1",
])
def test_other_replies_are_not_opt_outs(reply):
    assert not texts.is_opt_out(reply)


def test_a_reply_of_none_is_not_an_opt_out():
    assert not texts.is_opt_out(None)


# --- the refusals' words, as the catalogue has them ------------------------------------------------
def test_an_unknown_variable_is_refused_with_the_catalogues_words():
    with pytest.raises(ValidationError) as error:
        texts.validate_template_text("{points}{level}")
    assert error.value.messages == [
        "未知变量：{points}、{level}。可用变量：{name} {title} {plate} {model} {date} {time} {store} {advisor}。"]


def test_a_typed_signature_is_refused_with_the_catalogues_words():
    with pytest.raises(ValidationError) as error:
        texts.validate_template_text("【店】您好")
    assert error.value.messages == ["不要输入签名【…】：网关会自动加上门店签名。"]
