"""The lean Redis connection of the ID lookup (`hub.window.resp`), against a real redis-server."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import uvloop
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub.window.problems import ReadModelUnavailableError
from hub.window.reader import guarded
from hub.window.resp import RespConnection
from tests.integration.window.conftest import _free_port, redis_server


def lean(url: str) -> RespConnection:
    found = RespConnection.like(Redis.from_url(url, socket_timeout=2.0).connection_pool.connection_kwargs)
    assert found is not None
    return found


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_concurrent_calls_each_get_their_own_reply(redis_url: str, loop: str) -> None:
    """Hundreds of commands of one loop turn share writes; every caller still gets its own reply (on
    asyncio's loop and on uvloop's, which `hub serve` runs)."""

    async def check() -> list[object]:
        conn = lean(redis_url)
        try:
            await asyncio.gather(*(conn.call("SET", f"resp:test:{i}", f"value {i}") for i in range(300)))
            return list(await asyncio.gather(*(conn.call("GET", f"resp:test:{i}") for i in range(300))))
        finally:
            conn.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop if loop == "uvloop" else None) as runner:
        assert runner.run(check()) == [f"value {i}".encode() for i in range(300)]


def test_an_error_reply_fails_its_caller_only(redis_url: str) -> None:
    async def check() -> list[object]:
        conn = lean(redis_url)
        try:
            await conn.call("SET", "resp:test:text", "not a number")
            return list(await asyncio.gather(conn.call("HGET", "resp:test:text", "f"), conn.call("ECHO", "ok"),
                                             return_exceptions=True))
        finally:
            conn.close()

    wrong, right = asyncio.run(check())
    assert isinstance(wrong, ResponseError) and "WRONGTYPE" in str(wrong)
    assert right == b"ok"


def test_a_script_redis_forgot_is_loaded_again(redis_url: str) -> None:
    async def check() -> tuple[object, object]:
        conn = lean(redis_url)
        sha = conn.script("return ARGV[1] .. KEYS[1]")
        try:
            first = await conn.evalsha(sha, ["k"], ["a"])
            await conn.call("SCRIPT", "FLUSH")
            return first, await conn.evalsha(sha, ["k"], ["b"])
        finally:
            conn.close()

    assert asyncio.run(check()) == (b"ak", b"bk")


def test_credentials_and_database_of_the_url_are_used() -> None:
    port = _free_port()
    with redis_server(port, "--requirepass", "s3cret"):
        url = f"redis://:s3cret@127.0.0.1:{port}/3"

        async def check() -> None:
            conn = lean(url)
            try:
                await conn.call("SET", "resp:test:db", "three")
            finally:
                conn.close()

        asyncio.run(check())
        assert SyncRedis.from_url(url).get("resp:test:db") == b"three"
        assert SyncRedis.from_url(f"redis://:s3cret@127.0.0.1:{port}/0").get("resp:test:db") is None


def test_redis_down_is_the_windows_503_and_the_connection_comes_back() -> None:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"

    async def call(conn: RespConnection) -> object:
        return await guarded(lambda: conn.call("ECHO", "up"))

    async def scenario() -> tuple[object, BaseException | None, object]:
        conn = lean(url)
        try:
            with redis_server(port):
                before = await call(conn)
            error: BaseException | None = None
            try:
                await call(conn)
            except ReadModelUnavailableError as exc:
                error = exc
            with redis_server(port):
                after = await call(conn)
            return before, error, after
        finally:
            conn.close()

    before, error, after = asyncio.run(scenario())
    assert before == b"up" and after == b"up"
    assert isinstance(error, ReadModelUnavailableError)
    assert isinstance(error.__cause__, RedisConnectionError)


def test_a_redis_that_does_not_answer_times_out() -> None:
    """A server that takes the connection and never replies: the call fails within about the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        conn = RespConnection("127.0.0.1", int(silent.getsockname()[1]), timeout_s=0.4)

        async def call() -> float:
            began = time.monotonic()
            with pytest.raises(RedisTimeoutError):
                await conn.call("PING")
            return time.monotonic() - began

        waited = asyncio.run(call())
        conn.close()
    assert 0.4 <= waited < 2.0


def test_a_pipeline_answers_in_order_and_raises_its_first_error_after_all_ran(redis_url: str) -> None:
    async def check() -> tuple[BaseException | None, object]:
        conn = lean(redis_url)
        try:
            await conn.call("DEL", "resp:test:list")
            error: BaseException | None = None
            try:
                await conn.pipeline([("LPUSH", "resp:test:list", "a"), ("HGET", "resp:test:list", "f"),
                                     ("LPUSH", "resp:test:list", "b")])
            except ResponseError as exc:
                error = exc
            return error, await conn.pipeline([("LRANGE", "resp:test:list", 0, -1), ("ECHO", "x")])
        finally:
            conn.close()

    error, after = asyncio.run(check())
    assert isinstance(error, ResponseError) and "WRONGTYPE" in str(error)
    assert after == [[b"b", b"a"], b"x"]  # the commands after the error ran, in order


def test_a_connection_made_on_a_finished_event_loop_is_replaced(redis_url: str) -> None:
    """A window built once and used from two event loops in turn (tests, a CLI calling asyncio.run twice):
    the second loop gets a connection of its own, the first one's is dropped without an error."""
    conn = lean(redis_url)
    try:
        assert asyncio.run(conn.call("ECHO", "first")) == b"first"
        assert asyncio.run(conn.call("ECHO", "second")) == b"second"
    finally:
        conn.close()
