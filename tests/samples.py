"""Department records shared by tests of the wire format (unit and integration)."""

from __future__ import annotations

from datetime import datetime

from connectors.records import (
    CST,
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    HealthRecord,
    HrssRecord,
    TaxRecord,
)

T0 = datetime(2024, 5, 1, 9, 30, tzinfo=CST)


def sparse_records(tag: str = "") -> list[DepartmentRecord]:
    """Only the required fields of each department: every optional field travels as its Avro default."""
    return [
        CivilAffairsRecord(record_id=f"MZ{tag}1", name="甲", updated_at=T0),
        HealthRecord(record_id=f"JK{tag}1", name="乙", updated_at=T0),
        HrssRecord(record_id=f"RS{tag}1", name="丙", updated_at=T0),
        TaxRecord(record_id=f"TX{tag}1", name="丁", updated_at=T0),
        CommerceRecord(record_id="91330106MA2CFJ0K1B", business_name="某公司", updated_at=T0),
    ]
