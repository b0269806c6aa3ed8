"""Member tags at 1,000 / 10,000 / 30,000 columns over medium-scale demo data (1M people, ~20M
events): taglake vs a naive implementation vs the write floor, in the same run on the same data.

    .venv/bin/python -m benchmarks.tags                       # medium, 1k + 10k + 30k, naive at 10k, floor at 10k
    .venv/bin/python -m benchmarks.tags --scale small --sizes 1000 10000
    .venv/bin/python -m benchmarks.tags --skip naive

* taglake  — the engine as shipped: one scan per source, families in long form (subject x value x
             window bucket), one GROUP BY per column group over its slice of the long table.
* naive    — what a data engineer would write: per tag family (chunked into the same column
             groups), one aggregation query over the family's source rows with one filtered
             aggregate per tag, joined on the subject key. Everything else is identical (same
             scalar tags, same writes), so the difference is the family computation.
* floor    — scan the same source tables once, and write tables of the same shape as taglake's
             output (same rows, same columns and types, values at the same fill rates, same
             column groups): the cost of reading the input and writing the output, nothing else.

Data (bench-warehouse/<scale>/) is generated once and reused. Every variant writes its own
database. Reported: wall time, source rows scanned, tag cells written per second (rows x tags /
wall time), and peak resident memory of the driver (Python + JVM).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.env import DATE, PeakMemory, bench_settings, ensure_data, ensure_oneid
from taglake.settings import PROJECT_ROOT

log = logging.getLogger("benchmarks")

# Extra families (beyond the shipped ones) used to reach 30,000 tags: realistic grids too.
EXTRA_FAMILIES = [
    {"name": "category_channel", "kind": "stat", "source": "order_lines", "category": ["交易", "渠道品类"],
     "by": {"category": {"column": "category_l3", "values": "category_l3"},
            "channel": {"column": "channel", "values": ["门店", "小程序", "App", "天猫", "京东"]}},
     "windows": [30, 90, 365],
     "metrics": {"spend": {"agg": "sum", "value": "line_amount - refund_amount", "display": "消费金额"},
                 "orders": {"agg": "count_distinct", "value": "order_id", "display": "订单数"}},
     "tag_name": "cc_{category}_{channel}_{metric}_{window}", "display_name": "{window}{channel}{category}{metric}",
     "description": "{window}在{channel}购买{category}的{metric}"},
    {"name": "brand_channel", "kind": "stat", "source": "order_lines", "category": ["交易", "渠道品牌"],
     "by": {"brand": {"column": "brand", "values": "brand"},
            "channel": {"column": "channel", "values": ["门店", "小程序", "App", "天猫", "京东"]}},
     "windows": [30, 90, 180, 365],
     "metrics": {"spend": {"agg": "sum", "value": "line_amount - refund_amount", "display": "消费金额"},
                 "units": {"agg": "sum", "value": "qty - refunded_qty", "display": "件数", "type": "bigint"},
                 "orders": {"agg": "count_distinct", "value": "order_id", "display": "订单数"}},
     "tag_name": "bc_{brand}_{channel}_{metric}_{window}", "display_name": "{window}{channel}{brand}{metric}",
     "description": "{window}在{channel}购买{brand}的{metric}"},
    {"name": "app_category_detail", "kind": "stat", "source": "app_events", "category": ["行为", "品类兴趣"],
     "by": {"action": {"column": "event_type", "values": ["view_product", "add_cart", "favorite"]},
            "category": {"column": "category_l3", "values": "category_l3"}},
     "windows": [7, 30, 90],
     "metrics": {"events": {"agg": "count", "display": "次数"}},
     "tag_name": "ad_{action}_{category}_{window}", "display_name": "{window}{action}{category}{metric}",
     "description": "{window}在 App {action}{category}的{metric}"},
    {"name": "category_weekpart", "kind": "stat", "source": "order_lines", "category": ["交易", "购物时段"],
     "by": {"part": {"column": "CASE WHEN dayofweek(order_time) IN (1, 7) THEN '周末' ELSE '工作日' END", "values": ["周末", "工作日"]},
            "category": {"column": "category_l3", "values": "category_l3"}},
     "windows": [90, 365],
     "metrics": {"spend": {"agg": "sum", "value": "line_amount - refund_amount", "display": "消费金额"}},
     "tag_name": "wp_{part}_{category}_{metric}_{window}", "display_name": "{window}{part}{category}{metric}",
     "description": "{window}{part}购买{category}的{metric}"},
    {"name": "brand_refunds", "kind": "stat", "source": "order_lines", "where": "refunded_qty > 0", "category": ["交易", "售后"],
     "by": {"brand": {"column": "brand", "values": "brand"}},
     "windows": [90, 365, "all"],
     "metrics": {"refund_amount": {"agg": "sum", "value": "refund_amount", "display": "退款金额"},
                 "refund_units": {"agg": "sum", "value": "refunded_qty", "display": "退货件数", "type": "bigint"}},
     "tag_name": "br_{brand}_{metric}_{window}", "display_name": "{window}{brand}{metric}",
     "description": "{window}{brand}的{metric}"},
]


@dataclass
class Row:
    variant: str
    tags: int
    seconds: float
    rows_scanned: int
    rows: int
    memory_mb: float

    @property
    def cells_per_second(self) -> float:
        return self.rows * self.tags / self.seconds if self.seconds else 0.0


# --- libraries ------------------------------------------------------------------------------------

def scaled_library(target: int, into: Path) -> Path:
    """The shipped member tags without cross-subject ones (the benchmark computes members alone),
    plus families with static values (from the shipped lock) trimmed or extended to ~`target` tags."""
    from taglake.tagdefs import load_library

    shipped = load_library(PROJECT_ROOT / "tagdefs")
    graph = shipped.dag()
    foreign = {t.name for t in shipped.all_tags() if t.subject == "member"
               and any(ref.subject != "member" for ref in graph.upstream(t.ref) | {t.ref})}
    shutil.copytree(PROJECT_ROOT / "tagdefs", into, ignore=shutil.ignore_patterns("segments", "identity.yaml", "families.lock.yaml", "families.yaml"))
    for path in (into / "tags" / "member").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("tags"):
            data["tags"] = [t for t in data["tags"] if t["name"] not in foreign]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    hand = sum(1 for t in shipped.tags["member"].values() if t.family is None and t.name not in foreign and t.status == "online")
    values = {"category_l3": [], "category_l2": [], "brand": []}
    for info in shipped.families.values():
        for dim, spec in info.spec.by.items():
            if spec.column in values and len(info.values[dim]) > len(values[spec.column]):
                values[spec.column] = info.values[dim]
    families_yaml = yaml.safe_load((PROJECT_ROOT / "tagdefs" / "tags" / "member" / "families.yaml").read_text(encoding="utf-8"))
    candidates = list(families_yaml["families"]) + [dict(f) for f in EXTRA_FAMILIES]
    budget, chosen = target - hand, []
    for family in candidates:
        if budget <= 0:
            break
        family = yaml.safe_load(yaml.safe_dump(family, allow_unicode=True))   # deep copy
        family.setdefault("owner", "bench@example.cn")
        family.setdefault("business_line", "基准")
        family["status"] = "online"
        for dim in family["by"].values():
            source = dim.pop("discover", None)
            if source is not None or isinstance(dim.get("values"), str):
                dim["values"] = list(values[dim["column"] if source is None else (source.get("column") or dim["column"])])
        if family["kind"] == "rule":
            continue   # rule families need their stat family; added below when it is complete
        per_value = len(family.get("windows", [None])) * len(family.get("metrics", {None: None}))
        other = 1
        dims = list(family["by"].values())
        for dim in dims[:-1]:
            other *= len(dim["values"])
        full = per_value * other * len(dims[-1]["values"])
        if full > budget:   # trim the last dimension to fit
            keep = max(1, budget // (per_value * other))
            dims[-1]["values"] = dims[-1]["values"][:keep]
            full = per_value * other * keep
        chosen.append(family)
        budget -= full
    (into / "tags" / "member" / "families.yaml").write_text(
        yaml.safe_dump({"defaults": {"subject": "member"}, "families": chosen}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return into


# --- variants -------------------------------------------------------------------------------------

def variant_settings(spark, settings, database: str):
    """A fresh database of its own, with views onto the shared sources and OneID tables."""
    spark.sql(f"DROP DATABASE IF EXISTS {database} CASCADE")
    spark.sql(f"CREATE DATABASE {database}")
    for t in spark.catalog.listTables(settings.database):
        if t.name.startswith("src_") or t.name.startswith("oneid_"):
            spark.sql(f"CREATE OR REPLACE VIEW {database}.{t.name} AS SELECT * FROM {settings.database}.{t.name}")
    return settings.with_overrides(database=database)


def run_taglake(spark, settings, root: Path, engine=None) -> tuple[Row, object]:
    from taglake.compute.engine import TagRun
    from taglake.tagdefs import load_library

    library = load_library(root, database=settings.database)
    run = (engine or TagRun)(spark, settings, library, DATE, ["member"])
    with PeakMemory(spark) as memory:
        started = time.perf_counter()
        (result,) = run.run()
        seconds = time.perf_counter() - started
    return Row("", result.tags, seconds, result.rows_scanned, result.rows, memory.megabytes), library


def naive_engine():
    """TagRun whose families are computed the naive way: filtered aggregates over the raw rows."""
    from taglake.compiler import sqlkit
    from taglake.compiler.builders.family import standalone_sql
    from taglake.compiler.plan import KEY, SNAPSHOT, Output
    from taglake.compute import steps as run_step
    from taglake.compute.engine import TagRun, parallel
    from taglake.core.expressions import quote_identifier as q
    from taglake.progress import step as progress
    from taglake.snapshots.layout import by_group

    class NaiveRun(TagRun):
        #: Compute only every `sample`-th family column group (1: all of them). With a sample, the
        #: wall time is extrapolated: the family phases' measured time scaled to every group.
        sample = 1
        family_seconds = 0.0
        groups_total = groups_run = 0

        def _family(self, state, rows, step):
            tags = self.library.tags[state.plan.subject]
            groups = by_group({c.tag: state.placements[c.tag] for c in step.cells})
            NaiveRun.groups_total += len(groups)
            groups = {g: names for i, (g, names) in enumerate(sorted(groups.items()))
                      if (NaiveRun.groups_total - len(groups) + i) % self.sample == 0}
            NaiveRun.groups_run += len(groups)
            view = run_step.temp_view(rows, "naive_rows")
            started = time.perf_counter()

            def write(item):
                group, names = item
                with progress(f"naive[{state.plan.subject}] group {group}") as current:
                    cols = ", ".join(f"{sqlkit.cast(standalone_sql(tags[n]), tags[n].type)} AS {q(n)}" for n in names)
                    frame = self.spark.sql(f"SELECT {q(KEY)}, {cols} FROM {view} GROUP BY {q(KEY)}, {q(SNAPSHOT)}")
                    outputs = [Output(n, "", tags[n].type, tags[n].default) for n in names]
                    self._write_group(state, group, run_step.with_defaults(state.population, [frame], outputs), current)

            parallel(write, list(groups.items()), self.settings.tags.parallel_writes)
            NaiveRun.family_seconds += time.perf_counter() - started

    return NaiveRun


def run_floor(spark, settings, source_db: str, reference_db: str) -> Row:
    """Scan the member sources once; write tables shaped like taglake's output at its fill rates."""
    from taglake.compute.writer import GroupWriter
    from taglake.core.expressions import quote_identifier as q
    from taglake.snapshots import registry
    from taglake.snapshots.layout import SNAPSHOT_COLUMN, by_group

    reference = settings.with_overrides(database=reference_db)
    placements = registry.placements(spark, reference, "member")
    types = registry.column_types(spark, reference, "member")
    fill = {r.tag: (r.fill_rate or 0.0) for r in spark.table(reference.table(registry.STATS_TABLE))
            .where(f"subject = 'member' AND snapshot_date = DATE'{DATE}'").collect()}
    key = "oneid"
    keys = spark.sql(f"SELECT {q(key)} FROM {reference.table('tags_member__core_001')} WHERE {SNAPSHOT_COLUMN} = DATE'{DATE}'").cache()
    keys.count()
    sources = ["src_crm_members", "src_wechat_users", "src_app_devices", "src_app_events", "src_web_sessions", "src_orders", "src_order_lines"]
    writer = GroupWriter(spark, settings, DATE)
    values = {
        "bigint": "pmod(xxhash64({k}, {i}, 1), 100)", "int": "CAST(pmod(xxhash64({k}, {i}, 1), 100) AS INT)",
        "double": "pmod(xxhash64({k}, {i}, 1), 100000) / 100.0", "string": "concat('v', pmod(xxhash64({k}, {i}, 1), 50))",
        "boolean": "pmod(xxhash64({k}, {i}, 1), 2) = 0", "date": "date_sub(DATE'2026-11-22', CAST(pmod(xxhash64({k}, {i}, 1), 700) AS INT))",
        "timestamp": "CAST(date_sub(DATE'2026-11-22', CAST(pmod(xxhash64({k}, {i}, 1), 700) AS INT)) AS TIMESTAMP)",
        "array<string>": "array(concat('v', pmod(xxhash64({k}, {i}, 1), 50)))",
    }
    rows_scanned = 0
    with PeakMemory(spark) as memory:
        started = time.perf_counter()
        for table in sources:
            df = spark.table(f"{source_db}.{table}")
            df.write.format("noop").mode("overwrite").save()
        rows_scanned = sum(spark.table(f"{source_db}.{t}").count() for t in sources)
        frame = keys.selectExpr(f"{q(key)} AS `__key`")
        view_name = "__floor_keys"
        frame.createOrReplaceTempView(view_name)
        for group, columns in by_group(placements).items():
            exprs = []
            for i, col in enumerate(columns):
                threshold = int(round(fill.get(col, 0.0) * 1000))
                value = values[types[col]].format(k="`__key`", i=i)
                exprs.append(f"CASE WHEN pmod(xxhash64(`__key`, {i}, 0), 1000) < {threshold} THEN {value} END AS {q(col)}")
            shaped = spark.sql(f"SELECT `__key`, {', '.join(exprs)} FROM {view_name}")
            writer.write("member", key, group, shaped, columns, types, {}, [])
        seconds = time.perf_counter() - started
    rows = keys.count()
    keys.unpersist()
    return Row("floor", len(placements), seconds, rows_scanned, rows, memory.megabytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 30_000])
    parser.add_argument("--compare-at", type=int, default=10_000, help="size at which naive and floor run")
    parser.add_argument("--skip", nargs="*", default=[], choices=["naive", "floor"])
    parser.add_argument("--naive-sample", type=int, default=1, metavar="K",
                        help="naive: compute every K-th family column group and extrapolate (it is O(events x tags))")
    parser.add_argument("--driver-memory", default="12g")
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging
    from taglake.runtime import build_session

    configure_logging()
    logging.getLogger("benchmarks").setLevel(logging.INFO)
    settings = bench_settings(args.scale, driver_memory=args.driver_memory)
    spark = build_session(settings)
    ensure_data(spark, settings, args.scale)
    ensure_oneid(spark, settings)

    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            root = scaled_library(size, Path(tmp) / f"lib{size}")
            variant = variant_settings(spark, settings, f"bench_t{size}")
            row, _library = run_taglake(spark, variant, root)
            row.variant = f"taglake {size // 1000}k"
            rows.append(row)
            log.info("%s: %.0f s", row.variant, row.seconds)
            if size == args.compare_at and "naive" not in args.skip:
                naive = variant_settings(spark, settings, f"bench_naive{size}")
                engine = naive_engine()
                engine.sample = args.naive_sample
                nrow, _ = run_taglake(spark, naive, root, engine)
                nrow.variant = f"naive {size // 1000}k"
                if engine.groups_run < engine.groups_total:
                    measured = nrow.seconds
                    nrow.seconds += engine.family_seconds * (engine.groups_total / engine.groups_run - 1)
                    nrow.variant += "*"
                    notes.append(f"* naive computed {engine.groups_run} of {engine.groups_total} family column groups "
                                 f"({measured:.0f} s, of which {engine.family_seconds:.0f} s in those groups); "
                                 f"its wall time is extrapolated to all groups")
                rows.append(nrow)
            if size == args.compare_at and "floor" not in args.skip:
                floor = variant_settings(spark, settings, f"bench_floor{size}")
                frow = run_floor(spark, floor, settings.database, f"bench_t{size}")
                frow.variant = f"floor {size // 1000}k"
                rows.append(frow)

    print(f"\nmember tags over {args.scale} demo data (snapshot {DATE}); 2 cores")
    print(f"{'variant':<14} {'tags':>7} {'wall s':>8} {'rows scanned':>13} {'rows':>10} {'cells/s':>12} {'peak MB':>8}")
    for r in rows:
        print(f"{r.variant:<14} {r.tags:>7,} {r.seconds:>8.0f} {r.rows_scanned:>13,} {r.rows:>10,} {r.cells_per_second:>12,.0f} {r.memory_mb:>8,.0f}")
    for note in notes:
        print(note)
    by = {r.variant.rstrip("*"): r for r in rows}
    at = f"{args.compare_at // 1000}k"
    if f"taglake {at}" in by:
        ours = by[f"taglake {at}"]
        if f"naive {at}" in by:
            print(f"naive / taglake at {at}: {by[f'naive {at}'].seconds / ours.seconds:.1f}x (target >= 3x)")
        if f"floor {at}" in by:
            print(f"taglake / floor at {at}: {ours.seconds / by[f'floor {at}'].seconds:.2f}x (target <= 2x)")
    ours = [r for r in rows if r.variant.startswith("taglake")]
    if len(ours) > 1:
        base = ours[0]
        print("growth: " + ", ".join(f"{r.tags:,} tags {r.seconds / base.seconds:.1f}x time for {r.tags / base.tags:.1f}x tags" for r in ours[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
