"""How the archive cleans what people type and what the DMS exports."""

import pytest

from customers.normalize import (
    mask_phone,
    name_pinyin,
    normalize_name,
    normalize_phone,
    normalize_plate,
    normalize_vin,
    plate_search_key,
    split_phones,
)


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP042788", "1m8gdm9axkp042788", " 1M8G DM9A XKP0 42788 "])
def test_a_vin_with_the_right_check_digit_is_accepted(vin):
    assert normalize_vin(vin) == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(("vin", "message"), [
    ("1M8GDM9A1KP042788", "校验位"),  # check digit changed from X to 1
    ("1M8GDM9AXKP04278", "17"),  # one character short
    ("1M8GDM9AXKP04278O", "17"),  # the letter O is never used in a VIN
])
def test_a_wrong_vin_is_refused_with_a_reason(vin, message):
    with pytest.raises(ValueError, match=message):
        normalize_vin(vin)


@pytest.mark.parametrize("raw", ["皖C·12345", "皖c 12345", "皖C-12345", "  皖C12345 ", "皖Ｃ１２３４５", "皖C.12345"])
def test_plates_are_written_one_way(raw):
    assert normalize_plate(raw) == "皖C12345"


def test_a_new_energy_plate_has_eight_characters():
    assert normalize_plate("皖C·D12345") == "皖CD12345"


@pytest.mark.parametrize("raw", ["C12345", "皖12345", "皖C123", "ABCDEFG"])
def test_a_malformed_plate_is_refused(raw):
    with pytest.raises(ValueError, match="车牌"):
        normalize_plate(raw)


def test_an_empty_plate_stays_empty():
    assert normalize_plate("  ") == ""


@pytest.mark.parametrize(("fragment", "key"), [("皖C·123", "C123"), ("c 12345", "C12345"), ("2345", "2345")])
def test_plate_fragments_are_searched_without_province_and_dots(fragment, key):
    assert plate_search_key(fragment) == key


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                 "0086-13812345678", "8613812345678", "１３８１２３４５６７８", "(138)12345678"])
def test_mobiles_are_cleaned(raw):
    assert normalize_phone(raw) == "13812345678"


def test_a_landline_keeps_its_area_code():
    assert normalize_phone("0552-3012345") == "05523012345"


@pytest.mark.parametrize("raw", ["12345", "2381234567", "138123456789", "abc"])
def test_a_wrong_number_is_refused(raw):
    with pytest.raises(ValueError):
        normalize_phone(raw)


@pytest.mark.parametrize(("cell", "numbers"), [
    ("13812345678 / 0552-3012345", ["13812345678", "05523012345"]),
    ("0552-3012345，13812345678", ["13812345678", "05523012345"]),
    ("13812345678、13912345678", ["13812345678", "13912345678"]),
    ("手机13812345678 家里0552-3012345", ["13812345678", "05523012345"]),
    ("", []),
])
def test_two_numbers_in_one_cell_are_both_kept_mobile_first(cell, numbers):
    assert split_phones(cell) == numbers


def test_a_cell_without_any_number_is_refused():
    with pytest.raises(ValueError):
        split_phones("暂无")


def test_phones_are_masked_the_usual_way():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("05523012345") == "0552****2345"
    assert mask_phone("01062345678") == "010****5678"


@pytest.mark.parametrize(("name", "pinyin", "initials"), [
    ("张三", "zhangsan", "zs"), ("单雄信", "shanxiongxin", "sxx"), ("曾国藩", "zengguofan", "zgf"),
    ("欧阳娜娜", "ouyangnana", "oynn"), ("", "", ""),
])
def test_names_get_their_pinyin_and_initials(name, pinyin, initials):
    assert name_pinyin(name) == (pinyin, initials)


def test_spaces_typed_between_chinese_characters_go():
    assert normalize_name(" 张  三 ") == "张三"
    assert normalize_name("Anna  Li") == "Anna Li"
