"""The window's commands: a key printed once as JSON, `hub audit verify` failing on one altered entry."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import typer
from fastapi import FastAPI
from typer.testing import CliRunner

from hub.cli import window as cli
from hub.settings import HubSettings
from tests.integration.window.conftest import CHEN_ID, Env


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    cli.register(app)
    return app


def test_credentials_commands(settings: HubSettings) -> None:
    runner, app = CliRunner(), _app()
    env = {"HUB_REDIS_URL": settings.redis_url}
    made = runner.invoke(app, ["credentials", "create", "--name", "清波街道", "--jurisdiction", "330102",
                               "--purposes", "养老服务,综合受理", "--json"], env=env)
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    assert created["key"].startswith("hk_") and created["purposes"] == ["养老服务", "综合受理"]
    listed = runner.invoke(app, ["credentials", "list", "--json"], env=env)
    assert created["key"] not in listed.output and created["id"] in listed.output
    rotated = runner.invoke(app, ["credentials", "rotate", created["id"], "--json"], env=env)
    assert json.loads(rotated.output)["key"] != created["key"]
    assert runner.invoke(app, ["credentials", "revoke", created["id"]], env=env).exit_code == 0
    bad = runner.invoke(app, ["credentials", "create", "--name", "x", "--jurisdiction", "110101",
                              "--purposes", "养老服务"], env=env)
    assert bad.exit_code != 0


def test_grant_issue(settings: HubSettings) -> None:
    out = CliRunner().invoke(_app(), ["grants", "issue", "--citizen", "C-abc", "--purpose", "医疗卫生", "--json"],
                             env={"HUB_REDIS_URL": settings.redis_url})
    assert out.exit_code == 0 and json.loads(out.output)["grant"].count(".") == 1


def test_audit_verify_passes_then_fails_after_one_alteration(env: Env, tmp_path: Path) -> None:
    key = env.key("上城区", ["330102"], ["养老服务"])
    env.sink.down = True  # everything stays in the spool file
    for _ in range(3):
        env.client.get("/citizens", params={"id_number": CHEN_ID},
                       headers={"Authorization": f"Bearer {key}", "X-Purpose": "养老服务".encode(),
                                "X-Case-Id": "SL-1"})
    spool = env.spool()
    runner, app = CliRunner(), _app()
    ok = runner.invoke(app, ["audit", "verify", str(spool)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    lines = spool.read_bytes().splitlines()
    row = orjson.loads(lines[1])
    row["purpose"] = "医疗卫生"
    lines[1] = orjson.dumps(row)
    spool.write_bytes(b"\n".join(lines) + b"\n")
    broken = runner.invoke(app, ["audit", "verify", str(spool)])
    assert broken.exit_code == 1 and "altered" in broken.output


def test_openapi_lists_the_window(env: Env) -> None:
    app = env.client.app
    assert isinstance(app, FastAPI)
    paths = app.openapi()["paths"]
    for path in ("/citizens", "/citizens/{citizen_id}", "/addresses/{address_id}/residents",
                 "/organizations/{credit_code}", "/citizens/{citizen_id}/disclosures",
                 "/citizens/{citizen_id}/reports"):
        assert path in paths
    params = {p["name"] for p in paths["/citizens"]["get"]["parameters"]}
    assert {"authorization", "x-purpose", "x-case-id", "id_number", "name", "birth_date", "phone"} <= params
