"""The address parser's shortcuts give exactly what its general path gives."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.engine.standardise._text import char_class, fold, settled_ideographs
from hub.engine.standardise.addresses import _prepare, _prepare_general

# Plain characters (the shortcuts' domain) mixed with everything the general path rewrites:
# numerals, 至/到/第, full-width and lower-case letters, traditional script, spaces and punctuation.
MIXED_ALPHABET = st.sampled_from(
    list("浙江省杭州市西湖区文三路东部软件园号楼幢栋单元室组村社区街道镇乡小区新村弄巷大道座层楼房")
    + list("0123456789AXZ#-一二两三十百千〇零○至到第")
    + list("９０ＡａbＸ錢塘區號樓單元 　\t\u200b,.·（）()~—_")
)


@settings(max_examples=1000)
@given(st.text(MIXED_ALPHABET, max_size=30))
@example("文三路九十号1栋二单元1502")
@example("文三路90至92号")
@example("第3幢")
@example("錢塘區學林街254號")
@example("杭州市西湖区文三路９０号1-2-1502")
def test_prepare_shortcut_equals_general_path(text: str) -> None:
    assert _prepare(text) == _prepare_general(text)


@given(st.text())
def test_prepare_shortcut_equals_general_path_on_any_text(text: str) -> None:
    assert _prepare(text) == _prepare_general(text)


@given(st.sets(st.characters(), min_size=1), st.lists(st.characters()))
def test_char_class_matches_exactly_its_characters(chars: set[str], others: list[str]) -> None:
    pattern = re.compile(f"[{char_class(chars)}]")
    for ch in [*chars, *others]:
        assert (pattern.fullmatch(ch) is not None) == (ch in chars)


def test_settled_ideographs_are_kept_by_fold() -> None:
    settled = settled_ideographs()
    assert len(settled) > 15_000
    assert all(fold(ch) == ch for ch in settled)
    assert "錢" not in settled and "钱" in settled
