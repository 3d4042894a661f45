"""Exception types shared across the hub; each names one kind of failure so callers can react to it."""


class HubError(Exception):
    """Base of every error the hub raises on purpose; the CLI prints it as one line and exits non-zero."""


class SettingsError(HubError):
    """The configuration is missing a value or holds one that cannot be used."""


class InfraError(HubError):
    """A local service (Kafka, registry, Redis) could not be set up, started or reached."""


class RegistryUnavailableError(HubError):
    """The schema registry did not answer within the configured timeout."""


class SchemaMismatchError(HubError):
    """An event does not fit its Avro schema; the message names the offending field."""


class BadRecordError(HubError):
    """A department row cannot be read; it goes to the dead-letter topic with this reason."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
