"""Failures of the operations commands, one type per way they can go wrong (all HubErrors)."""

from __future__ import annotations

from hub.contract.errors import HubError


class OpsError(HubError):
    """Base of the operations errors."""


class DeadLetterNotFoundError(OpsError):
    """No dead letter has the id asked for (`hub dlq show`)."""


class BadDeadLetterIdError(OpsError):
    """A dead-letter id is not of the form `<source>:<partition>:<offset>`."""


class ReplayError(OpsError):
    """A replay could not run (its progress or audit cannot be written, Kafka refused the rows)."""
