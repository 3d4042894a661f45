"""Several cities in one hub: the first keeps today's names, every other city gets its own (settings.for_city)."""

from __future__ import annotations

import pytest

from hub.contract.errors import SettingsError
from hub.settings import CITY_TOPICS, city_prefix, city_topic, load_settings
from hub.wire.schema_catalog import topics


def test_a_single_city_hub_is_unchanged() -> None:
    one = load_settings(city_code="330100")
    assert one.served_cities == ("330100",)
    assert one.for_city("330100") is one
    assert [e.topic for e in topics(one)] == [e.topic for e in topics(load_settings(city_code="330100",
                                                                                     cities="330100"))]
    assert one.processors.redis_prefix == "hub:" and one.topics.master_citizen == "master.citizen.v1"


def test_other_cities_get_their_own_prefix_and_topics() -> None:
    hub = load_settings(cities="330100,310100")
    first, other = hub.for_city("330100"), hub.for_city("310100")
    assert first.processors.redis_prefix == "hub:" and first.topics.master_citizen == "master.citizen.v1"
    assert other.city_code == "310100"
    assert other.processors.redis_prefix == "hub.310100:"
    assert other.window.redis_prefix == "hub.310100:window:"
    assert other.topics.master_citizen == "master.citizen.310100.v1"
    assert other.topics.conflicts == "quality.conflicts.310100.v1"
    assert other.topics.dept("tax") == first.topics.dept("tax")  # department topics are shared
    assert other.topics.dlq("tax") == first.topics.dlq("tax")
    assert other.processors.resolve_topic == first.processors.resolve_topic
    assert other.processors.app_id == first.processors.app_id
    assert [hub.city_partition(c) for c in ("330100", "310100")] == [0, 1]
    own = {getattr(other.topics, name) for name in CITY_TOPICS}
    assert not own & {getattr(first.topics, name) for name in CITY_TOPICS}
    assert own <= {e.topic for e in topics(hub)}  # `hub topics ensure` makes them, the registry syncs them


def test_a_process_acting_for_a_city_sees_the_same_names() -> None:
    """HUB_CITY_CODE=<a later city> gives the view `for_city` gives the hub (connectors, serve, export)."""
    hub = load_settings(cities="330100,310100")
    acting = load_settings(cities="330100,310100", city_code="310100")
    for view, expected in ((acting, hub.for_city("310100")), (acting.for_city("330100"), hub)):
        assert view.processors.redis_prefix == expected.processors.redis_prefix
        assert view.window.redis_prefix == expected.window.redis_prefix
        assert view.topics == expected.topics
    assert [e.topic for e in topics(acting)] == [e.topic for e in topics(hub)]


def test_the_names_never_nest_under_another_city() -> None:
    """`hub rebuild` scans `<prefix>*`: another city's keys must not match the first city's prefix."""
    assert not city_prefix("hub:", "310100").startswith("hub:")
    assert city_prefix("t1a2b:", "310100") == "t1a2b.310100:"
    assert city_topic("t1a2b.master.citizen.v1", "310100") == "t1a2b.master.citizen.310100.v1"
    assert city_topic("masters", "310100") == "masters.310100"


@pytest.mark.parametrize(("override", "named"), [
    ({"cities": "330100,3101"}, "cities"),
    ({"cities": "330100,330100"}, "cities"),
    ({"cities": "310100,110100"}, "city_code"),
])
def test_bad_city_lists_are_refused(override: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(**override)


def test_a_city_not_served_has_no_settings() -> None:
    with pytest.raises(SettingsError, match="not served"):
        load_settings(cities="330100,310100").for_city("110100")
