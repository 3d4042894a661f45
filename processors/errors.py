"""Failures of the streaming processors, one type per way they can go wrong."""

from __future__ import annotations

from hub.contract.errors import HubError


class ProcessorError(HubError):
    """Base of the processors' own errors."""


class PoisonEventError(ProcessorError):
    """A department event that can never be processed; it goes to the dead-letter topic."""

    def __init__(self, reason: str, *, field: str | None = None, record_key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.record_key = record_key


class SinkError(ProcessorError):
    """Redis or Kafka did not acknowledge a batch's writes after retries; the batch must be redelivered."""


class CorruptStateError(ProcessorError):
    """A stored engine record in Redis cannot be read back; restoring would give a different city."""


class CityPartitionError(ProcessorError):
    """A resolve-topic partition that is no served city's: `cities` was shortened or reordered."""
