"""The citizen document in Redis: stored without its contract row, which is read back from its fields."""

from __future__ import annotations

import orjson
import pytest

from citygen.engine import generate
from connectors.formats import read_file
from hub.batch.driver import expand_inputs
from hub.engine.resolver import Resolver
from hub.readmodel.store import contract_row, master_json


@pytest.fixture(scope="module")
def resolution(tmp_path_factory: pytest.TempPathFactory) -> Resolver:
    out = tmp_path_factory.mktemp("city")
    generate(150, 5, out)
    resolver = Resolver("330100", b"test-key")
    resolver.add_all(row.record for path in expand_inputs([out]) for row in read_file(path) if row.record is not None)
    resolver.resolve()
    return resolver


def test_contract_row_read_from_the_fields_is_the_masters_row(resolution: Resolver) -> None:
    masters = resolution.current.masters
    assert len(masters) > 100
    for master in masters.values():
        doc = orjson.loads(master_json(master))
        assert "contract" not in doc
        assert orjson.dumps(contract_row(doc)) == orjson.dumps(master.contract_row())


def test_a_document_written_with_its_row_is_read_as_written() -> None:
    doc = {"citizen_id": "C-1", "fields": {}, "contract": {"citizen_id": "C-1", "name": "x"}}
    assert contract_row(doc) == {"citizen_id": "C-1", "name": "x"}
