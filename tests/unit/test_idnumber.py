"""GB 11643 ID numbers: normalisation, validation, gender, birth date and masking."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.idnumber import (
    IdNumberError,
    check_character,
    id_birth_date,
    id_gender,
    mask_middle,
    normalize_id_number,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),  # GB 11643's own example, born 1880
        ("11010519491231002x", "11010519491231002X"),
        ("  510102198506152015 ", "510102198506152015"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("1101051949 1231 002X", "11010519491231002X"),
        ("110105491231002", "11010519491231002X"),  # legacy 15 digits get "19" and a check char
        ("830000199001010012", "830000199001010012"),  # Taiwan residence permit prefix 83
    ],
)
def test_valid_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("110105194912310021", "校验位"),
        ("", "不能为空"),
        ("11010519491231002", "18位"),
        ("1101051949123100X2", "无效字符"),
        ("99010519491231002X", "省级"),
        ("110105202302300014", "出生日期无效"),
        ("110105184912310012", "合理范围"),  # valid check character, born 1849
        ("110105209901010017", "合理范围"),
    ],
)
def test_invalid_numbers_are_rejected_with_a_chinese_reason(raw: str, message_part: str) -> None:
    with pytest.raises(IdNumberError) as caught:
        normalize_id_number(raw, today=dt.date(2026, 1, 1))
    assert message_part in caught.value.message


def test_the_check_digit_error_names_the_last_digit() -> None:
    with pytest.raises(IdNumberError, match="证件号码校验位错误，请核对最后一位"):
        normalize_id_number("110105194912310028")


def test_an_unknown_address_code_inside_a_real_province_is_accepted() -> None:
    # Chongqing people born before 1997 carry retired Sichuan codes: only the province is checked.
    first17 = "51999919800101001"
    assert normalize_id_number(first17 + check_character(first17)).startswith("519999")


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4")],
)
def test_the_check_character_follows_iso_7064_mod_11_2(first17: str, check: str) -> None:
    assert check_character(first17) == check


@pytest.mark.parametrize(("number", "gender"), [("11010519491231002X", "女"), ("440524188001010014", "男")])
def test_the_seventeenth_digit_gives_the_gender(number: str, gender: str) -> None:
    assert id_gender(number) == gender


def test_the_birth_date_is_read_from_the_number() -> None:
    assert id_birth_date("11010519491231002X") == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("500101199001011234", "5001**********1234"),
        ("T500101199001011234", "T500***********1234"),
        ("ABCDEFGH", "A******H"),
        ("ABC", "A*C"),
        ("AB", "**"),
        ("", ""),
        ("ABCDEFGHI", "ABCD*FGHI"),
    ],
)
def test_masking_keeps_four_characters_at_each_end(value: str, masked: str) -> None:
    assert mask_middle(value) == masked


@pytest.mark.parametrize("days", [0, -1, -365 * 30])
def test_without_a_given_day_births_up_to_the_real_today_are_accepted(days: int) -> None:
    first17 = "110105" + (dt.date.today() + dt.timedelta(days=days)).strftime("%Y%m%d") + "001"
    number = first17 + check_character(first17)
    assert normalize_id_number(number) == number


def test_without_a_given_day_a_birth_after_the_real_today_is_refused() -> None:
    first17 = "110105" + (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d") + "001"
    with pytest.raises(IdNumberError, match="合理范围"):
        normalize_id_number(first17 + check_character(first17))
