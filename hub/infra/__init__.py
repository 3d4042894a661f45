"""Local infrastructure for development and tests: Kafka 4 (KRaft), Apicurio Registry and Redis.

`hub infra up` starts them as background processes on loopback (data, logs and pid files under
`.hub/`, downloads under `.cache/`) and writes their addresses to `.hub/env`; `ensure_up()` is the same
from Python (the pytest `infra` fixture uses it).
"""

from __future__ import annotations

from hub.infra.config import InfraConfig, load_infra_config


def ensure_up(cfg: InfraConfig | None = None) -> InfraConfig:
    """Start what is not running (no-op when everything answers); return the config used."""
    from hub.infra import stack

    cfg = cfg or load_infra_config()
    stack.up(cfg)
    return cfg


__all__ = ["InfraConfig", "ensure_up", "load_infra_config"]
