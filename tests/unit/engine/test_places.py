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
