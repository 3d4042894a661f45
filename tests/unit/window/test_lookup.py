"""Search inputs read as people type them; searches below the minimum criteria refused."""

from __future__ import annotations

from datetime import date

import pytest

from hub.window.lookup import (
    Grade,
    check_criteria,
    grade,
    parse_birth_date,
    parse_credit_code,
    parse_id_number,
    parse_name,
    parse_phone,
)
from hub.window.problems import InvalidQueryError, SearchTooBroadError

ID = "330106198503121234"


@pytest.mark.parametrize("spelling", [
    ID, " 330106 19850312 1234 ", "３３０１０６１９８５０３１２１２３４", "330106-1985-0312-1234",
])
def test_every_spelling_of_an_id_reads_the_same(spelling: str) -> None:
    assert parse_id_number(spelling) == ID


def test_legacy_and_lower_case_x() -> None:
    assert parse_id_number("650102800101001") == "650102198001010012"
    assert parse_id_number("33010219400305004x") == "33010219400305004X"


@pytest.mark.parametrize("bad", ["", "1234", "330106198513321234", "'; DROP TABLE--", "3301061985031212345",
                                 "x" * 200, "330106\x00198503121234"])
def test_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidQueryError):
        parse_id_number(bad)


def test_phone_credit_code_and_date() -> None:
    assert parse_phone("139-1234-5678", "330100") == "13912345678"
    assert parse_credit_code("91330102ma2h8k3lad") == "91330102MA2H8K3LAD"
    assert parse_birth_date("1985-03-12") == date(1985, 3, 12)
    with pytest.raises(SearchTooBroadError):
        parse_birth_date("1985")
    with pytest.raises(InvalidQueryError):
        parse_birth_date("1985-02-30")
    with pytest.raises(InvalidQueryError):
        parse_phone("12", "330100")


@pytest.mark.parametrize("kwargs", [
    {"name": "陈晓明"}, {"birth_date": "1985-03-12"}, {"birth_date": "1985"}, {},
    {"phone": "13912345678", "name": "陈晓明"},
])
def test_fishing_is_refused(kwargs: dict[str, str]) -> None:
    args: dict[str, str | None] = {"id_number": None, "name": None, "birth_date": None, "phone": None, **kwargs}
    with pytest.raises(SearchTooBroadError):
        check_criteria(**args)


def _doc(name: str, born: str, phone: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"name": {"value": name}, "birth_date": {"value": born}, "gender": {"value": "male"}}
    if phone:
        fields["phone"] = {"value": phone}
    return {"citizen_id": "C-x", "fields": fields}


def test_grades() -> None:
    born = date(1985, 3, 12)
    name = parse_name("陈晓明")
    assert grade(_doc("陈晓明", "1985-03-12", "13912345678"), name, born, phone="13912345678") is Grade.CERTAIN
    assert grade(_doc("陳曉明", "1985-03-12"), name, born) is Grade.PROBABLE
    assert grade(_doc("陈小明", "1985-03-12"), name, born) is Grade.POSSIBLE
    assert grade(_doc("王芳", "1985-03-12"), name, born) is None
    assert grade(_doc("陈晓明", "1985-03-13"), name, born) is None
    assert grade(_doc("陈晓明", "1985-03-12"), name, born, gender="female") is None
