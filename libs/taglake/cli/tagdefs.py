"""Tag-definition commands: validate, list, explain, graph, discover. Only `discover` (and
`validate` without --offline) start Spark; the others read YAML and answer in about a second."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option, tagdefs_option


def _root(app: AppContext, tagdefs: str | None) -> Path:
    return Path(tagdefs) if tagdefs else Path(app.settings.path(app.settings.tagdefs))


def _library(app: AppContext, tagdefs: str | None, schemas=None):
    from taglake.tagdefs import load_library

    return load_library(_root(app, tagdefs), schemas=schemas, database=app.settings.database)




@cli.command()
@tagdefs_option
@click.option("--offline", is_flag=True, help="Skip checking source columns against the catalog (no Spark; about a second).")
@common_options
@pass_app
def validate(app: AppContext, tagdefs: str | None, offline: bool) -> None:
    """Check every tag definition and report all problems at once.

    Shape (unknown keys, types, allowed values), references (subjects, sources, tags, relations),
    expressions (parsed as Spark SQL; no subqueries, window functions, UDFs or non-deterministic
    functions), types in comparisons, layers, lifecycle status and dependency cycles. Unless
    --offline, the columns each expression reads are checked against the catalog's tables.
    """
    schemas = None
    if not offline:
        from taglake.tagdefs.schemas import SparkSchemas

        schemas = SparkSchemas(app.spark)
    library = _library(app, tagdefs, schemas)
    counts = ", ".join(f"{s}: {len(t):,}" for s, t in sorted(library.tags.items()))
    generated = sum(len(f.tags) for f in library.families.values())
    click.echo(f"OK: {len(library.all_tags()):,} tags ({counts}); {len(library.families)} families generate {generated:,}; "
               f"columns {'checked against the catalog' if schemas else 'not checked (--offline)'}.")


@cli.command("list")
@tagdefs_option
@click.option("--subject", help="Only this subject's tags.")
@click.option("--family", help="Report one family's expansion: dimensions, values, generated tags.")
@click.option("--status", multiple=True, help="Only tags with this lifecycle status (repeatable).")
@click.option("--kind", help="Only tags of this kind.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", type=int, default=200, show_default=True, help="Rows to print in table format (0 = all).")
@common_options
@pass_app
def list_tags(app: AppContext, tagdefs: str | None, subject: str | None, family: str | None, status: tuple[str, ...],
              kind: str | None, fmt: str, limit: int) -> None:
    """List tags with their metadata, or (--family) report how a family expands."""
    library = _library(app, tagdefs)
    if family:
        _family_report(library, family, fmt, limit)
        return
    tags = [t for t in library.all_tags()
            if (not subject or t.subject == subject) and (not status or t.status in status) and (not kind or t.kind == kind)]
    if subject and subject not in library.subjects:
        raise click.BadParameter(f"unknown subject {subject!r}; subjects: {', '.join(sorted(library.subjects))}", param_hint="--subject")
    rows = [{
        "subject": t.subject, "name": t.name, "display_name": t.display_name, "kind": t.kind, "layer": t.layer,
        "type": t.type, "status": t.status, "family": t.family or "", "category": "/".join(t.category),
        "owner": t.owner, "business_line": t.business_line, "version": t.version,
    } for t in sorted(tags, key=lambda t: (t.subject, t.family or "", t.origin.file, t.origin.line, t.name))]
    if fmt == "table":  # the terminal gets the columns that fit; csv/json get everything
        rows = [{k: r[k] for k in ("subject", "name", "display_name", "kind", "layer", "type", "status", "family")} for r in rows]
    _emit(rows, fmt, limit, title=f"{len(rows):,} tags")


def _family_report(library, name: str, fmt: str, limit: int) -> None:
    info = library.families.get(name)
    if info is None:
        raise click.BadParameter(f"unknown family {name!r}; families: {', '.join(sorted(library.families))}", param_hint="--family")
    spec = info.spec
    tags = [library.tags[spec.subject][n] for n in info.tags]
    if fmt == "table":
        click.echo(f"family {name} ({spec.kind}, subject {spec.subject}, {info.origin})")
        for dim, values in info.values.items():
            source = "discovered (families.lock.yaml)" if spec.by[dim].discover else "listed"
            click.echo(f"  {dim}: {len(values)} values, {source}: {', '.join(values[:12])}{' …' if len(values) > 12 else ''}")
        if getattr(spec, "windows", None):
            click.echo(f"  windows: {', '.join(str(w) for w in spec.windows)}")
        if getattr(spec, "metrics", None):
            click.echo(f"  metrics: {', '.join(spec.metrics)}")
        click.echo(f"  = {len(tags):,} tags")
    rows = [{"name": t.name, "display_name": t.display_name, "type": t.type,
             **{d: v for d, v in t.cell.dims}, "window": t.cell.window if t.cell.window is not None else "",
             "metric": t.cell.metric or ""} for t in tags]
    _emit(rows, fmt, limit, title=None)


def _emit(rows: list[dict], fmt: str, limit: int, title: str | None) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    if fmt == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    if rows:
        for col in rows[0]:
            table.add_column(col, overflow="fold")
    shown = rows if not limit else rows[:limit]
    for row in shown:
        table.add_row(*[str(v) for v in row.values()])
    Console().print(table)
    if limit and len(rows) > limit:
        click.echo(f"… {len(rows) - limit:,} more (use --limit 0 or --format csv)")


@cli.command()
@click.argument("tag")
@tagdefs_option
@common_options
@pass_app
def explain(app: AppContext, tag: str, tagdefs: str | None) -> None:
    """Show how TAG is computed: its metadata, source, compiled Spark SQL, and what it depends on
    and what depends on it (TAG is `name` or `subject.name`)."""
    from rich.console import Console
    from rich.table import Table

    from taglake.compiler import contribution
    from taglake.compiler.contributions import FamilySql, PreferenceSql

    library = _library(app, tagdefs)
    ref = library.resolve(tag)
    t = library.tag(ref)
    graph = library.dag()
    c = contribution(t, library)
    console = Console()
    meta = Table(show_header=False, title=f"{ref}  {t.display_name}", title_justify="left")
    meta.add_column(style="bold")
    meta.add_column(overflow="fold")
    rows = [
        ("description", t.description), ("kind", t.kind + (f" (family {t.family})" if t.family else "")),
        ("layer", t.layer), ("type", t.type), ("domain", ", ".join(map(str, t.domain)) if t.domain else "—"),
        ("status", t.status), ("category", " / ".join(t.category)), ("owner", t.owner),
        ("business line", t.business_line),
        ("visibility", f"business lines: {', '.join(t.visibility.business_lines)}; regions: {', '.join(t.visibility.regions)}"),
        ("frequency", t.frequency), ("version", str(t.version)), ("definition hash", library.definition_hash(t)),
        ("defined at", f"{t.origin} ({t.origin.path})"),
        ("time zone", f"{app.settings.timezone} (conf `timezone` of {app.settings.name}): the day boundaries of windows, "
                      "days since and the snapshot date, and hour() / dayofweek() in expressions"),
    ]
    if t.source:
        src = library.sources[t.source]
        rows.append(("source", f"{t.source}: {src.table or src.path}" + (f" where {src.where}" if src.where else "")))
    if isinstance(c, PreferenceSql):
        from taglake.compiler import sqlkit

        measure = sqlkit.aggregate("sum" if c.measure_sql else "count", c.condition_sql, c.measure_sql)
        pick = c.pick_sql.replace("{m}", "measure")
        rows.append(("compiled", f"phase 1 per (key, value = {c.dimension_sql}): {measure}\nphase 2 per key: {pick}"))
    elif isinstance(c, FamilySql):
        from taglake.compiler.builders.family import standalone_sql

        rows.append(("compiled", standalone_sql(t) + "\n(computed in long form with the rest of the family, then pivoted)"))
    else:
        rows.append(("compiled", getattr(c, "sql", "")))
    direct_up = sorted(map(str, graph.dependencies(ref)))
    direct_down = sorted(map(str, graph.dependents(ref)))
    rows.append(("depends on", ", ".join(direct_up) or "— (reads its source only)"))
    rows.append(("all upstream", f"{len(graph.upstream(ref))} tags"))
    rows.append(("used by", ", ".join(direct_down) or "—"))
    rows.append(("all downstream", f"{len(graph.downstream(ref))} tags (what breaks if it goes offline)"))
    for key, value in rows:
        meta.add_row(key, value)
    console.print(meta)


@cli.command()
@tagdefs_option
@click.option("--tag", "tag", help="Only the tags TAG depends on and the tags depending on it.")
@click.option("--subject", help="Only this subject's tags (and cross-subject edges into them).")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--expand-families", is_flag=True, help="One node per generated tag instead of one per family.")
@common_options
@pass_app
def graph(app: AppContext, tagdefs: str | None, tag: str | None, subject: str | None, fmt: str, expand_families: bool) -> None:
    """Print the tag dependency graph as Mermaid (default) or Graphviz DOT.

    Families are drawn as one node each unless --expand-families. Paste Mermaid into any Markdown
    viewer; render DOT with `dot -Tsvg`.
    """
    library = _library(app, tagdefs)
    dag = library.dag()
    nodes = set(dag.nodes)
    if tag:
        ref = library.resolve(tag)
        nodes = {ref} | dag.upstream(ref) | dag.downstream(ref)
    if subject:
        nodes = {n for n in nodes if n.subject == subject or any(d.subject == subject for d in dag.dependents(n))}

    def label(ref) -> str:
        t = library.tag(ref)
        if t.family and not expand_families:
            return f"{ref.subject}.family.{t.family}"
        return str(ref)

    edges = sorted(
        {(label(dep), label(n)) for n in nodes for dep in dag.dependencies(n) if dep in nodes} - {(a, a) for a in map(label, nodes)}
    )
    names = sorted({label(n) for n in nodes})
    ident = {name: f"n{i}" for i, name in enumerate(names)}
    if fmt == "dot":
        click.echo("digraph taglake {\n  rankdir=LR;")
        for name in names:
            click.echo(f'  {ident[name]} [label="{name}"];')
        for a, b in edges:
            click.echo(f"  {ident[a]} -> {ident[b]};")
        click.echo("}")
    else:
        click.echo("graph LR")
        for name in names:
            click.echo(f'  {ident[name]}["{name}"]')
        for a, b in edges:
            click.echo(f"  {ident[a]} --> {ident[b]}")


@cli.command()
@tagdefs_option
@date_option("Data up to this date.")
@common_options
@pass_app
def discover(app: AppContext, tagdefs: str | None, date: dt.date) -> None:
    """Find dimension values for families that discover them from data (e.g. the top 500
    categories) and write tagdefs/families.lock.yaml. Review the diff before committing it:
    a new value is a new tag column."""
    from taglake.compute.discover import refresh_lock

    path = refresh_lock(app.spark, app.settings, _root(app, tagdefs), date)
    click.echo(f"wrote {path}")
