"""Purposes of use as data: per purpose, how each field of the citizen view is disclosed.

Why a file and not code: which office may see what is a decision of the city's data office, not
of programmers; `purposes.toml` is readable by them and checked here on load, so a typo (unknown
field or mode) or health facts given to any purpose but 医疗卫生 stops the service instead of
leaking. The rule "health facts only for 医疗卫生" is enforced in code as well as stated in data.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.window.problems import PolicyError

DEFAULT_FILE: Final = Path(__file__).with_name("purposes.toml")


class Mode(StrEnum):
    FULL = "full"
    MASKED = "masked"
    PRESENCE = "presence"
    HIDDEN = "hidden"


#: Every field of the one-stop citizen view that a purpose decides on.
VIEW_FIELDS: Final = (
    "name", "id_number", "birth_date", "gender", "ethnicity", "marital_status", "death_date", "phone",
    "residence", "hukou_address", "street", "community", "household", "assistance_type", "elderly_care",
    "insurance_status", "insurance_kinds", "social_security_card", "employer", "family_doctor",
    "chronic_diseases",
)
#: Health facts (卫健): only a purpose marked `health` may see them in any mode.
HEALTH_FIELDS: Final = frozenset({"family_doctor", "chronic_diseases"})
#: The only purpose allowed to be marked `health`.
HEALTH_PURPOSE: Final = "医疗卫生"


class Purpose(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    city_wide: bool = False
    grant: bool = False
    health: bool = False
    self_service: bool = False
    default: Mode = Mode.HIDDEN
    fields: dict[str, Mode] = Field(default_factory=dict)

    def mode(self, field: str) -> Mode:
        if field in HEALTH_FIELDS and not self.health:
            return Mode.HIDDEN
        return self.fields.get(field, self.default)


class PurposePolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    purposes: dict[str, Purpose]

    def get(self, name: str) -> Purpose | None:
        return self.purposes.get(name)

    def names(self) -> list[str]:
        return sorted(self.purposes)


def parse_policy(text: str) -> PurposePolicy:
    """Read and check a purposes file's text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"purposes file is not TOML: {exc}") from None
    table = raw.get("purposes")
    if not isinstance(table, dict) or not table:
        raise PolicyError("purposes file has no [purposes.<name>] tables")
    purposes: dict[str, Purpose] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise PolicyError(f"purpose {name}: expected a table")
        try:
            purpose = Purpose.model_validate({**spec, "name": name})
        except ValidationError as exc:
            raise PolicyError(f"purpose {name}: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from None
        unknown = sorted(set(purpose.fields) - set(VIEW_FIELDS))
        if unknown:
            raise PolicyError(f"purpose {name}: unknown field(s) {', '.join(unknown)}")
        if purpose.health and name != HEALTH_PURPOSE:
            raise PolicyError(f"purpose {name}: only {HEALTH_PURPOSE} may see health facts")
        if not purpose.health:
            shown = sorted(f for f in HEALTH_FIELDS if purpose.fields.get(f, Mode.HIDDEN) != Mode.HIDDEN)
            if shown:
                raise PolicyError(f"purpose {name}: health facts {', '.join(shown)} must be hidden")
        if purpose.self_service and not purpose.grant:
            raise PolicyError(f"purpose {name}: a self-service purpose needs the resident's grant")
        purposes[name] = purpose
    return PurposePolicy(purposes=purposes)


def load_policy(path: Path | None = None) -> PurposePolicy:
    target = path or DEFAULT_FILE
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"purposes file {target} cannot be read: {exc.strerror}") from None
    return parse_policy(text)


@lru_cache(maxsize=1)
def default_policy() -> PurposePolicy:
    return load_policy()
