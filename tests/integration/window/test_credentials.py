"""Credentials: the key is shown once and stored only hashed; rotate, revoke and expiry take effect."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from hub.settings import HubSettings
from hub.window.credentials import CredentialStore, hash_key
from hub.window.problems import CredentialInvalidError, CredentialMissingError, CredentialStoreError
from hub.window.purposes import default_policy
from hub.window.resp import RespConnection


def _run(settings: HubSettings, body):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        redis = Redis.from_url(settings.redis_url)
        try:
            return await body(CredentialStore(redis, "test:cred:", settings.city_code, default_policy()), redis)
        finally:
            await redis.aclose()

    return asyncio.run(go())


def test_lifecycle(settings: HubSettings) -> None:
    async def body(store: CredentialStore, redis: Redis) -> None:
        issued = await store.create("清波街道便民服务中心", ["330102/清波街道"], ["养老服务", "社会救助"], days=30)
        key = issued.key
        keys = [k for k in await redis.keys("test:cred:*") if await redis.type(k) == b"string"]
        dump = b"".join([v for k in keys if (v := await redis.get(k)) is not None])
        assert key.encode() not in dump and hash_key(key).encode() in dump
        assert (await store.authenticate(f"Bearer {key}")).id == issued.credential.id
        rotated = await store.rotate(issued.credential.id)
        with pytest.raises(CredentialInvalidError):
            await store.authenticate(f"Bearer {key}")
        assert (await store.authenticate(f"Bearer {rotated.key}")).name == "清波街道便民服务中心"
        await store.revoke(issued.credential.id)
        with pytest.raises(CredentialInvalidError):
            await store.authenticate(f"Bearer {rotated.key}")
        listed = await store.list_all()
        assert [c.id for c in listed] == [issued.credential.id] and listed[0].revoked_at is not None
        later = datetime.now(UTC) + timedelta(days=31)
        other = await store.create("上城区民政", ["330102"], ["社会救助"], days=30)
        with pytest.raises(CredentialInvalidError):
            await store.authenticate(f"Bearer {other.key}", now=later)

    _run(settings, body)


def test_bad_input(settings: HubSettings) -> None:
    async def body(store: CredentialStore, redis: Redis) -> None:
        for header in (None, "", "Basic abc", "Bearer"):
            with pytest.raises(CredentialMissingError):
                await store.authenticate(header)
        with pytest.raises(CredentialInvalidError):
            await store.authenticate("Bearer hk_' OR 1=1 --")
        with pytest.raises(CredentialStoreError):
            await store.create("x", ["110101"], ["养老服务"])  # another city
        with pytest.raises(CredentialStoreError):
            await store.create("x", ["330100"], ["算命"])

    _run(settings, body)


@pytest.mark.parametrize("through_lean", [False, True])
def test_a_worker_trusts_a_credential_it_read_for_cache_s_only(settings: HubSettings, through_lean: bool) -> None:
    """`hub serve` workers cache a key's credential briefly: a revoke made elsewhere (the CLI, another
    worker) takes effect within `cache_s`; one made through the same store at once; expiry always.
    The same whether the worker reads through redis-py or the read model's lean connection."""

    async def body(cli: CredentialStore, redis: Redis) -> None:
        lean = RespConnection.like(redis.connection_pool.connection_kwargs) if through_lean else None
        assert (lean is not None) is through_lean
        worker = CredentialStore(redis, "test:cred:", settings.city_code, default_policy(), cache_s=0.5,
                                 lean=lean)
        try:
            await _trusted_for_cache_s_only(cli, worker, redis)
            assert lean is None or lean._protocol is not None  # the worker's reads went through it
        finally:
            if lean is not None:
                lean.close()

    _run(settings, body)


async def _trusted_for_cache_s_only(cli: CredentialStore, worker: CredentialStore, redis: Redis) -> None:
    issued = await cli.create("缓存测试", ["330102"], ["养老服务"], days=1)
    bearer = f"Bearer {issued.key}"
    assert (await worker.authenticate(bearer)).id == issued.credential.id
    await redis.delete(f"test:cred:credkey:{hash_key(issued.key)}")  # no Redis read while cached:
    assert (await worker.authenticate(bearer)).id == issued.credential.id
    with pytest.raises(CredentialInvalidError):  # ...but expiry is checked every time
        await worker.authenticate(bearer, now=datetime.now(UTC) + timedelta(days=2))
    await asyncio.sleep(0.6)
    with pytest.raises(CredentialInvalidError):
        await worker.authenticate(bearer)
    other = await cli.create("缓存测试二", ["330102"], ["养老服务"], days=1)
    assert (await worker.authenticate(f"Bearer {other.key}")).name == "缓存测试二"
    await worker.revoke(other.credential.id)
    with pytest.raises(CredentialInvalidError):
        await worker.authenticate(f"Bearer {other.key}")
