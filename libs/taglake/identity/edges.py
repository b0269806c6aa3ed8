"""Identity sources → identifiers (typed nodes, with their status) and the links rows assert.

A source row asserts that all its identifiers belong to one person: every pair of valid
identifiers in a row is a link. Each source is read with one projection (every identifier column
classified at once, then the pairs) and aggregated before anything is joined, so a large event
table costs one scan and a partial aggregation. Invalid and blocklisted values never become
nodes; they are counted per value, with the rule that rejected them, for the audit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.core import expressions as X
from taglake.errors import DataError
from taglake.identity.config import IdentityConfig, Source
from taglake.identity.normalize import OK, classify
from taglake.settings import Settings

log = logging.getLogger(__name__)

#: Type of the per-OneID anchor node that keeps yesterday's persons together (see job.py).
CARRIED_TYPE = "__oneid__"
CARRIED_SOURCE = "oneid_mapping"

def filter_sql(text: str) -> str:
    """A source's `where` condition, checked by the one expression checker and rendered back as
    Spark SQL (never passed raw); `snapshot_date` reads the run date (`SNAPSHOT_DATE_COLUMN`)."""
    return X.render(X.parse_checked(text).tree)


def filter_columns(text: str) -> set[str]:
    return set(X.parse_checked(text).columns - {X.SNAPSHOT_DATE})


def node_id(id_type: Column | str, id_value: Column | str) -> Column:
    """64-bit node id: xxhash64 of type and value; collisions are checked by the job."""
    id_type = F.lit(id_type) if isinstance(id_type, str) else id_type
    id_value = F.col(id_value) if isinstance(id_value, str) else id_value
    return F.xxhash64(id_type, id_value)


#: One stored dataset holds both parts, so every source is scanned once.
IDENTIFIER, LINK = 0, 1


@dataclass
class Observed:
    #: id_type, id_value, status, reason, id, rows, first_seen, last_seen, sources
    identifiers: DataFrame
    #: src, dst (node ids, src < dst), src_type, dst_type
    links: DataFrame

    def combined(self) -> DataFrame:
        """Both parts in one frame (column `part`), to be stored once and split with `split`."""
        ids = self.identifiers.select(F.lit(IDENTIFIER).alias("part"), "*", *[
            F.lit(None).cast(t).alias(c) for c, t in (("src", "long"), ("dst", "long"), ("src_type", "string"), ("dst_type", "string"))])
        links = self.links.select(F.lit(LINK).alias("part"), *[
            F.lit(None).cast(t).alias(c) for c, t in self.identifiers.dtypes], "src", "dst", "src_type", "dst_type")
        return ids.unionByName(links)

    @staticmethod
    def split(stored: DataFrame) -> Observed:
        ids = stored.where(F.col("part") == IDENTIFIER).select(
            "id_type", "id_value", "status", "reason", "id", "rows", "first_seen", "last_seen", "sources")
        links = stored.where(F.col("part") == LINK).select("src", "dst", "src_type", "dst_type")
        return Observed(ids, links)


def table_name(settings: Settings, source: Source) -> str:
    return source.table if "." in source.table else settings.table(source.table)


def check_sources(spark: SparkSession, settings: Settings, config: IdentityConfig) -> None:
    """Every declared table and column exists; all problems in one DataError."""
    problems: list[str] = []
    for s, source in enumerate(config.sources):
        name = table_name(settings, source)
        if not spark.catalog.tableExists(name):
            problems.append(f"sources[{s}] {source.name}: table {name} does not exist")
            continue
        columns = {f.name.lower() for f in spark.table(name).schema.fields}
        wanted = [i.column for i in source.identifiers] + ([source.seen_at] if source.seen_at else [])
        if source.where:
            wanted += sorted(filter_columns(source.where))
        missing = [c for c in wanted if c.lower() not in columns]
        if missing:
            problems.append(f"sources[{s}] {source.name}: {name} has no column(s) {', '.join(missing)} "
                            f"(it has: {', '.join(sorted(columns))})")
    if problems:
        raise DataError(f"identity sources in {config.origin} do not match the catalog:\n  " + "\n  ".join(problems))


def _source_frames(spark: SparkSession, settings: Settings, config: IdentityConfig, source: Source,
                   date: dt.date) -> tuple[DataFrame, DataFrame]:
    df = spark.table(table_name(settings, source))
    day = F.lit(date).cast("date")
    if source.where:
        df = df.select("*", day.alias(X.SNAPSHOT_DATE_COLUMN)).where(F.expr(filter_sql(source.where)))
    seen = F.coalesce(F.to_date(F.col(source.seen_at)), day) if source.seen_at else day
    checked = [classify(i.type, F.col(i.column), config) for i in source.identifiers]
    ids = F.array(*[
        F.struct(F.lit(i.type).alias("id_type"), c["value"].alias("id_value"), c["status"].alias("status"),
                 c["reason"].alias("reason"))
        for i, c in zip(source.identifiers, checked)
    ])
    pairs = [
        F.when((checked[a]["status"] == OK) & (checked[b]["status"] == OK),
               F.struct(F.lit(source.identifiers[a].type).alias("a_type"), checked[a]["value"].alias("a_value"),
                        F.lit(source.identifiers[b].type).alias("b_type"), checked[b]["value"].alias("b_value")))
        for a, b in itertools.combinations(range(len(source.identifiers)), 2)
    ]
    rows = df.select(seen.alias("seen"), ids.alias("ids"), F.array(*pairs).alias("pairs") if pairs else
                     F.array().cast("array<struct<a_type:string,a_value:string,b_type:string,b_value:string>>").alias("pairs"))
    rows = rows.where(F.col("seen") <= day)

    identifiers = (rows.select("seen", F.explode("ids").alias("i"))
                   .where(F.col("i.status") != F.lit("missing"))
                   .groupBy(F.col("i.id_type").alias("id_type"), F.col("i.id_value").alias("id_value"))
                   .agg(F.first("i.status").alias("status"), F.first("i.reason").alias("reason"),
                        F.count(F.lit(1)).alias("rows"), F.min("seen").alias("first_seen"),
                        F.max("seen").alias("last_seen"), F.array(F.lit(source.name)).alias("sources")))
    links = (rows.select(F.explode("pairs").alias("p")).where(F.col("p").isNotNull())
             .select(node_id(F.col("p.a_type"), F.col("p.a_value")).alias("a"),
                     node_id(F.col("p.b_type"), F.col("p.b_value")).alias("b"),
                     F.col("p.a_type").alias("a_type"), F.col("p.b_type").alias("b_type")))
    return identifiers, links


def carried_frames(previous: DataFrame, config: IdentityConfig) -> tuple[DataFrame, DataFrame]:
    """Yesterday's mapping as a source: each identifier (re-checked under today's rules) linked to
    an anchor node for its OneID, so persons stay whole when old source rows age out."""
    checked = F.struct(*[F.lit(None).cast("string").alias(k) for k in ("value", "status", "reason")])
    for id_type in config.id_types:
        checked = F.when(F.col("id_type") == id_type, classify(id_type, F.col("id_value"), config)).otherwise(checked)
    rows = previous.select("id_type", "oneid", "first_seen", "last_seen", checked.alias("c"))
    rows = rows.where(F.col("c.status").isNotNull())  # a type no longer declared is dropped
    identifiers = (rows.groupBy("id_type", F.col("c.value").alias("id_value"))
                   .agg(F.first("c.status").alias("status"), F.first("c.reason").alias("reason"),
                        F.lit(0).cast("long").alias("rows"), F.min("first_seen").alias("first_seen"),
                        F.max("last_seen").alias("last_seen"), F.array(F.lit(CARRIED_SOURCE)).alias("sources")))
    links = (rows.where(F.col("c.status") == OK)
             .select(node_id(F.col("id_type"), F.col("c.value")).alias("a"),
                     node_id(F.lit(CARRIED_TYPE), F.col("oneid")).alias("b"),
                     F.col("id_type").alias("a_type"), F.lit(CARRIED_TYPE).alias("b_type")))
    return identifiers, links


def observe(spark: SparkSession, settings: Settings, config: IdentityConfig, date: dt.date,
            previous: DataFrame | None = None) -> Observed:
    """All declared sources (and, if given, yesterday's mapping) as identifiers and links (lazy)."""
    if not config.sources:
        raise DataError(f"{config.origin} declares no identity sources; OneID has nothing to link")
    check_sources(spark, settings, config)
    frames = [_source_frames(spark, settings, config, source, date) for source in config.sources]
    if previous is not None:
        frames.append(carried_frames(previous, config))
    identifiers = frames[0][0]
    links = frames[0][1]
    for more_ids, more_links in frames[1:]:
        identifiers = identifiers.unionByName(more_ids)
        links = links.unionByName(more_links)
    identifiers = (identifiers.groupBy("id_type", "id_value")
                   .agg(F.first("status").alias("status"), F.first("reason").alias("reason"),
                        F.sum("rows").alias("rows"), F.min("first_seen").alias("first_seen"),
                        F.max("last_seen").alias("last_seen"),
                        F.array_sort(F.array_distinct(F.flatten(F.collect_list("sources")))).alias("sources"))
                   .select("*", F.when(F.col("status") == OK, node_id(F.col("id_type"), F.col("id_value"))).alias("id")))
    oriented = links.where(F.col("a") != F.col("b")).select(
        F.when(F.col("a") < F.col("b"), F.col("a")).otherwise(F.col("b")).alias("src"),
        F.when(F.col("a") < F.col("b"), F.col("b")).otherwise(F.col("a")).alias("dst"),
        F.when(F.col("a") < F.col("b"), F.col("a_type")).otherwise(F.col("b_type")).alias("src_type"),
        F.when(F.col("a") < F.col("b"), F.col("b_type")).otherwise(F.col("a_type")).alias("dst_type"))
    links = oriented.groupBy("src", "dst").agg(F.first("src_type").alias("src_type"),
                                               F.first("dst_type").alias("dst_type"))
    return Observed(identifiers, links)
