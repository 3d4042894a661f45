"""Shared fixtures. `infra` gives integration tests the real local services started by `hub infra up`."""

from __future__ import annotations

import pytest

from hub.settings import HubSettings


@pytest.fixture(scope="session")
def infra() -> HubSettings:
    """Start (or reuse) the local Kafka, registry and Redis, then return settings that point at them.

    Same as `hub infra up`: a no-op taking well under a second when everything already answers.
    """
    from hub.infra import ensure_up
    from hub.settings import get_settings, load_settings

    ensure_up()
    get_settings.cache_clear()  # .hub/env may have been written just now
    return load_settings()
