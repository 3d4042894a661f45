"""How a citizen document and a stored department record are laid out in Redis (format 3), and back.

The rule: what is stored is compact, what is read is exactly the dict the readers always had.
`decode_document` gives the document `{"citizen_id", "records", "fields": {name: {"value", "source",
"record_id", "updated_at"}}, "contacts", "conflicts"}` and `decode_record` the record's JSON object, so
the window and `hub export masters` read them as before; only the bytes in Redis changed.

A document is the format byte (`0x03`), a one-line JSON head, a newline, then the body deflated with a
preset dictionary:
- the head holds what the window's Lua script (`hub.window.reader.LOOKUP_AROUND`) needs and Lua cannot
  inflate: `a` the `address_id` value (when a string), `ar` the `source/record_id` that value came from,
  `er` the employer's (when `employer_id` is a string);
- the body gives provenance by reference: `o` a table of origins `[record, updated_at]` (the record as an
  index into `r`, the document's records, or as `source/record_id` when it is not one of them) and every
  field, contact and conflict side an index into it: each field repeated its source, record id and
  time (1,849 of a document's 2,588 bytes).
A stored record is the format byte and its JSON without `source` and `record_id` (the hash field names them),
deflated with a dictionary of its own. The address texts the engine keeps (`engine:texts`, read only to
restore it) are stored in chunks, one per batch: the format byte and the sorted texts, one a line, deflated.

The dictionaries are synthetic (field names, JSON punctuation, common words): never taken from data,
as they are in the code. They are part of the format: changing one, or the layout, is a new
`FORMAT`, and data in another format is refused (`StoredFormatError`), never misread.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from typing import Any, Final

import orjson

#: The stored format; `RedisKeys.format` holds it, and every document and record starts with its byte.
FORMAT: Final = 3  # 3: the stored records in hash buckets (`hub.readmodel.store.record_bucket`)
_MARK: Final = bytes([FORMAT])


class StoredFormatError(ValueError):
    """A value in Redis is not in this build's format (written by another version): rebuild the read model."""


_DOC_WORDS: Final = (
    '"x":[["', '"landline",false,', '"unknown",false,', '"c":[["1', '","mobile",true,', '"elderly_care":[false,',
    '"death_date":["20', '"assistance_type":["', '"female",', '"male",', '"married",', '"unmarried",', '"divorced",',
    '"汉族",', '社区",', '街道",', '镇",', '村",', '幢', '单元', '室', '号', '路', '"浙江省杭州市', '区', '县',
    '"养老","医疗","失业","工伤","生育"', '"contributing",', '"suspended",', '"insurance_status":["',
    '"insurance_kinds":[[', '"chronic_diseases":[[', '"高血压","糖尿病"', '"family_doctor":["',
    '"social_security_card":["', '"employer_id":["O-91330', '"registered_address_id":["A-',
    '"hukou_address":["浙江省杭州市', '"marital_status":["', '"ethnicity":["', '"community":["', '"street":["',
    '"gender":["', '"name":["', '"phone":["1', '"id_number":["330', '"birth_date":["19', '"address_id":["A-',
    '+08:00"]],"f":{', ':00+08:00"],[', '"],[0,"20', ',"o":[[1,"20', '"hrss/', '"health/330', '"tax/T330100',
    '"civil_affairs/MZ', '{"id":"C-', '","r":["',
)
_RECORD_WORDS: Final = (
    '"registering_authority":"杭州市', '市场监督管理局","approval_date":"20', '"registration_status":"operating",',
    '"established_date":"20', '"legal_rep_id_number":"33', '"legal_rep_name":"', '"business_type":"个体工商户",',
    '"business_type":"有限责任公司",', '"business_name":"', '"tax_year":20', '"tax_paid":"',
    '"document_type":"resident_id",',
    '"document_number":"33', '"chronic_diseases":[]', '"family_doctor":"', '"employer_credit_code":"91330',
    '"employer_name":"杭州', '有限公司",', '"insurance_kinds":["养老","医疗","失业","工伤","生育"],',
    '"insurance_status":"contributing",', '"social_security_card":"', '"elderly_care":false', '"community":"',
    '社区",', '"street":"', '街道",', '"marital_status":"married",', '"marital_status":"unmarried",',
    '"ethnicity":"汉族",', '"hukou_address":"浙江省杭州市', '"residence_address":"浙江省杭州市',
    '"address":"浙江省杭州市',
    '幢', '单元', '室",', '号', '路', '区', '"phone":"1', '"birth_date":"19', '"id_number":"330',
    '"gender":"female",', '"gender":"male",', '"name":"', '+08:00",', '{"updated_at":"20',
)
_TEXT_WORDS: Final = (
    "\n浙江省杭州市上城区", "\n浙江省杭州市拱墅区", "\n浙江省杭州市西湖区", "\n浙江省杭州市滨江区",
    "\n浙江省杭州市萧山区", "\n浙江省杭州市余杭区", "\n浙江省杭州市临平区", "\n浙江省杭州市钱塘区",
    "\n浙江省杭州市富阳区", "\n浙江省杭州市临安区",
    "街道", "社区", "小区", "新村", "花园", "家园", "大道", "单元", "号楼", "幢", "室", "号", "路", "村", "组", "镇",
)
_DOC_DICT: Final = "".join(_DOC_WORDS).encode("utf-8")
_TEXT_DICT: Final = "".join(_TEXT_WORDS).encode("utf-8")
_RECORD_DICT: Final = "".join(_RECORD_WORDS).encode("utf-8")
_WBITS: Final = -15  # raw deflate: no zlib header or checksum (the JSON parse checks the content)


