"""Survivorship rules: which version each master field comes from, whatever order the versions arrive in."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from hub.contract.records import (
    CivilAffairsRecord,
    DepartmentRecord,
    Gender,
    HealthRecord,
    HrssRecord,
    TaxRecord,
)
from hub.contract.timezone import CST
from hub.engine.mentions import content_hash, extract_mentions
from hub.engine.policy import AuthorityPolicy, default_policy
from hub.engine.state import Version
from hub.engine.survivorship import Conflict, FieldValue, MasterCitizen, build_master
from tests.fixtures.engine import at

AUTHORITY = default_policy().authority
ID = "330106198503121234"


def version(record: DepartmentRecord) -> Version:
    return Version(record, extract_mentions(record, "330100"))


def master_of(records: list[DepartmentRecord], authority: AuthorityPolicy = AUTHORITY) -> tuple[
        MasterCitizen, list[Conflict]]:
    return build_master("C-1", [version(r) for r in records], authority,
                        {"文三路90号": "A-1", "解放路12号": "A-2"}.get, lambda key: "O-" + key)


def every_order(records: list[DepartmentRecord]) -> list[tuple[MasterCitizen, list[Conflict]]]:
    return [master_of(list(order)) for order in itertools.permutations(records)]


def civil(record_id: str = "MZ1", day: int = 1, **fields: object) -> CivilAffairsRecord:
    defaults: dict = {"name": "陈晓明", "id_number": ID, "gender": Gender.MALE, "birth_date": date(1985, 3, 12)}
    return CivilAffairsRecord(record_id=record_id, updated_at=at(day), **{**defaults, **fields})


def test_identity_comes_from_the_first_authority_with_a_value() -> None:
    hrss = HrssRecord(record_id="RS1", name="陈小明", id_number=ID, birth_date=date(1985, 3, 12), updated_at=at(9))
    master, conflicts = master_of([hrss, civil(name="陈晓明", birth_date=None)])
    assert master.fields["name"] == FieldValue("陈晓明", "civil_affairs", "MZ1", at(1))
    assert master.fields["birth_date"] == FieldValue(date(1985, 3, 12), "hrss", "RS1", at(9))
    assert [(c.field, c.contradicting.value) for c in conflicts] == [("name", "陈小明")]


def test_a_document_stands_in_for_a_missing_resident_id() -> None:
    tax = TaxRecord(record_id="TX1", name="John Smith", document_type="passport", document_number="E1234567",
                    updated_at=at(3))
    master, _ = master_of([tax])
    assert master.value("id_number") == "E1234567"


def test_phone_is_the_most_recent_then_the_most_authoritative() -> None:
    older = civil(phone="13912345678", day=1)
    newer = TaxRecord(record_id="TX1", name="陈晓明", phone="13912345699", updated_at=at(5))
    same_time = HrssRecord(record_id="RS1", name="陈晓明", phone="13912345611", updated_at=at(5))
    for master, _ in every_order([older, newer, same_time]):
        assert master.fields["phone"] == FieldValue("13912345611", "hrss", "RS1", at(5))


def test_a_full_tie_of_phones_goes_to_the_larger_content_hash() -> None:
    a = TaxRecord(record_id="TX1", name="陈晓明", phone="13912345601", updated_at=at(5))
    b = TaxRecord(record_id="TX2", name="陈晓明", phone="13912345602", updated_at=at(5))
    winner = max((a, b), key=content_hash)
    assert {m.value("phone") for m, _ in every_order([a, b])} == {winner.phone}


def test_equal_update_times_within_a_source_are_ordered_by_content_hash() -> None:
    a = civil("MZ1", day=2, ethnicity="汉族", residence_address="文三路90号")
    b = civil("MZ2", day=2, ethnicity="回族", residence_address="解放路12号")
    winner = max((a, b), key=content_hash)
    for master, _ in every_order([a, b]):
        assert master.fields["ethnicity"].record_id == master.fields["address_id"].record_id == winner.record_id


def test_department_facts_come_from_the_newest_record_of_their_owner() -> None:
    old = civil("MZ1", day=1, marital_status="married", elderly_care=True, street="文新街道")
    new = civil("MZ2", day=4, marital_status="divorced", elderly_care=False)
    health = HealthRecord(record_id="WJ1", name="陈晓明", chronic_diseases=["高血压"], updated_at=at(2))
    for master, _ in every_order([old, new, health]):
        assert type(master.value("marital_status")) is str and master.value("marital_status") == "divorced"
        assert master.fields["elderly_care"] == FieldValue(False, "civil_affairs", "MZ2", at(4)), "False is a value"
        assert master.fields["street"].record_id == "MZ1", "a newer record without the fact does not erase it"
        assert master.value("chronic_diseases") == ["高血压"]
        assert "family_doctor" not in master.fields


def test_residence_falls_back_to_the_most_recent_record_of_other_sources() -> None:
    health = HealthRecord(record_id="WJ1", name="陈晓明", address="解放路12号", updated_at=at(3))
    hrss = HrssRecord(record_id="RS1", name="陈晓明", address="文三路90号", updated_at=at(2))
    for master, _ in every_order([civil(residence_address="无此地址"), health, hrss]):
        assert master.fields["address_id"] == FieldValue("A-2", "health", "WJ1", at(3))


def test_death_and_employer_follow_their_authority_lists() -> None:
    health = HealthRecord(record_id="WJ1", name="陈晓明", death_date=date(2024, 1, 9), updated_at=at(1))
    dead = civil(death_date=date(2024, 1, 8), day=5)
    tax = TaxRecord(record_id="TX1", name="陈晓明", employer_name="杭州东部软件有限公司", updated_at=at(9))
    hrss = HrssRecord(record_id="RS1", name="陈晓明", employer_name="杭州西部软件有限公司", updated_at=at(1))
    for master, _ in every_order([health, dead, tax, hrss]):
        assert master.fields["death_date"] == FieldValue(date(2024, 1, 9), "health", "WJ1", at(1))
        assert master.fields["employer_id"].record_id == "RS1"
        assert master.records == ("civil_affairs/MZ1", "health/WJ1", "hrss/RS1", "tax/TX1")


def test_a_source_listed_twice_ranks_at_its_last_place() -> None:
    authority = AUTHORITY.model_copy(update={"identity": ["hrss", "civil_affairs", "hrss"]})
    hrss = HrssRecord(record_id="RS1", name="陈小明", id_number=ID, updated_at=at(9))
    master, _ = master_of([hrss, civil()], authority)
    assert master.fields["name"].source == "civil_affairs"


def test_conflicts_list_every_contradicting_identity_value_in_authority_order() -> None:
    hrss = HrssRecord(record_id="RS1", name="陈小明", gender=Gender.FEMALE, updated_at=at(9))
    health = HealthRecord(record_id="WJ1", name="陈小明", birth_date=date(1985, 3, 13), updated_at=at(2))
    for _, conflicts in every_order([civil(), hrss, health]):
        assert [(c.field, c.contradicting.source) for c in conflicts] == [
            ("name", "hrss"), ("name", "health"), ("birth_date", "health"), ("gender", "hrss")]
        assert all(c.authoritative.source == "civil_affairs" and c.citizen_id == "C-1" for c in conflicts)


def test_update_times_in_another_zone_compare_as_instants() -> None:
    utc = TaxRecord(record_id="TX1", name="陈晓明", phone="13912345699",
                    updated_at=datetime(2024, 1, 5, 2, tzinfo=UTC))  # 10:00 at +08:00
    cst = HrssRecord(record_id="RS1", name="陈晓明", phone="13912345611",
                     updated_at=datetime(2024, 1, 5, 9, tzinfo=CST))
    assert {m.value("phone") for m, _ in every_order([utc, cst])} == {"13912345699"}


VALID_ID = "330106198503121231"  # checksum-valid: born 1985-03-12, male


def test_a_valid_resident_ids_birth_date_and_gender_win_over_typed_columns() -> None:
    """Civil affairs types 1985-04-12 and 女; its own valid ID says 1985-03-12, male: the ID wins, and
    each typed value that disagrees is a conflict for the department that typed it."""
    typed = civil(id_number=VALID_ID, birth_date=date(1985, 4, 12), gender=Gender.FEMALE)
    health = HealthRecord(record_id="WJ1", name="陈晓明", document_type="resident_id", document_number=VALID_ID,
                          birth_date=date(1985, 3, 21), updated_at=at(4))
    for master, conflicts in every_order([typed, health]):
        assert master.fields["birth_date"] == FieldValue(date(1985, 3, 12), "civil_affairs", "MZ1", at(1))
        assert master.fields["gender"] == FieldValue("male", "civil_affairs", "MZ1", at(1))
        assert master.contract_row()["birth_date"] == "1985-03-12"
        found = [(c.field, c.contradicting.source, c.contradicting.value) for c in conflicts]
        assert found == [("birth_date", "civil_affairs", date(1985, 4, 12)),
                         ("birth_date", "health", date(1985, 3, 21)),
                         ("gender", "civil_affairs", "female")]


def test_without_a_valid_id_the_typed_columns_stand() -> None:
    typed = civil(birth_date=date(1985, 4, 12), gender=Gender.FEMALE)  # ID fails its checksum
    master, conflicts = master_of([typed])
    assert (master.value("birth_date"), master.value("gender")) == (date(1985, 4, 12), "female")
    assert conflicts == []


def test_current_residence_is_the_newest_report_and_registered_is_civil_affairs() -> None:
    """A resident moved and told health first: the master's current residence is health's newer
    address (with its department and date); the registered address stays civil affairs' (一数一源)."""
    registered = civil(day=2, residence_address="文三路90号")
    told_first = HealthRecord(record_id="WJ1", name="陈晓明", address="解放路12号", updated_at=at(6))
    older = HrssRecord(record_id="RS1", name="陈晓明", address="文三路90号", updated_at=at(4))
    for master, _ in every_order([registered, told_first, older]):
        assert master.fields["address_id"] == FieldValue("A-2", "health", "WJ1", at(6))
        assert master.fields["registered_address_id"] == FieldValue("A-1", "civil_affairs", "MZ1", at(2))
        row = master.contract_row()
        assert (row["address_id"], row["registered_address_id"]) == ("A-2", "A-1")


