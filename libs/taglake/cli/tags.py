"""`taglake tags`: compute a subject's tag snapshot for a date; `taglake snapshots`: list them."""

from __future__ import annotations

import datetime as dt

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option, tagdefs_option


@cli.command()
@click.option("--subject", "subjects", multiple=True, metavar="SUBJECT",
              help="Subject(s) to compute (repeatable). Default: every subject, in dependency order.")
@date_option("Snapshot date: windows end on this day (inclusive).")
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help="Compute tags with these lifecycle statuses (default: conf tags.statuses, i.e. online).")
@tagdefs_option
@common_options
@pass_app
def tags(app: AppContext, subjects: tuple[str, ...], date: dt.date, statuses: tuple[str, ...], tagdefs: str | None) -> None:
    """Compute tag snapshot DATE and write it to the subject's Delta tag tables.

    One scan per source computes all its tags; families are computed in long form; derived and
    cross-subject tags follow layer by layer. Readers of `taglake.tags_<subject>` switch to the new
    snapshot when it is complete. Re-running a date replaces it.
    """
    from pathlib import Path

    from taglake.compute.engine import compute_tags
    from taglake.tagdefs import load_library

    library = load_library(Path(tagdefs) if tagdefs else Path(app.settings.path(app.settings.tagdefs)), database=app.settings.database)
    results = compute_tags(app.spark, app.settings, library, date, list(subjects) or None, tuple(statuses) or None)
    for r in results:
        click.echo(f"{r.subject}: {r.tags:,} tags x {r.rows:,} rows in {r.groups} column groups, "
                   f"{r.rows_scanned:,} source rows scanned, {r.seconds:.1f}s"
                   + (f"; {r.version_changes} new/changed definitions" if r.version_changes else "")
                   + (f"; retention dropped {', '.join(map(str, r.expired))}" if r.expired else ""))
        for warning in r.warnings:
            click.echo(f"  warning: {warning}")
    db = app.settings.database
    click.echo(
        f"Query: SELECT * FROM {db}.tags_<subject>_latest  |  as of a date: ... FROM {db}.tags_<subject> WHERE snapshot_date = DATE'{date}'"
    )


@cli.command()
@click.option("--subject", help="Only this subject.")
@common_options
@pass_app
def snapshots(app: AppContext, subject: str | None) -> None:
    """List the retained tag snapshots: date, tags, rows, definitions hash, column groups, key buckets,
    and the model versions (and MLflow runs) that scored each."""
    from rich.console import Console
    from rich.table import Table

    from taglake.models.records import usages
    from taglake.snapshots.registry import SNAPSHOTS_TABLE

    table_name = app.settings.table(SNAPSHOTS_TABLE)
    if not app.spark.catalog.tableExists(table_name):
        click.echo("no snapshots yet; run `taglake tags` or `taglake nightly`")
        return
    df = app.spark.table(table_name)
    if subject:
        df = df.where(df.subject == subject)
    table = Table(title="tag snapshots", title_justify="left")
    scored: dict[tuple, list[str]] = {}
    for u in usages(app.spark, app.settings, subject):
        scored.setdefault((u["subject"], u["snapshot_date"]), []).append(
            f"{u['model'].split('.', 1)[-1]} v{u['version']} ({(u['model_run_id'] or '')[:8]})" if u["status"] == "scored"
            else f"{u['model'].split('.', 1)[-1]}: {u['status']}")
    for col in ("subject", "snapshot_date", "status", "tag_count", "row_count", "definitions_hash", "seconds", "groups", "buckets",
                "models"):
        table.add_column(col)
    for r in df.orderBy("subject", "snapshot_date").collect():
        table.add_row(
            r.subject,
            str(r.snapshot_date),
            r.status,
            f"{r.tag_count:,}",
            f"{r.row_count:,}",
            r.definitions_hash,
            f"{r.seconds:.1f}",
            str(len(r.group_versions or {})),
            str(r.asDict().get("buckets") or "—"),   # "—": written before the serving layout
            "\n".join(scored.get((r.subject, r.snapshot_date), [])),
        )
    Console().print(table)
