"""Writing one column group of one snapshot date: an atomic Delta commit per group table.

Tables are created explicitly (partitioned by snapshot_date, plain Parquet column names — no
column mapping, so every Delta reader sees the tags by name —, min/max statistics on the key and
the configured filter columns instead of the first 32, column comments from display names) and
grow by ALTER TABLE ADD COLUMNS when tags are added: old dates keep their values and read NULL for
tags that did not exist yet. A date is written with replaceWhere on its partition, so a re-run
replaces exactly that date.

Every group of a snapshot is written in the same key buckets (`repartition(buckets, key)`: file i
holds the keys of hash bucket i) and sorted by key, so bucket b of every group holds the same
subjects in the same order: the serving reader zips a bucket's groups without a join
(docs/storage.md). The files a write added are read back from its Delta commit for the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame

from taglake.compiler.plan import KEY
from taglake.compute.parallel import parallel
from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal
from taglake.errors import DataError
from taglake.ops.faults import checkpoint
from taglake.settings import Settings
from taglake.snapshots.layout import SNAPSHOT_COLUMN, base_group, group_table
from taglake.snapshots.stats import group_stats

log = logging.getLogger(__name__)

#: Delta hands table properties to the Parquet writer. Pages of at most 2,000 rows (Parquet's
#: default is 20,000) let a point lookup decode ~2,000 values per column instead of ~20,000: the
#: page index of the key-sorted files leads the reader to the one page that holds the key.
PARQUET_PROPERTIES = {"parquet.page.row.count.limit": "2000"}


@dataclass(frozen=True)
class GroupWrite:
    version: int                 # Delta version of the group table after the write
    rows: int
    files: list[dict]            # {path, bucket, rows} of every file the write added


class GroupWriter:
    def __init__(self, spark, settings: Settings, date: dt.date):
        self.spark, self.settings, self.date = spark, settings, date
        self._checked: set[str] = set()
        self._locations: dict[str, str] = {}

    def table(self, subject: str, group: str) -> str:
        return self.settings.table(group_table(subject, group))

    def _existing(self, table: str) -> dict[str, str] | None:
        if not self.spark.catalog.tableExists(table):
            return None
        return {f.name: f.dataType.simpleString() for f in self.spark.table(table).schema.fields}

    def ensure_table(self, table: str, key: str, columns: list[str], types: dict[str, str], comments: dict[str, str],
                     stats_columns: list[str]) -> dict[str, str]:
        existing = self._existing(table)
        if existing is None:
            defs = ", ".join(
                [f"{q(key)} STRING NOT NULL", f"{q(SNAPSHOT_COLUMN)} DATE NOT NULL"]
                + [f"{q(c)} {types[c].upper()} COMMENT {quote_literal(comments.get(c, ''))}" for c in columns])
            skipping = ",".join([key, *[c for c in stats_columns if c in columns]])
            properties = ", ".join(f"{quote_literal(k)} = {quote_literal(v)}"
                                   for k, v in {**PARQUET_PROPERTIES, "delta.dataSkippingStatsColumns": skipping}.items())
            self.spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({defs}) USING DELTA PARTITIONED BY ({q(SNAPSHOT_COLUMN)}) "
                           f"TBLPROPERTIES ({properties})")
            return {key: "string", SNAPSHOT_COLUMN: "date", **{c: types[c] for c in columns}}
        self._check_existing(table)
        added = [c for c in columns if c not in existing]
        if added:
            defs = ", ".join(f"{q(c)} {types[c].upper()} COMMENT {quote_literal(comments.get(c, ''))}" for c in added)
            self.spark.sql(f"ALTER TABLE {table} ADD COLUMNS ({defs})")
            skipping = ",".join([key, *[c for c in stats_columns if c in columns]])
            self.spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ('delta.dataSkippingStatsColumns' = {quote_literal(skipping)})")
            existing.update({c: types[c] for c in added})
        changed = [c for c in columns if c in types and existing.get(c) and existing[c] != types[c].lower()]
        if changed:
            c = changed[0]
            raise DataError(f"tag {c} is now {types[c]} but its column in {table} is {existing[c]}; "
                            "give the changed tag a new name (old snapshots keep the old column)")
        return existing

    def _check_existing(self, table: str) -> None:
        """Tables of an earlier taglake: refuse Delta column mapping (their Parquet files name columns
        by opaque ids, which third-party readers and the serving reader do not resolve), add the
        Parquet writer properties."""
        if table in self._checked:
            return
        properties = self.spark.sql(f"DESCRIBE DETAIL {table}").first()["properties"] or {}
        if properties.get("delta.columnMapping.mode", "none") != "none":
            raise DataError(f"{table} was written with Delta column mapping by an older taglake; tag tables are now plain "
                            "Parquet columns: rebuild the warehouse (`make clean && make demo`, or drop the tags_* tables "
                            "and re-run `taglake tags` for the dates you keep)")
        missing = {k: v for k, v in PARQUET_PROPERTIES.items() if properties.get(k) != v}
        if missing:
            listed = ", ".join(f"{quote_literal(k)} = {quote_literal(v)}" for k, v in missing.items())
            self.spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ({listed})")
        self._checked.add(table)

    def write(self, subject: str, key: str, group: str, frame: DataFrame, columns: list[str], types: dict[str, str],
              comments: dict[str, str], stats_columns: list[str], buckets: int) -> GroupWrite:
        """Replace this date in the group's table, bucketed and sorted by key."""
        table = self.table(subject, group)
        known = {c: types.get(c) for c in columns}
        schema = self.ensure_table(table, key, [c for c in columns if known[c]], {c: t for c, t in known.items() if t},
                                   comments, stats_columns)
        available = set(frame.columns)
        select = [f"{q(KEY)} AS {q(key)}", f"DATE'{self.date}' AS {q(SNAPSHOT_COLUMN)}"]
        for col in [c for c in schema if c not in (key, SNAPSHOT_COLUMN)]:
            # Tags no longer computed (offline, removed) stay as columns, NULL from this date on.
            value = q(col) if col in available else "NULL"
            select.append(f"CAST({value} AS {schema[col].upper()}) AS {q(col)}")
        # The date is constant: sorting by (date, key) is sorting by key, and it satisfies the file
        # writer's own ordering on the partition column (which would otherwise re-sort the rows).
        out = frame.selectExpr(*select).repartition(buckets, key).sortWithinPartitions(SNAPSHOT_COLUMN, key)
        (out.write.format("delta").mode("overwrite")
         .option("replaceWhere", f"{SNAPSHOT_COLUMN} = DATE'{self.date}'").saveAsTable(table))
        last = self.spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()
        rows = int((last["operationMetrics"] or {}).get("numOutputRows", 0))
        version = int(last["version"])
        checkpoint(f"group:{subject}:{group}")
        return GroupWrite(version, rows, self.files(table, key, version, buckets))

    def files(self, table: str, key: str, version: int, buckets: int) -> list[dict]:
        """The files commit `version` of `table` added for this date, with their key bucket."""
        location = self._locations.get(table)
        if location is None:
            location = self._locations[table] = self.spark.sql(f"DESCRIBE DETAIL {table}").first()["location"]
        jvm = self.spark.sparkContext._jvm
        added = jvm.io.taglake.wide.CommitFiles.added(location, version, SNAPSHOT_COLUMN, str(self.date), key, buckets,
                                                     self.spark.sparkContext._jsc.hadoopConfiguration())
        return json.loads(added)

    def current_versions(self, subject: str, groups: dict[str, list[str]]) -> dict[str, int]:
        def version(group: str) -> int:
            return int(self.spark.sql(f"DESCRIBE HISTORY {self.table(subject, group)} LIMIT 1").first()["version"])

        names = list(groups)
        return dict(zip(names, parallel(version, names, self.settings.tags.parallel_writes)))

    def stats(self, subject: str, key: str, groups: dict[str, list[str]], fill: dict[str, str] | None = None) -> list[tuple]:
        base = self.table(subject, base_group(groups))
        population = self.spark.sql(f"SELECT count(1) FROM {base} WHERE {q(SNAPSHOT_COLUMN)} = DATE'{self.date}'").first()[0]

        def one(item: tuple[str, list[str]]) -> list[tuple]:
            group, columns = item
            return [(self.date, subject, tag, count, non_null, non_null / count if count else None, distinct)
                    for tag, count, non_null, distinct in group_stats(self.spark, self.table(subject, group), columns,
                                                                      self.date, population, fill)]

        return [row for part in parallel(one, list(groups.items()), self.settings.tags.parallel_writes) for row in part]
