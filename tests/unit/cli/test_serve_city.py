"""`hub serve --city`: the window of a hub that serves several cities answers from that city's read model."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import hub.api.app
from hub.cli.serve import register
from hub.settings import HubSettings


def hub_cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, so `serve` is named as on the command line
    register(app)
    return app


def test_serve_city_builds_the_app_on_that_citys_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[HubSettings] = []
    monkeypatch.setenv("HUB_CITIES", "330100,310100")
    monkeypatch.setenv("HUB_CITY_CODE", "330100")  # restored after the test: serve sets it for its workers

    def create_app(settings: HubSettings) -> HubSettings:
        built.append(settings)
        return settings

    monkeypatch.setattr(hub.api.app, "create_app", create_app)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    result = CliRunner().invoke(hub_cli(), ["serve", "--city", "310100"])
    assert result.exit_code == 0, result.output
    (settings,) = built
    assert settings.city_code == "310100"
    assert settings.processors.redis_prefix == "hub.310100:"
    assert settings.window.redis_prefix == "hub.310100:window:"


def test_serve_refuses_a_city_not_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CITIES", "330100,310100")
    monkeypatch.setenv("HUB_CITY_CODE", "330100")
    calls: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: calls.append(args))
    result = CliRunner().invoke(hub_cli(), ["serve", "--city", "110100"])
    assert result.exit_code != 0 and not calls
