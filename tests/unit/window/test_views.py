"""A citizen view is built as dicts (hub.window.disclosure) but must be exactly its documented model."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hub.window.disclosure import Extras, Shown, citizen_view
from hub.window.purposes import default_policy
from hub.window.views import CitizenView


def _fv(value: Any, source: str = "civil_affairs", record: str = "MZ1",
        at: str = "2024-01-01T09:00:00+08:00") -> dict[str, Any]:
    return {"value": value, "source": source, "record_id": record, "updated_at": at}


def _doc(cid: str, name: str) -> dict[str, Any]:
    return {
        "citizen_id": cid, "records": [], "contract": {},
        "fields": {
            "name": _fv(name), "id_number": _fv("330106198503121234"), "phone": _fv("13912345678"),
            "birth_date": _fv("1985-03-12"), "gender": _fv("male"), "address_id": _fv("A-1"),
            "registered_address_id": _fv("A-1"), "assistance_type": _fv("minimum_living"),
            "elderly_care": _fv(False), "insurance_status": _fv("contributing", "hrss", "RS1"),
            "insurance_kinds": _fv(["养老", "医疗"], "hrss", "RS1"), "employer_id": _fv("O-1", "tax", "TX1"),
            "chronic_diseases": _fv(["高血压"], "health", "WJ1", "2024-02-01T10:30:00.250000+08:00"),
            "family_doctor": _fv("李医生", "health", "WJ1"),
        },
        "conflicts": [{"field": "birth_date", "authoritative": _fv("1985-03-12"),
                       "contradicting": _fv("1985-12-03", "hrss", "RS1")},
                      {"field": "address_id", "authoritative": _fv("A-1"), "contradicting": None}],
    }


@pytest.mark.parametrize("purpose", sorted(default_policy().purposes))
@pytest.mark.parametrize("redirected", [None, "C-old"])
def test_a_view_is_exactly_its_model(purpose: str, redirected: str | None) -> None:
    p = default_policy().purposes[purpose]
    extras = Extras(residence_text="上城区解放路12号3幢1单元201室", employer_name="杭州东部软件有限公司",
                    household=[_doc("C-b", "赵秀英"), _doc("C-a", "陈晓明")])
    shown = Shown()
    view = citizen_view(_doc("C-a", "陈晓明"), p, extras, shown, redirected_from=redirected)
    written = orjson.loads(orjson.dumps(view, option=orjson.OPT_UTC_Z))
    assert orjson.loads(CitizenView.model_validate(view).model_dump_json()) == written
    assert set(shown.fields.get("C-a", {})) >= set(written["fields"]), "everything shown is audited"
