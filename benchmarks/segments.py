"""Segments: 100 segments over ~50 tags on a wide member snapshot — taglake vs one query per segment.

    .venv/bin/python -m benchmarks.segments                          # build (long) or reuse, 1M members
    .venv/bin/python -m benchmarks.segments --reuse                  # the snapshot built by an earlier run
    .venv/bin/python -m benchmarks.segments --members 200000         # a smaller run
    .venv/bin/python -m benchmarks.segments --build demo             # the real pipeline (see below)

The snapshot lives in its own warehouse (bench-warehouse/segments-1m/ for 1M members by default; a
conf YAML is written to its conf/bench.yaml) and is reused when present. Two ways to build it:

  synthetic (default)  the columns of the library below (shipped member tags + the benchmark
                       family: 10,226), laid out exactly as the tag engine lays them out (column
                       groups of conf tags.group_size, registry, serving tables), with values drawn per
                       member and column (booleans, counts, amounts, domain values, lists; family
                       columns mostly empty, as real grids are). Tens of minutes at 1M members.
  demo                 demo-data for N persons + OneID + the real tag engine on the same library:
                       the shipped tagdefs with one benchmark family added (150 categories x 6
                       windows x 3 metrics), 10,226 member tags. Hours at 1M members on two cores.

Then, in one Spark application: the 100 segments (rules with AND/OR/NOT, IN, BETWEEN, CONTAINS,
segment references, set operations, top-N, splits; thresholds at the data's own quantiles so every
segment selects something) are evaluated by taglake — one read of the referenced columns, written
to segment_members / segment_stats — and by the naive approach: one Spark query per segment
against the `tags_member` view, counting its members. Wall time and bytes read (Spark's own input
metrics, per job group, from the application's REST API) for both; sizes must agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import random
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DATE = dt.date(2026, 11, 22)
PAD_FAMILY = "bench_padding"
log = logging.getLogger("taglake.bench")


# ----------------------------------------------------------------------------- settings

def bench_settings(warehouse: Path, driver_memory: str):
    """conf/local.yaml pointed at the benchmark warehouse, written to <warehouse>/conf/bench.yaml."""
    from taglake.settings import load_settings

    local = load_settings("local")
    data = local.model_dump(mode="json", exclude={"root"})
    data.update(name="bench", warehouse=str(warehouse / "warehouse"), metastore=str(warehouse / "metastore_db"),
                checkpoint_dir=str(warehouse / "checkpoints"), tagdefs=str(warehouse / "tagdefs"))
    data["jars"]["ivy_cache"] = local.path(local.jars.ivy_cache)
    data["spark"]["driver_memory"] = driver_memory
    data["spark"]["conf"]["spark.ui.enabled"] = True          # input metrics come from the UI's REST API
    data["spark"]["conf"]["spark.sql.shuffle.partitions"] = 16
    path = warehouse / "conf" / "bench.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_settings(path)


def bench_tagdefs(warehouse: Path) -> Path:
    """The shipped tagdefs (without segments) plus one benchmark family, in the warehouse folder."""
    import shutil

    target = warehouse / "tagdefs"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "tagdefs", target, ignore=shutil.ignore_patterns("segments"))
    lock = yaml.safe_load((REPO / "tagdefs" / "families.lock.yaml").read_text(encoding="utf-8"))
    values = lock["families"]["category_spend"]["category"]["values"][:150]
    family = {
        "defaults": {"subject": "member", "owner": "bench@acme-beauty.cn", "business_line": "会员运营", "status": "online"},
        "families": [{
            "name": PAD_FAMILY, "kind": "stat", "source": "order_lines", "category": ["基准测试"],
            "by": {"category": {"column": "category_l3", "values": values}},
            "windows": [3, 14, 45, 60, 120, 270],
            "metrics": {
                "spend": {"agg": "sum", "value": "line_amount - refund_amount", "display": "消费金额"},
                "units": {"agg": "sum", "value": "qty - refunded_qty", "display": "件数", "type": "bigint"},
                "discount": {"agg": "sum", "value": "line_discount", "display": "折扣金额"},
            },
            "tag_name": "bx_{category}_{metric}_{window}", "display_name": "{window}{category}{metric}（基准）",
            "description": "基准测试用的加宽标签族：{window}在“{category}”的{metric}。",
        }],
    }
    (target / "tags" / "member" / "bench_padding.yaml").write_text(yaml.safe_dump(family, allow_unicode=True), encoding="utf-8")
    return target


# ----------------------------------------------------------------------------- building the snapshot

def build_demo(spark, settings, members: int) -> None:
    """demo-data for `members` persons, then OneID and every subject's tags (the nightly stages)."""
    from benchmarks.env import ensure_data, ensure_oneid
    from taglake.demo import SCALES, Scale
    from taglake.pipeline import RunContext, run_nightly

    medium = SCALES["medium"]
    scale = Scale(f"bench-{members}", persons=members, stores=medium.stores, skus=medium.skus,
                  partitions=max(2, members // 125_000))
    ensure_data(spark, settings, scale)
    ensure_oneid(spark, settings, DATE)
    run_nightly(RunContext(spark, settings, DATE), only=["tags"])


def build_synthetic(spark, settings, library, members: int) -> None:
    """The member snapshot written directly in the engine's layout: ~10,000 columns of drawn values."""
    from pyspark.sql import functions as F

    from taglake.compiler.plan import KEY
    from taglake.compute.writer import GroupWriter
    from taglake.progress import step
    from taglake.snapshots import registry, serving
    from taglake.snapshots.layout import assign, by_group

    tags = library.selected("member")
    placements = assign([(t.name, t.family) for t in tags], registry.placements(spark, settings, "member"),
                        settings.tags.group_size)
    types = {t.name: t.type for t in tags}
    domains = {t.name: t.domain for t in tags}
    families = {t.name: t.family for t in tags}
    key = library.subjects["member"].key
    base = (spark.range(0, members, 1, max(4, members // 100_000))
            .select(F.format_string("O%010d", "id").alias(key), F.xxhash64("id").alias("h")))
    writer = GroupWriter(spark, settings, DATE)
    written: dict[str, int] = {}
    files: dict[str, list] = {}
    groups = by_group(placements)
    buckets = serving.bucket_count(members, settings.tags.rows_per_bucket)
    for index, (group, columns) in enumerate(groups.items(), 1):
        exprs = [f"`{key}` AS {KEY}"] + [f"{_value_sql(c, types[c], domains.get(c), families.get(c), i)} AS `{c}`"
                                         for i, c in enumerate(columns)]
        with step(f"bench snapshot group {index}/{len(groups)} {group}") as current:
            out = writer.write("member", key, group, base.selectExpr(*exprs), columns, types, {}, [], buckets)
            current.count(rows=out.rows, columns=len(columns), version=out.version)
        written[group], files[group] = out.version, out.files
    registry.save_placements(spark, settings, "member", placements, types, families, DATE)
    now = dt.datetime.now()
    registry.record_snapshots(spark, settings, [registry.SnapshotRecord(
        "member", DATE, "synthetic", "complete", len(placements), members, "synthetic", written, 0.0, now, now,
        buckets, json.dumps(files))], f"subject = 'member' AND snapshot_date = DATE'{DATE}'")
    serving.publish(spark, settings, "member", key, {t.name: t.display_name for t in tags}, "synthetic benchmark snapshot")


def _value_sql(name: str, kind: str, domain, family, index: int) -> str:
    """SQL for one column's value: a draw from the member's hash and the column (generated text, not user input)."""
    salt = int(hashlib.sha1(name.encode()).hexdigest()[:15], 16) | 1
    u = f"pmod(h ^ {salt}L, 10000)"        # 0..9999, different per column
    sparse = family is not None
    null_below = 7000 if sparse else 1500   # family grids are mostly empty
    if kind == "boolean":
        return f"CASE WHEN {u} < {null_below // 2} THEN NULL ELSE {u} % 10 < 3 END"
    if kind in ("int", "bigint"):
        return f"CASE WHEN {u} < {null_below} THEN NULL ELSE CAST(pmod(shiftright(h, {index % 20 + 3}), 120) AS {kind.upper()}) END"
    if kind == "double":   # skewed amounts: a product of two draws, 0 .. 99,900
        return (f"CASE WHEN {u} < {null_below} THEN NULL ELSE "
                f"CAST(pmod(shiftright(h, {index % 20 + 3}), 1000) * pmod(shiftright(h, {index % 17 + 23}), 100) AS DOUBLE) / 1.0 END")
    if kind == "date":
        return f"CASE WHEN {u} < {null_below} THEN NULL ELSE date_add(DATE'1970-01-01', CAST(pmod(shiftright(h, 5), 20000) AS INT)) END"
    if kind == "timestamp":
        return f"CASE WHEN {u} < {null_below} THEN NULL ELSE timestamp_seconds(1600000000 + pmod(shiftright(h, 7), 170000000)) END"
    if kind == "array<string>":
        picks = ", ".join(f"concat('v', CAST(pmod(shiftright(h, {s}), 30) AS STRING))" for s in (3, 11, 19))
        return f"CASE WHEN {u} < {null_below} THEN NULL ELSE array_distinct(array({picks})) END"
    values = [str(v) for v in domain] if domain else [f"v{i}" for i in range(12)]
    # CASE over the draw rather than element_at(array(...)): no array built per row and column
    cases = " ".join(f"WHEN {i} THEN '{v.replace(chr(39), chr(39) * 2)}'" for i, v in enumerate(values))
    return f"CASE WHEN {u} < {null_below} THEN NULL ELSE CASE pmod(shiftright(h, 9), {len(values)}) {cases} END END"


def snapshot_exists(spark, settings) -> bool:
    from taglake.snapshots import registry

    return spark.catalog.tableExists(settings.table(registry.SNAPSHOTS_TABLE)) and \
        registry.snapshot(spark, settings, "member", DATE) is not None


# ----------------------------------------------------------------------------- the 100 segments

@dataclass
class TagInfo:
    name: str
    type: str
    cuts: list[float]            # 30/50/70% quantiles (numbers)
    values: list[str]            # most common values (text, lists)


def choose_tags(library, placed: set[str], count: int, seed: int) -> list[str]:
    """~60% hand-written tags of every type, ~40% family tags (cells spread over column groups)."""
    rng = random.Random(seed)
    tags = [t for t in library.selected("member") if t.name in placed]
    core = [t for t in tags if t.family is None and t.type in ("boolean", "int", "bigint", "double", "string", "array<string>")]
    family = [t for t in tags if t.family is not None and t.family != PAD_FAMILY and t.type in ("bigint", "double")]
    by_type: dict[str, list] = {}
    for t in core:
        by_type.setdefault(t.type, []).append(t)
    chosen: list[str] = []
    quota = {"boolean": 9, "int": 5, "bigint": 5, "double": 5, "string": 5, "array<string>": 1}
    for kind, n in quota.items():
        chosen += [t.name for t in rng.sample(by_type.get(kind, []), min(n, len(by_type.get(kind, []))))]
    chosen += [t.name for t in rng.sample(family, min(count - len(chosen), len(family)))]
    return chosen[:count]


def describe_tags(spark, settings, library, names: list[str]) -> dict[str, TagInfo]:
    """Quantiles and common values of the chosen tags on the snapshot (not timed)."""
    from pyspark.sql import functions as F

    from taglake.snapshots.read import read_tags

    key = library.subjects["member"].key
    frame = read_tags(spark, settings, "member", key, DATE, names).frame.sample(0.05, seed=1).cache()
    types = {n: library.tags["member"][n].type for n in names}
    numeric = [n for n in names if types[n] in ("int", "bigint", "double")]
    cuts = dict(zip(numeric, frame.select(*[F.col(n).cast("double").alias(n) for n in numeric])
                    .approxQuantile(numeric, [0.3, 0.5, 0.7], 0.01)))
    info = {}
    for n in names:
        values: list[str] = []
        if types[n] in ("string", "array<string>"):
            col = F.explode(n) if types[n] == "array<string>" else F.col(n)
            values = [r[0] for r in frame.select(col.alias("v")).where("v IS NOT NULL").groupBy("v").count()
                      .orderBy(F.desc("count")).limit(4).collect()]
        info[n] = TagInfo(n, types[n], [c for c in cuts.get(n, []) if c is not None], values)
    frame.unpersist()
    return info


def _lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(round(float(value), 2))


def predicate(rng: random.Random, tag: TagInfo) -> str:
    if tag.type == "boolean":
        return rng.choice([tag.name, f"NOT {tag.name}", f"{tag.name} = false"])
    if tag.type in ("int", "bigint", "double"):
        if not tag.cuts:
            return f"{tag.name} IS NOT NULL"
        low, mid, high = (tag.cuts * 3)[:3]
        return rng.choice([f"{tag.name} >= {_lit(mid)}", f"{tag.name} < {_lit(high)}",
                           f"{tag.name} BETWEEN {_lit(low)} AND {_lit(high)}", f"{tag.name} > {_lit(low)}"])
    if not tag.values:
        return f"{tag.name} IS NULL"
    if tag.type == "array<string>":
        return f"{tag.name} CONTAINS ANY ({', '.join(_lit(v) for v in tag.values[:2])})"
    return rng.choice([f"{tag.name} = {_lit(tag.values[0])}", f"{tag.name} IN ({', '.join(_lit(v) for v in tag.values[:2])})",
                       f"{tag.name} NOT IN ({_lit(tag.values[0])})"])


def make_segments(info: dict[str, TagInfo], total: int, seed: int) -> list[dict]:
    """`total` segment definitions using every tag in `info`: rules, references, set operations, top-N, splits."""
    rng = random.Random(seed)
    names = list(info)
    numeric = [n for n in names if info[n].type in ("int", "bigint", "double") and info[n].cuts]
    queue = names * 3
    rng.shuffle(queue)

    def rule(parts: int) -> str:
        preds = [predicate(rng, info[queue.pop() if queue else rng.choice(names)]) for _ in range(parts)]
        if parts >= 3 and rng.random() < 0.5:
            return f"({preds[0]} OR {preds[1]}) AND " + " AND ".join(preds[2:])
        if parts == 2 and rng.random() < 0.3:
            return f"{preds[0]} OR NOT ({preds[1]})"
        return " AND ".join(preds)

    out: list[dict] = []
    common = {"owner": "bench@acme-beauty.cn", "business_line": "会员运营"}
    kinds = ["rule"] * 62 + ["ref"] * 12 + ["union", "intersect", "except"] * 3 + ["top"] * 8 + ["split"] * 9
    kinds = (kinds * (total // len(kinds) + 1))[:total]
    for i, kind in enumerate(kinds):
        name = f"bench_{i:03d}"
        spec = {"name": name, "display_name": f"基准分群 {i}", "description": f"benchmark segment ({kind})", **common}
        earlier = [s["name"] for s in out if "top" not in s]
        if kind == "rule" or (kind != "split" and len(earlier) < 3):
            spec["rule"] = rule(rng.choice([1, 2, 2, 3, 4]))
        elif kind == "ref":
            spec["rule"] = f"segment({rng.choice(earlier)}) AND {rule(1)}"
        elif kind in ("union", "intersect", "except"):
            spec[kind] = rng.sample(earlier, rng.choice([2, 3]))
        elif kind == "top":
            spec["rule"] = rule(rng.choice([1, 2]))
            spec["top"] = {"by": rng.choice(numeric), "n": 10_000}
        else:
            spec["rule"] = rule(rng.choice([1, 2]))
            spec["split"] = {"groups": {"A": 45, "B": 45}, "holdout": 10}
        out.append(spec)
    return out


# ----------------------------------------------------------------------------- measuring

class Metrics:
    """Input bytes and task time of the jobs of one job group, from the Spark UI's REST API."""

    def __init__(self, spark):
        self.sc = spark.sparkContext
        self.url = self.sc.uiWebUrl
        self.app = self.sc.applicationId

    def _get(self, path: str):
        with urllib.request.urlopen(f"{self.url}/api/v1/applications/{self.app}/{path}", timeout=60) as resp:
            return json.load(resp)

    def start(self, group: str) -> None:
        self.sc.setJobGroup(group, group)

    def input_bytes(self, group: str) -> int | None:
        if not self.url:
            return None
        try:
            stage_ids = {s for j in self._get("jobs") if j.get("jobGroup") == group for s in j["stageIds"]}
            return sum(s.get("inputBytes", 0) for s in self._get("stages?status=complete") if s["stageId"] in stage_ids)
        except OSError as exc:
            log.warning("Spark UI metrics unavailable (%s)", exc)
            return None


def table_sizes(spark, settings) -> tuple[int, int, int]:
    """(bytes of all member column-group tables, bytes of the benchmark date's files, number of tables)."""
    import os
    from urllib.parse import urlparse

    from taglake.snapshots import registry
    from taglake.snapshots.layout import by_group, group_table

    groups = by_group(registry.placements(spark, settings, "member"))
    total = dated = 0
    for group in groups:
        table = settings.table(group_table("member", group))
        total += int(spark.sql(f"DESCRIBE DETAIL {table}").first()["sizeInBytes"])
        for uri in spark.table(table).where(f"snapshot_date = DATE'{DATE}'").inputFiles():
            dated += os.path.getsize(urlparse(uri).path)
    return total, dated, len(groups)


def member_view(spark, settings, key: str, library=None) -> str:
    """The serving table `tags_member` (published now if an older snapshot build lacks it)."""
    from taglake.snapshots import serving
    from taglake.snapshots.layout import view_name

    name = settings.table(view_name("member"))
    if not spark.catalog.tableExists(name) or spark.catalog.getTable(name).tableType == "VIEW":
        serving.publish(spark, settings, "member", key, {}, "synthetic benchmark snapshot")
    return name


def naive(spark, settings, segments, names: list[str], metrics: Metrics) -> dict[str, int]:
    """One Spark query per segment against the tags_member view (its dependencies inlined)."""
    from pyspark.sql import functions as F

    from taglake.segments.compile import Projector, member_col, plan

    sizes = {}
    view = spark.table(member_view(spark, settings, segments.keys["member"])).where(F.col("snapshot_date") == F.lit(str(DATE)).cast("date"))
    for i, name in enumerate(names, 1):
        p = plan(segments, [name])
        projector = Projector(segments, p)     # the same steps as taglake.segments.evaluate.membership
        due = projector.bases_due()
        frame = projector.local(view.select(p.key, *p.tags), p.steps[0].local, due.get(0, []))
        if len(p.steps) > 1:
            frame = projector.narrow(frame)
            for index, step in enumerate(p.steps[1:], 1):
                if step.ranked:
                    frame = projector.ranked(frame, step.ranked)
                frame = projector.local(frame, step.local, due.get(index, []))
        sizes[name] = frame.where(F.col(member_col(name))).count()
        if i % 10 == 0:
            log.info("naive: %d/%d segments", i, len(names))
    return sizes


def gib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**30:,.2f} GiB" if n >= 2**30 else f"{n / 2**20:,.1f} MiB"


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="default: bench-warehouse/segments-<members> (segments-1m, segments-200k, ...)")
    parser.add_argument("--build", choices=["synthetic", "demo"], default="synthetic")
    parser.add_argument("--reuse", action="store_true", help="use the snapshot already in the warehouse (fail if none)")
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--naive", type=int, default=None, metavar="K",
                        help="run the naive approach on the first K segments only (default: all) and extrapolate")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging
    from taglake.runtime import build_session

    configure_logging()
    size = f"{args.members // 1_000_000}m" if args.members % 1_000_000 == 0 else f"{args.members // 1000}k"
    warehouse = (args.warehouse or REPO / "bench-warehouse" / f"segments-{size}").resolve()
    fresh = not (warehouse / "metastore_db").exists()
    if args.reuse and fresh:
        parser.error(f"--reuse: no benchmark warehouse at {warehouse}")
    if fresh or not (warehouse / "tagdefs").exists():
        bench_tagdefs(warehouse)
    settings = bench_settings(warehouse, args.driver_memory)
    spark = build_session(settings)
    from taglake.tagdefs import load_library

    library = load_library(settings.tagdefs, database=settings.database)
    built = None
    if not snapshot_exists(spark, settings):
        if args.reuse:
            parser.error(f"--reuse: no member snapshot for {DATE} in {warehouse}")
        started = time.perf_counter()
        if args.build == "demo":
            build_demo(spark, settings, args.members)
        else:
            build_synthetic(spark, settings, library, args.members)
        built = time.perf_counter() - started
    results = run(spark, settings, library, warehouse, args)
    results["build_seconds"] = built
    results["build"] = args.build if built is not None else "reused"
    out = warehouse / "results" / f"segments-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


def run(spark, settings, library, warehouse: Path, args) -> dict:
    from rich.console import Console
    from rich.table import Table

    from taglake.segments import load_segments, store
    from taglake.segments.evaluate import evaluate
    from taglake.snapshots import registry

    placed = set(registry.placements(spark, settings, "member"))
    members = registry.snapshot(spark, settings, "member", DATE).row_count
    if members != args.members:
        log.warning("the snapshot in %s has %s members, not --members %s: measuring it as it is "
                    "(use another --warehouse to build one of that size)", warehouse, f"{members:,}", f"{args.members:,}")
    chosen = choose_tags(library, placed, args.tags, args.seed)
    info = describe_tags(spark, settings, library, chosen)
    specs = make_segments(info, args.segments, args.seed)
    folder = warehouse / "segments"
    folder.mkdir(exist_ok=True)
    (folder / "bench.yaml").write_text(yaml.safe_dump({"segments": specs}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    segments = load_segments(folder, library, tuple(settings.tags.statuses))
    names = sorted(segments.segments)
    tags_read = segments.tags_read(names)
    total_bytes, dated_bytes, tables = table_sizes(spark, settings)
    metrics = Metrics(spark)
    for table in (store.MEMBERS, store.STATS):   # each run starts from the same state
        spark.sql(f"DROP TABLE IF EXISTS {settings.table(table)}")

    metrics.start("taglake")
    started = time.perf_counter()
    ours = {r.name: r.size for r in evaluate(spark, settings, segments, DATE, names)}
    ours_seconds = time.perf_counter() - started
    ours_bytes = metrics.input_bytes("taglake")

    sample = names[: args.naive] if args.naive else names
    metrics.start("naive")
    started = time.perf_counter()
    theirs = naive(spark, settings, segments, sample, metrics)
    naive_seconds = time.perf_counter() - started
    naive_bytes = metrics.input_bytes("naive")
    scale = len(names) / len(sample)
    mismatched = [n for n in sample if theirs[n] != ours[n]]

    table = Table(title=f"{len(names)} segments over {len(tags_read)} tags; {members:,} members, {len(placed):,} tag columns "
                        f"in {tables} column-group tables ({gib(total_bytes)}; the date: {gib(dated_bytes)})",
                  title_justify="left")
    for col in ("approach", "segments", "wall", "input bytes", "of the date's tag data"):
        table.add_column(col, justify="left" if col == "approach" else "right")
    table.add_row("taglake (one read, one projection)", f"{len(names)}", f"{ours_seconds:,.1f} s", gib(ours_bytes),
                  f"{ours_bytes / dated_bytes:.1%}" if ours_bytes is not None else "n/a")
    label = "naive (one query per segment)" + ("" if scale == 1 else f", {len(sample)} run, x{scale:.1f}")
    table.add_row(label, f"{len(sample)}", f"{naive_seconds * scale:,.1f} s", gib(naive_bytes and int(naive_bytes * scale)),
                  f"{naive_bytes * scale / dated_bytes:.1%}" if naive_bytes is not None else "n/a")
    console = Console()
    console.print(table)
    speedup = naive_seconds * scale / ours_seconds
    console.print(f"speed-up {speedup:.1f}x; sizes agree for {len(sample) - len(mismatched)}/{len(sample)} segments"
                  + (f" (MISMATCH: {', '.join(mismatched[:5])})" if mismatched else ""))
    return {
        "members": members, "tag_columns": len(placed), "column_group_tables": tables, "segments": len(names),
        "tags_referenced": len(tags_read), "tag_bytes_total": total_bytes, "tag_bytes_date": dated_bytes,
        "taglake_seconds": ours_seconds, "taglake_input_bytes": ours_bytes,
        "naive_segments_run": len(sample), "naive_seconds": naive_seconds, "naive_input_bytes": naive_bytes,
        "naive_seconds_for_all": naive_seconds * scale, "speedup": speedup, "mismatched": mismatched,
        "sizes": ours, "date": str(DATE),
    }


if __name__ == "__main__":
    raise SystemExit(main())
