"""ID numbers (GB 11643, ISO 7064 MOD 11-2), mobile numbers and landlines."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.core.validators import (
    id_number_birth_date,
    id_number_check_character,
    validate_id_number,
    validate_mobile,
    validate_phone,
)

CHECK_CHARACTERS = "0123456789X"


def full_width(value: str) -> str:
    """The same characters as typed on a Chinese keyboard in full-width mode (１２３Ｘ)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


def arabic_indic(value: str) -> str:
    """The same digits in another script (٠١٢…): Unicode digits that NFKC does not fold."""
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in value)


def id_number(first17: str) -> str:
    return first17 + id_number_check_character(first17)


def body_with_x_check() -> str:
    """17 digits whose check character is X."""
    for sequence in range(1000):
        body = f"41010519900307{sequence:03d}"
        if id_number_check_character(body) == "X":
            return body
    raise AssertionError("no sequence number gives the check character X")


@st.composite
def id_bodies(draw: st.DrawFn) -> str:
    """17 digits: an address code, a real birth date in the past and a sequence number."""
    address = draw(st.integers(min_value=110000, max_value=829999))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=yesterday))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return f"{address}{birth:%Y%m%d}{sequence:03d}"


class IdNumberTests:
    def test_it_computes_the_check_character_of_a_known_number(self):
        # The worked example of GB 11643-1999, appendix: 11010519491231002X.
        assert id_number_check_character("11010519491231002") == "X"
        assert id_number_check_character("44052418800101001") == "4"

    def test_it_accepts_a_valid_number(self):
        number = id_number("41010519900101123")
        assert validate_id_number(number) == number

    def test_it_reads_the_birth_date(self):
        assert id_number_birth_date(id_number("41010519900307123")) == datetime.date(1990, 3, 7)

    def test_it_accepts_full_width_digits(self):
        number = id_number("41010519900101123")
        assert validate_id_number(full_width(number)) == number

    def test_it_accepts_a_lower_case_x_and_upper_cases_it(self):
        body = body_with_x_check()
        assert validate_id_number(body + "x") == body + "X"
        assert validate_id_number(full_width(body + "x")) == body + "X"

    def test_it_ignores_spaces(self):
        number = id_number("41010519900101123")
        assert validate_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ") == number

    def test_it_rejects_a_wrong_check_digit(self):
        body = "41010519900101123"
        wrong = next(c for c in CHECK_CHARACTERS if c != id_number_check_character(body))
        with pytest.raises(ValidationError) as error:
            validate_id_number(body + wrong)
        assert error.value.code == "id_check"

    @pytest.mark.parametrize("date", ["19900230", "19901301", "19900001", "19900431", "19000229"])
    def test_it_rejects_a_birth_date_that_does_not_exist(self, date):
        with pytest.raises(ValidationError) as error:
            validate_id_number(id_number(f"410105{date}123"))
        assert error.value.code == "id_birth_date"

    def test_it_accepts_the_29th_of_february_of_a_leap_year(self):
        number = id_number("41010520000229123")
        assert validate_id_number(number) == number

    def test_it_rejects_a_birth_date_in_the_future(self):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with pytest.raises(ValidationError) as error:
            validate_id_number(id_number(f"410105{tomorrow:%Y%m%d}123"))
        assert error.value.code == "id_birth_date"

    def test_it_rejects_a_birth_year_before_1880(self):
        with pytest.raises(ValidationError) as error:
            validate_id_number(id_number("41010518790101123"))
        assert error.value.code == "id_birth_date"

    @pytest.mark.parametrize(
        "value",
        ["", "4101051990010112", "41010519900101123", "4101051990010112345", "41010519900101123Y", "X1010519900101123"],
        ids=["empty", "16", "17", "19", "letter-y", "x-first"],
    )
    def test_it_rejects_the_wrong_shape(self, value):
        with pytest.raises(ValidationError) as error:
            validate_id_number(value)
        assert error.value.code == "id_shape"

    def test_it_never_returns_digits_of_another_script(self):
        # NFKC folds full-width digits but not Arabic-Indic ones; the stored and indexed form must be ASCII.
        number = id_number("41010519900101123")
        try:
            result = validate_id_number(arabic_indic(number[:17]) + number[17])
        except ValidationError:
            return
        assert result == number

    @settings(max_examples=200, deadline=None)
    @given(body=id_bodies())
    def test_it_accepts_exactly_the_right_check_character(self, body):
        check = id_number_check_character(body)
        assert validate_id_number(body + check) == body + check
        for other in CHECK_CHARACTERS:
            if other == check:
                continue
            with pytest.raises(ValidationError):
                validate_id_number(body + other)


class MobileTests:
    @pytest.mark.parametrize(
        "value",
        [
            "13800001234",
            "+86 138-0000-1234",
            "+8613800001234",
            "138 0000 1234",
            "１３８００００１２３４",
            "＋８６ １３８００００１２３４",
        ],
    )
    def test_it_accepts_and_normalises_a_mobile(self, value):
        assert validate_mobile(value) == "13800001234"

    @pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
    def test_it_accepts_every_mobile_prefix(self, prefix):
        assert validate_mobile(f"{prefix}900001234") == f"{prefix}900001234"

    @pytest.mark.parametrize(
        "value",
        ["12345678901", "10800001234", "1380000123", "138000012345", "23800001234", "1380000123a", "", "0371-60001234"],
        ids=["prefix-12", "prefix-10", "10-digits", "12-digits", "starts-2", "letter", "empty", "landline"],
    )
    def test_it_rejects_what_is_not_a_mobile(self, value):
        with pytest.raises(ValidationError) as error:
            validate_mobile(value)
        assert error.value.code == "mobile"

    def test_it_never_returns_digits_of_another_script(self):
        try:
            result = validate_mobile("13" + arabic_indic("800001234"))
        except ValidationError:
            return
        assert result == "13800001234"


class PhoneTests:
    @pytest.mark.parametrize(
        ("value", "normalised"),
        [
            ("0371-60001234", "0371-60001234"),
            ("037160001234", "0371-60001234"),
            ("010-12345678", "010-12345678"),
            ("0371-6000123", "0371-6000123"),
            ("0371-60001234-801", "0371-60001234-801"),
            ("60001234", "60001234"),
            ("０３７１－６０００１２３４", "0371-60001234"),
            ("13800001234", "13800001234"),
            ("+86 13800001234", "13800001234"),
        ],
    )
    def test_it_accepts_landlines_and_mobiles(self, value, normalised):
        assert validate_phone(value) == normalised

    @pytest.mark.parametrize(
        "value",
        ["", "12345", "0371-123", "371-60001234", "0371-600012345", "12345678901", "phone", "0371-60001234-1234567"],
    )
    def test_it_rejects_what_is_not_a_phone_number(self, value):
        with pytest.raises(ValidationError) as error:
            validate_phone(value)
        assert error.value.code == "phone"

    @pytest.mark.parametrize("value", ["13800001234", "+86 138-0000-1234", "138 0000 1234", "１３８００００１２３４"])
    def test_it_accepts_every_mobile_that_validate_mobile_accepts(self, value):
        # A shop's contact phone goes through validate_phone: a mobile typed with dashes is still a mobile.
        assert validate_phone(value) == validate_mobile(value)
