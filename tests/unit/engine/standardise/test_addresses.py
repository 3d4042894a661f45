"""Address parsing: the messy spellings departments use, and the comparison helpers."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.engine.standardise.addresses import (
    COMPONENTS,
    ParsedAddress,
    address_similarity,
    addresses_compatible,
    parse_address,
)
from hub.engine.standardise.divisions import divisions
from hub.engine.standardise.numerals import chinese_to_digits

Where = str | tuple[str | None, str | None] | None
HZ = ("浙江省", "杭州市")

# raw text → components other than province/city, (province, city) ("HZ" = 浙江省杭州市), district code
CASES: list[tuple[str, dict[str, str], Where, str | None]] = [
    (
        "浙江省杭州市西湖区文三路90号东部软件园1号楼",
        {"district": "西湖区", "road": "文三路", "number": "90", "estate": "东部软件园", "building": "1"},
        "HZ",
        "330106",
    ),
    (
        "西湖区文三路90号1幢2单元1502室",
        {"district": "西湖区", "road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        "330106",
    ),
    (
        "文三路九十号1栋二单元1502",
        {"road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        None,
    ),
    (
        "杭州市西湖区文三路９０号1-2-1502",
        {"district": "西湖区", "road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        "330106",
    ),
    (
        "文三路90号东部软件园1号楼2单元1502室",
        {"road": "文三路", "number": "90", "estate": "东部软件园", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        None,
    ),
    (
        "拱墅区米市巷街道XX社区XX小区3幢1单元302室",
        {
            "district": "拱墅区",
            "street": "米市巷街道",
            "community": "XX社区",
            "estate": "XX小区",
            "building": "3",
            "unit": "1",
            "room": "302",
        },
        "HZ",
        "330105",
    ),
    (
        "余杭区XX镇XX村XX组12号",
        {"district": "余杭区", "street": "XX镇", "community": "XX村", "road": "XX组", "number": "12"},
        "HZ",
        "330110",
    ),
    ("西湖區文三路90號", {"district": "西湖区", "road": "文三路", "number": "90"}, "HZ", "330106"),
    (
        "杭州市西湖區文三路90號東部軟件園1號樓2單元1502室",
        {
            "district": "西湖区",
            "road": "文三路",
            "number": "90",
            "estate": "东部软件园",
            "building": "1",
            "unit": "2",
            "room": "1502",
        },
        "HZ",
        "330106",
    ),
    ("浙江杭州西湖区文三路90号", {"district": "西湖区", "road": "文三路", "number": "90"}, "HZ", "330106"),
    ("杭州西湖区文三路90号", {"district": "西湖区", "road": "文三路", "number": "90"}, "HZ", "330106"),
    ("西湖区文三路十二号", {"district": "西湖区", "road": "文三路", "number": "12"}, "HZ", "330106"),
    ("西湖区文三路一百零五号", {"district": "西湖区", "road": "文三路", "number": "105"}, "HZ", "330106"),
    ("文三路二十一号", {"road": "文三路", "number": "21"}, "HZ", None),
    (
        "文三路90号1幢2单元三〇二室",
        {"road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "302"},
        "HZ",
        None,
    ),
    (
        "文三路90号1幢2单元一五〇二室",
        {"road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        None,
    ),
    ("文三路90号A座1502", {"road": "文三路", "number": "90", "building": "A", "room": "1502"}, "HZ", None),
    ("西湖区文三路90号b座", {"district": "西湖区", "road": "文三路", "number": "90", "building": "B"}, "HZ", "330106"),
    (
        "文三路90号3#楼2单元502室",
        {"road": "文三路", "number": "90", "building": "3", "unit": "2", "room": "502"},
        "HZ",
        None,
    ),
    (
        "文三路90号3#2单元502",
        {"road": "文三路", "number": "90", "building": "3", "unit": "2", "room": "502"},
        "HZ",
        None,
    ),
    ("文三路90号5楼502室", {"road": "文三路", "number": "90", "floor": "5", "room": "502"}, "HZ", None),
    ("文三路90号东部软件园5层", {"road": "文三路", "number": "90", "estate": "东部软件园", "floor": "5"}, "HZ", None),
    (
        "文三路90号（东部软件园）1号楼",
        {"road": "文三路", "number": "90", "estate": "东部软件园", "building": "1"},
        "HZ",
        None,
    ),
    ("文 三 路 9 0 号", {"road": "文三路", "number": "90"}, "HZ", None),
    (
        "西湖区 文三路 90号 东部软件园 1号楼",
        {"district": "西湖区", "road": "文三路", "number": "90", "estate": "东部软件园", "building": "1"},
        "HZ",
        "330106",
    ),
    (
        "西湖区文三路90号东部软件园1号楼，2单元，1502室",
        {
            "district": "西湖区",
            "road": "文三路",
            "number": "90",
            "estate": "东部软件园",
            "building": "1",
            "unit": "2",
            "room": "1502",
        },
        "HZ",
        "330106",
    ),
    (
        "文三路９０号１幢２单元１５０２室",
        {"road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        None,
    ),
    (
        "文三路90号1幢2单元1502",
        {"road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "1502"},
        "HZ",
        None,
    ),
    ("文三路90号1-1502", {"road": "文三路", "number": "90", "building": "1", "room": "1502"}, "HZ", None),
    ("文三路90号1502", {"road": "文三路", "number": "90", "room": "1502"}, "HZ", None),
    (
        "西湖区文三路90号东部软件园十二幢",
        {"district": "西湖区", "road": "文三路", "number": "90", "estate": "东部软件园", "building": "12"},
        "HZ",
        "330106",
    ),
    (
        "西湖区文三路90号东部软件园1号楼一单元",
        {"district": "西湖区", "road": "文三路", "number": "90", "estate": "东部软件园", "building": "1", "unit": "1"},
        "HZ",
        "330106",
    ),
    (
        "西湖区文三路90号01幢02单元0502室",
        {"district": "西湖区", "road": "文三路", "number": "90", "building": "1", "unit": "2", "room": "502"},
        "HZ",
        "330106",
    ),
    ("西湖区文三路0090号", {"district": "西湖区", "road": "文三路", "number": "90"}, "HZ", "330106"),
    ("西湖区文三路90-1号", {"district": "西湖区", "road": "文三路", "number": "90-1"}, "HZ", "330106"),
    ("西湖区文一西路998号", {"district": "西湖区", "road": "文一西路", "number": "998"}, "HZ", "330106"),
    ("朝晖新村12幢3单元502室", {"estate": "朝晖新村", "building": "12", "unit": "3", "room": "502"}, "HZ", None),
    ("拱墅区和睦新村12幢", {"district": "拱墅区", "estate": "和睦新村", "building": "12"}, "HZ", "330105"),
    (
        "米市巷街道朝晖新村12-3-502",
        {
            "district": "拱墅区",
            "street": "米市巷街道",
            "estate": "朝晖新村",
            "building": "12",
            "unit": "3",
            "room": "502",
        },
        "HZ",
        "330105",
    ),
    ("乔司街道XX社区", {"district": "临平区", "street": "乔司街道", "community": "XX社区"}, "HZ", "330113"),
    ("临平区南苑街道XX社区", {"district": "临平区", "street": "南苑街道", "community": "XX社区"}, "HZ", "330113"),
    (
        "余杭区仁和街道獐山村三组十二号",
        {"district": "余杭区", "street": "仁和街道", "community": "獐山村", "road": "3组", "number": "12"},
        "HZ",
        "330110",
    ),
    (
        "萧山区XX镇XX村第三组15号",
        {"district": "萧山区", "street": "XX镇", "community": "XX村", "road": "3组", "number": "15"},
        "HZ",
        "330109",
    ),
    (
        "西湖区三墩镇XX村五组",
        {"district": "西湖区", "street": "三墩镇", "community": "XX村", "road": "5组"},
        "HZ",
        "330106",
    ),
    ("西湖区三墩镇XX村委会", {"district": "西湖区", "street": "三墩镇", "community": "XX村"}, "HZ", "330106"),
    ("拱墅区XX社区居委会", {"district": "拱墅区", "community": "XX社区"}, "HZ", "330105"),
    (
        "上城区望江街道XX社区XX苑5幢",
        {"district": "上城区", "street": "望江街道", "community": "XX社区", "estate": "XX苑", "building": "5"},
        "HZ",
        "330102",
    ),
    (
        "上海市黄浦区南京东路123弄4号502室",
        {"district": "黄浦区", "road": "南京东路", "number": "123弄4", "room": "502"},
        ("上海市", "上海市"),
        "310101",
    ),
    (
        "北京市朝阳区建国路88号SOHO现代城A座1502",
        {
            "district": "朝阳区",
            "road": "建国路",
            "number": "88",
            "estate": "SOHO现代城",
            "building": "A",
            "room": "1502",
        },
        ("北京市", "北京市"),
        "110105",
    ),
    (
        "宁波市海曙区中山西路12号",
        {"district": "海曙区", "road": "中山西路", "number": "12"},
        ("浙江省", "宁波市"),
        "330203",
    ),
    ("海曙区中山西路12号", {"district": "海曙区", "road": "中山西路", "number": "12"}, ("浙江省", "宁波市"), "330203"),
    ("鼓楼区中山路1号", {"district": "鼓楼区", "road": "中山路", "number": "1"}, None, None),
    ("下城区中山北路100号", {"district": "下城区", "road": "中山北路", "number": "100"}, "HZ", "330103"),
    ("钱塘区下沙2号大街500号", {"district": "钱塘区", "road": "下沙2号大街", "number": "500"}, "HZ", "330114"),
    (
        "建德市新安江街道XX路5号",
        {"district": "建德市", "street": "新安江街道", "road": "XX路", "number": "5"},
        "HZ",
        "330182",
    ),
    ("杭州市建德市XX路5号", {"district": "建德市", "road": "XX路", "number": "5"}, "HZ", "330182"),
    ("桐庐县XX镇XX村8号", {"district": "桐庐县", "street": "XX镇", "community": "XX村", "number": "8"}, "HZ", "330122"),
    ("杭州市区文三路", {"road": "文三路"}, "HZ", None),
    ("浙江省杭州市", {}, "HZ", None),
    ("浙江省", {}, ("浙江省", None), None),
    ("西湖区", {"district": "西湖区"}, "HZ", "330106"),
    ("XX小区12号", {"estate": "XX小区", "building": "12"}, "HZ", None),
    ("XX小区3号502", {"estate": "XX小区", "building": "3", "room": "502"}, "HZ", None),
    (
        "文三路90号东部软件园1502室(东)",
        {"road": "文三路", "number": "90", "estate": "东部软件园", "room": "1502"},
        "HZ",
        None,
    ),
    ("杭州经济技术开发区XX路5号", {"district": "经济技术开发区", "road": "XX路", "number": "5"}, "HZ", None),
    ("asdfgh", {}, None, None),
    ("不详", {}, None, None),
    ("同上", {}, None, None),
    ("330106", {}, None, None),
    # estate names that contain a village or road marker, and a 街道 before a road starting with 大
    (
        "上城区银村里18号楼1单元1302室",
        {"district": "上城区", "estate": "银村里", "building": "18", "unit": "1", "room": "1302"},
        "HZ",
        "330102",
    ),
    (
        "钱塘区新弄苑3号楼2单元201室",
        {"district": "钱塘区", "estate": "新弄苑", "building": "3", "unit": "2", "room": "201"},
        "HZ",
        "330114",
    ),
    (
        "拱墅区祥符街道大关路226号枫梅华庭1号楼2单元202",
        {"district": "拱墅区", "street": "祥符街道", "road": "大关路", "number": "226", "estate": "枫梅华庭",
         "building": "1", "unit": "2", "room": "202"},
        "HZ",
        "330105",
    ),
]


def _local(address: ParsedAddress) -> dict[str, str]:
    return {k: v for k, v in address.components().items() if v and k not in ("province", "city")}


@pytest.mark.parametrize(("raw", "expected", "where", "district_code"), CASES)
def test_parse_address(raw: str, expected: dict[str, str], where: Where, district_code: str | None) -> None:
    address = parse_address(raw)
    assert address is not None
    assert _local(address) == expected
    assert (address.province, address.city) == (HZ if where == "HZ" else where or (None, None))
    assert address.district_code == district_code


@pytest.mark.parametrize(("raw", "_expected", "_where", "_code"), CASES)
def test_canonical_reparses_to_the_same_components(raw: str, _expected: object, _where: object, _code: object) -> None:
    address = parse_address(raw)
    assert address is not None
    again = parse_address(address.canonical)
    assert again is not None
    assert again.components() == address.components()
    assert again.canonical == address.canonical
    assert again.district_code == address.district_code


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "（）", ",，。"])
def test_empty_is_none(raw: str | None) -> None:
    assert parse_address(raw) is None


SAME_FLAT = [
    "浙江省杭州市西湖区文三路90号东部软件园1号楼2单元1502室",
    "西湖区文三路90号1幢2单元1502室",
    "文三路九十号1栋二单元1502",
    "杭州市西湖区文三路９０号1-2-1502",
    "文三路90号东部软件园1号楼2单元1502室",
    "杭州市西湖區文三路90號東部軟件園1號樓2單元1502室",
    "西湖区 文三路 90号 1幢 2单元 1502室",
    "浙江杭州西湖区文三路90号1#楼2单元1502",
]


def test_canonical_text_example() -> None:
    address = parse_address("西湖区文三路90号东部软件园1号楼2单元1502室")
    assert address is not None
    assert address.canonical == "浙江省杭州市西湖区文三路90号东部软件园1幢2单元1502室"
    assert address.inferred == ("province", "city")
    assert address.province_code == "330000" and address.city_code == "330100"


def test_same_flat_shares_keys() -> None:
    parsed = [parse_address(text) for text in SAME_FLAT]
    assert all(p is not None for p in parsed)
    keys = {p.key_without_district for p in parsed if p}
    assert keys == {"330100|r:文三路|90|1|2||1502"}
    with_district = {p.place_key for p in parsed if p and p.district_code}
    assert with_district == {"330106|r:文三路|90|1|2||1502"}


def test_same_flat_all_compatible_and_similar() -> None:
    parsed = [parse_address(text) for text in SAME_FLAT]
    for a in parsed:
        for b in parsed:
            assert addresses_compatible(a, b), (a, b)
            assert address_similarity(a, b) >= 0.85


@pytest.mark.parametrize(
    ("a", "b", "compatible"),
    [
        ("西湖区文三路90号1幢", "文三路90号1幢2单元1502室", True),  # missing district and detail
        ("西湖区文三路90号1幢", "拱墅区文三路90号1幢", False),  # conflicting district
        ("文三路90号1幢", "文三路92号1幢", False),  # conflicting number
        ("文三路90号1幢2单元1502室", "文三路90号1幢2单元1503室", False),
        ("文三路90号东部软件园1幢", "文三路90号1幢", True),  # estate on one side only
        ("下城区中山北路100号", "拱墅区中山北路100号", True),  # 下城区 merged into 拱墅区 (2021)
        ("米市巷街道朝晖新村12幢", "拱墅区朝晖新村12幢3单元502室", True),  # district from the street
        ("米市巷街道朝晖新村12幢", "米市巷朝晖新村12幢", True),
        ("余杭区XX镇XX村3组12号", "余杭区XX镇XX村3组12号", True),
        ("宁波市海曙区中山西路12号", "中山西路12号", False),  # different cities
        ("西湖区", "西湖区", False),  # nothing locating in common
        ("asdfgh", "asdfgh", False),
    ],
)
def test_addresses_compatible(a: str, b: str, compatible: bool) -> None:
    pa, pb = parse_address(a), parse_address(b)
    assert addresses_compatible(pa, pb) is compatible
    assert addresses_compatible(pb, pa) is compatible


def test_compatible_with_none() -> None:
    assert not addresses_compatible(None, parse_address("文三路90号"))


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("西湖区文三路90号1幢2单元1502室", "西湖区文三路90号1幢2单元1502室", 1.0, 1.0),
        ("西湖区文三路90号东部软件园1号楼", "西湖区文三路90号1幢2单元1502室", 0.8, 0.95),
        ("文三路90号1幢2单元1502室", "文三路90号1幢2单元1503室", 0.6, 0.95),
        ("文三路90号", "文二路90号", 0.4, 0.9),
        ("西湖区文三路90号", "上城区解放路105号", 0.0, 0.3),
        ("宁波市海曙区中山西路12号", "中山西路12号", 0.0, 0.0),
        ("asdfgh", "asdfgh", 1.0, 1.0),
    ],
)
def test_address_similarity(a: str, b: str, low: float, high: float) -> None:
    score = address_similarity(parse_address(a), parse_address(b))
    assert low <= score <= high
    assert score == address_similarity(parse_address(b), parse_address(a))


def test_similarity_of_none_is_zero() -> None:
    assert address_similarity(None, parse_address("文三路90号")) == 0.0


def test_other_hub_city_fills_its_own_city() -> None:
    address = parse_address("海曙区中山西路12号", "330200")
    assert address is not None and address.city == "宁波市" and address.district_code == "330203"
    bare = parse_address("中山西路12号", "330200")
    assert bare is not None and (bare.province, bare.city, bare.city_code) == ("浙江省", "宁波市", "330200")


def test_hub_city_decides_ambiguous_district() -> None:
    nanchang = parse_address("西湖区XX路1号", "360100")
    assert nanchang is not None and nanchang.district_code == "360103" and nanchang.city == "南昌市"
    hangzhou = parse_address("西湖区XX路1号")
    assert hangzhou is not None and hangzhou.district_code == "330106"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("十", "10"), ("十二", "12"), ("二十", "20"), ("二十一", "21"), ("九十", "90"),
        ("一百", "100"), ("一百零五", "105"), ("一百一", "110"), ("两百", "200"),
        ("三百零二", "302"), ("一千零一", "1001"), ("一千二百三十四", "1234"),
        ("三〇二", "302"), ("一五〇二", "1502"), ("二〇一", "201"), ("〇一", "01"), ("百", "100"),
        ("abc", "abc"),
    ],
)  # fmt: skip
def test_chinese_numerals(text: str, digits: str) -> None:
    assert chinese_to_digits(text) == digits


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("西湖区", "330106"), ("拱墅区", "330105"), ("上城区", "330102"), ("滨江区", "330108"),
        ("萧山区", "330109"), ("余杭区", "330110"), ("临平区", "330113"), ("钱塘区", "330114"),
        ("富阳区", "330111"), ("临安区", "330112"), ("建德市", "330182"), ("桐庐县", "330122"),
        ("淳安县", "330127"), ("海曙区", "330203"), ("浦东新区", "310115"), ("海淀区", "110108"),
        ("天河区", "440106"), ("南山区", "440305"),
    ],
)  # fmt: skip
def test_reference_table_knows_districts(name: str, code: str) -> None:
    assert code in {d.code for d in divisions().by_name[name]}


ADDRESS_ALPHABET = st.sampled_from(
    list("浙江省杭州市西湖区文三路东部软件园号楼幢栋单元室组村社区街道镇乡小区新村弄巷大道座层楼号房")
    + list("0123456789９０-一二三十百〇零AX#()（） 　,.·")
)


@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    address = parse_address(text)
    if address is not None:
        again = parse_address(address.canonical)
        assert again is not None and again.canonical == address.canonical


@settings(max_examples=500)
@given(st.text(ADDRESS_ALPHABET, max_size=30))
@example("区区0")  # a doubled 市区 marker
@example("A村00弄0")  # zeros of a lane house number
def test_canonical_is_a_fixpoint_on_address_like_text(text: str) -> None:
    address = parse_address(text)
    if address is not None:
        again = parse_address(address.canonical)
        assert again is not None
        assert again.canonical == address.canonical
        assert again.components() == address.components()


ROADS = st.sampled_from(["文三路", "解放路", "中山北路", "文一西路", "米市巷", "莫干山路", "之江路"])
DISTRICTS = st.sampled_from(["", "西湖区", "拱墅区", "上城区", "滨江区", "余杭区", "临平区"])
ESTATES = st.sampled_from(["", "东部软件园", "朝晖新村", "XX小区", "和睦苑", "阳光花园"])


@given(
    st.sampled_from(["", "浙江省杭州市", "杭州市", "浙江杭州"]),
    DISTRICTS,
    ROADS,
    st.integers(1, 999),
    ESTATES,
    st.one_of(st.none(), st.integers(1, 40)),
    st.one_of(st.none(), st.integers(1, 6)),
    st.one_of(st.none(), st.integers(101, 3204)),
    st.sampled_from(["幢", "栋", "号楼", "#楼"]),
)
def test_generated_addresses_parse_to_their_parts(
    prefix: str,
    district: str,
    road: str,
    number: int,
    estate: str,
    building: int | None,
    unit: int | None,
    room: int | None,
    marker: str,
) -> None:
    text = f"{prefix}{district}{road}{number}号{estate}"
    text += f"{building}{marker}" if building else ""
    text += f"{unit}单元" if unit and building else ""
    text += f"{room}室" if room and building else ""
    address = parse_address(text)
    assert address is not None
    assert (address.province, address.city) == HZ
    assert address.district == (district or None)
    assert (address.road, address.number, address.estate) == (road, str(number), estate or None)
    assert address.building == (str(building) if building else None)
    assert address.unit == (str(unit) if unit and building else None)
    assert address.room == (str(room) if room and building else None)
    again = parse_address(address.canonical)
    assert again is not None and again.components() == address.components()
    assert set(address.components()) == set(COMPONENTS)


def test_lane_house_written_as_building_is_the_house_number() -> None:
    as_building = parse_address("上海黄浦区南京东路123弄4号楼502", "310100")
    as_house = parse_address("黄浦区南京东路123弄4号502室", "310100")
    assert as_building is not None and as_house is not None
    assert (as_building.road, as_building.number, as_building.estate, as_building.building, as_building.room) == (
        "南京东路", "123弄4", None, None, "502"
    )
    assert as_building.canonical == as_house.canonical
