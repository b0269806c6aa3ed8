"""Segment commands: `taglake segments` (evaluate), `taglake profile` (TGI portraits),
`taglake export` (channel files). A bad segment definition is reported in one line per problem,
before Spark starts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option, tagdefs_option

segments_option = click.option("--segments", "segments_dir", metavar="DIR",
                               help="Segment definitions folder (default: <tagdefs>/segments).")


def _split(values: tuple[str, ...] | str | None) -> list[str]:
    items = values if isinstance(values, tuple) else (values or "",)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


@cli.command()
@date_option("Tag snapshot date to evaluate on.")
@click.option("--segment", "names", multiple=True, metavar="NAME",
              help="Only these segments (repeatable or comma-separated); default: every active segment.")
@click.option("--check", is_flag=True, help="Only validate the definitions and show the plan (no Spark).")
@tagdefs_option
@segments_option
@common_options
@pass_app
def segments(app: AppContext, date: dt.date, names: tuple[str, ...], check: bool, tagdefs: str | None,
             segments_dir: str | None) -> None:
    """Evaluate segments on tag snapshot DATE: membership to `segment_members`, sizes, entered and
    exited since the previous evaluation, definition hash and tag versions to `segment_stats`.

    All segments of a subject are evaluated with one read of the tag columns they reference.
    Re-running a date replaces it. Rules are written in the language of docs/segments.md.
    """
    from taglake.segments.compile import plan
    from taglake.segments.evaluate import by_subject
    from taglake.segments.job import load

    _library, library = load(app.settings, tagdefs, segments_dir)
    wanted = _split(names)
    for name in wanted:
        library.get(name)
    selected = wanted or library.active()
    if check:
        for subject, subject_names in sorted(by_subject(library, selected).items()):
            p = plan(library, subject_names)
            click.echo(f"{subject}: {len(p.order)} segment(s) ({len(subject_names)} asked), {len(p.tags)} tag column(s) "
                       f"read once, {len(p.steps)} step(s), {p.ranked_steps} with top-N")
        for name in library.order(selected):
            seg = library.segments[name]
            click.echo(f"  {name:<32} {seg.definition_hash}  [{seg.spec.status}] {seg.describe()}")
        click.echo(f"OK: {len(library)} segment(s) valid.")
        return
    if not selected:
        click.echo(f"no active segments under {library.root}")
        return
    from rich.console import Console

    from taglake.segments.evaluate import evaluate
    from taglake.segments.report import results_table

    results = evaluate(app.spark, app.settings, library, date, selected)
    titles = {n: s.spec.display_name for n, s in library.segments.items()}
    Console().print(results_table(results, titles, date))
    db = app.settings.database
    click.echo(f"Members: SELECT * FROM {db}.segment_members WHERE snapshot_date = DATE'{date}' AND segment = '...'")


@cli.command()
@click.argument("segment")
@click.option("--vs", "base", metavar="SEGMENT[:GROUP]", help="Compare with this segment (or split group) instead of everyone.")
@click.option("--tags", "tags", multiple=True, metavar="T1,T2",
              help="Tags to profile (comma-separated or repeated); default: the segment's profile_tags.")
@date_option("Snapshot date (default: the latest date the segment was evaluated).", default=False)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write the portrait to this CSV file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True,
              help="Print a terminal table, or CSV on standard output.")
@click.option("--top", "top_values", type=int, default=15, show_default=True, help="Text values shown per tag (the rest: (其他)).")
@tagdefs_option
@segments_option
@common_options
@pass_app
def profile(app: AppContext, segment: str, base: str | None, tags: tuple[str, ...], date: dt.date | None,
            csv_path: str | None, fmt: str, top_values: int, tagdefs: str | None, segments_dir: str | None) -> None:
    """Portrait of SEGMENT (or SEGMENT:GROUP): per value of each tag (numeric tags in buckets), the
    segment's count and share, the base's share and TGI = segment share / base share × 100.

    The base is everyone in the snapshot, or --vs another segment (A/B: `--vs spring_ab:B`).
    Printed as a table (or CSV), and written to the `segment_profiles` table.
    """
    from taglake.segments import profile as P
    from taglake.segments import store
    from taglake.segments.job import load

    library, segments = load(app.settings, tagdefs, segments_dir)
    target = P.parse_target(segments, segment)
    vs = P.parse_target(segments, base) if base else None
    chosen = _split(tags) or list(segments.get(target.segment).spec.profile_tags)
    spark = app.spark
    if date is None:
        done = sorted({r["snapshot_date"] for r in store.stats_rows(spark, app.settings, [target.segment])})
        if not done:
            raise click.UsageError(f"segment {target.segment!r} has not been evaluated yet; pass --date or run `taglake segments`")
        date = done[-1]
    result = P.profile(spark, app.settings, library, segments, target, date, chosen, vs, top_values)
    P.save(spark, app.settings, result)
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            P.to_csv(result, handle)
    if fmt == "csv":
        P.to_csv(result, click.get_text_stream("stdout"))
        return
    from rich.console import Console

    from taglake.segments.report import profile_table

    Console().print(profile_table(result))
    if csv_path:
        click.echo(f"CSV: {csv_path}")


@cli.command()
@click.argument("segment")
@date_option("Snapshot date of the membership to export.", required=True)
@click.option("--columns", "columns", multiple=True, metavar="C1,C2",
              help="Tags and identifiers (phone, email, wechat_unionid, ...) to include; comma-separated or repeated.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Folder for the file and its manifest.")
@click.option("--mask", "masked", multiple=True, metavar="C1,C2", help="Columns to mask (138****0000).")
@click.option("--include-holdout", is_flag=True, help="Also export the holdout group of a split (normally never contacted).")
@tagdefs_option
@segments_option
@common_options
@pass_app
def export(app: AppContext, segment: str, date: dt.date, columns: tuple[str, ...], fmt: str, out: str,
           masked: tuple[str, ...], include_holdout: bool, tagdefs: str | None, segments_dir: str | None) -> None:
    """Write SEGMENT's (or SEGMENT:GROUP's) members on DATE with the chosen columns to one CSV or
    Parquet file in OUT, plus `<file>.manifest.json` (row count, definition hash, snapshot, versions)."""
    from taglake.segments.export import export as run_export
    from taglake.segments.job import load
    from taglake.segments.profile import parse_target

    library, segments = load(app.settings, tagdefs, segments_dir)
    target = parse_target(segments, segment)
    manifest = run_export(app.spark, app.settings, library, segments, target, date, _split(columns), fmt, Path(out),
                          _split(masked), include_holdout)
    click.echo(f"{manifest.row_count:,} rows -> {Path(out) / manifest.file} (manifest: "
               f"{Path(out) / manifest.file.rsplit('.', 1)[0]}.manifest.json; definition {manifest.definition_hash})")
