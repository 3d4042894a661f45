"""The purposes file: loads, and refuses what would leak (health facts outside 医疗卫生, typos)."""

from __future__ import annotations

import pytest

from hub.window.problems import PolicyError
from hub.window.purposes import HEALTH_FIELDS, Mode, default_policy, parse_policy


def test_the_shipped_file_names_the_six_purposes() -> None:
    assert set(default_policy().names()) == {"社会救助", "养老服务", "就业服务", "医疗卫生", "综合受理", "本人查询"}


def test_health_facts_only_for_health() -> None:
    policy = default_policy()
    for name, purpose in policy.purposes.items():
        for f in HEALTH_FIELDS:
            if name == "医疗卫生":
                assert purpose.mode(f) is Mode.FULL
            else:
                assert purpose.mode(f) is Mode.HIDDEN, (name, f)


def test_self_service_needs_a_grant() -> None:
    assert default_policy().purposes["本人查询"].grant


@pytest.mark.parametrize("text, message", [
    ('[purposes."养老服务"]\nfields = { chronic_diseases = "presence" }', "must be hidden"),
    ('[purposes."养老服务"]\nhealth = true', "only 医疗卫生"),
    ('[purposes."养老服务"]\nfields = { nmae = "full" }', "unknown field"),
    ('[purposes."养老服务"]\nfields = { name = "shown" }', "purpose 养老服务"),
    ('[purposes."x"]\nself_service = true', "grant"),
    ("purposes = 3", "no [purposes"),
    ("not toml [", "not TOML"),
])
def test_a_bad_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("[", r"\[")):
        parse_policy(text)
