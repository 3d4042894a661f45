"""Resident IDs and other document numbers as counters type them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from hub.engine.standardise.ids import id_distance, normalise_document_number, normalise_resident_id

VALID = "330106198503121231"
VALID_X = "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "value", "valid", "legacy"),
    [
        (VALID, VALID, True, False),
        (" 330106198503121231 ", VALID, True, False),
        ("3301 0619 8503 1212 31", VALID, True, False),
        ("330106\u3000198503121231", VALID, True, False),
        ("３３０１０６１９８５０３１２１２３１", VALID, True, False),
        ("330106-19850312-1231", VALID, True, False),
        ("11010519491231002x", VALID_X, True, False),
        ("11010519491231002Ｘ", VALID_X, True, False),
        ("1101 0519 4912 3100 2x", VALID_X, True, False),
        ("\ufeff11010519491231002X", VALID_X, True, False),
        ("330106850312123", VALID, True, True),  # 15-digit legacy → 18
        ("３３０１０６８５０３１２１２３", VALID, True, True),
        ("330106198503121234", "330106198503121234", False, False),  # wrong check digit
        ("330106198503122131", "330106198503122131", False, False),  # transposed digits
        ("440304200102290038", "440304200102290038", False, False),  # 2001-02-29 does not exist
        ("33010619850312123", "33010619850312123", False, False),  # 17 digits
        ("3301061985031212311", "3301061985031212311", False, False),  # 19 digits
        ("330106ABCDEFGH1231", "330106ABCDEFGH1231", False, False),
        ("abc", "ABC", False, False),
        ("330106851332123", "330106198513321237", False, True),  # legacy with month 13
    ],
)
def test_normalise_resident_id(raw: str, value: str, valid: bool, legacy: bool) -> None:
    rid = normalise_resident_id(raw)
    assert rid is not None
    assert (rid.value, rid.valid, rid.upgraded_from_legacy) == (value, valid, legacy)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000\u3000", "\t\n"])
def test_empty_ids_are_none(raw: str | None) -> None:
    assert normalise_resident_id(raw) is None


def test_derived_fields() -> None:
    rid = normalise_resident_id(VALID)
    assert rid is not None
    assert rid.birth_date == date(1985, 3, 12)
    assert rid.gender == "male"
    assert rid.region == "330106"
    woman = normalise_resident_id(VALID_X)
    assert woman is not None and woman.gender == "female" and woman.birth_date == date(1949, 12, 31)


def test_invalid_checksum_keeps_birth_date_and_gender() -> None:
    rid = normalise_resident_id("330106198503121234")
    assert rid is not None and not rid.valid
    assert rid.birth_date == date(1985, 3, 12) and rid.gender == "male" and rid.region == "330106"


def test_impossible_date_has_no_birth_date() -> None:
    rid = normalise_resident_id("440304200102290038")
    assert rid is not None and rid.birth_date is None and not rid.valid
    old = normalise_resident_id("330106170001011231")
    assert old is not None and old.birth_date is None  # year 1700: a typing error


def test_short_garbage_has_no_derived_fields() -> None:
    rid = normalise_resident_id("12")
    assert rid is not None and (rid.birth_date, rid.gender, rid.region) == (None, None, None)


def test_legacy_upgrade_check_digit() -> None:
    rid = normalise_resident_id("110105491231002")
    assert rid is not None and rid.value == VALID_X and rid.valid and rid.upgraded_from_legacy


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        (VALID, VALID, 0),
        (VALID, "330106198503121234", 1),  # one digit
        (VALID, "330106198503122131", 1),  # adjacent transposition
        (VALID, "330106198503211231", 1),  # 12 ↔ 21: one transposition
        (VALID, "330106198503121299", 2),  # two substitutions
        ("", VALID, 18),
        ("12345", "21354", 2),
    ],
)
def test_id_distance(a: str, b: str, distance: int) -> None:
    assert id_distance(a, b) == distance


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        (" e1234 5678", "passport", "E12345678"),
        ("Ｅ１２３４５６７８", "passport", "E12345678"),
        ("g-1234-5678", "passport", "G12345678"),
        ("H1234567 8", "hk_macau_permit", "H12345678"),
        ("A123456(7)", "hk_macau_permit", "A1234567"),
        ("１２３４５６７８", "taiwan_permit", "12345678"),
        ("330106850312123", "resident_id", VALID),
        ("11010519491231002x", "resident_id", VALID_X),
        ("330106850312123", "legacy_or_other_id", VALID),
        ("AB12345", "legacy_or_other_id", "AB12345"),
        ("11010519491231002x", None, VALID_X),
        ("  ", "passport", None),
        (None, "passport", None),
    ],
)
def test_normalise_document_number(raw: str | None, kind: str | None, expected: str | None) -> None:
    assert normalise_document_number(raw, kind) == expected


@given(st.text())
def test_never_raises(text: str) -> None:
    rid = normalise_resident_id(text)
    if rid is not None and rid.valid:
        assert len(rid.value) == 18 and rid.value[17] == ric.calc_check_digit(rid.value)
    normalise_document_number(text, "passport")
    normalise_document_number(text, None)


@given(st.text())
def test_idempotent(text: str) -> None:
    rid = normalise_resident_id(text)
    if rid is not None:
        again = normalise_resident_id(rid.value)
        assert again is not None and again.value == rid.value and again.valid == rid.valid


@given(
    st.from_regex(r"[1-6][0-9]{5}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True)
)
def test_checksummed_ids_are_valid(body: str) -> None:
    value = body + ric.calc_check_digit(body + "0")
    rid = normalise_resident_id(" ".join(value[i : i + 4] for i in range(0, 18, 4)).lower())
    assert rid is not None and rid.valid and rid.value == value


_ID_BODY = r"[1-6][0-9]{5}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}"


@given(st.from_regex(_ID_BODY, fullmatch=True), st.sampled_from("0123456789X"))
def test_check_character_agrees_with_stdnum(body: str, last: str) -> None:
    """The engine's own check character (no interpreted call per ID) accepts exactly stdnum's."""
    rid = normalise_resident_id(body + last)
    assert rid is not None and rid.valid == (last == ric.calc_check_digit(body + "0"))
