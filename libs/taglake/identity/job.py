"""The OneID stage: sources → guarded identity graph → components → stable OneIDs → Delta tables.

Two modes:
* nightly (default): the previous run's mapping is read as one more source, linking each of its
  identifiers to an anchor node per OneID. Persons therefore only grow or merge from night to
  night, even when old source rows age out, and a re-run of a date gives the same result.
* rebuild (`--rebuild`): the graph comes from the sources alone, with today's blocklists and caps
  applied to all history; OneIDs are still carried over wherever membership allows. Use it after
  changing guards or correcting a source. Splits only happen here (or when a guard newly isolates
  an identifier).

Outputs, each written in one Delta commit and replaced per snapshot date (re-running is idempotent):
`oneid_mapping` (partitioned by snapshot_date; `oneid_mapping_latest` is a view of the newest),
`oneid_changes`, `oneid_audit`, and last `oneid_runs`, whose row marks the date as complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.core.retention import expired
from taglake.errors import DataError
from taglake.identity import guards
from taglake.identity.components import connected_components
from taglake.identity.config import IDENTITY_FILE, IdentityConfig, load_identity_config
from taglake.identity.edges import CARRIED_SOURCE, CARRIED_TYPE, IDENTIFIER, LINK, Observed, observe
from taglake.identity.mapping import AUDIT, CHANGES, LATEST_VIEW, MAPPING, RUNS, completed_runs, read_snapshot
from taglake.identity.normalize import BLOCKED, INVALID, OK
from taglake.identity.scratch import Scratch
from taglake.identity.stable_ids import assign
from taglake.ops.faults import checkpoint
from taglake.pipeline import new_run_id
from taglake.progress import step
from taglake.settings import Settings

log = logging.getLogger(__name__)

SIZE_BUCKETS = [(1, 1), (2, 2), (3, 5), (6, 10), (11, 50), (51, 200), (201, 1000), (1001, None)]
TOP_COMPONENTS = 10


def identity_config_path(settings: Settings) -> Path:
    return Path(settings.path(settings.tagdefs)) / IDENTITY_FILE


def run_stage(run: Any) -> dict[str, int]:
    """Nightly pipeline entry point (`taglake.pipeline` stage "oneid")."""
    stats = run_oneid(run.spark, run.settings, run.date, rebuild=bool(run.options.get("rebuild")),
                      run_id=run.run_id)
    keys = ("identifiers_in", "identifiers_out", "dropped_invalid", "dropped_blocked", "capped_nodes",
            "links", "components", "largest_component", "cc_rounds")
    return {k: int(stats[k]) for k in keys}


def run_oneid(spark: SparkSession, settings: Settings, date: dt.date, *, rebuild: bool = False,
              run_id: str | None = None, config: IdentityConfig | None = None) -> dict[str, Any]:
    """Resolve identities for snapshot `date` and write the OneID tables; returns the run statistics."""
    started = time.perf_counter()
    run_id = run_id or new_run_id()
    config = config or load_identity_config(identity_config_path(settings))
    completed = completed_runs(spark, settings)
    previous_date = max((d for d in completed if d < date), default=None)
    previous = read_snapshot(spark, settings, previous_date) if previous_date else None
    log.info("OneID %s for %s (%s; previous run: %s)", run_id, date, "rebuild" if rebuild else "nightly",
             previous_date or "none")

    with Scratch(spark, "oneid") as scratch:
        with step("oneid: read identity sources", log) as current:
            observed = observe(spark, settings, config, date, previous if (previous is not None and not rebuild) else None)
            stored = scratch.save(observed.combined(), "observed")
            identifiers, links = Observed.split(stored).identifiers, Observed.split(stored).links
            summary = _summarise(stored)
            current.count(identifiers=summary["identifiers_in"], valid=summary["valid"], links=summary["links"])
        if summary["valid"] != summary["distinct_ids"]:
            _report_collisions(identifiers)

        with step("oneid: guards", log) as current:
            capped = scratch.save(guards.over_caps(spark, guards.degrees(links), config), "capped")
            capped_nodes = capped.select("id").distinct().count()
            kept = guards.drop_capped(links, capped) if capped_nodes else links
            current.count(capped_nodes=capped_nodes)

        components, cc = connected_components(
            spark, kept, partitions=config.components.partitions,
            driver_threshold=config.components.driver_threshold, max_rounds=config.components.max_rounds,
            scratch=scratch, name="oneid components", link_count=None if capped_nodes else summary["links"])

        with step("oneid: stable ids", log) as current:
            nodes = identifiers.where((F.col("status") == OK) & (F.col("id_type") != CARRIED_TYPE))
            labelled = (nodes.join(components, "id", "left")
                        .select("id", F.coalesce("root", "id").alias("root")))
            sizes = labelled.groupBy("root").agg(F.count(F.lit(1)).alias("size"))
            labelled, oversize, oversize_count = guards.apply_size_policy(config, labelled, sizes)
            current_rows = scratch.save(_with_previous(nodes.join(labelled, "id"), previous), "current")
            assigned, changes = assign(spark, current_rows, _previous_ids(previous))
            assigned = scratch.save(assigned, "assigned")
            changes = scratch.save(changes, "changes")
            mapping = scratch.save(
                current_rows.join(assigned, "root").select(
                    "id_type", "id_value", "oneid", "first_seen", "last_seen",
                    F.lit(date).cast("date").alias("snapshot_date")), "mapping")
            change_counts = {r["change"]: r["n"] for r in changes.groupBy("change").agg(F.count(F.lit(1)).alias("n")).collect()}
            current.count(**{k: change_counts.get(k, 0) for k in ("new", "merged", "split", "retired")})

        stats = _statistics(date, run_id, rebuild, previous_date, summary, capped_nodes, oversize_count, cc,
                            current_rows, assigned, mapping, change_counts, started)
        audit = _audit(identifiers, capped, oversize, links, nodes, mapping, config)
        _write_all(spark, settings, date, run_id, mapping, changes, audit, stats, sorted({*completed, date}))
    log.info("OneID %s done in %.1fs: %s identifiers → %s OneIDs", run_id, time.perf_counter() - started,
             f"{stats['identifiers_out']:,}", f"{stats['components']:,}")
    return stats


def _summarise(stored: DataFrame) -> dict[str, int]:
    """Counts for the run log and the accounting check, in one pass over the stored observations."""
    is_id = (F.col("part") == IDENTIFIER) & (F.col("id_type") != CARRIED_TYPE)

    def total(condition):
        return F.sum(F.when(condition, 1).otherwise(0))

    row = stored.agg(
        total(is_id).alias("identifiers_in"),
        total(is_id & (F.col("status") == OK)).alias("valid"),
        total(is_id & (F.col("status") == INVALID)).alias("invalid"),
        total(is_id & (F.col("status") == BLOCKED)).alias("blocked"),
        total(is_id & (F.size("sources") == 1) & (F.col("sources")[0] == CARRIED_SOURCE)).alias("carried_only"),
        total(F.col("part") == LINK).alias("links"),
        F.countDistinct(F.when(is_id & (F.col("status") == OK), F.col("id"))).alias("distinct_ids"),
    ).first()
    return {k: int(row[k] or 0) for k in row.asDict()}


def _report_collisions(identifiers: DataFrame) -> None:
    """Two different identifiers with the same 64-bit node id would silently merge two persons."""
    clashes = (identifiers.where(F.col("id").isNotNull()).groupBy("id")
               .agg(F.count(F.lit(1)).alias("n"), F.collect_list(F.struct("id_type", "id_value")).alias("keys"))
               .where(F.col("n") > 1).limit(5).collect())
    shown = "; ".join(" / ".join(f"{k['id_type']}:{k['id_value']}" for k in r["keys"]) for r in clashes)
    raise DataError(f"64-bit node id collision between different identifiers ({shown}); "
                    "nothing was written — report it with these values")


def _with_previous(current: DataFrame, previous: DataFrame | None) -> DataFrame:
    """Today's identifiers with yesterday's OneID, and first/last seen merged with yesterday's."""
    base = current.select("id_type", "id_value", "root", "first_seen", "last_seen")
    if previous is None:
        return base.select("*", F.lit(None).cast("string").alias("prev_oneid"), F.lit(None).cast("date").alias("prev_born"))
    born = previous.groupBy("oneid").agg(F.min("first_seen").alias("prev_born"))
    prev = (previous.join(born, "oneid")
            .select("id_type", "id_value", F.col("oneid").alias("prev_oneid"), "prev_born",
                    F.col("first_seen").alias("prev_first"), F.col("last_seen").alias("prev_last")))
    joined = base.join(prev, ["id_type", "id_value"], "left")
    return joined.select(
        "id_type", "id_value", "root",
        F.least("first_seen", F.coalesce("prev_first", "first_seen")).alias("first_seen"),
        F.greatest("last_seen", F.coalesce("prev_last", "last_seen")).alias("last_seen"),
        "prev_oneid", "prev_born")


