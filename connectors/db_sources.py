"""Reading a department table in watermark order from PostgreSQL (psycopg 3) or MySQL/MariaDB (PyMySQL).

One query shape for both: rows strictly after the watermark ``(update time, key)``, ordered by
``(update time, key)``, at most `limit` of them::

    WHERE upd > %s OR (upd = %s AND key > %s) ORDER BY upd, key LIMIT %s

Strictly-greater on the pair (not on the time alone) means rows sharing one update time are neither
skipped nor read twice when a batch ends among them. Rows whose update time or key is NULL cannot be
ordered and are not read (they are bad rows by definition: both are required). Identifiers are quoted by
the driver's rules; values are always bound parameters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from hub.contract.errors import SourceReadError

__all__ = ["TableReader", "Watermark", "open_reader", "redact_dsn"]

logger = logging.getLogger(__name__)

Row = dict[str, Any]


class Watermark(BaseModel):
    """The (update time, key) of the last row published, typed so it binds as the column's own type."""

    kind: Literal["datetime", "date", "int", "decimal", "str"]
    value: str
    key: str

    @classmethod
    def of(cls, updated: Any, key: Any) -> Watermark:
        if isinstance(updated, datetime):
            return cls(kind="datetime", value=updated.isoformat(), key=str(key))
        if isinstance(updated, date):
            return cls(kind="date", value=updated.isoformat(), key=str(key))
        if isinstance(updated, bool):
            raise SourceReadError("a boolean column cannot be an update time")
        if isinstance(updated, int):
            return cls(kind="int", value=str(updated), key=str(key))
        if isinstance(updated, Decimal | float):
            return cls(kind="decimal", value=str(updated), key=str(key))
        return cls(kind="str", value=str(updated), key=str(key))

    def updated(self) -> Any:
        if self.kind == "datetime":
            return datetime.fromisoformat(self.value)
        if self.kind == "date":
            return date.fromisoformat(self.value)
        if self.kind == "int":
            return int(self.value)
        if self.kind == "decimal":
            return Decimal(self.value)
        return self.value


class TableReader(Protocol):
    def fetch_after(self, watermark: Watermark | None, limit: int) -> list[Row]: ...

    def close(self) -> None: ...


def redact_dsn(dsn: str) -> str:
    """The DSN without its password (for checkpoint keys and log lines)."""
    if "://" in dsn:
        parsed = urlparse(dsn)
        if parsed.password is not None:
            netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
            return parsed._replace(netloc=netloc).geturl()
        return dsn
    return re.sub(r"password\s*=\s*('[^']*'|\S+)", "password=***", dsn)


def open_reader(dsn: str, table: str, key_column: str, updated_column: str, timeout_s: float) -> TableReader:
    """A reader for the DSN's database: postgresql://… (or libpq key=value) or mysql://… / mariadb://…."""
    scheme = dsn.split("://", 1)[0].lower() if "://" in dsn else "postgresql"
    if scheme in ("postgresql", "postgres"):
        return PostgresReader(dsn, table, key_column, updated_column, timeout_s)
    if scheme in ("mysql", "mariadb", "mysql+pymysql"):
        return MysqlReader(dsn, table, key_column, updated_column, timeout_s)
    raise SourceReadError(f"unsupported database {scheme!r}: use postgresql://… or mysql://…")


def _table_parts(table: str) -> list[str]:
    parts = [p for p in table.split(".") if p]
    if not parts or len(parts) > 2:
        raise SourceReadError(f"table {table!r} is not `name` or `schema.name`")
    return parts


class _SqlReader:
    """The watermark query on a DB-API connection; subclasses connect and build the two statements."""

    _conn: Any
    _first: Any
    _after: Any
    _errors: tuple[type[BaseException], ...]

    def fetch_after(self, watermark: Watermark | None, limit: int) -> list[Row]:
        params: Sequence[Any]
        if watermark is None:
            query, params = self._first, (limit,)
        else:
            value = watermark.updated()
            query, params = self._after, (value, value, watermark.key, limit)
        try:
            with self._conn.cursor() as cur:
                cur.execute(query, params)
                return list(cur.fetchall())
        except self._errors as exc:
            raise SourceReadError(f"query on the department table failed: {_first_line(exc)}") from None

    def close(self) -> None:
        self._conn.close()


class PostgresReader(_SqlReader):
    def __init__(self, dsn: str, table: str, key_column: str, updated_column: str, timeout_s: float) -> None:
        import psycopg
        from psycopg import sql
        from psycopg.rows import dict_row

        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        try:
            self._conn = psycopg.connect(
                dsn, autocommit=True, connect_timeout=max(1, int(timeout_s)), row_factory=dict_row
            )
        except psycopg.Error as exc:
            raise SourceReadError(f"cannot connect to {redact_dsn(dsn)}: {_first_line(exc)}") from None
        name = sql.Identifier(*_table_parts(table))
        upd, key = sql.Identifier(updated_column), sql.Identifier(key_column)
        self._first = sql.SQL(
            "SELECT * FROM {t} WHERE {u} IS NOT NULL AND {k} IS NOT NULL ORDER BY {u}, {k} LIMIT %s"
        ).format(t=name, u=upd, k=key)
        self._after = sql.SQL(
            "SELECT * FROM {t} WHERE {k} IS NOT NULL AND ({u} > %s OR ({u} = %s AND {k} > %s)) "
            "ORDER BY {u}, {k} LIMIT %s"
        ).format(t=name, u=upd, k=key)

def _mysql_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MysqlReader(_SqlReader):
    def __init__(self, dsn: str, table: str, key_column: str, updated_column: str, timeout_s: float) -> None:
        import pymysql
        import pymysql.cursors

        self._errors: tuple[type[BaseException], ...] = (pymysql.MySQLError,)
        parsed = urlparse(dsn)
        try:
            self._conn = pymysql.connect(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 3306,
                user=unquote(parsed.username or ""),
                password=unquote(parsed.password or ""),
                database=parsed.path.lstrip("/") or None,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=max(1, int(timeout_s)),
                cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.MySQLError as exc:
            raise SourceReadError(f"cannot connect to {redact_dsn(dsn)}: {_first_line(exc)}") from None
        t = ".".join(_mysql_ident(p) for p in _table_parts(table))
        u, k = _mysql_ident(updated_column), _mysql_ident(key_column)
        self._first = f"SELECT * FROM {t} WHERE {u} IS NOT NULL AND {k} IS NOT NULL ORDER BY {u}, {k} LIMIT %s"
        self._after = (
            f"SELECT * FROM {t} WHERE {k} IS NOT NULL AND ({u} > %s OR ({u} = %s AND {k} > %s)) "
            f"ORDER BY {u}, {k} LIMIT %s"
        )

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
