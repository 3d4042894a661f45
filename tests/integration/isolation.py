"""Per-test isolation on the shared local broker and Redis: own topics, consumer group, Redis prefix."""

from __future__ import annotations

import uuid

import redis

from hub.readmodel.store import RedisKeys, all_citizen_buckets


def live_citizen_count(client: redis.Redis, prefix: str) -> int:
    """How many live citizens the read model under `prefix` lists (its `citizens:<bucket>` hashes)."""
    pipe = client.pipeline(transaction=False)
    for bucket in all_citizen_buckets(RedisKeys(prefix)):
        pipe.hlen(bucket)
    return sum(pipe.execute())


def tagged_topics_env(tag: str) -> dict[str, str]:
    """HUB_TOPICS__* for every topic the hub owns, each under `tag`, on 3 partitions: a test that makes
    its topics (processors' `prepare`) never makes a default-named one with a policy it does not have. With
    HUB_CITIES, a city after the first derives its names from these (`HubSettings.for_city`): tagged too."""
    return {
        "HUB_TOPICS__DEPARTMENT": f"{tag}.dept.{{source}}.v1",
        "HUB_TOPICS__DEAD_LETTER": f"{tag}.dlq.{{source}}.v1",
        "HUB_TOPICS__MASTER_CITIZEN": f"{tag}.master.citizen.v1",
        "HUB_TOPICS__MASTER_ADDRESS": f"{tag}.master.address.v1",
        "HUB_TOPICS__MASTER_ORGANIZATION": f"{tag}.master.organization.v1",
        "HUB_TOPICS__LIFECYCLE": f"{tag}.master.lifecycle.v1",
        "HUB_TOPICS__CONFLICTS": f"{tag}.quality.conflicts.v1",
        "HUB_TOPICS__AUDIT": f"{tag}.audit.access.v1",
        "HUB_TOPICS__FEEDBACK": f"{tag}.quality.feedback.v1",
        "HUB_TOPICS__CREDENTIALS": f"{tag}.window.credentials.v1",
        "HUB_TOPIC_POLICY__PARTITIONS": "3",
    }


def isolated_hub_env(letter: str) -> dict[str, str]:
    """HUB_* variables that give one test its own topics, processors group and Redis prefix."""
    tag = f"{letter}{uuid.uuid4().hex[:8]}"
    return {
        **tagged_topics_env(tag),
        "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
        "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1",
        "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:",
        "HUB_PROCESSORS__BATCH_WITHIN_S": "0.2",
        "HUB_PROCESSORS__COMMIT_INTERVAL_S": "0.3",
    }
