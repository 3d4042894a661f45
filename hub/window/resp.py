"""A lean Redis connection for the window's hottest read: commands pipelined, replies parsed by hiredis.

Why not redis-py for it: an ID lookup is one script call, and redis-py's asyncio client spent more
CPU on its per-call machinery (pool checkout, command packing, response callbacks, connection
health checks) than Redis spent running the script (bench/window.py, docs/performance.md). Here
every command of the same event-loop turn, whichever request sent it, leaves in one socket write on
one connection (auto-pipelining), and the replies come back in order, each to its own future; hiredis
(C) parses them. Replies are what redis-py gives without `decode_responses`: bytes, ints, lists.

Failures are redis-py's exception types (`ConnectionError`, `TimeoutError`, `ResponseError`), so
`hub.window.reader.guarded` maps them to the window's 503 as it does redis-py's. A lost or timed-out
connection fails every command in flight on it and is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["RespConnection", "RespProtocol", "encode_command"]

Arg = str | bytes | int


def encode_command(args: tuple[Arg, ...]) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RespProtocol(asyncio.Protocol):
    """One socket: commands queued in one turn go out in one write; each reply settles the oldest future.

    `timeout_s`: a watchdog (not a timer per call) fails the connection when its oldest command has
    waited longer; the replies are in order, so the oldest is the one that would answer first."""

    def __init__(self, timeout_s: float | None = None) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.parser = hiredis.Reader()
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()  # (reply, sent at)
        self.outgoing: list[bytes] = []
        self.lost: Exception | None = None
        self.loop = asyncio.get_running_loop()
        self.timeout_s = timeout_s

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)  # uvloop's are not asyncio's classes
        if self.timeout_s is not None:
            self.loop.call_later(self.timeout_s / 4, self._watch)

    def _watch(self) -> None:
        if self.lost is not None or self.timeout_s is None:
            return
        if self.waiting and self.loop.time() - self.waiting[0][1] > self.timeout_s:
            self.fail(RedisTimeoutError(f"Redis did not answer within {self.timeout_s} s"))
            return
        self.loop.call_later(self.timeout_s / 4, self._watch)

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost is not None or self.transport is None:
            raise RedisConnectionError("the Redis connection is closed")
        reply: asyncio.Future[Any] = self.loop.create_future()
        if not self.outgoing:
            self.loop.call_soon(self._flush)
        self.outgoing.append(command)
        self.waiting.append((reply, self.loop.time()))
        return reply

    def _flush(self) -> None:
        data, self.outgoing = b"".join(self.outgoing), []
        if data and self.transport is not None and self.lost is None:
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.parser.feed(data)
        try:
            while (reply := self.parser.gets()) is not False:
                if not self.waiting:
                    raise hiredis.ProtocolError("a reply nobody asked for")
                future = self.waiting.popleft()[0]
                if future.done():  # its caller gave up (cancelled): the reply is dropped, the order kept
                    continue
                if isinstance(reply, hiredis.ReplyError):
                    future.set_exception(ResponseError(str(reply)))
                else:
                    future.set_result(reply)
        except hiredis.ProtocolError as exc:
            self.fail(RedisConnectionError(f"Redis protocol error: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError(f"the Redis connection was lost: {exc or 'closed by the server'}"))

    def fail(self, error: Exception) -> None:
        """Fail everything in flight and close: the replies can no longer be matched to their callers."""
        if self.lost is None:
            self.lost = error
        while self.waiting:
            future = self.waiting.popleft()[0]
            if not future.done():
                future.set_exception(error)
        if self.transport is not None and not self.loop.is_closed():  # else its loop took it down already
            self.transport.close()


class RespConnection:
    """`call(*args)` on one auto-pipelined connection to `host:port` (db, credentials as the URL gave them)."""

    def __init__(self, host: str, port: int, *, db: int = 0, username: str | None = None,
                 password: str | None = None, timeout_s: float | None = None) -> None:
        self.host, self.port, self.db = host, port, db
        self.username, self.password = username, password
        self.timeout_s = timeout_s
        self._protocol: RespProtocol | None = None
        self._connecting: asyncio.Future[RespProtocol] | None = None
        self._scripts: dict[str, str] = {}  # sha1 -> text, for EVALSHA's NOSCRIPT fallback

    @classmethod
    def like(cls, kwargs: dict[str, Any]) -> RespConnection | None:
        """A connection to where a redis-py pool's `connection_kwargs` point, or None (a unix socket, TLS)."""
        if "path" in kwargs or kwargs.get("ssl") or "host" not in kwargs:
            return None
        timeout = kwargs.get("socket_timeout")
        return cls(str(kwargs["host"]), int(kwargs.get("port", 6379)), db=int(kwargs.get("db") or 0),
                   username=kwargs.get("username"), password=kwargs.get("password"),
                   timeout_s=float(timeout) if timeout is not None else None)

    async def _ready(self) -> RespProtocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            if protocol.loop is asyncio.get_running_loop():
                return protocol
            protocol.fail(RedisConnectionError("the Redis connection belongs to another event loop"))
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> RespProtocol:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: RespProtocol(self.timeout_s), self.host, self.port), self.timeout_s)
        except TimeoutError as exc:
            raise RedisTimeoutError(f"Redis at {self.host}:{self.port} did not accept in time") from exc
        except OSError as exc:
            raise RedisConnectionError(f"Redis at {self.host}:{self.port}: {exc}") from exc
        setup: list[tuple[Arg, ...]] = []
        if self.password is not None:
            setup.append(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password))
        if self.db:
            setup.append(("SELECT", self.db))
        try:
            for args in setup:
                await protocol.send(encode_command(args))
        except ResponseError as exc:
            protocol.fail(RedisConnectionError(f"Redis refused the connection's setup: {exc}"))
            raise RedisConnectionError(f"Redis at {self.host}:{self.port} refused AUTH or SELECT") from exc
        self._protocol = protocol
        return protocol

    def _open(self) -> RespProtocol | None:
        """The connection when it is open on the running loop (no coroutine on the hot path), else None."""
        protocol = self._protocol
        if protocol is not None and protocol.lost is None and protocol.loop is asyncio.get_running_loop():
            return protocol
        return None

    async def call(self, *args: Arg) -> Any:
        """One command's reply; ResponseError for Redis's error replies, ConnectionError/TimeoutError else."""
        protocol = self._open() or await self._ready()
        return await protocol.send(encode_command(args))

    async def pipeline(self, commands: Sequence[tuple[Arg, ...]]) -> list[Any]:
        """Several commands sent together (no transaction), their replies in order; the first error
        reply is raised once every reply came."""
        protocol = await self._ready()
        pending = [protocol.send(encode_command(args)) for args in commands]
        replies: list[Any] = []
        error: ResponseError | None = None
        for reply in pending:  # settled in order: after the first, the others are mostly done already
            try:
                replies.append(await reply)
            except ResponseError as exc:
                error = error or exc
                replies.append(exc)
        if error is not None:
            raise error
        return replies

    def script(self, text: str) -> str:
        """Register a Lua script for `evalsha`; its SHA-1."""
        sha = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        self._scripts[sha] = text
        return sha

    async def evalsha(self, sha: str, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        """Run a registered script by its SHA-1, loading it with EVAL when Redis does not hold it (NOSCRIPT)."""
        protocol = self._open() or await self._ready()
        try:
            return await protocol.send(encode_command(("EVALSHA", sha, len(keys), *keys, *args)))
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call("EVAL", self._scripts[sha], len(keys), *keys, *args)

    def close(self) -> None:
        if self._protocol is not None:
            self._protocol.fail(RedisConnectionError("the Redis connection was closed"))
            self._protocol = None