def test_no_civil_affairs_record_no_registered_address() -> None:
    health = HealthRecord(record_id="WJ1", name="陈晓明", address="解放路12号", updated_at=at(6))
    master, _ = master_of([health])
    assert master.value("address_id") == "A-2" and master.value("registered_address_id") is None


def test_phone_book_gives_a_shared_mobile_to_the_citizen_showing_it_most() -> None:
    from hub.engine.phonebook import Claim, PhoneBook, PhoneCounts

    book = PhoneBook()
    book.put("C-wife", PhoneCounts({"13900000001": Claim(3, at(1), at(9), True),
                                    "13900000002": Claim(1, at(5), at(5), True)}, 4))  # her husband's, once
    book.put("C-husband", PhoneCounts({"13900000002": Claim(3, at(2), at(8), True)}, 3))
    assert book.contacts_of("C-wife") == frozenset({"13900000002"})
    assert book.contacts_of("C-husband") == frozenset()
    assert book.touched(book.drop("C-husband")) == {"C-wife"}
    assert book.contacts_of("C-wife") == frozenset()


def test_phone_book_age_then_time_then_share() -> None:
    from hub.engine.phonebook import Claim, beats

    adult, child = Claim(1, at(2), at(2), True), Claim(2, at(1), at(9), False)
    assert beats(adult, 4, child, 2, household=True) and not beats(child, 2, adult, 4, household=True)
    earlier, later = Claim(3, at(1), at(4), True), Claim(1, at(6), at(6), True)  # a recycled number
    assert not beats(earlier, 3, later, 2, household=False) and not beats(later, 2, earlier, 3, household=False)
    assert beats(earlier, 3, later, 2, household=True), "in one household a later record is a contact"