def _previous_ids(previous: DataFrame | None) -> DataFrame | None:
    if previous is None:
        return None
    return previous.groupBy("oneid").agg(F.min("first_seen").alias("born"), F.count(F.lit(1)).alias("size"))


def _statistics(date, run_id, rebuild, previous_date, summary, capped_nodes, oversize_count, cc,
                current_rows, assigned, mapping, change_counts, started) -> dict[str, Any]:
    sizes = mapping.groupBy("oneid").agg(F.count(F.lit(1)).alias("size"))
    bucket = F.lit(None).cast("string")
    for low, high in SIZE_BUCKETS:
        label = f"{low}" if low == high else (f"{low}-{high}" if high else f">{low - 1}")
        cond = (F.col("size") >= low) & (F.col("size") <= high) if high else F.col("size") >= low
        bucket = F.when(cond, F.lit(label)).otherwise(bucket)
    buckets = sizes.groupBy(bucket.alias("bucket")).agg(F.count(F.lit(1)).alias("n"), F.sum("size").alias("ids")).collect()
    distribution = {r["bucket"]: int(r["n"]) for r in buckets}
    largest = [(r["oneid"], r["size"]) for r in sizes.orderBy(F.col("size").desc(), "oneid").limit(TOP_COMPONENTS).collect()]
    both = current_rows.where(F.col("prev_oneid").isNotNull()).join(assigned, "root")
    kept = both.agg(F.count(F.lit(1)).alias("n"), F.sum(F.when(F.col("oneid") == F.col("prev_oneid"), 1).otherwise(0)).alias("same")).first()
    stats = {
        "snapshot_date": date, "run_id": run_id, "mode": "rebuild" if rebuild else "nightly",
        "previous_snapshot": previous_date,
        "identifiers_in": summary["identifiers_in"], "identifiers_carried_only": summary["carried_only"],
        "identifiers_out": sum(int(r["ids"]) for r in buckets), "dropped_invalid": summary["invalid"],
        "dropped_blocked": summary["blocked"], "links": summary["links"], "capped_nodes": capped_nodes,
        "oversize_components": oversize_count, "components": sum(distribution.values()),
        "largest_component": largest[0][1] if largest else 0,
        "size_distribution": distribution, "largest": [{"oneid": o, "identifiers": s} for o, s in largest],
        "cc_rounds": cc.rounds, "cc_driver_links": cc.driver_links,
        "cc_links_per_round": [r["links_left"] for r in cc.per_round], "cc_seconds": round(cc.seconds, 2),
        "unchanged_share": (kept["same"] / kept["n"]) if kept["n"] else None,
        "new_oneids": change_counts.get("new", 0), "merged_oneids": change_counts.get("merged", 0),
        "split_oneids": change_counts.get("split", 0), "retired_oneids": change_counts.get("retired", 0),
    }
    if stats["identifiers_in"] != stats["identifiers_out"] + stats["dropped_invalid"] + stats["dropped_blocked"]:
        raise DataError(
            f"OneID accounting does not add up for {date}: {stats['identifiers_in']:,} identifiers in, "
            f"{stats['identifiers_out']:,} mapped + {stats['dropped_invalid']:,} invalid + "
            f"{stats['dropped_blocked']:,} blocked; nothing was written")
    stats["seconds"] = round(time.perf_counter() - started, 2)
    return stats


