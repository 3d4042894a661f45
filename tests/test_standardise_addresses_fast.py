"""The address parser's shortcuts give exactly what its general path gives."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.engine.standardise._text import char_class, fold, settled_ideographs
from hub.engine.standardise.addresses import _Heads, _parse, _prepare, _prepare_general

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


HEADS = st.sampled_from(
    [
        "", "浙江省", "浙江", "杭州市", "杭州", "浙江省杭州市", "浙江杭州", "杭州市区", "杭州市区区",
        "西湖区", "上城区", "余杭区", "钱塘新区", "东区", "鼓楼区", "朝阳区", "南京市鼓楼区", "江苏",
        "上海市", "上海", "浦东新区", "北京", "北京市朝阳区", "宁波市海曙区", "浙江省宁波市", "江干区",
        "萧山经济技术开发区", "杭州高新区", "下城区", "深圳市罗湖区", "罗湖区",
        "福建省三明市沙县", "三明市沙县", "沙县", "广东省梅州市梅县", "梅县",  # 沙县 → 沙县区
    ]
)  # fmt: skip
# what may follow a head, including what lengthens its last name (沙县 → 沙县区, 杭州 → 杭州市)
REST = st.lists(
    st.sampled_from(["区", "市", "县", "特区", "办事处", "西湖区", "杭州", "东区", "开发区", "经济技术开发区"])
    | st.sampled_from(["文三路", "90号", "XX小区", "1幢", "2单元", "302室", "XX街道", "XX村", "3组", "区区", "0"]),
    max_size=5,
).map("".join)
HUBS = st.sampled_from(["330100", "310100", "110100", "320100"])


@settings(max_examples=500)
@given(HEADS, HEADS, st.lists(REST, min_size=2, max_size=8), HUBS)
@example("福建省三明市沙县", "", ["文三路", "区文三路"], "330100")
def test_remembered_heads_read_as_afresh(first: str, second: str, rests: list[str], hub: str) -> None:
    heads = _Heads()
    for rest in rests:
        text = first + second + rest
        assert _parse(text, hub, heads) == _parse(text, hub, None)


def test_a_head_is_remembered_only_when_nothing_after_it_was_read() -> None:
    heads = _Heads()
    _parse("浙江省杭州市西湖区文三路90号", "330100", heads)
    _parse("文三路90号", "330100", heads)  # read up to the end of a would-be district, nothing to keep
    _parse("浙江杭州", "330100", heads)  # 杭州 may go on as 杭州市: read past its end
    assert heads.size == 1
    assert heads.find("浙江省杭州市西湖区XX小区") == (9, "浙江省", "杭州市", "西湖区", "330000", "330100", "330106")
    assert heads.find("浙江省杭州市西湖") is None
