"""`MentionReader`: what it remembers never changes what it reads, however full its memos get."""

from __future__ import annotations

from hub.engine.mentions import MentionReader, extract_mentions, mention_reader
from hub.engine.standardise.addresses import parse_address
from hub.engine.standardise.ids import normalise_resident_id
from hub.engine.standardise.names import normalise_name
from hub.engine.standardise.phones import normalise_phone
from tests.fixtures.engine import city_records


def test_a_reader_with_tiny_memos_reads_what_a_fresh_reader_reads() -> None:
    records = city_records()
    tiny = MentionReader("330100", limit=2)
    for record in [*records, *reversed(records), *records]:
        assert tiny.read(record) == MentionReader("330100").read(record)
        assert all(len(memo) <= 2 for memo in (tiny._names, tiny._ids, tiny._phones, tiny._addresses))


def test_the_reader_agrees_with_the_public_standardisers() -> None:
    reader = MentionReader("330100")
    for raw in ("陳曉明", " 阿卜杜·热合曼 ", "", "   "):
        assert reader.name(raw) == normalise_name(raw)
    for raw in ("330106198503121234", "33010619850312123x", "330106850312123", "", "ｘ"):
        assert reader.resident_id(raw) == normalise_resident_id(raw)
    for raw in ("139-1234-5678", "87654321", "0571-87654321 转 8", "无"):
        assert reader.phone(raw) == normalise_phone(raw, "0571")
    for raw in ("杭州市西湖区文三路９０号1-2-1502", "文三路九十号1栋二单元1502", "不详"):
        assert reader.address(raw) == parse_address(raw, "330100")


def test_extract_mentions_uses_one_reader_per_city() -> None:
    record = city_records()[0]
    assert mention_reader("330100") is mention_reader("330100")
    assert mention_reader("310100") is not mention_reader("330100")
    assert extract_mentions(record, "330100") == MentionReader("330100").read(record)


def test_person_keys_name_every_block_once() -> None:
    from datetime import date

    from hub.contract.records import CivilAffairsRecord
    from hub.engine.blocking import id_repairs, person_keys
    from tests.fixtures.engine import at

    record = CivilAffairsRecord(record_id="MZ9", name="陈晓明", id_number="330106198503121243",  # typo'd check
                                birth_date=date(1985, 3, 12), phone="13912345678", updated_at=at(1),
                                residence_address="西湖区文三路90号1幢2单元1502室",
                                hukou_address="西湖区文三路90号1幢2单元1502室")
    person = MentionReader("330100").read(record).person
    assert person is not None
    keys = person_keys(person)
    assert len(keys) == len(set(keys)), "the hukou address repeats the residence: its key is filed once"
    assert keys[0] == "i:330106198503121243"
    assert {"i:" + repaired for repaired in id_repairs("330106198503121243")} <= set(keys)
    assert {key.split(":")[0] for key in keys} == {"i", "nb", "pb", "np", "nr", "ni"}
    assert "nb:陈晓明|1985-03-12" in keys and "np:陈|13912345678" in keys
