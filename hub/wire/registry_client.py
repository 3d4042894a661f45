"""Thin wrapper over confluent-kafka's SchemaRegistryClient: bounded timeouts, hub error types, caches.

The hub talks to Apicurio Registry through its Confluent-compatible API (`/apis/ccompat/v7`).
Ids handed out there are Apicurio content ids: the same schema text gets the same id in every
subject, and `GET /schemas/ids/{id}` resolves them, which is all the wire format needs.
A registry that is down must fail fast with RegistryUnavailableError, never hang a producer.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from hub.contract.errors import (
    IncompatibleSchemaError,
    RegistryRequestError,
    RegistryUnavailableError,
    UnknownSchemaIdError,
)
from hub.settings import HubSettings

T = TypeVar("T")


def _http_error_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeout, transport) exception types of whichever HTTP library the client uses.

    confluent-kafka 2.16 prefers httpx2 and falls back to httpx; their exceptions are distinct
    classes, so both families are caught.
    """
    timeouts: list[type[BaseException]] = []
    transports: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transports.append(module.TransportError)
    return tuple(timeouts), tuple(transports)


_TIMEOUT_ERRORS, _TRANSPORT_ERRORS = _http_error_types()

#: Returned by _call_or_missing when the registry answers 404 (unknown subject, version, schema or config).
_MISSING = object()


@dataclass(frozen=True)
class Registration:
    subject: str
    schema_id: int
    created: bool


@dataclass(frozen=True)
class SubjectState:
    subject: str
    versions: list[int]
    latest_id: int | None
    compatibility: str | None


