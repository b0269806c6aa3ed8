"""Runtime commands: setup, demo data, the nightly run and the demo."""

from __future__ import annotations

import datetime as dt
import inspect
import logging

import click

from taglake.cli.app import DATE, AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option

log = logging.getLogger(__name__)

@cli.command()
@common_options
@pass_app
def setup(app: AppContext) -> None:
    """Fetch the JVM-side jars (Delta) from Maven Central into the local cache, once, and compile
    taglake's own reader (jvm/, the serving tables' data source) with javac.

    Later Spark sessions load the cached jars and never download mid-run. `make setup` calls this.
    """
    from pathlib import Path

    from taglake.runtime.jars import resolve_jars
    from taglake.runtime.java import check_java
    from taglake.runtime.jvm import wide_jar

    settings = app.settings
    major = check_java()
    if not settings.jars.ivy_cache:
        click.echo(f"conf {settings.name!r} has no jars.ivy_cache: spark-submit --packages resolves the jars there.")
        return
    jars = resolve_jars(settings.jars.packages, settings.path(settings.jars.ivy_cache))
    reader = wide_jar(Path(settings.path(settings.jars.ivy_cache)).parent / "jvm")
    click.echo(f"Java {major} OK; {len(jars)} jar(s) cached in {settings.path(settings.jars.ivy_cache)}; "
               f"taglake's reader built: {reader}")


@cli.command("demo-data")
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="small", show_default=True,
              help="tiny ≈ 2k persons (tests, seconds); small ≈ 100k (demo, minutes); "
                   "medium ≈ 1M persons / 20M events; large ≈ 10M persons (benchmarks).")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same data, byte for byte.")
@date_option("Last day covered by the generated events (history runs two years back).", name="--end-date")
@common_options
@pass_app
def demo_data(app: AppContext, scale: str, seed: int, end_date: dt.date) -> None:
    """Write realistic retail / beauty-chain source tables (src_*) as Delta tables in the catalog.

    CRM members, WeChat users, app devices and events, web sessions, orders and order lines,
    products, stores, staff — with the dirt of real data (placeholder phones, mixed formats, shared
    devices, late events, refunds) and a ground-truth table of which identifier belongs to whom.
    """
    from taglake.demo import generate

    counts = generate(app.spark, app.settings, scale=scale, seed=seed, end_date=end_date)
    width = max(len(t) for t in counts)
    for table, rows in counts.items():
        click.echo(f"  {app.settings.table(table):<{width + len(app.settings.database) + 1}}  {rows:>12,} rows")


@cli.command()
@date_option("Snapshot date: windows end on this day.")
@click.option("--only", multiple=True, metavar="STAGE", help="Run only these stages (repeatable).")
@click.option("--skip", multiple=True, metavar="STAGE", help="Skip these stages (repeatable).")
@click.option("--resume", is_flag=True,
              help="Start at the first stage that has not succeeded for this date (earlier ones are recorded skipped).")
@click.option("--force-unlock", metavar="RUN_ID",
              help="Release the date held by RUN_ID (a run that died on another host) and exit.")
@common_options
@pass_app
def nightly(app: AppContext, date: dt.date, only: tuple[str, ...], skip: tuple[str, ...], resume: bool,
            force_unlock: str | None) -> None:
    """Run every stage of the nightly refresh for one snapshot date, in order.

    Each stage reports its duration and row counts while it runs; every run and stage outcome is
    recorded in the run ledger (`taglake runs`). One run per date at a time: a second run for the
    same date exits at once with code 75, naming the running one. Exit codes: 0 done, 1 failed,
    75 date already running, 130 interrupted, 143 terminated (docs/operations.md).

    """
    from taglake.pipeline import RunContext, run_nightly

    if force_unlock:
        from taglake.ops.ledger import Ledger

        held = Ledger(app.spark, app.settings).force_unlock(force_unlock, "taglake nightly --force-unlock")
        click.echo(f"released run {held.run_id} for {held.snapshot_date} (started {held.started_at:%Y-%m-%d %H:%M:%S} "
                   f"on {held.host}); it is recorded failed")
        return
    reports = run_nightly(RunContext(app.spark, app.settings, date), list(only), list(skip), resume=resume)
    _print_reports(reports)


def _stage_list() -> str:
    from taglake.pipeline import STAGES

    return "\n\n\b\nStages, in order:\n" + "\n".join(f"  {s.name:<9} {s.summary}" for s in STAGES)


nightly.help = inspect.cleandoc(nightly.help or "") + _stage_list()


