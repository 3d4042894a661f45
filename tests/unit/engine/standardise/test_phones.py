"""Phone numbers as departments write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.engine.standardise.phones import normalise_phone

MOBILE = "13912345678"
LANDLINE = "057188886666"


@pytest.mark.parametrize(
    ("raw", "digits", "kind", "valid"),
    [
        ("13912345678", MOBILE, "mobile", True),
        (" 139 1234 5678 ", MOBILE, "mobile", True),
        ("139-1234-5678", MOBILE, "mobile", True),
        ("+86 139-1234-5678", MOBILE, "mobile", True),
        ("+8613912345678", MOBILE, "mobile", True),
        ("86-13912345678", MOBILE, "mobile", True),
        ("8613912345678", MOBILE, "mobile", True),
        ("008613912345678", MOBILE, "mobile", True),
        ("0086 139 1234 5678", MOBILE, "mobile", True),
        ("(+86)13912345678", MOBILE, "mobile", True),
        ("１３９１２３４５６７８", MOBILE, "mobile", True),
        ("１３９－１２３４－５６７８", MOBILE, "mobile", True),
        ("013912345678", MOBILE, "mobile", True),
        ("13912345678/0571-88886666", MOBILE, "mobile", True),
        ("13912345678，13812345678", MOBILE, "mobile", True),
        ("无/13912345678", MOBILE, "mobile", True),
        ("17012345678", "17012345678", "mobile", True),
        ("19912345678", "19912345678", "mobile", True),
        ("0571-88886666", LANDLINE, "landline", True),
        ("0571 8888 6666", LANDLINE, "landline", True),
        ("(0571)88886666", LANDLINE, "landline", True),
        ("（0571）8888-6666", LANDLINE, "landline", True),
        ("057188886666", LANDLINE, "landline", True),
        ("88886666", LANDLINE, "landline", True),
        ("8888-6666", LANDLINE, "landline", True),
        ("８８８８６６６６", LANDLINE, "landline", True),
        ("86-571-88886666", LANDLINE, "landline", True),
        ("+86 571 8888 6666", LANDLINE, "landline", True),
        ("8657188886666", LANDLINE, "landline", True),
        ("0571-88886666-801", LANDLINE, "landline", True),
        ("0571-88886666转801", LANDLINE, "landline", True),
        ("0571-88886666 ext 12", LANDLINE, "landline", True),
        ("86880000", "057186880000", "landline", True),  # a local number starting 86
        ("010-62345678", "01062345678", "landline", True),
        ("021 6234 5678", "02162345678", "landline", True),
        ("0574-87654321", "057487654321", "landline", True),
        ("0570-3234567", "05703234567", "landline", True),
        ("12345678901", "12345678901", "unknown", False),
        ("1391234567", "1391234567", "unknown", False),  # 10 digits
        ("139123456789", "139123456789", "unknown", False),
        ("123", "123", "unknown", False),
        ("95588", "95588", "unknown", False),
        ("400-800-1234", "4008001234", "unknown", False),
        ("010-12345678", "01012345678", "unknown", False),  # subscriber numbers never start with 1
        ("电话13912345678", MOBILE, "mobile", True),
    ],
)
def test_normalise_phone(raw: str, digits: str, kind: str, valid: bool) -> None:
    phone = normalise_phone(raw)
    assert phone is not None
    assert (phone.digits, phone.kind, phone.valid) == (digits, kind, valid)


@pytest.mark.parametrize("raw", [None, "", "  ", "无", "-", "abc"])
def test_no_digits_is_none(raw: str | None) -> None:
    assert normalise_phone(raw) is None


def test_area_code_of_the_hub_city() -> None:
    phone = normalise_phone("87654321", "0574")
    assert phone is not None and phone.digits == "057487654321"
    phone = normalise_phone("62345678", "10")
    assert phone is not None and phone.digits == "01062345678"


@given(st.text())
def test_never_raises(text: str) -> None:
    phone = normalise_phone(text)
    if phone is not None:
        assert phone.digits.isdigit() or phone.digits == ""


@given(st.text(alphabet="0123456789+-() 　８６", max_size=20))
def test_idempotent(text: str) -> None:
    phone = normalise_phone(text)
    if phone is not None and phone.valid:
        assert normalise_phone(phone.digits) == phone
