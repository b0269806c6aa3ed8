"""Reads of the wide tag tables: the BI query shapes on the serving tables (taglake_wide) against
the previous layout (views joining version-pinned piece views, benchmarks/baseline_views.py) over
the same column-group files, in one run.

    .venv/bin/python -m benchmarks.reads                        # small demo, 1M x 10k, planning growth
    .venv/bin/python -m benchmarks.reads --only small           # one part: small | 1m | planning
    .venv/bin/python -m benchmarks.reads --timeout 300          # give up on a query after N seconds
    .venv/bin/python -m benchmarks.reads --only planning --sizes 1000 10000
    .venv/bin/python -m benchmarks.reads --only 1m --serving-only  # rerun the new layout alone

Data: the small demo (bench-warehouse/small: demo data, OneID and the nightly tags stage, built
once), the segments benchmark's 1M-member x 10,000+-tag synthetic snapshot
(bench-warehouse/segments-1m, built once), and synthetic snapshots of 1k / 10k / 30k tags over
20,000 members for the planning-growth table (bench-warehouse/reads-planning).

Per query: analysis (spark.sql), optimisation, physical planning and execution (rows collected
in the JVM) in seconds, and the driver's peak resident memory (JVM + Python) during the query. A query of the old
layout that runs past --timeout is cancelled and reported as such.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.env import DATE, PeakMemory

REPO = Path(__file__).resolve().parents[1]
log = logging.getLogger("taglake.bench")


@dataclass
class Timing:
    dataset: str
    layout: str
    shape: str
    analyze: float
    optimize: float
    plan: float
    execute: float | None
    rows: int | None
    peak_mb: float
    note: str = ""

    @property
    def total(self) -> float | None:
        return None if self.execute is None else self.analyze + self.optimize + self.plan + self.execute


def shapes(key: str, member: str, core: list[str], family_col: str, first50: list[str]) -> dict[str, str]:
    """The query shapes of issue 12, for a table `{t}` (latest) and `{all}` (every date)."""
    few = ", ".join(f"`{c}`" for c in [key, *core[:3]])
    fifty = ", ".join(f"`{c}`" for c in first50)
    return {
        "preview: SELECT * LIMIT 100": "SELECT * FROM {t} LIMIT 100",
        "LIMIT 5 on 4 columns": f"SELECT {few} FROM {{t}} LIMIT 5",
        "group by a core column": f"SELECT `{core[0]}`, count(*) FROM {{t}} GROUP BY `{core[0]}`",
        "filter + group by, family column": f"SELECT `{core[0]}`, count(*) FROM {{t}} WHERE `{family_col}` > 0 GROUP BY `{core[0]}`",
        "one member, full row": f"SELECT * FROM {{t}} WHERE `{key}` = '{member}'",
        "one member, 50 columns": f"SELECT {fifty} FROM {{t}} WHERE `{key}` = '{member}'",
        "as of a date: group by": f"SELECT `{core[0]}`, count(*) FROM {{all}} WHERE snapshot_date = DATE'{DATE}' GROUP BY `{core[0]}`",
    }


def measure(spark, dataset: str, layout: str, shape: str, sql: str, timeout: float, execute: bool = True) -> Timing:
    sc = spark.sparkContext
    group = f"bench-{time.monotonic_ns()}"
    sc.setJobGroup(group, shape, interruptOnCancel=True)
    cancelled = threading.Event()

    def cancel() -> None:
        cancelled.set()
        sc.cancelJobGroup(group)

    timer = threading.Timer(timeout, cancel)
    note, rows = "", None
    marks = [time.perf_counter()]          # start, analysed, optimised, planned, executed
    with PeakMemory(spark) as peak:
        try:
            df = spark.sql(sql)
            marks.append(time.perf_counter())
            qe = df._jdf.queryExecution()
            qe.optimizedPlan()
            marks.append(time.perf_counter())
            qe.executedPlan()
            marks.append(time.perf_counter())
            if execute:
                timer.start()
                # Rows collected in the JVM (what a SQL endpoint serves from); a Python collect()
                # of 11,000-column rows adds conversion time that is not the layout's.
                rows = len(qe.executedPlan().executeCollect())
                marks.append(time.perf_counter())
        except Exception as exc:   # noqa: BLE001 - a cancelled or failed query is a result, not a crash
            text = str(exc).splitlines()[0][:120]
            note = f"cancelled after {timeout:.0f} s of execution" if cancelled.is_set() else f"failed: {text}"
        finally:
            timer.cancel()
            sc.setLocalProperty("spark.jobGroup.id", None)
    steps = [b - a for a, b in zip(marks, marks[1:])] + [None] * (5 - len(marks))
    return Timing(dataset, layout, shape, steps[0] or 0.0, steps[1] or 0.0, steps[2] or 0.0, steps[3], rows,
                  peak.megabytes, note)


def run_shapes(spark, settings, dataset: str, timeout: float, key: str = "oneid", old_views: bool = True) -> list[Timing]:
    """Every shape on the serving tables and on the old layout's views over the same files."""
    import benchmarks.baseline_views as baseline
    from taglake.snapshots import registry, serving
    from taglake.snapshots.layout import by_group

    record = registry.snapshot(spark, settings, "member", DATE)
    placed = registry.placements(spark, settings, "member")
    groups = by_group(placed)
    serving.publish(spark, settings, "member", key, {}, "benchmark")
    layouts = {"serving table": (settings.table("tags_member_latest"), settings.table("tags_member"))}
    if old_views:
        legacy_all, legacy_latest = baseline.publish(spark, settings, "member", key, groups, record.group_versions, DATE,
                                                     fill=registry.fills(spark, settings, "member"))
        layouts["old views"] = (legacy_latest, legacy_all)
    core = [c for c in groups[min(groups)] if registry.column_types(spark, settings, "member")[c] == "string"]
    core = core or groups[min(groups)]
    family_group = next(g for g in groups if g.startswith("f_"))
    types = registry.column_types(spark, settings, "member")
    family_col = next(c for c in groups[family_group] if types[c] in ("bigint", "double", "int"))
    latest = settings.table("tags_member_latest")
    member = spark.sql(f"SELECT `{key}` FROM {latest} LIMIT 1").first()[0]
    first50 = spark.table(latest).columns[:50]
    out = []
    for shape, sql in shapes(key, member, core, family_col, first50).items():
        for layout, (t_latest, t_all) in layouts.items():
            timing = measure(spark, dataset, layout, shape, sql.format(t=t_latest, all=t_all), timeout)
            log.info("%s | %s | %s: %s", dataset, layout, shape, timing)
            out.append(timing)
    return out