class SchemaRegistry:
    """The hub's view of the registry: register, look up, fetch by id, compatibility."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        *,
        max_retries: int = 1,
        client: SchemaRegistryClient | None = None,
    ) -> None:
        """`client` replaces the HTTP client (tests pass confluent-kafka's mock://)."""
        self.url = url
        self.timeout_s = timeout_s
        self._client = client or SchemaRegistryClient(
            {
                "url": url,
                "timeout": timeout_s,
                "max.retries": max_retries,
                "retries.wait.ms": 100,
                "retries.max.wait.ms": 500,
            }
        )
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], int] = {}
        self._texts: dict[int, str] = {}
        self.requests = 0  # registry round trips made through this wrapper (tests check caching)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> SchemaRegistry:
        return cls(settings.registry_url, settings.request_timeout_s)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SchemaRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- error translation -------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one client call, turning transport and registry failures into hub errors."""
        result = self._call_or_missing(what, fn, missing_ok=False)
        assert result is not _MISSING
        return result  # type: ignore[return-value]

    def _call_or_missing(self, what: str, fn: Callable[[], T], *, missing_ok: bool = True) -> T | object:
        """Like _call, but a 404 answer returns _MISSING instead of raising (when missing_ok)."""
        self.requests += 1
        try:
            return fn()
        except _TIMEOUT_ERRORS:
            raise RegistryUnavailableError(
                f"schema registry at {self.url} did not answer within {self.timeout_s:g}s ({what})"
            ) from None
        except _TRANSPORT_ERRORS as exc:
            raise RegistryUnavailableError(
                f"schema registry at {self.url} is unreachable ({what}: {type(exc).__name__})"
            ) from None
        except SchemaRegistryError as exc:
            status = exc.http_status_code
            if status == 404 and missing_ok:
                return _MISSING
            if status == 409:
                raise IncompatibleSchemaError(f"{what}: {exc.error_message}") from None
            if status in (502, 503, 504):
                raise RegistryUnavailableError(
                    f"schema registry at {self.url} is unavailable ({what})"
                ) from None
            raise RegistryRequestError(
                f"{what}: registry answered {status} ({exc.error_code}): {exc.error_message}"
            ) from None

    # -- schemas ------------------------------------------------------------------------------

    def lookup(self, subject: str, schema_text: str) -> int | None:
        """The id of this exact schema under the subject, or None when it is not registered there."""
        key = (subject, schema_text)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        found = self._call_or_missing(
            f"look up {subject}", lambda: self._client.lookup_schema(subject, Schema(schema_text, "AVRO"))
        )
        if not isinstance(found, RegisteredSchema) or found.schema_id is None:
            return None
        self._remember(subject, schema_text, found.schema_id)
        return found.schema_id

    def register(self, subject: str, schema_text: str) -> Registration:
        """Register the schema under the subject unless it is already there (idempotent)."""
        existing = self.lookup(subject, schema_text)
        if existing is not None:
            return Registration(subject, existing, created=False)
        schema_id = self._call(
            f"register {subject}", lambda: self._client.register_schema(subject, Schema(schema_text, "AVRO"))
        )
        self._remember(subject, schema_text, schema_id)
        return Registration(subject, schema_id, created=True)

    def _remember(self, subject: str, schema_text: str, schema_id: int) -> None:
        with self._lock:
            self._ids[(subject, schema_text)] = schema_id
            self._texts.setdefault(schema_id, schema_text)

    def schema_text(self, schema_id: int) -> str:
        """The schema text behind an id from a message header (cached for the life of the process)."""
        with self._lock:
            if schema_id in self._texts:
                return self._texts[schema_id]
        schema = self._call_or_missing(
            f"fetch schema id {schema_id}", lambda: self._client.get_schema(schema_id)
        )
        if not isinstance(schema, Schema) or schema.schema_str is None:
            raise UnknownSchemaIdError(f"schema id {schema_id} is not known to the registry")
        with self._lock:
            self._texts[schema_id] = schema.schema_str
        return schema.schema_str

    def is_compatible(self, subject: str, schema_text: str) -> bool:
        """Whether the registry would accept this schema as the subject's next version."""
        return bool(
            self._call(
                f"test compatibility of {subject}",
                lambda: self._client.test_compatibility(subject, Schema(schema_text, "AVRO")),
            )
        )

    # -- subjects and compatibility -----------------------------------------------------------

    def subjects(self, prefix: str | None = None) -> list[str]:
        names = self._call("list subjects", lambda: self._client.get_subjects())
        return sorted(n for n in names if prefix is None or n.startswith(prefix))

    def versions(self, subject: str) -> list[int]:
        """Registered version numbers of a subject; empty when the subject does not exist."""
        found = self._call_or_missing(
            f"list versions of {subject}", lambda: self._client.get_versions(subject)
        )
        if not isinstance(found, list):
            return []
        return sorted(int(v) for v in found)

    def version_id(self, subject: str, version: int) -> int | None:
        registered = self._call(
            f"get {subject} version {version}", lambda: self._client.get_version(subject, version)
        )
        return registered.schema_id

    def set_compatibility(self, subject: str, level: str) -> None:
        self._call(f"set compatibility of {subject}", lambda: self._client.set_compatibility(subject, level))

    def compatibility(self, subject: str) -> str | None:
        """The subject's own compatibility level, or None when it has none set."""
        found = self._call_or_missing(
            f"get compatibility of {subject}", lambda: self._client.get_compatibility(subject)
        )
        return found if isinstance(found, str) else None

    def delete_subject(self, subject: str) -> bool:
        """Delete a subject (soft, then permanent); False when the registry has deletes disabled."""
        try:
            self._call(f"delete {subject}", lambda: self._client.delete_subject(subject))
            self._call(f"purge {subject}", lambda: self._client.delete_subject(subject, permanent=True))
        except RegistryRequestError:
            return False
        with self._lock:
            for key in [k for k in self._ids if k[0] == subject]:
                del self._ids[key]
        return True

    def state(self, subject: str) -> SubjectState:
        versions = self.versions(subject)
        latest_id = self.version_id(subject, versions[-1]) if versions else None
        compatibility = self.compatibility(subject) if versions else None
        return SubjectState(subject, versions, latest_id, compatibility)

    def ping(self) -> None:
        """Raise RegistryUnavailableError unless the registry answers a cheap request."""
        self._call("ping", lambda: self._client.get_subjects())


@lru_cache(maxsize=8)
def _shared(url: str, timeout_s: float) -> SchemaRegistry:
    return SchemaRegistry(url, timeout_s)


def shared_registry(settings: HubSettings) -> SchemaRegistry:
    """One registry wrapper per process and URL, so its caches serve every serializer."""
    return _shared(settings.registry_url, settings.request_timeout_s)
