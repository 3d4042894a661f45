"""The engine's promise: results depend on the set of latest record versions, not on order, duplicates,
batching or driver (batch `resolve` vs streaming `apply`)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.engine.resolver import Resolver
from tests.fixtures.engine import city_records

SECRET = b"test-key"


def batch_result(records: list) -> tuple[dict, dict]:
    resolver = Resolver("330100", SECRET)
    resolver.add_all(records)
    resolution = resolver.resolve()
    masters = {cid: m.contract_row() for cid, m in resolution.masters.items()}
    return masters, dict(resolution.citizen_of_ref)


def test_hard_cases_resolve_as_expected() -> None:
    masters, of_ref = batch_result(city_records())
    chen = of_ref["civil_affairs/MZ1"]
    assert chen == of_ref["health/WJ1"] == of_ref["tax/TX1"] == of_ref["commerce/91330106MA2CFXXX0X"]
    assert of_ref["civil_affairs/MZ2"] == of_ref["health/WJ2"]
    assert of_ref["civil_affairs/MZ2"] != of_ref["civil_affairs/MZ3"], "twins must never merge"
    assert of_ref["civil_affairs/MZ4"] != of_ref["civil_affairs/MZ5"], "namesakes must never merge"
    assert of_ref["civil_affairs/MZ8"] != of_ref["civil_affairs/MZ9"], "twins without IDs must never merge"
    assert of_ref["health/WJ6"] == of_ref["tax/TX6"], "same passport links"
    assert of_ref["civil_affairs/MZ7"] == of_ref["hrss/RS7"], "legacy 15-digit ID upgrades to the 18-digit one"
    master = masters[chen]
    assert master["name"] == "陈晓明" and master["id_number"] == "330106198503121234"
    assert master["phone"] == "13912345699", "the most recent phone from any source wins"
    assert masters[of_ref["civil_affairs/MZ7"]]["name"] == "阿卜杜·热合曼"
    assert masters[of_ref["civil_affairs/MZ7"]]["death_date"] == "2024-01-02"


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_order_duplicates_and_batching_do_not_matter(rnd: random.Random, batches: int) -> None:
    records = city_records()
    expected = batch_result(records)
    shuffled = records + rnd.sample(records, k=len(records) // 3)  # duplicates and replays
    rnd.shuffle(shuffled)
    assert batch_result(shuffled) == expected

    streaming = Resolver("330100", SECRET)
    cuts = sorted(rnd.sample(range(1, len(shuffled)), k=min(batches, len(shuffled) - 1)))
    for lo, hi in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        streaming.apply(shuffled[lo:hi])
    current = streaming.current
    masters = {cid: m.contract_row() for cid, m in current.masters.items()}
    assert (masters, dict(current.citizen_of_ref)) == expected


def phone_records() -> list:
    """Numbers several citizens show: a parent's mobile on a child's records, a recycled number, a
    wife's later record giving her husband's mobile (one household), a child's records giving its
    mother's number before and after she changed it."""
    from hub.contract.records import CivilAffairsRecord, DocumentType, HealthRecord, HrssRecord, TaxRecord
    from tests.fixtures.engine import at

    RID = DocumentType.RESIDENT_ID
    HOME = "西湖区文三路90号1幢2单元1502室"
    parent, child = "330106198003041235", "330106201506074527"
    earlier, later = "330106197001013316", "330106199002023427"
    husband, wife = "330106198505051353", "330106198707072646"
    mother, daughter = "330106198203046129", "330106201606074524"
    return [
        # the parent's mobile on half of the parent's records with a phone and half of the child's
        CivilAffairsRecord(record_id="MZ11", name="王建国", id_number=parent, phone="13900000001", updated_at=at(2)),
        HrssRecord(record_id="RS11", name="王建国", id_number=parent, phone="13900000001", updated_at=at(4)),
        TaxRecord(record_id="TX11", name="王建国", document_type=RID, document_number=parent, phone="0571-88881111",
                  updated_at=at(6)),
        HealthRecord(record_id="WJ11", name="王建国", document_type=RID, document_number=parent,
                     phone="0571-88881111", updated_at=at(7)),
        CivilAffairsRecord(record_id="MZ12", name="王小明", id_number=child, phone="13900000001", updated_at=at(3)),
        HealthRecord(record_id="WJ12", name="王小明", document_type=RID, document_number=child,
                     phone="0571-88881111", updated_at=at(5)),
        # 13900000002: 李四's on all of his records, then (no overlap, no shared home) 张三's newest
        CivilAffairsRecord(record_id="MZ13", name="李四", id_number=earlier, phone="13900000002", updated_at=at(1)),
        HrssRecord(record_id="RS13", name="李四", id_number=earlier, phone="13900000002", updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ14", name="张三", id_number=later, phone="13900000009", updated_at=at(3)),
        HrssRecord(record_id="RS14", name="张三", id_number=later, phone="13900000002", updated_at=at(25)),
        # the wife's newest record gives her husband's mobile, after his own records: a contact
        CivilAffairsRecord(record_id="MZ15", name="刘强", id_number=husband, phone="13900000005",
                           residence_address=HOME, updated_at=at(1)),
        HrssRecord(record_id="RS15", name="刘强", id_number=husband, phone="13900000005", address=HOME,
                   updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ16", name="赵敏", id_number=wife, phone="13900000006",
                           residence_address=HOME, updated_at=at(3)),
        TaxRecord(record_id="TX16", name="赵敏", document_type=RID, document_number=wife,
                  phone="13900000005", address=HOME,
                  updated_at=at(10)),
        # 13900000008: the mother's number now; 13900000007, on the daughter's older record only, hers before
        CivilAffairsRecord(record_id="MZ17", name="陈丽", id_number=mother, phone="13900000008", updated_at=at(8)),
        HrssRecord(record_id="RS17", name="陈丽", id_number=mother, phone="13900000008", updated_at=at(9)),
        HealthRecord(record_id="WJ18", name="林小雨", document_type=RID, document_number=daughter,
                     phone="13900000007", updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ18", name="林小雨", id_number=daughter, phone="13900000008", updated_at=at(6)),
    ]


def test_shared_mobiles_go_to_their_owners() -> None:
    masters, of_ref = batch_result(phone_records())
    phone = {ref: masters[cid]["phone"] for ref, cid in of_ref.items()}
    assert phone["civil_affairs/MZ11"] == "13900000001", "a child's record gives its parent's mobile"
    assert phone["civil_affairs/MZ12"] == "057188881111", "the child's own phone is the household landline"
    assert phone["civil_affairs/MZ13"] == "13900000002", "the earlier holder's until the hand-over"
    assert phone["civil_affairs/MZ14"] == "13900000002", "a recycled number is the later holder's"
    assert phone["civil_affairs/MZ15"] == "13900000005"
    assert phone["civil_affairs/MZ16"] == "13900000006", "a spouse's mobile in one household stays a contact"
    assert phone["civil_affairs/MZ17"] == "13900000008"
    assert phone["civil_affairs/MZ18"] == "13900000008", "a child's older record gives a guardian's earlier number"


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_phone_ownership_does_not_depend_on_order_or_batching(rnd: random.Random, batches: int) -> None:
    records = phone_records()
    expected = batch_result(records)
    shuffled = records + rnd.sample(records, k=len(records) // 3)
    rnd.shuffle(shuffled)
    assert batch_result(shuffled) == expected
    streaming = Resolver("330100", SECRET)
    cuts = sorted(rnd.sample(range(1, len(shuffled)), k=min(batches, len(shuffled) - 1)))
    for lo, hi in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        streaming.apply(shuffled[lo:hi])
    masters = {cid: m.contract_row() for cid, m in streaming.current.masters.items()}
    assert (masters, dict(streaming.current.citizen_of_ref)) == expected