# ----------------------------------------------------------------------------- datasets

def small_demo(args) -> list[Timing]:
    from benchmarks.env import bench_settings, ensure_data, ensure_oneid
    from taglake.pipeline import RunContext, run_nightly
    from taglake.runtime import build_session
    from taglake.snapshots import registry

    settings = bench_settings("small", driver_memory=args.driver_memory)
    spark = build_session(settings)
    ensure_data(spark, settings, "small")
    ensure_oneid(spark, settings)
    if registry.snapshot(spark, settings, "member", DATE) is None or not registry.snapshot(spark, settings, "member", DATE).group_files:
        run_nightly(RunContext(spark, settings, DATE), only=["tags"])
    return run_shapes(spark, settings, "small demo", args.timeout, old_views=not args.serving_only)


def million(args) -> list[Timing]:
    from benchmarks.segments import bench_settings, bench_tagdefs, build_synthetic, snapshot_exists
    from taglake.runtime import build_session
    from taglake.tagdefs import load_library

    warehouse = REPO / "bench-warehouse" / "segments-1m"
    if not (warehouse / "tagdefs").exists():
        bench_tagdefs(warehouse)
    settings = bench_settings(warehouse, args.driver_memory)
    spark = build_session(settings)
    if not snapshot_exists(spark, settings) or not _served(spark, settings):
        build_synthetic(spark, settings, load_library(warehouse / "tagdefs"), 1_000_000)
    return run_shapes(spark, settings, "1M x 10k synthetic", args.timeout, key=load_library(warehouse / "tagdefs").subjects["member"].key,
                      old_views=not args.serving_only)


