"""The contract at the bottom of the hub: what every other room agrees on and nothing else.

- `records`: the department record models (what a department's row means, docs/departments.md);
- `sources`: the five departments' source names;
- `timezone`: China Standard Time, the zone of every update time given without an offset;
- `errors`: the error root `HubError` and the shared failure kinds.

It imports nothing else of the hub, so the engine, the wire, the connectors, the processors and
the window can all stand on it (docs/architecture.md).
"""
