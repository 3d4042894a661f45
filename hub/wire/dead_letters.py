"""Kafka Connect's dead-letter context headers, so operators' tools read the hub's dead letters as they read
Connect's (`__connect.errors.*`, DeadLetterQueueReporter), plus the hub's replay counter (the loop guard).

Only reasons and positions go in headers, never row values: a reason is written without personal data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

PREFIX = "__connect.errors."
REPLAY_COUNT = "hub.replay.count"

Headers = list[tuple[str, bytes]]
Received = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None] | None


def context_headers(*, connector: str, stage: str, error_class: str, message: str, topic: str | None = None,
                    partition: int | None = None, offset: int | None = None, replay_count: int = 0) -> Headers:
    """The headers of one dead letter: where it came from, which stage refused it and why."""
    headers: Headers = [
        (f"{PREFIX}connector.name", connector.encode()),
        (f"{PREFIX}stage", stage.encode()),
        (f"{PREFIX}exception.class.name", error_class.encode()),
        (f"{PREFIX}exception.message", message.encode("utf-8")[:1000]),
    ]
    if topic is not None:
        headers.append((f"{PREFIX}topic", topic.encode()))
    if partition is not None:
        headers.append((f"{PREFIX}partition", str(partition).encode()))
    if offset is not None:
        headers.append((f"{PREFIX}offset", str(offset).encode()))
    if replay_count:
        headers.append((REPLAY_COUNT, str(replay_count).encode()))
    return headers


def header_map(headers: Received) -> dict[str, str]:
    """Headers of a consumed message as text (the last value of a repeated name wins)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    return {name: value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")
            for name, value in pairs}


def replay_count(headers: Received) -> int:
    value = header_map(headers).get(REPLAY_COUNT, "0")
    return int(value) if value.isdigit() else 0