def _audit(identifiers, capped, oversize_members, links, nodes, mapping, config) -> DataFrame:
    """One row per dropped value, capped identifier and oversize component, with the reason."""
    keyed = mapping.select("id_type", "id_value", "oneid")
    dropped = (identifiers.where(F.col("status").isin(INVALID, BLOCKED) & (F.col("id_type") != CARRIED_TYPE))
               .select(F.col("status").alias("category"), "id_type", "id_value", "reason",
                       F.col("rows").alias("occurrences"), "sources", F.lit(None).cast("string").alias("oneid"),
                       F.lit(None).cast("string").alias("detail")))
    capped_rows = (capped.join(nodes.select("id", "id_value", "sources"), "id")
                   .join(keyed, ["id_type", "id_value"], "left")
                   .select(F.lit("capped").alias("category"), "id_type", "id_value",
                           F.format_string("linked to %d distinct %s (cap %d): all its links dropped, kept as its own OneID",
                                           F.col("degree"), F.col("neighbour_type"), F.col("cap")).alias("reason"),
                           F.col("degree").alias("occurrences"), "sources", "oneid",
                           F.concat_ws("→", "id_type", "neighbour_type").alias("detail")))
    policy = config.guards.on_oversize
    total_degree = guards.degrees(links).groupBy("id").agg(F.sum("degree").alias("degree"))
    # The hubs of each oversize component tell which identifier needs a cap or blocklist entry.
    members = (oversize_members.join(nodes.select("id", "id_type", "id_value"), "id")
               .join(total_degree, "id"))
    hubs = (members.groupBy("member_of", "size")
            .agg(F.slice(F.sort_array(F.collect_list(F.struct(F.col("degree"), F.concat_ws(":", "id_type", "id_value").alias("key"))), False), 1, 5).alias("top"))
            .select("member_of", "size", F.concat_ws(", ", F.transform("top", lambda t: F.format_string("%s (%d links)", t["key"], t["degree"]))).alias("hubs")))
    oversize_rows = (hubs.join(nodes.select(F.col("id").alias("member_of"), "id_type", "id_value", "sources"), "member_of")
                     .join(keyed, ["id_type", "id_value"], "left")
                     .select(F.lit("oversize").alias("category"), "id_type", "id_value",
                             F.format_string(f"component of %d identifiers exceeds max_component_size "
                                             f"{config.guards.max_component_size} (policy {policy})", F.col("size")).alias("reason"),
                             F.col("size").alias("occurrences"), "sources", "oneid",
                             F.concat(F.lit("largest hubs: "), F.col("hubs")).alias("detail")))
    return dropped.unionByName(capped_rows).unionByName(oversize_rows)


