"""`hub credentials`, `hub grants issue`, `hub audit verify`, `hub window reindex`: the window's commands.

Why commands and not an admin API: issuing a hall's key and checking the audit are operations for
the city's data office on the hub's host, not something a hall's network should reach. A key is
printed once, by `create` and `rotate`, and never again. `hub audit verify` exits 1 on a broken
chain so it can run from cron or a check. (`hub grants issue` stands in for the resident's app.)
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from redis.asyncio import Redis

from hub.contract.errors import HubError
from hub.readmodel.store import RedisKeys
from hub.settings import HubSettings, load_settings
from hub.window.audit import Spool, read_jsonl, verify_chain
from hub.window.config import window_settings
from hub.window.credentials import Credential, CredentialStore, IssuedKey
from hub.window.grants import issue_grant
from hub.window.purposes import load_policy
from hub.window.reader import build_birth_index

T = TypeVar("T")

credentials_app = typer.Typer(no_args_is_help=True, help="Credentials of service halls and department readers.")
grants_app = typer.Typer(no_args_is_help=True, help="Resident grants (扫码授权), standing in for the resident's app.")
audit_app = typer.Typer(no_args_is_help=True, help="The window's tamper-evident audit.")
window_app = typer.Typer(no_args_is_help=True, help="Service window maintenance.")


def _with_redis(work: Callable[[HubSettings, Redis], Awaitable[T]]) -> T:
    settings = load_settings()

    async def run() -> T:
        redis = Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
        try:
            return await work(settings, redis)
        finally:
            await redis.aclose()  # type: ignore[attr-defined]

    return asyncio.run(run())


def _store(settings: HubSettings, redis: Redis) -> CredentialStore:
    """The credential store of the commands: every change goes to the credentials topic first."""
    from hub.window.credential_journal import CredentialJournal

    ws = window_settings(settings)
    return CredentialStore(redis, ws.redis_prefix, settings.city_code, load_policy(ws.purposes_file),
                           journal=CredentialJournal(settings))


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


def _print_issued(issued: IssuedKey, as_json: bool) -> None:
    data: dict[str, Any] = {**issued.credential.public(), "key": issued.key}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"{issued.credential.id}  {issued.credential.name}  expires {issued.credential.expires_at:%Y-%m-%d}")
    typer.echo(f"key (shown once, store it now): {issued.key}")


@credentials_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="hall or reader, e.g. 清波街道便民服务中心")],
    jurisdiction: Annotated[str, typer.Option(help="CODE[,CODE…]: the city code, district codes, or district/街道")],
    purposes: Annotated[str, typer.Option(help="P[,P…]: purposes from purposes.toml")],
    days: Annotated[int, typer.Option(help="days until the credential expires")] = 365,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Create a credential and print its key once."""
    issued = _with_redis(lambda s, r: _store(s, r).create(name, _split(jurisdiction), _split(purposes), days=days))
    _print_issued(issued, as_json)