def _deflate(data: bytes, zdict: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, _WBITS, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return packer.compress(data) + packer.flush()


def _inflate(data: bytes, zdict: bytes, what: str) -> Any:
    try:
        return orjson.loads(zlib.decompressobj(_WBITS, zdict).decompress(data))
    except (zlib.error, orjson.JSONDecodeError) as exc:
        raise StoredFormatError(f"stored {what} cannot be read ({type(exc).__name__})") from None


def _check(raw: bytes, what: str) -> None:
    if raw[:1] != _MARK:
        raise StoredFormatError(f"stored {what} is not in format {FORMAT}: rebuild the read model (hub rebuild)")


# -- citizen documents ---------------------------------------------------------------------------


def _ref(entry: dict[str, Any]) -> str:
    return f"{entry['source']}/{entry['record_id']}"


def encode_document(doc: dict[str, Any]) -> bytes:
    """The stored form of a citizen document in the readers' shape (`decode_document` gives it back)."""
    records: list[str] = list(doc["records"])
    position = {ref: i for i, ref in enumerate(records)}
    origins: list[list[Any]] = []
    seen: dict[tuple[str, str], int] = {}

    def origin(entry: dict[str, Any]) -> int:
        ref = _ref(entry)
        key = (ref, entry["updated_at"])
        if key not in seen:
            seen[key] = len(origins)
            origins.append([position.get(ref, ref), entry["updated_at"]])
        return seen[key]

    fields = doc["fields"]
    body: dict[str, Any] = {"id": doc["citizen_id"], "r": records, "o": origins,
                            "f": {name: [fv["value"], origin(fv)] for name, fv in fields.items()}}
    if doc.get("contacts"):
        body["c"] = [[c["phone"], c["kind"], c["own"], origin(c)] for c in doc["contacts"]]
    if doc.get("conflicts"):
        body["x"] = [[c["field"], [c["authoritative"]["value"], origin(c["authoritative"])],
                      [c["contradicting"]["value"], origin(c["contradicting"])]] for c in doc["conflicts"]]
    head: dict[str, str] = {}
    address, employer = fields.get("address_id"), fields.get("employer_id")
    if address is not None:
        head["ar"] = _ref(address)
        if isinstance(address["value"], str):
            head["a"] = address["value"]
    if employer is not None and isinstance(employer["value"], str):
        head["er"] = _ref(employer)
    return _MARK + orjson.dumps(head) + b"\n" + _deflate(orjson.dumps(body), _DOC_DICT)


def decode_document(raw: bytes) -> dict[str, Any]:
    """The citizen document of a stored value, in the shape the window and the export read."""
    _check(raw, "citizen document")
    body = _inflate(raw[raw.index(b"\n") + 1:], _DOC_DICT, "citizen document")
    records: list[str] = body["r"]
    origins: list[tuple[str, str, str]] = []
    for at, updated_at in body["o"]:
        source, _, record_id = (records[at] if isinstance(at, int) else at).partition("/")
        origins.append((source, record_id, updated_at))

    def field(value: Any, at: int) -> dict[str, Any]:
        source, record_id, updated_at = origins[at]
        return {"value": value, "source": source, "record_id": record_id, "updated_at": updated_at}

    contacts = []
    for phone, kind, own, at in body.get("c", ()):
        source, record_id, updated_at = origins[at]
        contacts.append({"phone": phone, "kind": kind, "own": own, "source": source, "record_id": record_id,
                         "updated_at": updated_at})
    return {
        "citizen_id": body["id"], "records": records,
        "fields": {name: field(value, at) for name, (value, at) in body["f"].items()},
        "contacts": contacts,
        "conflicts": [{"field": name, "authoritative": field(*a), "contradicting": field(*c)}
                      for name, a, c in body.get("x", ())],
    }


# -- department records --------------------------------------------------------------------------


def encode_record(values: dict[str, Any]) -> bytes:
    """The stored form of a record's JSON object, kept under its `source/record_id` (which it leaves out)."""
    rest = {k: v for k, v in values.items() if k not in ("source", "record_id")}
    return _MARK + _deflate(orjson.dumps(rest), _RECORD_DICT)


def decode_record(ref: str, raw: bytes) -> dict[str, Any]:
    """The record's JSON object back (`source` and `record_id` first, from `ref`), as it was given."""
    _check(raw, "department record")
    source, _, record_id = ref.partition("/")
    rest: dict[str, Any] = _inflate(raw[1:], _RECORD_DICT, "department record")
    return {"source": source, "record_id": record_id, **rest}


# -- address texts -------------------------------------------------------------------------------


def encode_texts(texts: Iterable[str]) -> tuple[bytes, bytes]:
    """A chunk of address texts as stored in `engine:texts`: (field, value). The field is a digest of the
    content, so writing the same chunk twice (a redelivered batch) changes nothing."""
    joined = "\n".join(sorted(texts)).encode("utf-8")
    return hashlib.blake2b(joined, digest_size=8).digest(), _MARK + _deflate(joined, _TEXT_DICT)


def decode_texts(raw: bytes) -> list[str]:
    """The address texts of a stored chunk."""
    _check(raw, "address texts")
    try:
        return zlib.decompressobj(_WBITS, _TEXT_DICT).decompress(raw[1:]).decode("utf-8").split("\n")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise StoredFormatError(f"stored address texts cannot be read ({type(exc).__name__})") from None
