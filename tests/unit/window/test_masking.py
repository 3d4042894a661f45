"""Masking never leaks: the hidden part of an ID or phone is starred whatever the value."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from hub.window.disclosure import Extras, Shown, citizen_view
from hub.window.masking import log_safe, mask_date, mask_id, mask_name, mask_phone, presence_text
from hub.window.purposes import default_policy

digits = st.text(alphabet="0123456789", min_size=1, max_size=24)
ids = st.from_regex(r"[1-9]\d{16}[0-9X]", fullmatch=True)
mobiles = st.from_regex(r"1[3-9]\d{9}", fullmatch=True)


def test_the_rules_halls_know() -> None:
    assert mask_id("330106198503121234") == "330106********1234"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("057188886666") == "057*****6666"
    assert mask_name("陈晓明") == "陈**"
    assert mask_date("1985-03-12") == "1985-**-**"
    assert log_safe("id_number", "330106198503121234") == "330106********1234"


def test_short_values_are_mostly_starred() -> None:
    assert mask_phone("88886666") == "******66"
    assert mask_id("E12345678") == "*******78"


@given(ids)
def test_an_id_keeps_only_its_first_six_and_last_four(value: str) -> None:
    masked = mask_id(value)
    assert len(masked) == 18
    assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
    assert masked[6:14] == "*" * 8


@given(digits)
def test_a_phone_never_shows_more_than_seven_characters_or_most_of_itself(value: str) -> None:
    masked = mask_phone(value)
    shown = [c for c in masked if c != "*"]
    assert len(masked) == len(value)
    assert len(shown) <= 7
    assert len(shown) <= max(len(value) * 3 // 4, 0)
    if len(value) >= 4:
        assert masked != value


def _doc(id_number: str, phone: str) -> dict[str, Any]:
    def fv(value: Any) -> dict[str, Any]:
        return {"value": value, "source": "civil_affairs", "record_id": "MZ1",
                "updated_at": "2024-01-01T09:00:00+08:00"}

    return {"citizen_id": "C-aaaaaaaaaaaaaaaa", "records": [], "contract": {},
            "fields": {"name": fv("陈晓明"), "id_number": fv(id_number), "phone": fv(phone),
                       "birth_date": fv("1985-03-12"), "social_security_card": fv(id_number)}}


@given(ids, mobiles, st.sampled_from(sorted(default_policy().purposes)))
def test_a_view_never_carries_an_id_or_phone_its_purpose_masks(id_number: str, phone: str, purpose: str) -> None:
    p = default_policy().purposes[purpose]
    member = _doc(id_number, phone) | {"citizen_id": "C-bbbbbbbbbbbbbbbb"}
    view = citizen_view(_doc(id_number, phone), p, Extras(household=[member]), Shown())
    leaves = _strings(orjson.loads(orjson.dumps(view)))
    if p.mode("id_number").value != "full" and p.mode("social_security_card").value != "full":
        assert not any(id_number in s for s in leaves)
        assert all(s[6:14] == "*" * 8 for s in leaves if len(s) == 18 and s[:6] == id_number[:6])
    if p.mode("phone").value != "full":
        assert not any(phone in s for s in leaves)
        assert all(s[3:7] == "****" for s in leaves if len(s) == 11 and s[:3] == phone[:3])


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_presence_answers_say_whether_not_what() -> None:
    assert presence_text("assistance_type", "minimum_living") == "享受社会救助: 是（低保）"
    assert presence_text("chronic_diseases", []) == "慢病登记: 否"
    assert presence_text("elderly_care", True) == "养老服务对象: 是"
