"""Settings of the service window, nested under `HubSettings.window` once merged.

Why a separate model: the window has its own secrets (the grant key) and limits, and until the
field exists on `HubSettings` the window reads the defaults below, overridable in tests.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from hub.settings import HubSettings, state_dir


class WindowSettings(BaseModel):
    """`HUB_WINDOW__*`: where the window keeps its state and how it limits callers."""

    redis_prefix: str = Field(default="hub:window:", description="credentials, disclosures, rate windows")
    purposes_file: Path | None = Field(default=None, description="default: hub/window/purposes.toml")
    grant_key: SecretStr = Field(
        default=SecretStr("citizen-hub-development-grant-key"),
        description="HMAC key of resident grants (扫码授权); set a secret one in production",
    )
    grant_max_ttl_s: int = Field(default=900, ge=30, le=86_400)
    audit_spool: Path | None = Field(default=None, description="default: <state dir>/window/audit-spool.jsonl")
    audit_timeout_s: float = Field(default=2.0, gt=0)
    rate_per_s: float = Field(default=20.0, gt=0, description="sustained requests per second per credential")
    rate_burst: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=256)
    max_candidates: int = Field(default=20, ge=1, le=200)
    disclosures_kept: int = Field(default=1000, ge=10, description="per citizen, for 本人查询")

    def spool_path(self) -> Path:
        return self.audit_spool or state_dir() / "window" / "audit-spool.jsonl"


def window_settings(settings: HubSettings) -> WindowSettings:
    """`settings.window` once `HubSettings` has the field; the defaults until then."""
    found = getattr(settings, "window", None)
    return found if isinstance(found, WindowSettings) else WindowSettings()
