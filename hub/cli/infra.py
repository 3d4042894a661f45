"""`hub infra up | down | status | stop SERVICE | start SERVICE`: the local Kafka, schema registry and Redis
the hub and its tests use; `stop` and `start` of one service are the operator's fault drills."""

from __future__ import annotations

import json
import time

import typer

from hub.infra import stack
from hub.infra.config import load_infra_config

infra_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Local Kafka (KRaft), Apicurio schema registry and Redis, on loopback. Settings: HUB_INFRA__*.",
)


@infra_app.command("up")
def up_command() -> None:
    """Start whatever does not answer yet, wait for it, and write the addresses to .hub/env."""
    cfg = load_infra_config()
    began = time.monotonic()
    results = stack.up(cfg, progress=lambda line: typer.echo(line, err=True))
    for result in results:
        how = f"started in {result.seconds:.1f} s" if result.action == "started" else "already running"
        typer.echo(f"{result.name:<9} {result.address:<42} pid {result.pid}  {how}")
    typer.echo(f"infra up in {time.monotonic() - began:.1f} s; addresses in {cfg.paths.env_file}")


@infra_app.command("down")
def down_command(
    wipe: bool = typer.Option(False, "--wipe", help="Also delete the local data (Kafka log, Redis files, logs)."),
) -> None:
    """Stop the services `hub infra up` started (by pid: SIGTERM, wait, then SIGKILL)."""
    cfg = load_infra_config()
    for result in stack.down(cfg, wipe=wipe):
        what = f"stopped pid {result.stopped_pid}" if result.stopped_pid else "was not running"
        typer.echo(f"{result.name:<9} {what}{'; data wiped' if result.wiped else ''}")


SERVICE_HELP = "kafka, registry or redis"


@infra_app.command("stop")
def stop_command(service: str = typer.Argument(..., help=SERVICE_HELP)) -> None:
    """Stop one service and keep its data (a fault drill: its clients keep running and must recover)."""
    result = stack.stop_service(load_infra_config(), service)
    typer.echo(f"{result.name:<9} {f'stopped pid {result.stopped_pid}' if result.stopped_pid else 'was not running'}")


@infra_app.command("start")
def start_command(service: str = typer.Argument(..., help=SERVICE_HELP)) -> None:
    """Start one service again and wait until it answers (the registry needs Kafka up)."""
    result = stack.start_service(load_infra_config(), service)
    how = f"started in {result.seconds:.1f} s" if result.action == "started" else "already running"
    typer.echo(f"{result.name:<9} {result.address:<42} pid {result.pid}  {how}")


@infra_app.command("status")
def status_command(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object keyed by service name."),
) -> None:
    """Show each service's address and whether it answers; exits 1 when any does not."""
    cfg = load_infra_config()
    statuses = stack.status(cfg)
    if as_json:
        payload = {s.name: {"address": s.address, "up": s.up, "pid": s.pid, "log": str(s.log)} for s in statuses}
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(f"{'SERVICE':<9} {'STATE':<5} {'PID':<8} ADDRESS")
        for s in statuses:
            typer.echo(f"{s.name:<9} {'up' if s.up else 'down':<5} {s.pid or '-'!s:<8} {s.address}")
    if not all(s.up for s in statuses):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.add_typer(infra_app, name="infra")