@credentials_app.command("rotate")
def rotate(credential_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A new key for a credential; the old key stops working at once."""
    _print_issued(_with_redis(lambda s, r: _store(s, r).rotate(credential_id)), as_json)


@credentials_app.command("revoke")
def revoke(credential_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Revoke a credential (effective on the next request)."""
    done: Credential = _with_redis(lambda s, r: _store(s, r).revoke(credential_id))
    typer.echo(json.dumps(done.public(), ensure_ascii=False) if as_json else f"{done.id} revoked")


@credentials_app.command("list")
def list_credentials(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every credential, without keys."""
    found: list[Credential] = _with_redis(lambda s, r: _store(s, r).list_all())
    if as_json:
        typer.echo(json.dumps([c.public() for c in found], ensure_ascii=False))
        return
    for c in found:
        state = "revoked" if c.revoked_at else f"expires {c.expires_at:%Y-%m-%d}"
        typer.echo(f"{c.id}  {c.name}  {','.join(c.jurisdiction)}  {','.join(c.purposes)}  {state}")


@credentials_app.command("restore")
def restore(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Write every credential's latest state from the credentials topic back into Redis (after Redis was lost)."""
    count = restore_from_kafka()
    typer.echo(json.dumps({"restored": count}) if as_json else f"{count} credential(s) restored from Kafka")


def restore_from_kafka() -> int:
    """The credentials topic's latest states into Redis (`hub credentials restore`, `hub rebuild`); how many."""
    return _with_redis(restore_from_topic)


async def restore_from_topic(settings: HubSettings, redis: Redis) -> int:
    """The credentials topic's latest states into Redis; how many."""
    from hub.window.credential_journal import read_credentials, restore_credentials

    states = await asyncio.to_thread(read_credentials, settings)
    return await restore_credentials(_store(settings, redis), states)


@grants_app.command("issue")
def issue(
    citizen: Annotated[str, typer.Option(help="citizen id (C-…)")],
    purpose: Annotated[str, typer.Option(help="the purpose the resident authorises")],
    ttl: Annotated[int, typer.Option(help="seconds the grant lives")] = 300,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Sign a grant for one citizen and purpose (what the resident's app would show as a QR code)."""
    settings = load_settings()
    ws = window_settings(settings)
    if load_policy(ws.purposes_file).get(purpose) is None:
        raise typer.BadParameter(f"unknown purpose {purpose}")
    if not 1 <= ttl <= ws.grant_max_ttl_s:
        raise typer.BadParameter(f"ttl must be 1 to {ws.grant_max_ttl_s} seconds")
    token = issue_grant(ws.grant_key.get_secret_value().encode("utf-8"), citizen, purpose, ttl_s=ttl)
    typer.echo(json.dumps({"grant": token, "citizen_id": citizen, "purpose": purpose, "ttl_s": ttl},
                          ensure_ascii=False) if as_json else token)


@audit_app.command("verify")
def verify(
    files: Annotated[list[Path] | None, typer.Argument(
        help="JSON-lines audit files (exports or a spool); default: the audit topic, then this host's spool")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the audit chain; exits 1 if an entry was removed, altered or reordered."""
    rows = _audit_rows(files)
    report = verify_chain(rows)
    if as_json:
        typer.echo(report.model_dump_json())
    else:
        typer.echo(f"{report.events} events in {len(report.chains)} chain(s): {'intact' if report.ok else 'BROKEN'}")
        for problem in report.problems[:50]:
            typer.echo(f"  {problem}")
    if not report.ok:
        sys.stdout.flush()
        raise typer.Exit(1)


@audit_app.command("export")
def export(out: Annotated[Path, typer.Option("--out", help="JSON-lines file to write")]) -> None:
    """Write the audit topic and this host's spool as JSON lines (the sealed events), for archiving or checks."""
    rows = _audit_rows(None)
    out.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    typer.echo(f"{len(rows)} audit events -> {out}")


def _audit_rows(files: list[Path] | None) -> list[dict[str, Any]]:
    """The sealed events of `files`, or of the audit topic followed by the spool's events not yet sent."""
    if files:
        rows: list[dict[str, Any]] = []
        for path in files:
            if not path.exists():
                raise HubError(f"no audit file {path}")
            rows.extend(read_jsonl(path))
        return rows
    from hub.window.audit_topic import read_audit_topic

    settings = load_settings()
    rows = list(read_audit_topic(settings))
    rows.extend(Spool(window_settings(settings).spool_path()).pending_rows())  # those not forwarded yet
    return rows


@window_app.command("reindex")
def reindex() -> None:
    """Build the birth-date index name + birth date searches use, from the read model's citizens."""
    def work(settings: HubSettings, redis: Redis) -> Awaitable[int]:
        secret = settings.citizen_id_key.get_secret_value().encode("utf-8")
        return build_birth_index(redis, RedisKeys(settings.processors.redis_prefix), secret)

    typer.echo(f"{_with_redis(work)} citizens indexed by birth date")


def register(app: typer.Typer) -> None:
    app.add_typer(credentials_app, name="credentials")
    app.add_typer(grants_app, name="grants")
    app.add_typer(audit_app, name="audit")
    app.add_typer(window_app, name="window")