def _served(spark, settings) -> bool:
    from taglake.snapshots import registry

    record = registry.snapshot(spark, settings, "member", DATE)
    return record is not None and bool(record.group_files)


def planning(args) -> list[Timing]:
    """The same 5-column query at 1k / 10k / 30k tags: planning only (no execution needed)."""
    import shutil

    import benchmarks.baseline_views as baseline
    from benchmarks.segments import bench_settings, build_synthetic
    from benchmarks.tags import scaled_library
    from taglake.runtime import build_session
    from taglake.snapshots import registry
    from taglake.snapshots.layout import by_group
    from taglake.tagdefs import load_library

    warehouse = REPO / "bench-warehouse" / "reads-planning"
    settings = bench_settings(warehouse, args.driver_memory)
    spark = build_session(settings)
    out = []
    for target in args.sizes:
        db = f"planning_{target // 1000}k"
        scoped = settings.with_overrides(database=db)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
        if not _served(spark, scoped):
            root = warehouse / f"tagdefs-{target}"
            if root.exists():
                shutil.rmtree(root)
            build_synthetic(spark, scoped, load_library(scaled_library(target, root)), 20_000)
        record = registry.snapshot(spark, scoped, "member", DATE)
        groups = by_group(registry.placements(spark, scoped, "member"))
        _, legacy_latest = baseline.publish(spark, scoped, "member", "oneid", groups, record.group_versions, DATE,
                                            fill=registry.fills(spark, scoped, "member"))
        core = groups[min(groups)][:4]
        sql = f"SELECT oneid, {', '.join(core)} FROM {{t}} WHERE oneid = 'O0000000042'"
        tags = sum(len(c) for c in groups.values())
        for layout, name in (("serving table", scoped.table("tags_member_latest")), ("old views", legacy_latest)):
            measure(spark, db, layout, "warm-up", sql.format(t=name), args.timeout, execute=False)
            best = min((measure(spark, f"{tags:,} tags / {len(groups)} groups", layout, "5-column query: planning",
                                sql.format(t=name), args.timeout, execute=False) for _ in range(3)),
                       key=lambda t: t.analyze + t.optimize + t.plan)
            out.append(best)
            print(table([best]), flush=True)   # each size as measured: the 30k build is long
    return out


def table(rows: list[Timing]) -> str:
    def sec(v):
        return "—" if v is None else f"{v:.2f}"

    head = "| data | layout | query | analyse s | optimise s | plan s | execute s | total s | rows | driver peak MB | note |"
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(f"| {r.dataset} | {r.layout} | {r.shape} | {sec(r.analyze)} | {sec(r.optimize)} | {sec(r.plan)} | "
                     f"{sec(r.execute)} | {sec(r.total)} | {r.rows if r.rows is not None else '—'} | {r.peak_mb:,.0f} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["small", "1m", "planning"], action="append")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 30_000],
                        help="tag counts of the planning part")
    parser.add_argument("--driver-memory", default="8g", help="default: conf/local.yaml's")
    parser.add_argument("--serving-only", action="store_true",
                        help="skip the old layout's views (a rerun of the serving tables after a reader change)")
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging

    configure_logging()
    parts = {"small": small_demo, "1m": million, "planning": planning}
    rows: list[Timing] = []
    for name in args.only or list(parts):
        # Each part runs in its own Spark application (their warehouses have their own metastores).
        from taglake.runtime import stop_session

        rows += parts[name](args)
        print(table(rows), flush=True)
        stop_session()
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
