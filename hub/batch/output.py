"""The JSON Lines `hub resolve` writes: a line per input row, per master, per explained citizen.

Compiled with the engine: each is a loop over the whole city (300,000 rows at 100k persons)
whose interpreted overhead was a tenth of its time. The rest is reading the resolution's
objects, scattered in memory, and orjson.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import orjson

from hub.batch.rows import RowOutcome
from hub.engine.explain import index_entry
from hub.engine.resolver import Resolution
from hub.engine.survivorship import MasterCitizen


def write_rows(
    handle: BinaryIO,
    outcomes: Iterable[RowOutcome],
    citizen_of: dict[str, str],
    place_of: dict[str, str],
    organization_of: dict[str, str],
) -> int:
    """One JSON line per outcome, in order: `hub.batch.driver.output_line` of each. Returns the count."""
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    write = handle.write
    count = 0
    for source, record_id, address_text, org_key, error, ref in outcomes:
        if error is not None or ref is None:
            row = {"source": source, "record_id": record_id, "citizen_id": None,
                   "address_id": None, "organization_id": None, "error": error}
        else:
            row = {
                "source": source,
                "record_id": record_id,
                "citizen_id": citizen_of.get(ref),
                "address_id": place_of.get(address_text) if address_text else None,
                "organization_id": organization_of.get(org_key) if org_key else None,
            }
        write(dumps(row, option=newline))
        count += 1
    return count


def write_masters(handle: BinaryIO, masters: dict[str, MasterCitizen], order: list[str]) -> int:
    """The contract row of each master in `order`, one JSON line each."""
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    write = handle.write
    for citizen_id in order:
        write(dumps(masters[citizen_id].contract_row(), option=newline))
    return len(order)


def write_index(handle: BinaryIO, resolution: Resolution, order: list[str]) -> int:
    """The explain index entry (`index_entry`) of each citizen in `order`, one JSON line each."""
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    write = handle.write
    for citizen_id in order:
        write(dumps(index_entry(resolution, citizen_id), option=newline))
    return len(order)

