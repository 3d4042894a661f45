"""Department record → mentions: the standardised person, address and organizations a row speaks of.

A mention is the engine's unit of matching. It is a pure function of one record version, so the
same row always yields the same mention in batch and streaming.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Final, NamedTuple, TypeVar

from hub.contract.records import (
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    DocumentType,
    Gender,
    HealthRecord,
    HrssRecord,
    TaxRecord,
)
from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import shared
from hub.engine.standardise.addresses import ParsedAddress, read_address
from hub.engine.standardise.ids import ResidentId, clean_id_text, normalise_document_number, read_resident_id
from hub.engine.standardise.names import PersonName, read_name
from hub.engine.standardise.organizations import normalise_credit_code, normalise_org_name, org_name_key
from hub.engine.standardise.phones import Phone, read_phone

T = TypeVar("T")

#: Telephone area codes of the cities the hub is commonly deployed in (GB/T 2260 city → 区号).
AREA_CODES: Final = {
    "110100": "010", "120100": "022", "310100": "021", "500100": "023", "330100": "0571",
    "330200": "0574", "330300": "0577", "320100": "025", "320500": "0512", "440100": "020",
    "440300": "0755", "420100": "027", "510100": "028", "610100": "029", "370100": "0531",
    "370200": "0532", "210100": "024", "210200": "0411", "350100": "0591", "350200": "0592",
    "430100": "0731", "410100": "0371", "340100": "0551", "360100": "0791", "530100": "0871",
}

#: Gender → its value: a dict lookup is ~10x cheaper than an enum's ``.value`` property.
_GENDERS: Final[dict[Gender, str]] = {gender: gender.value for gender in Gender}

#: Document types whose number is (or may be) a resident ID, read as one.
_RESIDENT_ID_DOCUMENTS: Final = {DocumentType.RESIDENT_ID, DocumentType.LEGACY_OR_OTHER_ID}


def record_ref(source: str, record_id: str) -> str:
    """The engine's key of a source record: unique across departments."""
    return f"{source}/{record_id}"


def content_hash(record: DepartmentRecord) -> str:
    """A stable hash of a record version, to order versions with equal update times the same everywhere."""
    return hashlib.sha1(record.model_dump_json().encode("utf-8")).hexdigest()


class PersonMention(NamedTuple):
    """A person as one department record describes them, standardised for matching."""

    ref: str
    source: str
    updated_at: datetime
    name: PersonName | None
    resident_id: ResidentId | None
    document: str | None  # non-resident document as "type:number" (passports, permits)
    birth_date: date | None
    gender: str | None
    phone: Phone | None
    address: ParsedAddress | None
    death_date: date | None
    other_address: ParsedAddress | None = None  # civil affairs' hukou address: more evidence, never primary

    @property
    def valid_id(self) -> str | None:
        rid = self.resident_id
        return rid.value if rid is not None and rid.valid else None


class OrgMention(NamedTuple):
    """An organization named by a record: the business itself, or a person's employer."""

    credit_code: str | None  # normalised; may be checksum-invalid
    code_valid: bool
    name: str | None  # display name, normalised
    name_key: str | None  # matching key (legal-form suffix variants folded)

    @property
    def key(self) -> str:
        """One string per key (`shared`): every row naming the organization keeps its key."""
        return shared(f"{self.credit_code or ''}|{self.name_key or ''}")


class RecordMentions(NamedTuple):
    """Everything the engine reads from one record version."""

    person: PersonMention | None
    address_text: str | None  # the primary address as written (stripped), the address mention's key
    address: ParsedAddress | None
    organization: OrgMention | None  # commerce: the business; hrss/tax: the employer


#: What `PersonMention(...)` and `RecordMentions(...)` run, without the interpreted `__new__` a named
#: tuple class has (a Python-level call per row from the compiled engine).
_TUPLE_NEW: Final = tuple.__new__


@lru_cache(maxsize=CACHE_SIZE)
def _org(code_raw: str | None, name_raw: str | None) -> OrgMention | None:
    """Cached whole: an employer recurs on every employee's row, one lookup beats three and a new tuple."""
    code = normalise_credit_code(code_raw)
    name = normalise_org_name(name_raw)
    if code is None and name is None:
        return None
    # positional: a NamedTuple called with keywords costs ~3x as much (its __new__ is Python code)
    return OrgMention(
        code.value if code else None,  # credit_code
        code is not None and code.valid,  # code_valid
        name,
        org_name_key(name) if name else None,  # name_key
    )


def _looks_like_resident_id(number: str) -> bool:
    """15 or 16-18 digits (the last may be X): a resident ID, possibly mistyped, not another document."""
    cleaned = clean_id_text(number)
    return 15 <= len(cleaned) <= 18 and cleaned[:-1].isdigit() and (cleaned[-1].isdigit() or cleaned[-1] in "Xx")


def extract_mentions(record: DepartmentRecord, city_code: str) -> RecordMentions:
    """Standardise one department record into its person, primary address and organization mentions."""
    return mention_reader(city_code).read(record)


@cache
def mention_reader(city_code: str) -> MentionReader:
    """One reader per city and process, so its memory of standardised values serves every caller."""
    return MentionReader(city_code)


