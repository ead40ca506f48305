"""How numbers are cleaned, masked and shown: the exact strings staff read (published formats:
mainland mobiles 3-4-4, landlines with a 3-digit area code for the big cities 010 and 020–029,
4 digits elsewhere)."""

import pytest
from django.utils import translation

from customers.normalize import format_phone, mask_id_number, mask_phone, normalize_phone


def test_a_refused_number_is_named_in_the_message_the_form_and_the_import_report_show():
    with translation.override("zh-hans"), pytest.raises(ValueError) as refused:
        normalize_phone("12345")
    assert str(refused.value) == "“12345”不是有效的电话号码：请填写手机号，或带区号的固定电话。"
    with translation.override("en"), pytest.raises(ValueError) as refused:
        normalize_phone("12345")
    assert str(refused.value) == "“12345” is not a valid phone number: enter a mobile, or a landline with its area code."


@pytest.mark.parametrize("raw", ["", "   ", "-", "（）"])
def test_an_empty_phone_stays_empty(raw):
    assert normalize_phone(raw) == ""


def test_a_country_code_comes_off_only_when_the_rest_is_a_whole_mobile():
    assert normalize_phone("8613812345678") == "13812345678"
    assert normalize_phone("+8613812345678") == normalize_phone("008613812345678") == "13812345678"
    with pytest.raises(ValueError):
        normalize_phone("86138123456")  # 11 digits starting with 86: not a mobile, not a landline
    for thirteen_digits in ("1381234567890", "1113812345678"):  # without 86 in front nothing is cut off
        with pytest.raises(ValueError):
            normalize_phone(thirteen_digits)


@pytest.mark.parametrize(("number", "shown"), [
    ("", ""),
    ("13812345678", "138****5678"),
    ("01012345678", "010****5678"),
    ("02012345678", "020****5678"), ("02112345678", "021****5678"), ("02212345678", "022****5678"),
    ("02312345678", "023****5678"), ("02412345678", "024****5678"), ("02512345678", "025****5678"),
    ("02712345678", "027****5678"), ("02812345678", "028****5678"), ("02912345678", "029****5678"),
    ("05523012345", "0552****2345"),
    ("02612345678", "0261****5678"),  # 026 is no area code: the usual four digits
    ("1234567", "*****67"), ("12", "12"), ("123", "*23"), ("12345678", "1234****5678"),
])
def test_numbers_are_masked_keeping_the_area_code_and_the_last_four(number, shown):
    assert mask_phone(number) == shown


@pytest.mark.parametrize(("value", "shown"), [
    ("340102199001011234", "340***********1234"),
    ("34010219900101123X", "340***********123X"),
    ("12345678", "123*5678"),
    ("1234567", "*******"),
    ("", ""),
])
def test_an_id_number_shows_its_first_three_and_last_four(value, shown):
    assert mask_id_number(value) == shown


@pytest.mark.parametrize(("number", "shown"), [
    ("13812345678", "138 1234 5678"),
    ("01012345678", "010-12345678"),
    ("02087654321", "020-87654321"),
    ("05523012345", "0552-3012345"),
    ("", ""),
    (None, ""),
    ("not a number", "not a number"),
])
def test_phones_are_shown_grouped_as_they_are_read_out(number, shown):
    assert format_phone(number) == shown
