"""`hub schemas register|list`: put the schema catalogue into the registry and show what is there."""

from __future__ import annotations

import typer

from hub.settings import load_settings
from hub.wire.schema_catalog import subjects

# the registry client (confluent-kafka's) loads inside the commands, not at every `hub` start

schemas_app = typer.Typer(no_args_is_help=True, help="Avro schemas in the registry.")


@schemas_app.command("register")
def register_schemas() -> None:
    """Register every schema version of the catalogue, oldest first, and set each subject's compatibility."""
    from hub.wire.registry_client import SchemaRegistry
    from hub.wire.schema_sync import sync_catalogue

    settings = load_settings()
    with SchemaRegistry.from_settings(settings) as registry:
        outcomes = sync_catalogue(registry, settings)
    width = max(len(o.subject) for o in outcomes)
    for o in outcomes:
        versions = " ".join(
            f"v{v.version}=id{v.schema_id}({'registered' if v.created else 'exists'})" for v in o.versions
        )
        compat = f"{o.compatibility}{' (set)' if o.compatibility_set else ''}"
        typer.echo(f"{o.subject:<{width}}  {versions}  {compat}")
    created = sum(v.created for o in outcomes for v in o.versions)
    typer.echo(f"{len(outcomes)} subjects, {created} versions newly registered")


@schemas_app.command("list")
def list_schemas() -> None:
    """Show each catalogue subject: local versions, registered versions, latest id, compatibility."""
    from hub.wire.registry_client import SchemaRegistry

    settings = load_settings()
    specs = subjects(settings)
    width = max(len(s.subject) for s in specs)
    with SchemaRegistry.from_settings(settings) as registry:
        registry.ping()
        typer.echo(f"{'SUBJECT':<{width}}  LOCAL  REGISTERED  LATEST-ID  COMPATIBILITY")
        for spec in specs:
            state = registry.state(spec.subject)
            registered = ",".join(str(v) for v in state.versions) or "-"
            typer.echo(
                f"{spec.subject:<{width}}  {len(spec.versions()):>5}  {registered:>10}  "
                f"{state.latest_id if state.latest_id is not None else '-':>9}  {state.compatibility or '-'}"
            )
        others = [s for s in registry.subjects() if s not in {spec.subject for spec in specs}]
    if others:
        typer.echo(f"({len(others)} other subjects in the registry, not in the catalogue)")


def register(app: typer.Typer) -> None:
    app.add_typer(schemas_app, name="schemas")
