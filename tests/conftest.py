"""Shared fixtures. `infra` gives integration tests the real local services started by `hub infra up`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import HubSettings

#: Test folders that run code mypyc compiles (`[tool.hub.native]`): marked `compiled`, so `make test`
#: runs them once more with the interpreted code (HUB_NATIVE=0), the fallback wherever no build matches.
_COMPILED_CODE = ("unit/engine", "unit/batch", "unit/connectors/formats", "property")
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(_HERE).as_posix()
        if where.startswith(_COMPILED_CODE):
            item.add_marker(pytest.mark.compiled)
        if where.startswith("integration/"):
            item.add_marker(pytest.mark.integration)


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
