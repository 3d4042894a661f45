"""Place resolution: which address texts are one place, and which stay apart because they are ambiguous."""

from __future__ import annotations

from hub.engine.places import resolve_places
from hub.engine.standardise.addresses import parse_address


def _places(*texts: str) -> dict[str, str]:
    parsed = {t: parse_address(t, "330100") for t in texts}
    return resolve_places({t: p for t, p in parsed.items() if p is not None})


def test_road_number_tells_which_of_two_same_name_estates_a_districtless_text_means() -> None:
    linping = "临平区望梅路188号玫睦花园3幢3单元201室"
    no_district = "望梅路188号玫睦花园3号楼3单元201"
    yuhang = "余杭区文一西路5号玫睦花园3幢3单元201室"  # another district's estate of the same name
    bare = "玫睦花园3幢3单元201"  # neither district nor road: could be either estate
    place = _places(linping, no_district, yuhang, bare)
    assert place[linping] == place[no_district]
    assert place[yuhang] != place[linping]
    assert place[bare] not in (place[linping], place[yuhang])


def test_estate_spelled_with_and_without_its_road_is_one_place() -> None:
    place = _places("钱塘区福城路12号荷街城13幢1单元1401室", "杭州钱塘区荷街城13幢1单元1401室",
                    "福城路12号13栋1单元1401室")
    assert len(set(place.values())) == 1


def test_village_houses_with_the_same_group_and_number_in_two_villages_stay_apart() -> None:
    place = _places("余杭区黄湖镇外沙村4组147号", "余杭区瓶窑镇塘头东村4组147号", "杭州市余杭区外沙村4组147号")
    assert place["余杭区黄湖镇外沙村4组147号"] == place["杭州市余杭区外沙村4组147号"]
    assert place["余杭区黄湖镇外沙村4组147号"] != place["余杭区瓶窑镇塘头东村4组147号"]


def test_omitted_unit_joins_the_only_unit_but_not_one_of_two() -> None:
    single = _places("西湖区文三路90号1幢1502室", "西湖区文三路90号1幢1单元1502室")
    assert len(set(single.values())) == 1
    two = _places("西湖区文三路90号1幢1502室", "西湖区文三路90号1幢1单元1502室", "西湖区文三路90号1幢2单元1502室")
    assert len(set(two.values())) == 3


def test_a_place_takes_the_id_of_its_most_specific_mention_whatever_the_order() -> None:
    from hub.engine.identifiers import address_id

    full = "杭州市西湖区文三路90号1幢1单元1502室"
    texts = [full, "文三路90号1幢1单元1502室", "西湖区文三路９０号1幢1单元1502"]
    parsed = {t: parse_address(t, "330100") for t in texts}
    canonical = parsed[full].canonical  # type: ignore[union-attr]
    for order in (texts, texts[::-1], texts[1:] + texts[:1]):
        place = resolve_places({t: parsed[t] for t in order})  # type: ignore[misc]
        assert set(place.values()) == {address_id(canonical)}


def test_a_village_house_is_one_place_with_or_without_its_group_in_any_numeral_form() -> None:
    texts = ("萧山区益农镇明朗村3组57号", "益农镇明朗村三组57号", "萧山区明朗村３组五十七号", "萧山区益农镇明朗村57号",
             "杭州市萧山区益农镇明朗村十二组157号", "益农镇明朗村12组157号", "萧山区益农镇明朗村157号")
    place = _places(*texts)
    assert len({place[t] for t in texts[:4]}) == 1
    assert len({place[t] for t in texts[4:]}) == 1
    assert place[texts[0]] != place[texts[4]]


def test_a_number_shown_in_two_groups_leaves_the_form_without_a_group_apart_whatever_the_order() -> None:
    import itertools

    texts = ["萧山区益农镇明朗村2组30号", "萧山区益农镇明朗村3组30号", "萧山区益农镇明朗村三组30号", "益农镇明朗村30号"]
    parsed = {t: parse_address(t, "330100") for t in texts}
    seen = set()
    for order in itertools.permutations(texts):
        place = resolve_places({t: parsed[t] for t in order})  # type: ignore[misc]
        assert place[texts[1]] == place[texts[2]]
        assert len({place[texts[0]], place[texts[1]], place[texts[3]]}) == 3
        seen.add(tuple(place[t] for t in texts))
    assert len(seen) == 1


def test_the_group_is_ambiguous_only_within_one_village() -> None:
    # 新华村 in two districts, house 112 in group 4 of one and group 3 of the other
    fuyang, yuhang, bare = "富阳区场口镇新华村4组112号", "余杭区瓶窑镇新华村3组112号", "富阳区场口镇新华村112号"
    place = _places(fuyang, yuhang, bare, "富阳区新华村112号")
    assert place[bare] == place[fuyang] == place["富阳区新华村112号"]
    assert place[yuhang] != place[fuyang]


def test_a_new_village_after_a_town_or_before_a_group_is_a_village() -> None:
    texts = ("萧山区益农镇明朗新村2组59号", "益农镇明朗新村59号", "萧山区明朗新村59号", "萧山区明朗新村二组五十九号")
    place = _places(*texts)
    assert len(set(place.values())) == 1
    assert parse_address("益农镇明朗新村59号", "330100").community == "明朗新村"  # type: ignore[union-attr]
    assert parse_address("拱墅区朝晖新村12幢301室", "330100").estate == "朝晖新村"  # type: ignore[union-attr]
