"""Runtime commands: setup, demo data, the nightly run and the demo."""

from __future__ import annotations

import datetime as dt
import logging

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
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
@common_options
@pass_app
def nightly(app: AppContext, date: dt.date, only: tuple[str, ...], skip: tuple[str, ...]) -> None:
    """Run every stage of the nightly refresh for one snapshot date, in order.

    Each stage reports its duration and row counts while it runs; the outcome of every stage is
    appended to the `runs` table. `taglake nightly --help` lists the stages below.
    """
    from taglake.pipeline import RunContext, run_nightly

    reports = run_nightly(RunContext(app.spark, app.settings, date), list(only), list(skip))
    _print_reports(reports)


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
    reports += run_nightly(run, skip=["sources", "oneid"])
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
