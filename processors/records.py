"""Department records as JSON: the value of hub.resolve.v1 and (compacted) of the engine state in Redis.

The JSON leaves out the fields that are null: every optional field of a department record defaults
to None, so the record read back is equal to the one written (and so is the JSON of the full model
that the engine's content hash is taken over): a record restored from Redis orders and resolves like
the one that was first applied. Half of a record's fields are null on a typical row; leaving them
out makes the engine state in Redis a third smaller, and a reader's `record.get(name)` still gives
None for them.

A hub.resolve.v1 message holds one record (a JSON object) or several (a JSON array of them):
stage 1 forwards the records of one batch in one message, because the hop costs per message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from pydantic import ValidationError

from hub.contract.records import RECORD_TYPES, DepartmentRecord
from hub.engine.mentions import OrgMention
from hub.readmodel.codec import StoredFormatError, decode_record, encode_record
from processors.errors import CorruptStateError


def record_to_json(record: DepartmentRecord) -> bytes:
    """The record's JSON without its null fields (the module's rule)."""
    return record.model_dump_json(exclude_none=True).encode("utf-8")


def record_from_json(data: bytes | str) -> DepartmentRecord:
    """The typed record back from its JSON; the `source` field chooses the model."""
    try:
        values: Any = orjson.loads(data)
        model = RECORD_TYPES[str(values["source"])]
        return model.model_validate(values)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
        raise CorruptStateError(f"stored department record cannot be read ({type(exc).__name__})") from None


def record_to_stored(record: DepartmentRecord) -> bytes:
    """The record as the engine state in Redis keeps it: its JSON without null fields (the module's
    rule), compacted by `hub.readmodel.codec.encode_record` under its `source/record_id`."""
    return encode_record(record.model_dump(mode="json", exclude_none=True))


def record_from_stored(ref: bytes | str, data: bytes) -> DepartmentRecord:
    """The typed record back from the engine state in Redis (`record_to_stored`)."""
    try:
        values = decode_record(ref.decode() if isinstance(ref, bytes) else ref, data)
        return RECORD_TYPES[str(values["source"])].model_validate(values)
    except (StoredFormatError, KeyError, TypeError, ValidationError) as exc:
        raise CorruptStateError(f"stored department record cannot be read ({type(exc).__name__}: "
                                f"{exc if isinstance(exc, StoredFormatError) else 'invalid'})") from None


def hop_value(records: list[bytes]) -> bytes:
    """One hub.resolve.v1 value holding the records (each the JSON of `record_to_json`)."""
    return b"[" + b",".join(records) + b"]"


def records_from_hop(values: Iterable[bytes]) -> list[DepartmentRecord]:
    """The records of hub.resolve.v1 values, each one record or an array of them, in order."""
    out: list[DepartmentRecord] = []
    for data in values:
        try:
            parsed: Any = orjson.loads(data)
            for item in parsed if isinstance(parsed, list) else [parsed]:
                out.append(RECORD_TYPES[str(item["source"])].model_validate(item))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
            raise CorruptStateError(f"forwarded department record cannot be read ({type(exc).__name__})") from None
    return out


def org_to_json(org: OrgMention) -> bytes:
    return orjson.dumps({"credit_code": org.credit_code, "code_valid": org.code_valid,
                         "name": org.name, "name_key": org.name_key})


def org_from_json(data: bytes | str) -> OrgMention:
    try:
        v: Any = orjson.loads(data)
        return OrgMention(v["credit_code"], bool(v["code_valid"]), v["name"], v["name_key"])
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise CorruptStateError(f"stored organization mention cannot be read ({type(exc).__name__})") from None
