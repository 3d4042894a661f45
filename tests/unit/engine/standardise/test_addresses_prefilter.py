"""The parser's cheap checks before a regex never rule out a text the regex would match."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.engine.standardise.addresses import (
    _COMMUNITY_MARKS,
    _COMMUNITY_RE,
    _NUMBER_RE,
    _ROAD_RE,
    _SHORTHAND2_RE,
    _SHORTHAND3_RE,
    _STREET_MARKS,
    _STREET_RE,
    _TAIL_RE,
    ParsedAddress,
    _marked,
    _road_ahead,
    _tail_start,
)

# Names, every marker character, digits (ASCII, full-width, Arabic-Indic, Devanagari) and letters.
LOCAL_ALPHABET = st.sampled_from(list("文三西湖东部大胡同路街道巷弄镇乡村社区居民委员会号组队-#0123456789A"))
TAIL_ALPHABET = st.sampled_from(list("东部软件园号楼幢栋座#单元层室房-0123456789AZ１٣३"))


@settings(max_examples=2000)
@given(st.text(LOCAL_ALPHABET, max_size=24), st.integers(0, 23))
@example("一二三四五六七八街道", 0)
@example("一二三四五六七八九十社区居委会", 0)
@example("一二三四五六七八九十一二大道", 0)
@example("文三12345678901234号路", 0)
def test_local_regexes_match_only_where_their_markers_are(text: str, pos: int) -> None:
    pos = min(pos, len(text))
    if _STREET_RE.match(text, pos):
        assert _marked(text, pos, _STREET_MARKS)
    if _COMMUNITY_RE.match(text, pos):
        assert _marked(text, pos, _COMMUNITY_MARKS)
    if _ROAD_RE.match(text, pos):
        assert _road_ahead(text, pos)
    if _NUMBER_RE.match(text, pos):
        assert text[pos].isdecimal()


@settings(max_examples=2000)
@given(st.text(TAIL_ALPHABET, max_size=20))
@example("东部软件园٣12幢1单元1502室")
@example("园1-2-301")
@example("东部软件园1502")
def test_tail_regexes_find_the_same_match_from_the_tail_start(tail: str) -> None:
    start = _tail_start(tail)
    for pattern in (_TAIL_RE, _SHORTHAND3_RE, _SHORTHAND2_RE):
        full, shortcut = pattern.search(tail), pattern.search(tail, start)
        assert (full and full.span()) == (shortcut and shortcut.span())


def test_tail_start_searches_everything_after_a_non_ascii_digit() -> None:
    assert _tail_start("东部软件园12幢") == 5
    assert _tail_start("东部软件园٣12幢") == 0
    assert re.fullmatch(r"\d", "٣")


def test_parsed_address_keeps_its_dataclass_behaviour() -> None:
    a = ParsedAddress(road="文三路", number="90", canonical="文三路90号")
    assert a == ParsedAddress(road="文三路", number="90", canonical="文三路90号")
    assert hash(a) == hash(ParsedAddress(road="文三路", number="90", canonical="文三路90号"))
    assert a.room is None and a.inferred == () and ParsedAddress().canonical == ""
    assert dataclasses.replace(a, room="1502").room == "1502"
    assert [f.default for f in dataclasses.fields(ParsedAddress)][-2:] == [(), ""]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.road = "x"  # type: ignore[misc]
