"""Credentials outlive Redis: every change reaches the credentials topic first, and a restore from it
brings back working keys, rotated keys stay dead and revoked credentials stay revoked."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from hub.contract.errors import DeliveryError
from hub.settings import HubSettings
from hub.window.credential_journal import CredentialJournal, read_credentials, restore_credentials
from hub.window.credentials import CredentialStore
from hub.window.problems import CredentialInvalidError
from hub.window.purposes import load_policy
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics


@pytest.fixture
def journal_settings(infra: HubSettings, settings: HubSettings) -> HubSettings:
    """The real broker and registry, its own credentials topic, the window tests' throwaway Redis."""
    tag = f"c{uuid.uuid4().hex[:8]}"
    topics = infra.topics.model_copy(update={"credentials": f"{tag}.window.credentials.v1"})
    configured = infra.model_copy(update={"topics": topics, "redis_url": settings.redis_url})
    ensure_topics(configured)
    sync_catalogue(SchemaRegistry.from_settings(configured), configured)
    return configured


def _store(settings: HubSettings, redis: Redis, prefix: str, *, journal: bool = True) -> CredentialStore:
    return CredentialStore(redis, prefix, settings.city_code, load_policy(),
                           journal=CredentialJournal(settings) if journal else None)


def test_redis_lost_then_credentials_restored_from_kafka(journal_settings: HubSettings) -> None:
    prefix = f"t{uuid.uuid4().hex[:6]}:"

    async def run() -> None:
        redis = Redis.from_url(journal_settings.redis_url)
        try:
            store = _store(journal_settings, redis, prefix)
            kept = await store.create("清波街道", ["330102"], ["养老服务"])
            rotated = await store.create("望江街道", ["330102"], ["综合受理"])
            fresh = await store.rotate(rotated.credential.id)
            revoked = await store.create("湖滨街道", ["330102"], ["养老服务"])
            await store.revoke(revoked.credential.id)

            lost = [key async for key in redis.scan_iter(match=f"{prefix}*")]
            assert lost, "the store wrote Redis"
            await redis.delete(*lost)  # Redis lost its data
            with pytest.raises(CredentialInvalidError):
                await store.authenticate(f"Bearer {kept.key}")

            states = await asyncio.to_thread(read_credentials, journal_settings)
            assert set(states) == {kept.credential.id, rotated.credential.id, revoked.credential.id}
            restored = _store(journal_settings, redis, prefix, journal=False)
            assert await restore_credentials(restored, states) == 3

            assert (await restored.authenticate(f"Bearer {kept.key}")).id == kept.credential.id
            assert (await restored.authenticate(f"Bearer {fresh.key}")).id == rotated.credential.id
            for dead in (rotated.key, revoked.key):  # the key before the rotation, the revoked one
                with pytest.raises(CredentialInvalidError):
                    await restored.authenticate(f"Bearer {dead}")
            listed = {c.id: c for c in await restored.list_all()}
            assert listed[revoked.credential.id].revoked_at is not None
            assert "hk_" not in str(states), "the topic holds key hashes, never keys"
        finally:
            await redis.aclose()

    asyncio.run(run())


def test_a_change_kafka_cannot_take_is_refused_and_not_stored(journal_settings: HubSettings) -> None:
    prefix = f"t{uuid.uuid4().hex[:6]}:"
    unreachable = journal_settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:9",  # nothing listens
                                                      "request_timeout_s": 2.0})
    unreachable = unreachable.model_copy(update={"window": unreachable.window.model_copy(
        update={"audit_timeout_s": 2.0})})

    async def run() -> None:
        redis = Redis.from_url(journal_settings.redis_url)
        try:
            store = _store(unreachable, redis, prefix)
            with pytest.raises(DeliveryError):
                await store.create("清波街道", ["330102"], ["养老服务"])
            assert [key async for key in redis.scan_iter(match=f"{prefix}*")] == []
        finally:
            await redis.aclose()

    asyncio.run(run())


def test_cli_restore_brings_back_what_cli_create_wrote(journal_settings: HubSettings) -> None:
    """As an operator after losing Redis: `hub credentials restore`, then the hall's key lists again."""
    import json

    import redis as sync_redis
    import typer
    from typer.testing import CliRunner

    from hub.cli import window as cli

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    cli.register(app)
    prefix = f"t{uuid.uuid4().hex[:6]}:"
    env = {"HUB_REDIS_URL": journal_settings.redis_url, "HUB_WINDOW__REDIS_PREFIX": prefix,
           "HUB_TOPICS__CREDENTIALS": journal_settings.topics.credentials}
    runner = CliRunner()
    made = runner.invoke(app, ["credentials", "create", "--name", "清波街道", "--jurisdiction", "330102",
                               "--purposes", "养老服务", "--json"], env=env)
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    client = sync_redis.Redis.from_url(journal_settings.redis_url)
    client.delete(*client.scan_iter(match=f"{prefix}*"))
    assert json.loads(runner.invoke(app, ["credentials", "list", "--json"], env=env).output) == []
    restored = runner.invoke(app, ["credentials", "restore", "--json"], env=env)
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.output) == {"restored": 1}
    listed = json.loads(runner.invoke(app, ["credentials", "list", "--json"], env=env).output)
    assert [c["id"] for c in listed] == [created["id"]]
