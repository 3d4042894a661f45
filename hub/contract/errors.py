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


class BrokerUnavailableError(InfraError):
    """The Kafka broker did not answer within the configured timeout."""


class TopicSetupError(HubError):
    """The broker refused to create a topic the hub needs."""


class SchemaNotRegisteredError(HubError):
    """A schema the hub writes with is not in the registry yet (run `hub schemas register`)."""


class IncompatibleSchemaError(HubError):
    """The registry rejected a schema version as incompatible with the subject's earlier versions."""


class UndecodableEventError(HubError):
    """Message bytes cannot be decoded (bad framing or Avro body); a dead-letter candidate."""


class UnknownSchemaIdError(UndecodableEventError):
    """A message names a schema id the registry does not know; a dead-letter candidate."""


class RegistryRequestError(HubError):
    """The schema registry answered but refused a request (bad schema, unknown subject, server error)."""


class DeliveryError(HubError):
    """Kafka did not acknowledge produced events (timeout or broker error); nothing after them is checkpointed."""


class CheckpointError(HubError):
    """A connector's durable position (file checkpoint, table watermark) cannot be read or written."""


class SourceReadError(HubError):
    """A connector's input cannot be read as a whole (file unreadable, database unreachable or query refused)."""


class IngestAuthError(HubError):
    """An HTTP push carries no API key, or not the key of the department it pushes for."""


class IngestLimitError(HubError):
    """An HTTP push carries more rows than one push may (settings.connectors.ingest_max_rows)."""


class IngestBodyTooLargeError(IngestLimitError):
    """An HTTP push's body is larger than one push may be (settings.connectors.ingest_max_body_bytes)."""


class IngestMediaTypeError(HubError):
    """An HTTP push is not JSON (a CSV file or binary body): departments push JSON rows."""


class IngestBodyInvalidError(HubError):
    """An HTTP push's body is not valid JSON text (bad syntax, invalid UTF-8, a lone surrogate escape)."""
