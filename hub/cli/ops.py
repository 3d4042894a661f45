"""`hub lag`, `hub dlq list|show|replay`, `hub quality report`: the operations commands (hub/ops/)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, cast

import typer

from hub.contract.sources import SOURCES, Source
from hub.settings import load_settings

__all__ = ["register"]

dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: counts by reason, one letter masked, replay.")
quality_app = typer.Typer(no_args_is_help=True, help="Data quality (多元校核): conflicts, rejects, link rates.")


def _lag(as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines.")] = False,
         why: Annotated[bool, typer.Option("--why", help="Add the rule and its evidence per partition.")] = False,
         ) -> None:
    """Lag of every consumer group the hub expects: events, seconds, and Burrow's status over a window."""
    from hub.ops.lag import collect

    report = collect(load_settings())
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    for g in report.groups:
        seconds = "-" if g.max_lag_seconds is None else f"{g.max_lag_seconds:.1f}s"
        typer.echo(f"{g.group}  {g.status}  total lag {g.total_lag}  oldest {seconds}  "
                   f"({g.state}, {g.members} members)")
        width = max((len(p.topic) for p in g.partitions), default=5)
        typer.echo(f"  {'TOPIC':<{width}}  PART  COMMITTED       END       LAG   LAG-S  STATUS")
        for p in g.partitions:
            committed = "-" if p.committed is None else str(p.committed)
            secs = "-" if p.lag_seconds is None else f"{p.lag_seconds:.1f}"
            line = (f"  {p.topic:<{width}}  {p.partition:>4}  {committed:>9}  {p.end:>8}  {p.lag:>8}  "
                    f"{secs:>6}  {p.status}")
            typer.echo(line + (f"  {p.evidence}" if why else ""))


def _source(value: str) -> Source:
    if value not in SOURCES:
        raise typer.BadParameter(f"expected one of {', '.join(SOURCES)}")
    return cast(Source, value)


@dlq_app.command("list")
def dlq_list(source: Annotated[str, typer.Argument(help="Department: civil_affairs, health, hrss, tax, commerce.")],
             page: Annotated[int, typer.Option(min=1, help="Page of letters to list.")] = 1,
             size: Annotated[int, typer.Option(min=1, max=1000, help="Letters per page.")] = 20,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Dead letters of a department: counts by reason, then one page of letters (ids for `hub dlq show`)."""
    from hub.ops.dlq import list_letters

    found = list_letters(load_settings(), _source(source), page=page, size=size)
    if as_json:
        typer.echo(found.model_dump_json())
        return
    typer.echo(f"{found.total} dead letters of {found.source}")
    for r in found.by_reason:
        typer.echo(f"  {r.count:>8}  {r.reason}")
    if found.letters:
        typer.echo(f"page {found.page}:")
    for letter in found.letters:
        typer.echo(f"  {letter.id}  {letter.failed_at:%Y-%m-%d %H:%M:%S}  {letter.field or '-'}  {letter.reason}")


@dlq_app.command("show")
def dlq_show(letter_id: Annotated[str, typer.Argument(help="<source>:<partition>:<offset>, from `hub dlq list`.")]
             ) -> None:
    """One dead letter with its context headers; ID numbers, phones and names masked. The read is audited."""
    from hub.ops.dlq import show_letter

    typer.echo(json.dumps(show_letter(load_settings(), letter_id), ensure_ascii=False, indent=2))


@dlq_app.command("replay")
def dlq_replay(source: Annotated[str, typer.Argument(help="Department whose dead letters to replay.")],
               reason: Annotated[str | None, typer.Option(help="Only letters whose reason contains this.")] = None,
               since: Annotated[datetime | None, typer.Option(help="Only letters that failed at or after this "
                                                                       "(ISO time, China Standard Time if naive).")]
               = None,
               dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would pass; publish nothing.")]
               = False) -> None:
    """Re-read dead letters with today's readers; republish the rows that now pass, leave the rest (audited)."""
    from hub.contract.timezone import CST
    from hub.ops.dlq import replay

    when = since.replace(tzinfo=CST) if since is not None and since.tzinfo is None else since
    result = replay(load_settings(), _source(source), reason=reason, since=when, dry_run=dry_run)
    typer.echo(result.model_dump_json(indent=2))


def register(app: typer.Typer) -> None:
    app.command("lag")(_lag)
    app.add_typer(dlq_app, name="dlq")
    app.add_typer(quality_app, name="quality")


@quality_app.command("report")
def quality_report(as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """Conflicts per department pair and field, rejects per department and reason, link/merge/split rates."""
    from hub.ops.quality import report

    found = report(load_settings())
    if as_json:
        typer.echo(found.model_dump_json())
        return
    typer.echo("conflicts (authoritative > contradicting, field):")
    for c in found.conflicts:
        typer.echo(f"  {c.count:>8}  {c.authoritative} > {c.contradicting}  {c.field}")
    typer.echo("rejected rows (department, reason):")
    for r in found.rejected:
        typer.echo(f"  {r.count:>8}  {r.source}  {r.reason}")
    typer.echo("resolution per day and policy version:")
    for o in found.outcomes:
        typer.echo(f"  {o.day}  policy {o.policy}  {o.records} records  link rate {o.link_rate}  "
                   f"merges/1k {o.merge_rate}  splits/1k {o.split_rate}  {o.counts}")
    typer.echo("unmatched IDs (records with an ID whose master holds no other department):")
    for u in found.unmatched_ids:
        typer.echo(f"  {u.source}  {u.unmatched}/{u.records_with_id}  rate {u.rate}")
    typer.echo("counter feedback reports (department: open / closed):")
    for f in found.feedback:
        typer.echo(f"  {f.owner}: {f.open} / {f.closed}")
