"""A small hand-made city of department records covering the hard cases, for engine tests."""

from __future__ import annotations

from datetime import date, datetime

from connectors.records import (
    CST,
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    DocumentType,
    Gender,
    HealthRecord,
    HrssRecord,
    TaxRecord,
)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=CST)


def city_records() -> list[DepartmentRecord]:
    """Twins, namesakes, typo'd IDs, a traditional-character name, a move, a stale and a duplicate row."""
    return [
        # 陈晓明: civil affairs (valid ID), health (typo'd ID, traditional name), tax, a move in a delta
        CivilAffairsRecord(record_id="MZ1", name="陈晓明", gender=Gender.MALE, id_number="330106198503121234",
                           birth_date=date(1985, 3, 12), residence_address="西湖区文三路90号1幢2单元1502室",
                           phone="13912345678", updated_at=at(1)),
        CivilAffairsRecord(record_id="MZ1", name="陈晓明", gender=Gender.MALE, id_number="330106198503121234",
                           birth_date=date(1985, 3, 12), residence_address="上城区解放路12号3幢1单元201室",
                           phone="13912345678", updated_at=at(20)),
        HealthRecord(record_id="WJ1", name="陳曉明", gender=Gender.MALE, document_type=DocumentType.RESIDENT_ID,
                     document_number="330106198503121243", birth_date=date(1985, 3, 12),
                     address="文三路九十号1栋二单元1502", phone="139-1234-5678", updated_at=at(5)),
        TaxRecord(record_id="TX1", name="陈晓明", document_type=DocumentType.RESIDENT_ID,
                  document_number="330106198503121234", phone="+86 139 1234 5699",
                  address="杭州市西湖区文三路９０号1-2-1502", employer_name="杭州东部软件有限公司",
                  employer_credit_code="91330106MA2CFXXX0X", updated_at=at(25)),
        # twins: same birth date, address and phone, different valid IDs and similar names
        CivilAffairsRecord(record_id="MZ2", name="张伟", gender=Gender.MALE, id_number="330106200001011014",
                           birth_date=date(2000, 1, 1), residence_address="拱墅区米市巷街道XX小区3幢1单元302室",
                           phone="057188886666", updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ3", name="张玮", gender=Gender.MALE, id_number="330106200001011030",
                           birth_date=date(2000, 1, 1), residence_address="拱墅区米市巷街道XX小区3幢1单元302室",
                           phone="057188886666", updated_at=at(2)),
        HealthRecord(record_id="WJ2", name="张伟", gender=Gender.MALE, document_type=DocumentType.RESIDENT_ID,
                     document_number="330106200001011014", birth_date=date(2000, 1, 1),
                     address="XX小区3幢1单元302室", phone="0571-88886666", updated_at=at(3)),
        HrssRecord(record_id="RS3", name="张玮", id_number="33010620000101103O", gender=Gender.MALE,
                   birth_date=date(2000, 1, 1), address="XX小区3幢1单元302室", phone="88886666",
                   updated_at=at(4)),
        # twins with no ID on record: only the characters of their names tell them apart
        CivilAffairsRecord(record_id="MZ8", name="李静", gender=Gender.FEMALE, birth_date=date(2010, 5, 5),
                           residence_address="上城区清波街20号2幢1单元101室", phone="13800001234", updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ9", name="李婧", gender=Gender.FEMALE, birth_date=date(2010, 5, 5),
                           residence_address="上城区清波街20号2幢1单元101室", phone="13800001234", updated_at=at(2)),
        # namesakes: same name and birth date, different IDs and addresses; one without ID
        CivilAffairsRecord(record_id="MZ4", name="王芳", gender=Gender.FEMALE, id_number="330102199001010028",
                           birth_date=date(1990, 1, 1), residence_address="上城区清波街10号", updated_at=at(2)),
        CivilAffairsRecord(record_id="MZ5", name="王芳", gender=Gender.FEMALE, id_number="330105199001010048",
                           birth_date=date(1990, 1, 1), residence_address="拱墅区湖墅南路8号", updated_at=at(2)),
        HealthRecord(record_id="WJ5", name="王芳", gender=Gender.FEMALE, birth_date=date(1990, 1, 1),
                     address="湖墅南路8号", phone="13700001111", updated_at=at(6)),
        # a passport holder known to health and tax only
        HealthRecord(record_id="WJ6", name="李安娜", gender=Gender.FEMALE, document_type=DocumentType.PASSPORT,
                     document_number="e12345678", birth_date=date(1970, 6, 1), phone="13600002222",
                     updated_at=at(7)),
        TaxRecord(record_id="TX6", name="李安娜", document_type=DocumentType.PASSPORT, document_number="E12345678",
                  phone="136 0000 2222", updated_at=at(8)),
        # a business whose legal representative is 陈晓明, and a legacy 15-digit ID for an older person
        CommerceRecord(record_id="91330106MA2CFXXX0X", business_name="杭州东部软件有限公司", legal_rep_name="陈晓明",
                       legal_rep_id_number="330106198503121234", address="西湖区文三路90号", updated_at=at(9)),
        CivilAffairsRecord(record_id="MZ7", name="阿卜杜·热合曼", gender=Gender.MALE, id_number="650102198001010017",
                           birth_date=date(1980, 1, 1), updated_at=at(3), death_date=date(2024, 1, 2)),
        HrssRecord(record_id="RS7", name="阿卜杜•热合曼", id_number="650102800101001", birth_date=date(1980, 1, 1),
                   updated_at=at(1)),
    ]