class MentionReader:
    """Standardises the records of one city into mentions, remembering every value it standardised.

    A value recurs in every department that holds the person (an ID, a name, a phone; an address
    less often). Plain dicts keyed by the text remember them: lru_cache would key the two-argument
    standardisers by a new tuple per call and relink an entry on every hit, which cost a third of
    the time spent here. A memo that reaches `limit` entries starts afresh (results are pure).
    """

    def __init__(self, city_code: str, limit: int = CACHE_SIZE) -> None:
        self.city_code = city_code
        self.limit = limit
        self.area = AREA_CODES.get(city_code[:4] + "00", "")
        self._names: dict[str, PersonName] = {}
        self._ids: dict[str, ResidentId] = {}
        self._phones: dict[str, Phone] = {}
        self._addresses: dict[str, ParsedAddress] = {}

    def name(self, raw: str | None) -> PersonName | None:
        if raw is None:
            return None
        found = self._names.get(raw)
        return found if found is not None else self._keep(self._names, raw, read_name(raw))

    def resident_id(self, raw: str | None) -> ResidentId | None:
        if raw is None:
            return None
        found = self._ids.get(raw)
        return found if found is not None else self._keep(self._ids, raw, read_resident_id(raw))

    def phone(self, raw: str) -> Phone | None:
        found = self._phones.get(raw)
        return found if found is not None else self._keep(self._phones, raw, read_phone(raw, self.area))

    def address(self, text: str) -> ParsedAddress | None:
        found = self._addresses.get(text)
        return found if found is not None else self._keep(self._addresses, text, read_address(text, self.city_code))

    def _other_address(self, raw: str | None) -> ParsedAddress | None:
        """An optional address field, stripped; None when blank."""
        text = raw.strip() if raw else None
        return self.address(text) if text else None

    def _document(self, doc_type: DocumentType | None, number: str | None) -> tuple[ResidentId | None, str | None]:
        """Read a typed document: resident-ID-like numbers as resident IDs, the rest as documents.

        Health's type 02 mixes legacy 15-digit IDs with other documents (military IDs and the like):
        only a number shaped like a resident ID is read as one, so a 军字第… number never counts as a
        wrong resident ID (which would both lower the score and forbid the merge).
        """
        if not number:
            return None, None
        if doc_type is DocumentType.RESIDENT_ID or (doc_type is None and _looks_like_resident_id(number)):
            return self.resident_id(number), None
        if doc_type is DocumentType.LEGACY_OR_OTHER_ID and _looks_like_resident_id(number):
            return self.resident_id(number), None
        cleaned = normalise_document_number(number, doc_type.value if doc_type else None)
        return None, (f"{doc_type.value if doc_type else 'other'}:{cleaned}" if cleaned else None)

    def read(self, record: DepartmentRecord) -> RecordMentions:
        """Standardise one department record into its person, primary address and organization mentions."""
        ref = record_ref(record.source, record.record_id)
        resident_id: ResidentId | None = None
        document: str | None = None
        name_raw: str | None = None
        birth: date | None = None
        gender: str | None = None
        phone_raw: str | None = None
        address_raw: str | None = None
        death: date | None = None
        person_address = True
        org: OrgMention | None = None
        hukou_raw: str | None = None

        if isinstance(record, CivilAffairsRecord):
            name_raw, birth, death = record.name, record.birth_date, record.death_date
            resident_id = self.resident_id(record.id_number)
            gender = _GENDERS[record.gender] if record.gender else None
            phone_raw, address_raw, hukou_raw = record.phone, record.residence_address, record.hukou_address
        elif isinstance(record, HealthRecord):
            name_raw, birth, death = record.name, record.birth_date, record.death_date
            resident_id, document = self._document(record.document_type, record.document_number)
            gender = _GENDERS[record.gender] if record.gender else None
            phone_raw, address_raw = record.phone, record.address
        elif isinstance(record, HrssRecord):
            name_raw, birth = record.name, record.birth_date
            resident_id = self.resident_id(record.id_number)
            gender = _GENDERS[record.gender] if record.gender else None
            phone_raw, address_raw = record.phone, record.address
            org = _org(record.employer_credit_code, record.employer_name)
        elif isinstance(record, TaxRecord):
            name_raw = record.name
            resident_id, document = self._document(record.document_type, record.document_number)
            phone_raw, address_raw = record.phone, record.address
            org = _org(record.employer_credit_code, record.employer_name)
        elif isinstance(record, CommerceRecord):
            name_raw = record.legal_rep_name
            resident_id = self.resident_id(record.legal_rep_id_number)
            address_raw = record.address
            person_address = False  # the registered address is the business's, not the person's home
            org = _org(record.record_id, record.business_name)

        # the text as the engine state keeps it (`Version` shares it the same way): one string per text
        address_text = (shared(address_raw.strip()) or None) if address_raw else None
        address = self.address(address_text) if address_text else None
        name = self.name(name_raw)
        person: PersonMention | None = None
        if name is not None or resident_id is not None:
            if resident_id is not None and resident_id.valid:
                birth = birth or resident_id.birth_date
                gender = gender or resident_id.gender
            phone = self.phone(phone_raw) if phone_raw and person_address else None
            person = _TUPLE_NEW(PersonMention, (  # in field order, without the named tuple's interpreted __new__
                ref,
                record.source,
                record.updated_at,
                name,
                resident_id,
                document,
                birth,  # birth_date
                gender,
                phone,
                address if person_address else None,
                death,  # death_date
                self._other_address(hukou_raw),  # other_address
            ))
        mentions: RecordMentions = _TUPLE_NEW(RecordMentions, (person, address_text, address, org))
        return mentions

    def _keep(self, memo: dict[str, T], text: str, value: T | None) -> T | None:
        """Remember a standardised value (None, for text that reads as nothing, is not kept)."""
        if value is not None:
            if len(memo) >= self.limit:
                memo.clear()
            memo[text] = value
        return value