def test_phone_book_takes_shares_by_the_rule_of_succession() -> None:
    from hub.engine.phonebook import Claim, beats

    his, hers = Claim(3, at(1), at(9), True), Claim(1, at(5), at(5), True)
    assert not beats(hers, 1, his, 4, household=True), "her only record (1/1) does not outweigh his 3 of 4"
    assert not beats(his, 4, hers, 1, household=True)
    assert beats(his, 4, hers, 3, household=True), "once in her 3 records: a contact for her"


def test_phone_book_a_childs_older_number_is_a_guardians_earlier_one() -> None:
    from hub.engine.phonebook import Claim, PhoneBook, PhoneCounts

    book = PhoneBook()
    book.put("C-mother", PhoneCounts({"13900000002": Claim(2, at(7), at(9), True)}, 2))  # her new number only
    old_number = Claim(1, at(2), at(2), False)  # on the child's older record: her number before the change
    book.put("C-child", PhoneCounts({"13900000001": old_number, "13900000002": Claim(1, at(8), at(8), False)}, 2))
    assert book.contacts_of("C-child") == frozenset({"13900000001", "13900000002"})
    first_phone = Claim(1, at(9), at(9), False)  # newer than the record giving her number: the child's own
    book.put("C-child", PhoneCounts({"13900000003": first_phone, "13900000002": Claim(1, at(8), at(8), False)}, 2))
    assert book.contacts_of("C-child") == frozenset({"13900000002"})
    book.put("C-child", PhoneCounts({"13900000001": old_number}, 1))  # no record gives another's number
    assert book.contacts_of("C-child") == frozenset()
    adult_record = Claim(1, at(2), at(2), True)  # the same older number on a record of the citizen's adult years
    book.put("C-child", PhoneCounts({"13900000001": adult_record, "13900000002": Claim(1, at(8), at(8), False)}, 2))
    assert book.contacts_of("C-child") == frozenset({"13900000002"})


def test_phone_is_the_own_mobile_then_a_landline_and_every_number_stays_a_contact() -> None:
    own = civil(phone="13912345678", day=1)
    spouse = TaxRecord(record_id="TX1", name="陈晓明", phone="13912345699", updated_at=at(5))
    landline = HrssRecord(record_id="RS1", name="陈晓明", phone="0571-88886666", updated_at=at(4))
    for order in itertools.permutations([own, spouse, landline]):
        master, _ = build_master("C-1", [version(r) for r in order], AUTHORITY, {}.get, {}.get,
                                 frozenset({"13912345699"}))
        assert master.value("phone") == "13912345678"
        assert [(c.phone, c.own, c.source) for c in master.contacts] == [
            ("13912345699", False, "tax"), ("057188886666", False, "hrss"), ("13912345678", True, "civil_affairs")]
    master, _ = build_master("C-1", [version(spouse), version(landline)], AUTHORITY, {}.get, {}.get,
                             frozenset({"13912345699"}))
    assert master.value("phone") == "057188886666"
