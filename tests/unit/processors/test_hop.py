"""The hub.resolve.v1 hop: stage 1 forwards a batch's records in one message, stage 2 reads them back."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hub.contract.records import CivilAffairsRecord, HealthRecord
from hub.contract.timezone import CST
from processors.app import hop_chunks
from processors.errors import CorruptStateError
from processors.records import hop_value, record_to_json, records_from_hop

RECORDS = [
    CivilAffairsRecord(record_id="MZ1", name="陈晓明", id_number="330106198503121234", birth_date=date(1985, 3, 12),
                       updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST)),
    HealthRecord(record_id="WJ1", name="陈晓明", chronic_diseases=["高血压"],
                 updated_at=datetime(2024, 5, 2, 8, 0, tzinfo=CST)),
]


def test_a_hop_message_round_trips_its_records_in_order() -> None:
    assert records_from_hop([hop_value([record_to_json(r) for r in RECORDS])]) == RECORDS


def test_single_record_messages_still_read() -> None:  # written before hop batching, or by forward_max=1
    assert records_from_hop([record_to_json(r) for r in RECORDS]) == RECORDS


def test_unreadable_hop_is_corrupt_state() -> None:
    with pytest.raises(CorruptStateError):
        records_from_hop([b'[{"source": "nowhere"}]'])


def test_chunks_keep_order_and_stay_under_the_limit() -> None:
    values = [bytes([65 + i % 26]) * (10 + i) for i in range(60)]
    chunks = hop_chunks(values, limit=200)
    assert [v for chunk in chunks for v in chunk] == values
    assert all(len(hop_value(chunk)) <= 200 for chunk in chunks)
    assert hop_chunks([b"x" * 500], limit=200) == [[b"x" * 500]]  # a larger record goes alone
    assert hop_chunks([]) == []


def test_stored_json_leaves_out_nulls_and_reads_back_equal() -> None:
    """The JSON kept in Redis omits null fields; the record read back is equal, with the same content hash."""
    from hub.engine.mentions import content_hash
    from processors.records import record_from_json

    for record in RECORDS:
        data = record_to_json(record)
        assert b"null" not in data
        back = record_from_json(data)
        assert back == record and content_hash(back) == content_hash(record)
