"""`hub topics ensure|plan`: create the hub's Kafka topics from the declared policy."""

from __future__ import annotations

import typer

from hub.settings import load_settings
from hub.wire.topics import ensure_topics, plan

topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics of the hub.")


@topics_app.command("ensure")
def ensure() -> None:
    """Create missing topics; existing ones are reported ("exists") and left unchanged. The internal resolve
    topic gets one partition per served city (one added for a city appended to `cities`)."""
    from processors.setup import ensure_resolve_topic

    settings = load_settings()
    outcomes = ensure_topics(settings)
    width = max(len(o.name) for o in outcomes)
    for o in outcomes:
        drift = f"  differs from policy: {'; '.join(o.drift)}" if o.drift else ""
        typer.echo(f"{o.name:<{width}}  {o.status:<7}  partitions={o.partitions}{drift}")
    created = sum(o.status == "created" for o in outcomes)
    typer.echo(f"{len(outcomes)} topics: {created} created, {len(outcomes) - created} existed")
    cities = ensure_resolve_topic(settings)
    typer.echo(f"{settings.processors.resolve_topic}: {cities} partition(s), one per city served")


@topics_app.command("plan")
def show_plan() -> None:
    """Print the topics `ensure` would create, with partitions and config (no broker needed)."""
    for p in plan(load_settings()):
        config = " ".join(f"{k}={v}" for k, v in sorted(p.config.items()))
        typer.echo(f"{p.name}  {p.kind.value}  partitions={p.partitions}  {config}")


def register(app: typer.Typer) -> None:
    app.add_typer(topics_app, name="topics")
