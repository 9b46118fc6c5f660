"""Rules for resident IDs, phones, names, money and masks (DOMAIN §7, §8); no database."""

import datetime
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.core.ids import (
    InvalidValue,
    fen_to_yuan_str,
    mask_name_public,
    mask_phone,
    mask_resident_id,
    money_to_fen,
    person_name_normalize,
    phone_normalize,
    resident_id_parse,
)
from puhui.core.validation_messages import MESSAGES, invalid_value_message

TODAY = datetime.date(2025, 6, 1)
KNOWN_AREA = "330781"  # 兰溪市
UNKNOWN_AREA = "330799"  # 浙江省, but no such county


def check_char(first17: str) -> str:
    """GB 11643 check character, computed independently of the code under test."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    remainder = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11
    return "10X98765432"[remainder]


def make_id(area: str = KNOWN_AREA, birth: str = "19900101", sequence: str = "123") -> str:
    first17 = area + birth + sequence
    return first17 + check_char(first17)


def refused_code(func, *args, **kwargs) -> str:
    with pytest.raises(InvalidValue) as caught:
        func(*args, **kwargs)
    return caught.value.code


def test_check_char_helper_matches_a_published_example():
    assert make_id("110105", "19491231", "002") == "11010519491231002X"


# --- resident ID ------------------------------------------------------------------------------------


def test_valid_id_gives_birth_date_sex_and_known_area():
    parsed = resident_id_parse(make_id(sequence="122"), today=TODAY)
    assert parsed.number == make_id(sequence="122")
    assert parsed.birth_date == datetime.date(1990, 1, 1)
    assert parsed.sex == "F"  # 17th digit 2 is even
    assert parsed.area_known is True


def test_odd_17th_digit_is_male_and_surrounding_spaces_are_stripped():
    number = make_id(sequence="131")
    parsed = resident_id_parse(f"  {number} ", today=TODAY)
    assert (parsed.number, parsed.sex) == (number, "M")


def test_lowercase_x_is_accepted_and_stored_upper_case():
    number = make_id("110105", "19491231", "002")
    assert number.endswith("X")
    assert resident_id_parse(number.lower(), today=TODAY).number == number


def test_unknown_area_code_is_accepted_with_a_warning_flag():
    parsed = resident_id_parse(make_id(area=UNKNOWN_AREA), today=TODAY)
    assert parsed.area_known is False


def test_area_code_newer_than_the_birth_year_is_still_known():
    # 兰溪市 exists from 1989; stdnum's validate() would refuse a 1950 birth there.
    assert resident_id_parse(make_id(birth="19500101"), today=TODAY).area_known is True


def test_birth_on_today_and_on_1900_01_01_is_accepted():
    assert resident_id_parse(make_id(birth="20250601"), today=TODAY).birth_date == TODAY
    assert resident_id_parse(make_id(birth="19000101"), today=TODAY).birth_date.year == 1900


def _with_wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_required"),
        ("   ", "id_required"),
        (make_id()[:17], "id_length"),
        (make_id() + "1", "id_length"),
        ("33078119900101123A", "id_characters"),
        ("3307811990010112X3", "id_characters"),
        ("ABCDEFGHIJKLMNOPQR", "id_characters"),
        ("３３０７８１１９９００１０１１２３４", "id_characters"),  # full-width digits
        (_with_wrong_check(make_id()), "id_checksum"),
        (make_id(birth="20000230"), "id_birth_date"),  # 2月30日
        (make_id(birth="19901301"), "id_birth_date"),
        (make_id(birth="20250602"), "id_birth_date"),  # tomorrow
        (make_id(birth="18991231"), "id_birth_date"),
    ],
)
def test_resident_id_refusals(raw, code):
    assert refused_code(resident_id_parse, raw, today=TODAY) == code


birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
digit_strings = st.text(alphabet="0123456789", min_size=3, max_size=3)
areas = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(area=areas, birth=birth_dates, sequence=digit_strings)
def test_any_valid_17_digits_with_the_computed_check_char_parse(area, birth, sequence):
    number = make_id(area, birth.strftime("%Y%m%d"), sequence)
    parsed = resident_id_parse(number, today=TODAY)
    assert (parsed.number, parsed.birth_date) == (number, birth)


@given(area=areas, birth=birth_dates, sequence=digit_strings, wrong=st.sampled_from("0123456789Xx"))
def test_any_other_check_char_is_refused(area, birth, sequence, wrong):
    number = make_id(area, birth.strftime("%Y%m%d"), sequence)
    if wrong.upper() != number[17]:
        assert refused_code(resident_id_parse, number[:17] + wrong, today=TODAY) == "id_checksum"


# --- phone ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13812345678", " 19912345678 ", "15000000000"])
def test_valid_phones(raw):
    assert phone_normalize(raw) == raw.strip()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone_required"),
        ("  ", "phone_required"),
        ("12812345678", "phone_format"),
        ("23812345678", "phone_format"),
        ("1381234567", "phone_format"),
        ("138123456789", "phone_format"),
        ("138 1234 5678", "phone_format"),
        ("+8613812345678", "phone_format"),
        ("1381234567a", "phone_format"),
        ("１３８１２３４５６７８", "phone_format"),
    ],
)
def test_phone_refusals(raw, code):
    assert refused_code(phone_normalize, raw) == code


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("  欧阳小明 ", "欧阳小明"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("阿" * 30, "阿" * 30),
        ("Anna-Lena O'Brien", "Anna-Lena O'Brien"),
    ],
)
def test_valid_names(raw, expected):
    assert person_name_normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "name_required"),
        ("   ", "name_required"),
        ("张\t三", "name_control_chars"),
        ("张\n三", "name_control_chars"),
        ("张\x00三", "name_control_chars"),
        ("张\x7f三", "name_control_chars"),
        ("阿" * 31, "name_too_long"),
    ],
)
def test_name_refusals(raw, code):
    assert refused_code(person_name_normalize, raw) == code


def test_name_too_long_says_the_maximum():
    with pytest.raises(InvalidValue) as caught:
        person_name_normalize("阿" * 31)
    assert caught.value.params == {"max": 30}


# --- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("0.01", 1),
        (" 7 ", 700),
        ("0", 0),
        (0.1, 10),
        (1234.56, 123456),
        (0.07, 7),
        (19.99, 1999),
        (5, 500),
        (0, 0),
        (Decimal("1.10"), 110),
        (Decimal("12.500"), 1250),
        (10**11, 10**13),
        ("100000000000.00", 10**13),
    ],
)
def test_money_to_fen_accepts(value, fen):
    assert money_to_fen(value) == fen


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "money_required"),
        ("", "money_required"),
        ("  ", "money_required"),
        ("1,000", "money_not_a_number"),
        ("abc", "money_not_a_number"),
        ("1e3", "money_not_a_number"),
        ("+5", "money_not_a_number"),
        (".", "money_not_a_number"),
        ("NaN", "money_not_a_number"),
        (math.nan, "money_not_a_number"),
        (math.inf, "money_not_a_number"),
        (Decimal("NaN"), "money_not_a_number"),
        (Decimal("Infinity"), "money_not_a_number"),
        (True, "money_not_a_number"),
        ([1], "money_not_a_number"),
        ("-1", "money_negative"),
        (-1, "money_negative"),
        (-0.5, "money_negative"),
        (Decimal("-0.01"), "money_negative"),
        ("12.345", "money_too_many_decimals"),
        (Decimal("0.001"), "money_too_many_decimals"),
        (0.001, "money_too_many_decimals"),
        ("100000000000.01", "money_too_large"),
        (10**11 + 1, "money_too_large"),
        (1e16, "money_too_large"),
        (Decimal("1E+100"), "money_too_large"),
    ],
)
def test_money_to_fen_refuses(value, code):
    assert refused_code(money_to_fen, value) == code


@given(st.integers(min_value=0, max_value=10**13))
def test_money_text_round_trips_through_fen(cents):
    assert money_to_fen(str(Decimal(cents) / 100)) == cents
    assert money_to_fen(fen_to_yuan_str(cents)) == cents


@pytest.mark.parametrize(
    ("fen", "text"),
    [(100000, "1000.00"), (5, "0.05"), (0, "0.00"), (-310, "-3.10"), (-5, "-0.05"), (123456, "1234.56")],
)
def test_fen_to_yuan_str(fen, text):
    assert fen_to_yuan_str(fen) == text


# --- masks ------------------------------------------------------------------------------------------


def test_masks():
    assert mask_resident_id("330781199001011234") == "3307**********1234"
    assert mask_resident_id("33078119900101001X") == "3307**********001X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name_public("张三明") == "张*明"
    assert mask_name_public("张三") == "张*"
    assert mask_name_public("张") == "张"
    assert mask_name_public("欧阳小明") == "欧**明"


@given(st.text(alphabet="0123456789", min_size=18, max_size=18))
def test_masked_id_never_shows_more_than_8_digits(number):
    masked = mask_resident_id(number)
    assert len(masked) == 18
    assert sum(char.isdigit() for char in masked) <= 8


# --- messages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "raw"),
    [
        (lambda raw: resident_id_parse(raw, today=TODAY), "1"),
        (phone_normalize, "1"),
        (person_name_normalize, "阿" * 31),
        (money_to_fen, "-1"),
    ],
)
def test_refusals_have_filled_messages(func, raw):
    with pytest.raises(InvalidValue) as caught:
        func(raw)
    message = invalid_value_message(caught.value)
    assert message and "%(" not in message


def test_every_message_formats_with_its_params():
    params = {"name_too_long": {"max": 30}}
    for code in MESSAGES:
        message = invalid_value_message(InvalidValue(code, **params.get(code, {})))
        assert message and "%" not in message