def _write_all(spark: SparkSession, settings: Settings, date: dt.date, run_id: str, mapping: DataFrame,
               changes: DataFrame, audit: DataFrame, stats: dict[str, Any], completed: list[dt.date]) -> None:
    stamp = [F.lit(date).cast("date").alias("snapshot_date"), F.lit(run_id).alias("run_id")]
    with step("oneid: write tables", log):
        _replace(spark, settings.table(MAPPING), mapping.select(
            "id_type", "id_value", "oneid", "first_seen", "last_seen", "snapshot_date"), date, partitioned=True)
        _replace(spark, settings.table(CHANGES), changes.select(*stamp, "*"), date)
        _replace(spark, settings.table(AUDIT), audit.select(*stamp, "*"), date)
        # Written last: a date is visible to readers (mapping_as_of) only once this row exists.
        checkpoint("oneid:mapping")    # the mapping of the date is written, the run row that completes it is not
        _replace(spark, settings.table(RUNS), _stats_frame(spark, stats), date)
        spark.sql(f"CREATE OR REPLACE VIEW {settings.table(LATEST_VIEW)} AS "
                  f"SELECT id_type, id_value, oneid, first_seen, last_seen, snapshot_date "
                  f"FROM {settings.table(MAPPING)} WHERE snapshot_date = "
                  f"(SELECT max(snapshot_date) FROM {settings.table(RUNS)})")
        _apply_retention(spark, settings, completed)


def _replace(spark: SparkSession, table: str, df: DataFrame, date: dt.date, partitioned: bool = False) -> None:
    writer = df.write.format("delta").mode("overwrite")
    if spark.catalog.tableExists(table):
        writer = writer.option("replaceWhere", f"snapshot_date = DATE'{date.isoformat()}'")
    elif partitioned:
        writer = writer.partitionBy("snapshot_date")
    writer.saveAsTable(table)


RUNS_SCHEMA = """snapshot_date date, run_id string, mode string, previous_snapshot date,
identifiers_in long, identifiers_carried_only long, identifiers_out long, dropped_invalid long,
dropped_blocked long, links long, capped_nodes long, oversize_components long, components long,
largest_component long, size_distribution map<string,long>,
largest array<struct<oneid:string,identifiers:long>>, cc_rounds int, cc_driver_links long,
cc_links_per_round array<long>, cc_seconds double, unchanged_share double, new_oneids long,
merged_oneids long, split_oneids long, retired_oneids long, seconds double, finished_at timestamp"""


def _stats_frame(spark: SparkSession, stats: dict[str, Any]) -> DataFrame:
    from pyspark.sql.types import _parse_datatype_string

    schema = _parse_datatype_string(RUNS_SCHEMA.replace("\n", " "))
    row = {**stats, "finished_at": dt.datetime.now()}
    return spark.createDataFrame([tuple(row.get(f.name) for f in schema.fields)], schema)


def expired_mappings(settings: Settings, completed: list[dt.date]) -> list[dt.date]:
    """Dates whose OneID mapping retention deletes: exactly the dates tag snapshots lose."""
    return expired(completed, settings.retention.daily, settings.retention.month_ends)


def _apply_retention(spark: SparkSession, settings: Settings, completed: list[dt.date]) -> None:
    """Keep the mapping of the dates the tag snapshots keep (`core.retention`, one rule for both:
    a kept tag snapshot keeps the mapping it was keyed by); the small logs are kept whole."""
    drop = expired_mappings(settings, completed)
    if drop:
        listed = ", ".join(f"DATE'{d.isoformat()}'" for d in drop)
        spark.sql(f"DELETE FROM {settings.table(MAPPING)} WHERE snapshot_date IN ({listed})")
        log.info("retention: dropped the OneID mapping of %d old snapshot(s)", len(drop))