@cli.command()
@click.option("--from", "start", type=DATE, required=True, help="First snapshot date (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, required=True, help="Last snapshot date, inclusive.")
@click.option("--force", is_flag=True, help="Re-run dates that are already complete (every stage).")
@common_options
@pass_app
def backfill(app: AppContext, start: dt.date, end: dt.date, force: bool) -> None:
    """Run the nightly for each date from --from to --to, oldest first.

    Dates whose every stage succeeded are skipped (unless --force); a date that failed resumes at
    the stage that failed. Each date's OneID continues from the previous date's mapping, so the
    dates run in order and the backfill stops at the first date that fails (exit 1).
    """
    from taglake.pipeline import backfill as run_backfill

    for date, what in run_backfill(app.spark, app.settings, start, end, force):
        click.echo(f"{date}  {what}")


@cli.command()
@click.option("--date", type=DATE, default=None, help="Only this snapshot date (default: the latest 20 runs).")
@click.option("--limit", type=int, default=20, show_default=True, help="How many runs to show.")
@common_options
@pass_app
def runs(app: AppContext, date: dt.date | None, limit: int) -> None:
    """Show the run ledger: each run (status, duration, who, code and tagdefs versions) and its stages."""
    from rich.console import Console
    from rich.table import Table

    from taglake.ops.ledger import RUN, Ledger

    rows = Ledger(app.spark, app.settings).rows(date)
    run_rows = [r for r in rows if r.stage == RUN][-limit:]
    if not run_rows:
        click.echo(f"no runs recorded in {app.settings.table('runs')}" + (f" for {date}" if date else ""))
        return
    table = Table(title=f"runs in {app.settings.table('runs')}", title_justify="left")
    for col in ("date", "run", "stage", "status", "started", "seconds", "rows / message"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in run_rows:
        table.add_row(str(r.snapshot_date), r.run_id, "run", r.status, f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                      "" if r.seconds is None else f"{r.seconds:.1f}",
                      r.message or f"code {r.code_version} · tagdefs {r.tagdefs_hash} · {r.host} pid {r.pid}")
        for s in (x for x in rows if x.run_id == r.run_id and x.stage != RUN):
            detail = s.message or ", ".join(f"{k}={v:,}" for k, v in (s.rows or {}).items())
            table.add_row("", "", s.stage, s.status, f"{s.started_at:%H:%M:%S}", f"{s.seconds or 0:.1f}", detail)
    Console(width=200).print(table)


def _print_reports(reports) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="nightly run", title_justify="left")
    for col in ("stage", "status", "seconds", "rows"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in reports:
        table.add_row(r.stage, r.status, f"{r.seconds:.1f}", ", ".join(f"{k}={v:,}" for k, v in r.rows.items()))
    Console().print(table)


@cli.command()
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="small", show_default=True)
@date_option()
@click.option("--seed", type=int, default=42, show_default=True)
@common_options
@pass_app
def demo(app: AppContext, scale: str, date: dt.date, seed: int) -> None:
    """The two-minute tour: demo sources (if missing), the nightly run, and where to look next."""
    from taglake.demo import demo_present, generate
    from taglake.pipeline import RunContext, run_nightly

    spark, settings = app.spark, app.settings
    if demo_present(spark, settings):
        log.info("Demo sources already in %s (delete warehouse/ or run demo-data to regenerate)", settings.database)
    else:
        generate(spark, settings, scale=scale, seed=seed, end_date=date)
    run = RunContext(spark, settings, date)
    # Model tags need a champion before the tags stage scores them: identities first, then every
    # model without one is trained as of the demo date (docs/models.md), then tags and segments.
    reports = run_nightly(run, only=["sources", "oneid"])
    from taglake.models.train import model_tags, train_models

    trained = train_models(spark, settings, run.library, [t.name for t in model_tags(run.library)], date, only_missing=True)
    for r in trained:
        main = f"auc {r.metrics['auc']:.3f}" if "auc" in r.metrics else f"rmse {r.metrics['rmse']:.1f}, r2 {r.metrics['r2']:.3f}"
        click.echo(f"trained {r.model} v{r.version}: {main}, top-decile lift {r.metrics['top_decile_lift']:.2f} "
                   f"({len(r.features)} features as of {r.feature_date}, {r.seconds:.0f}s)")
    reports += run_nightly(RunContext(spark, settings, date, loaded=run.library), skip=["sources", "oneid"])
    _print_reports(reports)
    db = settings.database
    from taglake.segments.report import demo_summary

    click.echo(demo_summary(spark, settings, date))
    click.echo(
        f"\nResults are Delta tables in the catalog database {db!r} "
        f"(files under {settings.path(settings.warehouse)}). Try:\n"
        f'  taglake sql "SELECT oneid, lifecycle_stage, rfm_cell, spend_365d FROM {db}.tags_member_latest LIMIT 10"\n'
        f'  taglake sql "SELECT city_tier, round(avg(high_value_member_share_365d), 3) AS hv_share '
        f'FROM {db}.tags_store_latest GROUP BY city_tier"\n'
        f"  taglake sql \"SELECT segment, size, entered, exited FROM {db}.segment_stats WHERE snapshot_date = DATE'{date}'\"\n"
        f'  taglake sql "SELECT repurchase_30d_decile, count(1), round(avg(repurchase_30d_propensity), 3) '
        f'FROM {db}.tags_member_latest GROUP BY 1 ORDER BY 1"    |    taglake models --snapshots\n'
        "  taglake explain rfm_cell    |    taglake list --family category_spend    |    "
        "taglake profile high_value_active --tags city,age_band\n"
        "Any Spark session configured like conf/local.yaml reads the same catalog (SELECT * FROM taglake.<table>)."
    )


@cli.command()
@click.argument("query")
@click.option("--limit", type=int, default=50, show_default=True)
@common_options
@pass_app
def sql(app: AppContext, query: str, limit: int) -> None:
    """Run one Spark SQL query against the taglake catalog and print the result."""
    app.spark.sql(f"USE {app.settings.database}")
    app.spark.sql(query).show(limit, truncate=False)
