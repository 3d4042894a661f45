"""The citizen document and the engine records in Redis (`hub.readmodel.codec`, format 2): stored compact,
read back as exactly the dict the window and the export always read; another format is refused."""

from __future__ import annotations

import orjson
import pytest

from citygen.engine import generate
from connectors.formats import read_file
from hub.batch.driver import expand_inputs
from hub.engine.resolver import Resolver
from hub.engine.survivorship import Conflict
from hub.readmodel.codec import (
    StoredFormatError,
    decode_document,
    decode_record,
    decode_texts,
    encode_document,
    encode_texts,
)
from hub.readmodel.store import contract_row, encode_master, master_document
from processors.errors import CorruptStateError
from processors.records import record_from_stored, record_to_json, record_to_stored


@pytest.fixture(scope="module")
def resolution(tmp_path_factory: pytest.TempPathFactory) -> Resolver:
    out = tmp_path_factory.mktemp("city")
    generate(150, 5, out, deltas=2)
    resolver = Resolver("330100", b"test-key")
    resolver.add_all(row.record for path in expand_inputs([out]) for row in read_file(path) if row.record is not None)
    resolver.resolve()
    return resolver


def _conflicts(resolver: Resolver) -> dict[str, list[Conflict]]:
    found: dict[str, list[Conflict]] = {}
    for conflict in resolver.current.conflicts:
        found.setdefault(conflict.citizen_id, []).append(conflict)
    return found


def test_a_stored_document_reads_back_as_the_masters_document(resolution: Resolver) -> None:
    masters, conflicts = resolution.current.masters, _conflicts(resolution)
    assert len(masters) > 100 and conflicts  # the city has conflicts, so their encoding is exercised
    plain = stored = 0
    for cid, master in masters.items():
        doc = master_document(master, conflicts.get(cid, ()))
        data = encode_master(master, conflicts.get(cid, ()))
        # same dict, same key order: the JSON of what is read is the JSON that was stored before
        assert orjson.dumps(decode_document(data)) == orjson.dumps(doc)
        assert orjson.dumps(contract_row(decode_document(data))) == orjson.dumps(master.contract_row())
        plain, stored = plain + len(orjson.dumps(doc)), stored + len(data)
    assert stored < plain / 4


def test_the_head_line_names_what_the_lookup_script_reads(resolution: Resolver) -> None:
    for master in resolution.current.masters.values():
        data = encode_master(master)
        head = orjson.loads(data[1:data.index(b"\n")])
        address, employer = master.fields.get("address_id"), master.fields.get("employer_id")
        assert head.get("a") == (address.value if address and isinstance(address.value, str) else None)
        assert head.get("ar") == (f"{address.source}/{address.record_id}" if address else None)
        assert head.get("er") == (f"{employer.source}/{employer.record_id}"
                                  if employer and isinstance(employer.value, str) else None)


def test_a_field_from_a_record_not_listed_keeps_its_provenance() -> None:
    field = {"value": "x", "source": "tax", "record_id": "T/1", "updated_at": "2024-01-01T00:00:00+08:00"}
    doc = {"citizen_id": "C-1", "records": ["hrss/1"], "fields": {"name": field}, "contacts": [], "conflicts": []}
    assert decode_document(encode_document(doc)) == doc


def test_a_document_in_the_old_json_format_is_refused() -> None:
    old = orjson.dumps({"citizen_id": "C-1", "records": [], "fields": {}, "contacts": [], "conflicts": []})
    with pytest.raises(StoredFormatError, match="hub rebuild"):
        decode_document(old)


def test_a_stored_record_reads_back_equal_and_as_its_json(resolution: Resolver) -> None:
    latest = resolution.state.latest
    assert len(latest) > 300
    for ref, version in latest.items():
        data = record_to_stored(version.record)
        assert record_from_stored(ref.encode(), data) == version.record
        assert orjson.dumps(decode_record(ref, data)) == record_to_json(version.record)


def test_a_record_in_the_old_json_format_is_a_corrupt_state() -> None:
    with pytest.raises(CorruptStateError, match="hub rebuild"):
        record_from_stored("tax/T1", b'{"source":"tax","record_id":"T1"}')


def test_address_texts_are_stored_in_chunks_keyed_by_their_content(resolution: Resolver) -> None:
    texts = list(resolution.state.addresses)
    assert len(texts) > 300
    field, data = encode_texts(reversed(texts))
    assert (field, data) == encode_texts(texts)  # the same chunk, whatever the order: a redelivery rewrites it
    assert sorted(decode_texts(data)) == sorted(texts)
    assert len(data) < len("\n".join(texts).encode()) / 2
    with pytest.raises(StoredFormatError):
        decode_texts("\n".join(texts).encode())
