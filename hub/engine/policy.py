"""The declarative resolution policy (policy.toml): field authority, match weights, threshold.

Kept in a file operations can read, so who is the source of truth for which field, and how
much each agreement counts, is never hidden in code (design principle 6).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.contract.errors import SettingsError

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")

SourceList = list[str]


class AuthorityPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    identity: SourceList
    #: current residence (及时更新): the most recent record of these sources; ties in this order
    residence: SourceList
    #: registered (户籍) address (一数一源): the latest record of the first of these with one
    registered: SourceList = Field(default_factory=lambda: ["civil_affairs"])
    #: no longer read (the current residence is the newest of `residence`); accepted in older files
    residence_fallback: SourceList | None = None
    phone: SourceList
    death: SourceList
    employment: SourceList


class MatchWeights(BaseModel):
    """log2(m/u) of each comparison level; see policy.toml for what each level means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id_close: float
    id_different: float
    document_equal: float
    document_different: float
    name_exact: float
    name_pinyin: float
    name_close: float
    name_different: float
    birth_exact: float
    birth_close: float
    birth_different: float
    gender_equal: float
    gender_different: float
    phone_mobile_equal: float
    phone_landline_equal: float
    phone_different: float
    address_room_equal: float
    address_building_equal: float
    address_detail_equal: float
    address_different: float


class MatchPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(gt=0)
    weights: MatchWeights


class ResolutionPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    authority: AuthorityPolicy
    match: MatchPolicy


def load_policy(path: Path | None = None) -> ResolutionPolicy:
    """Read and validate a policy file; a bad file is a SettingsError naming the problem."""
    path = path or DEFAULT_POLICY_PATH
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return ResolutionPolicy.model_validate(raw)
    except OSError as exc:
        raise SettingsError(f"cannot read resolution policy {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"resolution policy {path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"resolution policy {path}: {where}: {first['msg']}") from None


@lru_cache(maxsize=1)
def default_policy() -> ResolutionPolicy:
    return load_policy()
